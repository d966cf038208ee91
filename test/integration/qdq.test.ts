// stripActivationQdq: the graph the app gives GPU providers (qdq.ts). It must remove exactly the
// activation QuantizeLinear → DequantizeLinear pairs, keep everything else byte for byte, and give the
// int8 model's masks.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { graphMismatches, parseCard } from '../../src/main/services/inference/modelCard'
import { fields, OnnxFormatError, readGraphInfo, text } from '../../src/main/services/inference/onnxGraph'
import { audioToTensor, framesToTensor } from '../../src/main/services/inference/preprocess'
import { stripActivationQdq } from '../../src/main/services/inference/qdq'
import { loadSession, releaseSessions } from '../../src/main/services/inference/session'
import { ffmpegPath } from '../fixtures/media'
import { makeTinyModel, type TinyModel } from '../fixtures/onnx/tinyModel'

const REPO = join(__dirname, '..', '..')
const root = mkdtempSync(join(tmpdir(), 'avs-qdq-'))
let plain: TinyModel
let qdq: TinyModel

beforeAll(async () => {
  plain = await makeTinyModel(join(root, 'plain'))
  qdq = await makeTinyModel(join(root, 'qdq'), { qdq: true, name: 'tiny-qdq' })
})

afterAll(async () => {
  await releaseSessions()
  rmSync(root, { recursive: true, force: true })
})

/** The graph's nodes as [op_type, inputs, outputs]. */
function nodes(buf: Uint8Array): Array<{ op: string; inputs: string[]; outputs: string[] }> {
  let graph = null as null | { start: number; end: number }
  for (const f of fields(buf, 0, buf.length)) if (f.no === 7 && f.wire === 2) graph = f
  const out: Array<{ op: string; inputs: string[]; outputs: string[] }> = []
  for (const f of fields(buf, graph!.start, graph!.end)) {
    if (f.no !== 1 || f.wire !== 2) continue
    const n = { op: '', inputs: [] as string[], outputs: [] as string[] }
    for (const x of fields(buf, f.start, f.end)) {
      if (x.wire !== 2) continue
      if (x.no === 1) n.inputs.push(text(buf, x))
      if (x.no === 2) n.outputs.push(text(buf, x))
      if (x.no === 4) n.op = text(buf, x)
    }
    out.push(n)
  }
  return out
}
function initializers(buf: Uint8Array): string[] {
  const names: string[] = []
  for (const f of fields(buf, 0, buf.length)) {
    if (f.no !== 7 || f.wire !== 2) continue
    for (const g of fields(buf, f.start, f.end)) {
      if (g.no !== 5 || g.wire !== 2) continue
      for (const t of fields(buf, g.start, g.end)) if (t.no === 8 && t.wire === 2) names.push(text(buf, t))
    }
  }
  return names
}
const count = (buf: Uint8Array, op: string): number => nodes(buf).filter((n) => n.op === op).length

test('a float model comes back as it is; a QDQ model loses its activation pairs and nothing else', () => {
  const plainBytes = readFileSync(plain.onnx)
  const same = stripActivationQdq(plainBytes)
  expect(same.removed).toBe(0)
  expect(same.bytes).toBe(plainBytes)

  const bytes = readFileSync(qdq.onnx)
  const { bytes: out, removed } = stripActivationQdq(bytes)
  // frames, two ReLU outputs, and the head's input: 4 activation pairs; the convs' weight and bias DQs stay
  expect(removed).toBe(4)
  expect(count(bytes, 'QuantizeLinear')).toBe(4)
  expect(count(out, 'QuantizeLinear')).toBe(0)
  expect(count(out, 'DequantizeLinear')).toBe(count(bytes, 'DequantizeLinear') - 4)
  expect(nodes(out).length).toBe(nodes(bytes).length - 8)
  expect(readGraphInfo(out)).toEqual(readGraphInfo(bytes))
  // every remaining DequantizeLinear reads an initializer (a weight or bias)
  const produced = new Set(nodes(out).flatMap((n) => n.outputs))
  for (const n of nodes(out).filter((n) => n.op === 'DequantizeLinear')) expect(produced.has(n.inputs[0]), n.inputs[0]).toBe(false)
  // nothing reads a tensor that is gone
  const known = new Set([...produced, ...readGraphInfo(out).inputs.map((i) => i.name), ...initializers(out), ''])
  const dangling = nodes(out).flatMap((n) => n.inputs).filter((i) => !known.has(i))
  expect(dangling).toEqual([])
  // idempotent
  expect(stripActivationQdq(out).removed).toBe(0)
  // a truncated file is refused with the format error, not a half graph
  expect(() => stripActivationQdq(bytes.subarray(0, bytes.length >> 1))).toThrow(OnnxFormatError)
})

