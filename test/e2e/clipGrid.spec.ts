import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { encodeMask } from '../../src/main/services/project/maskCodec'
import { backgroundWidth, loadBackground } from './backgroundImage'
import { AvsServer, api } from './server'
import { writeSyntheticProject } from './syntheticProject'

// The clip list of a 2,000-clip project (written through the real ProjectStore, served by the real
// server): a virtual grid that keeps only the visible rows in the DOM, with each clip's current
// mask over its thumbnail, status, confidence, filters, sort and keyboard moves.

const server = new AvsServer()
let root = ''
let loginUrl = ''
let session: Awaited<ReturnType<import('@playwright/test').BrowserContext['cookies']>> = []
const CLIPS = 2000

interface ClipInfo {
  id: number
  name: string
  videoId: number
  status: string
  confidence: number | null
}

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'avs-e2e-grid-'))
  const project = await writeSyntheticProject(root, { videos: 40, clipsPerVideo: 50 })
  expect(project.clips).toBe(CLIPS)
  loginUrl = await server.start(join(root, 'home'))
})

test.afterAll(async () => {
  await server.stop()
  if (root) rmSync(root, { recursive: true, force: true })
})

async function openProject(page: Page): Promise<void> {
  if (session.length === 0) {
    await page.goto(loginUrl)
    await expect(page).not.toHaveURL(/token=/)
    session = await page.context().cookies()
    const opened = await api(page, 'project.open', { dir: join(root, `project-${CLIPS}`) })
    expect(opened.status).toBe(200)
  } else await page.context().addCookies(session)
  await page.goto(new URL('/', loginUrl).toString())
  await expect(page.getByTestId('clip-grid')).toHaveAttribute('data-total', String(CLIPS))
  // The dashboard above the list appears when its stats arrive and moves the grid down: wait for it.
  await expect(page.getByTestId('stats-clips')).toBeVisible()
}

const cards = (page: Page) => page.getByTestId('clip-card')

/**
 * Pixels of the cell's mask overlay in the editor's binary colour (255, 64, 160), at the overlay's
 * opacity: the overlay's background image, loaded and drawn as the page shows it.
 */
