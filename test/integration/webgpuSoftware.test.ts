// The app's GPU path without a GPU: onnxruntime-node's bundled WebGPU provider on a software Vulkan
// driver (Chromium's SwiftShader, from Debian's chromium package; the loader from libvulkan1; .ci/run
// installs both). Speed there means nothing (SwiftShader ran ccformer-tiny-s4 ~400× slower than the
// CPU provider); what it checks is what a GPU runs: the app's WebGPU session, which nodes the provider
// takes, and that its output is the CPU's.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { stripActivationQdq } from '../../src/main/services/inference/qdq'
import { loadSession, providerStatus, releaseSessions } from '../../src/main/services/inference/session'
import { makeTinyModel, type TinyModel } from '../fixtures/onnx/tinyModel'

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'
// Read by the Vulkan loader when Dawn starts (in this process and in the app's probe child).
process.env.VK_ICD_FILENAMES = ICD
process.env.AVS_WEBGPU_SOFTWARE = '1'

const REPO = join(__dirname, '..', '..')
const root = mkdtempSync(join(tmpdir(), 'avs-webgpu-sw-'))
// SwiftShader's window-system code asks for one (and prints an error line without it); mkdtemp makes it 0700.
process.env.XDG_RUNTIME_DIR ??= root
let qdq: TinyModel

beforeAll(async () => {
  expect(existsSync(ICD), `${ICD} (Debian chromium's SwiftShader Vulkan driver) is needed: .ci/run installs chromium`).toBe(true)
  const webgpu = providerStatus().find((p) => p.id === 'webgpu')!
  expect(webgpu.reason ?? 'available', 'the Vulkan loader (libvulkan1) is needed: .ci/run installs it').toBe('available')
  qdq = await makeTinyModel(join(root, 'qdq'), { qdq: true, name: 'tiny-qdq' })
})

afterAll(async () => {
  await releaseSessions()
  rmSync(root, { recursive: true, force: true })
})

const f32 = (file: string): Float32Array => {
  const b = readFileSync(file)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length))
}
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

test('an int8 QDQ model loads on WebGPU through the app and gives the float graph\'s output on the CPU', async () => {
  const feeds = {
    frames: new ort.Tensor('float32', f32(join(qdq.parityDir, 'frames.bin')), [5, 3, 64, 64]),
    audio_log_mel: new ort.Tensor('float32', f32(join(qdq.parityDir, 'audio_log_mel.bin')), [5, 1, 96, 64])
  }
  const gpu = await loadSession(qdq.onnx, 'webgpu', 2)
  expect(gpu.provider).toBe('webgpu')
  expect(gpu.fallbackReason).toBeNull()
  const onGpu = (await gpu.session.run(feeds)).mask_logits.data as Float32Array

  // What the app gives a GPU provider: the graph without its activation QDQ pairs, run here on the CPU.
  const float = await ort.InferenceSession.create(stripActivationQdq(readFileSync(qdq.onnx)).bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 })
  const onCpuFloat = (await float.run(feeds)).mask_logits.data as Float32Array
  await float.release()
  const onCpuInt8 = (await (await loadSession(qdq.onnx, 'cpu', 2)).session.run(feeds)).mask_logits.data as Float32Array
  const torch = f32(join(qdq.parityDir, 'expected.bin'))

  expect(maxDiff(onGpu, onCpuFloat), 'WebGPU against the same graph on the CPU').toBeLessThanOrEqual(1e-3)
  // The fixture's ranges hold every value, so its Clips never clip: only the int8 weights differ from PyTorch;
  // the CPU's int8 activations add their rounding.
  const gpuErr = maxDiff(onGpu, torch)
  const int8Err = maxDiff(onCpuInt8, torch)
  expect(gpuErr).toBeLessThan(int8Err)
  expect(int8Err, 'the CPU ran the int8 graph (activation rounding)').toBeGreaterThan(1e-3)
})

interface Placement {
  onCpu: number
  onDevice: number
  cpuOps: string[]
  cpuOpCounts: Record<string, number>
}

/** ORT's node placement for a model on WebGPU (bench/gpu/parity.mjs --placement: its verbose log, in a child). */
function placement(model: string): Placement {
  const r = spawnSync(process.execPath, [join(REPO, 'bench/gpu/parity.mjs'), model, '--placement', 'webgpu'], { encoding: 'utf8', env: process.env, cwd: REPO })
  expect(r.status, r.stderr.slice(-400)).toBe(0)
  const p = JSON.parse(r.stdout.trim().split('\n').pop()!) as Placement
  expect(p.onDevice, `no WebGPU placement in the log: ${r.stdout.slice(-400)}`).toBeGreaterThan(0)
  return p
}

test('the shipped isnet models run on WebGPU with only one small node on the CPU; as stored, every QuantizeLinear would run there', () => {
  const stored = placement(join(REPO, 'models/ccformer-isnet-s4.onnx'))
  expect(stored.cpuOpCounts.QuantizeLinear, 'the int8 graph as stored').toBeGreaterThan(100)

  for (const name of ['ccformer-isnet-s4', 'ccformer-isnet-s4-1024']) {
    const stripped = stripActivationQdq(readFileSync(join(REPO, 'models', `${name}.onnx`)))
    expect(stripped.removed, name).toBeGreaterThan(100)
    const file = join(root, `${name}.gpu.onnx`)
    writeFileSync(file, stripped.bytes)
    const p = placement(file)
    rmSync(file)
    // One Transpose of a bool mask in the head's output rule (WebGPU has no bool Transpose): 5×192² bytes.
    expect(p.onCpu, `${name}: ${p.cpuOps.join(', ')}`).toBeLessThanOrEqual(1)
    expect(p.cpuOps.every((op) => op === 'Transpose'), `${name}: ${p.cpuOps.join(', ')}`).toBe(true)
    expect(p.onDevice).toBeGreaterThan(2000)
  }
})
