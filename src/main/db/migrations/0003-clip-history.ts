import type { Database } from 'better-sqlite3'

/** The editor's undo history per clip (its last 200 steps, serialised), so it survives a restart in every mode. */
export function migrate0003(db: Database): void {
  db.exec(`
    CREATE TABLE clip_history (
      clip_id     INTEGER PRIMARY KEY REFERENCES clips(id) ON DELETE CASCADE,
      data        TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    );
  `)
}
