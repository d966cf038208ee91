import { z } from 'zod'
import { ProjectSummary } from './domain'

/** AVSBench release formats (spec avsbench-format §1). */
export const AvsFormat = z.enum(['s4', 'ms3', 'avss'])
export type AvsFormat = z.infer<typeof AvsFormat>

export const Skipped = z.object({ clip: z.string(), reason: z.string() })
export type Skipped = z.infer<typeof Skipped>

export const ExportRequest = z.object({
  format: AvsFormat,
  out: z.string().min(1),
  /** 'accepted' (default): frames whose review status is accepted; 'all': any frame with a mask. */
  frames: z.enum(['accepted', 'all']).optional(),
  /** train/val/test weights for clips without a split; assignment is a stable hash of name + seed. */
  splitRatio: z.tuple([z.number().min(0), z.number().min(0), z.number().min(0)]).refine((r) => r[0] + r[1] + r[2] > 0, 'needs a positive weight').optional(),
  seed: z.number().int().optional(),
  overwrite: z.boolean().optional()
})
export type ExportRequest = z.infer<typeof ExportRequest>

export const ExportReport = z.object({
  format: AvsFormat,
  out: z.string(),
  clips: z.number().int(),
  frames: z.number().int(),
  masks: z.number().int(),
  skipped: z.array(Skipped)
})
export type ExportReport = z.infer<typeof ExportReport>

/** Progress of an export job: clips written out of the clips to write (0 until 'preparing' has planned them). */
export const ExportProgress = z.object({
  jobId: z.string(),
  stage: z.enum(['preparing', 'writing', 'finishing', 'done', 'failed', 'cancelled']),
  /** 0..1 */
  fraction: z.number(),
  /** Clips written so far. */
  clips: z.number().int(),
  /** Clips to write (the plan, without the skipped ones). */
  total: z.number().int(),
  error: z.string().nullable()
})
export type ExportProgress = z.infer<typeof ExportProgress>

/** "14 / 60 clips" (the export dialog and `avs export` both show it), or '' before the clips to write are known. */
export const exportClipsText = (p: Pick<ExportProgress, 'clips' | 'total'>): string => (p.total > 0 ? `${p.clips} / ${p.total} clips` : '')

export const ExportResult = z.object({ done: z.boolean(), report: ExportReport.nullable(), error: z.string().nullable() })
export type ExportResult = z.infer<typeof ExportResult>

export const AvsbenchImportRequest = z.object({
  /** The release folder (S4 `Single-source`, MS3 `Multi-sources`, or the AVSS root). */
  dir: z.string().min(1),
  format: AvsFormat,
  /** The new project's folder (must not hold a project). */
  projectDir: z.string().min(1),
  name: z.string().min(1).optional()
})
export type AvsbenchImportRequest = z.infer<typeof AvsbenchImportRequest>

export const AvsbenchImportReport = z.object({
  project: ProjectSummary,
  clips: z.number().int(),
  frames: z.number().int(),
  masks: z.number().int(),
  skipped: z.array(Skipped),
  warnings: z.array(z.string())
})
export type AvsbenchImportReport = z.infer<typeof AvsbenchImportReport>

/** Progress of an AVSBench release import job: clips done (imported or skipped) out of the clips the CSV lists with all their files. */
export const AvsbenchImportProgress = z.object({
  jobId: z.string(),
  stage: z.enum(['reading', 'importing', 'done', 'failed', 'cancelled']),
  clips: z.number().int(),
  total: z.number().int(),
  error: z.string().nullable()
})
export type AvsbenchImportProgress = z.infer<typeof AvsbenchImportProgress>

/** error is 'cancelled' for a cancelled import; a cancelled or failed import leaves no project behind. */
export const AvsbenchImportResult = z.object({ done: z.boolean(), report: AvsbenchImportReport.nullable(), error: z.string().nullable() })
export type AvsbenchImportResult = z.infer<typeof AvsbenchImportResult>

export const PredictionImportRequest = z.object({
  /** A `--save_pred_mask` folder (`pred_masks/…`, or the folder that holds `pred_masks`). */
  dir: z.string().min(1),
  /** Recorded as the masks' model name; default the folder name. */
  model: z.string().min(1).optional()
})

export const PredictionImportReport = z.object({
  clips: z.number().int(),
  masks: z.number().int(),
  skipped: z.array(Skipped),
  warnings: z.array(z.string())
})
export type PredictionImportReport = z.infer<typeof PredictionImportReport>

export const EvalScores = z.object({
  frames: z.number().int(),
  /** J: mIoU (S4/MS3: official mask_iou; AVSS: official mIoU over 71 classes). NaN-free: null when nothing to score. */
  miou: z.number().nullable(),
  /** F-score, β² = 0.3. */
  fscore: z.number().nullable()
})
export type EvalScores = z.infer<typeof EvalScores>

export const ProjectEvalResult = z.object({
  task: AvsFormat,
  project: EvalScores,
  clips: z.array(EvalScores.extend({ clipId: z.number().int(), clip: z.string() }))
})
export type ProjectEvalResult = z.infer<typeof ProjectEvalResult>
