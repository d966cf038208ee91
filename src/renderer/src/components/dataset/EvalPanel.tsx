import { useState } from 'react'
import type { ProjectSummary } from '../../../../shared/domain'
import { plural } from '../../format'
import { useProjectEval } from '../../queries/dataset'
import { ErrorNote } from '../ErrorNote'
import { Modal } from '../Modal'
import { compareEvalRows, formatScore, type EvalSortKey } from './datasetLogic'
import './dataset.css'

const COLUMNS: Array<{ key: EvalSortKey; label: string; title: string }> = [
  { key: 'clip', label: 'Clip', title: 'Clip name' },
  { key: 'frames', label: 'Frames', title: 'Frames with both a model mask and a human (or imported) mask' },
  { key: 'miou', label: 'J (mIoU)', title: 'Jaccard index: the official mask_iou (S4/MS3) or class mIoU (AVSS)' },
  { key: 'fscore', label: 'F', title: 'F-score, β² = 0.3' }
]

/**
 * The model's masks against the human-corrected ones ('eval.project'): J and F for the project and
 * per clip, worst clip first, each row opening its clip.
 */
export function EvalPanel({ project, onOpenClip, onClose }: { project: ProjectSummary; onOpenClip: (clipId: number) => void; onClose: () => void }) {
  const evaluation = useProjectEval(project.dir, true)
  const [sort, setSort] = useState<{ key: EvalSortKey; dir: 1 | -1 }>({ key: 'miou', dir: 1 })
  const r = evaluation.data
  const rows = r ? r.clips.slice().sort(compareEvalRows(sort.key, sort.dir)) : []
  const toggle = (key: EvalSortKey): void => setSort((s) => (s.key === key ? { key, dir: s.dir === 1 ? -1 : 1 } : { key, dir: key === 'frames' ? -1 : 1 }))
  return (
    <Modal title="Evaluate the model" onClose={onClose} testId="eval-panel" wide>
      <p className="hint">
        The model’s masks against the human-corrected (or imported) masks of the same frames, with the official AVSBench metrics. Low J: the model got
        the clip wrong.
      </p>
      {evaluation.isFetching && !r && <p className="muted">Scoring every frame…</p>}
      <ErrorNote error={evaluation.error} testId="eval-error" />
      {r && (
        <div data-testid="eval-result" data-updated={evaluation.dataUpdatedAt}>
          <div className="dataset-scores">
            <div data-testid="eval-project-miou" data-value={r.project.miou ?? ''}>
              <strong>{formatScore(r.project.miou)}</strong>
              <span className="muted">J (mIoU)</span>
            </div>
            <div data-testid="eval-project-fscore" data-value={r.project.fscore ?? ''}>
              <strong>{formatScore(r.project.fscore)}</strong>
              <span className="muted">F-score</span>
            </div>
            <div data-testid="eval-project-frames" data-value={r.project.frames}>
              <strong>{r.project.frames}</strong>
              <span className="muted">
                {r.project.frames === 1 ? 'frame' : 'frames'} in {plural(r.clips.length, 'clip')}
              </span>
            </div>
          </div>
          {r.clips.length === 0 ? (
            <p className="empty" data-testid="eval-empty">
              No frame has both a model mask and a human mask yet. Auto-segment clips or import predictions, then correct and accept the masks.
            </p>
          ) : (
            <div className="dataset-table-scroll">
              <table className="dataset-table dataset-eval-table" data-testid="eval-table">
                <thead>
                  <tr>
                    {COLUMNS.map((c) => (
                      <th key={c.key} aria-sort={sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'} className={c.key === 'clip' ? undefined : 'num'}>
                        <button type="button" className="ghost dataset-sort" onClick={() => toggle(c.key)} title={c.title} data-testid={`eval-sort-${c.key}`}>
                          {c.label}
                          {sort.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
                        </button>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((c) => (
                    <tr
                      key={c.clipId}
                      className="dataset-eval-row"
                      onClick={() => onOpenClip(c.clipId)}
                      data-testid="eval-row"
                      data-clip-id={c.clipId}
                      data-clip={c.clip}
                      data-miou={c.miou ?? ''}
                      data-fscore={c.fscore ?? ''}
                      data-frames={c.frames}
                    >
                      <td>
                        <button type="button" className="link" data-testid="eval-open-clip" title={`Open ${c.clip}`}>
                          {c.clip}
                        </button>
                      </td>
                      <td className="num">{c.frames}</td>
                      <td className="num">
                        <ScoreBar value={c.miou} />
                      </td>
                      <td className="num">
                        <ScoreBar value={c.fscore} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
      <div className="actions">
        <button type="button" onClick={() => void evaluation.refetch()} disabled={evaluation.isFetching} data-testid="eval-rerun">
          {evaluation.isFetching ? 'Scoring…' : 'Evaluate again'}
        </button>
        <button type="button" className="primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  )
}

function ScoreBar({ value }: { value: number | null }) {
  return (
    <span className="dataset-score">
      {value !== null && (
        <span className="dataset-score-bar" aria-hidden>
          <span style={{ width: `${Math.max(0, Math.min(1, value)) * 100}%` }} />
        </span>
      )}
      {formatScore(value)}
    </span>
  )
}
