import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { acquireLock, LOCK_FILE, processStartTime } from '../../src/main/services/project/projectLock'

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
