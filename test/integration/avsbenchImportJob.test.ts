// AVSBench release import as a job: progress events, cancel, and all-or-nothing (a cancelled or
// failed import leaves no project behind, not even in recent projects; a killed one leaves a project
// that refuses to open), through the real app, importer and CLI.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { DB_FILE, IMPORTING_META, MEDIA_DIR } from '../../src/main/services/project/ProjectService'
import type { AvsbenchImportProgress, AvsbenchImportReport, AvsbenchImportResult } from '../../src/shared/avsbench'
import type { RecentProject } from '../../src/shared/domain'
import { listFiles, makeS4Release } from './avsbenchFixtures'

const root = mkdtempSync(join(tmpdir(), 'avs-abimportjob-'))
const release = join(root, 'release')
const names = makeS4Release(release, 6)
let homes = 0

function follow(app: App): { events: AvsbenchImportProgress[]; changed: string[] } {
  const events: AvsbenchImportProgress[] = []
  const changed: string[] = []
  app.events.subscribe((e, p) => {
    if (e === 'avsbench.importProgress') events.push(p as AvsbenchImportProgress)
    if (e === 'project.changed') changed.push((p as { reason: string }).reason)
  })
  return { events, changed }
}

const newApp = (): App => createApp({ mode: 'cli', homeDir: join(root, `home${++homes}`) })
const start = async (app: App, projectDir: string): Promise<string> =>
  ((await app.dispatch('avsbench.importStart', { dir: release, format: 's4', projectDir })) as { jobId: string }).jobId

describe('AVSBench import job', () => {
  test('reports clips done / total after every clip, then done; the new project is open', async () => {
    const app = newApp()
    const { events, changed } = follow(app)
    const projectDir = join(root, 'full')
    const jobId = await start(app, projectDir)
    const r = (await app.avsbench.waitImport(jobId)) as AvsbenchImportResult
    expect(r.error).toBeNull()
    expect(r.report).toMatchObject({ clips: 6, frames: 30, skipped: [] })
    expect(await app.dispatch('avsbench.importResult', { jobId })).toMatchObject({ done: true, report: { clips: 6 } })
    expect(events.every((e) => e.jobId === jobId)).toBe(true)
    expect(events[0]).toMatchObject({ stage: 'reading', clips: 0, total: 0 })
    const importing = events.filter((e) => e.stage === 'importing').map((e) => `${e.clips}/${e.total}`)
    expect(importing).toEqual(['0/6', '1/6', '2/6', '3/6', '4/6', '5/6', '6/6'])
    expect(events[events.length - 1]).toMatchObject({ stage: 'done', clips: 6, total: 6, error: null })
    expect(changed).toEqual(['created'])
    const current = (await app.dispatch('project.current', {})) as AvsbenchImportReport['project']
    expect(current.dir).toBe(projectDir)
    expect(app.projects.require().store.listClips().map((c) => c.name)).toEqual(names)
    app.projects.close()
  })

  test('cancelled midway: no project is left, the folder is gone, and the same folder imports again', async () => {
    const app = newApp()
    const { events, changed } = follow(app)
    const projectDir = join(root, 'cancelled')
    let jobId = ''
    app.events.subscribe((e, p) => {
      const ev = p as AvsbenchImportProgress
      if (e === 'avsbench.importProgress' && ev.stage === 'importing' && ev.clips === 2) void app.dispatch('avsbench.importCancel', { jobId })
    })
    jobId = await start(app, projectDir)
    const r = await app.avsbench.waitImport(jobId)
    expect(r).toEqual({ done: true, report: null, error: 'cancelled' })
    expect(events[events.length - 1]).toMatchObject({ stage: 'cancelled', clips: 2, total: 6, error: 'cancelled' })
    // it got half way: two clips had been written into the project before the cancel
    expect(events.some((e) => e.stage === 'importing' && e.clips === 2)).toBe(true)
    expect(changed).toEqual([])
    expect(existsSync(projectDir)).toBe(false)
    expect(await app.dispatch('project.current', {})).toBeNull()
    await expect(app.dispatch('project.open', { dir: projectDir })).rejects.toThrow(/does not exist/)

    const again = await app.avsbench.waitImport(await start(app, projectDir))
    expect(again.report).toMatchObject({ clips: 6, frames: 30 })
    expect(app.projects.require().store.listClips()).toHaveLength(6)
    app.projects.close()
  })

  test('cancelled into a folder that existed: only what the import wrote is removed', async () => {
    const app = newApp()
    const projectDir = join(root, 'existing')
    mkdirSync(projectDir)
    writeFileSync(join(projectDir, '.keep'), 'mine')
    let jobId = ''
    app.events.subscribe((e, p) => {
      if (e === 'avsbench.importProgress' && (p as AvsbenchImportProgress).clips === 1) void app.dispatch('avsbench.importCancel', { jobId })
    })
    jobId = await start(app, projectDir)
    expect((await app.avsbench.waitImport(jobId)).error).toBe('cancelled')
    expect(readdirSync(projectDir)).toEqual(['.keep'])
  })

  test('a failure midway removes the half-made project and reports failed', async () => {
    const app = newApp()
    const { events } = follow(app)
    const projectDir = join(root, 'failing')
    let broke = false
    app.events.subscribe((e, p) => {
      // the media folder becomes a file: the next clip cannot be written
      if (e === 'avsbench.importProgress' && (p as AvsbenchImportProgress).clips === 3 && !broke) {
        broke = true
        expect(existsSync(join(projectDir, DB_FILE))).toBe(true)
        rmSync(join(projectDir, MEDIA_DIR), { recursive: true })
        writeFileSync(join(projectDir, MEDIA_DIR), 'not a folder')
      }
    })
    const jobId = await start(app, projectDir)
    const r = await app.avsbench.waitImport(jobId)
    expect(r.done).toBe(true)
    expect(r.report).toBeNull()
    expect(r.error).toMatch(/ENOTDIR|EEXIST|not a directory/)
    expect(events[events.length - 1]).toMatchObject({ stage: 'failed', clips: 3, total: 6 })
    expect(existsSync(projectDir)).toBe(false)
    expect(await app.dispatch('project.current', {})).toBeNull()
    expect(await app.dispatch('project.recent', {})).toEqual([])
    // the blocking call gives the same error with the importer's code
    await expect(app.dispatch('avsbench.import', { dir: join(root, 'nope'), format: 's4', projectDir })).rejects.toMatchObject({ code: 'not_found' })
  })

  test('one import at a time; an unknown job is named', async () => {
    const app = newApp()
    const jobId = await start(app, join(root, 'first'))
    await expect(start(app, join(root, 'second'))).rejects.toMatchObject({ code: 'busy' })
    await app.dispatch('avsbench.importCancel', { jobId })
    expect((await app.avsbench.waitImport(jobId)).done).toBe(true)
    expect(existsSync(join(root, 'second'))).toBe(false)
    await expect(app.dispatch('avsbench.importResult', { jobId: 'nope' })).rejects.toMatchObject({ code: 'unknown_job' })
  })
})

