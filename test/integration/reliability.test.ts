// Reliability probes as tests, with real `avs` processes on real files: one writer per project,
// unreadable projects left byte-for-byte untouched, /proc-like targets refused in bounded time,
// and no temp folders left beside an export after killed runs.
import BetterSqlite3 from 'better-sqlite3'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createApp } from '../../src/main/app'
import { migrations } from '../../src/main/db/migrations'
import { LOCK_FILE } from '../../src/main/services/project/projectLock'
import { DB_FILE, MEDIA_DIR, STAGING_DIR } from '../../src/main/services/project/ProjectService'
import { encodeMask, MASK_ENCODING } from '../../src/main/services/project/maskCodec'
import { makeVideo } from '../fixtures/media'

const root = mkdtempSync(join(tmpdir(), 'avs-reliability-'))
const repo = resolve(__dirname, '../..')
const home = join(root, 'home')
let video: string

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function start(...args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), ...args], { env: { ...process.env, AVS_HOME: home }, cwd: repo })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<Run>((r) => child.on('exit', (code, signal) => r({ code, signal, stdout, stderr })))
  return { child, done }
}

const avs = (...args: string[]): Promise<Run> => start(...args).done
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now()
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

beforeAll(async () => {
  video = await makeVideo(root, 'long.mp4', { duration: 120, width: 160, height: 120, audio: 'aac' })
}, 120_000)

afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('one writer per project', () => {
  test('avs info runs beside a long import without harming it; a second import is refused and says by whom', async () => {
    const dir = join(root, 'busy')
    expect((await avs('new', dir, '--task', 's4')).code).toBe(0)
    const lock = join(dir, LOCK_FILE)
    // Four copies under other names: the same file again would be refused as already imported.
    const copies = [video, ...[2, 3, 4].map((k) => join(root, `long-${k}.mp4`))]
    for (const c of copies.slice(1)) if (!existsSync(c)) copyFileSync(video, c)
    const importing = start('import', dir, ...copies)
    let importDone = false
    const imported = importing.done.then((r) => ((importDone = true), r))
    await until('the import to take the lock', () => existsSync(lock) || importDone)
    expect(importDone).toBe(false)

    const second = await avs('import', dir, video)
    expect(second.code).toBe(1)
    expect(second.stderr).toMatch(new RegExp(`^avs: The project .* is in use by \`avs import\` \\(PID ${importing.child.pid}\\) since \\d\\d:\\d\\d\\.`))

    // Read-only commands run alongside, again and again, while the import works.
    const infos: Run[] = []
    let overlapped = 0
    while (!importDone) {
      const during = existsSync(join(dir, MEDIA_DIR, STAGING_DIR))
      const info = await avs('info', dir, '--json')
      infos.push(info)
      if (during && !importDone) overlapped++
    }
    const r = await imported
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual(copies.map((c) => `${c}: 24 clip(s)`))
    expect(overlapped).toBeGreaterThan(0)
    for (const info of infos) {
      expect(info.stderr).toBe('')
      expect(info.code).toBe(0)
    }
    expect(existsSync(lock)).toBe(false)
    const last = await avs('info', dir, '--json')
    expect(last.stderr).toBe('')
    const final = JSON.parse(last.stdout) as { project: { videoCount: number; clipCount: number } }
    expect(final.project).toMatchObject({ videoCount: 4, clipCount: 96 })
  }, 240_000)

  test('a SIGKILLed import leaves a stale lock: avs info still reads and cleans nothing; the next import takes over and tidies', async () => {
    const dir = join(root, 'killed')
    expect((await avs('new', dir, '--task', 's4')).code).toBe(0)
    const staging = join(dir, MEDIA_DIR, STAGING_DIR)
    const importing = start('import', dir, video, video)
    await until('the import to stage clips', () => existsSync(staging) && readdirSync(staging).length > 0)
    importing.child.kill('SIGKILL')
    expect((await importing.done).signal).toBe('SIGKILL')
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true)
    const left = readdirSync(staging)

    const info = await avs('info', dir)
    expect(info.stderr).toBe('')
    expect(info.code).toBe(0)
    expect(readdirSync(staging)).toEqual(left) // a reader never cleans up

    const again = await avs('import', dir, video)
    expect(again.stderr).toBe('')
    expect(again.code).toBe(0)
    expect(existsSync(staging)).toBe(false) // the writer's house-keeping removed the killed import's leftovers
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
  }, 120_000)

  test('the app and a CLI writer exclude each other; house-keeping needs the lock', async () => {
    const dir = join(root, 'app-and-cli')
    const app = createApp({ mode: 'electron', homeDir: home })
    await app.dispatch('project.create', { dir, task: 's4' })
    try {
      const cli = await avs('import', dir, video)
      expect(cli.code).toBe(1)
      expect(cli.stderr).toMatch(new RegExp(`in use by \`the AVS Annotator app\` \\(PID ${process.pid}\\) since`))
      expect((await avs('info', dir)).code).toBe(0)
    } finally {
      app.projects.close()
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
    expect((await avs('import', dir, video)).code).toBe(0)
  }, 120_000)
})

