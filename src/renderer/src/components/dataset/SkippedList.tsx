import type { Skipped } from '../../../../shared/avsbench'
import { plural } from '../../format'

/** Clips left out of an import or export, each with its reason; folded when long. */
export function SkippedList({ skipped, testId }: { skipped: Skipped[]; testId: string }) {
  if (!skipped.length) return null
  const list = (
    <ul className="dataset-skipped">
      {skipped.map((s, i) => (
        <li key={`${i}:${s.clip}`} data-testid={`${testId}-item`} data-clip={s.clip}>
          <strong>{s.clip}</strong> <span className="muted">— {s.reason}</span>
        </li>
      ))}
    </ul>
  )
  return (
    <div className="dataset-skipped-box" data-testid={testId} data-count={skipped.length}>
      {skipped.length > 8 ? (
        <details>
          <summary>{plural(skipped.length, 'clip')} skipped</summary>
          {list}
        </details>
      ) : (
        <>
          <h3>{plural(skipped.length, 'clip')} skipped</h3>
          {list}
        </>
      )}
    </div>
  )
}

/** Warnings of an import (unknown mask colours, folders matching no clip). */
export function WarningList({ warnings, testId }: { warnings: string[]; testId: string }) {
  if (!warnings.length) return null
  return (
    <ul className="dataset-warnings" data-testid={testId} data-count={warnings.length}>
      {warnings.map((w, i) => (
        <li key={i}>{w}</li>
      ))}
    </ul>
  )
}
