import { useQueryClient } from '@tanstack/react-query'
import { Suspense, useEffect, useState } from 'react'
import type { ProjectSummary } from '../../../shared/domain'
import { TASK_LABEL, plural } from '../format'
import { useCloseProject, useClips } from '../queries/api'
import { keys } from '../queries/keys'
import { useJobProgressEvents } from '../queries/segment'
import { writes } from '../queries/maskWrites'
import { useRoute } from '../route'
import { AppBar } from './AppBar'
import { ClipList } from './ClipList'
import { Dashboard } from './Dashboard'
import { DatasetActions } from './DatasetActions'
import { ErrorNote } from './ErrorNote'
import { ImportPanel } from './ImportPanel'
import { JobsStrip } from './segment/JobsStrip'
import { useImportJob } from './useImportJob'
import { lazyPanel } from '../lazyPanel'

// The editor and the models dialog are chunks of their own, loaded when first opened.
const ClipView = lazyPanel(() => import('./ClipView'), 'ClipView')
const ModelsDialog = lazyPanel(() => import('./segment/ModelsDialog'), 'ModelsDialog')

export function ProjectView({ project, onAbout }: { project: ProjectSummary; onAbout: () => void }) {
  const [route, navigate] = useRoute()
  const close = useCloseProject()
  const clips = useClips(project.dir)
  const job = useImportJob(project.dir)
  const qc = useQueryClient()
  const [modelsOpen, setModelsOpen] = useState(false)
  useJobProgressEvents(project.dir)

  // Saves and review changes alter statuses, stats and masks: refetch once the writes have landed.
  useEffect(() => writes.onIdle(() => void qc.invalidateQueries({ queryKey: keys.projectData(project.dir) })), [qc, project.dir])

  useEffect(() => {
    document.title = `${project.name} — AVS Annotator`
    return () => {
      document.title = 'AVS Annotator'
    }
  }, [project.name])

  const header = (
    <div className="project-header" data-testid="project-header" title={project.dir}>
      <span className="project-name" data-testid="project-name">
        {project.name}
      </span>
      <span className="badge task" data-testid="project-task">
        {TASK_LABEL[project.task]}
      </span>
      <span className="muted" data-testid="project-counts">
        {plural(project.videoCount, 'video')} · {plural(project.clipCount, 'clip')} · {plural(project.frameCount, 'frame')}
      </span>
    </div>
  )
  const actions = (
    <>
      {job.running && route.clipId !== null && (
        <button type="button" className="ghost importing" onClick={() => navigate({ clipId: null, frame: 0 })} title="Show the import">
          Importing…
        </button>
      )}
      <DatasetActions project={project} />
      <button type="button" className="ghost" onClick={() => setModelsOpen(true)} data-testid="models-open" title="Models, execution provider (CPU / GPU) and adding a model">
        Models
      </button>
      <button
        type="button"
        className="ghost"
        disabled={close.isPending}
        onClick={() => close.mutate(undefined, { onSuccess: () => navigate({ clipId: null, frame: 0 }, { replace: true }) })}
        data-testid="project-close"
      >
        Close project
      </button>
    </>
  )

  return (
    <>
      <AppBar onAbout={onAbout} actions={actions}>
        {header}
      </AppBar>
      <ErrorNote error={close.error} />
      {project.lockLost && (
        <div className="error-note" role="alert" data-testid="lock-lost">
          Read-only: {project.lockLost}. What was saved before stays; new changes are not saved. Close the project and open it again once the other
          writer has finished.
        </div>
      )}
      <JobsStrip project={project} onOpenClip={(clipId) => navigate({ clipId, frame: 0 })} />
      {modelsOpen && (
        <Suspense fallback={null}>
          <ModelsDialog project={project} onClose={() => setModelsOpen(false)} />
        </Suspense>
      )}
      {route.clipId !== null ? (
        <Suspense fallback={<main className="clip-view loading">Loading clip…</main>}>
          <ClipView
            key={route.clipId}
            project={project}
            clipId={route.clipId}
            frame={route.frame}
            clips={clips.data ?? []}
            onFrame={(frame) => navigate({ clipId: route.clipId, frame }, { replace: true })}
            onClip={(clipId) => navigate({ clipId, frame: 0 }, { replace: true })}
            onOpenFrame={(clipId, frame) => navigate({ clipId, frame }, { replace: true })}
            onBack={() => navigate({ clipId: null, frame: 0 })}
            onOpenModels={() => setModelsOpen(true)}
          />
        </Suspense>
      ) : (
        <main className="project-main" data-testid="project-view">
          <ImportPanel project={project} job={job} />
          {(clips.data?.length ?? 0) > 0 && <Dashboard project={project} />}
          <ClipList project={project} clips={clips} onOpen={(clipId) => navigate({ clipId, frame: 0 })} onOpenModels={() => setModelsOpen(true)} />
        </main>
      )}
    </>
  )
}
