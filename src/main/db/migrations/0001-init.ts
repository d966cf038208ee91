import type { Database } from 'better-sqlite3'

/** The first schema: media, clips and frames, plus room for masks, history, classes, review and jobs. */
export function migrate0001(db: Database): void {
  db.exec(`
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );

    CREATE TABLE videos (
      id            INTEGER PRIMARY KEY,
      uuid          TEXT NOT NULL UNIQUE,
      path          TEXT NOT NULL,
      name          TEXT NOT NULL,
      size_bytes    INTEGER NOT NULL,
      duration      REAL NOT NULL,
      width         INTEGER NOT NULL,
      height        INTEGER NOT NULL,
      rotation      INTEGER NOT NULL DEFAULT 0,
      fps           REAL NOT NULL,
      vfr           INTEGER NOT NULL DEFAULT 0,
      has_audio     INTEGER NOT NULL,
      start_offset  REAL NOT NULL DEFAULT 0,
      probe_json    TEXT NOT NULL,
      imported_at   TEXT NOT NULL
    );

    CREATE TABLE clips (
      id             INTEGER PRIMARY KEY,
      video_id       INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
      idx            INTEGER NOT NULL,
      name           TEXT NOT NULL UNIQUE,
      start          REAL NOT NULL,
      duration       REAL NOT NULL,
      frame_count    INTEGER NOT NULL,
      width          INTEGER NOT NULL,
      height         INTEGER NOT NULL,
      audio_path     TEXT NOT NULL,
      audio_samples  INTEGER NOT NULL,
      flags          TEXT NOT NULL DEFAULT '[]',
      split          TEXT CHECK (split IN ('train', 'val', 'test')),
      category       TEXT,
      UNIQUE (video_id, idx)
    );

    CREATE TABLE frames (
      id             INTEGER PRIMARY KEY,
      clip_id        INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
      idx            INTEGER NOT NULL,
      source_frame   INTEGER NOT NULL,
      time           REAL NOT NULL,
      width          INTEGER NOT NULL,
      height         INTEGER NOT NULL,
      image_path     TEXT NOT NULL,
      thumb_path     TEXT NOT NULL,
      status         TEXT NOT NULL DEFAULT 'unreviewed'
                     CHECK (status IN ('unreviewed', 'auto', 'edited', 'accepted', 'rejected')),
      comment        TEXT,
      UNIQUE (clip_id, idx)
    );

    -- A label map per frame and revision: 'model' (auto-segmentation), 'human' (edits), 'import'.
    CREATE TABLE masks (
      id          INTEGER PRIMARY KEY,
      frame_id    INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
      revision    INTEGER NOT NULL,
      source      TEXT NOT NULL CHECK (source IN ('model', 'human', 'import')),
      width       INTEGER NOT NULL,
      height      INTEGER NOT NULL,
      encoding    TEXT NOT NULL,
      data        BLOB NOT NULL,
      model       TEXT,
      confidence  REAL,
      created_at  TEXT NOT NULL,
      UNIQUE (frame_id, revision)
    );
    CREATE INDEX masks_frame ON masks(frame_id, revision DESC);

    -- Undo history that survives a restart: inverse patches of dirty tiles per clip.
    CREATE TABLE edits (
      id          INTEGER PRIMARY KEY,
      clip_id     INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
      frame_id    INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
      seq         INTEGER NOT NULL,
      kind        TEXT NOT NULL,
      patch       BLOB NOT NULL,
      created_at  TEXT NOT NULL
    );
    CREATE INDEX edits_clip ON edits(clip_id, seq);

    -- Per-second audio annotation: 'silent' or 'offscreen'.
    CREATE TABLE seconds (
      clip_id  INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
      second   INTEGER NOT NULL,
      state    TEXT NOT NULL CHECK (state IN ('silent', 'offscreen')),
      PRIMARY KEY (clip_id, second)
    );

    CREATE TABLE classes (
      id     INTEGER PRIMARY KEY,
      name   TEXT NOT NULL UNIQUE,
      color  TEXT NOT NULL
    );

    CREATE TABLE jobs (
      id          TEXT PRIMARY KEY,
      kind        TEXT NOT NULL,
      status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
      params      TEXT NOT NULL,
      total       INTEGER NOT NULL DEFAULT 0,
      done        INTEGER NOT NULL DEFAULT 0,
      error       TEXT,
      created_at  TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    );
  `)
}
