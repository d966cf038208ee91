import { useState, type FormEvent } from 'react'
import { exportClipsText, type AvsFormat, type ExportReport } from '../../../../shared/avsbench'
import type { ProjectSummary } from '../../../../shared/domain'
import { electronExtras } from '../../apiClient'
import { TASK_LABEL, plural } from '../../format'
import { useClips } from '../../queries/api'
import type { ExportJobState } from '../../queries/dataset'
import { ErrorNote } from '../ErrorNote'
import { Modal } from '../Modal'
import { ClipSplitTable } from './ClipSplitTable'
import { exportFolderIn, exportFolderName, exportFormats, toExportRequest, type ExportForm } from './datasetLogic'
import { FolderField } from './FolderField'
import { SkippedList } from './SkippedList'
import './dataset.css'

const FORMAT_HINT: Record<AvsFormat, string> = {
  s4: 'Single-source: split / category folders, one mask for train clips',
  ms3: 'Multi-sources: all 5 masks per clip, no category',
  avss: 'Semantic: v1s / v1m / v2 folders, RGB and index labels'
}

const STAGE_LABEL = { preparing: 'Preparing', writing: 'Writing clips', finishing: 'Writing the metadata', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' } as const

export function ExportDialog({
  project,
  job,
  form,
  onForm,
  onClose
}: {
  project: ProjectSummary
  job: ExportJobState
  form: ExportForm
  onForm: (f: ExportForm) => void
  onClose: () => void
}) {
  const clips = useClips(project.dir)
  const [formError, setFormError] = useState<string | null>(null)
  const [showClips, setShowClips] = useState(false)
  const set = <K extends keyof ExportForm>(k: K, v: ExportForm[K]): void => onForm({ ...form, [k]: v })
  const formats = exportFormats(project)
  const all = clips.data ?? []
  const withoutSplit = all.filter((c) => c.split === null).length
  const withoutCategory = all.filter((c) => !c.category).length
  const busy = job.phase === 'starting' || job.phase === 'running'

  const submit = (e: FormEvent): void => {
    e.preventDefault()
    const req = toExportRequest(form)
    if (typeof req === 'string') {
      setFormError(req)
      return
    }
    setFormError(null)
    job.start(req)
  }

  let body
  if (job.phase === 'running' || job.phase === 'starting') body = <ExportProgressView job={job} />
  else if (job.phase === 'done' && job.result?.report) body = <ExportReportView report={job.result.report} onAgain={job.reset} onClose={onClose} />
  else
    body = (
      <form onSubmit={submit} data-testid="export-form">
        {job.phase === 'cancelled' && (
          <p className="dataset-note" data-testid="export-cancelled">
            The export was cancelled; nothing was written to the destination.
          </p>
        )}
        <fieldset className="task-choice">
          <legend>Format</legend>
          {formats.map((f) => (
            <label key={f} className={f === form.format ? 'selected' : undefined}>
              <input type="radio" name="export-format" value={f} checked={f === form.format} onChange={() => set('format', f)} data-testid={`export-format-${f}`} />
              <strong>{TASK_LABEL[f]}</strong>
              <span className="muted">{FORMAT_HINT[f]}</span>
            </label>
          ))}
        </fieldset>

        <label htmlFor="export-out">Destination folder</label>
        <FolderField
          id="export-out"
          value={form.out}
          onChange={(v) => set('out', v)}
          fromBrowse={(dir) => exportFolderIn(dir, exportFolderName(project, form.format))}
          testId="export-out"
          placeholder={`/path/to/datasets/${exportFolderName(project, form.format)}`}
        />
        <p className="hint">A new folder{electronExtras() ? ' (Browse picks the folder to create it in)' : ''}. It is written beside, under a hidden name, and appears only when complete.</p>
        <label className="dataset-check">
          <input type="checkbox" checked={form.overwrite} onChange={(e) => set('overwrite', e.target.checked)} data-testid="export-overwrite" /> Replace an earlier export in
          this folder
        </label>

        <fieldset className="dataset-fieldset">
          <legend>Frames</legend>
          <label className="dataset-check">
            <input type="radio" name="export-frames" checked={form.frames === 'accepted'} onChange={() => set('frames', 'accepted')} data-testid="export-frames-accepted" /> Accepted
            frames only <span className="muted">(reviewed ground truth)</span>
          </label>
          <label className="dataset-check">
            <input type="radio" name="export-frames" checked={form.frames === 'all'} onChange={() => set('frames', 'all')} data-testid="export-frames-all" /> Every frame with a mask{' '}
            <span className="muted">(also unreviewed model masks)</span>
          </label>
        </fieldset>

        <fieldset className="dataset-fieldset">
          <legend>Splits</legend>
          <p className="hint" data-testid="export-split-summary">
            Clips keep the split set on them.{' '}
            {withoutSplit
              ? `${plural(withoutSplit, 'clip')} without a split get one by these weights, from a hash of the clip name and the seed (the same on every export):`
              : 'Every clip has a split; the weights below apply to clips that have none.'}
          </p>
          <div className="dataset-ratio">
            {(['train', 'val', 'test'] as const).map((s, i) => (
              <label key={s}>
                {s}
                <input
                  type="number"
                  min={0}
                  step="any"
                  value={form.ratio[i]}
                  onChange={(e) => set('ratio', form.ratio.map((r, j) => (j === i ? e.target.value : r)) as ExportForm['ratio'])}
                  data-testid={`export-ratio-${s}`}
                />
              </label>
            ))}
            <label>
              seed
              <input type="number" step={1} value={form.seed} onChange={(e) => set('seed', e.target.value)} data-testid="export-seed" />
            </label>
          </div>
          <button type="button" className="ghost dataset-toggle" onClick={() => setShowClips((v) => !v)} aria-expanded={showClips} data-testid="export-clips-toggle">
            {showClips ? '▾' : '▸'} Splits and categories per clip
            {form.format === 's4' && withoutCategory > 0 && <span className="badge flag">{withoutCategory} without a category</span>}
          </button>
          {form.format === 's4' && withoutCategory > 0 && !showClips && (
            <p className="hint">S4 needs a category for every clip (a folder level); clips without one are skipped.</p>
          )}
          {showClips && <ClipSplitTable project={project} clips={all} needsCategory={form.format === 's4'} />}
        </fieldset>

        {formError && (
          <div className="error-note" role="alert" data-testid="export-form-error">
            {formError}
          </div>
        )}
        <ErrorNote error={job.error} testId="export-error" />
        <div className="actions">
          <button type="button" className="ghost" onClick={onClose}>
            Close
          </button>
          <button type="submit" className="primary" disabled={busy || !form.out.trim()} data-testid="export-submit">
            Export
          </button>
        </div>
      </form>
    )

  return (
    <Modal title={`Export as AVSBench ${TASK_LABEL[form.format]}`} onClose={onClose} testId="export-dialog" wide>
      {body}
    </Modal>
  )
}

function ExportProgressView({ job }: { job: ExportJobState }) {
  const p = job.progress
  const fraction = p?.fraction ?? 0
  return (
    <div className="dataset-progress" data-testid="export-progress" data-stage={p?.stage ?? 'starting'}>
      <div className="import-row-head">
        <span className="import-name">{p ? STAGE_LABEL[p.stage] : 'Starting'}</span>
        <span className="import-stage" data-testid="export-progress-clips" data-clips={p?.clips ?? 0} data-total={p?.total || ''}>
          {p?.stage === 'writing' || p?.stage === 'finishing' ? exportClipsText(p) : ''} {Math.round(fraction * 100)}%
        </span>
      </div>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <div className="progress-fill" style={{ width: `${Math.max(2, fraction * 100)}%` }} />
      </div>
      <p className="hint">Closing this dialog does not stop the export; “Exporting…” in the bar brings it back.</p>
      <ErrorNote error={job.error} testId="export-error" />
      <div className="actions">
        <button type="button" className="danger" onClick={job.cancel} disabled={!job.jobId || job.cancelling} data-testid="export-cancel">
          {job.cancelling ? 'Cancelling…' : 'Cancel export'}
        </button>
      </div>
    </div>
  )
}

function ExportReportView({ report, onAgain, onClose }: { report: ExportReport; onAgain: () => void; onClose: () => void }) {
  return (
    <div className="dataset-report" data-testid="export-report" data-clips={report.clips} data-frames={report.frames} data-masks={report.masks} data-skipped={report.skipped.length}>
      <p className={report.clips ? 'dataset-ok' : 'dataset-note'}>
        {report.clips ? 'Exported' : 'Nothing exported:'} {plural(report.clips, 'clip')}, {plural(report.frames, 'frame')} and {plural(report.masks, 'mask')} as{' '}
        {TASK_LABEL[report.format]}.
      </p>
      <table className="info-table">
        <tbody>
          <tr>
            <th>Folder</th>
            <td>
              <code data-testid="export-report-out">{report.out}</code>
            </td>
          </tr>
          <tr>
            <th>Clips</th>
            <td data-testid="export-report-clips">{report.clips}</td>
          </tr>
          <tr>
            <th>Frames</th>
            <td data-testid="export-report-frames">{report.frames}</td>
          </tr>
          <tr>
            <th>Masks</th>
            <td data-testid="export-report-masks">{report.masks}</td>
          </tr>
        </tbody>
      </table>
      <SkippedList skipped={report.skipped} testId="export-skipped" />
      <p className="hint">The public AVS loaders read this folder as it is; they need pandas&lt;3.</p>
      <div className="actions">
        <button type="button" onClick={onAgain} data-testid="export-again">
          New export…
        </button>
        <button type="button" className="primary" onClick={onClose} data-testid="export-done">
          Done
        </button>
      </div>
    </div>
  )
}
