// PNG encoder/decoder on node:zlib, and the two resizers export needs (label maps, RGB frames).
//
// Measured against sharp 0.35.6 (libvips 8.18, zlib-ng, mozjpeg) for each job, `npm run bench`'s
// codecs figures (bench/codecs.bench.ts), CPU ms per image, three same-run rounds on a shared
// 2-core machine (this code / sharp):
//   PNG L 224² (S4/MS3 mask)             0.16–0.17 / 0.85–1.31   this code, same pixels
//   PNG P 224² and 640×360 (labels_semantic) 0.16–0.43 / —       sharp cannot write given palette
//                                                                indexes (palette: true quantises)
//   PNG RGB 224² (S4/MS3 frame)          1.3–1.8   / 1.9–2.9     this code, same pixels, ~10% smaller
//   PNG RGB 640×360 (AVSS labels_rgb)    3.1–5.4   / 1.9–3.0     sharp by 1–3 ms per AVSS mask
//   resize 640×360 → 224² (export)       0.43–0.72 / 1.6–2.5     this code; only it is cv2-exact
//                                                                (sharp's linear: max |Δ| 118)
//   JPEG decode 640×360 (export, ffmpeg) 3.0–4.3   / 3.5–4.6     ffmpeg (decodeImages.ts)
//   model input, JPEG → 160² / 576²      5.7–6.1 / 3.3–5.3, 12–22 / 15–17   ffmpeg (decodeFrames.ts):
//                                                                mixed; at 160² sharp would save 5–13 ms
//                                                                of a clip's ~255 ms (README figures)
// So sharp is not a dependency: it would win AVSS labels_rgb by a few ms per mask and maybe the
// model input by a few % of a clip, which does not pay for a native module (libvips) in the app. What sharp does better is fidelity: its JPEG
// pixels are libjpeg's, as Pillow and cv2.imread decode (ffmpeg's rgb24 differ, max |Δ| 160).
import { constants as zc, deflateSync, inflateSync } from 'node:zlib'
import { bilinearKernels, type BilinearKernels } from './bilinearWasm'

/** L = 8-bit grey, LA = grey + alpha, P = palette indexes (with `palette`), RGB(A) = 8-bit colour. */
export type PngMode = 'L' | 'LA' | 'RGB' | 'RGBA' | 'P'

export interface PngImage {
  width: number
  height: number
  mode: PngMode
  /** Row-major pixels, channels interleaved; 1 byte per channel (palette index for P). */
  data: Uint8Array
  /** P only: RGB triplets, 1..256 entries. */
  palette?: Uint8Array
  /** P only: alpha per palette entry (tRNS), may be shorter than the palette. */
  paletteAlpha?: Uint8Array
}

/** PNG row filters; 'adaptive' picks per row the filter with the smallest sum of |bytes|. */
export type PngFilter = 'none' | 'sub' | 'up' | 'average' | 'paeth' | 'adaptive'

export interface PngEncodeOptions {
  /** zlib level 0–9 (0 = stored). Default 6; with the default RLE strategy the level barely matters. */
  level?: number
  /** Row filter. Default 'none' for L and P (masks, label maps: long runs), 'up' for the others. */
  filter?: PngFilter
  /**
   * zlib strategy (node:zlib constants). Default Z_RLE: on 224×224 frames it matches level-6 size
   * at about 5× the speed, and it gives the smallest masks; Z_DEFAULT_STRATEGY with level 6–9 is
   * a few percent smaller on large photos but much slower.
   */
  strategy?: number
}

export class PngError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PngError'
  }
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

const CRC_TABLE = (() => {
  const t = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  return t
})()

/** CRC-32 (PNG/zlib polynomial) of bytes [start, end). */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  let c = ~seed
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

const CHANNELS: Record<PngMode, number> = { L: 1, LA: 2, RGB: 3, RGBA: 4, P: 1 }
const COLOR_TYPE: Record<PngMode, number> = { L: 0, LA: 4, RGB: 2, RGBA: 6, P: 3 }
const FILTER_CODE: Record<Exclude<PngFilter, 'adaptive'>, number> = { none: 0, sub: 1, up: 2, average: 3, paeth: 4 }

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  out.set(data, 8)
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length)
  return out
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  if (pa <= pb && pa <= pc) return a
  return pb <= pc ? b : c
}

