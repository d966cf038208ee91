import { useState, type FormEvent } from 'react'
import type { ProjectSummary } from '../../../../shared/domain'
import { modelLicenseText, type ModelInfo, type ProviderChoice } from '../../../../shared/inference'
import { useAddModel, useInferenceSettings, useModels, useProviders, useRetimeModels, useSetInferenceSettings } from '../../queries/segment'
import { ErrorNote } from '../ErrorNote'
import { Modal } from '../Modal'
import { PROVIDER_LABEL, modelLabel, modelMismatch } from './labels'
import './segment.css'

const formatMetric = (v: unknown): string | null => (typeof v === 'number' ? v.toFixed(3) : null)

/** What a model card says it scored, e.g. "S4 J 0.789 · F 0.893" (cards nest metrics per setting). */
function metricsLine(m: ModelInfo): string | null {
  if (!m.metrics) return null
  const parts: string[] = []
  for (const [k, v] of Object.entries(m.metrics)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>
      const j = formatMetric(o.J ?? o.miou ?? o.mIoU)
      const f = formatMetric(o.F ?? o.fscore)
      if (j || f) parts.push(`${k.replace(/_/g, ' ')} ${[j && `J ${j}`, f && `F ${f}`].filter(Boolean).join(' · ')}`)
    }
    if (parts.length >= 3) break
  }
  return parts.length ? parts.join(' · ') : null
}

