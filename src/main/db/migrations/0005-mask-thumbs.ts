import type { Database } from 'better-sqlite3'

/**
 * The clip grid's thumbnail of a mask revision, kept with it: the palette PNG that `clip.thumbMasks`
 * sends (project/clipThumbnails.ts), made when a clip's first frame gets a revision, so scrolling
 * the list reads it instead of decoding, scaling and encoding masks. NULL: not made yet (revisions
 * written before this migration, and other frames' revisions; made on first request); an empty
 * blob: an empty mask (nothing to overlay).
 */
export function migrate0005(db: Database): void {
  db.exec('ALTER TABLE masks ADD COLUMN thumb BLOB')
}