/** Writes row y filtered with `code` into out[o] (filter byte) and out[o+1 ..]. */
function filterRow(code: number, px: Uint8Array, rowStart: number, prevStart: number, stride: number, bpp: number, out: Uint8Array, o: number): void {
  out[o++] = code
  const cur = rowStart
  const hasPrev = prevStart >= 0
  switch (code) {
    case 0:
      out.set(px.subarray(cur, cur + stride), o)
      return
    case 1:
      for (let i = 0; i < bpp; i++) out[o + i] = px[cur + i]
      for (let i = bpp; i < stride; i++) out[o + i] = (px[cur + i] - px[cur + i - bpp]) & 0xff
      return
    case 2:
      if (!hasPrev) out.set(px.subarray(cur, cur + stride), o)
      else for (let i = 0; i < stride; i++) out[o + i] = (px[cur + i] - px[prevStart + i]) & 0xff
      return
    case 3:
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? px[cur + i - bpp] : 0
        const b = hasPrev ? px[prevStart + i] : 0
        out[o + i] = (px[cur + i] - ((a + b) >> 1)) & 0xff
      }
      return
    default:
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? px[cur + i - bpp] : 0
        const b = hasPrev ? px[prevStart + i] : 0
        const c = hasPrev && i >= bpp ? px[prevStart + i - bpp] : 0
        out[o + i] = (px[cur + i] - paeth(a, b, c)) & 0xff
      }
  }
}

function rowCost(buf: Uint8Array, o: number, stride: number): number {
  let s = 0
  for (let i = 1; i <= stride; i++) {
    const v = buf[o + i]
    s += v < 128 ? v : 256 - v
  }
  return s
}

function checkImage(img: PngImage): void {
  const { width, height, mode, data } = img
  if (!(mode in CHANNELS)) throw new PngError(`PNG encode: unknown mode '${String(mode)}'`)
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new PngError(`PNG encode: bad size ${width}×${height}`)
  }
  const expected = width * height * CHANNELS[mode]
  if (data.length !== expected) {
    throw new PngError(`PNG encode: ${mode} ${width}×${height} needs ${expected} bytes, got ${data.length}`)
  }
  if (mode === 'P') {
    const pal = img.palette
    if (!pal || pal.length === 0 || pal.length % 3 !== 0 || pal.length > 768) {
      throw new PngError('PNG encode: mode P needs a palette of 1–256 RGB triplets')
    }
    const entries = pal.length / 3
    if (entries < 256) {
      for (let i = 0; i < data.length; i++) {
        if (data[i] >= entries) throw new PngError(`PNG encode: palette index ${data[i]} at pixel ${i} but the palette has ${entries} entries`)
      }
    }
    if (img.paletteAlpha && img.paletteAlpha.length > entries) throw new PngError('PNG encode: more tRNS entries than palette entries')
  }
}

/** Encodes 8-bit L, LA, RGB, RGBA or P (palette) pixels as a PNG file. */
export function encodePng(img: PngImage, opts: PngEncodeOptions = {}): Buffer {
  checkImage(img)
  const { width, height, mode, data } = img
  const bpp = CHANNELS[mode]
  const stride = width * bpp
  const filter = opts.filter ?? (mode === 'L' || mode === 'P' ? 'none' : 'up')
  const raw = Buffer.allocUnsafe(height * (stride + 1))
  const scratch = filter === 'adaptive' ? Buffer.allocUnsafe(stride + 1) : null
  for (let y = 0; y < height; y++) {
    const o = y * (stride + 1)
    const prev = y > 0 ? (y - 1) * stride : -1
    if (scratch) {
      let best = Infinity
      for (let code = 0; code <= 4; code++) {
        filterRow(code, data, y * stride, prev, stride, bpp, scratch, 0)
        const cost = rowCost(scratch, 0, stride)
        if (cost < best) {
          best = cost
          raw.set(scratch, o)
        }
      }
    } else {
      filterRow(FILTER_CODE[filter as Exclude<PngFilter, 'adaptive'>], data, y * stride, prev, stride, bpp, raw, o)
    }
  }
  const idat = deflateSync(raw, {
    level: opts.level ?? 6,
    memLevel: 9,
    strategy: opts.strategy ?? zc.Z_RLE
  })
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = COLOR_TYPE[mode]
  const parts: Buffer[] = [SIGNATURE, chunk('IHDR', ihdr)]
  if (mode === 'P' && img.palette) {
    parts.push(chunk('PLTE', img.palette))
    if (img.paletteAlpha && img.paletteAlpha.length > 0) parts.push(chunk('tRNS', img.paletteAlpha))
  }
  parts.push(chunk('IDAT', idat), chunk('IEND', new Uint8Array(0)))
  return Buffer.concat(parts)
}

