import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { encodePng } from '../../src/main/image/png'
import { decodeMask, encodeMask, MASK_ENCODING } from '../../src/main/services/project/maskCodec'
import { ExportProgress, type AvsbenchImportReport, type ExportReport, type ExportResult } from '../../src/shared/avsbench'
import type { ClipDetail } from '../../src/shared/domain'
import { ffmpegPath, makeVideo } from '../fixtures/media'
import { listFiles, makeAvssRelease, makeProject, rectMask } from './avsbenchFixtures'

const root = mkdtempSync(join(tmpdir(), 'avs-abimport-'))

async function exportVia(app: App, format: 's4' | 'ms3' | 'avss', out: string): Promise<ExportReport> {
  const { jobId } = (await app.dispatch('export.start', { format, out })) as { jobId: string }
  const r = (await app.avsbench.waitExport(jobId)) as ExportResult
  expect(r.error).toBeNull()
  expect(await app.dispatch('export.result', { jobId })).toMatchObject({ done: true })
  return r.report!
}

function sameFiles(a: string, b: string, filter: (f: string) => boolean): number {
  const fa = listFiles(a).filter(filter)
  expect(listFiles(b).filter(filter)).toEqual(fa)
  for (const f of fa) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true)
  return fa.length
}

describe('round trip: export → import → export', () => {
  let app: App
  let clips: ClipDetail[]

  beforeAll(async () => {
    ;({ app, clips } = await makeProject(root, 's4', [
      { split: 'train', category: 'dog_barking' },
      { split: 'val', category: 'cat_meowing' },
      { split: 'test', category: 'cat_meowing', label: (k) => (k === 2 ? 0 : 1) }
    ]))
  })

  for (const format of ['s4', 'ms3'] as const) {
    test(`${format.toUpperCase()}: byte-identical masks, frames, wav and pkl; equal CSV; progress events`, async () => {
      const events: ExportProgress[] = []
      app.events.subscribe((e, p) => {
        if (e === 'export.progress') events.push(ExportProgress.parse(p))
      })
      const first = join(root, `${format}-first`)
      const r1 = await exportVia(app, format, first)
      expect(r1.skipped).toEqual([])
      const seen = events.map((p) => p.stage)
      expect(seen).toContain('writing')
      expect(seen[seen.length - 1]).toBe('done')
      // Clips written / clips to write, as reported: the total is known from the first 'writing' event on.
      expect(events[0]).toMatchObject({ stage: 'preparing', clips: 0, total: 0 })
      const writing = events.filter((p) => p.stage === 'writing')
      expect(writing.map((p) => [p.clips, p.total])).toEqual([0, 1, 2, 3].map((n) => [n, 3]))
      expect(events[events.length - 1]).toMatchObject({ stage: 'done', clips: 3, total: 3, fraction: 1, error: null })

      const other = createApp({ mode: 'cli', homeDir: join(root, 'home2') })
      const imported = (await other.dispatch('avsbench.import', { dir: first, format, projectDir: join(root, `${format}-imported`) })) as AvsbenchImportReport
      expect(imported).toMatchObject({ clips: 3, frames: 15, skipped: [], warnings: [] })
      expect(imported.masks).toBe(format === 's4' ? 11 : 15)
      const store = other.projects.require().store
      const got = store.listClips()
      expect(got.map((c) => [c.name, c.split, c.category])).toEqual(clips.map((c) => [c.name, c.split, format === 's4' ? c.category : null]))
      // imported ground truth is accepted; S4 train frames 2–5 stay unannotated
      const train = store.getClip(got[0].id)!
      expect(train.frames.map((f) => [f.status, f.hasMask])).toEqual(
        format === 's4' ? [['accepted', true], ...Array(4).fill(['unreviewed', false])] : Array(5).fill(['accepted', true])
      )
      expect(store.listMaskRevisions(train.frames[0].id)[0].source).toBe('import')

      const second = join(root, `${format}-second`)
      const r2 = await exportVia(other, format, second)
      expect(r2).toMatchObject({ clips: r1.clips, frames: r1.frames, masks: r1.masks, skipped: [] })
      expect(listFiles(second)).toEqual(listFiles(first))
      expect(sameFiles(first, second, (f) => f.includes('gt_masks'))).toBe(r1.masks)
      expect(sameFiles(first, second, (f) => f.endsWith('.csv'))).toBe(1)
      expect(sameFiles(first, second, (f) => /visual_frames|audio_wav|audio_log_mel/.test(f))).toBe(15 + 6)
      other.projects.close()
    })
  }
})

