// `avs masks` end to end: the real CLI (from source) on real projects (ffmpeg-imported videos, masks
// saved through the store): files laid out as the official `save_mask` writes predictions (spec
// avsbench-format §8) at each frame's size, index.json, the choice of mask, and the folder read
// back by `avs eval` and `avs import-predictions`.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { mkdtempSync } from 'node:fs'
import { beforeAll, describe, expect, test } from 'vitest'
import { createApp } from '../../src/main/app'
import { decodePng } from '../../src/main/image/png'
import { decodeMask, encodeMask, MASK_ENCODING } from '../../src/main/services/project/maskCodec'
import type { MaskPngIndex } from '../../src/main/services/avsbench/maskPngs'
import { AVSS_PALETTE } from '../../src/shared/avsClasses'
import type { ClipDetail } from '../../src/shared/domain'
import { hasPython, listFiles, makeProject, python, rectMask } from './avsbenchFixtures'

const root = mkdtempSync(join(tmpdir(), 'avs-cli-masks-'))
const repo = resolve(__dirname, '../..')
const env = { ...process.env, AVS_HOME: join(root, 'home') }

function avs(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), ...args], { env, encoding: 'utf8', cwd: repo })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** A model's mask of frame k of clip c: a horizontal band, unlike the fixture's rectangles. */
function band(w: number, h: number, c: number, k: number): Uint8Array {
  const m = new Uint8Array(w * h)
  const y0 = (5 + 9 * k + 3 * c) % (h - 12)
  m.fill(1, y0 * w + 4 * (c + 1), (y0 + 12) * w)
  return m
}

/** What the project holds: every mask revision and every frame's status. */
async function snapshot(dir: string): Promise<string> {
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  await app.dispatch('project.open', { dir })
  try {
    const { db } = app.projects.require().store
    const masks = db.prepare('SELECT frame_id, revision, source, model, confidence, hex(data) AS data FROM masks ORDER BY frame_id, revision').all()
    const frames = db.prepare('SELECT id, status, comment FROM frames ORDER BY id').all()
    return JSON.stringify({ masks, frames })
  } finally {
    app.projects.close()
  }
}

const readIndex = (dir: string): MaskPngIndex => JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as MaskPngIndex
const leftovers = (): string[] => readdirSync(root).filter((e) => e.startsWith('.'))

