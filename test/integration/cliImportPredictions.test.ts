// `avs import-predictions` end to end: the real CLI (from source) on a real project and an official
// `test.py --save_pred_mask` folder (spec avsbench-format §8): S4 `pred_masks/<category>/<clip>/<clip>_<i>.png`
// and the category-less `pred_masks/<clip>/<clip>_<i>.png`, i = 0..4 (0-based), P-mode {0,255} images.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { createApp } from '../../src/main/app'
import { encodePng, resizeNearest } from '../../src/main/image/png'
import { decodeMask } from '../../src/main/services/project/maskCodec'
import type { ClipDetail } from '../../src/shared/domain'
import { makeVideo } from '../fixtures/media'
import { hasPython, PY } from './avsbenchFixtures'

const root = mkdtempSync(join(tmpdir(), 'avs-cli-pred-'))
const repo = resolve(__dirname, '../..')
const env = { ...process.env, AVS_HOME: join(root, 'home') }

function avs(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), ...args], { env, encoding: 'utf8', cwd: repo })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** The prediction of frame i of clip c: a 224×224 {0,1} map with a band whose place depends on both. */
function predicted(c: number, i: number): Uint8Array {
  const m = new Uint8Array(224 * 224)
  const y0 = 20 + 30 * i + 7 * c
  m.fill(1, y0 * 224 + 0, (y0 + 40) * 224)
  for (let y = 0; y < 224; y++) m.fill(0, y * 224, y * 224 + 10 * (c + 1)) // a left margin, so columns matter too
  return m
}

/**
 * Writes one prediction PNG as the official `save_mask` does: `Image.fromarray(mask*255).convert('P')`
 * with Pillow where Debian's python3 has it, else the same P-mode image from our encoder.
 */
function writeOfficialPng(file: string, labels: Uint8Array): void {
  const scaled = labels.map((v) => v * 255)
  if (hasPython) {
    const raw = `${file}.raw`
    writeFileSync(raw, scaled)
    execFileSync(PY, ['-c', 'import sys, numpy as np; from PIL import Image; a = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(224, 224); Image.fromarray(a).convert("P").save(sys.argv[2])', raw, file])
    execFileSync('rm', [raw])
  } else {
    const grey = new Uint8Array(768).map((_, j) => Math.floor(j / 3))
    writeFileSync(file, encodePng({ width: 224, height: 224, mode: 'P', data: scaled, palette: grey }))
  }
}