describe('AVSS import', () => {
  test('official-style release with v1s/v1m/v2 → project → export gives the same CSV and labels', async () => {
    const release = join(root, 'avss-release')
    const uids = makeAvssRelease(release)
    const app = createApp({ mode: 'cli', homeDir: join(root, 'home3') })
    const r = (await app.dispatch('avsbench.import', { dir: release, format: 'avss', projectDir: join(root, 'avss-project') })) as AvsbenchImportReport
    expect(r).toMatchObject({ clips: 3, frames: 20, masks: 1 + 5 + 10, skipped: [] })
    expect(r.warnings[0]).toMatch(/^1 mask pixel\(s\) in all had colours that are no AVSS class/)
    expect(r.warnings[1]).toMatch(/v2\/xyzXYZ98765_60000_70000\/labels_rgb\/3\.png: 1 pixel/)
    const store = app.projects.require().store
    const [v1s, v1m, v2] = store.listClips().map((c) => store.getClip(c.id)!)
    expect([v1s.frameCount, v1m.frameCount, v2.frameCount]).toEqual([5, 5, 10])
    expect(v1s.frames.map((f) => f.hasMask)).toEqual([true, false, false, false, false])
    expect(v2.start).toBe(60)
    const m = store.latestMask(v1m.frames[1].id)!
    expect(new Set(decodeMask(m.data, 40, 30))).toEqual(new Set([0, 68]))
    expect(store.latestMask(v2.frames[3].id)!.width).toBe(40)
    // 16 kHz mono, 5 s
    expect(readFileSync(join(app.projects.require().mediaDir, v1s.audio)).length).toBe(44 + 80000 * 2)

    const out = join(root, 'avss-again')
    const rep = await exportVia(app, 'avss', out)
    expect(rep.skipped).toEqual([])
    expect(readFileSync(join(out, 'metadata.csv'), 'utf8')).toBe(readFileSync(join(release, 'metadata.csv'), 'utf8'))
    expect(readFileSync(join(out, 'label2idx.json'), 'utf8')).toBe(readFileSync(join(release, 'label2idx.json'), 'utf8'))
    expect(listFiles(join(out, 'v1s'))).toEqual([`${uids[0]}/audio.wav`, ...[0, 1, 2, 3, 4].map((k) => `${uids[0]}/frames/${k}.jpg`), `${uids[0]}/labels_rgb/0.png`, `${uids[0]}/labels_semantic/0.png`])
    for (const f of listFiles(release).filter((f) => f.includes('labels_rgb') && !f.includes('v2/'))) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(release, f))), f).toBe(true)
    }
    for (const f of listFiles(release).filter((f) => f.endsWith('.jpg'))) expect(readFileSync(join(out, f)).equals(readFileSync(join(release, f)))).toBe(true)
    app.projects.close()
  })
})

