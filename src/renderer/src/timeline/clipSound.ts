import { logMelFrames, MEL_BANDS, SAMPLE_RATE } from '../../../shared/audio/logMel'

/** What the sound timeline draws for one clip, computed once from its WAV. */
export interface ClipSound {
  sampleRate: number
  samples: Int16Array
  /** Log-mel frames [count, 64] (10 ms hop), the model's front end. */
  mel: { data: Float32Array; count: number; min: number; max: number }
  /** RMS level per whole or partial second, dBFS (−∞ for digital silence is clamped to −96). */
  secondsDb: number[]
}

/** A canonical 16-bit PCM mono WAV (44-byte header, as the import writes it). */
export function parseWav(buf: ArrayBuffer): { sampleRate: number; samples: Int16Array } {
  const v = new DataView(buf)
  const tag = (o: number): string => String.fromCharCode(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2), v.getUint8(o + 3))
  if (buf.byteLength < 44 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('the clip audio is not a WAV file')
  const channels = v.getUint16(22, true)
  const sampleRate = v.getUint32(24, true)
  const bits = v.getUint16(34, true)
  if (channels !== 1 || bits !== 16) throw new Error(`the clip audio is ${channels} channel(s) of ${bits}-bit PCM, expected mono 16-bit`)
  // The data chunk follows the 44-byte header; a stray chunk before it is skipped.
  let o = 12
  while (o + 8 <= buf.byteLength) {
    const size = v.getUint32(o + 4, true)
    if (tag(o) === 'data') {
      const n = Math.floor(Math.min(size, buf.byteLength - o - 8) / 2)
      return { sampleRate, samples: new Int16Array(buf.slice(o + 8, o + 8 + n * 2)) }
    }
    o += 8 + size + (size & 1)
  }
  throw new Error('the clip audio has no data chunk')
}

export function rmsDbPerSecond(samples: Int16Array, sampleRate: number, seconds: number): number[] {
  const out: number[] = []
  for (let s = 0; s < seconds; s++) {
    const a = s * sampleRate
    const b = Math.min(samples.length, a + sampleRate)
    let acc = 0
    for (let i = a; i < b; i++) acc += samples[i] * samples[i]
    const rms = b > a ? Math.sqrt(acc / (b - a)) / 32768 : 0
    out.push(rms > 0 ? Math.max(-96, 20 * Math.log10(rms)) : -96)
  }
  return out
}

export function analyseClipSound(buf: ArrayBuffer, seconds: number): ClipSound {
  const { sampleRate, samples } = parseWav(buf)
  if (sampleRate !== SAMPLE_RATE) throw new Error(`the clip audio is ${sampleRate} Hz, expected ${SAMPLE_RATE}`)
  const frames = logMelFrames(samples)
  let min = Infinity
  let max = -Infinity
  for (const x of frames.data) {
    if (x < min) min = x
    if (x > max) max = x
  }
  return { sampleRate, samples, mel: { ...frames, min, max }, secondsDb: rmsDbPerSecond(samples, sampleRate, seconds) }
}

export { MEL_BANDS }

/** A perceptual dark-to-bright colour map (magma-like), 256 entries of [r, g, b]. */
export const COLORMAP: Uint8Array = (() => {
  const stops: [number, number, number, number][] = [
    [0, 0, 0, 4],
    [0.25, 80, 18, 123],
    [0.5, 182, 54, 121],
    [0.75, 251, 136, 97],
    [1, 252, 253, 191]
  ]
  const lut = new Uint8Array(256 * 3)
  for (let i = 0; i < 256; i++) {
    const t = i / 255
    let k = 0
    while (k < stops.length - 2 && t > stops[k + 1][0]) k++
    const [t0, r0, g0, b0] = stops[k]
    const [t1, r1, g1, b1] = stops[k + 1]
    const u = (t - t0) / (t1 - t0)
    lut[i * 3] = Math.round(r0 + (r1 - r0) * u)
    lut[i * 3 + 1] = Math.round(g0 + (g1 - g0) * u)
    lut[i * 3 + 2] = Math.round(b0 + (b1 - b0) * u)
  }
  return lut
})()
