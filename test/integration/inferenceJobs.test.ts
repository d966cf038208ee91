import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { decodeMask, encodeMask } from '../../src/main/services/project/maskCodec'
import type { ClipDetail, MaskPayload } from '../../src/shared/domain'
import type { JobInfo } from '../../src/shared/inference'
import { makeVideo } from '../fixtures/media'
import { makeTinyModel } from '../fixtures/onnx/tinyModel'

const root = mkdtempSync(join(tmpdir(), 'avs-inf-jobs-'))
const apps: App[] = []
let video: string
let n = 0

beforeAll(async () => {
  const model = await makeTinyModel(join(root, 'models'))
  await makeTinyModel(join(root, 'models'), { name: 'tiny-avss', frames: 10, classes: 71 })
  await makeTinyModel(join(root, 'models'), { name: 'tiny-unloadable', brokenOp: true })
  process.env.AVS_MODELS_DIR = model.dir
  video = await makeVideo(root, 'three-clips.mp4', { duration: 15, width: 64, height: 48, tone: 660 })
})

afterAll(async () => {
  for (const a of apps) await a.segments.close()
  delete process.env.AVS_MODELS_DIR
})

function newApp(): App {
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  apps.push(app)
  return app
}

async function projectWith3Clips(): Promise<{ app: App; dir: string; clips: ClipDetail[] }> {
  const app = newApp()
  const dir = join(root, `p${++n}`)
  await app.dispatch('project.create', { dir, task: 's4' })
  const { jobId } = (await app.dispatch('media.import', { paths: [video] })) as { jobId: string }
  await app.imports.wait(jobId)
  const store = app.projects.require().store
  const clips = store.listClips().map((c) => store.getClip(c.id)!)
  expect(clips).toHaveLength(3)
  return { app, dir, clips }
}

const modelRevisions = (app: App, frameId: number): number => app.projects.require().store.listMaskRevisions(frameId).filter((r) => r.source === 'model').length

async function segment(app: App, input: Record<string, unknown> = {}): Promise<JobInfo> {
  const { jobId } = (await app.dispatch('segment.start', input)) as { jobId: string }
  return app.segments.wait(jobId)
}

test('a real ONNX model on real decoded clips, through the job queue into SQLite', async () => {
  const { app, clips } = await projectWith3Clips()
  const events: JobInfo[] = []
  app.events.subscribe((e, p) => e === 'job.progress' && events.push(p as JobInfo))
  const models = (await app.dispatch('model.list', {})) as Array<{ id: string; valid: boolean }>
  expect(models.find((m) => m.id === 'tiny-test')?.valid).toBe(true)

  const job = await segment(app, { provider: 'cpu' })
  expect(job).toMatchObject({ status: 'done', total: 3, done: 3, model: 'tiny-test', provider: 'cpu', requestedProvider: 'cpu', fallbackReason: null, failedClips: 0, error: null })
  // Progress: queued, running, then one event per clip start and end; done counts up; the last says done.
  const dones = events.filter((e) => e.status === 'running').map((e) => e.done)
  expect(dones).toEqual([...dones].sort((a, b) => a - b))
  expect(dones).toContain(2)
  expect(events.at(-1)!.status).toBe('done')
  expect(events.some((e) => e.status === 'running' && e.remainingMs !== null)).toBe(true)
  for (const clip of clips) {
    for (const f of clip.frames) {
      const m = (await app.dispatch('mask.get', { frameId: f.id })) as MaskPayload
      expect(m).toMatchObject({ source: 'model', model: 'tiny-test', width: 64, height: 48 })
      expect(m.confidence).toBeGreaterThanOrEqual(0.5)
      expect(m.confidence).toBeLessThanOrEqual(1)
      const labels = decodeMask(Buffer.from(m.data, 'base64'), 64, 48)
      expect(labels.every((v) => v <= 1)).toBe(true)
    }
    expect(((await app.dispatch('clip.get', { clipId: clip.id })) as ClipDetail).status).toBe('auto')
  }
  // Inference ran in the worker thread, not on the thread that serves the UI.
  const timings = app.segments.timings(job.id)
  expect(timings).toHaveLength(3)
  expect(timings.every((t) => t.threadId > 0 && t.inference > 0)).toBe(true)
  const listed = (await app.dispatch('job.list', {})) as JobInfo[]
  expect(listed[0]).toMatchObject({ id: job.id, status: 'done', done: 3 })
})

