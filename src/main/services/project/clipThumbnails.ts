import { THUMB_MASK_BATCH, thumbMaskSize, type ClipThumbMask } from '../../../shared/clipThumbs'
import { ApiError } from '../../../shared/api'
import { maskThumbPng } from './maskThumb'
import { thumbFrameIdSql, type ProjectStore } from './ProjectStore'

interface ThumbFrameRow {
  clip_id: number
  frame_id: number
  width: number
  height: number
  revision: number | null
  mask_width: number | null
  mask_height: number | null
  thumb: Buffer | null
}

/**
 * `clip.thumbMasks`: the current mask (newest revision, any source) of each clip's first frame, the
 * frame `Clip.thumb` shows, scaled down to thumbnail size, as the palette PNG kept with the revision
 * (ProjectStore.addMask; migration 0005). One query for the batch: scrolling the list reads stored
 * bytes. A revision without one (written before 0005) gets it made and kept on first request.
 */
export function clipThumbMasks(store: ProjectStore, clipIds: number[]): ClipThumbMask[] {
  if (clipIds.length > THUMB_MASK_BATCH) throw new ApiError('bad_input', `clip.thumbMasks takes at most ${THUMB_MASK_BATCH} clips per call`)
  if (clipIds.length === 0) return []
  const rows = store.db
    .prepare(
      `SELECT j.value AS clip_id, f.id AS frame_id, f.width, f.height, m.revision, m.width AS mask_width, m.height AS mask_height, m.thumb
       FROM json_each(?) j
       JOIN frames f ON f.id = ${thumbFrameIdSql('j.value')}
       LEFT JOIN masks m ON m.id = (SELECT n.id FROM masks n WHERE n.frame_id = f.id ORDER BY n.revision DESC LIMIT 1)`
    )
    .all(JSON.stringify(clipIds)) as ThumbFrameRow[]
  const byClip = new Map(rows.map((r) => [r.clip_id, r]))
  const binary = store.task !== 'avss'
  return clipIds.map((clipId) => {
    const r = byClip.get(clipId)
    if (!r) return { clipId, frameId: null, revision: null, width: 0, height: 0, png: null }
    if (r.revision === null || r.mask_width === null || r.mask_height === null) return { clipId, frameId: r.frame_id, revision: null, ...thumbMaskSize(r.width, r.height), png: null }
    let png = r.thumb
    if (png === null) {
      const mask = store.latestMask(r.frame_id)!
      png = maskThumbPng(mask.data, mask.width, mask.height, binary) ?? Buffer.alloc(0)
      // A read-only view (another process writes the project) makes it again next time.
      if (!store.db.readonly) store.setMaskThumb(r.frame_id, r.revision, png)
    }
    return { clipId, frameId: r.frame_id, revision: r.revision, ...thumbMaskSize(r.mask_width, r.mask_height), png: png.length ? png.toString('base64') : null }
  })
}
