import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { makeVideo } from '../fixtures/media'
import { AvsServer, api } from './server'

// The mask editor, sound timeline and review workflow in browser mode: real mouse strokes on the
// canvas, keyboard shortcuts from the editor's action registry, and every edit checked on the server.

const shots = join(resolve(__dirname, '../..'), 'test-results')
const server = new AvsServer()
let root = ''
let loginUrl = ''
let video = ''
/** The login link works once: later tests reuse the first one's session cookie. */
let session: Awaited<ReturnType<import('@playwright/test').BrowserContext['cookies']>> = []

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'avs-e2e-editor-'))
  const media = join(root, 'media')
  mkdirSync(media)
  video = await makeVideo(media, 'tone.mp4', { duration: 11, rate: '25', audio: 'aac', width: 320, height: 240 })
  mkdirSync(shots, { recursive: true })
  loginUrl = await server.start(join(root, 'home'))
})

test.afterAll(async () => {
  await server.stop()
  if (root) rmSync(root, { recursive: true, force: true })
})

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

interface SavedMask {
  revision: number
  source: string
  width: number
  height: number
  /** Pixels with a label other than 0. */
  painted: number
  /** Label at the given probe point. */
  probe: number
}

/** The frame's newest mask on the server, inflated in the page. */
function savedMask(page: Page, frameId: number, probe: { x: number; y: number } = { x: 0, y: 0 }): Promise<SavedMask | null> {
  return page.evaluate(
    async ({ frameId, probe }) => {
      const res = await fetch('/api/mask.get', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ frameId }) })
      const m = (await res.json()) as { revision: number; source: string; width: number; height: number; data: string } | null
      if (!m) return null
      const bytes = Uint8Array.from(atob(m.data), (c) => c.charCodeAt(0))
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))
      const labels = new Uint8Array(await new Response(stream).arrayBuffer())
      let painted = 0
      for (const v of labels) if (v !== 0) painted++
      return { revision: m.revision, source: m.source, width: m.width, height: m.height, painted, probe: labels[Math.round(probe.y) * m.width + Math.round(probe.x)] }
    },
    { frameId, probe }
  )
}

interface FrameInfo {
  id: number
  index: number
  status: string
  comment: string | null
  width: number
  height: number
}

async function clipFrames(page: Page, clipId: number): Promise<FrameInfo[]> {
  const r = await api<{ frames: FrameInfo[] }>(page, 'clip.get', { clipId })
  return r.body.frames
}

const currentClipId = async (page: Page): Promise<number> => Number(await page.getByTestId('clip-view').getAttribute('data-clip-id'))

async function waitReady(page: Page, index: number): Promise<void> {
  await expect(page.getByTestId('frame-index')).toHaveAttribute('data-index', String(index))
  await expect(page.getByTestId('frame-index')).toHaveAttribute('data-ready', 'true')
}

async function waitSaved(page: Page): Promise<void> {
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved')
}

/** Screen position of a frame pixel on the editor canvas (the camera is read from the canvas box and frame size). */
async function screenPoint(page: Page, fx: number, fy: number, frame: { width: number; height: number }): Promise<{ x: number; y: number }> {
  const box = await page.getByTestId('editor-canvas').boundingBox()
  if (!box) throw new Error('no editor canvas')
  // Fit to window: the frame is scaled to fit and centred.
  const zoom = Math.min(box.width / frame.width, box.height / frame.height)
  const panX = (box.width - frame.width * zoom) / 2
  const panY = (box.height - frame.height * zoom) / 2
  return { x: box.x + panX + fx * zoom, y: box.y + panY + fy * zoom }
}

/** A real mouse stroke: press, move in small steps, release. */
async function stroke(page: Page, from: { x: number; y: number }, to: { x: number; y: number }, frame: { width: number; height: number }): Promise<void> {
  const a = await screenPoint(page, from.x, from.y, frame)
  const b = await screenPoint(page, to.x, to.y, frame)
  await page.mouse.move(a.x, a.y)
  await page.mouse.down()
  await page.mouse.move(b.x, b.y, { steps: 12 })
  await page.mouse.up()
}

