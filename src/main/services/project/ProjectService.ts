import { constants, existsSync } from 'node:fs'
import { access, mkdir, readdir, readFile, rm, stat, writeFile, rename } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { ApiError } from '../../../shared/api'
import { CLIP_SECONDS, type ProjectSummary, type RecentProject, type Settings, type TaskType } from '../../../shared/domain'
import { inspectDatabase, openDatabase, openInspectedDatabase, PROJECT_FORMAT } from '../../db/openDatabase'
import { migrations } from '../../db/migrations'
import { ProjectStore } from './ProjectStore'
import { acquireLock, inUseError, lockHolder, processAlive } from './projectLock'
import { checkProjectTarget, mkdirBounded } from './targetFolder'
import { removeUploads } from './uploads'

export const DB_FILE = 'project.sqlite'
export const MEDIA_DIR = 'media'
export const STAGING_DIR = '.staging'
const FORMAT = PROJECT_FORMAT
const MAX_RECENT = 20
/** Meta key of a project an import is still building: written with the project, deleted by the import's last step. */
export const IMPORTING_META = 'importing'

/** What the importing marker records: who builds the project, and which process. */
interface ImportingMarker {
  by: string
  startedAt: string
  pid: number
  host: string
}

export interface OpenProject {
  dir: string
  mediaDir: string
  store: ProjectStore
  /** Opened without the writer lock on a read-only connection (avs info, export, masks, eval). */
  readOnly: boolean
  /**
   * Why this process may no longer write the project: another writer took its lock over while this
   * process was not heard from. The connection is query-only from then on; null while the lock holds.
   */
  lockLost: string | null
}

export interface ProjectServiceOptions {
  /** Who writes, as the lock's refusal names it to a second writer: "avs import", "the AVS Annotator app". */
  owner?: string
  /** Open projects read-only: no lock, no migration, no house-keeping; works alongside a writer. */
  readOnly?: boolean
  /** Told when the open project's lock was taken over by another writer (the project turned read-only). */
  onLockLost?: (project: OpenProject) => void
}

/** The refusal of a write after the project's lock went to another writer. */
export function lockLostError(project: OpenProject): ApiError {
  return new ApiError(
    'project_taken_over',
    `This process no longer writes ${project.dir}: ${project.lockLost ?? 'another process holds its lock'}. What was saved before stays; this change was not saved. Close the project and open it again once the other writer has finished.`
  )
}

/** `err`, or `project`'s "taken over" refusal where `err` is SQLite refusing a write because the lock went to another writer. */
export function projectWriteError(project: OpenProject | null, err: unknown): unknown {
  return project?.lockLost && !(err instanceof ApiError) && isReadOnlyRefusal(err) ? lockLostError(project) : err
}

/** SQLite's refusal to write on a query-only (or read-only) connection. */
function isReadOnlyRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) || /attempt to write a readonly database/i.test(String((err as Error | null)?.message ?? ''))
}

/** Honours the folder's write bits even for root, who could write anyway. */
async function assertWritable(path: string, what: string): Promise<void> {
  const st = await stat(path)
  let ok = (st.mode & 0o200) !== 0
  if (ok) ok = await access(path, constants.W_OK).then(() => true, () => false)
  if (!ok) throw new ApiError('read_only', `${what} ${path} is read-only; the project was not opened. Make it writable or copy the project elsewhere.`)
}

/** Why a project that still carries the importing marker cannot be opened. */
function unfinishedImportMessage(markerJson: string, dir: string): string {
  let m: Partial<ImportingMarker> = {}
  try {
    m = JSON.parse(markerJson) as Partial<ImportingMarker>
  } catch {
    // an unreadable marker still marks the project as unfinished
  }
  const by = m.by ?? 'an import'
  if (m.host === hostname() && typeof m.pid === 'number' && processAlive(m.pid)) {
    return `This project is still being built by ${by} (process ${m.pid}, started ${m.startedAt ?? '?'}); open it once the import has finished. If no import is running, it was killed: delete the project and import again: ${dir}`
  }
  return `This project was left half-imported by ${by} that did not finish (killed or crashed); delete it and import again: ${dir}`
}

/** Creates, opens and remembers projects; holds the one open project of this process. */
export class ProjectService {
  private open: OpenProject | null = null
  private release: (() => void) | null = null
  private readonly owner: string
  readonly readOnly: boolean
  private readonly onLockLost: ((project: OpenProject) => void) | undefined

  constructor(
    private readonly homeDir: string,
    opts: ProjectServiceOptions = {}
  ) {
    this.owner = opts.owner ?? 'the AVS Annotator app'
    this.readOnly = opts.readOnly ?? false
    this.onLockLost = opts.onLockLost
  }

  /**
   * `err`, or the project's "taken over" refusal where `err` is SQLite refusing a write because this
   * process lost the project's lock.
   */
  writeError(err: unknown): unknown {
    return projectWriteError(this.open, err)
  }

