import { z } from 'zod'

/** Task types of AVSBench: single source, multi-source (binary masks) and semantic (71 classes). */
export const TaskType = z.enum(['s4', 'ms3', 'avss'])
export type TaskType = z.infer<typeof TaskType>

/** Clip length in seconds per task (spec avsbench-format §1, §5). */
export const CLIP_SECONDS: Record<TaskType, 5 | 10> = { s4: 5, ms3: 5, avss: 10 }
export const AUDIO_SAMPLE_RATE = 16_000
/** Frames are stored at source resolution with the long side capped here. */
export const MAX_FRAME_LONG_SIDE = 1920
export const THUMB_WIDTH = 320
/** AVSBench-semantic has 71 classes, 0 = background (spec avsbench-format §3.5). */
export const AVSS_CLASS_COUNT = 71

export const ReviewStatus = z.enum(['unreviewed', 'auto', 'edited', 'accepted', 'rejected'])
export type ReviewStatus = z.infer<typeof ReviewStatus>

export const ClipFlag = z.enum(['no_audio', 'padded', 'vfr', 'rotated'])
export type ClipFlag = z.infer<typeof ClipFlag>

export const Split = z.enum(['train', 'val', 'test'])
export type Split = z.infer<typeof Split>

export const ProjectSummary = z.object({
  dir: z.string(),
  name: z.string(),
  task: TaskType,
  clipSeconds: z.number().int(),
  createdAt: z.string(),
  videoCount: z.number().int(),
  clipCount: z.number().int(),
  frameCount: z.number().int(),
  /** Set when another writer took this project's lock over: this process only reads it from then on. */
  lockLost: z.string().optional()
})
export type ProjectSummary = z.infer<typeof ProjectSummary>

export const RecentProject = z.object({
  dir: z.string(),
  name: z.string(),
  task: TaskType,
  openedAt: z.string(),
  missing: z.boolean()
})
export type RecentProject = z.infer<typeof RecentProject>

export const AudioStreamInfo = z.object({
  index: z.number().int(),
  codec: z.string(),
  sampleRate: z.number(),
  channels: z.number().int()
})

export const VideoProbe = z.object({
  path: z.string(),
  container: z.string(),
  duration: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  /** Width and height as displayed, after the rotation metadata is applied. */
  displayWidth: z.number().int(),
  displayHeight: z.number().int(),
  rotation: z.number().int(),
  fps: z.number(),
  avgFps: z.number(),
  variableFrameRate: z.boolean(),
  videoCodec: z.string(),
  audioStreams: z.array(AudioStreamInfo),
  sizeBytes: z.number().int()
})
export type VideoProbe = z.infer<typeof VideoProbe>

export const Video = z.object({
  id: z.number().int(),
  path: z.string(),
  name: z.string(),
  duration: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  fps: z.number(),
  rotation: z.number().int(),
  hasAudio: z.boolean(),
  startOffset: z.number(),
  importedAt: z.string(),
  clipCount: z.number().int(),
  /** What the import said of the file (truncated or damaged part way, which clips were kept), or null. */
  importNote: z.string().nullable()
})
export type Video = z.infer<typeof Video>

export const Frame = z.object({
  id: z.number().int(),
  clipId: z.number().int(),
  /** 0-based index inside the clip; the frame shows second `index` of the clip. */
  index: z.number().int(),
  /** Source frame number inside the video (spec §5 formula, clamped). */
  sourceFrame: z.number().int(),
  /** Time of the frame in the source video, seconds. */
  time: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  /** Path of the frame image, relative to the project's media cache. */
  image: z.string(),
  thumb: z.string(),
  status: ReviewStatus,
  comment: z.string().nullable(),
  hasMask: z.boolean()
})
export type Frame = z.infer<typeof Frame>