test('a read-only command upgrades an older project when no writer holds it, then reads it', async () => {
  const dir = join(root, 'older')
  expect((await avs('new', dir, '--task', 'ms3', '--name', 'Old')).code).toBe(0)
  const db = new BetterSqlite3(join(dir, DB_FILE))
  // As schema 3 had it: the edits table (0004 drops it), no masks.thumb (0005 adds it), no videos.import_note (0006).
  db.exec('CREATE TABLE edits (id INTEGER); ALTER TABLE masks DROP COLUMN thumb; ALTER TABLE videos DROP COLUMN import_note')
  db.pragma('user_version = 3')
  db.close()
  const info = await avs('info', dir)
  expect(info.stderr).toBe('')
  expect(info.stdout).toMatch(/^Old \(MS3\)/)
  const after = new BetterSqlite3(join(dir, DB_FILE), { readonly: true })
  expect(after.pragma('user_version', { simple: true })).toBe(migrations.length)
  expect(after.prepare("SELECT count(*) AS n FROM pragma_table_info('masks') WHERE name = 'thumb'").get()).toEqual({ n: 1 })
  expect(after.prepare("SELECT count(*) AS n FROM pragma_table_info('videos') WHERE name = 'import_note'").get()).toEqual({ n: 1 })
  after.close()
  expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
}, 60_000)

test("another host's lock holds while its heartbeat beats and is taken over once it stops; a lock never outlives a clean exit", async () => {
  const dir = join(root, 'shared-drive')
  expect((await avs('new', dir, '--task', 's4')).code).toBe(0)
  const lock = join(dir, LOCK_FILE)
  const startedAt = new Date(2026, 0, 2, 9, 7).toISOString()
  writeFileSync(lock, JSON.stringify({ pid: 1, host: 'other-box', command: 'avs serve', startedAt, token: 'x' }))
  const app = createApp({ mode: 'electron', homeDir: home })
  await expect(app.dispatch('project.open', { dir })).rejects.toMatchObject({
    code: 'project_in_use',
    message: expect.stringMatching(/is in use by `avs serve` \(PID 1 on other-box\) since 09:07\./)
  })
  expect((await avs('info', dir)).code).toBe(0) // a reader does not care
  const { utimesSync } = await import('node:fs')
  const old = new Date(Date.now() - 5 * 60_000)
  utimesSync(lock, old, old) // its heartbeat stopped five minutes ago: the other host's process is gone
  await app.dispatch('project.open', { dir })
  expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid, command: 'the AVS Annotator app' })
  app.projects.close()
  expect(existsSync(lock)).toBe(false)
}, 60_000)

