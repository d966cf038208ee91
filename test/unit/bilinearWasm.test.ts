import { afterEach, describe, expect, test } from 'vitest'
import { bilinearKernels, setBilinearKernels } from '../../src/main/image/bilinearWasm'
import { resizeBilinearRGB, resizeBilinearRGBFilled, resizeBilinearRGBTransient, resizeNearest, resizeNearestMapped } from '../../src/main/image/png'

function rand(n: number, seed: number): Uint8Array {
  const a = new Uint8Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    // saturated runs as well as noise: the extremes are where rounding and clamping differ
    a[i] = s >>> 31 ? ((s >>> 30) & 1 ? 255 : 0) : (s >>> 16) & 0xff
  }
  return a
}

/** The TypeScript loops (what runs where WebAssembly SIMD is missing). */
function withoutSimd<T>(fn: () => T): T {
  const k = bilinearKernels()
  setBilinearKernels(null)
  try {
    return fn()
  } finally {
    setBilinearKernels(k)
  }
}

describe('bilinear resize: WebAssembly SIMD kernels = TypeScript loops', () => {
  afterEach(() => setBilinearKernels(undefined))

  test('the kernels compile in Node (so export uses them)', () => {
    expect(bilinearKernels()).not.toBeNull()
  })

  test('byte-identical on the export sizes and 200 random size pairs (down, up, 1-pixel, odd widths)', () => {
    const sizes: Array<[number, number, number, number]> = [
      [640, 360, 224, 224],
      [1920, 1080, 224, 224],
      [96, 72, 224, 224],
      [224, 224, 360, 240],
      [1, 1, 4, 3],
      [300, 2, 16, 5],
      [3, 1, 1, 1],
      [2, 1, 4, 1]
    ]
    let s = 99
    const r = (n: number): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0
      return 1 + (s % n)
    }
    for (let i = 0; i < 200; i++) sizes.push([r(300), r(200), r(260), r(260)])
    const diffs: string[] = []
    sizes.forEach(([w, h, W, H], i) => {
      const src = rand(w * h * 3, 1000 + i)
      const simd = resizeBilinearRGB(src, w, h, W, H)
      const ts = withoutSimd(() => resizeBilinearRGB(src, w, h, W, H))
      if (!Buffer.from(simd).equals(Buffer.from(ts))) diffs.push(`${w}×${h} → ${W}×${H}`)
    })
    expect(diffs).toEqual([])
  })

  test('results do not depend on what the previous call left in the kernel memory', () => {
    const big = rand(1280 * 720 * 3, 5)
    const small = rand(40 * 30 * 3, 6)
    const first = resizeBilinearRGB(small, 40, 30, 224, 224)
    resizeBilinearRGB(big, 1280, 720, 224, 224)
    expect(Buffer.from(resizeBilinearRGB(small, 40, 30, 224, 224)).equals(Buffer.from(first))).toBe(true)
  })
})

test('the transient resize gives the same bytes, valid until the next resize', () => {
  const a = rand(640 * 360 * 3, 11)
  const b = rand(640 * 360 * 3, 12)
  const want = resizeBilinearRGB(a, 640, 360, 224, 224)
  const view = resizeBilinearRGBTransient(a, 640, 360, 224, 224)
  expect(Buffer.from(view).equals(Buffer.from(want))).toBe(true)
  const kept = resizeBilinearRGB(a, 640, 360, 224, 224)
  expect(Buffer.from(resizeBilinearRGBTransient(b, 640, 360, 224, 224)).equals(Buffer.from(resizeBilinearRGB(b, 640, 360, 224, 224)))).toBe(true)
  // the copying resize is not affected by later calls
  expect(Buffer.from(kept).equals(Buffer.from(want))).toBe(true)
})

test('resizeNearestMapped = resizeNearest then the lookup table', () => {
  const lut = new Uint8Array(256).fill(255, 1)
  const sizes: Array<[number, number, number, number]> = [
    [640, 360, 224, 224],
    [96, 72, 224, 224],
    [7, 5, 224, 224],
    [224, 224, 224, 224],
    [1, 1, 3, 2]
  ]
  for (const [w, h, W, H] of sizes) {
    const labels = rand(w * h, w + h).map((v) => v % 3)
    const want = resizeNearest(labels, w, h, W, H).map((v) => lut[v])
    expect(Buffer.from(resizeNearestMapped(labels, w, h, W, H, lut)).equals(Buffer.from(want)), `${w}×${h} → ${W}×${H}`).toBe(true)
  }
  expect(() => resizeNearestMapped(new Uint8Array(4), 2, 2, 3, 3, new Uint8Array(2))).toThrow(RangeError)
})

test('resizing a frame filled in place (read into the kernel memory) gives the same bytes, with and without SIMD', () => {
  const sizes: Array<[number, number, number, number]> = [
    [640, 360, 224, 224],
    [448, 448, 224, 224], // exact 2×: INTER_AREA
    [224, 224, 224, 224], // same size
    [37, 23, 224, 224]
  ]
  for (const [w, h, W, H] of sizes) {
    const src = rand(w * h * 3, w * 7 + h)
    const want = resizeBilinearRGB(src, w, h, W, H)
    const fill = (dst: Uint8Array): void => {
      expect(dst.length).toBe(w * h * 3)
      dst.set(src)
    }
    expect(Buffer.from(resizeBilinearRGBFilled(fill, w, h, W, H)).equals(Buffer.from(want)), `${w}×${h}`).toBe(true)
    expect(Buffer.from(withoutSimd(() => resizeBilinearRGBFilled(fill, w, h, W, H))).equals(Buffer.from(want)), `${w}×${h} without SIMD`).toBe(true)
  }
})