async function maskPixels(page: Page, clipId: number): Promise<number> {
  const overlay = page.locator(`[data-testid="clip-cell"][data-clip-id="${clipId}"] [data-testid="clip-mask"]`)
  if ((await overlay.getAttribute('data-state')) !== 'mask') return 0
  return overlay.evaluate(async (el, load) => {
    const img = await (new Function(`return ${load}`)() as typeof loadBackground)(el)
    if (!img) return -1
    type Ctx = { drawImage(i: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }
    const doc = (globalThis as unknown as { document: { createElement(t: 'canvas'): { width: number; height: number; getContext(k: '2d'): Ctx } } }).document
    const c = doc.createElement('canvas')
    c.width = img.naturalWidth
    c.height = img.naturalHeight
    const ctx = c.getContext('2d')
    ctx.drawImage(img, 0, 0)
    const { data } = ctx.getImageData(0, 0, c.width, c.height)
    let n = 0
    for (let k = 0; k < data.length; k += 4) if (data[k + 3] > 100 && data[k] > 250 && Math.abs(data[k + 1] - 64) <= 2 && Math.abs(data[k + 2] - 160) <= 2) n++
    return n
  }, loadBackground.toString())
}

/** Width of the image a thumbnail shows (its background, loaded): 0 when it does not load. */
const thumbWidth = (page: Page, clipId: number): Promise<number> => backgroundWidth(page.locator(`[data-testid="clip-card"][data-clip-id="${clipId}"] [data-testid="clip-thumb"]`))

test('2,000 clips: several per row, only the visible rows in the DOM, scrolling brings the others', async ({ page }) => {
  await openProject(page)
  const grid = page.getByTestId('clip-grid')
  const columns = Number(await grid.getAttribute('data-columns'))
  expect(columns).toBeGreaterThanOrEqual(4)
  const inDom = await cards(page).count()
  expect(inDom).toBeGreaterThanOrEqual(columns)
  expect(inDom).toBeLessThan(150)
  await expect(page.getByTestId('video-group').first()).toContainText('video000.mp4')
  await expect(page.getByTestId('video-group').first()).toContainText('50 clips')

  // Two cards of the first row sit side by side.
  const [a, b] = await cards(page).evaluateAll((els) =>
    els.slice(0, 2).map((el) => (el as unknown as { getBoundingClientRect(): { x: number; y: number; width: number } }).getBoundingClientRect())
  )
  expect(Math.abs(a.y - b.y)).toBeLessThan(1)
  expect(b.x).toBeGreaterThan(a.x + a.width)

  // Scroll the project view to the end: the last clip is in the DOM, the first is not, and the DOM stays small.
  const clips = (await api<ClipInfo[]>(page, 'clip.list', {})).body
  await page.getByTestId('project-view').evaluate((el) => (el.scrollTop = el.scrollHeight))
  await expect(page.locator(`[data-testid="clip-card"][data-clip-id="${clips[CLIPS - 1].id}"]`)).toBeVisible()
  await expect(page.locator(`[data-testid="clip-card"][data-clip-id="${clips[0].id}"]`)).toHaveCount(0)
  expect(await cards(page).count()).toBeLessThan(150)
  // The last video's header row has scrolled away: its name stays on top of the grid.
  await expect(page.getByTestId('video-group-current')).toContainText('video039.mp4')
  await expect(page.getByTestId('video-group-current')).toBeInViewport()
  expect(await thumbWidth(page, clips[CLIPS - 1].id)).toBeGreaterThan(0)
  // It covers the top of the view, the view's padding included: at any offset, what shows in the
  // top few pixels is the stuck header, never a row or header row passing under it.
  for (const scrollTop of [20_000, 20_170, 20_350]) {
    const hit = await page.getByTestId('project-view').evaluate(`(() => {
      const el = document.querySelector('[data-testid="project-view"]');
      el.scrollTop = ${scrollTop};
      const r = el.getBoundingClientRect();
      const top = document.elementFromPoint(r.left + 40, r.top + 2);
      return top ? Boolean(top.closest('[data-testid="video-group-current"]')) : null;
    })()`)
    expect(hit, `scrollTop ${scrollTop}`).toBe(true)
  }
})

test('rows scrolled into view mount with their masks: the grid loads the masks of rows ahead of the view, a row query each', async ({ page }) => {
  await openProject(page)
  const calls: number[] = []
  page.on('request', (r) => {
    if (r.url().endsWith('/api/clip.thumbMasks')) calls.push((JSON.parse(r.postData() ?? '{}') as { clipIds: number[] }).clipIds.length)
  })
  // Each time a cell starts showing a clip (a cell added, or a cell the grid reuses for another
  // clip), the state its mask overlay has in that same commit is recorded.
  // A string, not a function: the test's tsconfig has no DOM types.
  await page.evaluate(`(() => {
    const g = globalThis;
    g.__mountStates = [];
    const record = (cell) => g.__mountStates.push(cell.querySelector('[data-testid="clip-mask"]').getAttribute('data-state'));
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'attributes') { if (r.target.matches('[data-testid="clip-cell"]')) record(r.target); continue; }
        for (const n of r.addedNodes)
          if (n.querySelectorAll) for (const c of n.matches('[data-testid="clip-cell"]') ? [n] : n.querySelectorAll('[data-testid="clip-cell"]')) record(c);
      }
    }).observe(document.querySelector('[data-testid="clip-grid"]'), { childList: true, subtree: true, attributes: true, attributeFilter: ['data-clip-id'] });
  })()`)
  // Scroll down half a view at a time, letting each step settle as a reader does.
  const view = page.getByTestId('project-view')
  const height = await view.evaluate((el) => el.clientHeight)
  for (let i = 0; i < 12; i++) {
    await view.evaluate((el, dy) => (el.scrollTop += dy), Math.round(height / 2))
    await page.waitForTimeout(150)
  }
  const states = await page.evaluate(() => (globalThis as unknown as { __mountStates: string[] }).__mountStates)
  expect(states.length).toBeGreaterThan(30)
  // Without the look-ahead every row coming into view would show "loading" and render again when its masks arrive.
  expect(states.filter((s) => s === 'loading')).toEqual([])
  expect(states.filter((s) => s === 'mask').length).toBeGreaterThan(states.length / 2)
  // Batched: a call carries many clips (several rows), not one per cell.
  expect(calls.length).toBeGreaterThan(0)
  expect(Math.max(...calls)).toBeGreaterThan(Number(await page.getByTestId('clip-grid').getAttribute('data-columns')))
})

test('each thumbnail shows the clip’s current mask in the class colour; a new revision replaces it', async ({ page }) => {
  await openProject(page)
  const clips = (await api<ClipInfo[]>(page, 'clip.list', {})).body
  const first = clips[0]
  const overlay = page.locator(`[data-testid="clip-cell"][data-clip-id="${first.id}"] [data-testid="clip-mask"]`)
  await expect(overlay).toHaveAttribute('data-state', 'mask')
  await expect(overlay).toHaveAttribute('data-revision', '1')
  // The synthetic model mask is a 40×30 box on a 160×90 frame: about 1/12 of the 96×54 thumbnail.
  const painted = await maskPixels(page, first.id)
  expect(painted).toBeGreaterThan(300)
  expect(painted).toBeLessThan(600)

  // A person clears the mask of the clip's first frame: after a reload the thumbnail shows revision 2, empty.
  const detail = (await api<{ frames: Array<{ id: number; width: number; height: number }> }>(page, 'clip.get', { clipId: first.id })).body
  const f = detail.frames[0]
  const empty = Buffer.from(encodeMask(new Uint8Array(f.width * f.height))).toString('base64')
  expect((await api(page, 'mask.save', { frameId: f.id, width: f.width, height: f.height, data: empty })).status).toBe(200)
  await page.reload()
  await expect(overlay).toHaveAttribute('data-revision', '2')
  expect(await maskPixels(page, first.id)).toBe(0)
  // Its neighbour still shows its own.
  expect(await maskPixels(page, clips[1].id)).toBeGreaterThan(300)
})

test('filter by status and video, sort by model confidence: the grid shows exactly the matching clips', async ({ page }) => {
  await openProject(page)
  const clips = (await api<ClipInfo[]>(page, 'clip.list', {})).body
  const grid = page.getByTestId('clip-grid')

  const rejected = clips.filter((c) => c.status === 'rejected').length
  expect(rejected).toBeGreaterThan(0)
  await page.getByTestId('filter-status').selectOption('rejected')
  await expect(grid).toHaveAttribute('data-total', String(rejected))
  for (const badge of await page.locator('[data-testid="clip-card"] [data-testid="status-badge"]').all()) await expect(badge).toHaveText('rejected')
  await page.getByTestId('filter-status').selectOption('all')

  await page.getByTestId('filter-video').selectOption({ label: 'video007.mp4 (50)' })
  await expect(grid).toHaveAttribute('data-total', '50')
  await expect(page.getByTestId('video-group')).toHaveCount(1)
  await expect(page.getByTestId('video-group')).toContainText('video007.mp4')
  await expect(cards(page).first().getByTestId('clip-name')).toHaveText(/^video007_/)
  await page.getByTestId('filter-video').selectOption('all')
  await expect(grid).toHaveAttribute('data-total', String(CLIPS))

  await page.getByTestId('sort-clips').selectOption('confidence')
  await expect(page.getByTestId('video-group')).toHaveCount(0)
  const lowest = Math.min(...clips.map((c) => c.confidence ?? 1))
  const shown = (await cards(page).locator('[data-testid="clip-confidence"]').allTextContents()).slice(0, 8).map((t) => parseFloat(t))
  expect(shown[0]).toBe(Math.round(lowest * 100))
  expect(shown).toEqual([...shown].sort((x, y) => x - y))
  // The lowest-confidence clips come from different videos: the order is across the project.
  const names = await cards(page).locator('[data-testid="clip-name"]').allTextContents()
  expect(new Set(names.slice(0, 8).map((n) => n.split('_')[0])).size).toBeGreaterThan(1)
})

test('the keyboard moves between cards, across rows and to the end of the list', async ({ page }) => {
  await openProject(page)
  const columns = Number(await page.getByTestId('clip-grid').getAttribute('data-columns'))
  await cards(page).first().focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.locator('[data-testid="clip-card"]:focus')).toHaveAttribute('data-pos', '1')
  await page.keyboard.press('ArrowDown')
  await expect(page.locator('[data-testid="clip-card"]:focus')).toHaveAttribute('data-pos', String(1 + columns))
  await page.keyboard.press('Control+End')
  await expect(page.locator('[data-testid="clip-card"]:focus')).toHaveAttribute('data-pos', String(CLIPS - 1))
  await expect(page.locator('[data-testid="clip-card"]:focus')).toBeInViewport()
  await page.keyboard.press('Control+Home')
  await expect(page.locator('[data-testid="clip-card"]:focus')).toHaveAttribute('data-pos', '0')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('clip-view')).toBeVisible()
})

