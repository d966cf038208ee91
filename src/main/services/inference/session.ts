// One cached onnxruntime-node session per model file, provider and thread count; the provider
// choice, its fallback to CPU with a reason in plain words, and input checks by name and shape.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { ProviderChoice, ProviderId } from '../../../shared/inference'
import { processAlive } from '../project/projectLock'
import { stripActivationQdq, type QdqStrip } from './qdq'
import { probeWebGpuAdapter } from './webgpuProbe'

export const PROVIDER_LABEL: Record<ProviderId, string> = { cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML' }

export interface ProviderStatus {
  id: ProviderId
  label: string
  /** Present in this onnxruntime-node build and on this OS (WebGPU still needs a GPU adapter at load). */
  available: boolean
  reason: string | null
}

export interface LoadedSession {
  session: ort.InferenceSession
  modelPath: string
  provider: ProviderId
  /** Why the requested provider was not used, in plain words; null when it was. */
  fallbackReason: string | null
  threads: number
}

/** Threads for CPU inference: all cores on small machines, else leave one for the UI, at most 8. */
export function defaultThreads(): number {
  const n = availableParallelism()
  return n <= 2 ? n : Math.min(n - 1, 8)
}

// The provider libraries that onnxruntime-node's install script downloads (skipped offline).
function cudaInstalled(): boolean {
  let binDir: string
  try {
    const req = typeof require === 'function' ? require : createRequire(join(process.cwd(), 'package.json'))
    binDir = join(dirname(req.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch)
  } catch {
    return false
  }
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'
  return existsSync(join(binDir, lib))
}

// On Linux, WebGPU runs on Vulkan: without the loader library Dawn can only fail (noisily), so do not ask it.
function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/usr/local/lib']
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))
}

/**
 * On Linux a GPU shows up as a device node: /dev/dri/renderD… (Mesa drivers; NVIDIA with nvidia-drm),
 * /dev/nvidia0… (NVIDIA's driver, also inside containers) or /dev/dxg (WSL2). Without one, the only
 * Vulkan adapter Dawn can find is a software rasterizer (lavapipe, SwiftShader), on which WebGPU runs
 * the isnet models hundreds of times slower than the CPU provider. AVS_WEBGPU_SOFTWARE=1 allows it
 * anyway (tests and parity checks of the GPU path on a machine without a GPU). Not caught: a node whose
 * driver has no Vulkan ICD (a VMware/VirtualBox guest's vmwgfx, WSL2 without Mesa's dzn), where Dawn
 * may still end on a software adapter; onnxruntime does not tell which adapter it took.
 */
export function gpuDevicePresent(devDir = '/dev', env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux' || env.AVS_WEBGPU_SOFTWARE === '1') return true
  const names = (dir: string): string[] => {
    try {
      return readdirSync(dir)
    } catch {
      return []
    }
  }
  // A node this user may not open (not in the render/video group) is no GPU for this process either.
  const usable = (file: string): boolean => {
    try {
      accessSync(file, constants.R_OK | constants.W_OK)
      return true
    } catch {
      return false
    }
  }
  const nodes = [
    ...names(join(devDir, 'dri')).filter((n) => n.startsWith('renderD')).map((n) => join(devDir, 'dri', n)),
    ...names(devDir).filter((n) => /^nvidia\d+$/.test(n) || n === 'dxg').map((n) => join(devDir, n))
  ]
  return nodes.some(usable)
}

/** What each provider needs on this machine, before anything is loaded. */
export function providerStatus(): ProviderStatus[] {
  const supported = new Set(ort.listSupportedBackends().map((b) => b.name))
  const status = (id: ProviderId, available: boolean, reason: string | null): ProviderStatus => ({ id, label: PROVIDER_LABEL[id], available, reason: available ? null : reason })
  const notBuilt = (id: ProviderId): string => `this build of onnxruntime-node has no ${PROVIDER_LABEL[id]} provider on ${process.platform}`
  const webgpuMissing = !supported.has('webgpu')
    ? notBuilt('webgpu')
    : !vulkanLoaderPresent()
      ? 'WebGPU needs the Vulkan loader libvulkan.so.1 (e.g. `apt install libvulkan1`) and a GPU driver'
      : !gpuDevicePresent()
        ? 'WebGPU found no GPU device on this machine (/dev/dri/renderD…, /dev/nvidia0…, /dev/dxg) that this user may open; on a software Vulkan driver it would run far slower than the CPU (AVS_WEBGPU_SOFTWARE=1 allows it)'
        : null
  return [
    status('cpu', true, null),
    status('webgpu', webgpuMissing === null, webgpuMissing),
    status('cuda', supported.has('cuda') && cudaInstalled(),
      supported.has('cuda') ? 'the CUDA libraries for onnxruntime-node are not installed (run `npm run gpu:install` with internet access; needs an NVIDIA driver and CUDA 12)' : notBuilt('cuda')),
    status('dml', process.platform === 'win32' && supported.has('dml'), process.platform === 'win32' ? notBuilt('dml') : 'DirectML runs only on Windows'),
    status('coreml', process.platform === 'darwin' && supported.has('coreml'), process.platform === 'darwin' ? notBuilt('coreml') : 'CoreML runs only on macOS')
  ]
}

