import { useState } from 'react'
import { AboutPanel } from './components/AboutPanel'
import { AppBar } from './components/AppBar'
import { ErrorNote } from './components/ErrorNote'
import { ProjectView } from './components/ProjectView'
import { StartScreen } from './components/StartScreen'
import { useCurrentProject, useProjectChangedEvents } from './queries/api'

export function App() {
  useProjectChangedEvents()
  const project = useCurrentProject()
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
      {body}
      {aboutOpen && <AboutPanel onClose={() => setAboutOpen(false)} />}
    </div>
  )
}
