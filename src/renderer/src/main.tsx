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

// The editor benchmark hook for Playwright (`npm run bench`): only with ?bench=1 in the URL.
if (new URLSearchParams(window.location.search).has('bench')) {
  const w = window as unknown as { __avsBench?: unknown; __avsSaveLatencies?: unknown }
  w.__avsBench = async (options?: object) => (await import('./benchHooks')).benchHooks.stage(options)
  // Stroke end → revision in SQLite for the app's real saves (paint in a clip view first).
  w.__avsSaveLatencies = async () => (await import('./benchHooks')).benchHooks.saveLatencies()
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>
)