/** Inference settings: execution provider (with what this machine offers), default model, models and their problems, adding a model. */
export function ModelsDialog({ project, onClose }: { project: ProjectSummary | null; onClose: () => void }) {
  const providers = useProviders()
  const settings = useInferenceSettings()
  const models = useModels()
  const save = useSetInferenceSettings()
  const add = useAddModel()
  const retime = useRetimeModels()
  const [path, setPath] = useState('')
  // The provider just clicked, shown checked in the same event (React restores a controlled radio at
  // once, before any query update lands) until the server has answered; then the settings query says.
  const [picked, setPicked] = useState<ProviderChoice | null>(null)
  const current = settings.data
  const shownProvider = picked ?? current?.provider

  const submitAdd = (e: FormEvent): void => {
    e.preventDefault()
    const p = path.trim().replace(/^(['"])(.*)\1$/, '$2')
    if (p) add.mutate(p, { onSuccess: () => setPath('') })
  }

  const choices: ProviderChoice[] = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml']
  const byId = new Map((providers.data ?? []).map((p) => [p.id, p]))

  return (
    <Modal title="Models and execution provider" onClose={onClose} testId="models-dialog" wide>
      <ErrorNote error={settings.error ?? providers.error} testId="models-settings-error" />
      <section className="models-section">
        <h3>Execution provider</h3>
        <p className="hint">Where the model runs. Auto picks CUDA if installed, else WebGPU, else CPU; a GPU provider that fails falls back to CPU and the job says why.</p>
        <div className="provider-choices" role="radiogroup" aria-label="Execution provider" data-testid="provider-choices">
          {choices.map((id) => {
            const info = id === 'auto' ? null : byId.get(id)
            const available = id === 'auto' || id === 'cpu' || (info?.available ?? false)
            const reason = id === 'auto' ? null : (info?.reason ?? (providers.isPending ? 'checking…' : null))
            return (
              <label key={id} className={`provider-choice${available ? '' : ' unavailable'}`} data-testid="provider-choice" data-provider={id} data-available={available ? 'true' : 'false'}>
                <input
                  type="radio"
                  name="provider"
                  value={id}
                  checked={shownProvider === id}
                  disabled={!current || !available}
                  onChange={() => {
                    setPicked(id)
                    save.mutate({ provider: id }, { onSettled: () => setPicked(null) })
                  }}
                  data-testid={`provider-${id}`}
                />{' '}
                <strong>{PROVIDER_LABEL[id]}</strong>
                {!available && reason && (
                  <span className="muted provider-reason" data-testid="provider-reason">
                    {' '}
                    — {reason}
                  </span>
                )}
              </label>
            )
          })}
        </div>
        {current && (
          <label className="threads">
            CPU threads{' '}
            <input
              type="number"
              min={1}
              max={256}
              placeholder="auto"
              defaultValue={current.threads ?? ''}
              onBlur={(e) => {
                const v = e.target.value.trim() === '' ? null : Number(e.target.value)
                if (v === current.threads || (v !== null && (!Number.isInteger(v) || v < 1 || v > 256))) return
                save.mutate({ threads: v })
              }}
              data-testid="settings-threads"
            />
          </label>
        )}
        <ErrorNote error={save.error} testId="models-save-error" />
      </section>

      <section className="models-section">
        <h3>Models</h3>
        {models.isPending && <p className="muted">Checking the models (card, graph, checksum)…</p>}
        <ErrorNote error={models.error} testId="models-error" />
        {models.data && models.data.length === 0 && <p className="muted">No model is installed. Add one below.</p>}
        {models.data && models.data.length > 0 && (
          <table className="models-table" data-testid="models-table">
            <thead>
              <tr>
                <th>Default</th>
                <th>Model</th>
                <th>Input</th>
                <th>Scores (card)</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>
                  <input type="radio" name="default-model" checked={current?.modelId === null} disabled={!current} onChange={() => save.mutate({ modelId: null })} data-testid="model-default-auto" />
                </td>
                <td colSpan={4} className="muted">
                  a default that fits the project: the one its latest model masks came from, else the first in this list (on an AVSS project a semantic model before a binary one; a model marked “default where fast” only where one clip runs in time on this computer)
                </td>
              </tr>
              {models.data.map((m) => {
                const misfit = project && m.valid ? modelMismatch(m, project) : null
                return (
                  <tr key={m.id} data-testid="model-row" data-model-id={m.id} data-valid={m.valid ? 'true' : 'false'} className={m.valid ? undefined : 'refused'}>
                    <td>
                      <input type="radio" name="default-model" checked={current?.modelId === m.id} disabled={!current || !m.valid} onChange={() => save.mutate({ modelId: m.id })} aria-label={`Use ${m.id} by default`} />
                    </td>
                    <td>
                      <strong>{m.valid ? modelLabel(m) : m.id}</strong>
                      {m.isDefault && m.defaultMaxClipSeconds === null && (
                        <>
                          {' '}
                          <span
                            className="badge"
                            title="Its card marks it a default: taken when no model is chosen, unless a model marked “default where fast” runs a clip in time on this computer or the project’s masks came from another default"
                            data-testid="model-card-default"
                          >
                            default
                          </span>
                        </>
                      )}
                      {m.isDefault && m.defaultMaxClipSeconds !== null && (
                        <>
                          {' '}
                          <span
                            className="badge"
                            title={`Its card makes it the default where one clip runs in under ${m.defaultMaxClipSeconds} s; it is timed once on this computer when a job first needs the default`}
                            data-testid="model-card-default-fast"
                          >
                            default where fast
                          </span>
                          <div className="muted" data-testid="model-clip-seconds">
                            {m.clipSeconds
                              ? `one clip here: ${m.clipSeconds.seconds.toFixed(2)} s on ${PROVIDER_LABEL[m.clipSeconds.provider]} (${m.clipSeconds.seconds < m.defaultMaxClipSeconds ? `under ${m.defaultMaxClipSeconds} s: fast enough to be the default here` : `over ${m.defaultMaxClipSeconds} s: not the default here`})`
                              : `not timed on this computer yet (the default where one clip runs in under ${m.defaultMaxClipSeconds} s)`}
                            {m.clipSeconds && (
                              <>
                                {' '}
                                <button
                                  type="button"
                                  className="link"
                                  disabled={retime.isPending}
                                  onClick={() => retime.mutate()}
                                  title="Forget this computer's clip times: the next job that needs the default times the model again (after a time taken while the computer was busy, or a new GPU driver)"
                                  data-testid="model-retime"
                                >
                                  time again
                                </button>
                              </>
                            )}
                          </div>
                        </>
                      )}
                      <div className="muted">
                        {m.origin === 'shipped' ? 'shipped' : 'added'} · {(m.sizeBytes / 1e6).toFixed(1)} MB
                        {m.task && ` · ${m.task}`}
                        {m.clipFrames !== null && ` · ${m.clipFrames} frames`}
                      </div>
                      {m.summary && (
                        <div className="muted" data-testid="model-summary">
                          {m.summary}
                        </div>
                      )}
                      <div className="muted" data-testid="model-license">
                        licence: {modelLicenseText(m)}
                      </div>
                    </td>
                    <td>{m.inputSize ? `${m.inputSize[0]}×${m.inputSize[1]}` : '—'}</td>
                    <td className="muted">{metricsLine(m) ?? '—'}</td>
                    <td>
                      {m.valid ? (
                        misfit ? (
                          <span className="muted" data-testid="model-misfit">
                            usable, not for this project: {misfit}
                          </span>
                        ) : (
                          <span className="badge ok-badge">ready</span>
                        )
                      ) : (
                        <span className="model-refused" data-testid="model-reason">
                          refused: {m.reason}
                        </span>
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </section>

      <section className="models-section">
        <h3>Add model…</h3>
        <form onSubmit={submitAdd} className="model-add">
          <label htmlFor="model-add-path">Path of a .onnx file (its .model.json card must lie beside it); it is checked, then copied into your models folder.</label>
          <div className="model-add-row">
            <input id="model-add-path" type="text" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/my-model.onnx" spellCheck={false} data-testid="model-add-path" />
            <button type="submit" className="primary" disabled={!path.trim() || add.isPending} data-testid="model-add">
              {add.isPending ? 'Checking…' : 'Add model'}
            </button>
          </div>
          <ErrorNote error={add.error} testId="model-add-error" />
          {add.isSuccess && add.data && (
            <div className="muted" data-testid="model-added">
              Added {modelLabel(add.data)}.
            </div>
          )}
        </form>
      </section>
    </Modal>
  )
}