const VALID_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] }

function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): Uint8Array {
  const out = new Uint8Array(height * stride)
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]
    const src = y * (stride + 1) + 1
    const cur = y * stride
    const prev = cur - stride
    switch (f) {
      case 0:
        out.set(raw.subarray(src, src + stride), cur)
        break
      case 1:
        for (let i = 0; i < stride; i++) out[cur + i] = (raw[src + i] + (i >= bpp ? out[cur + i - bpp] : 0)) & 0xff
        break
      case 2:
        if (y === 0) out.set(raw.subarray(src, src + stride), cur)
        else for (let i = 0; i < stride; i++) out[cur + i] = (raw[src + i] + out[prev + i]) & 0xff
        break
      case 3:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? out[cur + i - bpp] : 0
          const b = y > 0 ? out[prev + i] : 0
          out[cur + i] = (raw[src + i] + ((a + b) >> 1)) & 0xff
        }
        break
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? out[cur + i - bpp] : 0
          const b = y > 0 ? out[prev + i] : 0
          const c = y > 0 && i >= bpp ? out[prev + i - bpp] : 0
          out[cur + i] = (raw[src + i] + paeth(a, b, c)) & 0xff
        }
        break
      default:
        throw new PngError(`corrupt PNG: unknown filter type ${f} on row ${y}`)
    }
  }
  return out
}

