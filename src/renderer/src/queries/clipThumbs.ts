import { useQuery } from '@tanstack/react-query'
import { THUMB_MASK_BATCH, type ClipThumbMask } from '../../../shared/clipThumbs'
import { decodeMask } from '../canvas/maskCodec'
import { BINARY_COLOR, CLASS_COUNT, packRGBA, paletteColor } from '../editor/palette'
import type { LabelMap } from '../editor/types'
import { call } from './api'
import { keys } from './keys'

interface Waiter {
  resolve: (m: ClipThumbMask) => void
  reject: (err: unknown) => void
}

/**
 * Collects the thumbnail masks that the grid's cells ask for within one frame into one
 * `clip.thumbMasks` call, so scrolling a row into view is one request, not one per cell.
 */
class ThumbMaskBatcher {
  private pending = new Map<number, Waiter[]>()
  private timer: ReturnType<typeof setTimeout> | null = null

  load(clipId: number): Promise<ClipThumbMask> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(clipId)
      if (list) list.push({ resolve, reject })
      else this.pending.set(clipId, [{ resolve, reject }])
      this.timer ??= setTimeout(() => this.flush(), 16)
    })
  }

  private flush(): void {
    this.timer = null
    const batch = this.pending
    this.pending = new Map()
    const ids = [...batch.keys()]
    for (let i = 0; i < ids.length; i += THUMB_MASK_BATCH) {
      const part = ids.slice(i, i + THUMB_MASK_BATCH)
      call('clip.thumbMasks', { clipIds: part }).then(
        (masks) => {
          for (const m of masks) for (const w of batch.get(m.clipId) ?? []) w.resolve(m)
        },
        (err: unknown) => {
          for (const id of part) for (const w of batch.get(id) ?? []) w.reject(err)
        }
      )
    }
  }
}

const batcher = new ThumbMaskBatcher()

/** The editor's overlay opacity (0.55), baked into the pixels: no CSS opacity layer per cell to paint. */
const MASK_ALPHA = 140

function thumbLut(binary: boolean): Uint32Array {
  const lut = new Uint32Array(256)
  for (let i = 1; i < 256; i++) {
    const [r, g, b] = binary && i === 1 ? BINARY_COLOR : i < CLASS_COUNT ? paletteColor(i) : [255, 0, 255]
    lut[i] = packRGBA(r, g, b, MASK_ALPHA)
  }
  return lut
}

const LUTS = { binary: thumbLut(true), classes: thumbLut(false) }

/** One object URL per clip, of its newest revision seen: a newer revision's image replaces (and frees) an older one. */
const urls = new Map<string, { revision: number; url: string | null }>()

/** Keeps `url` for `key` unless a newer revision is already shown; frees what it replaces. Returns the URL to show. */
function keepNewest(key: string, revision: number, url: string | null): string | null {
  const had = urls.get(key)
  if (had && had.revision > revision) {
    if (url) URL.revokeObjectURL(url) // a late answer for an older revision
    return had.url
  }
  if (had?.url && had.url !== url) URL.revokeObjectURL(had.url)
  urls.set(key, { revision, url })
  return url
}

/** The label map in the editor's colours as a PNG object URL (made once per revision, off the scroll path); null when empty. */
async function maskImageUrl(labels: LabelMap, binary: boolean): Promise<string | null> {
  if (!labels.data.some((v) => v !== 0)) return null
  const lut = binary ? LUTS.binary : LUTS.classes
  const px = new Uint32Array(labels.width * labels.height)
  for (let i = 0; i < px.length; i++) px[i] = lut[labels.data[i]]
  const canvas = new OffscreenCanvas(labels.width, labels.height)
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(px.buffer), labels.width, labels.height), 0, 0)
  return URL.createObjectURL(await canvas.convertToBlob({ type: 'image/png' }))
}

export interface ThumbMask {
  revision: number | null
  width: number
  height: number
  /** The coloured mask image, or null when the frame has no mask or an empty one. */
  url: string | null
}

/**
 * The current mask of a clip's thumbnail frame, scaled down and coloured. Lives under projectData,
 * so saves, reviews and finished jobs (which invalidate it) refetch the cells on screen.
 */
export const useClipThumbMask = (dir: string, clipId: number, binary: boolean) =>
  useQuery({
    queryKey: keys.clipThumbMask(dir, clipId),
    queryFn: async (): Promise<ThumbMask> => {
      const m = await batcher.load(clipId)
      const labels = m.data ? await decodeMask({ width: m.width, height: m.height, data: m.data }) : null
      const made = labels ? await maskImageUrl(labels, binary) : null
      const url = keepNewest(`${dir}\n${clipId}`, m.revision ?? 0, made)
      return { revision: m.revision, width: m.width, height: m.height, url }
    },
    staleTime: Infinity
  })
