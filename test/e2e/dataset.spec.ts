import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { encodePng } from '../../src/main/image/png'
import { encodeWavPcm16 } from '../../src/main/services/media/wav'
import type { ExportResult, ProjectEvalResult } from '../../src/shared/avsbench'
import { AvsServer, api as callApi } from './server'

// The dataset actions in browser mode: a new project from an AVSBench S4 release folder, export
// to disk, evaluation of model vs human masks, and import of a model's saved predictions — all
// through the UI, checked against the files written and the API's own answers.

const shots = join(resolve(__dirname, '../..'), 'test-results')
const server = new AvsServer()
let root = ''
let loginUrl = ''
let release = ''
let predictions = ''
/** The login link works once: a later test reuses the first one's session cookie. */
let session: Awaited<ReturnType<import('@playwright/test').BrowserContext['cookies']>> = []

const W = 64
const H = 48

/** A rectangle mask (1 inside) whose place depends on `shift`. */
function rect(shift: number, w = W, h = H): Uint8Array {
  const m = new Uint8Array(w * h)
  for (let y = 10; y < 30; y++) for (let x = 8 + shift; x < 30 + shift; x++) m[y * w + x] = 1
  return m
}

const maskPng = (labels: Uint8Array, w = W, h = H): Buffer => encodePng({ width: w, height: h, mode: 'L', data: labels.map((v) => (v ? 255 : 0)) })

const frameCache = new Map<string, Buffer>()
/** A frame image; a few patterns, encoded once each (big releases would spend their time here). */
function framePng(seed: number, w = W, h = H): Buffer {
  seed %= 10
  const key = `${seed}:${w}x${h}`
  const cached = frameCache.get(key)
  if (cached) return cached
  const rgb = new Uint8Array(w * h * 3)
  for (let i = 0; i < w * h; i++) rgb.set([(i * 3 + seed * 40) & 255, ((i >> 6) * 5 + seed * 17) & 255, (seed * 60) & 255], i * 3)
  const png = encodePng({ width: w, height: h, mode: 'RGB', data: rgb })
  frameCache.set(key, png)
  return png
}

function put(file: string, bytes: Buffer | string): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, bytes)
}

interface ReleaseClip {
  name: string
  category: string
  split: 'train' | 'val' | 'test'
  /** Leave out this 1-based frame file: the importer must skip the clip and say why. */
  missingFrame?: number
}

const CLIPS: ReleaseClip[] = [
  { name: 'trainclip_0_5000', category: 'dog_barking', split: 'train' },
  { name: 'valclip_0_5000', category: 'cat_meowing', split: 'val' },
  { name: 'testclip_0_5000', category: 'cat_meowing', split: 'test' },
  { name: 'brokenclip_0_5000', category: 'dog_barking', split: 'test', missingFrame: 3 }
]

/** An official-layout S4 release (spec avsbench-format §1.1): Single-source/s4_meta_data.csv + s4_data/. */
function makeS4Release(dir: string, clips = CLIPS, w = W, h = H, audioSeconds = 5): string {
  const base = join(dir, 'Single-source')
  const rows = ['name,start,category,split']
  clips.forEach((c, i) => {
    rows.push(`${c.name},0,${c.category},${c.split}`)
    const data = join(base, 's4_data')
    for (let k = 1; k <= 5; k++) {
      if (k !== c.missingFrame) put(join(data, 'visual_frames', c.split, c.category, c.name, `${c.name}_${k}.png`), framePng(i * 5 + k, w, h))
      if (c.split !== 'train' || k === 1) put(join(data, 'gt_masks', c.split, c.category, c.name, `${c.name}_${k}.png`), maskPng(rect(k, w, h), w, h))
    }
    const pcm = new Int16Array(Math.round(16000 * audioSeconds))
    for (let s = 0; s < pcm.length; s++) pcm[s] = Math.round(6000 * Math.sin((s * (i + 2)) / 30))
    put(join(data, 'audio_wav', c.split, c.category, `${c.name}.wav`), encodeWavPcm16(pcm, 16000))
  })
  put(join(base, 's4_meta_data.csv'), rows.join('\n') + '\n')
  return base
}

