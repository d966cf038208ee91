import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { makeVideo, truncated } from '../fixtures/media'
import { backgroundWidth } from './backgroundImage'

// Browser mode end to end: the real `avs serve` (built CLI) and the built renderer in Debian's Chromium.

const repo = resolve(__dirname, '../..')
const cli = join(repo, 'out/main/cli.js')
// The package's `avs` bin: it runs out/main/cli.js (which only exports `run`).
const avsBin = join(repo, 'bin/avs.cjs')
const shots = join(repo, 'test-results')

let root = ''
let server: ChildProcess | null = null
let serverLog = ''
let loginUrl = ''
let video = ''
let notMedia = ''
let damaged = ''
let silent = ''
let long = ''

/** Starts `avs serve --port 0` (the built CLI, out/main/cli.js) and resolves with the one-time login URL it prints. */
function startServer(home: string): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    const child = spawn(process.execPath, [avsBin, 'serve', '--port', '0'], {
      cwd: repo,
      env: { ...process.env, AVS_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    server = child
    const timer = setTimeout(() => reject(new Error(`avs serve printed no login URL in 30 s:\n${serverLog}`)), 30_000)
    const onData = (chunk: Buffer): void => {
      serverLog += chunk.toString()
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(serverLog)
      if (m) {
        clearTimeout(timer)
        resolveUrl(m[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (c: Buffer) => (serverLog += c.toString()))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`avs serve exited with ${code}:\n${serverLog}`))
    })
  })
}

async function stopServer(): Promise<void> {
  const child = server
  server = null
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(killer)
}

test.beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npx electron-vite build\` first`)
  root = mkdtempSync(join(tmpdir(), 'avs-e2e-'))
  const media = join(root, 'videos ü')
  mkdirSync(media)
  ;[video, silent, long] = await Promise.all([
    makeVideo(media, 'tone vidéo.mp4', { duration: 12, rate: '25', audio: 'aac' }),
    makeVideo(media, 'silent clip.mp4', { duration: 6, rate: '30', audio: 'none' }),
    // Long enough (48 clips, seconds to import) to be cancelled while it runs.
    makeVideo(media, 'long.mp4', { duration: 240, rate: '25', width: 160, height: 120 })
  ])
  // A recording cut off after 60 % of its bytes: 2 of its 4 clips are whole.
  damaged = await truncated(await makeVideo(media, 'whole recording.mp4', { duration: 22, movflags: '+faststart' }), 0.6, join(media, 'cut recording.mp4'))
  notMedia = join(media, 'notes.txt')
  writeFileSync(notMedia, 'these are field notes, not a video\n')
  mkdirSync(shots, { recursive: true })
  loginUrl = await startServer(join(root, 'home'))
})

test.afterAll(async () => {
  await stopServer()
  if (root) rmSync(root, { recursive: true, force: true })
})

interface AudioState {
  paused: boolean
  currentTime: number
  readyState: number
}
const audioState = (page: Page): Promise<AudioState> =>
  page.getByTestId('clip-audio').evaluate((el) => {
    const a = el as unknown as AudioState
    return { paused: a.paused, currentTime: a.currentTime, readyState: a.readyState }
  })

async function frameState(page: Page): Promise<{ index: string | null; time: string | null; src: string | null }> {
  return {
    index: await page.getByTestId('frame-index').getAttribute('data-index'),
    time: await page.getByTestId('frame-time').getAttribute('data-time'),
    src: await page.getByTestId('editor-stage').getAttribute('data-image-src')
  }
}

/** The editor canvas has decoded and drawn the current frame's image. */
async function expectFrameShown(page: Page): Promise<void> {
  await expect(page.getByTestId('editor-stage')).toHaveAttribute('data-image-loaded', 'true', { timeout: 10_000 })
}

