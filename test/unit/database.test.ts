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
  expect(tables).toEqual(['avsbench_clip_meta', 'classes', 'clip_history', 'clips', 'edits', 'frames', 'jobs', 'masks', 'meta', 'seconds', 'videos'])
  db.close()
  const again = openDatabase(file)
  expect(again.pragma('user_version', { simple: true })).toBe(migrations.length)
  again.close()
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
