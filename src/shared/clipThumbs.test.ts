import { expect, test } from 'vitest'
import { AVSS_CLASSES, AVSS_PALETTE } from './avsClasses'
import { BINARY_MASK_COLOR, THUMB_MASK_ALPHA, downscaleLabels, thumbMaskSize, thumbPalette } from './clipThumbs'

test('thumbMaskSize keeps the aspect and never grows a mask', () => {
  expect(thumbMaskSize(1920, 1080)).toEqual({ width: 96, height: 54 })
  expect(thumbMaskSize(224, 224)).toEqual({ width: 96, height: 96 })
  expect(thumbMaskSize(64, 48)).toEqual({ width: 64, height: 48 })
  expect(thumbMaskSize(5000, 10)).toEqual({ width: 96, height: 1 })
})

test('downscaleLabels keeps class ids exact, keeps thin objects and drops specks', () => {
  const w = 40
  const h = 20
  const labels = new Uint8Array(w * h)
  // Class 7 fills the left half; a one-pixel-wide line of class 3 at x = 30; one speck of 9 at (10, 15) inside 7's half.
  for (let y = 0; y < h; y++) {
    labels.fill(7, y * w, y * w + 20)
    labels[y * w + 30] = 3
  }
  labels[15 * w + 10] = 9
  const out = downscaleLabels(labels, w, h, 10, 5)
  const at = (x: number, y: number): number => out[y * 10 + x]
  expect(new Set(out)).toEqual(new Set([0, 3, 7]))
  for (let y = 0; y < 5; y++) {
    expect(at(0, y)).toBe(7)
    expect(at(4, y)).toBe(7)
    expect(at(7, y)).toBe(3) // x 28–31: the line covers a quarter of the block
    expect(at(9, y)).toBe(0)
  }
})

test('downscaleLabels samples large blocks (a 1080p mask) and still finds a large object', () => {
  const w = 1920
  const h = 1080
  const labels = new Uint8Array(w * h)
  for (let y = 540; y < h; y++) labels.fill(1, y * w, y * w + 960)
  const out = downscaleLabels(labels, w, h, 96, 54)
  let painted = 0
  for (const v of out) painted += v
  expect(painted).toBe(48 * 27)
  expect(out[53 * 96]).toBe(1)
  expect(out[0]).toBe(0)
})

test('thumbPalette: entry v is label v in the editor colour at the overlay opacity, 0 transparent, no more entries than the largest label', () => {
  expect(thumbPalette(new Uint8Array([0, 0, 0]), true)).toBeNull()
  const bin = thumbPalette(new Uint8Array([0, 1, 1]), true)!
  expect([...bin.palette]).toEqual([0, 0, 0, ...BINARY_MASK_COLOR])
  expect([...bin.alpha]).toEqual([0, THUMB_MASK_ALPHA])
  // AVSS: the class colours of the AVSBench palette; a label past the classes shows magenta.
  const avss = thumbPalette(new Uint8Array([3, 0, 1, AVSS_CLASSES.length]), false)!
  expect(avss.palette.length).toBe((AVSS_CLASSES.length + 1) * 3)
  expect([...avss.palette.subarray(3, 6)]).toEqual([...AVSS_PALETTE.subarray(3, 6)])
  expect([...avss.palette.subarray(9, 12)]).toEqual([...AVSS_PALETTE.subarray(9, 12)])
  expect([...avss.palette.subarray(AVSS_CLASSES.length * 3)]).toEqual([255, 0, 255])
  expect(avss.alpha[0]).toBe(0)
  expect(avss.alpha.subarray(1).every((a) => a === THUMB_MASK_ALPHA)).toBe(true)
})