/**
 * What `test.py --save_pred_mask` writes for S4 (spec §8): pred_masks/<category>/<clip>/<clip>_<i>.png,
 * i = 0..4. The train and val clips get shifted rectangles; the test clip's first PNG is corrupt
 * (the clip is skipped with the reason); one folder matches no clip (a warning).
 */
function makePredictions(dir: string): string {
  const base = join(dir, 'exp1', 'pred_masks')
  for (const c of CLIPS.slice(0, 3)) {
    for (let i = 0; i < 5; i++) {
      const file = join(base, c.category, c.name, `${c.name}_${i}.png`)
      put(file, c.split === 'test' && i === 0 ? 'not a png' : maskPng(rect(i + 1 + (c.split === 'train' ? 6 : 3))))
    }
  }
  put(join(base, 'horse_neighing', 'someoneelse_0_5000', 'someoneelse_0_5000_0.png'), maskPng(rect(0)))
  return join(dir, 'exp1')
}

/** All files under dir, relative, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else out.push(relative(dir, p))
    }
  }
  walk(dir)
  return out.sort()
}

/** The API call's body; a non-200 answer throws with the server's error. */
async function api<T>(page: Page, channel: string, input: object): Promise<T> {
  const r = await callApi<T>(page, channel, input)
  if (r.status !== 200) throw new Error(`${channel}: HTTP ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

/** Logs in with the one-time link the first time, then with the saved session cookie. */
async function logIn(page: Page): Promise<void> {
  if (session.length === 0) {
    await page.goto(loginUrl)
    await expect(page).not.toHaveURL(/token=/)
    session = await page.context().cookies()
  } else {
    await page.context().addCookies(session)
    await page.goto(new URL('/', loginUrl).toString())
  }
}

/** Runs an export through the API and waits for its result. */
async function exportVia(page: Page, req: object): Promise<ExportResult> {
  const { jobId } = await api<{ jobId: string }>(page, 'export.start', req)
  let r: ExportResult
  do r = await api<ExportResult>(page, 'export.result', { jobId })
  while (!r.done && (await page.waitForTimeout(200), true))
  return r
}

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'avs-e2e-dataset-'))
  release = makeS4Release(join(root, 'AVSBench ü'))
  predictions = makePredictions(join(root, 'runs'))
  mkdirSync(shots, { recursive: true })
  loginUrl = await server.start(join(root, 'home'))
})

test.afterAll(async () => {
  await server.stop()
  if (root) rmSync(root, { recursive: true, force: true })
})

test('AVSBench release → project, export to disk, refuse an existing folder, import predictions, evaluate and open the worst clip', async ({ page }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  const projectDir = join(root, 'projects', 's4 from release')
  const out = join(root, 'datasets', 'export s4')

  await test.step('log in; a folder that is no AVSBench release is refused with what is missing', async () => {
    await logIn(page)
    await expect(page.getByTestId('start-screen')).toBeVisible()
    await page.getByTestId('avsbench-release').fill(join(root, 'runs'))
    await page.getByTestId('avsbench-format-s4').check()
    await page.getByTestId('avsbench-dir').fill(projectDir)
    await page.getByTestId('avsbench-submit').click()
    await expect(page.getByTestId('avsbench-error')).toContainText('is not an AVSBench S4 release: missing s4_meta_data.csv')
  })

  await test.step('create a project from the release on the start screen: report, then the project', async () => {
    // The release's parent folder: the importer finds Single-source/ inside it.
    await page.getByTestId('avsbench-release').fill(dirname(release))
    await page.getByTestId('avsbench-name').fill('Release S4')
    await page.getByTestId('avsbench-submit').click()
    const report = page.getByTestId('avsbench-report')
    await expect(report).toBeVisible({ timeout: 60_000 })
    await expect(page.getByTestId('avsbench-report-clips')).toHaveText('3')
    await expect(page.getByTestId('avsbench-report-frames')).toHaveText('15')
    // train: frame 1 only; val and test: all 5
    await expect(page.getByTestId('avsbench-report-masks')).toHaveText('11')
    const skipped = page.getByTestId('avsbench-skipped-item')
    await expect(skipped).toHaveCount(1)
    await expect(skipped).toHaveAttribute('data-clip', 'brokenclip_0_5000')
    await expect(skipped).toContainText('missing s4_data/visual_frames/test/dog_barking/brokenclip_0_5000/brokenclip_0_5000_3.png')
    await page.screenshot({ path: join(shots, 'e2e-dataset-1-import-report.png') })
    await page.getByTestId('avsbench-report-close').click()
    await expect(report).toHaveCount(0)
    await expect(page.getByTestId('project-name')).toHaveText('Release S4')
    await expect(page.getByTestId('project-task')).toHaveText('S4')
    await expect(page.getByTestId('project-counts')).toHaveText('3 videos · 3 clips · 15 frames')
    await expect(page.getByTestId('clip-card')).toHaveCount(3)
  })

  await test.step('export as S4 to a new folder, moving one clip to val on the way; the folder on disk matches the report', async () => {
    await page.getByTestId('export-open').click()
    const dialog = page.getByTestId('export-dialog')
    await expect(dialog).toBeVisible()
    await expect(page.getByTestId('export-format-s4')).toBeChecked()
    await expect(page.getByTestId('export-frames-accepted')).toBeChecked()
    await page.getByTestId('export-clips-toggle').click()
    const testRow = page.locator('[data-testid="export-clip-row"]', { hasText: 'testclip_0_5000' })
    await expect(testRow.getByTestId('export-clip-split')).toHaveValue('test')
    await expect(testRow.getByTestId('export-clip-category')).toHaveValue('cat_meowing')
    await testRow.getByTestId('export-clip-split').selectOption('val')
    await expect.poll(async () => (await api<Array<{ name: string; split: string }>>(page, 'clip.list', {})).find((c) => c.name === 'testclip_0_5000')?.split).toBe('val')
    await page.getByTestId('export-out').fill(out)
    await page.getByTestId('export-submit').click()
    const report = page.getByTestId('export-report')
    await expect(report).toBeVisible({ timeout: 60_000 })
    await expect(page.getByTestId('export-report-clips')).toHaveText('3')
    await expect(page.getByTestId('export-report-frames')).toHaveText('15')
    await expect(page.getByTestId('export-report-masks')).toHaveText('11')
    await expect(page.getByTestId('export-report-out')).toHaveText(out)
    await expect(page.getByTestId('export-skipped')).toHaveCount(0)
    await page.screenshot({ path: join(shots, 'e2e-dataset-2-export-report.png') })

    const files = listFiles(out)
    expect(readFileSync(join(out, 's4_meta_data.csv'), 'utf8')).toBe(
      ['name,start,category,split', 'trainclip_0_5000,0,dog_barking,train', 'valclip_0_5000,0,cat_meowing,val', 'testclip_0_5000,0,cat_meowing,val', ''].join('\n')
    )
    expect(files.filter((f) => f.startsWith('s4_data/gt_masks/') && f.endsWith('.png'))).toHaveLength(11)
    expect(files.filter((f) => f.startsWith('s4_data/visual_frames/') && f.endsWith('.png'))).toHaveLength(15)
    expect(files).toContain('s4_data/gt_masks/val/cat_meowing/testclip_0_5000/testclip_0_5000_5.png')
    expect(files).toContain('s4_data/gt_masks/train/dog_barking/trainclip_0_5000/trainclip_0_5000_1.png')
    expect(files.filter((f) => f.startsWith('s4_data/audio_wav/'))).toHaveLength(3)
    expect(files.filter((f) => f.startsWith('s4_data/audio_log_mel/') && f.endsWith('.pkl'))).toHaveLength(3)
    // no hidden staging folder is left beside the export
    expect(readdirSync(dirname(out))).toEqual(['export s4'])
  })

  await test.step('exporting again to the same folder shows the "exists" error; allowing replacement succeeds', async () => {
    await page.getByTestId('export-again').click()
    await expect(page.getByTestId('export-out')).toHaveValue(out)
    await page.getByTestId('export-submit').click()
    const error = page.getByTestId('export-error')
    await expect(error).toContainText(`Cannot export to ${out}: it already exists`)
    await expect(page.getByTestId('export-report')).toHaveCount(0)
    await page.screenshot({ path: join(shots, 'e2e-dataset-3-export-exists.png') })
    // a read-only parent folder is named in the error
    const readOnly = join(root, 'read-only')
    mkdirSync(readOnly)
    chmodSync(readOnly, 0o555)
    await page.getByTestId('export-out').fill(join(readOnly, 'export'))
    await page.getByTestId('export-submit').click()
    await expect(error).toContainText(`Cannot use ${join(readOnly, 'export')} as the export folder: ${readOnly} is read-only; nothing was written.`)
    chmodSync(readOnly, 0o755)
    await page.getByTestId('export-out').fill(out)
    await page.getByTestId('export-overwrite').check()
    await page.getByTestId('export-submit').click()
    await expect(page.getByTestId('export-report')).toBeVisible({ timeout: 60_000 })
    await expect(page.getByTestId('export-report-clips')).toHaveText('3')
    await page.getByTestId('export-done').click()
    await expect(page.getByTestId('export-dialog')).toHaveCount(0)
  })

  await test.step('evaluate before any model mask: nothing to score', async () => {
    await page.getByTestId('eval-open').click()
    await expect(page.getByTestId('eval-empty')).toBeVisible()
    await expect(page.getByTestId('eval-project-frames')).toHaveAttribute('data-value', '0')
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('eval-panel')).toHaveCount(0)
  })

  await test.step('import a predictions folder: report with the imported masks, the skipped clip and the unmatched folder', async () => {
    await page.getByTestId('predictions-open').click()
    await page.getByTestId('predictions-dir').fill(predictions)
    await page.getByTestId('predictions-submit').click()
    const report = page.getByTestId('predictions-report')
    await expect(report).toBeVisible({ timeout: 30_000 })
    await expect(report).toHaveAttribute('data-clips', '2')
    await expect(report).toHaveAttribute('data-masks', '10')
    await expect(page.getByTestId('predictions-summary')).toHaveText('Imported 10 model masks into 2 clips.')
    const skipped = page.getByTestId('predictions-skipped-item')
    await expect(skipped).toHaveCount(1)
    await expect(skipped).toHaveAttribute('data-clip', 'testclip_0_5000')
    await expect(skipped).toContainText('testclip_0_5000_0.png: not a PNG file')
    await expect(page.getByTestId('predictions-warnings')).toContainText('horse_neighing')
    await page.screenshot({ path: join(shots, 'e2e-dataset-4-predictions.png') })
  })

  await test.step('evaluate: the numbers shown are those of eval.project, per clip sortable, worst first', async () => {
    await page.getByTestId('predictions-evaluate').click()
    await expect(page.getByTestId('eval-panel')).toBeVisible()
    await expect(page.getByTestId('eval-table')).toBeVisible()
    const expected = await api<ProjectEvalResult>(page, 'eval.project', {})
    // train: 1 frame with ground truth; val: 5 — the test clip has no model masks
    expect(expected.project.frames).toBe(6)
    expect(expected.clips.map((c) => c.clip).sort()).toEqual(['trainclip_0_5000', 'valclip_0_5000'])
    expect(expected.project.miou).not.toBeNull()
    expect(expected.project.miou!).toBeGreaterThan(0)
    expect(expected.project.miou!).toBeLessThan(1)
    await expect(page.getByTestId('eval-project-miou')).toHaveAttribute('data-value', String(expected.project.miou))
    await expect(page.getByTestId('eval-project-miou')).toContainText(expected.project.miou!.toFixed(3))
    await expect(page.getByTestId('eval-project-fscore')).toHaveAttribute('data-value', String(expected.project.fscore))
    await expect(page.getByTestId('eval-project-fscore')).toContainText(expected.project.fscore!.toFixed(3))
    await expect(page.getByTestId('eval-project-frames')).toHaveAttribute('data-value', '6')

    const rows = page.getByTestId('eval-row')
    await expect(rows).toHaveCount(2)
    const worstFirst = expected.clips.slice().sort((a, b) => a.miou! - b.miou!)
    expect(worstFirst[0].miou).not.toBe(worstFirst[1].miou)
    for (const [i, c] of worstFirst.entries()) {
      const row = rows.nth(i)
      await expect(row).toHaveAttribute('data-clip', c.clip)
      await expect(row).toHaveAttribute('data-miou', String(c.miou))
      await expect(row).toHaveAttribute('data-fscore', String(c.fscore))
      await expect(row).toHaveAttribute('data-frames', String(c.frames))
      await expect(row).toContainText(c.miou!.toFixed(3))
      await expect(row).toContainText(c.fscore!.toFixed(3))
    }
    await page.getByTestId('eval-sort-miou').click()
    await expect(rows.first()).toHaveAttribute('data-clip', worstFirst[1].clip)
    await page.getByTestId('eval-sort-miou').click()
    await expect(rows.first()).toHaveAttribute('data-clip', worstFirst[0].clip)
    await page.screenshot({ path: join(shots, 'e2e-dataset-5-eval.png') })

    await rows.first().getByTestId('eval-open-clip').click()
    await expect(page.getByTestId('eval-panel')).toHaveCount(0)
    await expect(page.getByTestId('clip-view')).toHaveAttribute('data-clip-id', String(worstFirst[0].clipId))
    await expect(page).toHaveURL(new RegExp(`#/clip/${worstFirst[0].clipId}/0$`))
  })

  await test.step('export as MS3 from inside a clip: the train clip (one mask) is skipped with the reason', async () => {
    // The dataset actions stay in the bar inside a clip; the finished export's report is kept.
    await page.getByTestId('export-open').click()
    await page.getByTestId('export-again').click()
    await page.getByTestId('export-format-ms3').check()
    await page.getByTestId('export-out').fill(join(root, 'datasets', 'export ms3'))
    await page.getByTestId('export-submit').click()
    await expect(page.getByTestId('export-report')).toBeVisible({ timeout: 60_000 })
    const files = listFiles(join(root, 'datasets', 'export ms3'))
    expect(readFileSync(join(root, 'datasets', 'export ms3', 'ms3_meta_data.csv'), 'utf8').trim().split('\n')[0]).toBe('video_id,split')
    // MS3 needs all 5 masks: the train clip (1 accepted mask) is skipped with the reason
    const report = page.getByTestId('export-report')
    await expect(report).toHaveAttribute('data-clips', '2')
    await expect(page.getByTestId('export-skipped-item')).toHaveAttribute('data-clip', 'trainclip_0_5000')
    await expect(page.getByTestId('export-skipped-item')).toContainText('no accepted mask')
    expect(files.filter((f) => f.startsWith('ms3_data/gt_masks/') && f.endsWith('.png'))).toHaveLength(10)
    await page.getByTestId('export-done').click()
  })

  expect(pageErrors).toEqual([])
})

