import { useState, type FormEvent } from 'react'
import { AvsFormat } from '../../../../shared/avsbench'
import { TASK_LABEL, basename } from '../../format'
import { useAvsbenchImportJob, type AvsbenchImportJobState } from '../../queries/dataset'
import { ErrorNote } from '../ErrorNote'
import { FolderField } from './FolderField'
import './dataset.css'

const RELEASE_HINT: Record<AvsFormat, string> = {
  s4: 'Single-source: s4_meta_data.csv, s4_data/',
  ms3: 'Multi-sources: ms3_meta_data.csv, ms3_data/',
  avss: 'metadata.csv, label2idx.json, v1s/ v1m/ v2/'
}

/** Start screen: a new project from an official AVSBench release folder (frames, audio and ground-truth masks). */
export function AvsbenchImportCard() {
  const [release, setRelease] = useState('')
  const [format, setFormat] = useState<AvsFormat>('s4')
  const [dir, setDir] = useState('')
  const [name, setName] = useState('')
  const job = useAvsbenchImportJob()
  // Busy until the job has ended (done: the project view takes over as soon as the project is current).
  const busy = job.phase === 'starting' || job.phase === 'running' || job.phase === 'done'
  const submit = (e: FormEvent): void => {
    e.preventDefault()
    if (busy) return
    job.start({ dir: release.trim(), format, projectDir: dir.trim(), name: name.trim() || undefined })
  }
  return (
    <form className="card" onSubmit={submit} data-testid="avsbench-form" aria-busy={busy}>
      <h2>New project from an AVSBench folder</h2>
      <label htmlFor="avsbench-release">Release folder</label>
      <FolderField id="avsbench-release" value={release} onChange={setRelease} testId="avsbench-release" placeholder="/data/AVSBench/Single-source" />
      <fieldset className="task-choice">
        <legend>Release</legend>
        {AvsFormat.options.map((f) => (
          <label key={f} className={f === format ? 'selected' : undefined}>
            <input type="radio" name="avsbench-format" value={f} checked={f === format} onChange={() => setFormat(f)} data-testid={`avsbench-format-${f}`} />
            <strong>{TASK_LABEL[f]}</strong>
            <span className="muted">{RELEASE_HINT[f]}</span>
          </label>
        ))}
      </fieldset>
      <label htmlFor="avsbench-dir">New project folder</label>
      <FolderField id="avsbench-dir" value={dir} onChange={setDir} testId="avsbench-dir" placeholder="/path/to/new-project" />
      <label htmlFor="avsbench-name">Name</label>
      <input
        id="avsbench-name"
        type="text"
        value={name}
        onChange={(e) => setName(e.target.value)}
        placeholder={dir.trim() ? basename(dir.trim()) : 'optional'}
        data-testid="avsbench-name"
      />
      <p className="hint">Frames, audio, splits, categories and ground-truth masks are copied into the project; the release is left as it is.</p>
      {busy && <ImportProgressView job={job} />}
      {job.phase === 'cancelled' && (
        <p className="muted" data-testid="avsbench-cancelled">
          Import cancelled; nothing was kept, and the project folder can be used again.
        </p>
      )}
      <ErrorNote error={job.error} testId="avsbench-error" />
      <div className="actions">
        <button type="submit" className="primary" disabled={!release.trim() || !dir.trim() || busy} data-testid="avsbench-submit">
          {busy ? 'Importing…' : 'Import release'}
        </button>
      </div>
    </form>
  )
}

function ImportProgressView({ job }: { job: AvsbenchImportJobState }) {
  const p = job.progress
  const importing = p?.stage === 'importing' || p?.stage === 'done'
  const fraction = importing && p.total ? p.clips / p.total : 0
  return (
    <div className="dataset-progress" data-testid="avsbench-progress" data-stage={p?.stage ?? 'starting'}>
      <div className="import-row-head">
        <span className="import-name">{importing ? 'Importing' : 'Checking the release files'}</span>
        <span className="import-stage" data-testid="avsbench-progress-clips" data-clips={p?.clips ?? 0} data-total={p?.total ?? 0}>
          {importing ? `${p.clips} / ${p.total} clips` : ''}
        </span>
      </div>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <div className="progress-fill" style={{ width: `${Math.max(2, fraction * 100)}%` }} />
      </div>
      <p className="hint">Every frame, mask and audio file is read and checked; a full release takes minutes. Cancelling leaves no project behind.</p>
      <div className="actions">
        <button type="button" className="danger" onClick={job.cancel} disabled={!job.jobId || job.cancelling || job.phase === 'done'} data-testid="avsbench-cancel">
          {job.cancelling ? 'Cancelling…' : 'Cancel import'}
        </button>
      </div>
    </div>
  )
}