/** Decodes a non-interlaced PNG: every colour type at depth 8, and 1/2/4-bit grey and palette. */
export function decodePng(input: Uint8Array): PngImage {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new PngError('not a PNG file (bad signature)')
  let pos = 8
  let width = 0
  let height = 0
  let depth = 0
  let colorType = -1
  let palette: Uint8Array | undefined
  let trns: Uint8Array | undefined
  const idat: Buffer[] = []
  let sawEnd = false
  while (pos < buf.length) {
    if (pos + 8 > buf.length) throw new PngError(`truncated PNG: incomplete chunk header at byte ${pos}`)
    const len = buf.readUInt32BE(pos)
    const type = buf.toString('latin1', pos + 4, pos + 8)
    if (!/^[A-Za-z]{4}$/.test(type)) throw new PngError(`corrupt PNG: bad chunk type at byte ${pos}`)
    if (len > 0x7fffffff) throw new PngError(`corrupt PNG: chunk ${type} has length ${len}`)
    if (pos + 12 + len > buf.length) throw new PngError(`truncated PNG: chunk ${type} at byte ${pos} needs ${len + 12} bytes, ${buf.length - pos} left`)
    const data = buf.subarray(pos + 8, pos + 8 + len)
    if (crc32(buf, pos + 4, pos + 8 + len) !== buf.readUInt32BE(pos + 8 + len)) throw new PngError(`corrupt PNG: CRC mismatch in chunk ${type} at byte ${pos}`)
    pos += 12 + len
    if (colorType < 0 && type !== 'IHDR') throw new PngError(`corrupt PNG: first chunk is ${type}, not IHDR`)
    if (type === 'IHDR') {
      if (len !== 13) throw new PngError('corrupt PNG: IHDR length is not 13')
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      depth = data[8]
      colorType = data[9]
      if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw new PngError(`corrupt PNG: bad size ${width}×${height}`)
      const depths = VALID_DEPTHS[colorType]
      if (!depths) throw new PngError(`corrupt PNG: bad colour type ${colorType}`)
      if (!depths.includes(depth)) throw new PngError(`corrupt PNG: bit depth ${depth} is not valid for colour type ${colorType}`)
      if (depth === 16) throw new PngError('unsupported PNG: 16-bit samples (8-bit, or 1/2/4-bit grey and palette, only)')
      if (data[10] !== 0 || data[11] !== 0) throw new PngError('corrupt PNG: unknown compression or filter method')
      if (data[12] === 1) throw new PngError('unsupported PNG: interlaced (Adam7) images are not supported')
      if (data[12] !== 0) throw new PngError(`corrupt PNG: unknown interlace method ${data[12]}`)
    } else if (type === 'PLTE') {
      if (len === 0 || len % 3 !== 0 || len > 768) throw new PngError(`corrupt PNG: PLTE length ${len}`)
      palette = Uint8Array.from(data)
    } else if (type === 'tRNS') {
      trns = Uint8Array.from(data)
    } else if (type === 'IDAT') {
      idat.push(data)
    } else if (type === 'IEND') {
      sawEnd = true
      break
    } else if ((type.charCodeAt(0) & 0x20) === 0) {
      throw new PngError(`unsupported PNG: unknown critical chunk ${type}`)
    }
  }
  if (colorType < 0) throw new PngError('truncated PNG: no IHDR chunk')
  if (idat.length === 0) throw new PngError(sawEnd ? 'corrupt PNG: no IDAT chunk' : 'truncated PNG: no image data')
  if (!sawEnd) throw new PngError('truncated PNG: no IEND chunk')
  if (colorType === 3 && !palette) throw new PngError('corrupt PNG: palette image without PLTE')

  const samples = colorType === 2 ? 3 : colorType === 4 ? 2 : colorType === 6 ? 4 : 1
  const bitsPerPixel = samples * depth
  const stride = Math.ceil((width * bitsPerPixel) / 8)
  const bpp = Math.max(1, bitsPerPixel >> 3)
  const expected = height * (stride + 1)
  if (expected > 0x7fffffff) throw new PngError(`unsupported PNG: image too large (${width}×${height})`)
  let raw: Buffer
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: expected + 1 })
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    throw new PngError(`corrupt PNG: image data does not inflate (${msg})`)
  }
  if (raw.length < expected) throw new PngError(`corrupt PNG: image data is ${raw.length} bytes, ${expected} expected`)
  const px = unfilter(raw, height, stride, bpp)

  const mode: PngMode = colorType === 0 ? 'L' : colorType === 2 ? 'RGB' : colorType === 3 ? 'P' : colorType === 4 ? 'LA' : 'RGBA'
  let out: Uint8Array = px
  if (depth < 8) {
    out = new Uint8Array(width * height)
    const perByte = 8 / depth
    const mask = (1 << depth) - 1
    const scale = colorType === 0 ? 255 / mask : 1 // grey is scaled to 0..255, palette indexes are not
    for (let y = 0; y < height; y++) {
      const row = y * stride
      const o = y * width
      for (let x = 0; x < width; x++) {
        const byte = px[row + Math.floor(x / perByte)]
        const shift = 8 - depth * ((x % perByte) + 1)
        out[o + x] = ((byte >> shift) & mask) * scale
      }
    }
  }
  const img: PngImage = { width, height, mode, data: out }
  if (mode === 'P') {
    img.palette = palette
    if (trns) img.paletteAlpha = trns
  }
  return img
}

/**
 * Nearest-neighbour resize of a 1-channel label map, exactly as Pillow's `resize(NEAREST)`:
 * source x = int(x0), x0 = 0.5·w/W, then += w/W per pixel (an accumulated double, which at exact
 * .0 ties can differ from floor((x + 0.5)·w/W); Pillow does it this way, so do we).
 */
export function resizeNearest(labels: Uint8Array, w: number, h: number, W: number, H: number): Uint8Array {
  if (labels.length !== w * h) throw new RangeError(`resizeNearest: ${w}×${h} needs ${w * h} values, got ${labels.length}`)
  if (W < 1 || H < 1 || w < 1 || h < 1) throw new RangeError('resizeNearest: sizes must be positive')
  if (w === W && h === H) return labels.slice()
  const xs = nearestIndex(w, W)
  const ys = nearestIndex(h, H)
  const out = new Uint8Array(W * H)
  for (let y = 0; y < H; y++) {
    const src = ys[y] * w
    const o = y * W
    for (let x = 0; x < W; x++) out[o + x] = labels[src + xs[x]]
  }
  return out
}

/**
 * `resizeNearest` with each value passed through `lut` in the same pass (e.g. labels → 0/255),
 * the same pixels as `resizeNearest(...).map((v) => lut[v])`.
 */
