import type { Database } from 'better-sqlite3'
import { migrate0001 } from './0001-init'
import { migrate0002 } from './0002-avsbench-clip-meta'
import { migrate0003 } from './0003-clip-history'
import { migrate0004 } from './0004-drop-edits'
import { migrate0005 } from './0005-mask-thumbs'
import { migrate0006 } from './0006-video-import-note'

/** Numbered migrations; `PRAGMA user_version` = number of migrations applied. */
export const migrations: ReadonlyArray<(db: Database) => void> = [migrate0001, migrate0002, migrate0003, migrate0004, migrate0005, migrate0006]