let webGpuAdapter: Promise<string | null> | null = null

/**
 * Why WebGPU cannot run here, in one line, or null when it found a GPU adapter. Asked once per
 * process, in a child process: Dawn's Vulkan trace goes to that child's stderr, not ours.
 */
export function webGpuProblem(): Promise<string | null> {
  webGpuAdapter ??= probeWebGpuAdapter().then((message) => (message === null ? null : plainReason('webgpu', new Error(message))))
  return webGpuAdapter
}

/** providerStatus(), with WebGPU asked for an adapter (in a child process) when it is otherwise available. */
export async function providerStatusChecked(): Promise<ProviderStatus[]> {
  const status = providerStatus()
  const webgpu = status.find((s) => s.id === 'webgpu')
  if (webgpu?.available) {
    const problem = await webGpuProblem()
    if (problem) Object.assign(webgpu, { available: false, reason: problem })
  }
  return status
}

/** Providers to try in order for a choice; CPU is always last. Auto: CUDA if installed, else WebGPU, else CPU. */
export function providerPlan(choice: ProviderChoice, status = providerStatus()): { tries: ProviderId[]; skipped: string[] } {
  const byId = new Map(status.map((s) => [s.id, s]))
  const wanted: ProviderId[] = choice === 'auto' ? ['cuda', 'webgpu'] : choice === 'cpu' ? [] : [choice]
  const tries: ProviderId[] = []
  const skipped: string[] = []
  for (const id of wanted) {
    const s = byId.get(id)
    if (s?.available) tries.push(id)
    else if (choice !== 'auto') skipped.push(`${PROVIDER_LABEL[id]} is not available: ${s?.reason ?? 'unknown provider'}`)
  }
  tries.push('cpu')
  return { tries, skipped }
}

/** ORT's load errors → what a person can act on. */
export function plainReason(id: ProviderId, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  if (id === 'webgpu' && /adapter/i.test(msg)) return 'WebGPU found no GPU adapter (it needs a GPU driver and, on Linux, the Vulkan loader libvulkan.so.1)'
  if (/Failed to load (shared )?library|cannot open shared object/i.test(msg)) return `${PROVIDER_LABEL[id]} could not load its libraries (${msg.split('\n')[0].slice(0, 160)})`
  return `${PROVIDER_LABEL[id]} failed to start: ${msg.split('\n')[0].slice(0, 200)}`
}

const cache = new Map<string, Promise<LoadedSession>>()

/**
 * onnxruntime-node's telemetry layer leaves an empty `mat-debug-<pid>.log` in the temp folder of
 * every process that creates a session, one more file per CLI run or app start. It is removed when
 * this process (or worker thread) exits, if it is still empty; the empty ones of processes that
 * could not remove theirs (killed with -9, crashed) go at the next process's first session.
 */
export function ortDebugLogPath(pid = process.pid): string {
  return join(tmpdir(), `mat-debug-${pid}.log`)
}

let debugLogSweep = false

function removeIfEmpty(file: string): void {
  try {
    if (statSync(file).size === 0) unlinkSync(file)
  } catch {
    // absent, or not ours to remove
  }
}

/** Empty logs left by processes that are gone; a live process's log, and any log with content, stay. */
export function sweepStaleOrtDebugLogs(dir = tmpdir()): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const m = /^mat-debug-(\d+)\.log$/.exec(name)
    if (!m) continue
    const pid = Number(m[1])
    if (pid === process.pid || processAlive(pid)) continue
    removeIfEmpty(join(dir, name))
  }
}

