import { z } from 'zod'

/** Execution providers of onnxruntime-node the app can ask for. */
export const ProviderId = z.enum(['cpu', 'webgpu', 'cuda', 'dml', 'coreml'])
export type ProviderId = z.infer<typeof ProviderId>
export const ProviderChoice = z.enum(['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'])
export type ProviderChoice = z.infer<typeof ProviderChoice>

export const ProviderInfo = z.object({
  id: ProviderId,
  label: z.string(),
  available: z.boolean(),
  reason: z.string().nullable()
})
export type ProviderInfo = z.infer<typeof ProviderInfo>

/** A model of the registry: shipped with the app or dropped into the user models folder. */
export const ModelInfo = z.object({
  id: z.string(),
  origin: z.enum(['shipped', 'user']),
  onnxPath: z.string(),
  valid: z.boolean(),
  /** Why the model was refused; null when valid. */
  reason: z.string().nullable(),
  name: z.string().nullable(),
  version: z.string().nullable(),
  task: z.enum(['binary', 'semantic']).nullable(),
  clipFrames: z.number().int().nullable(),
  inputSize: z.tuple([z.number().int(), z.number().int()]).nullable(),
  classes: z.array(z.string()).nullable(),
  metrics: z.record(z.string(), z.unknown()).nullable(),
  /** The weights' licence (SPDX) from the card; null when the card names none (then the app's own). */
  license: z.string().nullable(),
  licenseNote: z.string().nullable(),
  /** The card's one line for the model picker (what it is for, speed, measured quality); null when it has none. */
  summary: z.string().nullable(),
  /** Where the weights come from (package, checksums, original authors), as the card says. */
  source: z.record(z.string(), z.unknown()).nullable(),
  /** The card marks it the default model: listed first, taken when no model is chosen. */
  isDefault: z.boolean(),
  /** With `isDefault`: the default only where one clip runs in under this many seconds (card `default_max_clip_seconds`); null: always. */
  defaultMaxClipSeconds: z.number().nullable(),
  /** One clip's inference time measured on this computer with the current provider and threads settings, where it was (only models with `defaultMaxClipSeconds` are timed). */
  clipSeconds: z.object({ seconds: z.number(), provider: ProviderId }).nullable(),
  sizeBytes: z.number().int()
})
export type ModelInfo = z.infer<typeof ModelInfo>

/** The app's own licence (SPDX), as package.json and LICENSE state it. */
export const APP_LICENSE = 'AGPL-3.0-or-later'

/** A model's licence in words: its card's, else the app's for a shipped model this project trained. */
export function modelLicenseText(m: Pick<ModelInfo, 'license' | 'origin'>): string {
  if (m.license) return m.license
  return m.origin === 'shipped' ? 'same as the app (trained by this project)' : 'not stated in its card'
}

/** Where a model's weights come from, from its card's `source` (package, original authors); null when it says neither. */
export function modelSourceText(m: Pick<ModelInfo, 'source'>): string | null {
  const field = (k: string): string | null => {
    const v = m.source?.[k]
    return typeof v === 'string' && v ? v : null
  }
  const pkg = field('package')
  const origin = field('weights_origin')
  const parts = [pkg && `from ${pkg}`, origin && `originally ${origin}`].filter((p): p is string => !!p)
  return parts.length ? `weights ${parts.join(', ')}` : null
}

export const InferenceSettings = z.object({
  provider: ProviderChoice,
  /** Model used when a job names none; null = the first valid model that fits the project. */
  modelId: z.string().nullable(),
  /** CPU threads; null = chosen for the machine. */
  threads: z.number().int().min(1).max(256).nullable()
})
export type InferenceSettings = z.infer<typeof InferenceSettings>

export const JobStatus = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'])
export type JobStatus = z.infer<typeof JobStatus>

/** A segmentation job as the UI sees it; also the payload of 'job.progress'. */
export const JobInfo = z.object({
  id: z.string(),
  kind: z.literal('segment'),
  status: JobStatus,
  /** Clips in the job and clips finished (stored or failed), in order. */
  total: z.number().int(),
  done: z.number().int(),
  clipIds: z.array(z.number().int()),
  /** The clip being segmented now. */
  currentClipId: z.number().int().nullable(),
  model: z.string().nullable(),
  /** The provider that ran (after any fallback) and the one asked for. */
  provider: ProviderId.nullable(),
  requestedProvider: ProviderChoice,
  fallbackReason: z.string().nullable(),
  replaceEdits: z.boolean(),
  /** AVSS with a binary model: the class its masks take (null: each clip's category, or not an AVSS job of a binary model). */
  className: z.string().nullable(),
  /** Frames left alone because a person edited or accepted them. */
  skippedFrames: z.number().int(),
  failedClips: z.number().int(),
  elapsedMs: z.number(),
  remainingMs: z.number().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string()
})
export type JobInfo = z.infer<typeof JobInfo>

export const SegmentRequest = z.object({
  /** All clips of the project when absent. */
  clipIds: z.array(z.number().int()).min(1).optional(),
  modelId: z.string().min(1).optional(),
  provider: ProviderChoice.optional(),
  /** Also overwrite frames a person edited or accepted. */
  replaceEdits: z.boolean().optional(),
  /**
   * AVSS project with a binary model (it marks what sounds, not what it is): the AVSS class its masks
   * take. Absent: each clip's category, where that names an AVSS class.
   */
  className: z.string().min(1).optional()
})
export type SegmentRequest = z.infer<typeof SegmentRequest>
