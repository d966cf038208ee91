import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { AvsServer } from '../test/e2e/server'
import { writeSyntheticProject } from '../test/e2e/syntheticProject'
import { CHROMIUM_ARGS, call } from './browser'
import { record, WORK_DIR } from './lib'

// Frames are not held to the display's 60 Hz, so the interval between animation frames is the
// time the page needs for one frame (script, style, layout, paint), not the vsync period.
const UNTHROTTLED = ['--disable-frame-rate-limit', '--disable-gpu-vsync']
const RUNS = 5
const SCROLL_PASSES = 3

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Records, from the page's time origin (navigation start), when the first element matching `selector` is painted. */
const PAINT_WATCH = (selector: string): string => `(() => {
  const g = globalThis;
  g.__painted = null;
  const check = () => {
    if (g.__painted !== null || !document.querySelector(${JSON.stringify(selector)})) return false;
    requestAnimationFrame(() => setTimeout(() => { g.__painted ??= performance.now() }, 0));
    return true;
  };
  new MutationObserver((_, o) => { if (check()) o.disconnect() }).observe(document, { childList: true, subtree: true });
})()`

/** Loads `/` in a fresh page and returns ms from navigation start until `selector` is painted. */
async function timeToPainted(context: BrowserContext, url: string, selector: string): Promise<{ ms: number; jsBytes: number; page: Page }> {
  const page = await context.newPage()
  await page.addInitScript(PAINT_WATCH(selector))
  let jsBytes = 0
  page.on('response', (r) => {
    if (r.url().endsWith('.js')) void r.body().then((b) => (jsBytes += b.length), () => undefined)
  })
  await page.goto(url)
  await page.waitForFunction(() => (globalThis as unknown as { __painted: number | null }).__painted !== null, undefined, { timeout: 60_000 })
  const ms = await page.evaluate(() => (globalThis as unknown as { __painted: number }).__painted)
  await page.waitForLoadState('networkidle')
  return { ms, jsBytes, page }
}

class FramesStalled extends Error {}

/**
 * Scrolls the project view one step per animation frame for `frames` frames (reversing at either
 * end) and returns the p95 and median interval between frames, in ms.
 */
async function scrollFrameTimes(page: Page, frames: number, step: number, countBlank = false): Promise<{ p95: number; median: number; blank: number }> {
  // A page whose frames stop (a renderer that hung or died) fails the bench instead of hanging it.
  let timer: ReturnType<typeof setTimeout> | undefined
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FramesStalled(`the page stopped producing frames: ${frames} scrolled frames did not finish within 60 s`)), 60_000)
  })
  try {
    return await Promise.race([scrollFrames(page, frames, step, countBlank), stalled])
  } finally {
    clearTimeout(timer)
  }
}

function scrollFrames(page: Page, frames: number, step: number, countBlank: boolean): Promise<{ p95: number; median: number; blank: number }> {
  // A string, not a function: tsx would wrap the inner functions in a helper the page does not have.
  return page.evaluate(`new Promise((done) => {
    const el = document.querySelector('[data-testid="project-view"]');
    const times = [];
    let dir = 1;
    let last = -1;
    let blank = 0;
    const grid = document.querySelector('[data-testid="clip-grid"]');
    // A frame is blank where rendered rows do not cover the view (a gap over 24 px): cheap frames must not come from skipped rows.
    const uncovered = () => {
      const r = el.getBoundingClientRect();
      const rows = [...grid.querySelectorAll('.clip-row, h3.clip-group')].map((x) => x.getBoundingClientRect()).filter((x) => x.bottom > r.top && x.top < r.bottom).sort((p, q) => p.top - q.top);
      let y = Math.max(r.top, grid.getBoundingClientRect().top);
      for (const x of rows) { if (x.top > y + 24) return true; y = Math.max(y, x.bottom); }
      return r.bottom > y + 24 && grid.getBoundingClientRect().bottom > y + 24;
    };
    const tick = (t) => {
      if (last >= 0) times.push(t - last);
      last = t;
      if (${countBlank} && uncovered()) blank++;
      if (times.length >= ${frames}) {
        times.sort((a, b) => a - b);
        done({ p95: times[Math.floor(times.length * 0.95)], median: times[Math.floor(times.length / 2)], blank });
        return;
      }
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) dir = -1;
      else if (el.scrollTop <= 0) dir = 1;
      el.scrollTop += dir * ${step};
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })`)
}

/** Changes a <select> of the list as a person would and returns ms until the next frame is painted. */
async function timeSelect(page: Page, testId: string, value: string): Promise<number> {
  return page.evaluate(`new Promise((done) => {
    const el = document.querySelector('[data-testid="${testId}"]');
    const setValue = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
    const t0 = performance.now();
    setValue.call(el, ${JSON.stringify(value)});
    el.dispatchEvent(new Event('change', { bubbles: true }));
    requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
  })`)
}

/** Total size of the built renderer's JavaScript (what one bundle would make the start screen load). */
function rendererJsBytes(repo: string): number {
  const dir = join(repo, 'out/renderer/assets')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js') && !f.startsWith('benchHooks'))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0)
}

/**
 * The start screen's first paint and the clip list of a 2,000-clip project (10,000 frames, a model
 * mask on each) in Debian's Chromium, browser mode. Baselines from the same run: the renderer's
 * whole JavaScript for the start screen's bytes, and a 100-clip project for the list's figures.
 */