describe('avs masks (S4 project)', () => {
  let dir: string
  let clips: ClipDetail[]
  /** The labels written for clip c frame k by the model, and the human edit (clip 0, frame 2). */
  const modelLabels = new Map<string, Uint8Array>()
  let human: Uint8Array

  beforeAll(async () => {
    // Clip 0: category and test split (S4 layout with the category level); clip 1: neither.
    const p = await makeProject(root, 's4', [{ split: 'test', category: 'dog_barking', annotate: [] }, { annotate: [] }])
    dir = p.dir
    const store = p.app.projects.require().store
    p.clips.forEach((c, ci) => {
      for (const f of c.frames) {
        if (ci === 1 && f.index === 4) continue // a frame the model never saw
        const labels = band(f.width, f.height, ci, f.index)
        modelLabels.set(`${ci}/${f.index}`, labels)
        // an older model revision first: only the newest is written
        store.addMask(f.id, { source: 'model', width: f.width, height: f.height, encoding: MASK_ENCODING, data: encodeMask(new Uint8Array(f.width * f.height)), model: 'old-model', confidence: 0.1 })
        store.addMask(f.id, { source: 'model', width: f.width, height: f.height, encoding: MASK_ENCODING, data: encodeMask(labels), model: 'ccformer-tiny-s4 1.1.0', confidence: 0.5 + f.index / 10 })
      }
    })
    const f2 = p.clips[0].frames[2]
    human = rectMask(f2.width, f2.height, 3)
    store.addMask(f2.id, { source: 'human', width: f2.width, height: f2.height, encoding: MASK_ENCODING, data: encodeMask(human) })
    clips = store.listClips().map((c) => store.getClip(c.id)!)
    p.app.projects.close()
    expect(clips.map((c) => [c.width, c.height, c.frames.length])).toEqual([[96, 72, 5], [96, 72, 5]])
  })

  test('--source model: one L {0,255} PNG per frame at frame size, official names, index.json; the project is untouched', async () => {
    const before = await snapshot(dir)
    const out = join(root, 'masks-model')
    const r = avs('masks', dir, '--out', out)
    expect(r.stderr).toBe(`skipped ${clips[1].name}: frame 4 (0-based) has no model mask\n`)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`Wrote 9 model mask PNG(s) for 2 clip(s) to ${out}; skipped 1 frame(s)\n`)
    const [a, b] = clips
    expect(listFiles(out)).toEqual(
      [
        ...[0, 1, 2, 3, 4].map((k) => `dog_barking/${a.name}/${a.name}_${k}.png`),
        ...[0, 1, 2, 3].map((k) => `${b.name}/${b.name}_${k}.png`),
        'index.json'
      ].sort()
    )
    clips.forEach((c, ci) => {
      for (const f of c.frames) {
        const want = modelLabels.get(`${ci}/${f.index}`)
        if (!want) continue
        const file = join(out, ci === 0 ? 'dog_barking' : '', c.name, `${c.name}_${f.index}.png`)
        const img = decodePng(readFileSync(file))
        expect([img.mode, img.width, img.height], file).toEqual(['L', f.width, f.height])
        expect(new Set(img.data)).toEqual(new Set([0, 255]))
        expect(Buffer.from(img.data).equals(Buffer.from(want.map((v) => v * 255))), file).toBe(true)
      }
    })
    // the human edit of clip 0 frame 2 is not what --source model writes
    expect(Buffer.from(decodePng(readFileSync(join(out, 'dog_barking', a.name, `${a.name}_2.png`))).data).equals(Buffer.from(human.map((v) => v * 255)))).toBe(false)

    const index = readIndex(out)
    expect(index.task).toBe('s4')
    expect(index.source).toBe('model')
    expect(index.frames).toHaveLength(9)
    expect(index.frames[2]).toEqual({
      clip: a.id,
      clipName: a.name,
      category: 'dog_barking',
      frame: 2,
      sourceFrame: a.frames[2].sourceFrame,
      time: a.frames[2].time,
      file: `dog_barking/${a.name}/${a.name}_2.png`,
      width: 96,
      height: 72,
      source: 'model',
      revision: 2,
      model: 'ccformer-tiny-s4 1.1.0',
      confidence: 0.7
    })
    expect(index.frames[8]).toMatchObject({ clip: b.id, clipName: b.name, category: null, frame: 3, file: `${b.name}/${b.name}_3.png`, source: 'model' })
    expect(index.frames.map((e) => e.sourceFrame)).toEqual([...a.frames, ...b.frames.slice(0, 4)].map((f) => f.sourceFrame))
    expect(a.frames.map((f) => f.sourceFrame)).toEqual([23, 48, 73, 98, 123])
    for (const e of index.frames) expect(existsSync(join(out, e.file))).toBe(true)

    expect(await snapshot(dir)).toBe(before)
    expect(leftovers()).toEqual([])
  })

  test('--source current writes the human edit where there is one; --clips restricts to clip ids', async () => {
    const before = await snapshot(dir)
    const out = join(root, 'masks-current')
    const [a, b] = clips
    const r = avs('masks', dir, '--out', out, '--source', 'current', '--clips', String(a.id))
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`Wrote 5 current mask PNG(s) for 1 clip(s) to ${out}\n`)
    expect(listFiles(out)).toEqual([...[0, 1, 2, 3, 4].map((k) => `dog_barking/${a.name}/${a.name}_${k}.png`), 'index.json'].sort())
    const edited = decodePng(readFileSync(join(out, 'dog_barking', a.name, `${a.name}_2.png`)))
    expect(Buffer.from(edited.data).equals(Buffer.from(human.map((v) => v * 255)))).toBe(true)
    const other = decodePng(readFileSync(join(out, 'dog_barking', a.name, `${a.name}_1.png`)))
    expect(Buffer.from(other.data).equals(Buffer.from(modelLabels.get('0/1')!.map((v) => v * 255)))).toBe(true)
    const index = readIndex(out)
    expect(index.source).toBe('current')
    expect(index.frames.map((e) => [e.clip, e.frame, e.source, e.model])).toEqual([
      [a.id, 0, 'model', 'ccformer-tiny-s4 1.1.0'],
      [a.id, 1, 'model', 'ccformer-tiny-s4 1.1.0'],
      [a.id, 2, 'human', null],
      [a.id, 3, 'model', 'ccformer-tiny-s4 1.1.0'],
      [a.id, 4, 'model', 'ccformer-tiny-s4 1.1.0']
    ])
    expect(index.frames[2]).toMatchObject({ confidence: null, revision: 3 })

    // the other clip alone: its frame without any mask is skipped, with --source current too
    const outB = join(root, 'masks-b')
    const rb = avs('masks', dir, '--out', outB, '--source', 'current', '--clips', `${b.id}`)
    expect(rb.code).toBe(0)
    expect(rb.stderr).toBe(`skipped ${b.name}: frame 4 (0-based) has no mask\n`)
    expect(listFiles(outB)).toEqual([...[0, 1, 2, 3].map((k) => `${b.name}/${b.name}_${k}.png`), 'index.json'].sort())
    expect(await snapshot(dir)).toBe(before)
  })

  test('an existing folder: refused when not empty, replaced with --overwrite only if it is an earlier masks folder', () => {
    const [a, b] = clips
    const busy = join(root, 'busy')
    mkdirSync(busy)
    writeFileSync(join(busy, 'notes.txt'), 'keep me')
    const refused = avs('masks', dir, '--out', busy)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(`avs: Cannot write masks to ${busy}: the folder is not empty (choose a new folder, or --overwrite to replace it)\n`)
    const notOurs = avs('masks', dir, '--out', busy, '--overwrite')
    expect(notOurs.code).toBe(1)
    expect(notOurs.stderr).toBe(`avs: Cannot overwrite ${busy}: it holds no index.json, so it is no earlier \`avs masks\` output and is left as it is\n`)
    expect(readdirSync(busy)).toEqual(['notes.txt'])

    // an empty folder is fine without --overwrite
    const empty = join(root, 'empty')
    mkdirSync(empty)
    expect(avs('masks', dir, '--out', empty, '--clips', String(b.id)).code).toBe(0)
    expect(listFiles(empty)).toHaveLength(5)

    // an earlier output: refused without --overwrite, replaced as a whole with it
    expect(avs('masks', dir, '--out', empty, '--clips', String(a.id)).code).toBe(1)
    const again = avs('masks', dir, '--out', empty, '--clips', String(a.id), '--overwrite')
    expect(again.code).toBe(0)
    expect(listFiles(empty)).toEqual([...[0, 1, 2, 3, 4].map((k) => `dog_barking/${a.name}/${a.name}_${k}.png`), 'index.json'].sort())
    expect(leftovers()).toEqual([])
    // ... but not when the user keeps files of their own there: named, and kept
    writeFileSync(join(empty, 'notes.txt'), 'mine')
    const kept = avs('masks', dir, '--out', empty, '--clips', String(b.id), '--overwrite')
    expect(kept.code).toBe(1)
    expect(kept.stderr).toBe(`avs: Cannot overwrite ${empty}: besides earlier masks it holds notes.txt, which \`avs masks\` did not write and overwriting would delete; move them out, or write to a new folder\n`)
    expect(readFileSync(join(empty, 'notes.txt'), 'utf8')).toBe('mine')
    expect(listFiles(empty)).toHaveLength(7)
  })

  test('bad arguments: a one-line reason, a non-zero exit, nothing written', () => {
    const out = join(root, 'never')
    const cases: Array<[string[], number, string]> = [
      [['masks', dir, '--out', out, '--source', 'human'], 2, 'avs: --source must be model or current, got "human"'],
      [['masks', dir, '--out', out, '--clips', '1,x'], 2, 'avs: --clips must be clip ids such as 1,2,3, got "1,x"'],
      [['masks', dir, '--out', out, '--clips', '1,,2'], 2, 'avs: --clips must be clip ids such as 1,2,3, got "1,,2"'],
      [['masks', dir], 2, 'avs: missing --out <dir>'],
      [['masks', '--out', out], 2, 'avs: missing <project> folder'],
      [['masks', dir, '--out', out, '--clips', '99'], 1, `avs: No clip 99 in this project (its clip ids: ${clips.map((c) => c.id).join(', ')})`],
      [['masks', join(root, 'no-such-project'), '--out', out], 1, `avs: ${join(root, 'no-such-project')} does not exist`],
      [['masks', dir, '--out', join(dir, 'inside')], 1, `avs: Cannot write masks to ${join(dir, 'inside')}: it is, or holds, the project folder ${dir}; choose a folder outside it`]
    ]
    for (const [args, code, line] of cases) {
      const r = avs(...args)
      expect(r.code, args.join(' ')).toBe(code)
      expect(r.stderr.split('\n')[0], args.join(' ')).toBe(line)
      expect(r.stdout, args.join(' ')).toBe('')
    }
    expect(existsSync(out)).toBe(false)
    expect(existsSync(join(dir, 'inside'))).toBe(false)
    expect(leftovers()).toEqual([])
  })

  test.skipIf(!hasPython)('Pillow reads the PNGs as the official loaders do: mode L, frame size, convert("1") gives the mask', () => {
    const out = join(root, 'masks-model')
    const res = JSON.parse(
      python(
        'import sys, json, numpy as np; from PIL import Image\n' +
          'im = Image.open(sys.argv[1]); a = np.asarray(im.convert("1")).astype(np.uint8)\n' +
          'print(json.dumps([im.mode, im.size, int(a.sum()), sorted(set(np.asarray(im).ravel().tolist()))]))',
        [join(out, 'dog_barking', clips[0].name, `${clips[0].name}_1.png`)]
      )
    ) as [string, [number, number], number, number[]]
    const want = modelLabels.get('0/1')!
    expect(res).toEqual(['L', [96, 72], want.reduce((n, v) => n + v, 0), [0, 255]])
  })

  test('round trip: avs eval scores the folder against an export of the same masks, import-predictions reads it back', async () => {
    const [a] = clips
    // ground truth: the project's current masks exported as S4 (clip 0 only: clip 1 has no category)
    const gt = join(root, 'gt-s4')
    const exported = avs('export', dir, '--format', 's4', '--out', gt, '--frames', 'all')
    expect(exported.code, exported.stderr).toBe(0)
    const current = join(root, 'masks-current')
    const same = avs('eval', '--format', 's4', '--gt', gt, '--pred', current, '--json')
    expect(same.code, same.stderr).toBe(0)
    expect(same.stderr).toBe('')
    expect(JSON.parse(same.stdout)).toMatchObject({ clips: 1, frames: 5, missingPredictions: 0, miou: 1, fscore: 1 })
    // the model masks differ from the ground truth on the edited frame only
    const model = JSON.parse(avs('eval', '--format', 's4', '--gt', gt, '--pred', join(root, 'masks-model'), '--json').stdout) as { miou: number; missingPredictions: number }
    expect(model.missingPredictions).toBe(0)
    expect(model.miou).toBeLessThan(0.9)
    expect(model.miou).toBeGreaterThan(0.7)

    // the model folder imported back as model masks: the same labels, frame for frame
    const r = avs('import-predictions', dir, join(root, 'masks-model'), '--model', 'round-trip')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('Imported 9 model mask(s) for 2 clip(s)\n')
    const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
    await app.dispatch('project.open', { dir })
    try {
      const store = app.projects.require().store
      clips.forEach((c, ci) => {
        for (const f of c.frames) {
          const m = store.latestMask(f.id, 'model')!
          const want = modelLabels.get(`${ci}/${f.index}`)
          if (!want) {
            expect(m).toBeNull()
            continue
          }
          expect(m.model).toBe('round-trip')
          expect(Buffer.from(decodeMask(m.data, m.width, m.height)).equals(Buffer.from(want)), `${c.name} ${f.index}`).toBe(true)
        }
      })
      // the human edit stays the frame's current mask
      expect(store.latestMask(a.frames[2].id)!.source).toBe('human')
    } finally {
      app.projects.close()
    }
  })
})