async function create(modelPath: string, id: ProviderId, threads: number): Promise<ort.InferenceSession> {
  if (!debugLogSweep) {
    debugLogSweep = true
    sweepStaleOrtDebugLogs()
    process.once('exit', () => removeIfEmpty(ortDebugLogPath()))
  }
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [id],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Warnings (e.g. node placement notes) would flood a CLI's stderr; errors still surface as exceptions.
    logSeverityLevel: 3
  }
  if (id !== 'webgpu') return ort.InferenceSession.create(modelPath, options)
  // WebGPU gets the graph with its activation QuantizeLinear/DequantizeLinear pairs as Clips (qdq.ts):
  // the pairs exist for the CPU's integer kernels, and WebGPU would run each QuantizeLinear on the CPU.
  // Should the rewrite fail, the file as it is still runs there, only slower.
  let stripped: QdqStrip = { bytes: new Uint8Array(0), removed: 0 }
  try {
    stripped = stripActivationQdq(readFileSync(modelPath))
  } catch {
    // a file the rewrite cannot read: onnxruntime says what is wrong with it, or runs it as it is
  }
  return stripped.removed > 0 ? ort.InferenceSession.create(stripped.bytes, options) : ort.InferenceSession.create(modelPath, options)
}

/**
 * A new session for a model and provider choice, not cached (the caller releases it): the providers
 * of the choice in order, falling back to the CPU with the reasons the others could not be used.
 */
export async function openSession(modelPath: string, choice: ProviderChoice, threads = defaultThreads()): Promise<LoadedSession> {
  const { tries, skipped } = providerPlan(choice)
  const reasons = [...skipped]
  for (const id of tries) {
    const problem = id === 'webgpu' ? await webGpuProblem() : null
    if (problem) {
      reasons.push(problem)
      continue
    }
    try {
      const session = await create(modelPath, id, threads)
      const fallbackReason = reasons.length ? `${reasons.join('; ')}; running on ${PROVIDER_LABEL[id]} instead.` : null
      return { session, modelPath, provider: id, fallbackReason, threads }
    } catch (err) {
      if (id === 'cpu') throw new SessionError(`Cannot load the model ${modelPath}: ${(err as Error).message.split('\n')[0]}`)
      reasons.push(plainReason(id, err))
    }
  }
  throw new SessionError(`No execution provider could load ${modelPath}`)
}

/** The session for a model and provider choice, created once; falls back to CPU with a reason. */
export function loadSession(modelPath: string, choice: ProviderChoice, threads = defaultThreads(), version = ''): Promise<LoadedSession> {
  // `version` (the card's sha256) keys the cache too, so a model replaced at the same path is reloaded.
  const key = `${modelPath}\0${version}\0${choice}\0${threads}`
  let p = cache.get(key)
  if (!p) {
    p = openSession(modelPath, choice, threads)
    cache.set(key, p)
    p.catch(() => cache.delete(key))
  }
  return p
}

/**
 * Releases the cached sessions (at shutdown, or when a model file changes), or with `except` those of
 * every other model: the segment worker does that when a job switches model, once the previous
 * model's clips are done. A session holds its weights and onnxruntime's arena at the largest
 * activations it ran (~0.5 GB for the 768² model, ~0.75 GB for the 1024² one), which would otherwise
 * stay for the life of the app. Returns how many were released.
 */
export async function releaseSessions(opts: { except?: string } = {}): Promise<number> {
  // Cache keys start with the model path (loadSession).
  const gone = [...cache.entries()].filter(([key]) => opts.except === undefined || !key.startsWith(`${opts.except}\0`))
  for (const [key] of gone) cache.delete(key)
  for (const [, p] of gone) await p.then((s) => s.session.release(), () => undefined)
  return gone.length
}

export class SessionError extends Error {}

/** Checks feeds against the session's own input names and static shapes; the error says what differs. */
export function checkFeeds(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): void {
  const names = session.inputNames
  const missing = names.filter((n) => !(n in feeds))
  const extra = Object.keys(feeds).filter((n) => !names.includes(n))
  if (missing.length || extra.length) {
    throw new SessionError(`The model's inputs are ${names.join(', ')}; ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && extra.length ? ', ' : ''}${extra.length ? `not in the model: ${extra.join(', ')}` : ''}`)
  }
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue
    const dims = feeds[meta.name].dims
    const want = meta.shape
    const ok = dims.length === want.length && want.every((d, i) => typeof d !== 'number' || d === dims[i])
    if (!ok) throw new SessionError(`Input "${meta.name}" is [${dims.join(', ')}] but the model expects [${want.join(', ')}]`)
    if (feeds[meta.name].type !== meta.type) throw new SessionError(`Input "${meta.name}" is ${feeds[meta.name].type} but the model expects ${meta.type}`)
  }
}
