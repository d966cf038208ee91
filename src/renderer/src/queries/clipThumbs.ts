import { useQuery } from '@tanstack/react-query'
import { THUMB_MASK_BATCH, type ClipThumbMask } from '../../../shared/clipThumbs'
import { decodeMask } from '../canvas/maskCodec'
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

export interface ThumbMask {
  revision: number | null
  labels: LabelMap | null
}

/**
 * The current mask of a clip's thumbnail frame, scaled down. Lives under projectData, so saves,
 * reviews and finished jobs (which invalidate it) refetch the cells on screen.
 */
export const useClipThumbMask = (dir: string, clipId: number) =>
  useQuery({
    queryKey: keys.clipThumbMask(dir, clipId),
    queryFn: async (): Promise<ThumbMask> => {
      const m = await batcher.load(clipId)
      return { revision: m.revision, labels: m.data ? await decodeMask({ width: m.width, height: m.height, data: m.data }) : null }
    },
    staleTime: Infinity
  })
