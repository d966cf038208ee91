// Pure: model logits → a label map at the frame's size, with a confidence.

import type { PadMode } from '../../../shared/audio/logMel'

export interface FrameMask {
  /** One byte per pixel, row-major W×H: 0 background, else the class id (1 for binary). */
  labels: Uint8Array
  /**
   * An estimate of the mask's J (IoU with the true mask), in [0, 1]: for binary models
   * `binaryConfidence` (calibrated when the card has a calibration), for semantic ones the mean
   * over pixels of the winning class's probability.
   */
  confidence: number
}

/** A monotone piecewise-linear map (the card's `confidence_calibration`, fitted on validation clips). */
export interface Calibration {
  x: number[]
  y: number[]
}

/** Piecewise-linear through (x, y) points (x ascending), constant outside. */
export function calibrate(v: number, c: Calibration | null | undefined): number {
  if (!c || c.x.length === 0 || c.x.length !== c.y.length) return v
  if (v <= c.x[0]) return c.y[0]
  const n = c.x.length
  if (v >= c.x[n - 1]) return c.y[n - 1]
  let i = 1
  while (c.x[i] < v) i++
  const f = (v - c.x[i - 1]) / (c.x[i] - c.x[i - 1] || 1)
  return c.y[i - 1] + f * (c.y[i] - c.y[i - 1])
}

/**
 * Expected J of the thresholded mask if each pixel were foreground with its own probability p
 * (the soft IoU of p with the mask M = p > 0.5): Σ_M p / (|M| + Σ_¬M p), at the logits'
 * resolution. It is low for a mask with a blurred, uncertain outline or with confident
 * foreground left outside it. An empty mask scores by how little foreground probability is
 * anywhere: 1 − Σp / (2 % of the frame), at least 0 — empty and sure is right (a silent second),
 * empty with an object half-seen is not.
 */
export function binaryConfidence(logits: Float32Array, dims: readonly number[], t: number): number {
  const [, K, h, w] = dims
  if (K !== 1) throw new RangeError('binaryConfidence: needs K = 1')
  const plane = h * w
  const base = t * plane
  let inside = 0
  let area = 0
  let outside = 0
  for (let i = 0; i < plane; i++) {
    const l = logits[base + i]
    const p = 1 / (1 + Math.exp(-l))
    if (l > 0) {
      inside += p
      area++
    } else outside += p
  }
  if (area === 0) return Math.max(0, 1 - outside / (0.02 * plane))
  return inside / (area + outside)
}

/** Source index pairs and weights of a 1-D bilinear resize (PyTorch, align_corners=False). */
function taps(n: number, N: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(N)
  const i1 = new Int32Array(N)
  const f = new Float32Array(N)
  const scale = n / N
  for (let x = 0; x < N; x++) {
    const s = Math.max(0, (x + 0.5) * scale - 0.5)
    const a = Math.min(Math.floor(s), n - 1)
    i0[x] = a
    i1[x] = Math.min(a + 1, n - 1)
    f[x] = s - a
  }
  return { i0, i1, f }
}

/**
 * Frame t of `mask_logits` [T, K, h, w] → labels at W×H: the logits are upsampled bilinearly
 * (align_corners=False), then K = 1 takes sigmoid > 0.5 (logit > 0), K > 1 takes the argmax.
 */