  get current(): OpenProject | null {
    return this.open
  }

  require(): OpenProject {
    if (!this.open) throw new ApiError('no_project', 'No project is open')
    return this.open
  }

  /**
   * Creates a project and opens it. With `importing` (who builds it, e.g. "an AVSBench import") the
   * project is marked unfinished in the same transaction that creates it, is not listed under recent
   * projects, and no other open accepts it until `finishImport()`: a killed import cannot pass for a
   * complete project.
   */
  async create(dirIn: string, task: TaskType, name?: string, opts: { importing?: string } = {}): Promise<ProjectSummary> {
    if (this.readOnly) throw new ApiError('read_only_command', 'This command only reads projects; it cannot create one')
    const dir = resolve(dirIn)
    // Bounded: /proc, /sys, /dev, files and read-only places are refused before any mkdir.
    await checkProjectTarget(dir, 'project')
    if (existsSync(join(dir, DB_FILE))) throw new ApiError('project_exists', `${dir} already holds a project; open it instead`)
    if (existsSync(dir)) {
      const st = await stat(dir)
      if (!st.isDirectory()) throw new ApiError('not_a_folder', `${dir} is a file, not a folder`)
      const entries = (await readdir(dir)).filter((e) => !e.startsWith('.'))
      if (entries.length) throw new ApiError('folder_not_empty', `${dir} is not empty; choose a new or empty folder for the project`)
    }
    await mkdirBounded(join(dir, MEDIA_DIR)).catch((err: Error) => {
      throw err instanceof ApiError ? err : new ApiError('cannot_create', `Cannot create the project folder ${dir}: ${err.message}`)
    })
    await assertWritable(dir, 'The folder')
    // The lock comes before the database, so two `avs new` into one folder cannot both create it.
    const release = acquireLock(dir, this.owner)
    try {
      if (existsSync(join(dir, DB_FILE))) throw new ApiError('project_exists', `${dir} already holds a project; open it instead`)
      const store = new ProjectStore(openDatabase(join(dir, DB_FILE), { create: true }))
      try {
        store.db.transaction(() => {
          store.setMeta('format', FORMAT)
          store.setMeta('name', name?.trim() || basename(dir))
          store.setMeta('task', task)
          store.setMeta('clip_seconds', String(CLIP_SECONDS[task]))
          store.setMeta('created_at', new Date().toISOString())
          if (opts.importing) {
            const marker: ImportingMarker = { by: opts.importing, startedAt: new Date().toISOString(), pid: process.pid, host: hostname() }
            store.setMeta(IMPORTING_META, JSON.stringify(marker))
          }
        })()
      } finally {
        store.close()
      }
    } catch (err) {
      release()
      throw err
    }
    try {
      return await this.load(dir, { importing: Boolean(opts.importing) })
    } finally {
      release() // load() took its own hold on the lock
    }
  }

  async openProject(dirIn: string): Promise<ProjectSummary> {
    return this.load(resolve(dirIn), { importing: false })
  }

  /** Ends the import that created the open project: deletes its marker, then lists it under recent projects. */
  async finishImport(): Promise<ProjectSummary> {
    this.require().store.deleteMeta(IMPORTING_META)
    const summary = this.summary()
    await this.remember(summary)
    return summary
  }

  /** Opens `dir`; only the import that created a project (`importing`) may open it while it is marked unfinished. */
  private async load(dir: string, { importing }: { importing: boolean }): Promise<ProjectSummary> {
    const file = join(dir, DB_FILE)
    if (!existsSync(dir)) throw new ApiError('not_found', `${dir} does not exist`)
    if (basename(dir) === DB_FILE && existsSync(dir)) throw new ApiError('not_a_project', `${dir} is the project's database; give its folder, ${dirname(dir)}`)
    if (!existsSync(file)) throw new ApiError('not_a_project', `${dir} is not an AVS Annotator project (no ${DB_FILE})`)
    if (this.readOnly) return this.loadReadOnly(dir, file)
    // A read-only place is said as such (a read-only connection could not even inspect a WAL file there);
    // then the read-only inspection: a file we cannot read is refused before the lock or any write.
    await assertWritable(dir, 'The project folder')
    await assertWritable(file, 'The project database')
    inspectDatabase(file)
    let opened: OpenProject | null = null
    const release = acquireLock(dir, this.owner, {
      onLost: (reason) => {
        if (!opened || this.open !== opened) return
        // From now on this process only reads: SQLite refuses every write on this connection.
        opened.lockLost = reason
        try {
          opened.store.db.pragma('query_only = ON')
        } catch {
          // a closed connection writes nothing anyway
        }
        this.onLockLost?.(opened)
      }
    })
    let store: ProjectStore
    try {
      store = new ProjectStore(openInspectedDatabase(file))
      const marker = store.getMeta(IMPORTING_META)
      if (marker !== null && !importing) {
        store.close()
        throw new ApiError('import_unfinished', unfinishedImportMessage(marker, dir))
      }
      await mkdir(join(dir, MEDIA_DIR), { recursive: true })
    } catch (err) {
      release()
      throw err
    }
    // Opening the project this process already has open (the UI re-opens it) must not clean up under
    // this process's own import or an upload waiting for it: house-keeping is for a fresh open only.
    const reopening = this.open?.dir === dir && !this.open.readOnly
    this.close()
    opened = { dir, mediaDir: join(dir, MEDIA_DIR), store, readOnly: false, lockLost: null }
    this.open = opened
    this.release = release
    // House-keeping only under the lock: no other process can be importing into this project now.
    if (!reopening) await this.cleanMediaCache()
    const summary = this.summary()
    if (!importing) await this.remember(summary)
    return summary
  }