export function resizeNearestMapped(labels: Uint8Array, w: number, h: number, W: number, H: number, lut: Uint8Array): Uint8Array {
  if (labels.length !== w * h) throw new RangeError(`resizeNearest: ${w}×${h} needs ${w * h} values, got ${labels.length}`)
  if (W < 1 || H < 1 || w < 1 || h < 1) throw new RangeError('resizeNearest: sizes must be positive')
  if (lut.length < 256) throw new RangeError('resizeNearestMapped: the lookup table needs 256 entries')
  const xs = nearestIndex(w, W)
  const ys = nearestIndex(h, H)
  const out = new Uint8Array(W * H)
  for (let y = 0; y < H; y++) {
    const src = ys[y] * w
    const o = y * W
    for (let x = 0; x < W; x++) out[o + x] = lut[labels[src + xs[x]]]
  }
  return out
}

function nearestIndex(n: number, N: number): Int32Array {
  const scale = n / N
  const idx = new Int32Array(N)
  let v = scale * 0.5
  for (let i = 0; i < N; i++) {
    idx[i] = Math.min(Math.trunc(v), n - 1)
    v += scale
  }
  return idx
}

// OpenCV's fixed-point bilinear: 11-bit weights, horizontal pass exact in int32.
const COEF_BITS = 11
const COEF_SCALE = 1 << COEF_BITS

function roundHalfEven(v: number): number {
  const r = Math.round(v)
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Source taps of one axis, as OpenCV's INTER_LINEAR computes them: index and 11-bit weights. */
interface LinearTaps {
  /** First source index per destination index (clamped at the borders). */
  i0: Int32Array
  /** Second source index (equal to i0 where the second weight is 0). */
  i1: Int32Array
  w0: Int32Array
  w1: Int32Array
}

/**
 * OpenCV treats the axes differently at the borders: horizontally a tap outside the image becomes
 * weight (2048, 0) on the edge pixel; vertically the weights stay and the rows are clamped.
 */
function linearTaps(n: number, N: number, axis: 'x' | 'y'): LinearTaps {
  const scale = 1 / (N / n)
  const i0 = new Int32Array(N)
  const i1 = new Int32Array(N)
  const w0 = new Int32Array(N)
  const w1 = new Int32Array(N)
  for (let d = 0; d < N; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5)
    let s = Math.floor(f)
    f = Math.fround(f - s)
    if (axis === 'x') {
      if (s < 0) {
        f = 0
        s = 0
      }
      if (s >= n - 1) {
        f = 0
        s = n - 1
      }
    }
    w0[d] = roundHalfEven(Math.fround(1 - f) * COEF_SCALE)
    w1[d] = roundHalfEven(f * COEF_SCALE)
    if (axis === 'x') {
      i0[d] = s
      i1[d] = w1[d] === 0 ? s : s + 1
    } else {
      i0[d] = Math.min(Math.max(s, 0), n - 1)
      i1[d] = Math.min(Math.max(s + 1, 0), n - 1)
    }
  }
  return { i0, i1, w0, w1 }
}

/** Horizontal taps (byte offsets of the two source pixels) and vertical taps of one size pair. */
interface BilinearPlan {
  xo0: Int32Array
  xo1: Int32Array
  xa0: Int32Array
  xa1: Int32Array
  y: LinearTaps
}

// Exports resize every frame of a batch between the same two sizes: the taps are made once.
const bilinearPlans = new Map<string, BilinearPlan>()

function bilinearPlan(w: number, h: number, W: number, H: number): BilinearPlan {
  const key = `${w}x${h}:${W}x${H}`
  let plan = bilinearPlans.get(key)
  if (plan) return plan
  const x = linearTaps(w, W, 'x')
  plan = { xo0: x.i0.map((i) => i * 3), xo1: x.i1.map((i) => i * 3), xa0: x.w0, xa1: x.w1, y: linearTaps(h, H, 'y') }
  if (bilinearPlans.size >= 16) bilinearPlans.clear()
  bilinearPlans.set(key, plan)
  return plan
}

/**
 * Horizontal pass of the RGB source row at `base` into `dst`, each sum already shifted right by 4
 * as OpenCV's SIMD vertical pass takes it (sums are non-negative, so >> 4 is the exact floor).
 */
