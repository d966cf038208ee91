// S4/MS3 export of clips whose frames are 224×224 RGB PNGs already (an imported AVSBench release):
// the files are copied as they are, not decoded and encoded again; any other frame (here RGBA)
// still goes through ffmpeg, resize and our encoder, with the same pixels.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { createApp } from '../../src/main/app'
import { decodePng, encodePng } from '../../src/main/image/png'
import { AvsbenchExporter } from '../../src/main/services/avsbench/AvsbenchExporter'
import type { AvsbenchImportReport } from '../../src/shared/avsbench'
import { ffmpegPath } from '../fixtures/media'
import { listFiles, makeProject } from './avsbenchFixtures'

const root = mkdtempSync(join(tmpdir(), 'avs-asis-'))

/** Pixels as ffmpeg decodes them to rgb24 (what the export resizes). */
const ffmpegRgb = (file: string): Buffer => execFileSync(ffmpegPath, ['-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'])

test('frames that are 224×224 RGB PNGs are copied byte for byte; an RGBA frame makes its clip re-encoded', async () => {
  const { app, clips } = await makeProject(root, 's4', [
    { split: 'val', category: 'dog_barking' },
    { split: 'test', category: 'race_car' }
  ])
  const release = join(root, 'release')
  await new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format: 's4', out: release })
  const [a, b] = clips
  const frame = (dir: string, c: (typeof clips)[0], k: number): string => join(dir, `s4_data/visual_frames/${c.split}/${c.category}/${c.name}/${c.name}_${k}.png`)
  // Clip a: frames saved again by another encoder (other filters and level: other bytes, same pixels).
  for (let k = 1; k <= 5; k++) {
    const img = decodePng(readFileSync(frame(release, a, k)))
    writeFileSync(frame(release, a, k), encodePng(img, { filter: 'paeth', level: 9, strategy: 0 }))
  }
  // Clip b: frame 3 as RGBA (opaque), which is not an export frame as it is.
  const rgb = decodePng(readFileSync(frame(release, b, 3)))
  const rgba = new Uint8Array(224 * 224 * 4)
  for (let i = 0; i < 224 * 224; i++) rgba.set([rgb.data[i * 3], rgb.data[i * 3 + 1], rgb.data[i * 3 + 2], 255], i * 4)
  writeFileSync(frame(release, b, 3), encodePng({ width: 224, height: 224, mode: 'RGBA', data: rgba }))
  app.projects.close()

  const other = createApp({ mode: 'cli', homeDir: join(root, 'home2') })
  const r = (await other.dispatch('avsbench.import', { dir: release, format: 's4', projectDir: join(root, 'imported') })) as AvsbenchImportReport
  expect(r).toMatchObject({ clips: 2, frames: 10, skipped: [] })
  const again = join(root, 'again')
  const report = await new AvsbenchExporter(ffmpegPath).export(other.projects.require(), { format: 's4', out: again })
  expect(report).toMatchObject({ clips: 2, frames: 10, skipped: [] })
  expect(listFiles(again)).toEqual(listFiles(release))
  for (let k = 1; k <= 5; k++) {
    // copied as they are: the other encoder's bytes, not ours
    const src = readFileSync(frame(release, a, k))
    expect(readFileSync(frame(again, a, k)).equals(src), `clip a frame ${k}`).toBe(true)
    expect(src.equals(encodePng(decodePng(src))), `clip a frame ${k} differs from our encoding`).toBe(false)
    // clip b went through ffmpeg and our encoder: RGB, the pixels ffmpeg decodes, our bytes
    const out = readFileSync(frame(again, b, k))
    const img = decodePng(out)
    expect([img.mode, img.width, img.height], `clip b frame ${k}`).toEqual(['RGB', 224, 224])
    expect(Buffer.from(img.data).equals(ffmpegRgb(frame(release, b, k))), `clip b frame ${k}`).toBe(true)
    expect(out.equals(encodePng(img)), `clip b frame ${k}`).toBe(true)
  }
  // the RGBA frame's pixels are the RGB frame's
  expect(Buffer.from(decodePng(readFileSync(frame(again, b, 3))).data).equals(Buffer.from(rgb.data))).toBe(true)
  other.projects.close()
})