export const Clip = z.object({
  id: z.number().int(),
  videoId: z.number().int(),
  videoName: z.string(),
  /** 0-based position of the clip in its video. */
  index: z.number().int(),
  name: z.string(),
  start: z.number(),
  duration: z.number(),
  frameCount: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  /** Samples of real audio in the clip's PCM (the rest, if any, is padding). */
  audioSamples: z.number().int(),
  /** Path of the clip's 16 kHz mono PCM16 WAV, relative to the media cache. */
  audio: z.string(),
  flags: z.array(ClipFlag),
  split: Split.nullable(),
  category: z.string().nullable(),
  status: ReviewStatus,
  thumb: z.string(),
  /** Lowest model confidence over the clip's frames (null: not auto-segmented). */
  confidence: z.number().nullable()
})
export type Clip = z.infer<typeof Clip>

export const SecondState = z.enum(['silent', 'offscreen'])
export type SecondState = z.infer<typeof SecondState>
/** Per-second audio annotation: 'silent' (an empty mask is right) or 'offscreen' (sounding, not visible). */
export const SecondMark = z.object({ second: z.number().int(), state: SecondState })
export type SecondMark = z.infer<typeof SecondMark>

export const ClipDetail = Clip.extend({ frames: z.array(Frame), seconds: z.array(SecondMark) })
export type ClipDetail = z.infer<typeof ClipDetail>

export const ToolInfo = z.object({ path: z.string(), version: z.string(), source: z.string() })
export const AppInfo = z.object({
  appVersion: z.string(),
  mode: z.enum(['electron', 'browser', 'cli']),
  node: z.string(),
  platform: z.string(),
  ffmpeg: ToolInfo,
  ffprobe: ToolInfo
})
export type AppInfo = z.infer<typeof AppInfo>

export const ImportStage = z.enum(['queued', 'probing', 'decoding', 'saving', 'done', 'failed', 'cancelled'])
export type ImportStage = z.infer<typeof ImportStage>

export const ImportProgress = z.object({
  jobId: z.string(),
  path: z.string(),
  stage: ImportStage,
  /** 0..1 */
  fraction: z.number(),
  clips: z.number().int(),
  error: z.string().nullable(),
  /** Set with 'done' when the video was imported only in part (a truncated file: where it broke off, which clips were kept). */
  warning: z.string().nullable()
})
export type ImportProgress = z.infer<typeof ImportProgress>

export const ImportResult = z.object({
  path: z.string(),
  ok: z.boolean(),
  videoId: z.number().int().nullable(),
  clips: z.number().int(),
  flags: z.array(ClipFlag),
  error: z.string().nullable(),
  /** Set when the video was imported only in part (a truncated file: where it broke off, which clips were kept). */
  warning: z.string().nullable()
})
export type ImportResult = z.infer<typeof ImportResult>

export const Settings = z.object({
  ffmpegPath: z.string().nullable(),
  ffprobePath: z.string().nullable()
})
export type Settings = z.infer<typeof Settings>

export const MaskSource = z.enum(['model', 'human', 'import'])
export type MaskSource = z.infer<typeof MaskSource>

/** A label map over the wire: one byte per pixel (0 = background), zlib-deflated, base64. */
export const MaskPayload = z.object({
  frameId: z.number().int(),
  revision: z.number().int(),
  source: MaskSource,
  width: z.number().int(),
  height: z.number().int(),
  data: z.string(),
  model: z.string().nullable(),
  confidence: z.number().nullable(),
  createdAt: z.string()
})
export type MaskPayload = z.infer<typeof MaskPayload>

export const MaskRevision = MaskPayload.omit({ data: true })
export type MaskRevision = z.infer<typeof MaskRevision>

export const StatusCounts = z.record(ReviewStatus, z.number().int())
export const ProjectStats = z.object({
  clipsByStatus: StatusCounts,
  framesByStatus: StatusCounts,
  /** Share of frames accepted or rejected. */
  reviewedShare: z.number(),
  /**
   * Frames with a model mask and ground truth (the newest human or imported mask), as Evaluate
   * scores them, and the mean foreground Jaccard between the two (how much the model was corrected).
   */
  comparedFrames: z.number().int(),
  meanModelJaccard: z.number().nullable()
})
export type ProjectStats = z.infer<typeof ProjectStats>
