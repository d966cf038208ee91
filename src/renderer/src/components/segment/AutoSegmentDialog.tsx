import { useState, type FormEvent } from 'react'
import type { ProjectSummary } from '../../../../shared/domain'
import { AVSS_CLASSES } from '../../../../shared/avsClasses'
import type { ModelInfo } from '../../../../shared/inference'
import { plural } from '../../format'
import { useClassless, useDefaultModel, useInferenceSettings, useModels, useStartSegment } from '../../queries/segment'
import { ErrorNote } from '../ErrorNote'
import { Modal } from '../Modal'
import { PROVIDER_LABEL, modelLabel, modelMismatch } from './labels'
import './segment.css'

/**
 * The model a new job gets when the app cannot say (`model.default` failed): the settings' model if it
 * fits, else the first that fits (a semantic one first on AVSS), passing over a "default where fast"
 * model not timed within its limit here.
 */
export function defaultModel(models: ModelInfo[], preferred: string | null, project: ProjectSummary): ModelInfo | undefined {
  const fits = (m: ModelInfo): boolean => modelMismatch(m, project) === null
  const fastEnough = (m: ModelInfo): boolean => m.defaultMaxClipSeconds === null || (m.clipSeconds !== null && m.clipSeconds.seconds < m.defaultMaxClipSeconds)
  const native = (m: ModelInfo): boolean => m.task === (project.task === 'avss' ? 'semantic' : 'binary')
  const ordered = [...models.filter(native), ...models.filter((m) => !native(m))]
  return models.find((m) => m.id === preferred && fits(m)) ?? ordered.find((m) => fits(m) && fastEnough(m)) ?? ordered.find(fits)
}

/**
 * Starts an auto-segmentation job for some clips (or, with `clipIds` null, the whole project):
 * which model, and whether frames a person edited are replaced (default: kept). On an AVSS project a
 * binary model marks what sounds, not what it is: its masks take the class chosen here, or each
 * clip's category where that names an AVSS class.
 */