function bilinearRow(src: Uint8Array, base: number, p: BilinearPlan, dst: Int32Array): void {
  const { xo0, xo1, xa0, xa1 } = p
  const W = xo0.length
  for (let dx = 0, o = 0; dx < W; dx++, o += 3) {
    const s0 = base + xo0[dx]
    const s1 = base + xo1[dx]
    const a0 = xa0[dx]
    const a1 = xa1[dx]
    dst[o] = (src[s0] * a0 + src[s1] * a1) >> 4
    dst[o + 1] = (src[s0 + 1] * a0 + src[s1 + 1] * a1) >> 4
    dst[o + 2] = (src[s0 + 2] * a0 + src[s1 + 2] * a1) >> 4
  }
}

/**
 * Bilinear resize of packed RGB (3 bytes per pixel), as `cv2.resize(img, (W, H))` with the default
 * INTER_LINEAR on uint8: half-pixel centres, edge clamping, OpenCV's 11-bit fixed-point weights and
 * rounding (its SIMD vertical pass, as on x86-64 builds), and its switch to INTER_AREA for an exact
 * 2× downscale. Bit-exact against Debian's OpenCV 4.6 (python3-opencv) in the integration test.
 * Separable: each needed source row is filtered horizontally once (integer taps made once per
 * pair of sizes), then each output row is the fixed-point blend of two filtered rows.
 */
export function resizeBilinearRGB(rgb: Uint8Array, w: number, h: number, W: number, H: number): Uint8Array {
  return resizeBilinear(rgb, w, h, W, H, true)
}

/**
 * `resizeBilinearRGB` without the copy out of the SIMD kernels' memory: the result may be a view
 * that the next resize on this thread overwrites, so use it (e.g. encode it) before resizing again.
 */
export function resizeBilinearRGBTransient(rgb: Uint8Array, w: number, h: number, W: number, H: number): Uint8Array {
  return resizeBilinear(rgb, w, h, W, H, false)
}

/**
 * `resizeBilinearRGBTransient` of a w×h RGB frame that `fill` writes into the buffer it is given
 * (w·h·3 bytes, e.g. read from a file): with the SIMD kernels, straight into their memory.
 */
export function resizeBilinearRGBFilled(fill: (rgb: Uint8Array) => void, w: number, h: number, W: number, H: number): Uint8Array {
  if (W < 1 || H < 1 || w < 1 || h < 1) throw new RangeError('resizeBilinearRGB: sizes must be positive')
  const kernels = bilinearKernels()
  if (!kernels || (w === W && h === H) || (1 / (W / w) === 2 && 1 / (H / h) === 2)) {
    const rgb = new Uint8Array(w * h * 3)
    fill(rgb)
    return resizeBilinear(rgb, w, h, W, H, false)
  }
  return bilinearSimd(kernels, fill, w, h, W, H, bilinearPlan(w, h, W, H), false)
}

function resizeBilinear(rgb: Uint8Array, w: number, h: number, W: number, H: number, copy: boolean): Uint8Array {
  const cn = 3
  if (rgb.length !== w * h * cn) throw new RangeError(`resizeBilinearRGB: ${w}×${h} RGB needs ${w * h * cn} bytes, got ${rgb.length}`)
  if (W < 1 || H < 1 || w < 1 || h < 1) throw new RangeError('resizeBilinearRGB: sizes must be positive')
  if (w === W && h === H) return rgb.slice()
  if (1 / (W / w) === 2 && 1 / (H / h) === 2) return areaHalve(rgb, w, h, W, H, cn)
  const plan = bilinearPlan(w, h, W, H)
  const kernels = bilinearKernels()
  if (kernels) return bilinearSimd(kernels, rgb, w, h, W, H, plan, copy)
  const { i0: ys0, i1: ys1, w0: yw0, w1: yw1 } = plan.y
  const rowLen = W * cn
  const srcRow = w * cn
  let rowA = new Int32Array(rowLen)
  let rowB = new Int32Array(rowLen)
  let idxA = -1
  let idxB = -1
  // No clamping needed: rows hold at most (255·2049) >> 4 and the two blended terms then sum to at
  // most 1020, so (sum + 2) >> 2 stays within 0..255 even where rounded weights add up to 2049.
  const out = new Uint8Array(H * rowLen)
  for (let dy = 0; dy < H; dy++) {
    const y0 = ys0[dy]
    const y1 = ys1[dy]
    if (idxA !== y0) {
      if (idxB === y0) {
        const t = rowA
        rowA = rowB
        rowB = t
        idxB = -1
      } else bilinearRow(rgb, y0 * srcRow, plan, rowA)
      idxA = y0
    }
    if (idxB !== y1) {
      if (y1 === y0) rowB.set(rowA)
      else bilinearRow(rgb, y1 * srcRow, plan, rowB)
      idxB = y1
    }
    const b0 = yw0[dy]
    const b1 = yw1[dy]
    const o = dy * rowLen
    // OpenCV's SIMD vertical pass (used for whole rows, tails included): each 11-bit product
    // is taken as ((S >> 4) · b) >> 16, then (sum + 2) >> 2; not the exact (ΣS·b + 2^21) >> 22.
    for (let i = 0; i < rowLen; i++) out[o + i] = (((rowA[i] * b0) >> 16) + ((rowB[i] * b1) >> 16) + 2) >> 2
  }
  return out
}

