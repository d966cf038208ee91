import type { Database } from 'better-sqlite3'

/** Drops 0001's `edits` table: nothing ever used it (the undo history lives in `clip_history` since 0003). */
export function migrate0004(db: Database): void {
  // Its index edits_clip goes with the table.
  db.exec('DROP TABLE edits')
}