describe('avs import-predictions', () => {
  const dir = join(root, 'proj')
  let clips: ClipDetail[]

  beforeAll(async () => {
    const video = await makeVideo(root, 'pred video.mp4', { duration: 11, width: 96, height: 72 })
    expect(avs('new', dir, '--task', 's4').code).toBe(0)
    expect(avs('import', dir, video).code).toBe(0)
    // The first clip gets a category (S4 layout with the category level); the second has none.
    const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
    await app.dispatch('project.open', { dir })
    const store = app.projects.require().store
    const [a] = store.listClips()
    store.updateClip(a.id, { split: 'test', category: 'dog_barking' })
    clips = store.listClips().map((c) => store.getClip(c.id)!)
    app.projects.close()
    expect(clips.map((c) => c.name)).toEqual(['pred-video_0_5000', 'pred-video_5000_10000'])
  })

  test('an official --save_pred_mask folder: report on stdout, model masks resized to each frame', async () => {
    const log = join(root, 'log-ccformer')
    clips.forEach((c, ci) => {
      const base = c.category ? join(log, 'pred_masks', c.category, c.name) : join(log, 'pred_masks', c.name)
      mkdirSync(base, { recursive: true })
      for (let i = 0; i < 5; i++) writeOfficialPng(join(base, `${c.name}_${i}.png`), predicted(ci, i))
    })
    // a clip this project does not have: reported, not fatal
    mkdirSync(join(log, 'pred_masks', 'someone-else_0_5000'))
    const r = avs('import-predictions', dir, log, '--model', 'ccformer-s4')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('Imported 10 model mask(s) for 2 clip(s)\n')
    expect(r.stderr).toBe(`warning: 1 folder(s) in ${join(log, 'pred_masks')} match no clip: someone-else_0_5000\n`)

    const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
    await app.dispatch('project.open', { dir })
    try {
      const store = app.projects.require().store
      clips.forEach((c, ci) => {
        c.frames.forEach((f, i) => {
          const m = store.latestMask(f.id, 'model')
          expect(m, `${c.name} frame ${i}`).toMatchObject({ source: 'model', model: 'ccformer-s4', width: 96, height: 72 })
          // the prediction of frame i (0-based file index), nearest-resized 224 → 96×72, as 0/1 labels
          const want = resizeNearest(predicted(ci, i), 224, 224, 96, 72)
          expect(Buffer.from(decodeMask(m!.data, m!.width, m!.height)).equals(Buffer.from(want)), `${c.name} frame ${i}`).toBe(true)
          expect(want.includes(1) && want.includes(0)).toBe(true)
          // model masks are not human work: the frame is marked auto, and has no human mask
          expect(store.latestMask(f.id, 'human')).toBeNull()
        })
      })
      const info = JSON.parse(avs('info', dir, '--json').stdout) as { clips: Array<{ frames: Array<{ status: string }> }> }
      expect(info.clips.flatMap((c) => c.frames.map((f) => f.status))).toEqual(Array(10).fill('auto'))
    } finally {
      app.projects.close()
    }
  })

  test('a folder with one unreadable PNG: that clip is skipped with the reason, the rest imported', () => {
    const log = join(root, 'log-partly-bad')
    const [a, b] = clips
    mkdirSync(join(log, 'pred_masks', a.category!, a.name), { recursive: true })
    mkdirSync(join(log, 'pred_masks', b.name), { recursive: true })
    writeFileSync(join(log, 'pred_masks', a.category!, a.name, `${a.name}_0.png`), 'this is not a PNG')
    for (let i = 0; i < 5; i++) writeOfficialPng(join(log, 'pred_masks', b.name, `${b.name}_${i}.png`), predicted(1, 4 - i))
    const r = avs('import-predictions', dir, log)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('Imported 5 model mask(s) for 1 clip(s)\n')
    expect(r.stderr).toMatch(new RegExp(`^skipped ${a.name}: .*${a.name}_0\\.png: not a PNG file`))
  })

  test('bad folders: a clear one-line error and a non-zero exit; nothing imported', async () => {
    const missing = avs('import-predictions', dir, join(root, 'no-such-log'))
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(`avs: ${join(root, 'no-such-log')} does not exist\n`)
    expect(missing.stdout).toBe('')

    // PNGs laid out for other clips, and GT-style 1-based names for ours: nothing matches
    const wrong = join(root, 'log-wrong')
    mkdirSync(join(wrong, 'pred_masks', 'other_0_5000'), { recursive: true })
    writeOfficialPng(join(wrong, 'pred_masks', 'other_0_5000', 'other_0_5000_0.png'), predicted(0, 0))
    const r = avs('import-predictions', dir, wrong)
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toBe(`avs: ${wrong}: no prediction PNG matches a clip of this project (expected pred_masks/[<category>/]<clip>/<clip>_<i>.png with i from 0)\n`)

    const usage = avs('import-predictions', dir)
    expect(usage.code).toBe(2)
    expect(usage.stderr.split('\n')[0]).toBe('avs: missing <pred-dir>')

    // the failed runs added no masks: frame 0 of the first clip still has the one from the first test only
    const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
    await app.dispatch('project.open', { dir })
    try {
      const store = app.projects.require().store
      const f = clips[0].frames[0]
      expect(store.latestMask(f.id, 'model')).toMatchObject({ model: 'ccformer-s4' })
    } finally {
      app.projects.close()
    }
  })
})