const align16 = (n: number): number => (n + 15) & ~15

/**
 * The same resize with the WebAssembly SIMD kernels (bilinearWasm.ts): the same taps, the same
 * integer arithmetic and the same row reuse as the TypeScript loops above, so the same bytes.
 */
function bilinearSimd(k: BilinearKernels, input: Uint8Array | ((rgb: Uint8Array) => void), w: number, h: number, W: number, H: number, plan: BilinearPlan, copy: boolean): Uint8Array {
  const rowLen = W * 3
  // vrow works on 16 elements at a time; hrow writes one i32 past its row, loads 8 bytes per tap
  const padded = align16(rowLen)
  const rowBytes = (padded + 4) * 4
  const tables = 0
  let pA = align16(tables + 16 * W)
  let pB = pA + rowBytes
  const src = align16(pB + rowBytes)
  const srcBytes = w * h * 3
  const out = align16(src + srcBytes + 16)
  const total = out + H * rowLen + padded + 16
  const have = k.memory.buffer.byteLength
  if (total > have) k.memory.grow(Math.ceil((total - have) / 65536))
  const heap = new Uint8Array(k.memory.buffer)
  const words = new Int32Array(k.memory.buffer)
  words.set(plan.xo0, tables / 4)
  words.set(plan.xo1, tables / 4 + W)
  words.set(plan.xa0, tables / 4 + 2 * W)
  words.set(plan.xa1, tables / 4 + 3 * W)
  if (typeof input === 'function') input(heap.subarray(src, src + srcBytes))
  else heap.set(input, src)
  const [t0, t1, t2, t3] = [tables, tables + 4 * W, tables + 8 * W, tables + 12 * W]
  const { i0: ys0, i1: ys1, w0: yw0, w1: yw1 } = plan.y
  const srcRow = w * 3
  let idxA = -1
  let idxB = -1
  for (let dy = 0; dy < H; dy++) {
    const y0 = ys0[dy]
    const y1 = ys1[dy]
    if (idxA !== y0) {
      if (idxB === y0) {
        const t = pA
        pA = pB
        pB = t
        idxB = -1
      } else k.hrow(src + y0 * srcRow, t0, t1, t2, t3, W, pA)
      idxA = y0
    }
    if (idxB !== y1) {
      if (y1 === y0) heap.copyWithin(pB, pA, pA + rowBytes)
      else k.hrow(src + y1 * srcRow, t0, t1, t2, t3, W, pB)
      idxB = y1
    }
    // Each output row also writes up to 15 bytes into the next one, which is written after it.
    k.vrow(pA, pB, out + dy * rowLen, padded, yw0[dy], yw1[dy])
  }
  return copy ? heap.slice(out, out + H * rowLen) : heap.subarray(out, out + H * rowLen)
}

/** OpenCV INTER_AREA for an exact 2× downscale: rounded mean of each 2×2 block. */
function areaHalve(src: Uint8Array, w: number, h: number, W: number, H: number, cn: number): Uint8Array {
  const out = new Uint8Array(W * H * cn)
  const rowIn = w * cn
  for (let y = 0; y < H; y++) {
    const r0 = 2 * y * rowIn
    const r1 = r0 + rowIn
    const o = y * W * cn
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < cn; c++) {
        const s = 2 * x * cn + c
        out[o + x * cn + c] = (src[r0 + s] + src[r0 + s + cn] + src[r1 + s] + src[r1 + s + cn] + 2) >> 2
      }
    }
  }
  return out
}
