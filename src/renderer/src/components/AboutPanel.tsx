import { useEffect, useRef, useState, type FormEvent } from 'react'
import type { AppInfo, Settings } from '../../../shared/domain'
import { modelLicenseText, modelSourceText, type ModelInfo } from '../../../shared/inference'
import { getApi } from '../apiClient'
import { useAppInfo, useSaveSettings, useSettings } from '../queries/api'
import { useModels } from '../queries/segment'
import { ErrorNote } from './ErrorNote'
import { modelLabel } from './segment/labels'

const SOURCE_LABEL: Record<string, string> = {
  setting: 'from the setting below',
  env: 'from the environment (FFMPEG_PATH / FFPROBE_PATH)',
  bundled: 'bundled with the app',
  system: 'from PATH'
}

/** About and diagnostics: versions, licence, the models and their licences, the resolved ffmpeg/ffprobe, and their path overrides. */
export function AboutPanel({ onClose }: { onClose: () => void }) {
  const info = useAppInfo()
  const dialog = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null
    dialog.current?.focus()
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault()
        onClose()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => {
      window.removeEventListener('keydown', onKey)
      previous?.focus()
    }
  }, [onClose])

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal card" role="dialog" aria-modal="true" aria-labelledby="about-title" tabIndex={-1} ref={dialog} data-testid="about-panel">
        <div className="modal-head">
          <h2 id="about-title">About AVS Annotator</h2>
          <button type="button" className="ghost" onClick={onClose} aria-label="Close" data-testid="about-close">
            ✕
          </button>
        </div>
        {info.isPending && <p className="muted">Asking the app…</p>}
        <ErrorNote error={info.error} testId="about-error" />
        {info.data && <InfoTable info={info.data} />}
        <SettingsForm />
      </div>
    </div>
  )
}

function InfoTable({ info }: { info: AppInfo }) {
  const tool = (t: AppInfo['ffmpeg']) => (
    <>
      <code>{t.path}</code>
      <div className="muted">
        {t.version || 'version unknown'} · {SOURCE_LABEL[t.source] ?? t.source}
      </div>
    </>
  )
  return (
    <table className="info-table" data-testid="about-info">
      <tbody>
        <tr>
          <th>Version</th>
          <td data-testid="about-version">{info.appVersion}</td>
        </tr>
        <tr>
          <th>Mode</th>
          <td>
            {info.mode}
            {info.mode === 'browser' && <span className="muted"> · served from {window.location.host}</span>}
            <span className="muted"> · renderer transport: {getApi().mode}</span>
          </td>
        </tr>
        <tr>
          <th>Node</th>
          <td>{info.node}</td>
        </tr>
        <tr>
          <th>Platform</th>
          <td>{info.platform}</td>
        </tr>
        <tr>
          <th>ffmpeg</th>
          <td data-testid="about-ffmpeg">{tool(info.ffmpeg)}</td>
        </tr>
        <tr>
          <th>ffprobe</th>
          <td data-testid="about-ffprobe">{tool(info.ffprobe)}</td>
        </tr>
        <tr>
          <th>Licence</th>
          <td data-testid="about-license">
            AVS Annotator is free software under the GNU AGPL v3 or later.
            <div className="muted">Its source code and the full licence text (LICENSE) are in the project's repository.</div>
          </td>
        </tr>
        <tr>
          <th>Models</th>
          <td data-testid="about-models">
            <ModelLicences />
          </td>
        </tr>
      </tbody>
    </table>
  )
}

/** Every model the app found, with its licence and where its weights come from. */
function ModelLicences() {
  const models = useModels()
  if (models.error) return <ErrorNote error={models.error} testId="about-models-error" />
  if (!models.data) return <span className="muted">Checking the models…</span>
  if (!models.data.length) return <span className="muted">none installed</span>
  return (
    <>
      {models.data.map((m: ModelInfo) => {
        const source = modelSourceText(m)
        return (
          <div key={m.id} data-testid="about-model" data-model-id={m.id}>
            <strong>{m.valid ? modelLabel(m) : m.id}</strong>
            {m.isDefault && <span className="muted"> · default{m.defaultMaxClipSeconds !== null ? ` where a clip runs in under ${m.defaultMaxClipSeconds} s` : ''}</span>}
            {!m.valid && <span className="muted"> · not usable</span>}
            <span className="muted"> · licence: </span>
            <span data-testid="about-model-license">{modelLicenseText(m)}</span>
            {(source || m.licenseNote) && <div className="muted">{[source, m.licenseNote].filter(Boolean).join(' · ')}</div>}
          </div>
        )
      })}
    </>
  )
}

function SettingsForm() {
  const settings = useSettings()
  return settings.data ? <SettingsFields initial={settings.data} /> : <ErrorNote error={settings.error} testId="settings-error" />
}

function SettingsFields({ initial }: { initial: Settings }) {
  const [ffmpeg, setFfmpeg] = useState(initial.ffmpegPath ?? '')
  const [ffprobe, setFfprobe] = useState(initial.ffprobePath ?? '')
  const save = useSaveSettings()
  const submit = (e: FormEvent): void => {
    e.preventDefault()
    save.mutate({ ffmpegPath: ffmpeg.trim() || null, ffprobePath: ffprobe.trim() || null })
  }
  const dirty = ffmpeg.trim() !== (initial.ffmpegPath ?? '') || ffprobe.trim() !== (initial.ffprobePath ?? '')
  return (
    <form className="settings-form" onSubmit={submit} data-testid="settings-form">
      <h3>Settings</h3>
      <p className="hint">Leave empty to use FFMPEG_PATH / FFPROBE_PATH, else the bundled binaries.</p>
      <label htmlFor="settings-ffmpeg">ffmpeg path</label>
      <input id="settings-ffmpeg" type="text" value={ffmpeg} onChange={(e) => setFfmpeg(e.target.value)} placeholder="default" spellCheck={false} data-testid="settings-ffmpeg" />
      <label htmlFor="settings-ffprobe">ffprobe path</label>
      <input id="settings-ffprobe" type="text" value={ffprobe} onChange={(e) => setFfprobe(e.target.value)} placeholder="default" spellCheck={false} data-testid="settings-ffprobe" />
      <ErrorNote error={save.error} testId="settings-save-error" />
      <div className="actions">
        {save.isSuccess && !dirty && <span className="muted">Saved.</span>}
        <button type="submit" className="primary" disabled={!dirty || save.isPending} data-testid="settings-save">
          Save
        </button>
      </div>
    </form>
  )
}
