import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import { createApp } from '../src/main/app'
import { defaultThreads, loadSession, releaseSessions } from '../src/main/services/inference/session'
import type { JobInfo } from '../src/shared/inference'
import { makeVideo } from '../test/fixtures/media'
import { JOB_STAGES, record, stageTotals, WORK_DIR } from './lib'

const REPO = resolve(__dirname, '..')
const PY = '/usr/bin/python3'
const DIR = join(WORK_DIR, 'inference')
const SHIPPED = join(REPO, 'models', 'ccformer-tiny-s4')

interface BenchModel {
  label: string
  onnx: string
  modelsDir: string
  /** Arguments for bench/gpu/torch_bench.py that rebuild the same PyTorch model. */
  torchArgs: string[]
}

/** The shipped model with its checkpoint if both are there; else a random-init tiny CCFormer exported once (cached). */
function benchModel(): BenchModel {
  if (existsSync(`${SHIPPED}.onnx`) && existsSync(`${SHIPPED}.pt`)) {
    return { label: 'shipped ccformer-tiny-s4', onnx: `${SHIPPED}.onnx`, modelsDir: join(REPO, 'models'), torchArgs: ['--checkpoint', `${SHIPPED}.pt`] }
  }
  const key = createHash('sha256').update(readFileSync(join(REPO, 'models/export_onnx.py'))).update(readFileSync(join(REPO, 'models/ccformer/model.py'))).digest('hex').slice(0, 12)
  const modelsDir = join(DIR, `random-${key}`)
  const onnx = join(modelsDir, 'ccformer-tiny-random.onnx')
  if (!existsSync(join(modelsDir, 'ccformer-tiny-random.model.json'))) {
    process.stdout.write('exporting a random-init tiny CCFormer (once per model source version)…\n')
    for (const old of existsSync(DIR) ? readdirSync(DIR).filter((d) => d.startsWith('random-')) : []) rmSync(join(DIR, old), { recursive: true, force: true })
    execFileSync(PY, [join(REPO, 'models/export_onnx.py'), '--config', 'tiny', '--random-init', '--seed', '0', '--out', onnx, '--name', 'ccformer-tiny-random'], {
      env: { ...process.env, TORCH_THREADS: '2' }, stdio: ['ignore', 'ignore', 'inherit']
    })
  }
  return { label: 'random-init tiny CCFormer (shipped model not present)', onnx, modelsDir, torchArgs: ['--config', 'tiny', '--seed', '0'] }
}

const f32 = (file: string): Float32Array => {
  const b = readFileSync(file)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length))
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

