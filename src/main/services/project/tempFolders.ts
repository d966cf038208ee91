import { createHash, randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { processAlive } from './projectLock'
import { withTimeout } from './targetFolder'

/**
 * Hidden temp folders written beside a user's folder (an export, `avs masks`, the old copy an
 * overwrite moves aside) carry their owner in the name: `.<name>.<kind>-<pid>-<host>-<random>`.
 * A later export to the same place, or the next start, removes those whose owner is gone, except
 * an `old` copy whose owner died between moving it aside and moving the new one in: that one is the
 * user's previous dataset and goes back in place.
 */
const KINDS = ['export', 'masks', 'old'] as const
export type TempKind = (typeof KINDS)[number]
/** Temp folders of versions that did not name their owner: removed once they are this old. */
const UNOWNED_MAX_AGE_MS = 24 * 3600_000
/** A temp folder of another host is removed once it has not changed for this long. */
const OTHER_HOST_MAX_AGE_MS = 24 * 3600_000

const hostTag = (): string => createHash('sha256').update(hostname()).digest('hex').slice(0, 8)

/** The temp folder's path beside `out` for this process. */
export function tempBeside(out: string, kind: TempKind): string {
  return join(dirname(out), `.${basename(out)}.${kind}-${process.pid}-${hostTag()}-${randomBytes(4).toString('hex')}`)
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Removes the temp folders beside `out` whose owner is gone; returns what it removed. An `old` copy
 * left while `out` is missing is renamed back to `out`, never removed. Never throws.
 */
export async function sweepTempsBeside(outIn: string): Promise<string[]> {
  const out = resolve(outIn)
  const parent = dirname(out)
  const prefix = `^\\.${escape(basename(out))}\\.(${KINDS.join('|')})-`
  const owned = new RegExp(`${prefix}(\\d+)-([0-9a-f]{8})-[0-9a-f]{8}$`)
  const unowned = new RegExp(`${prefix}[0-9a-f]{8}$`)
  const removed: string[] = []
  let entries: string[]
  try {
    entries = await withTimeout(readdir(parent), `Listing ${parent}`)
  } catch {
    return removed
  }
  for (const entry of entries) {
    const m = owned.exec(entry)
    const u = m ? null : unowned.exec(entry)
    if (!m && !u) continue
    const kind = (m ?? u)![1]
    const path = join(parent, entry)
    try {
      const st = await withTimeout(lstat(path), `Looking at ${path}`)
      if (!st.isDirectory()) continue
      const age = Date.now() - st.mtimeMs
      let dead: boolean
      if (!m) dead = age > UNOWNED_MAX_AGE_MS
      else if (m[3] === hostTag()) dead = Number(m[2]) !== process.pid && !processAlive(Number(m[2]))
      else dead = age > OTHER_HOST_MAX_AGE_MS
      if (!dead) continue
      if (kind === 'old') {
        // Killed between the two renames of an overwrite: the previous dataset is all there is.
        const outThere = await withTimeout(lstat(out), `Looking at ${out}`).then(() => true, () => false)
        if (!outThere) {
          await withTimeout(rename(path, out), `Restoring ${out}`)
          continue
        }
      }
      await withTimeout(rm(path, { recursive: true, force: true }), `Removing ${path}`, 60_000)
      removed.push(path)
    } catch {
      // another sweeper got it, or it cannot be removed: leave it
    }
  }
  return removed
}

/**
 * Exports and mask writes in progress, recorded under the app's home (`<home>/running/`), so that the
 * next start can sweep beside the folders of processes that were killed.
 */
export class RunningTargets {
  private readonly dir: string
  constructor(home: string) {
    this.dir = join(home, 'running')
  }

  async add(out: string): Promise<string> {
    await mkdir(this.dir, { recursive: true })
    const file = join(this.dir, `${process.pid}-${hostTag()}-${randomBytes(4).toString('hex')}.json`)
    await writeFile(file, JSON.stringify({ out: resolve(out), pid: process.pid, host: hostname() }))
    return file
  }

  async remove(file: string): Promise<void> {
    await rm(file, { force: true }).catch(() => undefined)
  }

  /** Sweeps beside every recorded target whose process is gone, then forgets it. */
  async sweep(): Promise<void> {
    const entries = await readdir(this.dir).catch(() => [] as string[])
    for (const entry of entries) {
      const m = /^(\d+)-([0-9a-f]{8})-[0-9a-f]{8}\.json$/.exec(entry)
      if (!m || m[2] !== hostTag() || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue
      const file = join(this.dir, entry)
      try {
        const { out } = JSON.parse(await readFile(file, 'utf8')) as { out: string }
        if (typeof out === 'string' && (await stat(dirname(out)).then(() => true, () => false))) await sweepTempsBeside(out)
      } catch {
        // unreadable record: just forget it
      }
      await this.remove(file)
    }
  }
}