describe('bad input', () => {
  test('a folder that is not AVSBench is named with what is missing; no project is created', async () => {
    const app = createApp({ mode: 'cli', homeDir: join(root, 'home4') })
    const junk = join(root, 'junk')
    mkdirSync(join(junk, 's4_data'), { recursive: true })
    writeFileSync(join(junk, 'readme.txt'), 'hi')
    await expect(app.dispatch('avsbench.import', { dir: junk, format: 's4', projectDir: join(root, 'never') })).rejects.toThrow(
      `${junk} is not an AVSBench S4 release: missing s4_meta_data.csv, s4_data/visual_frames, s4_data/gt_masks, s4_data/audio_wav`
    )
    await expect(app.dispatch('avsbench.import', { dir: junk, format: 'avss', projectDir: join(root, 'never') })).rejects.toThrow(/missing metadata\.csv, label2idx\.json/)
    expect(listFiles(root).some((f) => f.startsWith('never'))).toBe(false)
  })

  test('wrong mask size and missing files skip only that clip, with reasons', async () => {
    const first = join(root, 's4-first')
    const broken = join(root, 's4-broken')
    rmSync(broken, { recursive: true, force: true })
    execFileSync('cp', ['-r', first, broken])
    const rows = readFileSync(join(broken, 's4_meta_data.csv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split(','))
    const [name0, , cat0, split0] = rows[0]
    const [name1, , cat1, split1] = rows[1]
    writeFileSync(join(broken, `s4_data/gt_masks/${split0}/${cat0}/${name0}/${name0}_1.png`), encodePng({ width: 100, height: 224, mode: 'L', data: new Uint8Array(100 * 224) }))
    rmSync(join(broken, `s4_data/visual_frames/${split1}/${cat1}/${name1}/${name1}_3.png`))
    copyFileSync(join(broken, 's4_meta_data.csv'), join(broken, 'copy.csv'))
    const app = createApp({ mode: 'cli', homeDir: join(root, 'home5') })
    const r = (await app.dispatch('avsbench.import', { dir: broken, format: 's4', projectDir: join(root, 's4-broken-project') })) as AvsbenchImportReport
    expect(r.clips).toBe(1)
    expect(r.skipped).toEqual([
      { clip: name1, reason: `missing s4_data/visual_frames/${split1}/${cat1}/${name1}/${name1}_3.png` },
      { clip: name0, reason: `s4_data/gt_masks/${split0}/${cat0}/${name0}/${name0}_1.png is 100×224 but the frame is 224×224` }
    ])
    expect(app.projects.require().store.listClips().map((c) => c.name)).toEqual([rows[2][0]])
    app.projects.close()
  })
})

describe('command line', () => {
  const repo = join(__dirname, '../..')
  const avs = (...args: string[]): { code: number; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), ...args], { env: { ...process.env, AVS_HOME: join(root, 'home-cli') }, encoding: 'utf8', cwd: repo })
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
  }

  test('avs import-avsbench, then avs export with a split ratio, --overwrite and --json', async () => {
    const release = join(root, 'cli-release')
    makeAvssRelease(release)
    const project = join(root, 'cli-project')
    const imported = avs('import-avsbench', release, '--format', 'avss', project)
    expect(imported.code).toBe(0)
    expect(imported.stdout).toMatch(/^Imported 3 clip\(s\), 20 frame\(s\), 16 mask\(s\) into /)
    expect(imported.stderr).toMatch(/warning: 1 mask pixel/)
    const out = join(root, 'cli-out')
    const first = avs('export', project, '--format', 'avss', '--out', out)
    expect(first.stdout).toMatch(/^Exported 3 clip\(s\), 20 frame\(s\), 16 mask\(s\) as AVSS to /)
    expect(first.code).toBe(0)
    const again = avs('export', project, '--format', 'avss', '--out', out)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/it already exists/)
    const over = avs('export', project, '--format', 'avss', '--out', out, '--overwrite', '--json')
    expect(over.code).toBe(0)
    expect(JSON.parse(over.stdout)).toMatchObject({ format: 'avss', clips: 3, skipped: [] })
    expect(avs('export', project, '--format', 's4', '--out', join(root, 'x')).stderr).toMatch(/AVSS project cannot be exported as S4/)
    expect(avs('export', project, '--format', 'avss').code).toBe(2)
  })

  test('clips without a split get a stable one from --split-ratio and --seed', async () => {
    const { app, dir } = await makeProject(root, 'ms3', Array.from({ length: 6 }, () => ({ split: null })), { width: 32, height: 24 })
    app.projects.close()
    const csv = (name: string, ...extra: string[]): string => {
      const r = avs('export', dir, '--format', 'ms3', '--out', join(root, name), ...extra)
      expect(r.stderr).toBe('')
      return readFileSync(join(root, name, 'ms3_meta_data.csv'), 'utf8')
    }
    const a = csv('ratio-a', '--split-ratio', '1,1,1', '--seed', '7')
    expect(csv('ratio-b', '--split-ratio', '1,1,1', '--seed', '7')).toBe(a)
    expect(new Set(a.trim().split('\n').slice(1).map((l) => l.split(',')[1])).size).toBeGreaterThan(1)
    expect(csv('ratio-c', '--split-ratio', '0,0,1')).toMatch(/^video_id,split\n(.*,test\n){6}$/)
  })

  test('a ratio split is drawn per source video: clips of one video, also cut again at another offset, share their split', async () => {
    const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
    const dir = join(root, 'per-video')
    await app.dispatch('project.create', { dir, task: 'ms3' })
    const long = await makeVideo(root, 'long take.mp4', { duration: 15, width: 32, height: 24, tone: 500 })
    const others = await Promise.all([0, 1, 2, 3].map((i) => makeVideo(root, `other-${i}.mp4`, { duration: 5, width: 32, height: 24, tone: 700 + 50 * i })))
    // the long take twice: at the start, and cut again from 1 s on
    for (const [paths, startOffset] of [[[long, ...others], 0], [[long], 1]] as Array<[string[], number]>) {
      const { jobId } = (await app.dispatch('media.import', { paths, startOffset })) as { jobId: string }
      expect((await app.imports.wait(jobId)).every((r) => r.ok)).toBe(true)
    }
    const { store } = app.projects.require()
    for (const c of store.listClips()) {
      for (const f of store.getClip(c.id)!.frames) {
        store.addMask(f.id, { source: 'human', width: f.width, height: f.height, encoding: MASK_ENCODING, data: encodeMask(rectMask(f.width, f.height, f.index)) })
        store.setFrameStatus([f.id], 'accepted')
      }
    }
    app.projects.close()
    const seen = new Set<string>()
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const r = avs('export', dir, '--format', 'ms3', '--out', join(root, `per-video-${seed}`), '--split-ratio', '1,1,1', '--seed', String(seed))
      expect(r.stderr).toBe('')
      const rows = readFileSync(join(root, `per-video-${seed}`, 'ms3_meta_data.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','))
      const longRows = rows.filter(([name]) => name!.startsWith('long-take'))
      expect(longRows.length).toBeGreaterThanOrEqual(5) // 3 clips from 0 s, 2 or 3 from 1 s
      expect(rows).toHaveLength(longRows.length + 4)
      expect(new Set(longRows.map(([, split]) => split!)).size).toBe(1) // every clip of one source: one split
      seen.add(rows.map(([, split]) => split).join())
    }
    expect(seen.size).toBeGreaterThan(1) // the seed moves whole videos between splits
  })
})