// Imported predictions are model masks beside the accepted ground truth: the ground truth stays each
// frame's current mask, so the editor shows it and the next export writes it unchanged.
test('importing predictions leaves the accepted ground truth that the export writes unchanged', async ({ page }) => {
  await logIn(page)
  const current = await api<{ dir: string } | null>(page, 'project.current', {})
  if (current) await api(page, 'project.close', {})
  await api(page, 'avsbench.import', { dir: release, format: 's4', projectDir: join(root, 'projects', 'gt check') })
  const before = join(root, 'datasets', 'gt before')
  const after = join(root, 'datasets', 'gt after')
  expect((await exportVia(page, { format: 's4', out: before })).report?.masks).toBe(11)
  expect((await api<{ masks: number }>(page, 'avsbench.importPredictions', { dir: predictions })).masks).toBe(10)
  expect((await exportVia(page, { format: 's4', out: after })).report?.masks).toBe(11)
  const masks = listFiles(before).filter((f) => f.includes('gt_masks'))
  expect(listFiles(after).filter((f) => f.includes('gt_masks'))).toEqual(masks)
  const changed = masks.filter((f) => !readFileSync(join(before, f)).equals(readFileSync(join(after, f))))
  expect(changed).toEqual([])
})

test('a running export shows clips done / total and can be cancelled: nothing is left at the destination', async ({ page }) => {
  const clips: ReleaseClip[] = Array.from({ length: 60 }, (_, i) => ({ name: `clip${String(i).padStart(2, '0')}_0_5000`, category: 'dog_barking', split: 'test' }))
  const big = makeS4Release(join(root, 'big release'), clips, 640, 480)
  await logIn(page)
  if (await api<{ dir: string } | null>(page, 'project.current', {})) await api(page, 'project.close', {})
  const t0 = Date.now()
  await api(page, 'avsbench.import', { dir: big, format: 's4', projectDir: join(root, 'projects', 'big') })
  console.log(`import of ${clips.length} clips: ${Date.now() - t0} ms`)
  await page.reload()
  await expect(page.getByTestId('project-counts')).toHaveText(`${clips.length} videos · ${clips.length} clips · ${clips.length * 5} frames`)

  const out = join(root, 'datasets', 'cancelled')
  await page.getByTestId('export-open').click()
  await page.getByTestId('export-out').fill(out)
  const t1 = Date.now()
  await page.getByTestId('export-submit').click()
  const counter = page.getByTestId('export-progress-clips')
  await expect(counter).toHaveText(new RegExp(`^\\d+ / ${clips.length} clips \\d+%$`), { timeout: 60_000 })
  console.log(`first progress after ${Date.now() - t1} ms: ${await counter.textContent()}`)
  await page.screenshot({ path: join(shots, 'e2e-dataset-6-export-progress.png') })
  await page.getByTestId('export-cancel').click()
  await expect(page.getByTestId('export-cancelled')).toBeVisible({ timeout: 30_000 })
  console.log(`cancelled after ${Date.now() - t1} ms`)
  await expect(page.getByTestId('export-open')).toHaveAttribute('data-phase', 'cancelled')
  expect(readdirSync(join(root, 'datasets')).filter((f) => f.includes('cancelled'))).toEqual([])
})

