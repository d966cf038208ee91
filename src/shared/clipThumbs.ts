import { z } from 'zod'
import { paletteColor } from './avsClasses'

/** Widest mask thumbnail the clip grid asks for: enough for a ~200 px card, tiny over the wire. */
export const THUMB_MASK_MAX_WIDTH = 96

/** Clips per `clip.thumbMasks` call (the grid asks for the cells it shows, a few dozen). */
export const THUMB_MASK_BATCH = 200

/**
 * The current mask of a clip's thumbnail frame (its first, as `Clip.thumb`), scaled down and coloured
 * as the editor shows it: a palette PNG in base64 (label v = entry v, 0 transparent). `revision` null: the frame
 * has no mask yet; `png` null: no mask, or an empty one.
 */
export const ClipThumbMask = z.object({
  clipId: z.number().int(),
  frameId: z.number().int().nullable(),
  revision: z.number().int().nullable(),
  width: z.number().int(),
  height: z.number().int(),
  png: z.string().nullable()
})
export type ClipThumbMask = z.infer<typeof ClipThumbMask>

/** Binary projects paint "sounding object" in one bright colour rather than palette[1]'s dark red (the editor's colour). */
export const BINARY_MASK_COLOR: readonly [number, number, number] = [255, 64, 160]
/** The editor's overlay opacity (0.55), baked into the thumbnail's pixels. */
export const THUMB_MASK_ALPHA = 140

/**
 * The thumbnail's palette for a label map: entry v is label v in the editor's colours at the
 * overlay's opacity, entry 0 transparent, as many entries as the largest label needs (a binary
 * mask: 2). The label map is then the PNG's pixels as they are (mode P): a quarter of RGBA's bytes
 * to compress and send, nothing to colour. Null when no pixel is labelled.
 */
export function thumbPalette(labels: Uint8Array, binary: boolean): { palette: Uint8Array; alpha: Uint8Array } | null {
  let max = 0
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i]
  if (max === 0) return null
  const palette = new Uint8Array((max + 1) * 3)
  const alpha = new Uint8Array(max + 1)
  for (let v = 1; v <= max; v++) {
    palette.set(binary && v === 1 ? BINARY_MASK_COLOR : paletteColor(v), v * 3)
    alpha[v] = THUMB_MASK_ALPHA
  }
  return { palette, alpha }
}

/** The thumbnail size of a w×h mask: at most `maxWidth` wide, aspect kept, at least 1×1. */
export function thumbMaskSize(width: number, height: number, maxWidth = THUMB_MASK_MAX_WIDTH): { width: number; height: number } {
  if (width <= maxWidth) return { width, height }
  return { width: maxWidth, height: Math.max(1, Math.round((height * maxWidth) / width)) }
}

/**
 * Scales a label map down for a thumbnail. Each target pixel takes the most frequent non-zero label
 * of (up to 4×4 samples of) its source block when that covers a quarter of it or more, else
 * background: a thin object stays visible and labels stay exact (no blending of class ids).
 */
export function downscaleLabels(labels: Uint8Array, width: number, height: number, tw: number, th: number): Uint8Array {
  const out = new Uint8Array(tw * th)
  const counts = new Uint32Array(256)
  const seen = new Uint8Array(256)
  const xs = new Int32Array(tw + 1)
  for (let tx = 0; tx <= tw; tx++) xs[tx] = Math.floor((tx * width) / tw)
  for (let ty = 0; ty < th; ty++) {
    const y0 = Math.floor((ty * height) / th)
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * height) / th))
    for (let tx = 0; tx < tw; tx++) {
      const x0 = xs[tx]
      const x1 = Math.max(x0 + 1, xs[tx + 1])
      let best = 0
      let bestCount = 0
      let nSeen = 0
      // At most 4×4 samples per block: a 1080p mask costs what a 384×216 one does.
      const sx = Math.max(1, Math.floor((x1 - x0) / 4))
      const sy = Math.max(1, Math.floor((y1 - y0) / 4))
      let samples = 0
      for (let y = y0; y < y1; y += sy) {
        const row = y * width
        for (let x = x0; x < x1; x += sx) {
          samples++
          const v = labels[row + x]
          if (v === 0) continue
          const n = ++counts[v]
          if (n === 1) seen[nSeen++] = v
          if (n > bestCount) {
            bestCount = n
            best = v
          }
        }
      }
      for (let i = 0; i < nSeen; i++) counts[seen[i]] = 0
      out[ty * tw + tx] = bestCount * 4 >= samples ? best : 0
    }
  }
  return out
}
