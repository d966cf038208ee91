import type { ClipFlag, ReviewStatus } from '../../../shared/domain'
import { FLAG_LABEL, STATUS_LABEL } from '../format'

export function StatusBadge({ status }: { status: ReviewStatus }) {
  return (
    <span className={`badge status-${status}`} data-testid="status-badge">
      {STATUS_LABEL[status]}
    </span>
  )
}

export function FlagBadges({ flags }: { flags: readonly ClipFlag[] }) {
  if (!flags.length) return null
  return (
    <span className="flags">
      {flags.map((f) => (
        <span key={f} className={`badge flag flag-${f}`} title={FLAG_LABEL[f].title} data-testid="flag-badge" data-flag={f}>
          {FLAG_LABEL[f].label}
        </span>
      ))}
    </span>
  )
}