test('the stripped graph runs on the CPU with PyTorch\'s output up to the int8 weights', async () => {
  const f32 = (file: string): Float32Array => {
    const b = readFileSync(file)
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length))
  }
  const feeds = {
    frames: new ort.Tensor('float32', f32(join(qdq.parityDir, 'frames.bin')), [5, 3, 64, 64]),
    audio_log_mel: new ort.Tensor('float32', f32(join(qdq.parityDir, 'audio_log_mel.bin')), [5, 1, 96, 64])
  }
  const torch = f32(join(qdq.parityDir, 'expected.bin'))
  const s = await ort.InferenceSession.create(stripActivationQdq(readFileSync(qdq.onnx)).bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 })
  const out = (await s.run(feeds)).mask_logits.data as Float32Array
  await s.release()
  let err = 0
  let scale = 0
  for (let i = 0; i < out.length; i++) {
    err = Math.max(err, Math.abs(out[i] - torch[i]))
    scale = Math.max(scale, Math.abs(torch[i]))
  }
  expect(err / scale).toBeLessThan(0.05)
})

test('the default model\'s GPU graph gives the int8 model\'s mask on a real picture with sound (CPU)', async () => {
  const onnx = join(REPO, 'models/ccformer-isnet-s4.onnx')
  const card = parseCard(readFileSync(join(REPO, 'models/ccformer-isnet-s4.model.json'), 'utf8'), 'ccformer-isnet-s4.model.json')
  const stripped = stripActivationQdq(readFileSync(onnx))
  expect(stripped.removed).toBe(208)
  expect(graphMismatches(card, readGraphInfo(stripped.bytes))).toEqual([])

  const [H, W] = card.input_size
  // Debian ukui-wallpapers' goldfish (installed by .ci/run), 5 crops of it as 5 frames, and a harmonic tone.
  const frames = [0, 1, 2, 3, 4].map((k) => new Uint8Array(execFileSync(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-i', '/usr/share/backgrounds/goldfish.png',
    '-vf', `scale=1280:720,crop=1120:630:${20 * k}:${11 * k},scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 << 20 })))
  const pcm = Int16Array.from({ length: 5 * 16000 }, (_, i) => Math.round(8000 * (Math.sin((2 * Math.PI * 220 * i) / 16000) + 0.6 * Math.sin((2 * Math.PI * 440 * i) / 16000))))
  const feeds = {
    frames: new ort.Tensor('float32', framesToTensor(frames, W, H, card), [5, 3, H, W]),
    audio_log_mel: new ort.Tensor('float32', audioToTensor(pcm, pcm.length, 5, 'repeat-last'), [5, 1, 96, 64])
  }
  const int8 = (await (await loadSession(onnx, 'cpu', 2)).session.run(feeds)).mask_logits.data as Float32Array
  const s = await ort.InferenceSession.create(stripped.bytes, { executionProviders: ['cpu'], intraOpNumThreads: 2, logSeverityLevel: 3 })
  const float = (await s.run(feeds)).mask_logits.data as Float32Array
  await s.release()
  let both = 0
  let either = 0
  let fg = 0
  for (let i = 0; i < int8.length; i++) {
    const a = int8[i] > 0
    const b = float[i] > 0
    if (a) fg++
    if (a && b) both++
    if (a || b) either++
  }
  expect(fg / int8.length, 'the int8 model marks the goldfish').toBeGreaterThan(0.02)
  expect(both / either, 'IoU of the two masks').toBeGreaterThan(0.9)
})

test('a pair is kept where removing it would change what the graph computes or returns', () => {
  // Hand-made protobuf: only the fields stripActivationQdq reads (node inputs, outputs, op_type; graph outputs).
  const varint = (n: number): number[] => (n > 0x7f ? [(n & 0x7f) | 0x80, ...varint(n >>> 7)] : [n])
  const field = (no: number, body: number[] | string): number[] => {
    const b = typeof body === 'string' ? [...Buffer.from(body)] : body
    return [(no << 3) | 2, ...varint(b.length), ...b]
  }
  const node = (op: string, inputs: string[], outputs: string[]): number[] => field(1, [...inputs.flatMap((i) => field(1, i)), ...outputs.flatMap((o) => field(2, o)), ...field(4, op)])
  const graph = [
    ...node('QuantizeLinear', ['x', 's', 'z'], ['xq']), // read by a DequantizeLinear and an Identity: kept
    ...node('DequantizeLinear', ['xq', 's', 'z'], ['xd']),
    ...node('Identity', ['xq'], ['y']),
    ...node('QuantizeLinear', ['xd', 's', 'z'], ['xq2']), // its DequantizeLinear is a graph output: kept
    ...node('DequantizeLinear', ['xq2', 's', 'z'], ['out']),
    ...node('QuantizeLinear', ['xd', 's', 'z'], ['xq3']), // removed: Relu reads xd
    ...node('DequantizeLinear', ['xq3', 's', 'z'], ['xd3']),
    ...node('Relu', ['xd3'], ['r']),
    ...field(12, field(1, 'out')),
    ...field(12, field(1, 'r')),
    ...field(12, field(1, 'y'))
  ]
  const model = Uint8Array.from([8, 8, ...field(7, graph)])
  const { bytes, removed } = stripActivationQdq(model)
  expect(removed).toBe(1)
  expect(nodes(bytes).map((n) => `${n.op}(${n.inputs[0]})`)).toEqual([
    'QuantizeLinear(x)', 'DequantizeLinear(xq)', 'Identity(xq)', 'QuantizeLinear(xd)', 'DequantizeLinear(xq2)', 'Relu(xd)'
  ])
})