export function logitsToMask(logits: Float32Array, dims: readonly number[], t: number, W: number, H: number, calibration?: Calibration | null): FrameMask {
  if (dims.length !== 4) throw new RangeError(`logitsToMask: logits must be [T, K, h, w], got [${dims.join(', ')}]`)
  const [T, K, h, w] = dims
  if (logits.length !== T * K * h * w) throw new RangeError(`logitsToMask: ${logits.length} values for [${dims.join(', ')}]`)
  if (t < 0 || t >= T) throw new RangeError(`logitsToMask: frame ${t} outside 0..${T - 1}`)
  if (K > 255) throw new RangeError(`logitsToMask: ${K} classes do not fit a byte label map`)
  const xs = taps(w, W)
  const ys = taps(h, H)
  const plane = h * w
  const base = t * K * plane
  const labels = new Uint8Array(W * H)
  const v = new Float64Array(K)
  let conf = 0
  for (let y = 0; y < H; y++) {
    const r0 = ys.i0[y] * w
    const r1 = ys.i1[y] * w
    const fy = ys.f[y]
    for (let x = 0; x < W; x++) {
      const c0 = xs.i0[x]
      const c1 = xs.i1[x]
      const fx = xs.f[x]
      let best = 0
      let bestV = -Infinity
      for (let k = 0; k < K; k++) {
        const p = base + k * plane
        const top = logits[p + r0 + c0] * (1 - fx) + logits[p + r0 + c1] * fx
        const bottom = logits[p + r1 + c0] * (1 - fx) + logits[p + r1 + c1] * fx
        const val = top * (1 - fy) + bottom * fy
        v[k] = val
        if (val > bestV) {
          bestV = val
          best = k
        }
      }
      if (K === 1) {
        labels[y * W + x] = bestV > 0 ? 1 : 0
      } else {
        let sum = 0
        for (let k = 0; k < K; k++) sum += Math.exp(v[k] - bestV)
        labels[y * W + x] = best
        conf += 1 / sum
      }
    }
  }
  return { labels, confidence: K === 1 ? calibrate(binaryConfidence(logits, dims, t), calibration) : conf / (W * H) }
}

/** Levels (dBFS) between which a second goes from silent to sounding in `audioActivity`. */
export const SILENT_DB = -60
export const SOUNDING_DB = -40

/**
 * The loudness of second t of a clip's 16 kHz audio: the RMS level, in dBFS, of its loudest
 * 100-ms window (speech with pauses still counts as sounding). Seconds past the audio take the
 * last second's level when the model pads by repeating it, else silence (−120).
 */
export function secondLevelDb(pcm: Int16Array, t: number, padMode: PadMode, sampleRate = 16000): number {
  const seconds = Math.ceil(pcm.length / sampleRate)
  if (t >= seconds) {
    if (padMode === 'zeros' || seconds === 0) return -120
    t = seconds - 1
  }
  const win = Math.round(sampleRate / 10)
  const end = Math.min(pcm.length, (t + 1) * sampleRate)
  let loudest = 0
  for (let a = t * sampleRate; a < end; a += win) {
    const b = Math.min(end, a + win)
    let s = 0
    for (let i = a; i < b; i++) s += pcm[i] * pcm[i]
    loudest = Math.max(loudest, s / ((b - a) * 32768 * 32768))
  }
  return loudest > 0 ? Math.max(-120, 10 * Math.log10(loudest)) : -120
}

/** 0 at or below SILENT_DB (digital silence, a quiet room), 1 at or above SOUNDING_DB (speech, an instrument, a bark), linear between. */
export function audioActivity(db: number): number {
  return Math.min(1, Math.max(0, (db - SILENT_DB) / (SOUNDING_DB - SILENT_DB)))
}

/**
 * The confidence of a frame whose mask is empty, given how loud its second is. The model's own
 * confidence of an empty mask says only that no pixel is half-sure (`binaryConfidence`); empty is
 * right in a silent second (AVSBench's ground truth is empty there) and almost always wrong in a
 * sounding one, where the model missed what makes the sound (real-dev: blackswan's first frame,
 * empty with the swan in view, scored 0.999 before this). So an empty mask keeps its confidence
 * only in proportion to the second's silence, and "model confidence, lowest first" puts it first.
 */
export function emptyMaskConfidence(confidence: number, activity: number): number {
  return confidence * (1 - activity)
}

/** Whether frame t of `mask_logits` [T, K, h, w] labels no pixel (K = 1: no logit > 0; K > 1: background wins everywhere). */
export function isEmptyFrame(logits: Float32Array, dims: readonly number[], t: number): boolean {
  const [, K, h, w] = dims
  const plane = h * w
  const base = t * K * plane
  for (let i = 0; i < plane; i++) {
    if (K === 1) {
      if (logits[base + i] > 0) return false
      continue
    }
    const bg = logits[base + i]
    for (let k = 1; k < K; k++) if (logits[base + k * plane + i] > bg) return false
  }
  return true
}
