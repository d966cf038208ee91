// Reading AVSBench mask PNGs into label maps (spec avsbench-format §3, §8).
import { nearestPaletteClass, paletteClass } from '../../../shared/avsClasses'
import { decodePng, PngError, type PngImage } from '../../image/png'

export interface LabelImage {
  width: number
  height: number
  labels: Uint8Array
}

/** Pillow's `convert('L')`: ITU-R 601-2 luma in 16-bit fixed point. */
const luma = (r: number, g: number, b: number): number => (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16

/** Pixels as packed RGB whatever the PNG mode (palette looked up, grey replicated, alpha dropped). */
export function toRgb(img: PngImage): Uint8Array {
  const n = img.width * img.height
  const out = new Uint8Array(n * 3)
  const d = img.data
  for (let i = 0; i < n; i++) {
    let r: number
    let g: number
    let b: number
    switch (img.mode) {
      case 'L':
        r = g = b = d[i]
        break
      case 'LA':
        r = g = b = d[i * 2]
        break
      case 'RGB':
        r = d[i * 3]
        g = d[i * 3 + 1]
        b = d[i * 3 + 2]
        break
      case 'RGBA':
        r = d[i * 4]
        g = d[i * 4 + 1]
        b = d[i * 4 + 2]
        break
      case 'P': {
        const p = img.palette!
        const j = d[i] * 3
        r = p[j] ?? 0
        g = p[j + 1] ?? 0
        b = p[j + 2] ?? 0
        break
      }
    }
    out[i * 3] = r
    out[i * 3 + 1] = g
    out[i * 3 + 2] = b
  }
  return out
}

function decode(bytes: Uint8Array, file: string): PngImage {
  try {
    return decodePng(bytes)
  } catch (err) {
    throw new PngError(`${file}: ${(err as Error).message}`)
  }
}

/** S4/MS3 mask: `convert('L')`, foreground = value ≥ 128 → label map of 0/1. */
export function readBinaryMask(bytes: Uint8Array, file: string): LabelImage {
  const img = decode(bytes, file)
  const n = img.width * img.height
  const labels = new Uint8Array(n)
  if (img.mode === 'L') {
    for (let i = 0; i < n; i++) labels[i] = img.data[i] >= 128 ? 1 : 0
  } else {
    const rgb = toRgb(img)
    for (let i = 0; i < n; i++) labels[i] = luma(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]) >= 128 ? 1 : 0
  }
  return { width: img.width, height: img.height, labels }
}

/**
 * AVSS class map. labels_semantic (L or P): pixel = class index. labels_rgb: exact palette colour;
 * `snap` maps other colours to the nearest palette colour (resampled predictions), otherwise they
 * become background as the official loader does and are counted in `unknown`.
 */
export function readClassMask(bytes: Uint8Array, file: string, kind: 'semantic' | 'rgb', snap = false): LabelImage & { unknown: number } {
  const img = decode(bytes, file)
  const n = img.width * img.height
  const labels = new Uint8Array(n)
  let unknown = 0
  if (kind === 'semantic' && (img.mode === 'L' || img.mode === 'P')) {
    for (let i = 0; i < n; i++) {
      const v = img.data[i]
      if (v > 70) unknown++
      else labels[i] = v
    }
    return { width: img.width, height: img.height, labels, unknown }
  }
  const rgb = toRgb(img)
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3]
    const g = rgb[i * 3 + 1]
    const b = rgb[i * 3 + 2]
    const c = snap ? nearestPaletteClass(r, g, b) : paletteClass(r, g, b)
    if (c < 0) unknown++
    else labels[i] = c
  }
  return { width: img.width, height: img.height, labels, unknown }
}