  /**
   * Opens `dir` on a read-only connection, beside whatever process writes it: no lock, no migration,
   * no clean-up. A project of an older schema is upgraded first, but only when no writer holds it.
   */
  private async loadReadOnly(dir: string, file: string): Promise<ProjectSummary> {
    const version = inspectDatabase(file)
    if (version < migrations.length) {
      const holder = lockHolder(dir)
      if (holder) throw inUseError(dir, holder)
      const release = acquireLock(dir, this.owner)
      try {
        openInspectedDatabase(file).close()
      } finally {
        release()
      }
    }
    const store = new ProjectStore(openInspectedDatabase(file, { readonly: true }))
    const marker = store.getMeta(IMPORTING_META)
    if (marker !== null) {
      store.close()
      throw new ApiError('import_unfinished', unfinishedImportMessage(marker, dir))
    }
    this.close()
    this.open = { dir, mediaDir: join(dir, MEDIA_DIR), store, readOnly: true, lockLost: null }
    const summary = this.summary()
    await this.remember(summary) // recent projects live in the home folder, not in the project
    return summary
  }

  /**
   * Removes what an interrupted import left: staging folders, media folders no video row owns, and
   * browser uploads no import consumed (project/uploads.ts).
   */
  private async cleanMediaCache(): Promise<void> {
    const { dir, mediaDir, store } = this.require()
    await rm(join(mediaDir, STAGING_DIR), { recursive: true, force: true })
    await removeUploads(dir)
    const known = new Set((store.db.prepare('SELECT uuid FROM videos').all() as Array<{ uuid: string }>).map((r) => r.uuid))
    for (const entry of await readdir(mediaDir)) {
      if (/^[0-9a-f-]{36}$/.test(entry) && !known.has(entry)) await rm(join(mediaDir, entry), { recursive: true, force: true })
    }
  }

  summary(): ProjectSummary {
    const { dir, store, lockLost } = this.require()
    const counts = store.counts()
    return {
      ...(lockLost ? { lockLost } : {}),
      dir,
      name: store.getMeta('name') ?? basename(dir),
      task: store.task,
      clipSeconds: Number(store.getMeta('clip_seconds') ?? CLIP_SECONDS[store.task]),
      createdAt: store.getMeta('created_at') ?? '',
      videoCount: counts.videos,
      clipCount: counts.clips,
      frameCount: counts.frames
    }
  }

  close(): void {
    this.open?.store.close()
    this.open = null
    this.release?.()
    this.release = null
  }

  private async readJson<T>(file: string, fallback: T): Promise<T> {
    try {
      return JSON.parse(await readFile(join(this.homeDir, file), 'utf8')) as T
    } catch {
      return fallback
    }
  }

  /** Writes through a temp file and rename, so a crash never leaves half a file. */
  private async writeJson(file: string, value: unknown): Promise<void> {
    await mkdir(this.homeDir, { recursive: true })
    const tmp = join(this.homeDir, `${file}.tmp-${process.pid}`)
    await writeFile(tmp, JSON.stringify(value, null, 2))
    await rename(tmp, join(this.homeDir, file))
  }

  async recent(): Promise<RecentProject[]> {
    const list = await this.readJson<Array<Omit<RecentProject, 'missing'>>>('recent.json', [])
    return list.map((r) => ({ ...r, missing: !existsSync(join(r.dir, DB_FILE)) }))
  }

  private async remember(p: ProjectSummary): Promise<void> {
    const list = (await this.readJson<Array<Omit<RecentProject, 'missing'>>>('recent.json', [])).filter((r) => r.dir !== p.dir)
    list.unshift({ dir: p.dir, name: p.name, task: p.task, openedAt: new Date().toISOString() })
    await this.writeJson('recent.json', list.slice(0, MAX_RECENT)).catch(() => undefined)
  }

  async settings(): Promise<Settings> {
    const s = await this.readJson<Partial<Settings>>('settings.json', {})
    return { ffmpegPath: s.ffmpegPath ?? null, ffprobePath: s.ffprobePath ?? null }
  }

  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    const next = { ...(await this.settings()), ...patch }
    await this.writeJson('settings.json', next)
    return next
  }
}
