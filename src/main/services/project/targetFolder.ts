import { constants } from 'node:fs'
import { access, mkdir, realpath, stat, statfs } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { ApiError } from '../../../shared/api'

/**
 * Target folders (a new project, an export, an import's project) are checked before any work, and
 * every file-system call here has an upper bound on time: Node's recursive mkdir loops forever on
 * procfs, and a hung network drive never answers.
 */
export const FS_TIMEOUT_MS = 10_000

/** Kernel file systems that hold no user files: proc, sysfs, devpts, debugfs, tracefs, securityfs, cgroup, cgroup2. */
const SYSTEM_FS = new Set([0x9fa0, 0x62656572, 0x1cd1, 0x64626720, 0x74726163, 0x73636673, 0x27e0eb, 0x63677270])
const SYSTEM_ROOTS = process.platform === 'linux' ? ['/proc', '/sys', '/dev'] : process.platform === 'darwin' ? ['/dev'] : []

/** `p`, or an error that says which operation on which path did not answer within `ms`. */
export function withTimeout<T>(p: Promise<T>, what: string, ms = FS_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ApiError('fs_timeout', `${what} did not answer within ${Math.round(ms / 1000)} s (a hung or very slow drive?); nothing was changed`)), ms)
    timer.unref()
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/** The nearest folder of `path` that exists (the path itself when it does), and whether it is a directory. */
async function nearestExisting(path: string): Promise<{ path: string; isDir: boolean }> {
  let p = path
  for (;;) {
    const st = await withTimeout(stat(p), `Looking at ${p}`).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null
      if (err.code === 'ENOTDIR') return 'notdir' as const
      throw err
    })
    if (st === 'notdir') {
      p = dirname(p)
      continue
    }
    if (st) return { path: p, isDir: st.isDirectory() }
    const up = dirname(p)
    if (up === p) return { path: p, isDir: true }
    p = up
  }
}

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(root + sep)
}

/**
 * Refuses a target folder that cannot hold files: in /proc, /sys or /dev (or on such a file system),
 * beneath a file, or in a read-only place. `what` names the folder in the message ("project", "export").
 */
export async function checkProjectTarget(pathIn: string, what: string): Promise<void> {
  const path = resolve(pathIn)
  const bad = (why: string, code = 'bad_folder'): ApiError => new ApiError(code, `Cannot use ${path} as the ${what} folder: ${why}; nothing was written.`)
  for (const root of SYSTEM_ROOTS) if (under(path, root)) throw bad(`${root} is a system folder of the operating system, not a place for files`)
  const near = await nearestExisting(path)
  if (!near.isDir) throw bad(near.path === path ? 'it is a file, not a folder' : `${near.path} is a file, not a folder`, 'not_a_folder')
  const real = await withTimeout(realpath(near.path), `Looking at ${near.path}`)
  for (const root of SYSTEM_ROOTS) if (under(real, root)) throw bad(`it lies in ${root}, a system folder of the operating system`)
  const fs = await withTimeout(statfs(real), `Looking at ${real}`).catch(() => null)
  if (fs && SYSTEM_FS.has(Number(fs.type))) throw bad(`${real} is on a kernel file system, not a place for files`)
  const st = await withTimeout(stat(real), `Looking at ${real}`)
  let writable = (st.mode & 0o222) !== 0
  if (writable) writable = await withTimeout(access(real, constants.W_OK), `Looking at ${real}`).then(() => true, () => false)
  if (!writable) throw bad(`${real} is read-only`, 'read_only')
}

/** mkdir -p one level at a time (never the recursive mkdir that loops on procfs), each step bounded. */
export async function mkdirBounded(pathIn: string): Promise<void> {
  const path = resolve(pathIn)
  const missing: string[] = []
  let p = path
  for (;;) {
    const exists = await withTimeout(stat(p), `Looking at ${p}`).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false
      throw err
    })
    if (exists) break
    missing.unshift(p)
    const up = dirname(p)
    if (up === p) break
    p = up
  }
  for (const m of missing) {
    await withTimeout(mkdir(m), `Creating ${m}`).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    })
  }
}
