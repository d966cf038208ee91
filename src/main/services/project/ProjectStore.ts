import type { Database } from 'better-sqlite3'
import { maskThumbPng } from './maskThumb'
import type { Clip, ClipDetail, ClipFlag, Frame, ReviewStatus, SecondMark, SecondState, Split, TaskType, Video } from '../../../shared/domain'

export interface NewFrame {
  index: number
  sourceFrame: number
  time: number
  width: number
  height: number
  image: string
  thumb: string
}

export interface NewClip {
  index: number
  name: string
  start: number
  duration: number
  width: number
  height: number
  audio: string
  audioSamples: number
  flags: ClipFlag[]
  frames: NewFrame[]
}

export interface NewVideo {
  uuid: string
  path: string
  name: string
  sizeBytes: number
  duration: number
  width: number
  height: number
  rotation: number
  fps: number
  vfr: boolean
  hasAudio: boolean
  startOffset: number
  probeJson: string
  /** What the import said of the file (truncated part way, say); absent: nothing. */
  importNote?: string | null
}

interface ClipRow {
  id: number
  video_id: number
  video_name: string
  idx: number
  name: string
  start: number
  duration: number
  frame_count: number
  width: number
  height: number
  audio_path: string
  audio_samples: number
  flags: string
  split: Split | null
  category: string | null
  statuses: string | null
  thumb: string | null
  confidence: number | null
}

interface FrameRow {
  id: number
  clip_id: number
  idx: number
  source_frame: number
  time: number
  width: number
  height: number
  image_path: string
  thumb_path: string
  status: ReviewStatus
  comment: string | null
  has_mask: number
}

/** Clip status derived from its frames: the least finished state wins. */
export function deriveClipStatus(statuses: ReviewStatus[]): ReviewStatus {
  if (statuses.length === 0) return 'unreviewed'
  if (statuses.includes('rejected')) return 'rejected'
  if (statuses.every((s) => s === 'accepted')) return 'accepted'
  if (statuses.includes('unreviewed')) return 'unreviewed'
  if (statuses.includes('auto')) return 'auto'
  if (statuses.includes('edited')) return 'edited'
  return 'unreviewed'
}

/**
 * SQL for the id of the frame a clip's thumbnail shows (its first by index, through the (clip_id, idx)
 * index): `Clip.thumb`, and the clip grid's mask over it (clip.thumbMasks, and the thumbnail
 * ProjectStore.addMask keeps with that frame's revisions). `clipId` is an SQL expression.
 */
export const thumbFrameIdSql = (clipId: string): string => `(SELECT t.id FROM frames t WHERE t.clip_id = ${clipId} ORDER BY t.idx LIMIT 1)`

const CLIP_SELECT = `
  SELECT c.*, v.name AS video_name,
    (SELECT min(m.confidence) FROM frames f JOIN masks m ON m.frame_id = f.id
      WHERE f.clip_id = c.id AND m.source = 'model') AS confidence,
    (SELECT group_concat(f.status) FROM frames f WHERE f.clip_id = c.id) AS statuses,
    (SELECT f.thumb_path FROM frames f WHERE f.id = ${thumbFrameIdSql('c.id')}) AS thumb
  FROM clips c JOIN videos v ON v.id = c.video_id`

/** All SQL of one project. Synchronous (better-sqlite3); one instance per open project. */
export class ProjectStore {
  constructor(readonly db: Database) {}

