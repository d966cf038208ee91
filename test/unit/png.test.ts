import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  PngError,
  crc32,
  decodePng,
  encodePng,
  resizeBilinearRGB,
  resizeNearest,
  type PngFilter,
  type PngImage,
  type PngMode
} from '../../src/main/image/png'

function rand(n: number, seed: number, mod = 256): Uint8Array {
  const a = new Uint8Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    a[i] = (s >>> 24) % mod
  }
  return a
}

/** A smooth-ish image plus noise: exercises every filter's arithmetic (wrap-around included). */
function photo(w: number, h: number, cn: number, seed: number): Uint8Array {
  const noise = rand(w * h * cn, seed, 32)
  const a = new Uint8Array(w * h * cn)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < cn; c++) {
        const i = (y * w + x) * cn + c
        a[i] = (x * 3 + y * 5 + c * 70 + noise[i]) & 0xff
      }
  return a
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  out.set(data, 8)
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length)
  return out
}

const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

function ihdr(w: number, h: number, depth: number, colorType: number, interlace = 0): Buffer {
  const d = Buffer.alloc(13)
  d.writeUInt32BE(w, 0)
  d.writeUInt32BE(h, 4)
  d[8] = depth
  d[9] = colorType
  d[12] = interlace
  return chunk('IHDR', d)
}

/** A PNG from raw (already filtered) scanlines, for decoder cases the encoder never writes. */
function handMade(w: number, h: number, depth: number, colorType: number, scanlines: Uint8Array, extra: Buffer[] = []): Buffer {
  return Buffer.concat([SIG, ihdr(w, h, depth, colorType), ...extra, chunk('IDAT', deflateSync(scanlines)), chunk('IEND', new Uint8Array(0))])
}

const PALETTE_71 = (() => {
  const p = new Uint8Array(768)
  for (let j = 0; j < 71; j++) {
    let lab = j
    let i = 0
    let r = 0
    let g = 0
    let b = 0
    while (lab > 0) {
      r |= ((lab >> 0) & 1) << (7 - i)
      g |= ((lab >> 1) & 1) << (7 - i)
      b |= ((lab >> 2) & 1) << (7 - i)
      i++
      lab >>= 3
    }
    p[j * 3] = r
    p[j * 3 + 1] = g
    p[j * 3 + 2] = b
  }
  return p
})()

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    expect(crc32(Buffer.from('IEND'))).toBe(0xae426082)
  })
})

describe('PNG round trips', () => {
  const modes: Array<[PngMode, number]> = [
    ['L', 1],
    ['LA', 2],
    ['RGB', 3],
    ['RGBA', 4],
    ['P', 1]
  ]
  const filters: PngFilter[] = ['none', 'sub', 'up', 'average', 'paeth', 'adaptive']
  for (const [mode, cn] of modes) {
    for (const filter of filters) {
      it(`${mode} with filter ${filter}`, () => {
        const w = 37
        const h = 23
        const data = mode === 'P' ? rand(w * h, 7, 71) : photo(w, h, cn, 11)
        const img: PngImage = { width: w, height: h, mode, data }
        if (mode === 'P') img.palette = PALETTE_71
        const png = encodePng(img, { filter })
        const back = decodePng(png)
        expect(back.mode).toBe(mode)
        expect(back.width).toBe(w)
        expect(back.height).toBe(h)
        expect(Buffer.compare(Buffer.from(back.data), Buffer.from(data))).toBe(0)
        if (mode === 'P') expect(back.palette).toEqual(PALETTE_71)
      })
    }
  }

  it('mask {0,255} L at several zlib levels, 1×1 and 1-row images', () => {
    const mask = new Uint8Array(224 * 224)
    for (let y = 60; y < 150; y++) for (let x = 40; x < 200; x++) mask[y * 224 + x] = 255
    for (const level of [0, 1, 6, 9]) {
      const back = decodePng(encodePng({ width: 224, height: 224, mode: 'L', data: mask }, { level }))
      expect(Buffer.compare(Buffer.from(back.data), Buffer.from(mask))).toBe(0)
    }
    expect(decodePng(encodePng({ width: 1, height: 1, mode: 'RGB', data: new Uint8Array([1, 2, 3]) })).data).toEqual(
      new Uint8Array([1, 2, 3])
    )
    const row = rand(300 * 4, 3)
    expect(decodePng(encodePng({ width: 300, height: 1, mode: 'RGBA', data: row }, { filter: 'paeth' })).data).toEqual(row)
  })

  it('a small palette with tRNS round-trips', () => {
    const img: PngImage = {
      width: 5,
      height: 2,
      mode: 'P',
      data: new Uint8Array([0, 1, 2, 1, 0, 2, 2, 2, 1, 0]),
      palette: new Uint8Array([0, 0, 0, 255, 0, 0, 0, 0, 255]),
      paletteAlpha: new Uint8Array([0, 128])
    }
    const back = decodePng(encodePng(img))
    expect(back.data).toEqual(img.data)
    expect(back.palette).toEqual(img.palette)
    expect(back.paletteAlpha).toEqual(img.paletteAlpha)
  })

  it('a blank mask compresses to a tiny file; input is not modified', () => {
    const mask = new Uint8Array(224 * 224)
    const copy = mask.slice()
    const png = encodePng({ width: 224, height: 224, mode: 'L', data: mask })
    expect(png.length).toBeLessThan(1000)
    expect(mask).toEqual(copy)
  })

  it('accepts a Uint8Array view with an offset into a larger buffer', () => {
    const backing = rand(1000, 5)
    const view = backing.subarray(100, 100 + 12 * 10)
    const png = encodePng({ width: 12, height: 10, mode: 'L', data: view })
    const shifted = new Uint8Array(png.length + 7)
    shifted.set(png, 7)
    expect(decodePng(shifted.subarray(7)).data).toEqual(view)
  })
})

