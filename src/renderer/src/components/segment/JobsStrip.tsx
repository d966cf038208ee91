import { useEffect, useRef, useState } from 'react'
import type { Clip, ProjectSummary } from '../../../../shared/domain'
import type { JobInfo } from '../../../../shared/inference'
import { plural } from '../../format'
import { useClips } from '../../queries/api'
import { ACTIVE_JOB, RESUMABLE_JOB, useCancelJob, useJobs, useResumeJob } from '../../queries/segment'
import { ErrorNote } from '../ErrorNote'
import { JOB_STATUS_LABEL, PROVIDER_LABEL, formatDuration } from './labels'
import './segment.css'

/** Elapsed time of a running job between two progress events (events come once per clip). */
function useLiveElapsed(job: JobInfo): number {
  const base = useRef({ elapsed: job.elapsedMs, at: Date.now() })
  if (base.current.elapsed !== job.elapsedMs) base.current = { elapsed: job.elapsedMs, at: Date.now() }
  const running = job.status === 'running'
  const [, tick] = useState(0)
  useEffect(() => {
    if (!running) return
    const t = setInterval(() => tick((n) => n + 1), 1000)
    return () => clearInterval(t)
  }, [running])
  return running ? base.current.elapsed + (Date.now() - base.current.at) : job.elapsedMs
}

/**
 * Auto-segmentation jobs of the open project, above the clip list and the clip view alike: the
 * running and queued ones, interrupted ones (resumable after a restart) and the latest finished.
 */
export function JobsStrip({ project, onOpenClip }: { project: ProjectSummary; onOpenClip: (clipId: number) => void }) {
  const jobs = useJobs(project.dir)
  const clips = useClips(project.dir)
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(() => new Set())
  // Jobs seen running in this session stay listed when they finish; an old finished job does not come back.
  const seenActive = useRef(new Set<string>())
  const list = jobs.data ?? []
  for (const j of list) if (ACTIVE_JOB.has(j.status)) seenActive.current.add(j.id)
  let finished = 0
  const shown = list.filter((j, i) => {
    if (dismissed.has(j.id)) return false
    if (ACTIVE_JOB.has(j.status) || j.status === 'interrupted') return true
    // At most the two newest finished jobs (done, failed, cancelled).
    return (seenActive.current.has(j.id) || (i === 0 && j.status !== 'done')) && ++finished <= 2
  })
  if (!shown.length && !jobs.error) return null
  const clipById = new Map((clips.data ?? []).map((c) => [c.id, c]))
  return (
    <section className="jobs-strip" data-testid="jobs-strip" aria-label="Auto-segmentation jobs">
      <ErrorNote error={jobs.error} testId="jobs-error" />
      <ul>
        {shown.map((j) => (
          <JobRow key={j.id} project={project} job={j} clipById={clipById} onOpenClip={onOpenClip} onDismiss={() => setDismissed((d) => new Set(d).add(j.id))} />
        ))}
      </ul>
    </section>
  )
}

function JobRow({
  project,
  job,
  clipById,
  onOpenClip,
  onDismiss
}: {
  project: ProjectSummary
  job: JobInfo
  clipById: Map<number, Clip>
  onOpenClip: (clipId: number) => void
  onDismiss: () => void
}) {
  const cancel = useCancelJob(project.dir)
  const resume = useResumeJob(project.dir)
  const elapsed = useLiveElapsed(job)
  const active = ACTIVE_JOB.has(job.status)
  const resumable = RESUMABLE_JOB.has(job.status)
  const percent = job.total ? Math.round((job.done / job.total) * 100) : 0
  const current = job.currentClipId !== null ? clipById.get(job.currentClipId) : undefined
  const left = job.total - job.done
  return (
    <li className={`job-row job-${job.status}`} data-testid="job" data-job-id={job.id} data-status={job.status} data-done={job.done} data-total={job.total}>
      <div className="job-head">
        <strong>Auto-segment</strong>
        <span className={`badge job-status job-status-${job.status}`} data-testid="job-status">
          {JOB_STATUS_LABEL[job.status]}
        </span>
        <span data-testid="job-count">
          {job.done} / {plural(job.total, 'clip')}
        </span>
        <span className="muted" data-testid="job-time" data-elapsed-ms={Math.round(job.elapsedMs)}>
          {formatDuration(elapsed)} elapsed
          {active && job.remainingMs !== null && ` · about ${formatDuration(job.remainingMs)} left`}
        </span>
        <span className="muted" data-testid="job-runtime" title={`Asked for: ${PROVIDER_LABEL[job.requestedProvider]}`}>
          {job.model ?? 'model ?'}
          {job.className && ` as ${job.className}`}
          {' · '}
          {job.provider ? PROVIDER_LABEL[job.provider] : active ? `${PROVIDER_LABEL[job.requestedProvider]}, starting` : `${PROVIDER_LABEL[job.requestedProvider]} asked, no clip ran`}
        </span>
        {job.replaceEdits && (
          <span className="badge" title="Frames a person edited or accepted are overwritten">
            replaces edits
          </span>
        )}
        <span className="job-actions">
          {active && (
            <button type="button" className="danger" disabled={cancel.isPending} onClick={() => cancel.mutate(job.id)} data-testid="job-cancel">
              Cancel
            </button>
          )}
          {resumable && (
            <button type="button" className="primary" disabled={resume.isPending} onClick={() => resume.mutate(job.id)} data-testid="job-resume" title="Continue from the first clip not yet segmented">
              Resume ({plural(left, 'clip')} left)
            </button>
          )}
          {!active && (
            <button type="button" className="ghost" onClick={onDismiss} data-testid="job-dismiss" aria-label="Dismiss">
              ✕
            </button>
          )}
        </span>
      </div>
      {(active || resumable) && (
        <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} data-testid="job-progress">
          <div className="progress-fill" style={{ width: `${Math.max(2, percent)}%` }} />
        </div>
      )}
      {job.status === 'running' && current && (
        <div className="muted job-current">
          Segmenting{' '}
          <button type="button" className="link" onClick={() => onOpenClip(current.id)} data-testid="job-current">
            {current.name}
          </button>
          {' '}— keep working on other clips meanwhile.
        </div>
      )}
      {job.status === 'interrupted' && (
        <div className="muted" data-testid="job-interrupted">
          Stopped before it finished (the app was closed or restarted): {plural(job.done, 'clip')} done, {plural(left, 'clip')} left.
        </div>
      )}
      {job.fallbackReason && (
        <div className="job-fallback" role="note" data-testid="job-fallback">
          Not on the GPU: {job.fallbackReason}
        </div>
      )}
      {job.skippedFrames > 0 && (
        <div className="muted" data-testid="job-skipped">
          {plural(job.skippedFrames, 'frame')} kept as a person left {job.skippedFrames === 1 ? 'it' : 'them'} (edited, accepted or rejected); “Replace edits” overwrites those.
        </div>
      )}
      <ErrorNote error={job.error ? new Error(job.error) : null} testId="job-error" />
      <ErrorNote error={cancel.error ?? resume.error} testId="job-action-error" />
    </li>
  )
}
