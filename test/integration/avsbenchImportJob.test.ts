// AVSBench release import as a job: progress events, cancel, and all-or-nothing (a cancelled or
// failed import leaves no project behind), through the real app, importer and CLI.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { DB_FILE, MEDIA_DIR } from '../../src/main/services/project/ProjectService'
import type { AvsbenchImportProgress, AvsbenchImportReport, AvsbenchImportResult } from '../../src/shared/avsbench'
import { makeS4Release } from './avsbenchFixtures'

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

describe('avs import-avsbench', () => {
  test('Ctrl-C cancels cleanly: exit 1, "Import cancelled", no project folder left', async () => {
    const big = join(root, 'big-release')
    makeS4Release(big, 300)
    const projectDir = join(root, 'cli-cancelled')
    const repo = join(__dirname, '../..')
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