/** RGBA of the static layer (frame + mask) at a frame pixel. */
async function stagePixel(page: Page, fx: number, fy: number, frame: { width: number; height: number }): Promise<number[]> {
  const canvasBox = await page.getByTestId('layer-static').boundingBox()
  const p = await screenPoint(page, fx, fy, frame)
  if (!canvasBox) throw new Error('no static layer')
  return page.getByTestId('layer-static').evaluate(
    (el, { x, y }) => {
      const c = el as unknown as { getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
      return [...c.getContext('2d').getImageData(Math.round(x), Math.round(y), 1, 1).data]
    },
    { x: p.x - canvasBox.x, y: p.y - canvasBox.y }
  )
}

test('paint, undo, redo, review and listen in the mask editor; every edit and the undo history survive a server restart', async ({ page }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Uncaught/.test(m.text())) pageErrors.push(m.text())
  })

  await test.step('log in, create an S4 project and import an 11 s video through the API', async () => {
    await logIn(page)
    await expect(page.getByTestId('start-screen')).toBeVisible()
    const created = await api(page, 'project.create', { dir: join(root, 'project'), name: 'Editor', task: 's4' })
    expect(created.status).toBe(200)
    const job = await api<{ jobId: string }>(page, 'media.import', { paths: [video] })
    expect(job.status).toBe(200)
    await expect
      .poll(async () => (await api<{ done: boolean }>(page, 'media.importResult', { jobId: job.body.jobId })).body.done, { timeout: 60_000 })
      .toBe(true)
    await page.reload()
    await expect(page.getByTestId('clip-card')).toHaveCount(2)
    await expect(page.getByTestId('dashboard')).toBeVisible()
    await expect(page.getByTestId('stats-frames')).toHaveAttribute('data-total', '10')
  })

  let frames: FrameInfo[] = []
  let clipId = 0
  const size = { width: 320, height: 240 }

  await test.step('open the first clip: the editor shows frame 1 with the sound timeline', async () => {
    await page.getByTestId('clip-card').first().click()
    await waitReady(page, 0)
    clipId = await currentClipId(page)
    frames = await clipFrames(page, clipId)
    expect(frames).toHaveLength(5)
    expect(frames[0]).toMatchObject(size)
    await expect(page.getByTestId('sound-timeline')).toHaveAttribute('data-ready', 'true', { timeout: 20_000 })
    await expect(page.getByTestId('second')).toHaveCount(5)
    // A 440 Hz tone: every second is loud, not −∞.
    await expect(page.getByTestId('second-db').first()).toHaveText(/^-?\d+ dB$/)
    expect(await savedMask(page, frames[0].id)).toBeNull()
  })

  await test.step('paint a stroke with the mouse: it is drawn and saved as a human revision', async () => {
    await page.getByTestId('brush-size').fill('30')
    await stroke(page, { x: 60, y: 120 }, { x: 260, y: 120 }, size)
    await waitSaved(page)
    const saved = await savedMask(page, frames[0].id, { x: 160, y: 120 })
    expect(saved).toMatchObject({ source: 'human', width: 320, height: 240, probe: 1 })
    expect(saved?.painted).toBeGreaterThan(200 * 25)
    expect(saved?.painted).toBeLessThan(240 * 34)
    // The mask is drawn over the frame in the binary colour (pink).
    const px = await stagePixel(page, 160, 120, size)
    expect(px[0]).toBeGreaterThan(px[1] + 40)
    await expect(page.getByTestId('frame-status')).toHaveAttribute('data-status', 'edited')
    await page.screenshot({ path: join(shots, 'editor-1-painted.png') })
  })

  await test.step('undo (Ctrl+Z) and redo (Ctrl+Shift+Z) are saved too', async () => {
    await page.keyboard.press('Control+z')
    await waitSaved(page)
    await expect.poll(async () => (await savedMask(page, frames[0].id))?.painted).toBe(0)
    await page.keyboard.press('Control+Shift+z')
    await waitSaved(page)
    await expect.poll(async () => (await savedMask(page, frames[0].id, { x: 160, y: 120 }))?.probe).toBe(1)
  })

  await test.step('A accepts the frame (after its save, so it stays accepted)', async () => {
    await page.keyboard.press('a')
    await expect(page.getByTestId('frame-status')).toHaveAttribute('data-status', 'accepted')
    await waitSaved(page)
    await expect.poll(async () => (await clipFrames(page, clipId))[0].status).toBe('accepted')
    await expect(page.getByTestId('filmstrip-item').first()).toHaveAttribute('data-status', 'accepted')
  })

  await test.step('switch frames, paint on frame 2 with the eraser and polygon tools around, come back', async () => {
    await page.keyboard.press('ArrowRight')
    await waitReady(page, 1)
    await stroke(page, { x: 40, y: 40 }, { x: 120, y: 60 }, size)
    await waitSaved(page)
    expect((await savedMask(page, frames[1].id, { x: 80, y: 50 }))?.probe).toBe(1)
    // The eraser (E) removes part of it.
    await page.keyboard.press('e')
    await expect(page.getByTestId('tool-eraser')).toHaveAttribute('aria-pressed', 'true')
    await stroke(page, { x: 110, y: 40 }, { x: 130, y: 70 }, size)
    await waitSaved(page)
    expect((await savedMask(page, frames[1].id, { x: 120, y: 58 }))?.probe).toBe(0)
    await page.keyboard.press('b')
    await page.keyboard.press('ArrowLeft')
    await waitReady(page, 0)
    // Frame 1's mask is back on the canvas at once (the editor kept it).
    const px = await stagePixel(page, 160, 120, size)
    expect(px[0]).toBeGreaterThan(px[1] + 40)
  })

  await test.step('restart the server (new port, new origin): every edit, status and the undo history are still there', async () => {
    await waitSaved(page)
    // The history is saved 400 ms after the last edit: wait until the saved one holds both strokes on
    // frame 2 (paint, eraser). Any saved history (an older one) would not do: stopping the server
    // before the newest lands loses its last step, and the undo below would undo another stroke.
    const frame2Steps = async (): Promise<number> => {
      const { data } = (await api<{ data: string | null }>(page, 'history.get', { clipId })).body
      const h = data ? (JSON.parse(data) as { undos: { kind: string; frameId?: number }[][] }) : { undos: [] }
      return h.undos.filter((step) => step.some((p) => p.kind === 'mask' && p.frameId === frames[1].id)).length
    }
    await expect.poll(frame2Steps).toBe(2)
    await server.stop()
    loginUrl = await server.start(join(root, 'home'))
    session = []
    await logIn(page)
    expect((await api(page, 'project.open', { dir: join(root, 'project') })).status).toBe(200)
    await page.goto(new URL(`/#/clip/${clipId}/0`, loginUrl).toString())
    await waitReady(page, 0)
    await expect(page.getByTestId('frame-status')).toHaveAttribute('data-status', 'accepted')
    const px = await stagePixel(page, 160, 120, size)
    expect(px[0]).toBeGreaterThan(px[1] + 40)
    expect((await savedMask(page, frames[0].id, { x: 160, y: 120 }))?.probe).toBe(1)
    expect((await savedMask(page, frames[1].id, { x: 80, y: 50 }))?.probe).toBe(1)
    const after = await clipFrames(page, clipId)
    expect(after.map((f) => f.status)).toEqual(['accepted', 'edited', 'unreviewed', 'unreviewed', 'unreviewed'])
    await page.keyboard.press('ArrowRight')
    await waitReady(page, 1)
    await expect(page.getByTestId('frame-status')).toHaveAttribute('data-status', 'edited')
    // The undo history survived the restart too: undo the eraser stroke, then redo it. The history
    // is fetched after the clip opens; Undo is enabled once it is restored.
    await expect(page.getByTestId('undo')).toBeEnabled()
    // The toolbar's Undo (the same action as Ctrl+Z, whose shortcut is covered above): a key press
    // right after the reload was lost in some loaded runs.
    await page.getByTestId('undo').click()
    await waitSaved(page)
    await expect.poll(async () => (await savedMask(page, frames[1].id, { x: 120, y: 58 }))?.probe).toBe(1)
    await expect(page.getByTestId('redo')).toBeEnabled()
    await page.keyboard.press('Control+Shift+z')
    await waitSaved(page)
    await expect.poll(async () => (await savedMask(page, frames[1].id, { x: 120, y: 58 }))?.probe).toBe(0)
    await page.keyboard.press('ArrowLeft')
    await waitReady(page, 0)
  })

  await test.step('play the audio with Space: the <audio> element reaches "playing"', async () => {
    await page.getByTestId('clip-audio').evaluate((el) => {
      const a = el as unknown as { addEventListener(t: string, f: () => void): void; dataset: Record<string, string> }
      a.addEventListener('playing', () => (a.dataset.played = 'yes'))
    })
    await page.keyboard.press('Space')
    await expect(page.getByTestId('clip-audio')).toHaveAttribute('data-played', 'yes')
    await expect(page.getByTestId('sound-playhead')).toBeVisible()
    await page.keyboard.press('Space')
    const audio = (): Promise<{ paused: boolean; currentTime: number }> =>
      page.getByTestId('clip-audio').evaluate((el) => {
        const a = el as unknown as { paused: boolean; currentTime: number }
        return { paused: a.paused, currentTime: a.currentTime }
      })
    await expect.poll(async () => (await audio()).paused).toBe(true)
    // Clicking the timeline in the middle of second 2 moves the playhead there.
    const box = await page.getByTestId('sound-canvas').boundingBox()
    if (!box) throw new Error('no sound timeline')
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height / 2)
    await expect.poll(async () => (await audio()).currentTime).toBeCloseTo(2.5, 1)
    // S plays just the current frame's second, [0, 1), and stops by itself.
    await page.keyboard.press('s')
    await expect.poll(async () => {
      const a = await audio()
      return !a.paused && a.currentTime < 1.05
    }).toBe(true)
    await expect.poll(async () => (await audio()).paused, { timeout: 5_000 }).toBe(true)
    expect((await audio()).currentTime).toBeGreaterThan(0.8)
  })

  await test.step('mark second 3 as "sounding, off-screen"', async () => {
    await page.getByTestId('second').nth(3).getByTestId('mark-offscreen').click()
    await waitSaved(page)
    await expect.poll(async () => (await api<{ seconds: { second: number; state: string }[] }>(page, 'clip.get', { clipId })).body.seconds).toEqual([{ second: 3, state: 'offscreen' }])
    await expect(page.getByTestId('second').nth(3)).toHaveAttribute('data-state', 'offscreen')
  })

  await test.step('N jumps to the next frame needing review (as the API says)', async () => {
    const expected = await api<{ clipId: number; index: number } | null>(page, 'review.next', { afterFrameId: frames[0].id })
    expect(expected.body).toMatchObject({ clipId, index: 1 })
    await page.keyboard.press('n')
    await waitReady(page, 1)
  })

  await test.step('R rejects with a comment; Shift+A accepts the whole clip', async () => {
    await page.keyboard.press('r')
    await expect(page.getByTestId('reject-dialog')).toBeVisible()
    await page.getByTestId('reject-comment').fill('the bird is missed')
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('reject-dialog')).toHaveCount(0)
    await expect(page.getByTestId('frame-status')).toHaveAttribute('data-status', 'rejected')
    await waitSaved(page)
    await expect.poll(async () => (await clipFrames(page, clipId))[1]).toMatchObject({ status: 'rejected', comment: 'the bird is missed' })
    await page.keyboard.press('Shift+A')
    await waitSaved(page)
    await expect.poll(async () => (await clipFrames(page, clipId)).map((f) => f.status)).toEqual(Array(5).fill('accepted'))
    await expect(page.getByTestId('filmstrip-item').and(page.locator('[data-status="accepted"]'))).toHaveCount(5)
    await expect(page.getByTestId('clip-status').getByTestId('status-badge')).toHaveText('accepted')
    // N now leaves this clip for the next one.
    await page.keyboard.press('n')
    await expect.poll(() => currentClipId(page)).not.toBe(clipId)
    await waitReady(page, 0)
  })

  await test.step('next clip: a polygon (P), a bucket fill (F) undone, and copy from the previous frame (C)', async () => {
    const other = await clipFrames(page, await currentClipId(page))
    await page.keyboard.press('p')
    await expect(page.getByTestId('tool-polygon')).toHaveAttribute('aria-pressed', 'true')
    for (const [x, y] of [
      [40, 40],
      [200, 40],
      [200, 200],
      [40, 200],
      [40, 40]
    ]) {
      const p = await screenPoint(page, x, y, size)
      await page.mouse.click(p.x, p.y)
    }
    await waitSaved(page)
    const polygon = await savedMask(page, other[0].id, { x: 120, y: 120 })
    expect(polygon?.probe).toBe(1)
    expect(polygon?.painted).toBeGreaterThan(150 * 150)
    expect(polygon?.painted).toBeLessThan(170 * 170)
    await page.keyboard.press('f')
    const outside = await screenPoint(page, 10, 10, size)
    await page.mouse.click(outside.x, outside.y)
    await waitSaved(page)
    await expect.poll(async () => (await savedMask(page, other[0].id))?.painted).toBe(320 * 240)
    await page.keyboard.press('Control+z')
    await waitSaved(page)
    await expect.poll(async () => (await savedMask(page, other[0].id))?.painted).toBe(polygon?.painted)
    await page.keyboard.press('ArrowRight')
    await waitReady(page, 1)
    await page.keyboard.press('c')
    await waitSaved(page)
    await expect.poll(async () => (await savedMask(page, other[1].id))?.painted).toBe(polygon?.painted)
    await page.keyboard.press('b')
  })

  await test.step('? opens the shortcut sheet generated from the action registry', async () => {
    await page.keyboard.press('?')
    const sheet = page.getByTestId('help-sheet')
    await expect(sheet).toBeVisible()
    await expect(sheet.locator('[data-action="review.accept"]')).toContainText('A')
    await expect(sheet.locator('[data-action="history.undo"]')).toContainText('Ctrl+Z')
    await page.screenshot({ path: join(shots, 'editor-2-help.png') })
    await page.keyboard.press('Escape')
    await expect(sheet).toHaveCount(0)
  })

  await test.step('wheel zooms, Shift+F fits, Space-drag pans without starting playback; the model view opens beside', async () => {
    const zoom = async (): Promise<number> => Number(await page.getByTestId('zoom').getAttribute('data-zoom'))
    const fit = await zoom()
    const c = await screenPoint(page, 160, 120, size)
    await page.mouse.move(c.x, c.y)
    await page.mouse.wheel(0, -400)
    await expect.poll(zoom).toBeGreaterThan(fit * 1.5)
    await page.keyboard.press('Shift+F')
    await expect.poll(zoom).toBeCloseTo(fit, 5)
    const before = await savedMask(page, (await clipFrames(page, await currentClipId(page)))[1].id)
    await page.keyboard.down('Space')
    await page.mouse.move(c.x, c.y)
    await page.mouse.down()
    await page.mouse.move(c.x + 80, c.y + 20, { steps: 5 })
    await page.mouse.up()
    await page.keyboard.up('Space')
    // A pan is no edit and no playback.
    await waitSaved(page)
    expect(await savedMask(page, (await clipFrames(page, await currentClipId(page)))[1].id)).toEqual(before)
    expect(await page.getByTestId('clip-audio').evaluate((el) => (el as unknown as { paused: boolean }).paused)).toBe(true)
    await page.keyboard.press('Shift+F')
    await page.getByTestId('model-mode').selectOption('beside')
    await expect(page.getByTestId('model-beside')).toBeVisible()
    await page.getByTestId('model-mode').selectOption('off')
    await expect(page.getByTestId('model-beside')).toHaveCount(0)
  })

  await test.step('the API refuses a class the project does not have', async () => {
    const labels = new Uint8Array(320 * 240).fill(2)
    const data = await page.evaluate(async (raw) => {
      const bytes = Uint8Array.from(raw)
      const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'))
      const z = new Uint8Array(await new Response(stream).arrayBuffer())
      let s = ''
      for (const b of z) s += String.fromCharCode(b)
      return btoa(s)
    }, [...labels])
    const refused = await api<{ error?: { message: string } }>(page, 'mask.save', { frameId: frames[2].id, width: 320, height: 240, data })
    expect(refused.status).toBeGreaterThanOrEqual(400)
    expect(refused.body.error?.message).toMatch(/class/i)
    expect(await savedMask(page, frames[2].id)).toBeNull()
  })

  await test.step('the dashboard counts the reviewed frames; the clip list filters by status', async () => {
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('clip-card')).toHaveCount(2)
    await expect(page.getByTestId('stats-frames').locator('[data-status="accepted"]')).toHaveAttribute('data-count', '5')
    await expect(page.getByTestId('stats-reviewed')).toHaveAttribute('data-value', '0.5')
    await page.getByTestId('filter-status').selectOption('accepted')
    await expect(page.getByTestId('clip-card')).toHaveCount(1)
    await page.getByTestId('filter-status').selectOption('all')
    await page.getByTestId('sort-clips').selectOption('confidence')
    await expect(page.getByTestId('clip-card')).toHaveCount(2)
    await page.screenshot({ path: join(shots, 'editor-3-dashboard.png') })
  })

  await test.step('the benchmark hook runs on a 1920×1080 frame (?bench=1)', async () => {
    await page.goto(new URL('/?bench=1', loginUrl).toString())
    const r = await page.evaluate(() => (globalThis as unknown as { __avsBench: (o: object) => Promise<Record<string, number>> }).__avsBench({ events: 60 }))
    for (const k of ['pointerMoveMedianMs', 'pointerMoveP95Ms', 'frameSwitchMedianMs']) {
      expect(Number.isFinite(r[k])).toBe(true)
      expect(r[k]).toBeGreaterThan(0)
    }
    console.log('editor bench (e2e smoke, 60 moves):', JSON.stringify(r))
    // Stroke end → revision in SQLite, measured by the app on a real save.
    await page.goto(new URL(`/?bench=1#/clip/${clipId}/2`, loginUrl).toString())
    await waitReady(page, 2)
    await stroke(page, { x: 20, y: 200 }, { x: 100, y: 220 }, size)
    await waitSaved(page)
    const latencies = await page.evaluate(() => (globalThis as unknown as { __avsSaveLatencies: () => Promise<number[]> }).__avsSaveLatencies())
    expect(latencies).toHaveLength(1)
    expect(latencies[0]).toBeGreaterThan(50)
    expect(latencies[0]).toBeLessThan(3000)
  })

  expect(pageErrors).toEqual([])
})

