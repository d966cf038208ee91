import { describe, expect, test } from 'vitest'
import { analyseClipSound, parseWav, rmsDbPerSecond } from './clipSound'

/** A canonical 44-byte-header 16-bit mono WAV. */
function wav(samples: Int16Array, rate = 16000): ArrayBuffer {
  const buf = new ArrayBuffer(44 + samples.length * 2)
  const v = new DataView(buf)
  const tag = (o: number, s: string): void => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)))
  tag(0, 'RIFF')
  v.setUint32(4, 36 + samples.length * 2, true)
  tag(8, 'WAVE')
  tag(12, 'fmt ')
  v.setUint32(16, 16, true)
  v.setUint16(20, 1, true)
  v.setUint16(22, 1, true)
  v.setUint32(24, rate, true)
  v.setUint32(28, rate * 2, true)
  v.setUint16(32, 2, true)
  v.setUint16(34, 16, true)
  tag(36, 'data')
  v.setUint32(40, samples.length * 2, true)
  new Int16Array(buf, 44).set(samples)
  return buf
}

describe('clip sound', () => {
  test('parseWav reads the samples and refuses what is not 16-bit mono PCM', () => {
    const s = Int16Array.from([0, 1000, -1000, 32767])
    const parsed = parseWav(wav(s))
    expect(parsed.sampleRate).toBe(16000)
    expect([...parsed.samples]).toEqual([...s])
    expect(() => parseWav(new ArrayBuffer(10))).toThrow(/not a WAV/)
  })

  test('loudness per second: a full-scale square wave is 0 dB, digital silence −96, a half-amplitude sine ≈ −9 dB', () => {
    const n = 16000
    const s = new Int16Array(3 * n)
    for (let i = 0; i < n; i++) s[i] = i % 2 ? 32767 : -32767
    for (let i = 2 * n; i < 3 * n; i++) s[i] = Math.round(16384 * Math.sin((2 * Math.PI * 440 * i) / n))
    const db = rmsDbPerSecond(s, n, 3)
    expect(db[0]).toBeCloseTo(0, 1)
    expect(db[1]).toBe(-96)
    expect(db[2]).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 1)
  })

  test('analyseClipSound: 10 ms log-mel frames (64 bands) over the clip', () => {
    const s = new Int16Array(16000 * 2)
    for (let i = 0; i < s.length; i++) s[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 16000))
    const a = analyseClipSound(wav(s), 2)
    expect(a.mel.count).toBe(1 + Math.floor((s.length - 400) / 160))
    expect(a.mel.data.length).toBe(a.mel.count * 64)
    expect(a.mel.max).toBeGreaterThan(a.mel.min)
    expect(a.secondsDb).toHaveLength(2)
    expect(() => analyseClipSound(wav(s, 44100), 2)).toThrow(/44100 Hz/)
  })
})
