import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import './styles.css'

const queryClient = new QueryClient({
  defaultOptions: {
    // Main-process data changes only through our calls or 'project.changed' events, so no polling on focus.
    queries: { refetchOnWindowFocus: false, retry: 1, staleTime: 10_000 },
    mutations: { retry: false }
  }
})

// A file dropped outside a drop zone must not navigate the window away from the app.
for (const type of ['dragover', 'drop'] as const) window.addEventListener(type, (e) => e.preventDefault())

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>
)
