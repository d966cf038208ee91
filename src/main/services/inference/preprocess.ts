// Pure: decoded frames and PCM → the model's input tensors (spec ccformer §2, §4).
import { EXAMPLE_SIZE, LOG_OFFSET, logMelExamples, padExamples, type PadMode } from '../../../shared/audio/logMel'
import type { TaskType } from '../../../shared/domain'
import { resizeBilinearRGB } from '../../image/png'

export interface Normalisation {
  /** [H, W] of the model input. */
  input_size: readonly [number, number]
  mean: readonly [number, number, number]
  std: readonly [number, number, number]
}

/**
 * Packed RGB frames (w×h each) → `frames` float32 [T, 3, H, W]: bilinear resize to the card's
 * size when needed, /255, then (x − mean)/std per channel. `out` is reused when given.
 */
export function framesToTensor(frames: readonly Uint8Array[], w: number, h: number, norm: Normalisation, out?: Float32Array): Float32Array {
  const [H, W] = norm.input_size
  const plane = H * W
  const size = frames.length * 3 * plane
  if (out && out.length !== size) throw new RangeError(`framesToTensor: output buffer holds ${out.length} floats, ${size} needed`)
  const dst = out ?? new Float32Array(size)
  // One multiply-add per value: (x/255 − m)/s = x·a + b.
  const a = norm.std.map((s) => 1 / (255 * s))
  const b = norm.mean.map((m, c) => -m / norm.std[c])
  frames.forEach((frame, t) => {
    if (frame.length !== w * h * 3) throw new RangeError(`framesToTensor: frame ${t} has ${frame.length} bytes, ${w}×${h} RGB needs ${w * h * 3}`)
    const rgb = w === W && h === H ? frame : resizeBilinearRGB(frame, w, h, W, H)
    for (let c = 0; c < 3; c++) {
      const o = (t * 3 + c) * plane
      const ac = a[c]
      const bc = b[c]
      for (let i = 0; i < plane; i++) dst[o + i] = rgb[i * 3 + c] * ac + bc
    }
  })
  return dst
}

/** How a task pads missing seconds (spec avsbench-format §4.2): S4/MS3 repeat the last example, AVSS zeros. */
export const padModeOf = (task: TaskType): PadMode => (task === 'avss' ? 'zeros' : 'repeat-last')

/**
 * Clip PCM → `audio_log_mel` float32 [T, 1, 96, 64] from the first `audioSamples` real samples
 * only (the WAV's zero padding is ignored), padded to T per the task. With repeat-last and less
 * than one whole example of real audio, the missing seconds are log-mel of silence, as if the
 * clip had been padded with zeros before the front end.
 */
export function audioToTensor(pcm: Int16Array, audioSamples: number, t: number, mode: PadMode): Float32Array {
  const real = pcm.subarray(0, Math.max(0, Math.min(audioSamples, pcm.length)))
  const ex = logMelExamples(real)
  if (ex.count === 0 && mode === 'repeat-last') return new Float32Array(t * EXAMPLE_SIZE).fill(Math.log(LOG_OFFSET))
  return padExamples(ex, t, mode).data
}