describe('avs masks (AVSS project)', () => {
  let dir: string
  let clip: ClipDetail
  const classOf = (k: number): number => [7, 28, 70, 1, 35, 0, 64, 12, 2, 69][k]

  beforeAll(async () => {
    const p = await makeProject(root, 'avss', [{ label: classOf }])
    dir = p.dir
    clip = p.clips[0]
    p.app.projects.close()
    expect(clip.frames).toHaveLength(10)
  })

  test('no model mask anywhere: exit 1 with the reason, nothing written', () => {
    const out = join(root, 'avss-none')
    const r = avs('masks', dir, '--out', out)
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('avs: Nothing written: no frame of this project has a model mask (run avs segment or avs import-predictions first)\n')
    expect(existsSync(out)).toBe(false)
    expect(leftovers()).toEqual([])
  })

  test('--source current: palette PNGs (class = palette index, the AVSS palette) at frame size, read back by import-predictions', async () => {
    const out = join(root, 'avss-current')
    const r = avs('masks', dir, '--out', out, '--source', 'current')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    // AVSS predictions have no category level (official save_color_mask)
    expect(listFiles(out)).toEqual([...Array.from({ length: 10 }, (_, k) => `${clip.name}/${clip.name}_${k}.png`), 'index.json'].sort())
    const wantPalette = new Uint8Array(768)
    wantPalette.set(AVSS_PALETTE)
    for (const f of clip.frames) {
      const img = decodePng(readFileSync(join(out, clip.name, `${clip.name}_${f.index}.png`)))
      expect([img.mode, img.width, img.height]).toEqual(['P', f.width, f.height])
      expect(Buffer.from(img.palette!).equals(Buffer.from(wantPalette))).toBe(true)
      const want = rectMask(f.width, f.height, f.index, classOf(f.index))
      expect(Buffer.from(img.data).equals(Buffer.from(want)), `frame ${f.index}`).toBe(true)
    }
    const index = readIndex(out)
    expect(index.task).toBe('avss')
    expect(index.frames.map((e) => [e.frame, e.source, e.model, e.category])).toEqual(clip.frames.map((f) => [f.index, 'human', null, null]))

    const back = avs('import-predictions', dir, out, '--model', 'avss-round-trip')
    expect(back.stderr).toBe('')
    expect(back.stdout).toBe('Imported 10 model mask(s) for 1 clip(s)\n')
    const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
    await app.dispatch('project.open', { dir })
    try {
      const store = app.projects.require().store
      for (const f of clip.frames) {
        const m = store.latestMask(f.id, 'model')!
        expect(Buffer.from(decodeMask(m.data, m.width, m.height)).equals(Buffer.from(rectMask(f.width, f.height, f.index, classOf(f.index)))), `frame ${f.index}`).toBe(true)
      }
    } finally {
      app.projects.close()
    }
  })
})
