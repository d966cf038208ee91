import { z } from 'zod'
import {
  AppInfo,
  ClipDetail,
  Clip,
  ImportProgress,
  MaskPayload,
  ProjectStats,
  SecondMark,
  SecondState,
  MaskRevision,
  MaskSource,
  ReviewStatus,
  Split,
  ImportResult,
  ProjectSummary,
  RecentProject,
  Settings,
  TaskType,
  Video,
  VideoProbe
} from './domain'
import { ClipThumbMask, THUMB_MASK_BATCH } from './clipThumbs'
import {
  AvsbenchImportProgress,
  AvsbenchImportReport,
  AvsbenchImportRequest,
  AvsbenchImportResult,
  ExportProgress,
  ExportRequest,
  ExportResult,
  PredictionImportReport,
  PredictionImportRequest,
  ProjectEvalResult
} from './avsbench'
import { InferenceSettings, JobInfo, ModelInfo, ProviderChoice, ProviderInfo, SegmentRequest } from './inference'

/** One channel of the API: its input and output schemas. Types come from z.infer. */
export interface Channel<I extends z.ZodType, O extends z.ZodType> {
  input: I
  output: O
}
const channel = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O): Channel<I, O> => ({ input, output })

const Empty = z.object({}).strict()
const Ok = z.object({ ok: z.literal(true) })