export async function benchClipList(): Promise<void> {
  const repo = resolve(__dirname, '..')
  if (!existsSync(join(repo, 'out/renderer/index.html'))) throw new Error('run `npm run build` first (the clip list bench drives the built UI)')
  const root = mkdtempSync(join(WORK_DIR, 'clip-list-'))
  const server = new AvsServer()
  let browser: Browser | null = null
  try {
    const big = await writeSyntheticProject(root, { videos: 40, clipsPerVideo: 50 })
    const small = await writeSyntheticProject(root, { videos: 2, clipsPerVideo: 50 })
    const loginUrl = await server.start(join(root, 'home'))
    const home = new URL('/', loginUrl).toString()
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...UNTHROTTLED], headless: true })
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } })
    const login = await context.newPage()
    await login.goto(loginUrl)

    // Start screen (no project open): first paint and the JavaScript it loads.
    const start: number[] = []
    let startJs = 0
    for (let i = 0; i < RUNS; i++) {
      const r = await timeToPainted(context, home, '[data-testid="start-screen"]')
      start.push(r.ms)
      startJs = r.jsBytes
      await r.page.close()
    }
    record('start_screen.first_paint', median(start), 'ms', null, `navigation start → start screen painted, median of ${RUNS}`)
    record('start_screen.js', startJs / 1024, 'kB', rendererJsBytes(repo) / 1024, 'JavaScript the start screen loads; baseline = the whole renderer (one bundle)')

    // The clip list: time until the grid's cards are painted, then scrolling frame times.
    const list = async (dir: string): Promise<{ interactive: number; scroll: { p95: number; median: number; passes: number[] }; blank: number; cells: number; filterSort: number }> => {
      await call(login, 'project.open', { dir })
      const times: number[] = []
      let last: Page | null = null
      for (let i = 0; i < RUNS; i++) {
        await last?.close()
        const r = await timeToPainted(context, home, '[data-testid="clip-card"]')
        times.push(r.ms)
        last = r.page
      }
      const page = last!
      // Warm-up pass (thumbnail masks of the rows fetched once), then three measured passes: the
      // figures are the median pass's, so that one pass slowed by something else on the machine
      // (a 2-core VM's neighbours) does not decide them; every pass's p95 is printed.
      await scrollFrameTimes(page, 120, 160)
      const passes: Array<{ p95: number; median: number }> = []
      for (let i = 0; i < SCROLL_PASSES; i++) passes.push(await scrollFrameTimes(page, 400, 160))
      const scroll = { p95: median(passes.map((p) => p.p95)), median: median(passes.map((p) => p.median)), passes: passes.map((p) => p.p95) }
      // The same scroll again, not timed (the check forces a layout each frame): frames whose view rows do not cover.
      const { blank } = await scrollFrameTimes(page, 400, 160, true)
      const cells = await page.getByTestId('clip-card').count()
      // Filter and sort: change → painted, for each of four changes, the median over 3 rounds.
      const changes: number[] = []
      for (let i = 0; i < 3; i++) {
        changes.push(await timeSelect(page, 'sort-clips', 'confidence'))
        changes.push(await timeSelect(page, 'filter-status', 'rejected'))
        changes.push(await timeSelect(page, 'filter-status', 'all'))
        changes.push(await timeSelect(page, 'sort-clips', 'video'))
      }
      await page.close()
      return { interactive: median(times), scroll, blank, cells, filterSort: median(changes) }
    }
    // Debian's Chromium 156, headless with the frame-rate limit off, now and then stops producing
    // frames in the middle of a scroll: requestAnimationFrame never fires again while timers still
    // run, and a screenshot times out (seen with this grid's CSS before and after 8e44253). Such a
    // list is measured again once, on fresh pages; a second stall fails the bench.
    const listOnce = async (dir: string): ReturnType<typeof list> => {
      try {
        return await list(dir)
      } catch (err) {
        if (!(err instanceof FramesStalled)) throw err
        console.log(`  ${err.message}; measuring this list again on a fresh page`)
        for (const p of context.pages()) if (p !== login) await p.close()
        return list(dir)
      }
    }
    const base = await listOnce(small.dir)
    const res = await listOnce(big.dir)
    record('clip_list.interactive.2000_clips', res.interactive, 'ms', base.interactive, `navigation start → first cards painted, median of ${RUNS}; baseline = 100-clip project (small enough to render whole); target ≤ 1000 ms`)
    record('clip_list.scroll_frame.p95.2000_clips', res.scroll.p95, 'ms', base.scroll.p95, `p95 of 400 frames scrolling 160 px/frame, frame rate unthrottled, median of ${SCROLL_PASSES} passes (${res.scroll.passes.map((p) => p.toFixed(1)).join(', ')} ms); baseline = 100-clip project; target ≤ 16 ms; ${res.cells} cards in the DOM`)
    record('clip_list.scroll_frame.median.2000_clips', res.scroll.median, 'ms', base.scroll.median, `median frame, median of ${SCROLL_PASSES} passes; baseline = 100-clip project`)
    record('clip_list.scroll_blank_frames.2000_clips', res.blank, 'frames', base.blank, 'of 400 scrolled frames, those where the rendered rows leave a gap over 24 px in the view (must stay 0: fast frames must not come from rows not drawn)')
    record('clip_list.filter_sort.2000_clips', res.filterSort, 'ms', base.filterSort, 'select change → next frame painted (sort by confidence/video, status filter on/off), median of 12; baseline = 100-clip project')
  } finally {
    await browser?.close()
    await server.stop()
    rmSync(root, { recursive: true, force: true })
  }
}
