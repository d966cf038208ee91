// The S4/MS3 export keeps each encoded 224×224 frame beside its frame image and later exports read
// it back; an entry is used only for the exact image bytes it was made from.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { App } from '../../src/main/app'
import { decodePng, encodePng, resizeBilinearRGB } from '../../src/main/image/png'
import { AvsbenchExporter } from '../../src/main/services/avsbench/AvsbenchExporter'
import { exportFrameCacheFile, frameCacheKey, frameDecoderId, writeFrameCache } from '../../src/main/services/avsbench/exportFrameCache'
import type { ClipDetail } from '../../src/shared/domain'
import { ffmpegPath } from '../fixtures/media'
import { listFiles, makeProject } from './avsbenchFixtures'

const root = mkdtempSync(join(tmpdir(), 'avs-framecache-'))
let app: App
let clips: ClipDetail[]
let media: string

const ffmpegRgb = (file: string): Buffer => execFileSync(ffmpegPath, ['-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'])
const exportTo = (name: string): Promise<unknown> => new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format: 's4', out: join(root, name) })
const framePng = (out: string, c: ClipDetail, k: number): Buffer => readFileSync(join(root, out, `s4_data/visual_frames/${c.split}/${c.category}/${c.name}/${c.name}_${k + 1}.png`))
/** The export frame as it must be: the frame image decoded by ffmpeg, resized as cv2 does. */
const expected = (c: ClipDetail, k: number): Buffer => {
  const f = c.frames[k]
  return Buffer.from(resizeBilinearRGB(ffmpegRgb(join(media, f.image)), f.width, f.height, 224, 224))
}

beforeAll(async () => {
  ;({ app, clips } = await makeProject(root, 's4', [
    { split: 'val', category: 'dog_barking' },
    { split: 'test', category: 'race_car' }
  ]))
  media = app.projects.require().mediaDir
})

afterAll(() => {
  app.projects.close()
  rmSync(root, { recursive: true, force: true })
})

test('the first export leaves one entry per frame; the next export gives the same files', async () => {
  const entries = clips.flatMap((c) => c.frames.map((f) => exportFrameCacheFile(join(media, f.image))))
  expect(entries.filter((e) => existsSync(e))).toEqual([])
  await exportTo('first')
  expect(entries.filter((e) => !existsSync(e))).toEqual([])
  await exportTo('second')
  expect(listFiles(join(root, 'second'))).toEqual(listFiles(join(root, 'first')))
  for (const f of listFiles(join(root, 'first'))) expect(readFileSync(join(root, 'second', f)).equals(readFileSync(join(root, 'first', f))), f).toBe(true)
  for (const c of clips) for (let k = 0; k < 5; k++) expect(Buffer.from(decodePng(framePng('second', c, k)).data).equals(expected(c, k)), `${c.name} frame ${k}`).toBe(true)
})

test('an entry is read back when its key matches, and ignored (then rewritten) when it does not', async () => {
  const [a, b] = clips
  const imageA = join(media, a.frames[2].image)
  const decoder = frameDecoderId(ffmpegPath)
  // A grey PNG under frame a2's own key: the export takes it, so the entry is what is read.
  const grey = encodePng({ width: 224, height: 224, mode: 'RGB', data: new Uint8Array(224 * 224 * 3).fill(128) })
  writeFrameCache(exportFrameCacheFile(imageA), frameCacheKey(readFileSync(imageA), decoder), grey)
  // Frame b0's entry copied to b1: made from other image bytes, so it is not used.
  writeFileSync(exportFrameCacheFile(join(media, b.frames[1].image)), readFileSync(exportFrameCacheFile(join(media, b.frames[0].image))))
  // Frame b3's entry damaged.
  writeFileSync(exportFrameCacheFile(join(media, b.frames[3].image)), 'not an entry')
  await exportTo('third')
  expect(framePng('third', a, 2).equals(grey)).toBe(true)
  for (const k of [0, 1, 2, 3, 4]) expect(Buffer.from(decodePng(framePng('third', b, k)).data).equals(expected(b, k)), `b frame ${k}`).toBe(true)
  expect(readFileSync(exportFrameCacheFile(join(media, b.frames[3].image))).subarray(28).equals(framePng('third', b, 3))).toBe(true)

  // Another frame image at a2's path (as a re-import would leave): its own pixels, not the entry.
  writeFileSync(imageA, readFileSync(join(media, a.frames[0].image)))
  await exportTo('fourth')
  expect(Buffer.from(decodePng(framePng('fourth', a, 2)).data).equals(expected(a, 2))).toBe(true)
  expect(framePng('fourth', a, 2).equals(framePng('fourth', a, 0))).toBe(true)
})