const recent = async (app: App): Promise<RecentProject[]> => (await app.dispatch('project.recent', {})) as RecentProject[]
const repo = join(__dirname, '../..')
const avs = (home: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), ...args], { env: { ...process.env, AVS_HOME: home }, encoding: 'utf8', cwd: repo })

/** Imports the release into projectDir and cancels it once `clips` clips are in; resolves with the job's error. */
async function importCancelledAt(app: App, projectDir: string, clips: number): Promise<string | null> {
  let jobId = ''
  const off = app.events.subscribe((e, p) => {
    const ev = p as AvsbenchImportProgress
    if (e === 'avsbench.importProgress' && ev.jobId === jobId && ev.stage === 'importing' && ev.clips === clips) void app.dispatch('avsbench.importCancel', { jobId })
  })
  jobId = await start(app, projectDir)
  const r = await app.avsbench.waitImport(jobId)
  off()
  return r.error
}

describe('recent projects and unfinished imports', () => {
  test('a cancelled import is never listed under recent projects; projects listed before stay exactly as they were', async () => {
    const app = newApp()
    const other = join(root, 'recent-other')
    await app.dispatch('project.create', { dir: other, task: 'ms3' })
    // a folder the user had a project in, deleted since: listed as missing; an import into it is cancelled
    const reused = join(root, 'recent-reused')
    await app.dispatch('project.create', { dir: reused, task: 's4' })
    await app.dispatch('project.close', {})
    rmSync(reused, { recursive: true })
    const before = await recent(app)
    expect(before.map((r) => [r.dir, r.missing])).toEqual([
      [reused, true],
      [other, false]
    ])

    const fresh = join(root, 'recent-fresh')
    expect(await importCancelledAt(app, fresh, 2)).toBe('cancelled')
    expect(existsSync(fresh)).toBe(false)
    expect(await recent(app)).toEqual(before)

    expect(await importCancelledAt(app, reused, 2)).toBe('cancelled')
    expect(existsSync(reused)).toBe(false)
    expect(await recent(app)).toEqual(before)
  })

  test('a completed import leaves no unfinished marker, is listed first under recent projects and opens again', async () => {
    const app = newApp()
    const projectDir = join(root, 'completed')
    const r = await app.avsbench.waitImport(await start(app, projectDir))
    expect(r.report).toMatchObject({ clips: 6 })
    expect(app.projects.require().store.getMeta(IMPORTING_META)).toBeNull()
    expect((await recent(app)).map((p) => [p.dir, p.missing])).toEqual([[projectDir, false]])
    app.projects.close()

    const again = createApp({ mode: 'cli', homeDir: join(root, `home${homes}`) })
    expect(await again.dispatch('project.open', { dir: projectDir })).toMatchObject({ dir: projectDir, clipCount: 6, frameCount: 30 })
    again.projects.close()
  })

  test('opening a project while its import runs is refused as still being built; the import goes on', async () => {
    const app = newApp()
    const projectDir = join(root, 'opened-midway')
    let refused: unknown = null
    const opened = new Promise<void>((done) => {
      app.events.subscribe((e, p) => {
        const ev = p as AvsbenchImportProgress
        if (e === 'avsbench.importProgress' && ev.stage === 'importing' && ev.clips === 2 && !refused) {
          refused = 'pending'
          app.dispatch('project.open', { dir: projectDir }).then(
            () => ((refused = 'opened'), done()),
            (err: unknown) => ((refused = err), done())
          )
        }
      })
    })
    const r = await app.avsbench.waitImport(await start(app, projectDir))
    await opened
    expect(refused).toMatchObject({ code: 'import_unfinished', message: expect.stringMatching(new RegExp(`^This project is still being built by an AVSBench import \\(process ${process.pid}, `)) })
    expect(r.report).toMatchObject({ clips: 6, frames: 30 })
    expect(app.projects.require().store.listClips()).toHaveLength(6)
    app.projects.close()
  })

  test('a killed import leaves a project that refuses to open, in the app and in `avs info`, and is left untouched', async () => {
    const big = join(root, 'kill-release')
    makeS4Release(big, 300)
    const projectDir = join(root, 'killed')
    const home = join(root, 'home-killed')
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), 'import-avsbench', big, '--format', 's4', projectDir], {
      env: { ...process.env, AVS_HOME: home },
      cwd: repo
    })
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    let mediaClips = 0
    for (let i = 0; i < 600 && mediaClips < 3; i++) {
      await new Promise((r) => setTimeout(r, 25))
      mediaClips = existsSync(join(projectDir, MEDIA_DIR)) ? readdirSync(join(projectDir, MEDIA_DIR)).length : 0
    }
    expect(mediaClips).toBeGreaterThanOrEqual(3)
    child.kill('SIGKILL')
    expect(await exit).toBe('SIGKILL')
    const media = listFiles(join(projectDir, MEDIA_DIR))
    expect(media.length).toBeGreaterThan(0)

    const reason = `This project was left half-imported by an AVSBench import that did not finish (killed or crashed); delete it and import again: ${projectDir}`
    const app = createApp({ mode: 'cli', homeDir: home })
    await expect(app.dispatch('project.open', { dir: projectDir })).rejects.toMatchObject({ code: 'import_unfinished', message: reason })
    expect(await app.dispatch('project.current', {})).toBeNull()
    expect(await recent(app)).toEqual([])

    const info = avs(home, 'info', projectDir)
    expect(info.status).toBe(1)
    expect(info.stderr).toBe(`avs: ${reason}\n`)
    expect(info.stdout).toBe('')
    // nothing was cleaned up or changed: the half-made media and the database are still there
    expect(listFiles(join(projectDir, MEDIA_DIR))).toEqual(media)
    expect(existsSync(join(projectDir, DB_FILE))).toBe(true)
  }, 60_000)
})

describe('avs import-avsbench', () => {
  test('Ctrl-C cancels cleanly: exit 1, "Import cancelled", no project folder left', async () => {
    const big = join(root, 'big-release')
    makeS4Release(big, 300)
    const projectDir = join(root, 'cli-cancelled')
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), 'import-avsbench', big, '--format', 's4', projectDir], {
      env: { ...process.env, AVS_HOME: join(root, 'home-cli') },
      cwd: repo
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    // Ctrl-C once the project exists and clips are being written
    let mediaClips = 0
    for (let i = 0; i < 600 && mediaClips < 3; i++) {
      await new Promise((r) => setTimeout(r, 25))
      mediaClips = existsSync(join(projectDir, MEDIA_DIR)) ? readdirSync(join(projectDir, MEDIA_DIR)).length : 0
    }
    expect(mediaClips).toBeGreaterThanOrEqual(3)
    child.kill('SIGINT')
    expect(await exit).toBe(1)
    expect(stderr).toMatch(/avs: Import cancelled; .* holds no project/)
    expect(existsSync(projectDir)).toBe(false)
  }, 60_000)
})
