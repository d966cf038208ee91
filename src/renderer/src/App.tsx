import { Suspense, useState } from 'react'
import { AppBar } from './components/AppBar'
import { ErrorNote } from './components/ErrorNote'
import { StartScreen } from './components/StartScreen'
import { lazyPanel } from './lazyPanel'
import { useCurrentProject, usePrefetchClipList, useProjectChangedEvents } from './queries/api'

// The start screen is in the entry chunk; an open project and the About panel load as their own chunks.
const ProjectView = lazyPanel(() => import('./components/ProjectView'), 'ProjectView')
const AboutPanel = lazyPanel(() => import('./components/AboutPanel'), 'AboutPanel')

export function App() {
  useProjectChangedEvents()
  const project = useCurrentProject()
  usePrefetchClipList(project.data?.dir ?? null)
  const [aboutOpen, setAboutOpen] = useState(false)
  const openAbout = (): void => setAboutOpen(true)

  let body
  if (project.isPending) body = <div className="splash">Loading…</div>
  else if (project.isError)
    body = (
      <div className="splash">
        <ErrorNote error={project.error} testId="app-error" />
        <button type="button" onClick={() => void project.refetch()}>
          Retry
        </button>
      </div>
    )
  else if (project.data) body = <ProjectView project={project.data} onAbout={openAbout} />
  else
    body = (
      <>
        <AppBar onAbout={openAbout} />
        <StartScreen />
      </>
    )

  return (
    <div className="app">
      <Suspense fallback={<div className="splash">Loading…</div>}>{body}</Suspense>
      {aboutOpen && (
        <Suspense fallback={null}>
          <AboutPanel onClose={() => setAboutOpen(false)} />
        </Suspense>
      )}
    </div>
  )
}