export function AutoSegmentDialog({
  project,
  clipIds,
  title,
  onClose,
  onOpenModels
}: {
  project: ProjectSummary
  clipIds: number[] | null
  title: string
  onClose: () => void
  onOpenModels?: () => void
}) {
  const models = useModels()
  const settings = useInferenceSettings()
  const start = useStartSegment(project.dir)
  const [chosen, setChosen] = useState<string | null>(null)
  const [replaceEdits, setReplaceEdits] = useState(false)
  const auto = useDefaultModel(project.dir, settings.data)
  const list = models.data ?? []
  // The app's choice for this project and computer; should asking fail, the settings' model or the first that fits.
  const fallback = auto.isError ? defaultModel(list, settings.data?.modelId ?? null, project)?.id : undefined
  const modelId = chosen ?? auto.data?.modelId ?? fallback ?? ''
  const count = clipIds?.length ?? project.clipCount
  const model = list.find((m) => m.id === modelId)
  const summary = model?.summary ?? null
  const needsClass = project.task === 'avss' && model?.task === 'binary'
  const [className, setClassName] = useState('')
  // Which clips have no class of their own, as the app decides it (category, or an imported AVSBench row's one sounding class).
  const classless = useClassless(project.dir, clipIds, needsClass)
  const missing = classless.data?.length ?? 0
  const classMissing = needsClass && className === '' && missing > 0

  const submit = (e: FormEvent): void => {
    e.preventDefault()
    // Not chosen here: the app decides at start, by the same rule as the answer shown (which may be a moment old).
    // A class goes with the model it was chosen for: the one shown.
    const withClass = needsClass && className !== ''
    const named = chosen ?? fallback ?? (withClass ? modelId : undefined)
    start.mutate({ ...(clipIds ? { clipIds } : {}), ...(named ? { modelId: named } : {}), ...(withClass ? { className } : {}), replaceEdits }, { onSuccess: onClose })
  }

  return (
    <Modal title={title} onClose={onClose} testId="segment-dialog">
      <form className="segment-form" onSubmit={submit}>
        <p className="hint">
          {plural(count, 'clip')} of {project.name}. The job runs in the background: keep working on other clips, each clip’s masks appear as soon as it is done.
        </p>
        <label htmlFor="segment-model">Model</label>
        {models.isPending && <p className="muted">Reading the models…</p>}
        <ErrorNote error={models.error} testId="segment-models-error" />
        {models.data && (
          <select id="segment-model" value={modelId} onChange={(e) => setChosen(e.target.value)} data-testid="segment-model">
            {list.length === 0 && <option value="">no model installed</option>}
            {list.length > 0 && modelId === '' && <option value="">choosing the model for this computer…</option>}
            {list.map((m) => {
              const bad = modelMismatch(m, project)
              return (
                <option key={m.id} value={m.id} disabled={bad !== null} title={bad ?? undefined}>
                  {modelLabel(m)}
                  {m.inputSize ? ` · ${m.inputSize[0]}×${m.inputSize[1]}` : ''}
                  {bad ? ` — cannot be used: ${bad}` : ''}
                </option>
              )
            })}
          </select>
        )}
        {chosen === null && auto.isPending && settings.data && (
          <p className="muted" data-testid="segment-default-pending">
            Choosing the model for this computer (the first time, one clip of the sharper model is timed: a few seconds)…
          </p>
        )}
        <ErrorNote error={auto.error} testId="segment-default-error" />
        {chosen === null && auto.data?.reason && (
          <p className="hint" data-testid="segment-default-reason">
            Why this model: {auto.data.reason}.
          </p>
        )}
        {summary && (
          <p className="hint" data-testid="segment-model-summary">
            {summary}
          </p>
        )}
        {needsClass && (
          <>
            <label htmlFor="segment-class">Class of the masks</label>
            <select id="segment-class" value={className} onChange={(e) => setClassName(e.target.value)} data-testid="segment-class">
              <option value="">each clip’s own class{missing ? ` (${missing} of ${plural(count, 'clip')} ${missing === 1 ? 'has' : 'have'} none)` : ''}</option>
              {/* A class: for the clips that have none of their own. */}
              {AVSS_CLASSES.slice(1).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
            <p className="hint" data-testid="segment-class-hint">
              {modelLabel(model!)} is a binary model: it marks what sounds, not what it is, so its masks take a class: a clip’s own class (its category where that names an AVSS class, or the one sounding class of an imported AVSBench clip), else the class chosen here. Give another sounding object its own class with the class picker and fill.
              {missing > 0 && className === '' && ` Choose a class: ${plural(missing, 'clip')} ${missing === 1 ? 'has' : 'have'} no class of ${missing === 1 ? 'its' : 'their'} own.`}
            </p>
            <ErrorNote error={classless.error} testId="segment-classless-error" />
          </>
        )}
        <label className="checkbox">
          <input type="checkbox" checked={replaceEdits} onChange={(e) => setReplaceEdits(e.target.checked)} data-testid="segment-replace-edits" /> Replace edits
          <span className="muted"> — also overwrite frames a person edited, accepted or rejected (off: those are kept; the model’s mask stays available through “Revert to model”)</span>
        </label>
        <p className="hint" data-testid="segment-provider">
          Runs on: {PROVIDER_LABEL[settings.data?.provider ?? 'auto']}
          {onOpenModels && (
            <>
              {' '}
              ·{' '}
              <button type="button" className="link" onClick={onOpenModels}>
                change…
              </button>
            </>
          )}
        </p>
        <ErrorNote error={start.error} testId="segment-error" />
        <div className="actions">
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={start.isPending || !modelId || (chosen === null && auto.isFetching) || count === 0 || classMissing} data-testid="segment-start">
            Auto-segment {plural(count, 'clip')}
          </button>
        </div>
      </form>
    </Modal>
  )
}