test('a running release import shows clips done / total and can be cancelled: no project folder is left', async ({ page }) => {
  // Many small clips (short audio, padded on import) so the import runs long enough to be cancelled.
  const clips: ReleaseClip[] = Array.from({ length: 1500 }, (_, i) => ({ name: `many${String(i).padStart(4, '0')}_0_5000`, category: 'dog_barking', split: 'test' }))
  const many = makeS4Release(join(root, 'many release'), clips, W, H, 0.1)
  await logIn(page)
  if (await api<{ dir: string } | null>(page, 'project.current', {})) await api(page, 'project.close', {})
  await page.reload()
  const projectDir = join(root, 'projects', 'cancelled import')
  await page.getByTestId('avsbench-release').fill(many)
  await page.getByTestId('avsbench-format-s4').check()
  await page.getByTestId('avsbench-dir').fill(projectDir)
  const t0 = Date.now()
  await page.getByTestId('avsbench-submit').click()
  const counter = page.getByTestId('avsbench-progress-clips')
  await expect(counter).toHaveText(new RegExp(`^[1-9]\\d* / ${clips.length} clips$`), { timeout: 60_000 })
  console.log(`first import progress after ${Date.now() - t0} ms: ${await counter.textContent()}`)
  await page.screenshot({ path: join(shots, 'e2e-dataset-7-import-progress.png') })
  await page.getByTestId('avsbench-cancel').click()
  await expect(page.getByTestId('avsbench-cancelled')).toBeVisible({ timeout: 30_000 })
  console.log(`import cancelled after ${Date.now() - t0} ms`)
  await expect(page.getByTestId('avsbench-progress')).toHaveCount(0)
  await expect(page.getByTestId('start-screen')).toBeVisible()
  expect(await api(page, 'project.current', {})).toBeNull()
  expect(readdirSync(join(root, 'projects'))).not.toContain('cancelled import')
  await expect(page.getByTestId('avsbench-submit')).toBeEnabled()
})