test('a focused card keeps its clip while the list scrolls far away: the grid reuses other cells, not the focused one', async ({ page }) => {
  await openProject(page)
  const first = cards(page).first()
  const id = (await first.getAttribute('data-clip-id'))!
  await first.focus()
  // Scroll ~8,000 px with the pointer, not the keyboard: the rows around the focused card are reused for other clips.
  const view = page.getByTestId('project-view')
  for (let i = 0; i < 20; i++) {
    await view.evaluate((el) => (el.scrollTop += 400))
    await page.waitForTimeout(20)
  }
  await expect(page.locator(`[data-testid="clip-card"][data-pos="0"]`)).not.toBeInViewport()
  // Read once the grid has rendered the rows of the new position (no retrying: the focused element must not change clip).
  await page.waitForTimeout(300)
  const active = await page.evaluate(`(() => { const a = document.activeElement; return { id: a && a.getAttribute('data-clip-id'), pos: a && a.getAttribute('data-pos') } })()`)
  expect(active).toEqual({ id, pos: '0' })
  const focused = page.locator('[data-testid="clip-card"]:focus')
  // The keyboard goes on from there, and brings the next card into view.
  await page.keyboard.press('ArrowRight')
  await expect(focused).toHaveAttribute('data-pos', '1')
  await expect(focused).toBeInViewport()
})

