import { randomBytes } from 'node:crypto'
import { existsSync, linkSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { ApiError } from '../../../shared/api'

/**
 * One writer per project: a lock file `<project>/.avs-lock` names the process that writes the
 * project (PID, host, command, start time) and a heartbeat (its mtime, touched every few seconds).
 * It is created in one atomic link(2) of a fully written temp file, so nobody ever reads half a lock.
 * A lock is stale when its process is gone (same host: the PID is dead) or its heartbeat stopped
 * (another host, or a reused PID); a stale lock is taken over.
 *
 * The heartbeat checks the lock is still this process's (its token) before touching it: a writer
 * whose lock was taken over while it could not beat (a suspended laptop, a network share that
 * dropped out for over a minute) never keeps the new writer's lock alive, and hears that it lost
 * the project (`onLost`). A lock file deleted under a live writer is written again.
 */
export const LOCK_FILE = '.avs-lock'
const HEARTBEAT_MS = 5_000
/** Another host's lock without a heartbeat for this long is stale (its process cannot be asked). */
const STALE_OTHER_HOST_MS = 60_000
/** A live PID whose heartbeat stopped this long ago is a reused PID, not our writer. */
const STALE_SAME_HOST_MS = 10 * 60_000

export interface LockInfo {
  pid: number
  host: string
  /** Who writes, as a user would name it: "avs import", "the AVS Annotator app". */
  command: string
  startedAt: string
  token: string
  /** The writer's start time in the kernel's clock ticks (/proc/<pid>/stat), where there is /proc: tells a reused PID from a stopped writer. */
  pidStart?: string | null
}

/** A process's start time (field 22 of /proc/<pid>/stat), or null where there is no /proc or no such process. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** Called once when this process finds that its lock is gone to another writer. */
export type LockLostListener = (reason: string, holder: LockInfo | null) => void

interface Held {
  info: LockInfo
  count: number
  timer: NodeJS.Timeout
  onLost: Set<LockLostListener>
}

/** Locks this process holds, by project folder (one process may open its project more than once: tests, reopen). */
const held = new Map<string, Held>()

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readLock(file: string): { info: LockInfo | null; mtimeMs: number } | null {
  try {
    const mtimeMs = statSync(file).mtimeMs
    let info: LockInfo | null = null
    try {
      info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo
    } catch {
      info = null
    }
    return { info, mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/** Why a lock no longer protects anyone, or null while its writer lives. */
function staleReason(lock: { info: LockInfo | null; mtimeMs: number }): string | null {
  const age = Date.now() - lock.mtimeMs
  const { info } = lock
  if (!info || typeof info.pid !== 'number') return age > STALE_OTHER_HOST_MS ? 'unreadable lock file' : null
  if (info.host === hostname()) {
    if (!processAlive(info.pid)) return `process ${info.pid} is gone`
    // Where the start time is known, it decides: the same process (even stopped with Ctrl-Z, or a
    // sleeping laptop) holds its lock however old the heartbeat; another process with that PID does not.
    const now = info.pidStart ? processStartTime(info.pid) : null
    if (info.pidStart && now) return now === info.pidStart ? null : `process ${info.pid} is another process now`
    return age > STALE_SAME_HOST_MS ? 'heartbeat stopped' : null
  }
  return age > STALE_OTHER_HOST_MS ? 'heartbeat stopped' : null
}

const hhmm = (iso: string): string => {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '?' : `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

/** A lock's writer as a user would name it: "`avs import` (PID 4242)", "… on <host>" from another host. */
function holderName(info: LockInfo): string {
  return `\`${info.command}\` (PID ${info.pid}${info.host === hostname() ? '' : ` on ${info.host}`})`
}

/** The refusal a second writer gets. */
export function inUseError(dir: string, info: LockInfo | null): ApiError {
  const who = info ? `${holderName(info)} since ${hhmm(info.startedAt)}` : 'another process'
  return new ApiError(
    'project_in_use',
    `The project ${dir} is in use by ${who}. Wait until it finishes or close it there; read-only commands (avs info, avs export, avs masks, avs eval) work meanwhile.`
  )
}

/** Who holds the project's lock now (a live writer), or null. Read-only: never removes anything. */
export function lockHolder(dirIn: string): LockInfo | null {
  const lock = readLock(join(resolve(dirIn), LOCK_FILE))
  if (!lock || staleReason(lock)) return null
  return lock.info
}

/** Whether this process holds the project's lock. */
export function holdsLock(dirIn: string): boolean {
  return held.has(resolve(dirIn))
}

function tryCreate(file: string, info: LockInfo): boolean {
  const tmp = `${file}.${process.pid}.${info.token}.tmp`
  writeFileSync(tmp, `${JSON.stringify(info)}\n`)
  try {
    linkSync(tmp, file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    try {
      unlinkSync(tmp)
    } catch {
      // already gone
    }
  }
}

/**
 * Takes the project's writer lock for `command`, or throws `project_in_use` naming its holder.
 * Returns the release function (also run at process exit).
 */
export function acquireLock(dirIn: string, command: string, opts: { onLost?: LockLostListener } = {}): () => void {
  const dir = resolve(dirIn)
  const mine = held.get(dir)
  if (mine) {
    mine.count++
    return holdFor(dir, mine, opts.onLost)
  }
  const file = join(dir, LOCK_FILE)
  const info: LockInfo = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString(), token: randomBytes(8).toString('hex'), pidStart: processStartTime(process.pid) }
  for (let attempt = 0; attempt < 5; attempt++) {
    let created: boolean
    try {
      created = tryCreate(file, info)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') {
        throw new ApiError('read_only', `The project folder ${dir} is read-only (cannot write its lock file); the project was not opened. Make it writable or copy the project elsewhere.`)
      }
      throw err
    }
    if (created) {
      const timer = setInterval(() => heartbeat(dir), HEARTBEAT_MS)
      timer.unref()
      const fresh: Held = { info, count: 1, timer, onLost: new Set() }
      held.set(dir, fresh)
      return holdFor(dir, fresh, opts.onLost)
    }
    const lock = readLock(file)
    if (!lock) continue // released meanwhile
    // A lock naming this very process that it does not hold is left over (a failed release): stale.
    const leftover = lock.info?.pid === process.pid && lock.info.host === info.host
    if (!leftover && !staleReason(lock)) throw inUseError(dir, lock.info)
    // Take the stale lock over: move it aside, check that what moved is the lock judged stale.
    const aside = `${file}.stale-${process.pid}-${info.token}`
    try {
      renameSync(file, aside)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    const moved = readLock(aside)
    if (moved?.info?.token !== lock.info?.token && moved?.info) {
      // Someone took it over between our read and rename: put their fresh lock back.
      try {
        linkSync(aside, file)
      } catch {
        // they lost it; they find out at their next open
      }
    }
    try {
      unlinkSync(aside)
    } catch {
      // gone
    }
  }
  throw inUseError(dir, readLock(file)?.info ?? null)
}

/** One hold on a lock this process has: its release, which also stops telling `onLost`. */
function holdFor(dir: string, mine: Held, onLost: LockLostListener | undefined): () => void {
  if (onLost) mine.onLost.add(onLost)
  return once(() => {
    if (onLost) mine.onLost.delete(onLost)
    releaseLock(dir)
  })
}

/**
 * One heartbeat of the lock this process holds on `dir`: touch it while it is ours, write it again
 * when it was deleted, and give it up (telling `onLost`) when another writer holds it now.
 */
function heartbeat(dir: string): void {
  const mine = held.get(dir)
  if (!mine) return
  const file = join(dir, LOCK_FILE)
  let lock: ReturnType<typeof readLock>
  try {
    lock = readLock(file)
  } catch {
    return // unreadable for now (a network share that dropped out): try again at the next beat
  }
  if (lock?.info?.token === mine.info.token) {
    try {
      const now = new Date()
      utimesSync(file, now, now)
    } catch {
      // the folder went away: nothing to keep alive
    }
    return
  }
  if (!lock) {
    if (!existsSync(dir)) return // the project folder is gone (a cancelled import removed it)
    // Deleted under us: write it again, unless another writer was faster.
    try {
      if (tryCreate(file, mine.info)) return
    } catch {
      return // cannot write here now: try again at the next beat
    }
    lock = readLock(file)
    if (lock?.info?.token === mine.info.token) return
  }
  // Half-written by someone else: not ours either way.
  const holder = lock?.info ?? null
  lose(dir, mine, holder, holder ? `the project was taken over by ${holderName(holder)} while this process was not heard from` : 'another process replaced its lock file')
}

function lose(dir: string, mine: Held, holder: LockInfo | null, reason: string): void {
  clearInterval(mine.timer)
  held.delete(dir)
  for (const l of mine.onLost) {
    try {
      l(reason, holder)
    } catch {
      // a listener's failure must not stop the others
    }
  }
}

/** Runs one heartbeat of every lock this process holds now (the timer does this every few seconds; tests call it). */
export function beatLocks(): void {
  for (const dir of [...held.keys()]) heartbeat(dir)
}

function releaseLock(dir: string): void {
  const mine = held.get(dir)
  if (!mine) return
  if (--mine.count > 0) return
  clearInterval(mine.timer)
  held.delete(dir)
  const file = join(dir, LOCK_FILE)
  try {
    const lock = readLock(file)
    if (lock?.info?.token === mine.info.token) unlinkSync(file)
  } catch {
    // the folder is gone (a cancelled import removed its project)
  }
}

function once(fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}

// A process that exits (normally, or by process.exit after SIGINT) leaves no lock behind.
process.once('exit', () => {
  for (const dir of [...held.keys()]) {
    const mine = held.get(dir)
    if (mine) mine.count = 1
    releaseLock(dir)
  }
})