/** The one API contract: 'domain.verb' → { input, output }. Electron IPC and browser-mode HTTP both serve it. */
export const api = {
  'app.info': channel(Empty, AppInfo),
  'settings.get': channel(Empty, Settings),
  'settings.set': channel(Settings.partial(), Settings),

  'project.create': channel(
    z.object({ dir: z.string().min(1), name: z.string().min(1).optional(), task: TaskType }),
    ProjectSummary
  ),
  'project.open': channel(z.object({ dir: z.string().min(1) }), ProjectSummary),
  'project.current': channel(Empty, ProjectSummary.nullable()),
  'project.recent': channel(Empty, z.array(RecentProject)),
  'project.close': channel(Empty, Ok),

  'media.probe': channel(z.object({ path: z.string().min(1) }), VideoProbe),
  /** Starts importing; progress arrives as 'import.progress' events, the results with 'media.importResult'. */
  'media.import': channel(
    z.object({ paths: z.array(z.string().min(1)).min(1), startOffset: z.number().min(0).optional() }),
    z.object({ jobId: z.string() })
  ),
  'media.importResult': channel(
    z.object({ jobId: z.string() }),
    z.object({ done: z.boolean(), results: z.array(ImportResult) })
  ),
  'media.cancelImport': channel(z.object({ jobId: z.string() }), Ok),

  'video.list': channel(Empty, z.array(Video)),
  'clip.list': channel(Empty, z.array(Clip)),
  'clip.get': channel(z.object({ clipId: z.number().int() }), ClipDetail),
  'clip.thumbMasks': channel(z.object({ clipIds: z.array(z.number().int()).max(THUMB_MASK_BATCH) }), z.array(ClipThumbMask)),
  'clip.update': channel(
    z.object({ clipId: z.number().int(), split: Split.nullable().optional(), category: z.string().nullable().optional() }),
    Clip
  ),

  /** The newest mask of a frame (or of one source); null when it has none. */
  'mask.get': channel(z.object({ frameId: z.number().int(), source: MaskSource.optional() }), MaskPayload.nullable()),
  /** Saves a human revision; refuses a wrong size or a class the project does not have. */
  'mask.save': channel(
    z.object({ frameId: z.number().int(), width: z.number().int().positive(), height: z.number().int().positive(), data: z.string().min(1) }),
    MaskRevision
  ),
  'mask.revisions': channel(z.object({ frameId: z.number().int() }), z.array(MaskRevision)),
  /** Makes the model's mask current again (as a new human revision, so history is kept). */
  'mask.revertToModel': channel(z.object({ frameId: z.number().int() }), MaskRevision),
  'frame.setStatus': channel(
    z.object({ frameIds: z.array(z.number().int()).min(1), status: ReviewStatus, comment: z.string().max(2000).nullable().optional() }),
    z.object({ updated: z.number().int() })
  ),
  'clip.setSecond': channel(
    z.object({ clipId: z.number().int(), second: z.number().int().min(0), state: SecondState.nullable() }),
    z.array(SecondMark)
  ),
  /** The next frame needing review (unreviewed, auto or edited) after the given one, across clips; null when none. */
  'review.next': channel(
    z.object({ afterFrameId: z.number().int().optional() }),
    z.object({ clipId: z.number().int(), frameId: z.number().int(), index: z.number().int() }).nullable()
  ),
  'project.stats': channel(Empty, ProjectStats),
  /** The editor's serialised undo history of a clip (null: none), kept in the project so it survives restarts. */
  'history.get': channel(z.object({ clipId: z.number().int() }), z.object({ data: z.string().nullable() })),
  'history.save': channel(z.object({ clipId: z.number().int(), data: z.string().nullable() }), Ok),

  // --- AVSBench export, import and evaluation (avsbench helper) ---
  /** Starts exporting the open project; progress arrives as 'export.progress' events, the report with 'export.result'. */
  'export.start': channel(ExportRequest, z.object({ jobId: z.string() })),
  'export.result': channel(z.object({ jobId: z.string() }), ExportResult),
  'export.cancel': channel(z.object({ jobId: z.string() }), Ok),
  /**
   * Starts importing an official release folder into a new project (the open project once done);
   * progress arrives as 'avsbench.importProgress' events, the report with 'avsbench.importResult'.
   * A cancelled or failed import removes the project it had begun.
   */
  'avsbench.importStart': channel(AvsbenchImportRequest, z.object({ jobId: z.string() })),
  'avsbench.importResult': channel(z.object({ jobId: z.string() }), AvsbenchImportResult),
  'avsbench.importCancel': channel(z.object({ jobId: z.string() }), Ok),
  /** The same import in one blocking call (CLI scripts, tests): start, wait, the report or the job's error. */
  'avsbench.import': channel(AvsbenchImportRequest, AvsbenchImportReport),
  /** Imports a `--save_pred_mask` folder into the open project as model masks. */
  'avsbench.importPredictions': channel(PredictionImportRequest, PredictionImportReport),
  /** Model masks vs the latest human (or imported) masks of the open project: J and F per clip and overall. */
  'eval.project': channel(Empty, ProjectEvalResult),
  // --- end AVSBench ---

  // --- Auto-segmentation (inference helper) ---
  /** Shipped and user models, each validated; an invalid one carries the reason it was refused. */
  'model.list': channel(Empty, z.array(ModelInfo)),
  /** Execution providers of this machine and what each needs. */
  /** Validates a chosen .onnx (with its .model.json beside it) and copies the pair into the user models folder. */
  'model.add': channel(z.object({ onnxPath: z.string().min(1) }), ModelInfo),
  'model.providers': channel(Empty, z.array(ProviderInfo)),
  'model.settings': channel(Empty, InferenceSettings),
  'model.setSettings': channel(InferenceSettings.partial(), InferenceSettings),
  /** Forgets this computer's clip times, so the next default choice times the models again; answers how many were dropped. */
  'model.retime': channel(Empty, z.object({ dropped: z.number().int() })),
  /**
   * The model a job on the open project gets when it names none, and why: the settings' model where it
   * fits, else the default that made the project's latest model masks, else the first default that fits
   * the project and this computer (a model that is the default only where a clip runs fast enough is
   * timed once here, in the inference worker: a few seconds the first time).
   */
  'model.default': channel(z.object({ provider: ProviderChoice.optional() }).strict(), z.object({ modelId: z.string(), reason: z.string().nullable() })),
  /**
   * AVSS: the clips (of these, else all) with no class of their own for a binary model's masks (no
   * category naming an AVSS class, no single sounding class in an imported AVSBench row); a job on them
   * needs a class. Empty for S4/MS3.
   */
  'segment.classless': channel(z.object({ clipIds: z.array(z.number().int()).optional() }).strict(), z.array(z.number().int())),
  /** Queues a segmentation job; progress arrives as 'job.progress' events. */
  'segment.start': channel(SegmentRequest, z.object({ jobId: z.string() })),
  'job.list': channel(Empty, z.array(JobInfo)),
  'job.cancel': channel(z.object({ jobId: z.string() }), Ok),
  /** Continues an interrupted or cancelled job from its first unfinished clip. */
  'job.resume': channel(z.object({ jobId: z.string() }), z.object({ jobId: z.string() }))
  // --- end auto-segmentation ---
} as const

export type Api = typeof api
export type ChannelName = keyof Api
export type Input<C extends ChannelName> = z.input<Api[C]['input']>
export type Output<C extends ChannelName> = z.infer<Api[C]['output']>
export const channelNames = Object.keys(api) as ChannelName[]

/** Server → UI events, pushed over IPC (Electron) or Server-Sent Events (browser mode). */
export const events = {
  'import.progress': ImportProgress,
  'project.changed': z.object({ reason: z.string() }),
  'export.progress': ExportProgress,
  'avsbench.importProgress': AvsbenchImportProgress,
  'job.progress': JobInfo
} as const
export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.infer<Events[E]>

/** What the renderer sees as `window.api` / the browser-mode client: one typed call per channel. */
export interface ApiClient {
  call<C extends ChannelName>(channel: C, input: Input<C>): Promise<Output<C>>
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
  /** URL of a file inside the open project's media cache (custom protocol or authenticated HTTP). */
  mediaUrl(relPath: string): string
  readonly mode: 'electron' | 'browser'
}

/** Errors cross the transport as { error: { code, message } }; the message is for people. */
export const ApiErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) })
export type ApiErrorBody = z.infer<typeof ApiErrorBody>

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = 'ApiError'
  }
}
