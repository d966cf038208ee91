import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createApp, type App } from '../../src/main/app'
import { ClipSegmenter, type ClipInput, type ClipResult, type SegmenterOptions, type SessionLoader } from '../../src/main/services/inference/ClipSegmenter'
import { loadSession, releaseSessions } from '../../src/main/services/inference/session'
import { SegmentService } from '../../src/main/services/jobs/SegmentService'
import type { ClipRunner } from '../../src/main/services/jobs/WorkerClipRunner'
import type { JobInfo } from '../../src/shared/inference'
import { ffmpegPath, makeVideo } from '../fixtures/media'

// A GPU execution provider that breaks while a job runs: ClipSegmenter drops it for CPU for the
// rest of that run and says why. Real parts: the shipped ONNX model under onnxruntime-node, real
// decoded clips, the real job queue and SQLite. This machine has no GPU, so the broken "GPU"
// session is a real onnxruntime session that onnxruntime itself refuses to run (disposed, as a
// session whose device was lost), handed to the segmenter by a session loader (the seam).

const root = mkdtempSync(join(tmpdir(), 'avs-seg-fallback-'))
const apps: App[] = []
let video = ''
let n = 0

beforeAll(async () => {
  delete process.env.AVS_MODELS_DIR // the shipped models/ folder
  video = await makeVideo(root, 'three-clips.mp4', { duration: 15, width: 96, height: 64, tone: 440 })
}, 60_000)

afterAll(async () => {
  for (const a of apps) await a.segments.close()
  await releaseSessions()
  rmSync(root, { recursive: true, force: true })
})

async function projectWith3Clips(): Promise<App> {
  const app = createApp({ mode: 'cli', homeDir: join(root, 'home') })
  apps.push(app)
  await app.dispatch('project.create', { dir: join(root, `p${++n}`), task: 's4' })
  const { jobId } = (await app.dispatch('media.import', { paths: [video] })) as { jobId: string }
  await app.imports.wait(jobId)
  expect(app.projects.require().store.listClips()).toHaveLength(3)
  return app
}

/** Runs clips on this thread with the given session loader; one segmenter per run, as the worker does. */
class InThreadRunner implements ClipRunner {
  private current: { runId: string; seg: ClipSegmenter } | null = null
  readonly providers: string[] = []
  constructor(private readonly load: SessionLoader) {}
  async segment(options: SegmenterOptions, clip: ClipInput): Promise<ClipResult> {
    const runId = options.runId ?? ''
    if (this.current?.runId !== runId) this.current = { runId, seg: new ClipSegmenter(options, this.load) }
    const r = await this.current.seg.segment(clip)
    this.providers.push(r.provider)
    return r
  }
  async close(): Promise<void> {}
}

/** CPU sessions come from the app's own loadSession; any GPU choice gets a session whose run fails inside onnxruntime. */
function breakingGpuLoader(): { load: SessionLoader; gpuLoads: string[] } {
  const gpuLoads: string[] = []
  const load: SessionLoader = async (modelPath, choice, threads = 1, version) => {
    if (choice === 'cpu') return loadSession(modelPath, 'cpu', threads, version)
    gpuLoads.push(choice)
    const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], logSeverityLevel: 3 })
    await session.release()
    return { session, modelPath, provider: 'webgpu', fallbackReason: null, threads }
  }
  return { load, gpuLoads }
}

function segmentService(app: App, runner: ClipRunner, events: JobInfo[]): SegmentService {
  return new SegmentService({
    projects: app.projects,
    models: app.models,
    ffmpeg: async () => ffmpegPath,
    settings: async () => ({ provider: 'auto', modelId: 'ccformer-tiny-s4', threads: 1 }),
    emit: (j) => events.push(j),
    runner
  })
}

const modelMasks = (app: App): string[] =>
  app.projects
    .require()
    .store.listClips()
    .flatMap((c) => app.projects.require().store.listFrames(c.id))
    .map((f) => {
      const m = app.projects.require().store.latestMask(f.id, 'model')
      return m ? Buffer.from(m.data).toString('base64') : 'none'
    })

test('a GPU provider that fails at run time: CPU for the rest of the job, the reason reported once, same masks as a CPU run', async () => {
  const app = await projectWith3Clips()
  const { load, gpuLoads } = breakingGpuLoader()
  const runner = new InThreadRunner(load)
  const events: JobInfo[] = []
  const segments = segmentService(app, runner, events)

  const { jobId } = await segments.start({ provider: 'webgpu' })
  const job = await segments.wait(jobId)
  expect(job).toMatchObject({ status: 'done', total: 3, done: 3, failedClips: 0, error: null, requestedProvider: 'webgpu', provider: 'cpu', model: 'ccformer-tiny-s4' })
  expect(job.fallbackReason).toMatch(/^WebGPU failed while running \(Session already disposed\.?\); running on CPU for the rest of the job\.$/)
  // The GPU was asked once; every clip (the first one included, re-run on CPU) ran on CPU.
  expect(gpuLoads).toEqual(['webgpu'])
  expect(runner.providers).toEqual(['cpu', 'cpu', 'cpu'])
  // Reported once: from the first stored clip on, each progress event carries the one same reason.
  const reasons = events.filter((e) => e.id === jobId && e.done > 0).map((e) => e.fallbackReason)
  expect(new Set(reasons)).toEqual(new Set([job.fallbackReason]))
  // Persisted with the job (the jobs table), so the UI shows it after a restart too.
  expect(segments.list().find((j) => j.id === jobId)?.fallbackReason).toBe(job.fallbackReason)

  const afterFallback = modelMasks(app)
  expect(afterFallback).not.toContain('none')

  // A new run tries the GPU again (a transient failure does not pin later jobs to CPU) and falls back again.
  const again = await segments.wait((await segments.start({ provider: 'webgpu', replaceEdits: true })).jobId)
  expect(again).toMatchObject({ status: 'done', provider: 'cpu', fallbackReason: job.fallbackReason })
  expect(gpuLoads).toEqual(['webgpu', 'webgpu'])

  // The masks are those of a plain CPU job.
  const cpu = await segments.wait((await segments.start({ provider: 'cpu', replaceEdits: true })).jobId)
  expect(cpu).toMatchObject({ status: 'done', provider: 'cpu', fallbackReason: null })
  expect(gpuLoads).toHaveLength(2)
  expect(modelMasks(app)).toEqual(afterFallback)
  await segments.close()
}, 180_000)

test('a GPU provider that cannot start on this machine (real WebGPU request through the worker): CPU, with the reason in plain words', async () => {
  const app = await projectWith3Clips()
  const { jobId } = (await app.dispatch('segment.start', { provider: 'webgpu', clipIds: [app.projects.require().store.listClips()[0].id] })) as { jobId: string }
  const job = await app.segments.wait(jobId)
  expect(job).toMatchObject({ status: 'done', done: 1, provider: expect.any(String), requestedProvider: 'webgpu' })
  if (job.provider === 'cpu') {
    // No Vulkan loader, or no adapter: either way the reason names WebGPU and what it needs.
    expect(job.fallbackReason).toMatch(/WebGPU/)
    expect(job.fallbackReason).toMatch(/running on CPU instead\.$/)
  } else {
    expect(job.provider).toBe('webgpu')
    expect(job.fallbackReason).toBeNull()
  }
}, 120_000)
