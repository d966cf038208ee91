import type { ProjectSummary, ReviewStatus } from '../../../shared/domain'
import { STATUS_LABEL } from '../format'
import { useProjectStats } from '../queries/api'
import { ErrorNote } from './ErrorNote'

const ORDER: ReviewStatus[] = ['unreviewed', 'auto', 'edited', 'accepted', 'rejected']

function Bar({ counts, testId }: { counts: Record<string, number>; testId: string }) {
  const total = ORDER.reduce((n, s) => n + (counts[s] ?? 0), 0)
  return (
    <div className="status-bar-wrap" data-testid={testId} data-total={total}>
      <div className="status-bar" aria-hidden>
        {total > 0 && ORDER.map((s) => (counts[s] ? <span key={s} className={`status-${s}`} style={{ flex: counts[s] }} /> : null))}
      </div>
      <ul className="status-counts">
        {ORDER.map((s) => (
          <li key={s} data-status={s} data-count={counts[s] ?? 0}>
            <span className={`status-dot status-${s}`} /> {STATUS_LABEL[s]} <strong>{counts[s] ?? 0}</strong>
          </li>
        ))}
      </ul>
    </div>
  )
}

/** Review progress of the project: clips and frames by status, share reviewed, how much the model was corrected. */
export function Dashboard({ project }: { project: ProjectSummary }) {
  const stats = useProjectStats(project.dir)
  const s = stats.data
  return (
    <section className="card dashboard" data-testid="dashboard" aria-label="Review progress">
      <h2>Review</h2>
      <ErrorNote error={stats.error} />
      {s && (
        <div className="dashboard-grid">
          <div>
            <h3>Clips</h3>
            <Bar counts={s.clipsByStatus} testId="stats-clips" />
          </div>
          <div>
            <h3>Frames</h3>
            <Bar counts={s.framesByStatus} testId="stats-frames" />
          </div>
          <div className="dashboard-numbers">
            <div data-testid="stats-reviewed" data-value={s.reviewedShare}>
              <strong>{(s.reviewedShare * 100).toFixed(1)} %</strong> <span className="muted">of frames reviewed (accepted or rejected)</span>
            </div>
            <div data-testid="stats-jaccard" data-value={s.meanModelJaccard ?? ''}>
              <strong>{s.meanModelJaccard === null ? '—' : s.meanModelJaccard.toFixed(3)}</strong>{' '}
              <span className="muted">
                mean Jaccard of the model's mask vs the ground truth (newest human or imported mask)
                {s.comparedFrames ? ` over ${s.comparedFrames} frame${s.comparedFrames === 1 ? '' : 's'}` : ': no frame has both yet'}
              </span>
            </div>
          </div>
        </div>
      )}
    </section>
  )
}
