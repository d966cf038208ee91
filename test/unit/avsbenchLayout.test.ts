import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { encodePng } from '../../src/main/image/png'
import { explainFsError } from '../../src/main/services/avsbench/AvsbenchExporter'
import { imageSize } from '../../src/main/services/avsbench/AvsbenchImporter'
import { annotatedFrames, ms3, parseCsv, s4, splitByRatio, toCsv } from '../../src/main/services/avsbench/layout'
import { readBinaryMask, readClassMask } from '../../src/main/services/avsbench/maskImages'
import { WriteQueue } from '../../src/main/services/avsbench/WriteQueue'
import { encodeBinaryClip, type BinaryClipInput } from '../../src/main/services/avsbench/encodeBinaryClip'
import { ExportWorkerPool } from '../../src/main/services/avsbench/ExportWorkerPool'
import { encodeWavPcm16 } from '../../src/main/services/media/wav'
import { encodeMask } from '../../src/main/services/project/maskCodec'
import { AVSS_CLASSES, AVSS_PALETTE, label2idxJson, nearestPaletteClass, paletteClass, S4_CATEGORIES } from '../../src/shared/avsClasses'
import { ffmpegPath } from '../fixtures/media'

describe('AVSBench layout', () => {
  test('paths follow spec §1 (1-based S4/MS3 names, .mp4_ infix, no split level for MS3 frames)', () => {
    expect(s4.frame('val', 'dog_barking', 'abc_0_5000', 1)).toBe('s4_data/visual_frames/val/dog_barking/abc_0_5000/abc_0_5000_1.png')
    expect(s4.pkl('train', 'cat_meowing', 'n')).toBe('s4_data/audio_log_mel/train/cat_meowing/n.pkl')
    expect(ms3.frame('test', 'vid_1', 5)).toBe('ms3_data/visual_frames/vid_1/vid_1.mp4_5.png')
    expect(ms3.mask('test', 'vid_1', 5)).toBe('ms3_data/gt_masks/test/vid_1/vid_1_5.png')
    expect(annotatedFrames('s4', 'train', 5)).toEqual([0])
    expect(annotatedFrames('s4', 'test', 5)).toEqual([0, 1, 2, 3, 4])
    expect(annotatedFrames('avss', 'train', 5, 'v1s')).toEqual([0])
    expect(annotatedFrames('avss', 'train', 5, 'v1m')).toHaveLength(5)
    expect(annotatedFrames('avss', 'train', 10, 'v2')).toHaveLength(10)
  })

  test('CSV: LF, trailing newline, no index column, quoting round-trips', () => {
    const text = toCsv(['a', 'b'], [['x', 1], ['with,comma', 'say "hi"']])
    expect(text).toBe('a,b\nx,1\n"with,comma","say ""hi"""\n')
    expect(parseCsv(text)).toEqual({ header: ['a', 'b'], rows: [['x', '1'], ['with,comma', 'say "hi"']] })
    expect(parseCsv('\uFEFFa,b\r\n1,2')).toEqual({ header: ['a', 'b'], rows: [['1', '2']] })
  })

  test('split by ratio is stable per name and seed, and follows the ratio', () => {
    const names = Array.from({ length: 3000 }, (_, i) => `clip${i}_0_5000`)
    const a = names.map((n) => splitByRatio(n, 1, [0.7, 0.15, 0.15]))
    expect(names.map((n) => splitByRatio(n, 1, [0.7, 0.15, 0.15]))).toEqual(a)
    expect(names.map((n) => splitByRatio(n, 2, [0.7, 0.15, 0.15]))).not.toEqual(a)
    const share = (s: string): number => a.filter((x) => x === s).length / a.length
    expect(share('train')).toBeGreaterThan(0.66)
    expect(share('train')).toBeLessThan(0.74)
    expect(share('val')).toBeGreaterThan(0.12)
    expect(names.every((n) => splitByRatio(n, 0, [0, 0, 1]) === 'test')).toBe(true)
  })

  test('classes and palette match spec §3.4/§3.5', () => {
    expect(S4_CATEGORIES).toHaveLength(23)
    expect(AVSS_CLASSES).toHaveLength(71)
    expect(AVSS_PALETTE.length).toBe(213)
    const colour = (i: number): number[] => [...AVSS_PALETTE.subarray(i * 3, i * 3 + 3)]
    expect([colour(0), colour(1), colour(22), colour(37), colour(64), colour(70)]).toEqual([[0, 0, 0], [128, 0, 0], [0, 192, 128], [128, 0, 192], [32, 0, 0], [32, 128, 128]])
    expect(new Set(AVSS_CLASSES.map((_, i) => colour(i).join())).size).toBe(71)
    expect(paletteClass(32, 128, 128)).toBe(70)
    expect(paletteClass(1, 2, 3)).toBe(-1)
    expect(nearestPaletteClass(126, 3, 1)).toBe(1)
    const json = JSON.parse(label2idxJson()) as Record<string, number>
    expect(Object.entries(json).slice(0, 2)).toEqual([['background', 1], ['accordion', 2]])
    expect(json.woman).toBe(71)
  })

  test('mask reading: L ≥ 128 is foreground, P/RGB converted like Pillow, semantic values > 70 counted', () => {
    const l = readBinaryMask(encodePng({ width: 4, height: 1, mode: 'L', data: Uint8Array.from([0, 127, 128, 255]) }), 'm.png')
    expect([...l.labels]).toEqual([0, 0, 1, 1])
    const pal = new Uint8Array(6).fill(255, 3)
    const p = readBinaryMask(encodePng({ width: 3, height: 1, mode: 'P', data: Uint8Array.from([0, 1, 0]), palette: pal }), 'p.png')
    expect([...p.labels]).toEqual([0, 1, 0])
    const sem = readClassMask(encodePng({ width: 3, height: 1, mode: 'L', data: Uint8Array.from([0, 70, 255]) }), 's.png', 'semantic')
    expect([[...sem.labels], sem.unknown]).toEqual([[0, 70, 0], 1])
    expect(() => readBinaryMask(Buffer.from('nope'), '/x/mask.png')).toThrow('/x/mask.png: not a PNG file')
  })

  test('image sizes from PNG and JPEG headers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'avs-size-'))
    execFileSync(ffmpegPath, ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=70x34:duration=0.1', '-frames:v', '1', join(dir, 'a.jpg')])
    expect(imageSize(readFileSync(join(dir, 'a.jpg')), 'a.jpg')).toEqual({ width: 70, height: 34 })
    expect(imageSize(encodePng({ width: 9, height: 4, mode: 'L', data: new Uint8Array(36) }), 'b.png')).toEqual({ width: 9, height: 4 })
    expect(() => imageSize(Buffer.from('GIF89a....'), '/d/c.gif')).toThrow('/d/c.gif is not a PNG or JPEG image')
  })

  test('file-system failures become clear messages: full disk, read-only', () => {
    const err = (code: string): Error => Object.assign(new Error(`${code}: x`), { code })
    expect(explainFsError(err('ENOSPC'), '/data/out').message).toBe('Not enough disk space to export to /data/out; nothing was written there. Free some space or choose another disk.')
    expect(explainFsError(err('EROFS'), '/data/out').message).toMatch(/^Cannot write the export to \/data\/out: the destination is read-only/)
  })

  test('the write queue reports the first failure (e.g. a full disk) and settles', async () => {
    const q = new WriteQueue(2)
    await q.add('/dev/full', 'x')
    await q.settle()
    await expect(q.add(join(tmpdir(), 'never.txt'), 'y')).rejects.toMatchObject({ code: 'ENOSPC' })
    await expect(q.flush()).rejects.toMatchObject({ code: 'ENOSPC' })
  })
})

