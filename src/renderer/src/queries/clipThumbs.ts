import { useQuery } from '@tanstack/react-query'
import { THUMB_MASK_BATCH, type ClipThumbMask } from '../../../shared/clipThumbs'
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
  width: number
  height: number
  /** The coloured mask image (a data: URL of the PNG the server made), or null when the frame has no mask or an empty one. */
  url: string | null
}

/**
 * The current mask of a clip's thumbnail frame, scaled down and coloured. Lives under projectData,
 * so saves, reviews and finished jobs (which invalidate it) refetch the cells on screen.
 */
export const useClipThumbMask = (dir: string, clipId: number) =>
  useQuery({
    queryKey: keys.clipThumbMask(dir, clipId),
    queryFn: async (): Promise<ThumbMask> => {
      const m = await batcher.load(clipId)
      // A data: URL, not a Blob/object URL: no blob registry, nothing to revoke, no canvas per cell.
      return { revision: m.revision, width: m.width, height: m.height, url: m.png ? `data:image/png;base64,${m.png}` : null }
    },
    staleTime: Infinity
  })