test('AVSS: find a class by name, paint it, pick recent classes with number keys', async ({ page }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await logIn(page)
  const created = await api(page, 'project.create', { dir: join(root, 'avss-project'), name: 'Semantic', task: 'avss' })
  expect(created.status).toBe(200)
  const job = await api<{ jobId: string }>(page, 'media.import', { paths: [video] })
  await expect
    .poll(async () => (await api<{ done: boolean }>(page, 'media.importResult', { jobId: job.body.jobId })).body.done, { timeout: 60_000 })
    .toBe(true)
  const result = await api<{ results: { ok: boolean; clips: number; error: string | null }[] }>(page, 'media.importResult', { jobId: job.body.jobId })
  expect(result.body.results).toEqual([expect.objectContaining({ ok: true, clips: 1 })])
  await page.reload()
  await expect(page.getByTestId('project-task')).toHaveText('AVSS')
  await page.getByTestId('clip-card').first().click()
  await waitReady(page, 0)
  const clipId = await currentClipId(page)
  const frames = await clipFrames(page, clipId)
  const size = { width: frames[0].width, height: frames[0].height }

  // Search "guitar" and take the first match.
  await page.getByTestId('class-search').fill('guitar')
  const option = page.getByTestId('class-list').locator('button').first()
  const guitarId = Number(await option.getAttribute('data-class-id'))
  expect(guitarId).toBeGreaterThan(1)
  await option.click()
  await expect(page.getByTestId('recent-class').first()).toHaveAttribute('data-class-id', String(guitarId))
  await page.getByTestId('brush-size').fill('20')
  await stroke(page, { x: 40, y: 60 }, { x: 200, y: 60 }, size)
  await waitSaved(page)
  expect((await savedMask(page, frames[0].id, { x: 120, y: 60 }))?.probe).toBe(guitarId)
  // Key 2 = the second recent class (the initial class 1): paint with it below.
  await page.keyboard.press('2')
  await expect(page.getByTestId('recent-class').nth(1)).toHaveClass(/current/)
  await stroke(page, { x: 40, y: 160 }, { x: 200, y: 160 }, size)
  await waitSaved(page)
  expect((await savedMask(page, frames[0].id, { x: 120, y: 160 }))?.probe).toBe(1)
  expect((await savedMask(page, frames[0].id, { x: 120, y: 60 }))?.probe).toBe(guitarId)
  await page.screenshot({ path: join(shots, 'editor-4-avss.png') })
  expect(pageErrors).toEqual([])
})