export async function benchInference(): Promise<void> {
  const threads = defaultThreads()
  const model = benchModel()
  process.stdout.write(`model: ${model.label}; ${threads} thread(s)\n`)

  // 1. Same model, same fixed input, same threads: PyTorch (Debian torch) vs onnxruntime-node CPU.
  const parity = join(DIR, 'parity')
  const torch = JSON.parse(execFileSync(PY, [join(REPO, 'bench/gpu/torch_bench.py'), ...model.torchArgs, '--threads', String(threads), '--out-dir', parity, '--runs', '10'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']
  }).trim().split('\n').pop()!) as { ms_per_clip: number; torch: string; shape: { frames: number[]; mask_logits: number[] } }
  const s = await loadSession(model.onnx, 'cpu', threads)
  const feeds = {
    frames: new ort.Tensor('float32', f32(join(parity, 'frames.bin')), torch.shape.frames),
    audio_log_mel: new ort.Tensor('float32', f32(join(parity, 'audio_log_mel.bin')), [torch.shape.frames[0], 1, 96, 64])
  }
  let out = (await s.session.run(feeds)).mask_logits.data as Float32Array
  await s.session.run(feeds)
  const times: number[] = []
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now()
    out = (await s.session.run(feeds)).mask_logits.data as Float32Array
    times.push(performance.now() - t0)
  }
  const expected = f32(join(parity, 'expected.bin'))
  let maxDiff = 0
  for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i] - expected[i]))
  const ortMs = median(times)
  record('inference.ort_cpu_ms_per_clip', ortMs, 'ms', torch.ms_per_clip,
    `median of 10, ${threads} thread(s), ${model.label}, frames [${torch.shape.frames.join(',')}]; baseline PyTorch ${torch.torch} same model/input/threads; max|Δ| ${maxDiff.toExponential(1)}; target ratio ≤ 0.667`)
  record('inference.ort_speedup_vs_pytorch', torch.ms_per_clip / ortMs, '×', null, 'target ≥ 1.5')
  await releaseSessions()

  // 2. End to end: 60 five-second clips through the job queue (decode + features + inference + store).
  const video = join(DIR, 'bench-300s-640x360.mp4')
  if (!existsSync(video)) await makeVideo(DIR, 'bench-300s-640x360.mp4', { duration: 300, width: 640, height: 360, tone: 500 })
  process.env.AVS_MODELS_DIR = model.modelsDir
  const app = createApp({ mode: 'cli', homeDir: join(DIR, `home-${process.pid}`) })
  const projectDir = join(DIR, `project-${Date.now()}`)
  await app.dispatch('project.create', { dir: projectDir, task: 's4' })
  const { jobId: importId } = (await app.dispatch('media.import', { paths: [video] })) as { jobId: string }
  await app.imports.wait(importId)
  const modelId = (await app.models.list()).find((m) => m.valid && m.onnxPath === model.onnx)!.id
  await app.dispatch('model.setSettings', { threads })
  // Warm the worker and its session on one clip, so the figure is the steady state of a batch.
  const clips = app.projects.require().store.listClips()
  await app.segments.wait(((await app.dispatch('segment.start', { clipIds: [clips[0].id], modelId, provider: 'cpu' })) as { jobId: string }).jobId)
  const t0 = performance.now()
  const { jobId } = (await app.dispatch('segment.start', { modelId, provider: 'cpu', replaceEdits: true })) as { jobId: string }
  const job: JobInfo = await app.segments.wait(jobId)
  const wallMs = performance.now() - t0
  if (job.status !== 'done') throw new Error(`bench job ${job.status}: ${job.error}`)
  const t = app.segments.timings(jobId)
  const total = stageTotals(t)
  record(`inference.e2e_${clips.length}clips.clips_per_s`, (clips.length / wallMs) * 1000, 'clips/s', null,
    `${clips.length} × 5-frame clips of 640×360, worker thread, CPU, ${threads} thread(s), ${model.label}`)
  for (const k of JOB_STAGES) {
    record(`inference.e2e.share.${k}`, (100 * total[k]) / wallMs, '%', null, `${(total[k] / t.length).toFixed(1)} ms per clip`)
  }
  record('inference.e2e.share.overhead', (100 * (wallMs - total.staged)) / wallMs, '%', null, 'job bookkeeping, worker messages, SQLite job rows, events')
  await app.segments.close()
  app.projects.close()
  // The 60-clip project is rebuilt each run; do not let runs pile up in bench/.work.
  rmSync(projectDir, { recursive: true, force: true })
  rmSync(join(DIR, `home-${process.pid}`), { recursive: true, force: true })

  // 3. GPU providers, where there are any: parity and timing against CPU (bench/gpu/parity.mjs).
  const gpu = execFileSync(process.execPath, [join(REPO, 'bench/gpu/parity.mjs'), model.onnx, '--inputs', parity, '--threads', String(threads), '--json', join(DIR, 'gpu.json')], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], cwd: REPO
  })
  process.stdout.write(gpu.split('\n').filter((l) => !l.startsWith('CPU')).join('\n'))
  const report = JSON.parse(readFileSync(join(DIR, 'gpu.json'), 'utf8')) as { providers: Array<{ id: string; loaded: boolean; ms?: number; maxDiffVsCpu?: number }> }
  for (const p of report.providers.filter((x) => x.loaded)) {
    record(`inference.gpu.${p.id}_ms_per_clip`, p.ms!, 'ms', ortMs, `same model and input; max|Δ| vs CPU ${p.maxDiffVsCpu!.toExponential(1)} (≤ 1e-3)`)
  }
}
