import type { ProjectSummary } from '../../../../shared/domain'
import type { JobStatus, ModelInfo, ProviderChoice } from '../../../../shared/inference'

export const PROVIDER_LABEL: Record<ProviderChoice, string> = { auto: 'Auto', cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML' }

export const JOB_STATUS_LABEL: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted'
}

/** Milliseconds as "42 s", "3 min 05 s" or "1 h 02 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

/**
 * Why a valid model cannot segment this project's clips (null: it can), as the backend checks it: a
 * semantic model only for AVSS; a binary model anywhere (on AVSS its masks take the class the job
 * names); a clip of a multiple of the model's frames runs in windows of that many.
 */
export function modelMismatch(model: ModelInfo, project: ProjectSummary): string | null {
  if (!model.valid) return model.reason ?? 'refused'
  if (model.task === 'semantic' && project.task !== 'avss') return `a semantic model; this ${project.task.toUpperCase()} project needs a binary one`
  if (model.clipFrames !== null && (model.clipFrames <= 0 || project.clipSeconds % model.clipFrames !== 0)) return `takes ${model.clipFrames} frames per clip; this project's clips have ${project.clipSeconds}`
  return null
}

export const modelLabel = (m: ModelInfo): string => `${m.name ?? m.id}${m.version ? ` ${m.version}` : ''}`