test('cancel mid-job keeps finished clips and leaves the rest untouched; the job resumes where it stopped', async () => {
  const { app, clips } = await projectWith3Clips()
  let cancelled = false
  app.events.subscribe((e, p) => {
    const j = p as JobInfo
    if (e === 'job.progress' && j.status === 'running' && j.done === 1 && !cancelled) {
      cancelled = true
      void app.dispatch('job.cancel', { jobId: j.id })
    }
  })
  const job = await segment(app)
  expect(job).toMatchObject({ status: 'cancelled', done: 1 })
  for (const f of clips[0].frames) expect(modelRevisions(app, f.id)).toBe(1)
  for (const c of clips.slice(1)) {
    for (const f of c.frames) {
      expect(app.projects.require().store.listMaskRevisions(f.id)).toEqual([])
      expect(app.projects.require().store.getFrame(f.id)!.status).toBe('unreviewed')
    }
  }
  const resumed = (await app.dispatch('job.resume', { jobId: job.id })) as { jobId: string }
  expect(resumed.jobId).toBe(job.id)
  expect(await app.segments.wait(job.id)).toMatchObject({ status: 'done', done: 3 })
  // The first clip was not run again.
  for (const f of clips[0].frames) expect(modelRevisions(app, f.id)).toBe(1)
  for (const f of clips[2].frames) expect(modelRevisions(app, f.id)).toBe(1)
  await expect(app.dispatch('job.resume', { jobId: job.id })).rejects.toThrow(/is done; only interrupted or cancelled jobs resume/)
})

test('a job left running by a process that died is marked interrupted on reopen and resumes', async () => {
  const { app, dir, clips } = await projectWith3Clips()
  let stop = false
  app.events.subscribe((e, p) => {
    const j = p as JobInfo
    if (e === 'job.progress' && j.status === 'running' && j.done === 2 && !stop) {
      stop = true
      void app.dispatch('job.cancel', { jobId: j.id })
    }
  })
  const job = await segment(app)
  // Simulate a crash: the row still says running, and the process is gone.
  app.projects.require().store.db.prepare(`UPDATE jobs SET status = 'running' WHERE id = ?`).run(job.id)
  app.projects.close()
  const again = newApp()
  await again.dispatch('project.open', { dir })
  const listed = (await again.dispatch('job.list', {})) as JobInfo[]
  expect(listed.find((j) => j.id === job.id)).toMatchObject({ status: 'interrupted', done: 2, total: 3 })
  await again.dispatch('job.resume', { jobId: job.id })
  expect(await again.segments.wait(job.id)).toMatchObject({ status: 'done', done: 3 })
  for (const f of clips[2].frames) expect(modelRevisions(again, f.id)).toBe(1)
  for (const f of clips[0].frames) expect(modelRevisions(again, f.id)).toBe(1)
})

test('closing the project mid-job interrupts it; on reopen it is listed as interrupted and resumes', async () => {
  const { app, dir, clips } = await projectWith3Clips()
  let closed = false
  app.events.subscribe((e, p) => {
    const j = p as JobInfo
    if (e === 'job.progress' && j.status === 'running' && j.done === 1 && !closed) {
      closed = true
      void app.dispatch('project.close', {})
    }
  })
  const job = await segment(app)
  expect(job).toMatchObject({ status: 'interrupted', done: 1 })
  await app.dispatch('project.open', { dir })
  expect(((await app.dispatch('job.list', {})) as JobInfo[])[0]).toMatchObject({ id: job.id, status: 'interrupted', done: 1 })
  await app.dispatch('job.resume', { jobId: job.id })
  expect(await app.segments.wait(job.id)).toMatchObject({ status: 'done', done: 3 })
  for (const c of clips) for (const f of c.frames) expect(modelRevisions(app, f.id)).toBe(1)
})

