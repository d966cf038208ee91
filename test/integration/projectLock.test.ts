import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { createApp } from '../../src/main/app'
import { acquireLock, beatLocks, holdsLock, LOCK_FILE, processStartTime } from '../../src/main/services/project/projectLock'
import { writeSyntheticProject } from '../e2e/syntheticProject'

let root = ''
let child: ChildProcess | null = null
afterEach(() => {
  child?.kill('SIGKILL')
  rmSync(root, { recursive: true, force: true })
})

/** A lock of a live same-host process whose heartbeat stopped 15 minutes ago (stopped with Ctrl-Z, a sleeping laptop). */
function oldLockOf(dir: string, pid: number, pidStart: string | null): void {
  const file = join(dir, LOCK_FILE)
  writeFileSync(file, JSON.stringify({ pid, host: hostname(), command: 'avs import', startedAt: new Date().toISOString(), token: 't', pidStart }))
  const old = new Date(Date.now() - 15 * 60_000)
  utimesSync(file, old, old)
}

test.runIf(existsSync('/proc/self/stat'))('a stopped writer keeps its lock however old its heartbeat; a reused PID does not', async () => {
  root = mkdtempSync(join(tmpdir(), 'avs-lock-'))
  child = spawn('sleep', ['600'], { stdio: 'ignore' })
  const pid = child.pid!
  child.kill('SIGSTOP')
  oldLockOf(root, pid, processStartTime(pid))
  expect(() => acquireLock(root, 'the AVS Annotator app')).toThrow(/in use by `avs import` \(PID \d+\)/)

  // The same PID, but the lock was written by a process that started at another time: a reused PID.
  oldLockOf(root, pid, String(Number(processStartTime(pid)) - 1000))
  const release = acquireLock(root, 'the AVS Annotator app')
  expect(JSON.parse(readFileSync(join(root, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, pidStart: processStartTime(process.pid) })
  release()
  expect(existsSync(join(root, LOCK_FILE))).toBe(false)
})

/** The lock file's JSON and mtime. */
const lockOf = (dir: string): { token: string; pid: number; mtimeMs: number } => {
  const file = join(dir, LOCK_FILE)
  return { ...(JSON.parse(readFileSync(file, 'utf8')) as { token: string; pid: number }), mtimeMs: statSync(file).mtimeMs }
}

test('a writer whose lock was taken over stops writing, says why, and leaves the new lock alone', async () => {
  root = mkdtempSync(join(tmpdir(), 'avs-lock-'))
  const { dir } = await writeSyntheticProject(root, { videos: 1, clipsPerVideo: 1 })
  const app = createApp({ mode: 'browser', homeDir: join(root, 'home') })
  const changes: string[] = []
  app.events.subscribe((event, payload) => {
    if (event === 'project.changed') changes.push((payload as { reason: string }).reason)
  })
  await app.dispatch('project.open', { dir })
  const [clip] = (await app.dispatch('clip.list', {})) as Array<{ id: number }>
  await app.dispatch('history.save', { clipId: clip!.id, data: 'before' })

  // Our own lock: the heartbeat touches it.
  const old = new Date(Date.now() - 120_000)
  utimesSync(join(dir, LOCK_FILE), old, old)
  beatLocks()
  expect(Date.now() - lockOf(dir).mtimeMs).toBeLessThan(30_000)

  // Another host judged it stale (this process was not heard from for over a minute) and took it over.
  child = spawn('sleep', ['600'], { stdio: 'ignore' })
  const theirs = { pid: child.pid!, host: 'nas-client', command: 'the AVS Annotator app', startedAt: new Date().toISOString(), token: 'theirs' }
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(theirs))
  utimesSync(join(dir, LOCK_FILE), old, old)
  beatLocks()
  // Their lock is left as it is: not kept alive by us, not ours to delete.
  expect(lockOf(dir).token).toBe('theirs')
  expect(Math.abs(lockOf(dir).mtimeMs - old.getTime())).toBeLessThan(5)
  expect(holdsLock(dir)).toBe(false)
  expect(changes).toContain('lock_lost')

  // Reads go on; every write is refused with the reason, and nothing is written.
  const summary = (await app.dispatch('project.current', {})) as { lockLost?: string; clipCount: number }
  expect(summary.clipCount).toBe(1)
  expect(summary.lockLost).toMatch(/taken over by `the AVS Annotator app` \(PID \d+ on nas-client\)/)
  await expect(app.dispatch('history.save', { clipId: clip!.id, data: 'after' })).rejects.toMatchObject({
    code: 'project_taken_over',
    message: expect.stringMatching(/no longer writes .*taken over by .*this change was not saved/)
  })
  expect(await app.dispatch('history.get', { clipId: clip!.id })).toEqual({ data: 'before' })

  // Closing does not remove their lock; opening again is refused while they hold it (beating).
  await app.dispatch('project.close', {})
  expect(lockOf(dir).token).toBe('theirs')
  const now = new Date()
  utimesSync(join(dir, LOCK_FILE), now, now)
  await expect(app.dispatch('project.open', { dir })).rejects.toMatchObject({ code: 'project_in_use' })
})

test('a lock deleted under a live writer is written again at the next heartbeat', async () => {
  root = mkdtempSync(join(tmpdir(), 'avs-lock-'))
  const release = acquireLock(root, 'avs segment')
  const mine = lockOf(root).token
  unlinkSync(join(root, LOCK_FILE))
  beatLocks()
  expect(lockOf(root)).toMatchObject({ token: mine, pid: process.pid })
  expect(holdsLock(root)).toBe(true)
  release()
  expect(existsSync(join(root, LOCK_FILE))).toBe(false)
})
