import { THUMB_MASK_BATCH, downscaleLabels, thumbPalette, thumbMaskSize, type ClipThumbMask } from '../../../shared/clipThumbs'
import { encodePng } from '../../image/png'
import { ApiError } from '../../../shared/api'
import { decodeMask } from './maskCodec'
import type { ProjectStore } from './ProjectStore'

interface ThumbFrameRow {
  clip_id: number
  frame_id: number
  width: number
  height: number
  revision: number | null
}

/** Scaled-down masks by `frameId:revision` (a new revision is a new key), per open project. */
const cache = new WeakMap<ProjectStore, Map<string, ClipThumbMask>>()
const CACHE_LIMIT = 5000

/**
 * `clip.thumbMasks`: the current mask (newest revision, any source) of each clip's first frame, the
 * frame `Clip.thumb` shows, scaled down to thumbnail size. One query for the batch; a mask is
 * decoded, scaled and encoded (a palette PNG in the editor's colours, shown as it is) once per revision.
 */
export function clipThumbMasks(store: ProjectStore, clipIds: number[]): ClipThumbMask[] {
  const binary = store.task !== 'avss'
  if (clipIds.length > THUMB_MASK_BATCH) throw new ApiError('bad_input', `clip.thumbMasks takes at most ${THUMB_MASK_BATCH} clips per call`)
  if (clipIds.length === 0) return []
  let byKey = cache.get(store)
  if (!byKey) cache.set(store, (byKey = new Map()))
  const rows = store.db
    .prepare(
      `SELECT j.value AS clip_id, f.id AS frame_id, f.width, f.height,
         (SELECT m.revision FROM masks m WHERE m.frame_id = f.id ORDER BY m.revision DESC LIMIT 1) AS revision
       FROM json_each(?) j
       JOIN frames f ON f.id = (SELECT g.id FROM frames g WHERE g.clip_id = j.value ORDER BY g.idx LIMIT 1)`
    )
    .all(JSON.stringify(clipIds)) as ThumbFrameRow[]
  const byClip = new Map(rows.map((r) => [r.clip_id, r]))
  return clipIds.map((clipId) => {
    const r = byClip.get(clipId)
    if (!r) return { clipId, frameId: null, revision: null, width: 0, height: 0, png: null }
    const size = thumbMaskSize(r.width, r.height)
    if (r.revision === null) return { clipId, frameId: r.frame_id, revision: null, ...size, png: null }
    const key = `${r.frame_id}:${r.revision}:${binary ? 'b' : 'c'}`
    const hit = byKey.get(key)
    if (hit) return { ...hit, clipId }
    const mask = store.latestMask(r.frame_id)
    if (!mask) return { clipId, frameId: r.frame_id, revision: null, ...size, png: null }
    const labels = decodeMask(mask.data, mask.width, mask.height)
    const t = thumbMaskSize(mask.width, mask.height)
    const small = downscaleLabels(labels, mask.width, mask.height, t.width, t.height)
    const pal = thumbPalette(small, binary)
    const png = pal ? encodePng({ width: t.width, height: t.height, mode: 'P', data: small, palette: pal.palette, paletteAlpha: pal.alpha }).toString('base64') : null
    const thumb: ClipThumbMask = { clipId, frameId: r.frame_id, revision: mask.revision, ...t, png }
    if (byKey.size >= CACHE_LIMIT) byKey.delete(byKey.keys().next().value as string)
    byKey.set(key, thumb)
    return thumb
  })
}
