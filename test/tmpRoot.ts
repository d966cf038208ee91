import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Vitest global setup: one temporary folder per run, removed when the run ends. The tests make
 * their projects, videos, exports and clones under os.tmpdir(), and most leave them there; the
 * test workers (and the ffmpeg, Python and npm processes they start) inherit TMPDIR from here.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'avs-test-run-'))
  process.env.TMPDIR = dir
  return () => rmSync(dir, { recursive: true, force: true })
}
