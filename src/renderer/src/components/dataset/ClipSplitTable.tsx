import { useState } from 'react'
import { Split, type Clip, type ProjectSummary } from '../../../../shared/domain'
import { useUpdateClip } from '../../queries/dataset'
import { StatusBadge } from '../Badges'
import { ErrorNote } from '../ErrorNote'

/** Split and category of every clip, editable ('clip.update'); categories are S4 folder names. */
export function ClipSplitTable({ project, clips, needsCategory }: { project: ProjectSummary; clips: Clip[]; needsCategory: boolean }) {
  const update = useUpdateClip(project.dir)
  const [bulk, setBulk] = useState<Split | ''>('')
  const [bulkBusy, setBulkBusy] = useState(false)
  const applyToAll = (): void => {
    setBulkBusy(true)
    const split = bulk || null
    void Promise.all(clips.filter((c) => c.split !== split).map((c) => update.mutateAsync({ clipId: c.id, split })))
      .catch(() => undefined)
      .finally(() => setBulkBusy(false))
  }
  const categories = [...new Set(clips.map((c) => c.category).filter((c): c is string => !!c))].sort()
  if (!clips.length) return <p className="muted">No clips yet.</p>
  return (
    <div className="dataset-cliptable-wrap">
      <div className="dataset-bulk">
        <label>
          Every clip’s split:{' '}
          <select value={bulk} onChange={(e) => setBulk(e.target.value as Split | '')} data-testid="export-bulk-split">
            <option value="">by ratio (clear the splits)</option>
            {Split.options.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={applyToAll} disabled={bulkBusy} data-testid="export-bulk-apply">
          {bulkBusy ? 'Saving…' : `Apply to ${clips.length === 1 ? 'the clip' : `all ${clips.length} clips`}`}
        </button>
      </div>
      <ErrorNote error={update.error} testId="clip-update-error" />
      <table className="dataset-table" data-testid="export-clip-table">
        <thead>
          <tr>
            <th>Clip</th>
            <th>Status</th>
            <th>Split</th>
            <th>Category{needsCategory && <span className="muted"> (S4: required)</span>}</th>
          </tr>
        </thead>
        <tbody>
          {clips.map((c) => (
            <tr key={c.id} data-testid="export-clip-row" data-clip-id={c.id}>
              <td className="dataset-clipname" title={c.videoName}>
                {c.name}
              </td>
              <td>
                <StatusBadge status={c.status} />
              </td>
              <td>
                <select
                  value={c.split ?? ''}
                  onChange={(e) => update.mutate({ clipId: c.id, split: e.target.value ? (e.target.value as Split) : null })}
                  data-testid="export-clip-split"
                  aria-label={`Split of ${c.name}`}
                >
                  <option value="">by ratio</option>
                  {Split.options.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <CategoryInput key={c.category ?? ''} clip={c} missing={needsCategory && !c.category} onCommit={(category) => update.mutate({ clipId: c.id, category })} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <datalist id="dataset-categories">
        {categories.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
    </div>
  )
}

function CategoryInput({ clip, missing, onCommit }: { clip: Clip; missing: boolean; onCommit: (category: string | null) => void }) {
  const [text, setText] = useState(clip.category ?? '')
  const commit = (): void => {
    const v = text.trim().replace(/\s+/g, '_')
    if (v !== text) setText(v)
    if ((v || null) !== clip.category) onCommit(v || null)
  }
  return (
    <input
      type="text"
      className={missing ? 'dataset-missing' : undefined}
      value={text}
      list="dataset-categories"
      placeholder={missing ? 'needed for S4' : 'e.g. dog_barking'}
      onChange={(e) => setText(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault()
          commit()
        }
      }}
      spellCheck={false}
      data-testid="export-clip-category"
      aria-label={`Category of ${clip.name}`}
    />
  )
}