test('an AVSS project with a 10-frame semantic model: argmax labels within the project classes', async () => {
  const app = newApp()
  await app.dispatch('project.create', { dir: join(root, 'avss-seg'), task: 'avss' })
  const v = await makeVideo(root, 'ten.mp4', { duration: 10, width: 48, height: 32 })
  const { jobId } = (await app.dispatch('media.import', { paths: [v] })) as { jobId: string }
  await app.imports.wait(jobId)
  const job = await segment(app)
  expect(job).toMatchObject({ status: 'done', model: 'tiny-avss', total: 1 })
  const clip = app.projects.require().store.getClip(job.clipIds[0])!
  expect(clip.frames).toHaveLength(10)
  const seen = new Set<number>()
  for (const f of clip.frames) {
    const m = app.projects.require().store.latestMask(f.id)!
    expect(m).toMatchObject({ source: 'model', model: 'tiny-avss', width: 48, height: 32 })
    for (const v of decodeMask(m.data, 48, 32)) seen.add(v)
    expect(m.confidence).toBeGreaterThan(1 / 71)
  }
  expect(Math.max(...seen)).toBeLessThanOrEqual(70)
  // A semantic model gives each pixel its class: a class asked of it is refused, not ignored.
  await expect(segment(app, { modelId: 'tiny-avss', className: 'dog' })).rejects.toThrow(/Model "tiny-avss" is a semantic model: it gives each pixel its own class, so no class is chosen for it/)
  // The binary 5-frame model on the same clip, as dog: two windows, labels 0 and dog's index.
  const bin = await segment(app, { modelId: 'tiny-test', className: 'dog' })
  expect(bin).toMatchObject({ status: 'done', model: 'tiny-test', className: 'dog' })
  const binSeen = new Set<number>()
  for (const f of clip.frames) {
    const m = app.projects.require().store.latestMask(f.id)!
    expect(m.model).toBe('tiny-test')
    for (const v of decodeMask(m.data, 48, 32)) binSeen.add(v)
  }
  expect(binSeen).toContain(17)
  expect([...binSeen].every((v) => v === 0 || v === 17)).toBe(true)
})

