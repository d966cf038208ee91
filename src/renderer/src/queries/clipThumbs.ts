import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query'
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

const toThumbMask = (m: ClipThumbMask): ThumbMask =>
  // A data: URL, not a Blob/object URL: no blob registry, nothing to revoke, no canvas per cell.
  ({ revision: m.revision, width: m.width, height: m.height, url: m.png ? `data:image/png;base64,${m.png}` : null })

const thumbMasksQuery = (dir: string, clipIds: readonly number[]) =>
  queryOptions({
    queryKey: keys.clipThumbMasks(dir, clipIds.join(',')),
    queryFn: async (): Promise<ThumbMask[]> => (await Promise.all(clipIds.map((id) => batcher.load(id)))).map(toThumbMask),
    staleTime: Infinity
  })

/**
 * The current masks of the thumbnail frames of one grid row, scaled down and coloured, in the
 * order of `clipIds`. One query per row, not per cell: a query observer per cell (created and
 * dropped as rows scroll in and out) cost more than everything else a cell does. Lives under
 * projectData, so saves, reviews and finished jobs (which invalidate it) refetch the rows on screen.
 */
export const useClipThumbMasks = (dir: string, clipIds: readonly number[]) => useQuery(thumbMasksQuery(dir, clipIds))

/**
 * Loads the masks of rows the grid will show soon (ahead of the view in either direction) into
 * the query cache, batched into one call: a row then mounts with its masks, in the same commit,
 * instead of rendering twice (empty, then again when its masks arrive, several rows at once in
 * one long frame while scrolling). prefetchQuery asks only for rows not cached or invalidated, and
 * joins a fetch already under way.
 */
export function prefetchClipThumbMasks(client: QueryClient, dir: string, rows: Iterable<readonly number[]>): void {
  for (const ids of rows) void client.prefetchQuery(thumbMasksQuery(dir, ids))
}
