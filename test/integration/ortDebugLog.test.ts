// onnxruntime-node leaves an empty mat-debug-<pid>.log in the temp folder of every process that
// creates a session; a CLI run or app start must not leave one behind.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'

const REPO = join(__dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'avs-ort-debug-log-'))

afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('a process that ran a model leaves no mat-debug log in its temp folder, and sweeps those of killed processes', () => {
  // What earlier processes left: one killed with -9 (empty log, process gone), one that wrote to
  // its log (kept: it may say why it died), one still running (this test's own process: kept).
  const gone = spawnSync('true').pid!
  const goneWithText = spawnSync('true').pid!
  writeFileSync(join(dir, `mat-debug-${gone}.log`), '')
  writeFileSync(join(dir, `mat-debug-${goneWithText}.log`), 'something onnxruntime wrote\n')
  writeFileSync(join(dir, `mat-debug-${process.pid}.log`), '')
  const script = `
    import { loadSession, ortDebugLogPath } from './src/main/services/inference/session'
    import { existsSync } from 'node:fs'
    void (async () => {
      const s = await loadSession('models/ccformer-tiny-s4.onnx', 'cpu', 1)
      console.log(JSON.stringify({ provider: s.provider, logWhileRunning: existsSync(ortDebugLogPath()) }))
    })()`
  // onnxruntime's telemetry stays off where CI is set (no log then), as on a user's machine it is not.
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir }
  delete env.CI
  const out = execFileSync(join(REPO, 'node_modules', '.bin', 'tsx'), ['--eval', script], { cwd: REPO, env, encoding: 'utf8' })
  const seen = JSON.parse(out.trim().split('\n').pop()!) as { provider: string; logWhileRunning: boolean }
  expect(seen.provider).toBe('cpu')
  // onnxruntime made it while the process ran (else this test checks nothing) ...
  expect(seen.logWhileRunning).toBe(true)
  // ... and it is gone once the process has exited, as is the killed process's empty log.
  expect(readdirSync(dir).filter((f) => f.startsWith('mat-debug-')).sort()).toEqual([`mat-debug-${goneWithText}.log`, `mat-debug-${process.pid}.log`].sort())
}, 60_000)
