import { useRef, useState, type DragEvent, type FormEvent } from 'react'
import type { ProjectSummary } from '../../../shared/domain'
import { electronExtras } from '../apiClient'
import { parsePaths, plural } from '../format'
import { FlagBadges } from './Badges'
import { ErrorNote } from './ErrorNote'
import type { ImportJob, ImportRow, RowStage } from './useImportJob'

const STAGE_LABEL: Record<RowStage, string> = {
  uploading: 'Uploading',
  queued: 'Queued',
  probing: 'Probing',
  decoding: 'Decoding frames and audio',
  saving: 'Saving',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled'
}

export function ImportPanel({ project, job }: { project: ProjectSummary; job: ImportJob }) {
  const [text, setText] = useState('')
  const [offset, setOffset] = useState('0')
  const [offsetError, setOffsetError] = useState<string | null>(null)
  const [dragging, setDragging] = useState(false)
  const fileInput = useRef<HTMLInputElement>(null)
  const extras = electronExtras()

  const startOffset = (): number | null => {
    const v = offset.trim() === '' ? 0 : Number(offset)
    if (!Number.isFinite(v) || v < 0) {
      setOffsetError('The start offset must be a number of seconds, 0 or more')
      return null
    }
    setOffsetError(null)
    return v
  }

  const submit = (e: FormEvent): void => {
    e.preventDefault()
    const paths = parsePaths(text)
    const o = startOffset()
    if (!paths.length || o === null) return
    void job.startPaths(paths, o).then((started) => started && setText(''))
  }

  const onFiles = (files: File[]): void => {
    const o = startOffset()
    if (files.length && o !== null) void job.startFiles(files, o)
  }

  const choose = (): void => {
    if (extras) {
      const o = startOffset()
      if (o === null) return
      void extras.openVideos().then((paths) => {
        if (paths.length) void job.startPaths(paths, o)
      })
    } else fileInput.current?.click()
  }

  const onDrop = (e: DragEvent): void => {
    e.preventDefault()
    setDragging(false)
    if (!job.running) onFiles([...e.dataTransfer.files])
  }

  return (
    <section className="card import-panel" data-testid="import-panel" aria-label="Import videos">
      <h2>Import videos</h2>
      <div className="import-grid">
        <form onSubmit={submit} className="import-form">
          <label htmlFor="import-paths">Video paths, one per line</label>
          <textarea
            id="import-paths"
            rows={3}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e)
            }}
            placeholder={'/data/videos/violin.mp4\n/data/videos/dog barking.mov'}
            spellCheck={false}
            data-testid="import-paths"
          />
          <div className="import-options">
            <label htmlFor="import-offset">
              Start offset
              <input
                id="import-offset"
                type="number"
                min={0}
                step={0.1}
                value={offset}
                onChange={(e) => setOffset(e.target.value)}
                data-testid="import-offset"
              />
              s
            </label>
            <span className="hint">Cut into {project.clipSeconds} s clips from this time on.</span>
            <button type="submit" className="primary" disabled={job.running || !parsePaths(text).length} data-testid="import-submit" title="Import (Ctrl+Enter)">
              Import
            </button>
          </div>
          {offsetError && (
            <div className="error-note" role="alert">
              {offsetError}
            </div>
          )}
        </form>
        <div
          className={`dropzone${dragging ? ' dragging' : ''}${job.running ? ' disabled' : ''}`}
          onDragEnter={(e) => {
            e.preventDefault()
            setDragging(true)
          }}
          onDragOver={(e) => {
            e.preventDefault()
            e.dataTransfer.dropEffect = job.running ? 'none' : 'copy'
          }}
          onDragLeave={(e) => {
            if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false)
          }}
          onDrop={onDrop}
          data-testid="import-dropzone"
        >
          <span className="dropzone-title">Drop video files here</span>
          <span className="muted">{extras ? 'or' : 'they are copied into the project, or'}</span>
          <button type="button" onClick={choose} disabled={job.running} data-testid="import-choose">
            Choose videos…
          </button>
          <input
            ref={fileInput}
            type="file"
            accept="video/*,.mkv,.mov,.avi,.ts,.m2ts,.mts,.flv,.wmv,.mpg,.mpeg,.m4v,.webm,.3gp"
            multiple
            hidden
            onChange={(e) => {
              onFiles([...(e.target.files ?? [])])
              e.target.value = ''
            }}
          />
        </div>
      </div>
      <ErrorNote error={job.error} testId="import-start-error" />
      {job.rows.length > 0 && (
        <div className="import-rows" data-testid="import-rows">
          <ul>
            {job.rows.map((r, i) => (
              <ImportRowView key={`${i}:${r.path}`} row={r} />
            ))}
          </ul>
          <div className="actions">
            {job.running ? (
              <button type="button" className="danger" onClick={job.cancel} data-testid="import-cancel">
                Cancel import
              </button>
            ) : (
              <button type="button" className="ghost" onClick={job.clear} data-testid="import-clear">
                Dismiss
              </button>
            )}
          </div>
        </div>
      )}
    </section>
  )
}

function ImportRowView({ row }: { row: ImportRow }) {
  const finished = row.stage === 'done' || row.stage === 'failed' || row.stage === 'cancelled'
  return (
    <li className={`import-row stage-${row.stage}`} data-testid={finished ? 'import-result' : 'import-progress'} data-stage={row.stage} data-path={row.path}>
      <div className="import-row-head">
        <span className="import-name" title={row.path}>
          {row.name}
        </span>
        <span className="import-stage">
          {STAGE_LABEL[row.stage]}
          {!finished && ` ${Math.round(row.fraction * 100)}%`}
          {row.stage === 'done' && ` · ${plural(row.clips, 'clip')}`}
        </span>
        <FlagBadges flags={row.flags} />
      </div>
      {!finished && (
        <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(row.fraction * 100)}>
          <div className="progress-fill" style={{ width: `${Math.max(2, row.fraction * 100)}%` }} />
        </div>
      )}
      {row.warning && (
        <div className="warn-note" role="status" data-testid="import-warning">
          {row.warning}
        </div>
      )}
      {row.error && row.stage !== 'cancelled' && (
        <div className="error-note" role="alert" data-testid="import-error">
          {row.error}
        </div>
      )}
    </li>
  )
}