describe('PNG decoding of hand-made files', () => {
  it('1/2/4-bit grey is scaled to 0..255 and palette indexes are kept', () => {
    // width 5 → 1-bit: 1 byte/row; 2-bit: 2 bytes; 4-bit: 3 bytes. Filter 0 rows.
    const g1 = handMade(5, 2, 1, 0, new Uint8Array([0, 0b10110000, 0, 0b01001000]))
    expect(decodePng(g1).data).toEqual(new Uint8Array([255, 0, 255, 255, 0, 0, 255, 0, 0, 255]))
    expect(decodePng(g1).mode).toBe('L')
    const g2 = handMade(5, 1, 2, 0, new Uint8Array([0, 0b00011011, 0b11000000]))
    expect(decodePng(g2).data).toEqual(new Uint8Array([0, 85, 170, 255, 255]))
    const g4 = handMade(5, 1, 4, 0, new Uint8Array([0, 0x0f, 0x18, 0x20]))
    expect(decodePng(g4).data).toEqual(new Uint8Array([0, 255, 17, 136, 34]))
    const plte = chunk('PLTE', new Uint8Array(16 * 3).map((_, i) => i))
    const p4 = decodePng(handMade(5, 1, 4, 3, new Uint8Array([0, 0x0f, 0x18, 0x20]), [plte]))
    expect(p4.mode).toBe('P')
    expect(p4.data).toEqual(new Uint8Array([0, 15, 1, 8, 2]))
    expect(p4.palette?.length).toBe(48)
    const p1 = decodePng(handMade(9, 1, 1, 3, new Uint8Array([0, 0b10000001, 0b10000000]), [plte]))
    expect(p1.data).toEqual(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 1, 1]))
    const p2 = decodePng(handMade(3, 1, 2, 3, new Uint8Array([0, 0b11100100]), [plte]))
    expect(p2.data).toEqual(new Uint8Array([3, 2, 1]))
  })

  it('sub-byte rows with sub/up/average/paeth filters (bpp rounds up to 1 byte)', () => {
    // 4-bit grey, width 4 → 2 bytes/row; unfiltered rows [0x12, 0x34] and [0x56, 0x78]
    const expected = new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
    const sub = [1, 0x12, (0x34 - 0x12) & 0xff, 1, 0x56, (0x78 - 0x56) & 0xff]
    const up = [2, 0x12, 0x34, 2, (0x56 - 0x12) & 0xff, (0x78 - 0x34) & 0xff]
    const avg = [3, 0x12, (0x34 - (0x12 >> 1)) & 0xff, 3, (0x56 - (0x12 >> 1)) & 0xff, (0x78 - ((0x56 + 0x34) >> 1)) & 0xff]
    const paethRow2b = (0x78 - 0x56) & 0xff // a=0x56, b=0x34, c=0x12: p=0x78, pa=0x22, pb=0x44, pc=0x66 → a
    const pae = [4, 0x12, (0x34 - 0x12) & 0xff, 4, (0x56 - 0x12) & 0xff, paethRow2b]
    for (const raw of [sub, up, avg, pae]) {
      const img = decodePng(handMade(4, 2, 4, 0, new Uint8Array(raw)))
      expect(img.data).toEqual(expected)
    }
  })

  it('grey+alpha and multiple IDAT chunks; ancillary chunks are skipped', () => {
    const raw = new Uint8Array([0, 10, 20, 30, 40, 0, 50, 60, 70, 80])
    const z = deflateSync(raw)
    const half = z.length >> 1
    const png = Buffer.concat([
      SIG,
      ihdr(2, 2, 8, 4),
      chunk('tEXt', Buffer.from('Comment\0hello')),
      chunk('IDAT', z.subarray(0, half)),
      chunk('IDAT', z.subarray(half)),
      chunk('IEND', new Uint8Array(0))
    ])
    const img = decodePng(png)
    expect(img.mode).toBe('LA')
    expect(img.data).toEqual(new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80]))
  })
})