test('the grid is one tab stop: Tab leaves it from any card, Shift+Tab comes back to that card, Space selects, Enter opens', async ({ page }) => {
  await openProject(page)
  // Before any card has had the focus, the grid itself is the tab stop and hands the focus to the first card in view.
  await expect(page.locator('[data-testid="clip-card"][tabindex="0"]')).toHaveCount(0)
  await expect(page.locator('[data-testid="clip-select"]:not([tabindex="-1"])')).toHaveCount(0)
  await expect(page.getByTestId('clip-grid')).toHaveAttribute('tabindex', '0')
  const focused = page.locator('[data-testid="clip-card"]:focus')
  await page.getByTestId('clip-grid').focus()
  await expect(focused).toHaveAttribute('data-pos', '0')
  await expect(page.getByTestId('clip-grid')).toHaveAttribute('tabindex', '-1')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowDown')
  const pos = (await focused.getAttribute('data-pos'))!
  const id = (await focused.getAttribute('data-clip-id'))!
  await expect(page.locator('[data-testid="clip-card"][tabindex="0"]')).toHaveAttribute('data-pos', pos)
  // Tab goes past the other cards and checkboxes of the grid at once.
  await page.keyboard.press('Tab')
  expect(await page.evaluate(`!!document.activeElement.closest('[data-testid="clip-grid"]')`)).toBe(false)
  // Even with the list scrolled far away, Shift+Tab comes back to that card.
  await page.getByTestId('project-view').evaluate((el) => (el.scrollTop = el.scrollHeight))
  await page.waitForTimeout(200)
  await page.keyboard.press('Shift+Tab')
  await expect(focused).toHaveAttribute('data-pos', pos)
  await expect(focused).toBeInViewport()
  // Space selects the focused clip (and again clears it) without opening it.
  const box = page.locator(`[data-testid="clip-select"][data-clip-id="${id}"]`)
  await page.keyboard.press('Space')
  await expect(box).toBeChecked()
  await page.keyboard.press('Space')
  await expect(box).not.toBeChecked()
  await expect(page.getByTestId('clip-view')).toHaveCount(0)
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('clip-view')).toBeVisible()
})
