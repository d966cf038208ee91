import type { Database } from 'better-sqlite3'

/**
 * What the import had to say about a video, kept with it: a file truncated or damaged part way
 * ("… is truncated or damaged after 0:07.9 of its 0:12.0: 1 of its 2 clips were whole and kept")
 * was reported once, in the import's report, and then nowhere. NULL: nothing to say.
 */
export function migrate0006(db: Database): void {
  db.exec('ALTER TABLE videos ADD COLUMN import_note TEXT')
}