describe('PNG errors', () => {
  const good = encodePng({ width: 16, height: 8, mode: 'RGB', data: photo(16, 8, 3, 1) })

  it('not a PNG', () => {
    expect(() => decodePng(Buffer.from('GIF89a....'))).toThrow(/not a PNG/)
    expect(() => decodePng(new Uint8Array(0))).toThrow(PngError)
  })

  it('every truncation throws a PngError that says truncated or corrupt', () => {
    for (let n = 0; n < good.length; n++) {
      let err: unknown
      try {
        decodePng(good.subarray(0, n))
      } catch (e) {
        err = e
      }
      expect(err, `prefix of ${n} bytes`).toBeInstanceOf(PngError)
      expect((err as Error).message).toMatch(/truncated|corrupt|not a PNG/)
    }
  })

  it('a flipped byte anywhere after the signature is caught (CRC)', () => {
    for (let i = 8; i < good.length; i += 3) {
      const bad = Buffer.from(good)
      bad[i] ^= 0x40
      expect(() => decodePng(bad), `byte ${i}`).toThrow(PngError)
    }
    const bad = Buffer.from(good)
    bad[45] ^= 1 // inside IDAT data (IHDR ends at 33, IDAT header is 33..40)
    expect(() => decodePng(bad)).toThrow(/CRC mismatch in chunk IDAT/)
  })

  it('bad zlib data with a valid CRC', () => {
    const png = Buffer.concat([SIG, ihdr(2, 2, 8, 0), chunk('IDAT', Buffer.from([1, 2, 3, 4, 5])), chunk('IEND', new Uint8Array(0))])
    expect(() => decodePng(png)).toThrow(/corrupt PNG: image data does not inflate/)
  })

  it('too little image data, unknown filter, interlace, 16-bit, unknown critical chunk', () => {
    expect(() => decodePng(handMade(4, 4, 8, 0, new Uint8Array(10)))).toThrow(/image data is 10 bytes, 20 expected/)
    expect(() => decodePng(handMade(2, 1, 8, 0, new Uint8Array([5, 1, 2])))).toThrow(/unknown filter type 5/)
    const interlaced = Buffer.concat([SIG, ihdr(2, 2, 8, 0, 1), chunk('IDAT', deflateSync(new Uint8Array(12))), chunk('IEND', new Uint8Array(0))])
    expect(() => decodePng(interlaced)).toThrow(/interlaced/)
    expect(() => decodePng(handMade(1, 1, 16, 0, new Uint8Array(3)))).toThrow(/16-bit/)
    expect(() => decodePng(handMade(1, 1, 3, 0, new Uint8Array(2)))).toThrow(/bit depth 3 is not valid/)
    expect(() => decodePng(handMade(1, 1, 8, 5, new Uint8Array(2)))).toThrow(/colour type 5/)
    expect(() => decodePng(handMade(1, 1, 8, 0, new Uint8Array(2), [chunk('ABCD', new Uint8Array(1))]))).toThrow(/unknown critical chunk ABCD/)
    expect(() => decodePng(handMade(1, 1, 8, 3, new Uint8Array(2)))).toThrow(/without PLTE/)
  })

  it('missing IEND, IDAT or IHDR', () => {
    const noEnd = good.subarray(0, good.length - 12)
    expect(() => decodePng(noEnd)).toThrow(/no IEND/)
    const noIdat = Buffer.concat([SIG, ihdr(1, 1, 8, 0), chunk('IEND', new Uint8Array(0))])
    expect(() => decodePng(noIdat)).toThrow(/no IDAT/)
    const noIhdr = Buffer.concat([SIG, chunk('IDAT', deflateSync(new Uint8Array(2))), chunk('IEND', new Uint8Array(0))])
    expect(() => decodePng(noIhdr)).toThrow(/not IHDR/)
  })

  it('encoder refuses inconsistent input', () => {
    expect(() => encodePng({ width: 2, height: 2, mode: 'RGB', data: new Uint8Array(11) })).toThrow(/needs 12 bytes, got 11/)
    expect(() => encodePng({ width: 0, height: 2, mode: 'L', data: new Uint8Array(0) })).toThrow(/bad size/)
    expect(() => encodePng({ width: 1, height: 1, mode: 'P', data: new Uint8Array(1) })).toThrow(/palette/)
    expect(() =>
      encodePng({ width: 2, height: 1, mode: 'P', data: new Uint8Array([0, 3]), palette: new Uint8Array(9) })
    ).toThrow(/palette index 3 at pixel 1/)
    expect(() => encodePng({ width: 1, height: 1, mode: 'X' as PngMode, data: new Uint8Array(1) })).toThrow(/unknown mode/)
  })
})

