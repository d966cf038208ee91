import { useState, type FormEvent } from 'react'
import { AvsFormat } from '../../../../shared/avsbench'
import { TASK_LABEL, basename } from '../../format'
import { useImportAvsbench } from '../../queries/dataset'
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
  const importRelease = useImportAvsbench()
  const submit = (e: FormEvent): void => {
    e.preventDefault()
    importRelease.mutate({ dir: release.trim(), format, projectDir: dir.trim(), name: name.trim() || undefined })
  }
  return (
    <form className="card" onSubmit={submit} data-testid="avsbench-form" aria-busy={importRelease.isPending}>
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
      {importRelease.isPending && (
        <p className="muted" data-testid="avsbench-pending">
          Importing… every frame, mask and audio file is read and checked; a full release takes minutes.
        </p>
      )}
      <ErrorNote error={importRelease.error} testId="avsbench-error" />
      <div className="actions">
        <button type="submit" className="primary" disabled={!release.trim() || !dir.trim() || importRelease.isPending} data-testid="avsbench-submit">
          {importRelease.isPending ? 'Importing…' : 'Import release'}
        </button>
      </div>
    </form>
  )
}
