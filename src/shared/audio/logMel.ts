// VGGish log-mel front end (spec ccformer §4, avsbench-format §4.3): the exact algorithm of
// tensorflow/models research/audioset/vggish (mel_features.py), as copied by AVSBench.
// Pure TypeScript: float64 inside, float32 out.

export const SAMPLE_RATE = 16000
export const WINDOW_LENGTH = 400
export const HOP_LENGTH = 160
export const FFT_LENGTH = 512
export const SPECTRUM_BINS = FFT_LENGTH / 2 + 1
export const MEL_BANDS = 64
export const MEL_LOW_HZ = 125
export const MEL_HIGH_HZ = 7500
export const LOG_OFFSET = 0.01
export const EXAMPLE_FRAMES = 96
export const EXAMPLE_HOP_FRAMES = 96
/** Floats per example: 1 × 96 × 64. */
export const EXAMPLE_SIZE = EXAMPLE_FRAMES * MEL_BANDS

/** Mono PCM at 16 kHz: floats in [-1, 1], or int16 samples (scaled by 1/32768). */
export type Pcm = Float32Array | Float64Array | Int16Array

/** Log-mel examples, row-major shape [count, 1, 96, 64]. */
export interface LogMelExamples {
  data: Float32Array
  count: number
}

/** Log-mel frames, row-major shape [count, 64]. */
export interface LogMelFrames {
  data: Float32Array
  count: number
}

export type PadMode = 'repeat-last' | 'zeros'

/** Number of 25 ms frames (hop 10 ms) in n samples; no padding, so 0 below one window. */
export function frameCount(nSamples: number): number {
  if (nSamples < WINDOW_LENGTH) return 0
  return 1 + Math.floor((nSamples - WINDOW_LENGTH) / HOP_LENGTH)
}

/** Number of whole 0.96 s examples in n samples (incomplete tail dropped). */
export function exampleCount(nSamples: number): number {
  const frames = frameCount(nSamples)
  if (frames < EXAMPLE_FRAMES) return 0
  return 1 + Math.floor((frames - EXAMPLE_FRAMES) / EXAMPLE_HOP_FRAMES)
}

// numpy.linspace: start + i·step, with the last value set to stop exactly.
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num)
  const step = (stop - start) / (num - 1)
  for (let i = 0; i < num; i++) out[i] = i * step + start
  out[num - 1] = stop
  return out
}

function hertzToMel(hz: number): number {
  return 1127.0 * Math.log(1.0 + hz / 700.0)
}

function buildMelMatrix(): Float64Array {
  const binsMel = linspace(0, SAMPLE_RATE / 2, SPECTRUM_BINS).map(hertzToMel)
  const edges = linspace(hertzToMel(MEL_LOW_HZ), hertzToMel(MEL_HIGH_HZ), MEL_BANDS + 2)
  const w = new Float64Array(SPECTRUM_BINS * MEL_BANDS)
  for (let j = 0; j < MEL_BANDS; j++) {
    const lo = edges[j]
    const c = edges[j + 1]
    const hi = edges[j + 2]
    for (let k = 1; k < SPECTRUM_BINS; k++) {
      const m = binsMel[k]
      const v = Math.max(0, Math.min((m - lo) / (c - lo), (hi - m) / (hi - c)))
      w[k * MEL_BANDS + j] = v
    }
  }
  return w // row 0 (DC) stays 0
}

const MEL = buildMelMatrix()

// Sparse view of the mel matrix by band: bins [start[j], start[j]+len[j]) with their weights.
const bandStart = new Int32Array(MEL_BANDS)
const bandLen = new Int32Array(MEL_BANDS)
const bandWeights: Float64Array[] = []
for (let j = 0; j < MEL_BANDS; j++) {
  let first = -1
  let last = -1
  for (let k = 0; k < SPECTRUM_BINS; k++) {
    if (MEL[k * MEL_BANDS + j] !== 0) {
      if (first < 0) first = k
      last = k
    }
  }
  const len = first < 0 ? 0 : last - first + 1
  bandStart[j] = Math.max(first, 0)
  bandLen[j] = len
  const ws = new Float64Array(len)
  for (let i = 0; i < len; i++) ws[i] = MEL[(first + i) * MEL_BANDS + j]
  bandWeights.push(ws)
}

// Periodic Hann, written as numpy computes it: 0.5 - 0.5·cos((2π/N)·n).
const HANN = new Float64Array(WINDOW_LENGTH)
for (let n = 0; n < WINDOW_LENGTH; n++) HANN[n] = 0.5 - 0.5 * Math.cos(((2 * Math.PI) / WINDOW_LENGTH) * n)

// Real FFT of 512 points = complex FFT of 256 points on (even, odd) pairs + one split pass.
const HALF = FFT_LENGTH / 2
const LOG2_HALF = Math.log2(HALF)
const BITREV = new Uint16Array(HALF)
for (let i = 0; i < HALF; i++) {
  let r = 0
  for (let b = 0; b < LOG2_HALF; b++) r |= ((i >> b) & 1) << (LOG2_HALF - 1 - b)
  BITREV[i] = r
}
// Twiddles e^{-2πik/256} for the complex FFT, and e^{-2πik/512} for the split pass.
const TW_RE = new Float64Array(HALF / 2)
const TW_IM = new Float64Array(HALF / 2)
for (let k = 0; k < HALF / 2; k++) {
  TW_RE[k] = Math.cos((2 * Math.PI * k) / HALF)
  TW_IM[k] = -Math.sin((2 * Math.PI * k) / HALF)
}
const SPLIT_RE = new Float64Array(HALF)
const SPLIT_IM = new Float64Array(HALF)
for (let k = 0; k < HALF; k++) {
  SPLIT_RE[k] = Math.cos((2 * Math.PI * k) / FFT_LENGTH)
  SPLIT_IM[k] = -Math.sin((2 * Math.PI * k) / FFT_LENGTH)
}

