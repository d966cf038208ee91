import BetterSqlite3, { type Database } from 'better-sqlite3'
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs'
import { migrations } from './migrations'
import { ApiError } from '../../shared/api'

/** What `meta.format` holds in every project this app wrote. */
export const PROJECT_FORMAT = 'avs-annotator/1'
const SQLITE_MAGIC = 'SQLite format 3\0'

export interface OpenOptions {
  /** Create the file; refuse if it already exists. */
  create?: boolean
  /** A read-only connection: no migration, no pragma that writes; works alongside a writer (WAL). */
  readonly?: boolean
}

/** The one answer for every project file this version cannot read: it says the file was left untouched. */
export function unreadableError(file: string, reason: string, advice = 'restore it from a backup'): ApiError {
  return new ApiError('project_unreadable', `${file} cannot be read as an AVS Annotator project: ${reason}. The file was left untouched; ${advice}.`)
}

function readHeader(file: string): Buffer {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(SQLITE_MAGIC.length)
    const n = readSync(fd, buf, 0, buf.length, 0)
    return buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/** A read-only connection needs the -shm (and -wal) beside the file; one that cannot create them is a read-only place, not a damaged file. */
function readOnlyPlace(err: unknown, file: string): ApiError | null {
  const code = String((err as { code?: unknown })?.code ?? '')
  if (code !== 'SQLITE_READONLY_DIRECTORY' && code !== 'SQLITE_CANTOPEN' && !/^SQLITE_READONLY/.test(code)) return null
  return new ApiError(
    'read_only',
    `${file} is in a read-only place, and SQLite must create its shared-memory file beside it to read it. Nothing was changed; copy the project folder to a writable place (or make it writable) and open it there.`
  )
}

/**
 * Removes the -wal/-shm side files that a read-only connection to a WAL-mode file created, when the
 * file was refused: a file we cannot read gets nothing new beside it. A -wal with content is never
 * removed (it would hold someone's writes).
 */
function removeSideFilesWeMade(file: string, existed: { wal: boolean; shm: boolean }): void {
  const wal = `${file}-wal`
  const shm = `${file}-shm`
  try {
    if (!existed.wal && existsSync(wal)) {
      if (statSync(wal).size !== 0) return
      rmSync(wal, { force: true })
    }
    if (!existed.shm && existsSync(shm)) rmSync(shm, { force: true })
  } catch {
    // best effort: the refusal itself is what the user needs to see
  }
}

/** The first line of SQLite's complaint, without integrity-check dumps. */
function sqliteReason(err: unknown): string {
  const msg = String((err as Error)?.message ?? err).split('\n')[0]
  if (/not a database|file is encrypted/i.test(msg)) return 'it is not a SQLite database'
  if (/malformed|corrupt|btree|page/i.test(msg)) return 'its pages are damaged'
  return msg
}

/**
 * Checks, on a read-only connection that changes nothing, that `file` is a healthy project database
 * of ours that this version can open; returns its schema version. Every failure is `project_unreadable`.
 */
export function inspectDatabase(file: string, opts: { requireFormat?: boolean } = {}): number {
  let size: number
  try {
    size = statSync(file).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ApiError('not_found', `Cannot open ${file}: it does not exist`)
    throw unreadableError(file, sqliteReason(err))
  }
  if (size === 0) throw unreadableError(file, 'it is empty (0 bytes)')
  let header: Buffer
  try {
    header = readHeader(file)
  } catch (err) {
    throw unreadableError(file, sqliteReason(err))
  }
  if (header.toString('latin1') !== SQLITE_MAGIC) throw unreadableError(file, 'it is not a SQLite database')
  const existed = { wal: existsSync(`${file}-wal`), shm: existsSync(`${file}-shm`) }
  let db: Database
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true })
  } catch (err) {
    removeSideFilesWeMade(file, existed)
    throw readOnlyPlace(err, file) ?? unreadableError(file, sqliteReason(err))
  }
  let refused = true
  try {
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw unreadableError(file, 'its pages are damaged')
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > migrations.length) {
      throw unreadableError(
        file,
        `it was written by a newer version of AVS Annotator (schema ${version}, this version knows ${migrations.length})`,
        'open it with that newer version'
      )
    }
    // The schema marker: user_version, our core tables, and (in every project the app made) meta.format.
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name))
    const ours = version > 0 && ['meta', 'videos', 'clips', 'frames'].every((t) => tables.has(t))
    const format = ours ? (db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined)?.value : undefined
    if (!ours || (format !== undefined && format !== PROJECT_FORMAT) || (opts.requireFormat !== false && format === undefined)) {
      const what = tables.size === 0 ? 'it is an empty SQLite database' : 'it is a SQLite database of another program, not an AVS Annotator project'
      throw unreadableError(file, what, 'check that you chose the right folder, or restore the project from a backup')
    }
    refused = false
    return version
  } catch (err) {
    if (err instanceof ApiError) throw err
    throw readOnlyPlace(err, file) ?? unreadableError(file, sqliteReason(err))
  } finally {
    db.close()
    if (refused) removeSideFilesWeMade(file, existed)
  }
}

/**
 * Opens a project database. An existing file is inspected read-only first (inspectDatabase) and only
 * then opened for writing and migrated; a file that fails the inspection is never written to.
 * `create` makes a new file and refuses an existing one; only a missing file is new.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): Database {
  // Projects are inspected with their meta.format by ProjectService; bare databases (tests, tools) need only the tables.
  if (!opts.create) inspectDatabase(file, { requireFormat: false })
  return openInspectedDatabase(file, opts)
}

/**
 * openDatabase for a file the caller has just passed through inspectDatabase (ProjectService does,
 * with the format marker, before it takes the lock): the check, a full quick_check, is not run twice.
 */
export function openInspectedDatabase(file: string, opts: OpenOptions = {}): Database {
  let db: Database
  try {
    db = new BetterSqlite3(file, { fileMustExist: !opts.create, readonly: Boolean(opts.readonly) })
  } catch (err) {
    throw unreadableError(file, sqliteReason(err))
  }
  try {
    if (opts.readonly) {
      db.pragma('busy_timeout = 5000')
      return db
    }
    const version = db.pragma('user_version', { simple: true }) as number
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    for (let v = version; v < migrations.length; v++) {
      db.transaction(() => {
        migrations[v](db)
        db.pragma(`user_version = ${v + 1}`)
      })()
    }
    return db
  } catch (err) {
    db.close()
    if (err instanceof ApiError) throw err
    throw unreadableError(file, sqliteReason(err))
  }
}
