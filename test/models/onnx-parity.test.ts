// ONNX parity: onnxruntime-node output must equal the PyTorch output on a fixed input within
// 1e-4, for the shipped model (rebuilt in PyTorch from its committed checkpoint) and for a
// random-initialised full-size CCFormer at 224x224 (graph exported into a temp folder, never
// committed). Also checks the shipped model card against the graph (spec ccformer.md §2).
import { describe, it, expect, afterAll } from 'vitest'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as ort from 'onnxruntime-node'

const ROOT = path.resolve(__dirname, '..', '..')
const PY = process.env.AVS_PYTHON ?? '/usr/bin/python3'
const SHIPPED = path.join(ROOT, 'models', 'ccformer-tiny-s4.onnx')
const CARD = path.join(ROOT, 'models', 'ccformer-tiny-s4.model.json')
const CKPT = path.join(ROOT, 'models', 'ccformer-tiny-s4.pt')
// Full-size config for the big parity check: PVT-v2-b5 + VGGish at the paper's sizes (d = 256),
// ~150 s here; AVS_PARITY_FULL_CONFIG=resnet50 checks the ResNet-50 one (~90 s).
const FULL = process.env.AVS_PARITY_FULL_CONFIG ?? 'pvt_v2_b5'
const TOL = 1e-4

const tmpDirs: string[] = []
function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  tmpDirs.push(d)
  return d
}
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true })
})

function python(args: string[], timeoutMs: number): void {
  const r = spawnSync(PY, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    maxBuffer: 64 * 1024 * 1024
  })
  if (r.status !== 0) {
    throw new Error(`${PY} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`)
  }
}

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

interface Parity {
  frames: number[]
  audio_log_mel: number[]
  mask_logits: number[]
}

async function runParity(onnxPath: string, dir: string): Promise<{ maxDiff: number; dims: readonly number[] }> {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'parity.json'), 'utf8')) as Parity
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] })
  try {
    expect(session.inputNames).toEqual(['frames', 'audio_log_mel'])
    expect(session.outputNames).toEqual(['mask_logits'])
    const feeds = {
      frames: new ort.Tensor('float32', readF32(path.join(dir, 'frames.bin')), meta.frames),
      audio_log_mel: new ort.Tensor('float32', readF32(path.join(dir, 'audio_log_mel.bin')), meta.audio_log_mel)
    }
    const out = (await session.run(feeds)).mask_logits
    const expected = readF32(path.join(dir, 'expected.bin'))
    expect(Array.from(out.dims)).toEqual(meta.mask_logits)
    const got = out.data as Float32Array
    expect(got.length).toBe(expected.length)
    let maxDiff = 0
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(got[i] - expected[i])
      if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d
    }
    return { maxDiff, dims: out.dims }
  } finally {
    await session.release()
  }
}

describe('CCFormer ONNX parity (onnxruntime-node vs PyTorch)', () => {
  it('shipped model card is consistent with the graph and the file', async () => {
    const card = JSON.parse(fs.readFileSync(CARD, 'utf8'))
    const bytes = fs.readFileSync(SHIPPED)
    expect(bytes.length).toBeLessThanOrEqual(25 * 1024 * 1024)
    expect(card.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(card.format).toBe('avs-onnx/1')
    expect(card.task).toBe('binary')
    const [H, W] = card.input_size
    const T = card.clip_frames
    expect(card.inputs.frames).toEqual([T, 3, H, W])
    expect(card.inputs.audio_log_mel).toEqual([T, 1, 96, 64])
    expect(card.outputs.mask_logits[0]).toBe(T)
    expect(card.outputs.mask_logits[1]).toBe(card.classes.length)
    for (const k of ['name', 'version', 'mean', 'std', 'architecture', 'training', 'metrics', 'params', 'gmacs_per_clip']) {
      expect(card[k], k).toBeDefined()
    }
    for (const s of ['s4_like', 'ms3_like']) {
      expect(card.metrics[s].test_clips).toBeGreaterThanOrEqual(200)
      expect(typeof card.metrics[s].J).toBe('number')
      expect(typeof card.metrics[s].F).toBe('number')
    }
  })

  it('shipped model: onnxruntime-node == PyTorch within 1e-4', async () => {
    const dir = tmp('avs-parity-tiny-')
    python(['models/parity.py', '--checkpoint', CKPT, '--onnx', SHIPPED, '--out-dir', dir], 300_000)
    const card = JSON.parse(fs.readFileSync(CARD, 'utf8'))
    const { maxDiff, dims } = await runParity(SHIPPED, dir)
    expect(Array.from(dims)).toEqual(card.outputs.mask_logits)
    console.log(`ccformer-tiny-s4: max |ORT - PyTorch| = ${maxDiff.toExponential(3)}`)
    expect(maxDiff).toBeLessThanOrEqual(TOL)
  }, 600_000)

  it(`random-initialised full-size config (${FULL}) at 224x224: onnxruntime-node == PyTorch within 1e-4`, async () => {
    const dir = tmp(`avs-parity-${FULL}-`)
    python(['models/parity.py', '--config', FULL, '--random-init', '--input-size', '224', '224', '--out-dir', dir], 900_000)
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'parity.json'), 'utf8')) as Parity
    expect(meta.frames).toEqual([5, 3, 224, 224])
    const { maxDiff } = await runParity(path.join(dir, `${FULL}.onnx`), dir)
    console.log(`${FULL} 224x224 random init: max |ORT - PyTorch| = ${maxDiff.toExponential(3)}`)
    expect(maxDiff).toBeLessThanOrEqual(TOL)
  }, 1_200_000)
})
