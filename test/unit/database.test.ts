import BetterSqlite3 from 'better-sqlite3'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { openDatabase } from '../../src/main/db/openDatabase'
import { migrations } from '../../src/main/db/migrations'
import { deriveClipStatus } from '../../src/main/services/project/ProjectStore'

test('a new database is migrated to the latest schema, in WAL mode, and reopening is a no-op', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'avs-db-')), 'p.sqlite')
  const db = openDatabase(file, { create: true })
  expect(db.pragma('user_version', { simple: true })).toBe(migrations.length)
  expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)
  expect(tables).toEqual(['avsbench_clip_meta', 'classes', 'clip_history', 'clips', 'frames', 'jobs', 'masks', 'meta', 'seconds', 'videos'])
  db.close()
  const again = openDatabase(file)
  expect(again.pragma('user_version', { simple: true })).toBe(migrations.length)
  again.close()
})

test('0004 drops the unused edits table of a schema-3 project and keeps everything else', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'avs-db-')), 'p.sqlite')
  // A project as the version with three migrations wrote it, with a row in every table 0004 touches.
  const old = new BetterSqlite3(file)
  for (const m of migrations.slice(0, 3)) m(old)
  old.pragma('user_version = 3')
  old.exec(`
    INSERT INTO meta (key, value) VALUES ('name', 'old');
    INSERT INTO videos (id, uuid, path, name, size_bytes, duration, width, height, fps, has_audio, probe_json, imported_at)
      VALUES (1, 'u', '/v.mp4', 'v.mp4', 1, 5, 64, 48, 25, 0, '{}', 'now');
    INSERT INTO clips (id, video_id, idx, name, start, duration, frame_count, width, height, audio_path, audio_samples)
      VALUES (1, 1, 0, 'v_0_5000', 0, 5, 5, 64, 48, 'u/a.wav', 80000);
    INSERT INTO frames (id, clip_id, idx, source_frame, time, width, height, image_path, thumb_path) VALUES (1, 1, 0, 23, 0.92, 64, 48, 'f', 't');
    INSERT INTO clip_history (clip_id, data, updated_at) VALUES (1, '{}', 'now');
    INSERT INTO edits (clip_id, frame_id, seq, kind, patch, created_at) VALUES (1, 1, 0, 'brush', x'00', 'now');
  `)
  old.close()

  const db = openDatabase(file)
  expect(db.pragma('user_version', { simple: true })).toBe(migrations.length)
  const names = (db.prepare('SELECT name FROM sqlite_master').all() as Array<{ name: string }>).map((r) => r.name)
  expect(names).not.toContain('edits')
  expect(names).not.toContain('edits_clip')
  expect(db.prepare("SELECT value FROM meta WHERE key = 'name'").pluck().get()).toBe('old')
  expect(db.prepare('SELECT count(*) FROM frames').pluck().get()).toBe(1)
  expect(db.prepare('SELECT data FROM clip_history WHERE clip_id = 1').pluck().get()).toBe('{}')
  expect(db.pragma('foreign_key_check')).toEqual([])
  // Deleting a clip still cascades (no table left that references it without a cascade).
  db.prepare('DELETE FROM clips WHERE id = 1').run()
  expect(db.prepare('SELECT count(*) FROM frames').pluck().get()).toBe(0)
  db.close()
})

test('a database from a newer version is refused', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'avs-db-')), 'p.sqlite')
  const db = openDatabase(file, { create: true })
  db.pragma(`user_version = ${migrations.length + 5}`)
  db.close()
  expect(() => openDatabase(file)).toThrow(/newer version/)
})

test('opening a missing file never creates it', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'avs-db-')), 'missing.sqlite')
  expect(() => openDatabase(file)).toThrow(/Cannot open/)
})

test('clip status is derived from its frames', () => {
  expect(deriveClipStatus([])).toBe('unreviewed')
  expect(deriveClipStatus(['accepted', 'accepted'])).toBe('accepted')
  expect(deriveClipStatus(['accepted', 'rejected'])).toBe('rejected')
  expect(deriveClipStatus(['accepted', 'unreviewed'])).toBe('unreviewed')
  expect(deriveClipStatus(['accepted', 'auto'])).toBe('auto')
  expect(deriveClipStatus(['accepted', 'edited'])).toBe('edited')
})