test('clips encoded on worker threads are byte-identical to inline encoding; errors name the file', async () => {
  const big = new Uint8Array(5 * 64 * 48 * 3).map((_, i) => (i * 7) % 256)
  const labels = new Uint8Array(64 * 48).fill(1, 300, 900)
  const input: BinaryClipInput = {
    // views into one shared buffer, as the decoder returns them
    frames: [0, 1, 2, 3, 4].map((k) => big.subarray(k * 64 * 48 * 3, (k + 1) * 64 * 48 * 3)),
    frameWidth: 64,
    frameHeight: 48,
    masks: [{ k: 0, data: encodeMask(labels), width: 64, height: 48 }],
    wav: encodeWavPcm16(new Int16Array(80000).map((_, i) => Math.round(3000 * Math.sin(i / 9))), 16000),
    audioSamples: 80000,
    wavFile: 'a.wav'
  }
  const pool = new ExportWorkerPool(2)
  try {
    expect(pool.threaded).toBe(true)
    const [a, b] = await Promise.all([pool.encode(input), pool.encode(input)])
    const inline = encodeBinaryClip(input)
    for (const out of [a, b]) {
      expect(out.frames.map((f, i) => Buffer.from(f).equals(inline.frames[i]))).toEqual([true, true, true, true, true])
      expect(Buffer.from(out.masks[0].png).equals(inline.masks[0].png)).toBe(true)
      expect(Buffer.from(out.pkl).equals(inline.pkl)).toBe(true)
    }
    await expect(pool.encode({ ...input, wav: new Uint8Array(10) })).rejects.toThrow('a.wav: not a WAV file')
  } finally {
    await pool.close()
  }
})