function complexFftInPlace(re: Float64Array, im: Float64Array): void {
  for (let i = 0; i < HALF; i++) {
    const j = BITREV[i]
    if (j > i) {
      let t = re[i]
      re[i] = re[j]
      re[j] = t
      t = im[i]
      im[i] = im[j]
      im[j] = t
    }
  }
  for (let size = 2; size <= HALF; size <<= 1) {
    const halfSize = size >> 1
    const step = HALF / size
    for (let start = 0; start < HALF; start += size) {
      for (let k = 0; k < halfSize; k++) {
        const wr = TW_RE[k * step]
        const wi = TW_IM[k * step]
        const a = start + k
        const b = a + halfSize
        const xr = re[b] * wr - im[b] * wi
        const xi = re[b] * wi + im[b] * wr
        re[b] = re[a] - xr
        im[b] = im[a] - xi
        re[a] += xr
        im[a] += xi
      }
    }
  }
}

/** |rfft(windowed frame, 512)| → 257 magnitudes. `frame` holds 400 windowed samples. */
function magnitudeSpectrum(frame: Float64Array, re: Float64Array, im: Float64Array, mag: Float64Array): void {
  for (let n = 0; n < HALF; n++) {
    const i = 2 * n
    re[n] = i < WINDOW_LENGTH ? frame[i] : 0
    im[n] = i + 1 < WINDOW_LENGTH ? frame[i + 1] : 0
  }
  complexFftInPlace(re, im)
  mag[0] = Math.abs(re[0] + im[0])
  mag[HALF] = Math.abs(re[0] - im[0])
  for (let k = 1; k < HALF; k++) {
    const ar = re[k]
    const ai = im[k]
    const br = re[HALF - k]
    const bi = im[HALF - k]
    const eRe = 0.5 * (ar + br)
    const eIm = 0.5 * (ai - bi)
    const oRe = 0.5 * (ai + bi)
    const oIm = -0.5 * (ar - br)
    const wr = SPLIT_RE[k]
    const wi = SPLIT_IM[k]
    const xr = eRe + wr * oRe - wi * oIm
    const xi = eIm + wr * oIm + wi * oRe
    mag[k] = Math.sqrt(xr * xr + xi * xi)
  }
}

/** The 257×64 mel weight matrix (row-major, row = spectrum bin), a fresh copy. */
export function melMatrix(): Float64Array {
  return MEL.slice()
}

function computeFrames(pcm: Pcm, nFrames: number): Float32Array {
  const out = new Float32Array(nFrames * MEL_BANDS)
  const scale = pcm instanceof Int16Array ? 1 / 32768 : 1
  const frame = new Float64Array(WINDOW_LENGTH)
  const re = new Float64Array(HALF)
  const im = new Float64Array(HALF)
  const mag = new Float64Array(SPECTRUM_BINS)
  for (let t = 0; t < nFrames; t++) {
    const off = t * HOP_LENGTH
    for (let n = 0; n < WINDOW_LENGTH; n++) frame[n] = pcm[off + n] * scale * HANN[n]
    magnitudeSpectrum(frame, re, im, mag)
    const o = t * MEL_BANDS
    for (let j = 0; j < MEL_BANDS; j++) {
      const ws = bandWeights[j]
      const s0 = bandStart[j]
      let acc = 0
      for (let i = 0; i < ws.length; i++) acc += mag[s0 + i] * ws[i]
      out[o + j] = Math.log(acc + LOG_OFFSET)
    }
  }
  return out
}

/** Log-mel frames [count, 64] of mono 16 kHz PCM: every whole 25 ms window, hop 10 ms. */
export function logMelFrames(pcm: Pcm): LogMelFrames {
  const count = frameCount(pcm.length)
  return { data: computeFrames(pcm, count), count }
}

/** Log-mel examples [N, 1, 96, 64] of mono 16 kHz PCM, as VGGish `waveform_to_examples`. */
export function logMelExamples(pcm: Pcm): LogMelExamples {
  const count = exampleCount(pcm.length)
  // Examples hop by exactly their length, so they are the first count·96 frames in order.
  return { data: computeFrames(pcm, count * EXAMPLE_FRAMES), count }
}

/**
 * Pads (or truncates) examples to exactly T: 'repeat-last' repeats the last example (S4/MS3
 * `.pkl` preprocessing), 'zeros' appends zero examples (AVSS loaders). With more than T
 * examples the first T are kept (the official code would fail instead). 'repeat-last' of zero
 * examples throws, since there is nothing to repeat.
 */
export function padExamples(ex: LogMelExamples, t: number, mode: PadMode): LogMelExamples {
  if (!Number.isInteger(t) || t < 0) throw new RangeError(`padExamples: T must be a non-negative integer, got ${t}`)
  const out = new Float32Array(t * EXAMPLE_SIZE)
  const keep = Math.min(ex.count, t)
  out.set(ex.data.subarray(0, keep * EXAMPLE_SIZE))
  if (keep < t && mode === 'repeat-last') {
    if (ex.count === 0) throw new RangeError('padExamples: cannot repeat the last example of an empty input')
    const last = ex.data.subarray((ex.count - 1) * EXAMPLE_SIZE, ex.count * EXAMPLE_SIZE)
    for (let i = keep; i < t; i++) out.set(last, i * EXAMPLE_SIZE)
  }
  return { data: out, count: t }
}
