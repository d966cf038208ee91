import type { ProjectSummary } from '../../../../shared/domain'
import { useFrameRevisions } from '../../queries/segment'
import './segment.css'

/**
 * Where the current frame's mask comes from: the model (which one, its confidence) or a person
 * (with the model's mask kept for "Revert to model"), or no mask yet.
 */
export function FrameModelInfo({ project, frameId }: { project: ProjectSummary; frameId: number }) {
  const revisions = useFrameRevisions(project.dir, frameId)
  const list = revisions.data
  if (!list) return null
  // Revisions come oldest first or newest first depending on the store; order by revision number.
  const sorted = [...list].sort((a, b) => b.revision - a.revision)
  const latest = sorted[0]
  const model = sorted.find((r) => r.source === 'model')
  if (!latest)
    return (
      <span className="frame-model muted" data-testid="frame-model" data-source="none">
        no mask yet
      </span>
    )
  const source = latest.source
  const confidence = model?.confidence ?? null
  return (
    <span
      className={`frame-model source-${source}`}
      data-testid="frame-model"
      data-source={source}
      data-model={model?.model ?? ''}
      data-confidence={confidence ?? ''}
      title={model ? `Model mask by ${model.model ?? 'a model'} (${new Date(model.createdAt).toLocaleString()})` : undefined}
    >
      <span className={`badge mask-source mask-source-${source}`}>{source === 'model' ? 'model mask' : source === 'import' ? 'imported mask' : 'edited by a person'}</span>
      {model && (
        <span className="muted">
          {' '}
          {model.model ?? 'model'}
          {confidence !== null && (
            <>
              {' · confidence '}
              <strong data-testid="frame-confidence">{(confidence * 100).toFixed(0)} %</strong>
            </>
          )}
        </span>
      )}
    </span>
  )
}