describe('a project file that cannot be read is never modified', () => {
  async function project(name: string): Promise<string> {
    const dir = join(root, name)
    expect((await avs('new', dir, '--task', 's4')).code).toBe(0)
    return dir
  }

  async function expectRefusedUntouched(dir: string, reason: RegExp): Promise<void> {
    const file = join(dir, DB_FILE)
    const before = sha256(file)
    const size = statSync(file).size
    const files = readdirSync(dir).sort()
    for (const args of [['info', dir], ['import', dir, video], ['segment', dir], ['export', dir, '--format', 's4', '--out', `${dir}-out`]]) {
      const r = await avs(...args)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^avs: .* cannot be read as an AVS Annotator project: .*\. The file was left untouched; .*\.\n$/)
      expect(r.stderr).toMatch(reason)
      expect(r.stderr).not.toMatch(/\*\*\*|btreeInitPage|Tree \d+ page/)
    }
    const app = createApp({ mode: 'browser', homeDir: home })
    await expect(app.dispatch('project.open', { dir })).rejects.toMatchObject({ code: 'project_unreadable', message: expect.stringMatching(/left untouched/) })
    expect(statSync(file).size).toBe(size)
    expect(sha256(file)).toBe(before)
    expect(readdirSync(dir).sort()).toEqual(files) // no -wal, -shm or lock left beside it
  }

  test('a 0-byte project.sqlite stays 0 bytes', async () => {
    const dir = await project('zero')
    writeFileSync(join(dir, DB_FILE), '')
    await expectRefusedUntouched(dir, /it is empty \(0 bytes\)/)
    expect(statSync(join(dir, DB_FILE)).size).toBe(0)
  }, 60_000)

  test('a file that is not SQLite', async () => {
    const dir = await project('text')
    writeFileSync(join(dir, DB_FILE), 'these are my notes, not a database\n'.repeat(200))
    await expectRefusedUntouched(dir, /it is not a SQLite database/)
  }, 60_000)

  test("another program's SQLite database", async () => {
    const dir = await project('foreign')
    rmSync(join(dir, DB_FILE))
    const db = new BetterSqlite3(join(dir, DB_FILE))
    db.exec("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup')")
    db.close()
    await expectRefusedUntouched(dir, /a SQLite database of another program/)
  }, 60_000)

  test('a project with damaged pages', async () => {
    const dir = await project('damaged')
    expect((await avs('import', dir, video)).code).toBe(0)
    const file = join(dir, DB_FILE)
    const db = new BetterSqlite3(file, { readonly: true })
    const pageSize = db.pragma('page_size', { simple: true }) as number
    const rootPage = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'frames'").get() as { rootpage: number }).rootpage
    db.close()
    const bytes = readFileSync(file)
    bytes.fill(0xa5, (rootPage - 1) * pageSize, rootPage * pageSize)
    writeFileSync(file, bytes)
    await expectRefusedUntouched(dir, /its pages are damaged/)
  }, 60_000)

  test('a project written by a newer version (WAL, as projects are: the read-only look leaves no -wal/-shm)', async () => {
    const dir = await project('newer')
    const db = new BetterSqlite3(join(dir, DB_FILE))
    db.pragma('user_version = 99')
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
    await expectRefusedUntouched(dir, /written by a newer version of AVS Annotator \(schema 99/)
  }, 60_000)
})

/** A small tmpfs as a disk that fills up (needs root, as in CI's container); null where mounting is not allowed. */
function smallDisk(name: string, size: string): string | null {
  const dir = join(root, name)
  mkdirSync(dir)
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' })
  return r.status === 0 ? dir : null
}

test('a full disk during an import is disk_full naming the project disk; the project still opens (skipped where tmpfs cannot be mounted)', async (ctx) => {
  const disk = smallDisk('small-disk', '1m')
  if (!disk) return ctx.skip()
  try {
    const dir = join(disk, 'project')
    expect((await avs('new', dir, '--task', 's4')).code).toBe(0)
    const r = await avs('import', dir, video)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(new RegExp(`^avs import: No space left on the disk that holds ${dir}.*long\\.mp4 was not imported; free some space there and try again\\.\n$`))
    expect(r.stderr).not.toMatch(/ENOSPC/)
    const info = await avs('info', dir)
    expect(info.code).toBe(0)
    expect(info.stdout).toMatch(/0 video\(s\), 0 clip\(s\)/)
  } finally {
    spawnSync('umount', [disk])
  }
}, 60_000)

