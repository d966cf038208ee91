import { z } from 'zod'

/** Widest mask thumbnail the clip grid asks for: enough for a ~200 px card, tiny over the wire. */
export const THUMB_MASK_MAX_WIDTH = 96

/** Clips per `clip.thumbMasks` call (the grid asks for the cells it shows, a few dozen). */
export const THUMB_MASK_BATCH = 200

/**
 * The current mask of a clip's thumbnail frame (its first, as `Clip.thumb`), scaled down: a
 * zlib-deflated label map in base64, as MaskPayload. `revision` null: the frame has no mask yet.
 */
export const ClipThumbMask = z.object({
  clipId: z.number().int(),
  frameId: z.number().int().nullable(),
  revision: z.number().int().nullable(),
  width: z.number().int(),
  height: z.number().int(),
  data: z.string().nullable()
})
export type ClipThumbMask = z.infer<typeof ClipThumbMask>

/** The thumbnail size of a w×h mask: at most `maxWidth` wide, aspect kept, at least 1×1. */
export function thumbMaskSize(width: number, height: number, maxWidth = THUMB_MASK_MAX_WIDTH): { width: number; height: number } {
  if (width <= maxWidth) return { width, height }
  return { width: maxWidth, height: Math.max(1, Math.round((height * maxWidth) / width)) }
}

/**
 * Scales a label map down for a thumbnail. Each target pixel takes the most frequent non-zero label
 * of its source block when that covers a quarter of it or more, else background: a thin object
 * stays visible and labels stay exact (no blending of class ids).
 */
export function downscaleLabels(labels: Uint8Array, width: number, height: number, tw: number, th: number): Uint8Array {
  const out = new Uint8Array(tw * th)
  const counts = new Uint16Array(256)
  const seen: number[] = []
  for (let ty = 0; ty < th; ty++) {
    const y0 = Math.floor((ty * height) / th)
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * height) / th))
    for (let tx = 0; tx < tw; tx++) {
      const x0 = Math.floor((tx * width) / tw)
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * width) / tw))
      let best = 0
      let bestCount = 0
      for (let y = y0; y < y1; y++) {
        const row = y * width
        for (let x = x0; x < x1; x++) {
          const v = labels[row + x]
          if (v === 0) continue
          if (counts[v]++ === 0) seen.push(v)
          if (counts[v] > bestCount) {
            bestCount = counts[v]
            best = v
          }
        }
      }
      for (const v of seen) counts[v] = 0
      seen.length = 0
      out[ty * tw + tx] = bestCount * 4 >= (y1 - y0) * (x1 - x0) ? best : 0
    }
  }
  return out
}