test('a class is refused on an S4 project, where masks are binary', async () => {
  const { app } = await projectWith3Clips()
  await expect(segment(app, { className: 'dog' })).rejects.toThrow(/^A class is for AVSS projects segmented by a binary model; this S4 project's masks are binary \(the sounding object\)$/)
  expect((await app.dispatch('job.list', {})) as JobInfo[]).toEqual([])
})

test('human edits and accepted frames survive a re-run; replaceEdits overwrites them; revert to model still works', async () => {
  const { app, clips } = await projectWith3Clips()
  const [c] = clips
  await segment(app, { clipIds: [c.id] })
  const edited = c.frames[0]
  const accepted = c.frames[1]
  const human = new Uint8Array(64 * 48).fill(1, 0, 100)
  await app.dispatch('mask.save', { frameId: edited.id, width: 64, height: 48, data: encodeMask(human).toString('base64') })
  await app.dispatch('frame.setStatus', { frameIds: [accepted.id], status: 'accepted', comment: 'looks right' })
  const acceptedRev = app.projects.require().store.latestMask(accepted.id)!.revision

  const rerun = await segment(app, { clipIds: [c.id] })
  expect(rerun).toMatchObject({ status: 'done', skippedFrames: 2 })
  const store = app.projects.require().store
  expect(store.latestMask(edited.id)!.source).toBe('human')
  expect(decodeMask(store.latestMask(edited.id)!.data, 64, 48)).toEqual(human)
  expect(store.getFrame(edited.id)!.status).toBe('edited')
  expect(store.latestMask(accepted.id)!.revision).toBe(acceptedRev)
  expect(store.getFrame(accepted.id)!).toMatchObject({ status: 'accepted', comment: 'looks right' })
  // The other frames got a second model revision.
  expect(modelRevisions(app, c.frames[2].id)).toBe(2)
  // The model mask a person edited over is still there to revert to.
  expect(store.latestMask(edited.id, 'model')!.revision).toBe(1)

  const replaced = await segment(app, { clipIds: [c.id], replaceEdits: true })
  expect(replaced).toMatchObject({ status: 'done', skippedFrames: 0, replaceEdits: true })
  expect(store.latestMask(edited.id)!.source).toBe('model')
  expect(store.getFrame(edited.id)!.status).toBe('auto')
  expect(store.getFrame(accepted.id)!).toMatchObject({ status: 'auto', comment: 'looks right' })
  // The human revision is still in the history.
  expect(store.listMaskRevisions(edited.id).map((r) => r.source)).toEqual(['model', 'human', 'model'])
})

test('a model that passes validation but cannot load fails the job at once, storing nothing', async () => {
  const { app, clips } = await projectWith3Clips()
  const job = await segment(app, { modelId: 'tiny-unloadable' })
  expect(job).toMatchObject({ status: 'failed', done: 0, model: 'tiny-unloadable' })
  expect(job.error).toMatch(/^Cannot load the model .*tiny-unloadable\.onnx: .*NoSuchOp/)
  for (const c of clips) for (const f of c.frames) expect(app.projects.require().store.listMaskRevisions(f.id)).toEqual([])
})

test('deleted frame files fail that clip with a clear reason; the other clips are segmented', async () => {
  const { app, clips } = await projectWith3Clips()
  const { mediaDir } = app.projects.require()
  rmSync(join(mediaDir, clips[1].frames[2].image))
  expect(existsSync(join(mediaDir, clips[1].frames[2].image))).toBe(false)
  const job = await segment(app)
  expect(job).toMatchObject({ status: 'failed', done: 3, failedClips: 1 })
  expect(job.error).toContain(`1 of 3 clip(s) failed:\n${clips[1].name}: 1 of 5 frame image(s) are missing from the media cache (f2.jpg in`)
  expect(job.error).toMatch(/re-import the video/)
  for (const f of clips[1].frames) expect(modelRevisions(app, f.id)).toBe(0)
  for (const f of [...clips[0].frames, ...clips[2].frames]) expect(modelRevisions(app, f.id)).toBe(1)
})

test('a GPU provider that cannot load falls back to CPU and the job says why; bad requests are refused', async () => {
  const { app, clips } = await projectWith3Clips()
  const providers = (await app.dispatch('model.providers', {})) as Array<{ id: string; available: boolean }>
  expect(providers.find((p) => p.id === 'cpu')).toMatchObject({ available: true })
  // The provider comes from the settings when the request names none.
  expect(await app.dispatch('model.setSettings', { provider: 'webgpu' })).toMatchObject({ provider: 'webgpu', modelId: null })
  const job = await segment(app, { clipIds: [clips[0].id] })
  expect(job).toMatchObject({ status: 'done', requestedProvider: 'webgpu' })
  await app.dispatch('model.setSettings', { provider: 'auto' })
  if (job.provider === 'cpu') expect(job.fallbackReason).toMatch(/^WebGPU .*; running on CPU instead\.$/)
  await expect(app.dispatch('segment.start', { clipIds: [9999] })).rejects.toThrow('No clip 9999 in this project')
  await expect(app.dispatch('segment.start', { modelId: 'nope' })).rejects.toThrow('No model "nope"; available: tiny-avss, tiny-test, tiny-unloadable')

  // A model whose frames do not divide the project's (a 10-frame semantic model on 5-s S4 clips) is refused in words.
  await expect(app.dispatch('segment.start', { modelId: 'tiny-avss' })).rejects.toThrow(
    'model "tiny-avss" takes 10 frames per clip but this S4 project\'s clips have 5 (not a multiple of 10); choose a model made for 5-frame clips'
  )
})