test('AVSS: auto-segment with a binary model asks the class of its masks, and the masks take it', async ({ page }) => {
  test.setTimeout(120_000)
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await logIn(page)
  expect((await api(page, 'project.create', { dir: join(root, 'avss-auto'), name: 'Semantic auto', task: 'avss' })).status).toBe(200)
  const job = await api<{ jobId: string }>(page, 'media.import', { paths: [video] })
  await expect
    .poll(async () => (await api<{ done: boolean }>(page, 'media.importResult', { jobId: job.body.jobId })).body.done, { timeout: 60_000 })
    .toBe(true)
  await page.reload()
  await page.getByTestId('clip-card').first().click()
  await waitReady(page, 0)
  const clipId = await currentClipId(page)
  const frames = await clipFrames(page, clipId)
  expect(frames).toHaveLength(10)

  await page.getByTestId('segment-clip').click()
  const dialog = page.getByTestId('segment-dialog')
  // The small SynthAVS model: a binary model, so the dialog asks for the class (the clip has no class of its own).
  await dialog.getByTestId('segment-model').selectOption('ccformer-tiny-s4')
  const classSelect = dialog.getByTestId('segment-class')
  await expect(classSelect).toHaveValue('')
  await expect(classSelect.locator('option').first()).toHaveText('each clip’s own class (1 of 1 clip has none)')
  await expect(dialog.getByTestId('segment-class-hint')).toContainText('is a binary model: it marks what sounds, not what it is')
  await expect(dialog.getByTestId('segment-class-hint')).toContainText('Choose a class: 1 clip has no class of its own.')
  await expect(dialog.getByTestId('segment-start')).toBeDisabled()
  await classSelect.selectOption('guitar')
  await expect(dialog.getByTestId('segment-start')).toBeEnabled()
  await dialog.screenshot({ path: join(shots, 'segment-avss-class.png') })
  await dialog.getByTestId('segment-start').click()
  await expect(dialog).toHaveCount(0)
  await expect(page.getByTestId('job-runtime').first()).toContainText('ccformer-tiny-s4 as guitar')

  // Every frame of the 10-s clip (two 5-frame windows) gets a model mask of background and guitar only.
  const guitar = 28
  const labels = (frameId: number): Promise<number[] | null> =>
    page.evaluate(async (frameId) => {
      const res = await fetch('/api/mask.get', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ frameId }) })
      const m = (await res.json()) as { source: string; data: string } | null
      if (!m || m.source !== 'model') return null
      const bytes = Uint8Array.from(atob(m.data), (c) => c.charCodeAt(0))
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))
      const counts = new Map<number, number>()
      for (const v of new Uint8Array(await new Response(stream).arrayBuffer())) counts.set(v, (counts.get(v) ?? 0) + 1)
      return [...counts.keys()].sort((a, b) => a - b)
    }, frameId)
  await expect.poll(async () => labels(frames[9].id), { timeout: 60_000 }).not.toBeNull()
  const seen = new Set<number>()
  for (const f of frames) for (const v of (await labels(f.id)) ?? [-1]) seen.add(v)
  expect([...seen].filter((v) => v !== 0)).toEqual([guitar])
  expect(pageErrors).toEqual([])
})
