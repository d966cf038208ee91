/**
 * AVSBench frame timing (spec avsbench-format §5): for second l of a clip, the frame
 * `int(l*fi + 15/16*fi)` with `fi = int(round(fps))`, counted from the clip's first frame and
 * clamped to the last decoded frame.
 */
export const SUB_SAMPLES = 16

export interface PlannedFrame {
  /** 0-based frame index inside the clip (= the second it shows). */
  index: number
  /** Frame number in the source video's decoded stream, clamped to the last frame. */
  sourceFrame: number
  /** True when the formula pointed past the last frame and the last frame was used. */
  clamped: boolean
  /** Presentation time of the source frame, seconds. */
  time: number
}

export interface PlannedClip {
  index: number
  /** Start of the clip in the source, seconds. */
  start: number
  duration: number
  /** First source frame of the clip. */
  firstFrame: number
  /** The video ends before the clip does: frames are clamped and audio padded. */
  padded: boolean
  frames: PlannedFrame[]
}

export interface ClipPlanInput {
  /** Video duration, seconds. */
  duration: number
  /** Frame rate used to number frames (the stream's rate; for VFR input, the rate it is resampled to). */
  fps: number
  clipSeconds: number
  startOffset?: number
  /** Number of decodable frames if known; else estimated as floor(duration * fps). */
  frameCount?: number
}

/** The frame-index formula of spec §5 for second `l`, relative to the clip's first frame. */
export function frameOffsetInClip(l: number, fps: number): number {
  const fi = Math.round(fps)
  return Math.floor(l * fi + ((SUB_SAMPLES - 1) / SUB_SAMPLES) * fi)
}

const EPS = 1e-6

/**
 * Cuts a video into consecutive clips of `clipSeconds` from `startOffset`. The tail shorter than a
 * clip is dropped, unless the whole video is shorter than one clip: then one padded clip is made.
 */
export function planClips(input: ClipPlanInput): PlannedClip[] {
  const { duration, fps, clipSeconds } = input
  const offset = input.startOffset ?? 0
  if (!(fps > 0)) throw new Error(`invalid frame rate ${fps}`)
  if (!(duration > 0)) throw new Error(`invalid duration ${duration}`)
  if (offset < 0 || offset >= duration) throw new Error(`start offset ${offset}s is outside the video (0–${duration.toFixed(2)}s)`)
  const lastFrame = Math.max(0, (input.frameCount ?? Math.floor(duration * fps + EPS)) - 1)
  const whole = Math.floor((duration - offset + EPS) / clipSeconds)
  const count = whole > 0 ? whole : 1
  const clips: PlannedClip[] = []
  for (let c = 0; c < count; c++) {
    const start = offset + c * clipSeconds
    const firstFrame = Math.max(0, Math.ceil(start * fps - EPS))
    const frames: PlannedFrame[] = []
    for (let l = 0; l < clipSeconds; l++) {
      const wanted = firstFrame + frameOffsetInClip(l, fps)
      const sourceFrame = Math.min(wanted, lastFrame)
      frames.push({ index: l, sourceFrame, clamped: wanted > lastFrame, time: sourceFrame / fps })
    }
    clips.push({ index: c, start, duration: clipSeconds, firstFrame, padded: whole === 0, frames })
  }
  return clips
}
