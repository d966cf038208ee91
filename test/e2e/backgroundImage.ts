import type { Locator } from '@playwright/test'

// The clip grid draws thumbnails and their masks as CSS backgrounds: the tests load an element's
// background image in the page, as the page itself does, to see that it loads and what it holds.

export type LoadedImage = { naturalWidth: number; naturalHeight: number }

/**
 * Runs in the page (pass it as a string, `loadBackground.toString()`, and rebuild it there):
 * the background image of `el` loaded as an image; null when it has none or it does not load.
 */
export function loadBackground(el: unknown): Promise<LoadedImage | null> {
  // The test's tsconfig has no DOM types: the few browser APIs used, typed here.
  const g = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundImage: string }; Image: new () => LoadedImage & { src: string; onload: () => void; onerror: () => void } }
  const m = /^url\("(.*)"\)$/.exec(g.getComputedStyle(el).backgroundImage)
  if (!m) return Promise.resolve(null)
  return new Promise((done) => {
    const img = new g.Image()
    img.onload = () => done(img)
    img.onerror = () => done(null)
    img.src = m[1]
  })
}

/** Width of the element's background image once loaded: 0 when it has none or it does not load. */
export const backgroundWidth = (el: Locator): Promise<number> =>
  el.evaluate(async (e, load) => (await (new Function(`return ${load}`)() as typeof loadBackground)(e))?.naturalWidth ?? 0, loadBackground.toString())
