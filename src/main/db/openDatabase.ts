import BetterSqlite3, { type Database } from 'better-sqlite3'
import { migrations } from './migrations'
import { ApiError } from '../../shared/api'

export interface OpenOptions {
  /** Create the file; refuse if it already exists. */
  create?: boolean
}

/**
 * Opens a project database, checks it is a healthy SQLite file of ours and brings the schema up
 * to date. Never overwrites or recreates an existing file.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): Database {
  let db: Database
  try {
    db = new BetterSqlite3(file, { fileMustExist: !opts.create })
  } catch (err) {
    throw new ApiError('project_unreadable', `Cannot open ${file}: ${(err as Error).message}`)
  }
  try {
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new Error(String(check))
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > migrations.length) {
      throw new Error(`it was written by a newer version of AVS Annotator (schema ${version}, this version knows ${migrations.length})`)
    }
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
    const msg = (err as Error).message
    const corrupt = /not a database|malformed|corrupt/i.test(msg)
    throw new ApiError(
      corrupt ? 'project_corrupt' : 'project_unreadable',
      corrupt
        ? `${file} is not a readable project database (${msg}). It was left untouched; restore it from a backup.`
        : `Cannot open ${file}: ${msg}`
    )
  }
}