describe('resizeNearest', () => {
  it('upscales 2×2 → 4×4 by blocks and downscales back', () => {
    const src = new Uint8Array([1, 2, 3, 4])
    const up = resizeNearest(src, 2, 2, 4, 4)
    expect(Array.from(up)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    expect(resizeNearest(up, 4, 4, 2, 2)).toEqual(src)
  })
  it('picks floor((x + 0.5)·w/W) away from ties, never a value not in the input', () => {
    const w = 7
    const h = 3
    const src = rand(w * h, 9, 5)
    const W = 3
    const H = 5
    const out = resizeNearest(src, w, h, W, H)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const sx = Math.floor(((x + 0.5) * w) / W)
        const sy = Math.floor(((y + 0.5) * h) / H)
        expect(out[y * W + x]).toBe(src[sy * w + sx])
      }
  })
  it('same size is a copy; wrong length throws', () => {
    const src = rand(6, 1)
    const out = resizeNearest(src, 3, 2, 3, 2)
    expect(out).toEqual(src)
    expect(out).not.toBe(src)
    expect(() => resizeNearest(src, 4, 2, 3, 3)).toThrow(RangeError)
  })
})

describe('resizeBilinearRGB', () => {
  it('a constant image stays constant at any size', () => {
    const src = new Uint8Array(17 * 9 * 3)
    for (let i = 0; i < src.length; i += 3) {
      src[i] = 200
      src[i + 1] = 17
      src[i + 2] = 255
    }
    for (const [W, H] of [
      [224, 224],
      [5, 3],
      [34, 18],
      [8, 4]
    ]) {
      const out = resizeBilinearRGB(src, 17, 9, W, H)
      for (let i = 0; i < out.length; i += 3) expect([out[i], out[i + 1], out[i + 2]]).toEqual([200, 17, 255])
    }
  })
  it('2× downscale is the rounded mean of 2×2 blocks (OpenCV switches to INTER_AREA)', () => {
    const src = new Uint8Array([0, 0, 0, 10, 10, 10, 1, 1, 1, 2, 2, 2])
    // 2×2 RGB: mean of 0,10,1,2 = 13/4 = 3.25 → 3
    expect(Array.from(resizeBilinearRGB(src, 2, 2, 1, 1))).toEqual([3, 3, 3])
  })
  it('2× upscale of a ramp interpolates with quarter weights and clamps at the edges', () => {
    const src = new Uint8Array([0, 0, 0, 100, 100, 100])
    const out = resizeBilinearRGB(src, 2, 1, 4, 1)
    expect(Array.from(out.filter((_, i) => i % 3 === 0))).toEqual([0, 25, 75, 100])
  })
  it('same size is a copy; wrong length throws', () => {
    const src = rand(12, 2)
    expect(resizeBilinearRGB(src, 2, 2, 2, 2)).toEqual(src)
    expect(() => resizeBilinearRGB(src, 3, 2, 2, 2)).toThrow(RangeError)
  })
})