  getMeta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
    return row?.value ?? null
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value)
  }

  deleteMeta(key: string): void {
    this.db.prepare('DELETE FROM meta WHERE key = ?').run(key)
  }

  get task(): TaskType {
    return (this.getMeta('task') ?? 's4') as TaskType
  }

  counts(): { videos: number; clips: number; frames: number } {
    const one = (sql: string): number => (this.db.prepare(sql).get() as { n: number }).n
    return {
      videos: one('SELECT count(*) AS n FROM videos'),
      clips: one('SELECT count(*) AS n FROM clips'),
      frames: one('SELECT count(*) AS n FROM frames')
    }
  }

  clipNameTaken(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM clips WHERE name = ?').get(name) !== undefined
  }

  /** Inserts a video with all its clips and frames in one transaction. */
  /** A video already imported from the same file (name, size, duration) at the same start offset, or null. */
  findSameImport(name: string, sizeBytes: number, duration: number, startOffset: number): { id: number; importedAt: string; firstClip: string | null } | null {
    const row = this.db
      .prepare(
        `SELECT v.id AS id, v.imported_at AS importedAt, (SELECT name FROM clips WHERE video_id = v.id ORDER BY idx LIMIT 1) AS firstClip
         FROM videos v WHERE v.name = ? AND v.size_bytes = ? AND abs(v.duration - ?) < 1e-6 AND abs(v.start_offset - ?) < 1e-6 LIMIT 1`
      )
      .get(name, sizeBytes, duration, startOffset) as { id: number; importedAt: string; firstClip: string | null } | undefined
    return row ?? null
  }

  insertVideo(video: NewVideo, clips: NewClip[]): number {
    const insVideo = this.db.prepare(`INSERT INTO videos
      (uuid, path, name, size_bytes, duration, width, height, rotation, fps, vfr, has_audio, start_offset, probe_json, imported_at, import_note)
      VALUES (@uuid, @path, @name, @sizeBytes, @duration, @width, @height, @rotation, @fps, @vfr, @hasAudio, @startOffset, @probeJson, @importedAt, @importNote)`)
    const insClip = this.db.prepare(`INSERT INTO clips
      (video_id, idx, name, start, duration, frame_count, width, height, audio_path, audio_samples, flags)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    const insFrame = this.db.prepare(`INSERT INTO frames
      (clip_id, idx, source_frame, time, width, height, image_path, thumb_path)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    return this.db.transaction(() => {
      const videoId = Number(
        insVideo.run({ ...video, vfr: video.vfr ? 1 : 0, hasAudio: video.hasAudio ? 1 : 0, importedAt: new Date().toISOString(), importNote: video.importNote ?? null }).lastInsertRowid
      )
      for (const c of clips) {
        const clipId = Number(
          insClip.run(videoId, c.index, c.name, c.start, c.duration, c.frames.length, c.width, c.height, c.audio, c.audioSamples, JSON.stringify(c.flags)).lastInsertRowid
        )
        for (const f of c.frames) insFrame.run(clipId, f.index, f.sourceFrame, f.time, f.width, f.height, f.image, f.thumb)
      }
      return videoId
    })()
  }

  listVideos(): Video[] {
    const rows = this.db
      .prepare(`SELECT v.*, (SELECT count(*) FROM clips c WHERE c.video_id = v.id) AS clip_count FROM videos v ORDER BY v.id`)
      .all() as Array<Record<string, unknown>>
    return rows.map((r) => ({
      id: Number(r.id),
      path: String(r.path),
      name: String(r.name),
      duration: Number(r.duration),
      width: Number(r.width),
      height: Number(r.height),
      fps: Number(r.fps),
      rotation: Number(r.rotation),
      hasAudio: Boolean(r.has_audio),
      startOffset: Number(r.start_offset),
      importedAt: String(r.imported_at),
      clipCount: Number(r.clip_count),
      importNote: r.import_note === null || r.import_note === undefined ? null : String(r.import_note)
    }))
  }

  private toClip(r: ClipRow): Clip {
    const statuses = (r.statuses ? r.statuses.split(',') : []) as ReviewStatus[]
    return {
      id: r.id,
      videoId: r.video_id,
      videoName: r.video_name,
      index: r.idx,
      name: r.name,
      start: r.start,
      duration: r.duration,
      frameCount: r.frame_count,
      width: r.width,
      height: r.height,
      audioSamples: r.audio_samples,
      audio: r.audio_path,
      flags: JSON.parse(r.flags) as ClipFlag[],
      split: r.split,
      category: r.category,
      status: deriveClipStatus(statuses),
      thumb: r.thumb ?? '',
      confidence: r.confidence
    }
  }

  listClips(): Clip[] {
    const rows = this.db.prepare(`${CLIP_SELECT} ORDER BY c.video_id, c.idx`).all() as ClipRow[]
    return rows.map((r) => this.toClip(r))
  }

  getClip(clipId: number): ClipDetail | null {
    const row = this.db.prepare(`${CLIP_SELECT} WHERE c.id = ?`).get(clipId) as ClipRow | undefined
    if (!row) return null
    return { ...this.toClip(row), frames: this.listFrames(clipId), seconds: this.listSeconds(clipId) }
  }

  listFrames(clipId: number): Frame[] {
    const rows = this.db
      .prepare(
        `SELECT f.*, EXISTS(SELECT 1 FROM masks m WHERE m.frame_id = f.id) AS has_mask FROM frames f WHERE f.clip_id = ? ORDER BY f.idx`
      )
      .all(clipId) as FrameRow[]
    return rows.map((r) => ({
      id: r.id,
      clipId: r.clip_id,
      index: r.idx,
      sourceFrame: r.source_frame,
      time: r.time,
      width: r.width,
      height: r.height,
      image: r.image_path,
      thumb: r.thumb_path,
      status: r.status,
      comment: r.comment,
      hasMask: Boolean(r.has_mask)
    }))
  }

  getClipHistory(clipId: number): string | null {
    const row = this.db.prepare('SELECT data FROM clip_history WHERE clip_id = ?').get(clipId) as { data: string } | undefined
    return row?.data ?? null
  }

  setClipHistory(clipId: number, data: string | null): void {
    if (data === null) this.db.prepare('DELETE FROM clip_history WHERE clip_id = ?').run(clipId)
    else this.db.prepare(`INSERT INTO clip_history (clip_id, data, updated_at) VALUES (?, ?, ?)
      ON CONFLICT(clip_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`).run(clipId, data, new Date().toISOString())
  }

  listSeconds(clipId: number): SecondMark[] {
    return this.db.prepare('SELECT second, state FROM seconds WHERE clip_id = ? ORDER BY second').all(clipId) as SecondMark[]
  }

  setSecond(clipId: number, second: number, state: SecondState | null): void {
    if (state) this.db.prepare('INSERT INTO seconds (clip_id, second, state) VALUES (?, ?, ?) ON CONFLICT(clip_id, second) DO UPDATE SET state = excluded.state').run(clipId, second, state)
    else this.db.prepare('DELETE FROM seconds WHERE clip_id = ? AND second = ?').run(clipId, second)
  }

  /** Frames still needing review, in clip order, after a given frame (wrapping around). */
  nextFrameNeedingReview(afterFrameId?: number): { clipId: number; frameId: number; index: number } | null {
    const rows = this.db
      .prepare(`SELECT f.id AS frameId, f.clip_id AS clipId, f.idx AS "index" FROM frames f JOIN clips c ON c.id = f.clip_id
        WHERE f.status IN ('unreviewed', 'auto', 'edited') ORDER BY c.video_id, c.idx, f.idx`)
      .all() as Array<{ clipId: number; frameId: number; index: number }>
    if (rows.length === 0) return null
    if (afterFrameId === undefined) return rows[0]
    const order = this.db
      .prepare(`SELECT f.id FROM frames f JOIN clips c ON c.id = f.clip_id ORDER BY c.video_id, c.idx, f.idx`)
      .all() as Array<{ id: number }>
    const pos = new Map(order.map((r, i) => [r.id, i]))
    const at = pos.get(afterFrameId) ?? -1
    return rows.find((r) => (pos.get(r.frameId) ?? 0) > at) ?? rows[0]
  }

  statusCounts(): { frames: Record<string, number> } {
    const frames: Record<string, number> = { unreviewed: 0, auto: 0, edited: 0, accepted: 0, rejected: 0 }
    for (const r of this.db.prepare('SELECT status, count(*) AS n FROM frames GROUP BY status').all() as Array<{ status: string; n: number }>) frames[r.status] = r.n
    return { frames }
  }

  /**
   * A frame's ground truth: its newest mask a person made or an AVSBench import brought (accepted
   * release masks), never the model's. Evaluate and the dashboard both score the model against it.
   */
  latestGroundTruth(frameId: number): StoredMask | null {
    const row = this.db
      .prepare(`SELECT * FROM masks WHERE frame_id = ? AND source IN ('human', 'import') ORDER BY revision DESC LIMIT 1`)
      .get(frameId) as MaskRow | undefined
    return row ? toStoredMask(row) : null
  }

  /** Frames with both a model mask and ground truth (in either order): the latest model mask and `latestGroundTruth`. */
  modelAndTruthFrames(): Array<{ frameId: number; model: StoredMask; truth: StoredMask }> {
    const ids = this.db
      .prepare(`SELECT DISTINCT m.frame_id AS id FROM masks m
        WHERE m.source = 'model' AND EXISTS (SELECT 1 FROM masks t WHERE t.frame_id = m.frame_id AND t.source IN ('human', 'import'))
        ORDER BY m.frame_id`)
      .all() as Array<{ id: number }>
    return ids.map(({ id }) => ({ frameId: id, model: this.latestMask(id, 'model')!, truth: this.latestGroundTruth(id)! }))
  }

  getFrame(frameId: number): Frame | null {
    const row = this.db.prepare('SELECT clip_id FROM frames WHERE id = ?').get(frameId) as { clip_id: number } | undefined
    if (!row) return null
    return this.listFrames(row.clip_id).find((f) => f.id === frameId) ?? null
  }

  /** The models (card names) that made the project's model masks (auto-segmentation or imported predictions), the most recent first. */
  maskModels(): string[] {
    const rows = this.db.prepare(`SELECT model, MAX(id) AS last FROM masks WHERE source = 'model' AND model IS NOT NULL GROUP BY model ORDER BY last DESC`).all() as Array<{ model: string }>
    return rows.map((r) => r.model)
  }

  /** The newest mask of a frame, optionally of one source only. */
  latestMask(frameId: number, source?: MaskSource): StoredMask | null {
    const row = this.db
      .prepare(
        `SELECT * FROM masks WHERE frame_id = ? ${source ? 'AND source = ?' : ''} ORDER BY revision DESC LIMIT 1`
      )
      .get(...(source ? [frameId, source] : [frameId])) as MaskRow | undefined
    return row ? toStoredMask(row) : null
  }

  listMaskRevisions(frameId: number): Array<Omit<StoredMask, 'data'>> {
    const rows = this.db.prepare('SELECT * FROM masks WHERE frame_id = ? ORDER BY revision').all(frameId) as MaskRow[]
    return rows.map((r) => {
      const { data: _data, ...rest } = toStoredMask(r)
      return rest
    })
  }

  /**
   * Adds a mask revision. A human revision marks the frame 'edited'; a model revision marks an
   * unreviewed frame 'auto'. Returns the new revision number.
   */
  addMask(frameId: number, mask: NewMask): number {
    return this.db.transaction(() => {
      const { next } = this.db.prepare('SELECT coalesce(max(revision), 0) + 1 AS next FROM masks WHERE frame_id = ?').get(frameId) as { next: number }
      this.db
        .prepare(
          `INSERT INTO masks (frame_id, revision, source, width, height, encoding, data, model, confidence, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
        )
        .run(frameId, next, mask.source, mask.width, mask.height, mask.encoding, mask.data, mask.model ?? null, mask.confidence ?? null, new Date().toISOString())
      // The clip grid's thumbnail shows the clip's first frame: its revisions keep their thumbnail (migration 0005).
      // A mask the thumbnail cannot be made from is still saved (clip.thumbMasks then reports it).
      if (this.db.prepare(`SELECT 1 FROM frames f WHERE f.id = ? AND f.id = ${thumbFrameIdSql('f.clip_id')}`).get(frameId)) {
        let thumb: Buffer | null | undefined
        try {
          thumb = maskThumbPng(mask.data, mask.width, mask.height, this.task !== 'avss')
        } catch {
          // Left NULL: clip.thumbMasks tries again on request.
        }
        if (thumb !== undefined) this.setMaskThumb(frameId, next, thumb)
      }
      if (mask.source === 'human') this.db.prepare(`UPDATE frames SET status = 'edited' WHERE id = ?`).run(frameId)
      if (mask.source === 'model') this.db.prepare(`UPDATE frames SET status = 'auto' WHERE id = ? AND status = 'unreviewed'`).run(frameId)
      if (mask.source === 'import' && mask.status) this.db.prepare('UPDATE frames SET status = ? WHERE id = ?').run(mask.status, frameId)
      return next
    })()
  }

  /** Keeps the clip grid's thumbnail of a mask revision (null: an empty mask, stored as an empty blob). */
  setMaskThumb(frameId: number, revision: number, png: Buffer | null): void {
    this.db.prepare('UPDATE masks SET thumb = ? WHERE frame_id = ? AND revision = ?').run(png ?? Buffer.alloc(0), frameId, revision)
  }

  setFrameStatus(frameIds: number[], status: ReviewStatus, comment: string | null = null): number {
    const stmt = this.db.prepare('UPDATE frames SET status = ?, comment = ? WHERE id = ?')
    return this.db.transaction(() => frameIds.reduce((n, id) => n + stmt.run(status, comment, id).changes, 0))()
  }

  updateClip(clipId: number, patch: { split?: Split | null; category?: string | null }): void {
    if ('split' in patch) this.db.prepare('UPDATE clips SET split = ? WHERE id = ?').run(patch.split ?? null, clipId)
    if ('category' in patch) this.db.prepare('UPDATE clips SET category = ? WHERE id = ?').run(patch.category ?? null, clipId)
  }

  // --- AVSBench row data per clip (avsbench helper; migration 0002) ---
  getAvsbenchMeta(clipId: number): Record<string, string> | null {
    const row = this.db.prepare('SELECT json FROM avsbench_clip_meta WHERE clip_id = ?').get(clipId) as { json: string } | undefined
    return row ? (JSON.parse(row.json) as Record<string, string>) : null
  }

  /** Each imported AVSBench AVSS clip's `a_obj` (its sounding classes, joined by "_"), by clip id: one query for a whole project. */
  avsbenchSoundingObjects(): Map<number, string> {
    const rows = this.db.prepare(`SELECT clip_id, json_extract(json, '$.a_obj') AS a_obj FROM avsbench_clip_meta WHERE json_extract(json, '$.a_obj') IS NOT NULL`).all() as Array<{ clip_id: number; a_obj: string }>
    return new Map(rows.map((r) => [r.clip_id, String(r.a_obj)]))
  }

  setAvsbenchMeta(clipId: number, meta: Record<string, string>): void {
    this.db
      .prepare('INSERT INTO avsbench_clip_meta (clip_id, json) VALUES (?, ?) ON CONFLICT(clip_id) DO UPDATE SET json = excluded.json')
      .run(clipId, JSON.stringify(meta))
  }
  // --- end AVSBench ---

  close(): void {
    this.db.close()
  }
}

export type MaskSource = 'model' | 'human' | 'import'

export interface NewMask {
  source: MaskSource
  width: number
  height: number
  encoding: string
  data: Buffer
  model?: string | null
  confidence?: number | null
  /** For imported ground truth: the review status to give the frame. */
  status?: ReviewStatus
}

export interface StoredMask {
  frameId: number
  revision: number
  source: MaskSource
  width: number
  height: number
  encoding: string
  data: Buffer
  model: string | null
  confidence: number | null
  createdAt: string
}

interface MaskRow {
  frame_id: number
  revision: number
  source: MaskSource
  width: number
  height: number
  encoding: string
  data: Buffer
  model: string | null
  confidence: number | null
  created_at: string
}

function toStoredMask(r: MaskRow): StoredMask {
  return {
    frameId: r.frame_id,
    revision: r.revision,
    source: r.source,
    width: r.width,
    height: r.height,
    encoding: r.encoding,
    data: r.data,
    model: r.model,
    confidence: r.confidence,
    createdAt: r.created_at
  }
}
