import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { sweepTempsBeside, tempBeside } from '../../src/main/services/project/tempFolders'

/** A PID that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

/** A temp folder name beside `out` as a killed process `pid` of this host would have left it. */
const leftBy = (out: string, kind: 'export' | 'old', pid: number): string => {
  const mine = basename(tempBeside(out, kind))
  return join(dirname(out), mine.replace(`.${kind}-${process.pid}-`, `.${kind}-${pid}-`))
}

describe('sweeping temp folders beside an export', () => {
  let root = ''
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  it('a process killed between the two renames of an overwrite: the previous dataset goes back in place, the finished temp is removed', async () => {
    root = mkdtempSync(join(tmpdir(), 'avs-sweep-'))
    const out = join(root, 'birds-s4')
    const pid = deadPid()
    const old = leftBy(out, 'old', pid)
    const done = leftBy(out, 'export', pid)
    for (const [dir, text] of [[old, 'previous'], [done, 'new']] as const) {
      mkdirSync(join(dir, 'Single-source'), { recursive: true })
      writeFileSync(join(dir, 'Single-source', 'meta.txt'), text)
    }
    expect(existsSync(out)).toBe(false)
    const removed = await sweepTempsBeside(out)
    expect(removed).toEqual([done])
    expect(readFileSync(join(out, 'Single-source', 'meta.txt'), 'utf8')).toBe('previous')
    expect(readdirSync(root)).toEqual(['birds-s4'])
  })

  it('an old copy beside an export that is in place is removed; a live process’s temp folders are kept', async () => {
    root = mkdtempSync(join(tmpdir(), 'avs-sweep-'))
    const out = join(root, 'birds-s4')
    mkdirSync(out)
    const old = leftBy(out, 'old', deadPid())
    mkdirSync(old)
    const live = tempBeside(out, 'export')
    mkdirSync(live)
    expect(await sweepTempsBeside(out)).toEqual([old])
    expect(readdirSync(root).sort()).toEqual([basename(live), 'birds-s4'].sort())
  })
})