test('create a project, import videos (path and drop), browse its clips and frames with sound, reload', async ({ page }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Uncaught/.test(m.text())) pageErrors.push(m.text())
  })
  const projectDir = join(root, 'projects', 'bird song é')

  await test.step('log in with the one-time URL and see the start screen', async () => {
    await page.goto(loginUrl)
    await expect(page).not.toHaveURL(/token=/)
    await expect(page.getByTestId('start-screen')).toBeVisible()
    await expect(page.getByTestId('recent-list').getByTestId('recent-item')).toHaveCount(0)
  })

  await test.step('opening a folder that is not a project shows the API error inline', async () => {
    await page.getByTestId('open-dir').fill(join(root, 'no such project'))
    await page.getByTestId('open-submit').click()
    await expect(page.getByTestId('open-error')).toBeVisible()
    await expect(page.getByTestId('open-error')).not.toBeEmpty()
  })

  await test.step('create an S4 project through the UI', async () => {
    await page.getByTestId('create-dir').fill(projectDir)
    await page.getByTestId('create-name').fill('Bird song')
    await page.getByTestId('task-s4').check()
    await page.screenshot({ path: join(shots, 'e2e-1-start.png') })
    await page.getByTestId('create-submit').click()
    await expect(page.getByTestId('project-name')).toHaveText('Bird song')
    await expect(page.getByTestId('project-task')).toHaveText('S4')
    await expect(page.getByTestId('clip-list-empty')).toBeVisible()
  })

  await test.step('importing a file that is not media shows a clear error naming it', async () => {
    await page.getByTestId('import-paths').fill(notMedia)
    await page.getByTestId('import-submit').click()
    const error = page.getByTestId('import-error')
    await expect(error).toBeVisible()
    await expect(error).toContainText('notes.txt')
    await expect(page.getByTestId('import-result')).toHaveAttribute('data-stage', 'failed')
    await page.screenshot({ path: join(shots, 'e2e-2-import-error.png') })
    await expect(page.getByTestId('clip-list-empty')).toBeVisible()
    await page.getByTestId('import-clear').click()
    await expect(page.getByTestId('import-rows')).toHaveCount(0)
  })

  await test.step('import a 12 s video by path: two 5 s clips appear', async () => {
    await page.getByTestId('import-paths').fill(`"${video}"`)
    await page.getByTestId('import-submit').click()
    const result = page.getByTestId('import-result')
    await expect(result).toHaveAttribute('data-stage', 'done', { timeout: 60_000 })
    await expect(result).toContainText('2 clips')
    await expect(page.getByTestId('clip-card')).toHaveCount(2)
    await expect(page.getByTestId('project-counts')).toHaveText('1 video · 2 clips · 10 frames')
    for (const thumb of await page.getByTestId('clip-thumb').all()) expect(await backgroundWidth(thumb)).toBeGreaterThan(0)
  })

  await test.step('drop a video file (no audio) on the drop zone: it is uploaded, imported and flagged', async () => {
    const dataTransfer = await page.evaluateHandle(
      ({ b64, name }) => {
        const g = globalThis as unknown as { DataTransfer: new () => { items: { add(f: unknown): void } }; File: new (parts: unknown[], name: string, o: object) => unknown }
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
        const dt = new g.DataTransfer()
        dt.items.add(new g.File([bytes], name, { type: 'video/mp4' }))
        return dt
      },
      { b64: readFileSync(silent).toString('base64'), name: 'silent clip.mp4' }
    )
    await page.getByTestId('import-dropzone').dispatchEvent('drop', { dataTransfer })
    const result = page.getByTestId('import-result')
    await expect(result).toHaveAttribute('data-stage', 'done', { timeout: 60_000 })
    await expect(result).toContainText('silent clip.mp4')
    await expect(result).toContainText('1 clip')
    await expect(result.locator('[data-flag="no_audio"]')).toBeVisible()
    await expect(page.getByTestId('clip-card')).toHaveCount(3)
    await expect(page.getByTestId('video-group')).toHaveCount(2)
    // The second video's header row, then its one clip (last in the grid) with the flag on its thumbnail.
    await expect(page.getByTestId('video-group').nth(1)).toContainText('silent-clip.mp4')
    await expect(page.getByTestId('clip-card').nth(2).locator('[data-flag="no_audio"]')).toBeVisible()
    await expect(page.getByTestId('clip-card').nth(0).locator('[data-flag="no_audio"]')).toHaveCount(0)
    await expect(page.getByTestId('project-counts')).toHaveText('2 videos · 3 clips · 15 frames')
    await page.screenshot({ path: join(shots, 'e2e-3-project.png') })
  })

  await test.step('cancel a running import: the project is left as it was', async () => {
    await page.getByTestId('import-paths').fill(long)
    await page.getByTestId('import-submit').click()
    // A progress bar per video while it runs.
    await expect(page.getByTestId('import-progress').getByRole('progressbar')).toBeVisible()
    await page.screenshot({ path: join(shots, 'e2e-3b-import-running.png') })
    await page.getByTestId('import-cancel').click()
    const result = page.getByTestId('import-result')
    await expect(result).toHaveAttribute('data-stage', 'cancelled', { timeout: 30_000 })
    await expect(result).toContainText('Cancelled')
    await expect(page.getByTestId('import-error')).toHaveCount(0)
    await expect(page.getByTestId('project-counts')).toHaveText('2 videos · 3 clips · 15 frames')
    await expect(page.getByTestId('clip-card')).toHaveCount(3)
    await page.getByTestId('import-clear').click()
  })

  let firstSrc: string | null = null
  await test.step('open the first clip: frame 1 of 5 at 0.92 s', async () => {
    await page.getByTestId('clip-card').first().click()
    await expect(page.getByTestId('clip-view')).toBeVisible()
    await expect(page.getByTestId('filmstrip-item')).toHaveCount(5)
    await expect(page.getByTestId('frame-index')).toHaveAttribute('data-index', '0')
    await expect(page.getByTestId('frame-index')).toHaveText('Frame 1 / 5')
    expect(Number(await page.getByTestId('frame-time').getAttribute('data-time'))).toBeCloseTo(0.92, 2)
    await expectFrameShown(page)
    firstSrc = await page.getByTestId('editor-stage').getAttribute('data-image-src')
    expect(firstSrc).toMatch(/^\/media\//)
  })

  await test.step('step through the frames with the arrow keys', async () => {
    const seen = new Set<string | null>([firstSrc])
    for (let i = 1; i < 5; i++) {
      await page.keyboard.press('ArrowRight')
      await expect(page.getByTestId('frame-index')).toHaveAttribute('data-index', String(i))
      await expect(page.getByTestId('frame-index')).toHaveText(`Frame ${i + 1} / 5`)
      const s = await frameState(page)
      expect(Number(s.time)).toBeCloseTo(0.92 + i, 2)
      expect(seen.has(s.src)).toBe(false)
      seen.add(s.src)
      await expectFrameShown(page)
    }
    // At the last frame ArrowRight stays put; ArrowLeft goes back.
    await page.keyboard.press('ArrowRight')
    await expect(page.getByTestId('frame-index')).toHaveAttribute('data-index', '4')
    await page.keyboard.press('ArrowLeft')
    await page.keyboard.press('ArrowLeft')
    await expect(page.getByTestId('frame-index')).toHaveAttribute('data-index', '2')
    expect(Number(await page.getByTestId('frame-time').getAttribute('data-time'))).toBeCloseTo(2.92, 2)
    await expectFrameShown(page)
    // The filmstrip selects frames too.
    await page.getByTestId('filmstrip-item').nth(1).click()
    await expect(page.getByTestId('frame-index')).toHaveAttribute('data-index', '1')
    await page.keyboard.press('ArrowRight')
    await expect(page.getByTestId('frame-index')).toHaveAttribute('data-index', '2')
  })

  await test.step('play the whole clip, then only the current second', async () => {
    await page.getByTestId('audio-play').click()
    await expect.poll(async () => {
      const a = await audioState(page)
      return !a.paused && a.currentTime > 0
    }).toBe(true)
    await expect(page.getByTestId('audio-play')).toContainText('Pause')
    await expect(page.getByTestId('playhead')).toBeVisible()
    await page.screenshot({ path: join(shots, 'e2e-4-clip-playing.png') })
    await page.getByTestId('audio-play').click()
    await expect.poll(async () => (await audioState(page)).paused).toBe(true)

    // Frame index 2 → its second is [2, 3) of the clip: playback starts at 2 and stops by itself near 3.
    await page.getByTestId('audio-play-second').click()
    await expect.poll(async () => {
      const a = await audioState(page)
      return !a.paused && a.currentTime >= 2 && a.currentTime < 3.05
    }).toBe(true)
    await expect.poll(async () => (await audioState(page)).paused, { timeout: 5_000 }).toBe(true)
    const end = (await audioState(page)).currentTime
    expect(end).toBeGreaterThan(2.8)
    expect(end).toBeLessThan(3.1)
    await expect(page.getByTestId('audio-error')).toHaveCount(0)
  })

  await test.step('reload: the project, the clip and the frame are still there', async () => {
    const before = await frameState(page)
    await page.reload()
    await expect(page.getByTestId('project-name')).toHaveText('Bird song')
    await expect(page.getByTestId('clip-view')).toBeVisible()
    const after = await frameState(page)
    expect(after).toEqual(before)
    await expectFrameShown(page)
    await page.keyboard.press('ArrowLeft')
    await expect(page.getByTestId('frame-index')).toHaveAttribute('data-index', '1')
    await expectFrameShown(page)
    // ']' is the brush size in the editor now; '}' is the next clip.
    await page.keyboard.press('}')
    await expect(page.getByTestId('clip-view')).toHaveAttribute('data-clip-id', /\d+/)
    await expect(page.getByTestId('frame-index')).toHaveAttribute('data-index', '0')
    expect(Number(await page.getByTestId('frame-time').getAttribute('data-time'))).toBeCloseTo(5.92, 2)
    await expectFrameShown(page)
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('clip-card')).toHaveCount(3)
  })

  await test.step('the About panel shows versions and the resolved ffmpeg', async () => {
    await page.getByTestId('about-open').click()
    const about = page.getByTestId('about-panel')
    await expect(about).toBeVisible()
    await expect(page.getByTestId('about-ffmpeg')).toContainText(/ffmpeg/i)
    await expect(page.getByTestId('about-ffprobe')).toContainText(/ffprobe/i)
    await expect(page.getByTestId('about-version')).not.toBeEmpty()
    await page.screenshot({ path: join(shots, 'e2e-5-about.png') })
    await page.keyboard.press('Escape')
    await expect(about).toHaveCount(0)
  })

  await test.step('closing the project lists it under recent projects; opening it again works', async () => {
    await page.getByTestId('project-close').click()
    const item = page.getByTestId('recent-item')
    await expect(item).toHaveCount(1)
    await expect(item).toContainText('Bird song')
    await item.click()
    await expect(page.getByTestId('clip-card')).toHaveCount(3)
    await page.getByTestId('clip-card').nth(1).click()
    await expectFrameShown(page)
    await page.screenshot({ path: join(shots, 'e2e-6-clip.png') })
    await page.keyboard.press('Escape')
  })

  await test.step('a truncated recording: its whole clips come in, and its video keeps a "damaged file" badge saying what was kept', async () => {
    await page.getByTestId('import-paths').fill(`"${damaged}"`)
    await page.getByTestId('import-submit').click()
    const result = page.getByTestId('import-result').last()
    await expect(result).toHaveAttribute('data-stage', 'done', { timeout: 60_000 })
    await expect(page.getByTestId('clip-card')).toHaveCount(5)
    await page.reload() // kept in the project, not only in the import's report
    const group = page.locator('[data-testid="video-group"]', { hasText: 'cut recording.mp4' })
    await expect(group.getByTestId('video-import-note')).toHaveText('damaged file')
    await expect(group.getByTestId('video-import-note')).toHaveAttribute('title', /is truncated or damaged after .* 2 of its 4 clips were whole and kept/)
    await expect(page.getByTestId('video-import-note')).toHaveCount(1)
    await group.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(shots, 'e2e-7-damaged-file.png') })
  })

  expect(pageErrors).toEqual([])
})
