// The S4/MS3 export's per-clip .pkl cache (avsbench/clipAudio): made at import, used by export only
// for the exact wav it was made from, remade when the wav changes or the entry is not valid.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { App } from '../../src/main/app'
import { AvsbenchExporter } from '../../src/main/services/avsbench/AvsbenchExporter'
import { cachedClipLogMelPickle, clipLogMelPickle, logMelCacheEntry, logMelCacheFile, logMelFromCache } from '../../src/main/services/avsbench/clipAudio'
import { encodeWavPcm16 } from '../../src/main/services/media/wav'
import type { ClipDetail } from '../../src/shared/domain'
import { ffmpegPath } from '../fixtures/media'
import { makeProject } from './avsbenchFixtures'

const root = mkdtempSync(join(tmpdir(), 'avs-logmel-cache-'))
const tone = (f: number, n = 80000): Buffer => encodeWavPcm16(new Int16Array(n).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * f * i) / 16000))), 16000)

describe('log-mel cache entries', () => {
  test('an entry answers only for the wav bytes and audioSamples it was made from', () => {
    const a = tone(440)
    const b = tone(660)
    const pkl = clipLogMelPickle(a, 80000, 'a.wav')
    const entry = logMelCacheEntry(a, 80000, pkl)
    expect(Buffer.from(logMelFromCache(entry, a, 80000)!).equals(pkl)).toBe(true)
    expect(logMelFromCache(entry, b, 80000)).toBeNull()
    expect(logMelFromCache(entry, a, 79999)).toBeNull()
    expect(logMelFromCache(entry.subarray(0, 20), a, 80000)).toBeNull()
    const flipped = Buffer.from(entry)
    flipped[3] ^= 1
    expect(logMelFromCache(flipped, a, 80000)).toBeNull()
    expect(logMelFromCache(null, a, 80000)).toBeNull()
  })

  test('cachedClipLogMelPickle computes and stores on a miss, reads on a hit, recomputes for other audio', () => {
    const file = join(root, 'unit.wav.logmel')
    const a = tone(440)
    const b = tone(880)
    expect(cachedClipLogMelPickle(a, 80000, 'a.wav', file).equals(clipLogMelPickle(a, 80000, 'a.wav'))).toBe(true)
    expect(existsSync(file)).toBe(true)
    const stored = readFileSync(file)
    // a hit returns the stored bytes and leaves the file as it is
    expect(cachedClipLogMelPickle(a, 80000, 'a.wav', file).equals(clipLogMelPickle(a, 80000, 'a.wav'))).toBe(true)
    expect(readFileSync(file).equals(stored)).toBe(true)
    // other audio under the same cache file: computed for that audio, never the stale entry
    const pb = cachedClipLogMelPickle(b, 80000, 'b.wav', file)
    expect(pb.equals(clipLogMelPickle(b, 80000, 'b.wav'))).toBe(true)
    expect(pb.equals(clipLogMelPickle(a, 80000, 'a.wav'))).toBe(false)
    // a cache that cannot be written is no error
    expect(cachedClipLogMelPickle(a, 80000, 'a.wav', join(root, 'no-such-dir', 'x.logmel')).equals(clipLogMelPickle(a, 80000, 'a.wav'))).toBe(true)
  })
})

describe('export with the cache', () => {
  let app: App
  let clips: ClipDetail[]
  let dir: string

  beforeAll(async () => {
    ;({ app, clips, dir } = await makeProject(root, 's4', [
      { split: 'val', category: 'dog_barking' },
      { split: 'test', category: 'race_car' }
    ]))
  })

  const pklOf = (out: string, c: ClipDetail): Buffer => readFileSync(join(out, `s4_data/audio_log_mel/${c.split}/${c.category}/${c.name}.pkl`))
  const wavOf = (c: ClipDetail): string => join(dir, 'media', c.audio)

  test('import writes each clip’s entry beside its wav; export writes the same .pkl as computing it', async () => {
    for (const c of clips) {
      const entry = readFileSync(logMelCacheFile(wavOf(c)))
      expect(logMelFromCache(entry, readFileSync(wavOf(c)), c.audioSamples)).not.toBeNull()
    }
    const out = join(root, 'export-1')
    await new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format: 's4', out })
    for (const c of clips) expect(pklOf(out, c).equals(clipLogMelPickle(readFileSync(wavOf(c)), c.audioSamples, 'x'))).toBe(true)
  })

  test('audio changed after import: export recomputes from the new wav and refreshes the entry', async () => {
    const c = clips[0]
    const before = statSync(logMelCacheFile(wavOf(c))).mtimeMs
    const newWav = tone(1234)
    writeFileSync(wavOf(c), newWav)
    const out = join(root, 'export-2')
    await new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format: 's4', out })
    const want = clipLogMelPickle(newWav, c.audioSamples, 'x')
    expect(pklOf(out, c).equals(want)).toBe(true)
    expect(readFileSync(join(out, `s4_data/audio_wav/${c.split}/${c.category}/${c.name}.wav`)).equals(newWav)).toBe(true)
    const entry = readFileSync(logMelCacheFile(wavOf(c)))
    expect(Buffer.from(logMelFromCache(entry, newWav, c.audioSamples)!).equals(want)).toBe(true)
    expect(statSync(logMelCacheFile(wavOf(c))).mtimeMs).toBeGreaterThanOrEqual(before)
    // the other clip's entry (still valid) was used as it was
    expect(pklOf(out, clips[1]).equals(clipLogMelPickle(readFileSync(wavOf(clips[1])), clips[1].audioSamples, 'x'))).toBe(true)
  })

  test('a corrupt or foreign entry is not used', async () => {
    const [a, b] = clips
    // b's entry copied over a's: made from other audio, so a miss
    writeFileSync(logMelCacheFile(wavOf(a)), readFileSync(logMelCacheFile(wavOf(b))))
    const out = join(root, 'export-3')
    await new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format: 's4', out })
    expect(pklOf(out, a).equals(clipLogMelPickle(readFileSync(wavOf(a)), a.audioSamples, 'x'))).toBe(true)
    writeFileSync(logMelCacheFile(wavOf(a)), Buffer.from('AVSLMEL1 garbage'))
    const out2 = join(root, 'export-4')
    await new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format: 's4', out: out2 })
    expect(pklOf(out2, a).equals(pklOf(out, a))).toBe(true)
  })
})
