import type { Database } from 'better-sqlite3'

/** AVSBench row data of a clip that the clip table has no column for (S4 start, AVSS vid/s_min/s_sec/a_obj/label). */
export function migrate0002(db: Database): void {
  db.exec(`
    CREATE TABLE avsbench_clip_meta (
      clip_id  INTEGER PRIMARY KEY REFERENCES clips(id) ON DELETE CASCADE,
      json     TEXT NOT NULL
    );
  `)
}