describe('target folders are checked before any work, in bounded time', () => {
  test('/proc, /sys and /dev targets are refused within 10 s; so are files and read-only places', async () => {
    const app = createApp({ mode: 'browser', homeDir: home })
    for (const dir of ['/proc/avs-probe/project', '/proc/self/avs-project', '/sys/avs-project', '/dev/avs-project']) {
      const t0 = Date.now()
      await expect(app.dispatch('project.create', { dir, task: 's4' })).rejects.toMatchObject({ code: 'bad_folder', message: expect.stringMatching(/system folder/) })
      expect(Date.now() - t0).toBeLessThan(10_000)
    }
    const t0 = Date.now()
    const cli = await avs('new', '/proc/avs-probe/p', '--task', 's4')
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(cli.code).toBe(1)
    expect(cli.stderr).toMatch(/^avs: Cannot use \/proc\/avs-probe\/p as the project folder: \/proc is a system folder/)

    const file = join(root, 'a-file')
    writeFileSync(file, 'x')
    await expect(app.dispatch('project.create', { dir: join(file, 'p'), task: 's4' })).rejects.toMatchObject({ code: 'not_a_folder' })

    const dir = join(root, 'for-export')
    await app.dispatch('project.create', { dir, task: 's4' })
    for (const out of ['/proc/avs-export', '/sys/kernel/avs-export', join(file, 'out')]) {
      const t1 = Date.now()
      await expect(app.dispatch('export.start', { format: 's4', out })).rejects.toThrow(/Cannot use .* as the export folder/)
      expect(Date.now() - t1).toBeLessThan(10_000)
    }
    app.projects.close()
  }, 60_000)
})

describe('no litter beside an export', () => {
  test('after SIGKILLed exports and one successful export, nothing but the export is beside it; the next start sweeps too', async () => {
    const dir = join(root, 'exported')
    expect((await avs('new', dir, '--task', 's4')).code).toBe(0)
    expect((await avs('import', dir, video)).code).toBe(0)
    // Every clip gets a category and every frame a mask, so that all 24 clips export.
    const app = createApp({ mode: 'cli', homeDir: home })
    await app.dispatch('project.open', { dir })
    const { store } = app.projects.require()
    for (const c of store.listClips()) {
      store.updateClip(c.id, { category: 'bird' })
      for (const f of store.getClip(c.id)!.frames) {
        store.addMask(f.id, { source: 'human', width: f.width, height: f.height, encoding: MASK_ENCODING, data: encodeMask(new Uint8Array(f.width * f.height).fill(1)) })
      }
    }
    app.projects.close()

    const parent = join(root, 'datasets')
    mkdirSync(parent)
    const out = join(parent, 'birds')
    const temps = (): string[] => readdirSync(parent).filter((e) => e.startsWith('.birds.'))
    const killExport = async (): Promise<void> => {
      const exporting = start('export', dir, '--format', 's4', '--out', out, '--frames', 'all')
      const mine = `.birds.export-${exporting.child.pid}-`
      await until('the export to write its temp folder', () => temps().some((t) => t.startsWith(mine)))
      exporting.child.kill('SIGKILL')
      expect((await exporting.done).signal).toBe('SIGKILL')
    }
    await killExport()
    expect(temps()).toHaveLength(1)
    expect(existsSync(out)).toBe(false)

    // The next start (any command) sweeps the temp folders of killed exports it knows of.
    expect((await avs('info', dir)).code).toBe(0)
    expect(temps()).toEqual([])

    // Killed exports, then a successful one to the same place: only the export is left.
    await killExport()
    await killExport()
    expect(temps()).toHaveLength(1) // the second export swept the first one's temp folder when it started
    // An old-style temp folder (no owner in its name) from a day ago is swept as well.
    const old = join(parent, '.birds.export-0a1b2c3d')
    mkdirSync(old)
    const { utimesSync } = await import('node:fs')
    utimesSync(old, new Date(Date.now() - 2 * 86400_000), new Date(Date.now() - 2 * 86400_000))
    const ok = await avs('export', dir, '--format', 's4', '--out', out, '--frames', 'all')
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(readdirSync(parent)).toEqual(['birds'])
  }, 180_000)
})
