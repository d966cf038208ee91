// stripActivationQdq: the graph the app gives GPU providers (qdq.ts). It must remove exactly the
// activation QuantizeLinear → DequantizeLinear pairs, keep everything else byte for byte, and give the
// int8 model's masks.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
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
/** Names of the graph's fields `no` (5: initializers, name in field 8; 13: value_info, name in field 1). */
function graphNames(buf: Uint8Array, no: 5 | 13): string[] {
  const nameField = no === 5 ? 8 : 1
  const names: string[] = []
  for (const f of fields(buf, 0, buf.length)) {
    if (f.no !== 7 || f.wire !== 2) continue
    for (const g of fields(buf, f.start, f.end)) {
      if (g.no !== no || g.wire !== 2) continue
      for (const t of fields(buf, g.start, g.end)) if (t.no === nameField && t.wire === 2) names.push(text(buf, t))
    }
  }
  return names
}
const initializers = (buf: Uint8Array): string[] => graphNames(buf, 5)
const valueInfos = (buf: Uint8Array): string[] => graphNames(buf, 13)
const count = (buf: Uint8Array, op: string): number => nodes(buf).filter((n) => n.op === op).length

test('a float model comes back as it is; in a QDQ model each activation pair becomes one Clip and nothing else changes', () => {
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
  expect(count(out, 'Clip')).toBe(4)
  expect(count(out, 'DequantizeLinear')).toBe(count(bytes, 'DequantizeLinear') - 4)
  expect(nodes(out).length).toBe(nodes(bytes).length - 4)
  expect(readGraphInfo(out)).toEqual(readGraphInfo(bytes))
  // every remaining DequantizeLinear reads an initializer (a weight or bias)
  const produced = new Set(nodes(out).flatMap((n) => n.outputs))
  for (const n of nodes(out).filter((n) => n.op === 'DequantizeLinear')) expect(produced.has(n.inputs[0]), n.inputs[0]).toBe(false)
  // nothing reads a tensor that is gone
  const known = new Set([...produced, ...readGraphInfo(out).inputs.map((i) => i.name), ...initializers(out), ''])
  expect(nodes(out).flatMap((n) => n.inputs).filter((i) => !known.has(i))).toEqual([])
  // byte for byte: every other field of the model and of the graph, in order
  const raw = (buf: Uint8Array, keep: (f: { no: number; op: string; name: string }) => boolean): string[] => {
    const out: string[] = []
    for (const f of fields(buf, 0, buf.length)) {
      if (f.no !== 7) {
        out.push(Buffer.from(buf.subarray(f.at, f.next)).toString('hex'))
        continue
      }
      for (const g of fields(buf, f.start, f.end)) {
        let op = ''
        let name = ''
        if (g.no === 1) for (const x of fields(buf, g.start, g.end)) if (x.no === 4 && x.wire === 2) op = text(buf, x)
        if (g.no === 5) for (const x of fields(buf, g.start, g.end)) if (x.no === 8 && x.wire === 2) name = text(buf, x)
        if (keep({ no: g.no, op, name })) out.push(Buffer.from(buf.subarray(g.at, g.next)).toString('hex'))
      }
    }
    return out
  }
  const notQdq = ({ op, name }: { op: string; name: string }): boolean => !['QuantizeLinear', 'DequantizeLinear', 'Clip'].includes(op) && !/_clip_(min|max)$/.test(name)
  const before = raw(bytes, notQdq)
  const after = raw(out, notQdq)
  expect(after).toEqual(before)
  expect(initializers(out).filter((n) => /_clip_(min|max)$/.test(n)), 'two bounds per Clip').toHaveLength(8)
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
  expect(stripped.removed).toBe(count(readFileSync(onnx), 'QuantizeLinear'))
  expect(stripped.removed).toBeGreaterThan(100)
  expect(graphMismatches(card, readGraphInfo(stripped.bytes))).toEqual([])

  const [H, W] = card.input_size
  // Debian ukui-wallpapers' goldfish (installed by .ci/run), 5 crops of it as 5 frames, and a harmonic tone.
  expect(existsSync('/usr/share/backgrounds/goldfish.png'), '/usr/share/backgrounds/goldfish.png (Debian ukui-wallpapers) is needed').toBe(true)
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

// A hand-made ONNX model (opset 17): float inputs and outputs of one shape, scalar initializers, nodes.
const varint = (n: number): number[] => (n > 0x7f ? [(n & 0x7f) | 0x80, ...varint(Math.floor(n / 128))] : [n])
const field = (no: number, body: number[] | string | Uint8Array): number[] => {
  const b = typeof body === 'string' ? [...Buffer.from(body)] : [...body]
  return [(no << 3) | 2, ...varint(b.length), ...b]
}
const num = (no: number, v: number): number[] => [no << 3, ...varint(v)]
function handModel(spec: {
  nodes: Array<[op: string, inputs: string[], outputs: string[]]>
  inputs: string[]
  outputs: string[]
  scalars: Record<string, { type: 'float' | 'uint8' | 'int8'; value: number }>
  valueInfo?: string[]
  n?: number
}): Uint8Array {
  const n = spec.n ?? 6
  const value = (name: string): number[] => [...field(1, name), ...field(2, field(1, [...num(1, 1), ...field(2, field(1, num(1, n)))]))]
  const tensor = (name: string, t: { type: 'float' | 'uint8' | 'int8'; value: number }): number[] => {
    const raw = t.type === 'float' ? [...new Uint8Array(Float32Array.of(t.value).buffer)] : [t.value & 0xff]
    return [...num(2, t.type === 'float' ? 1 : t.type === 'uint8' ? 2 : 3), ...field(8, name), ...field(9, raw)]
  }
  const graph = [
    ...spec.nodes.flatMap(([op, ins, outs]) => field(1, [...ins.flatMap((i) => field(1, i)), ...outs.flatMap((o) => field(2, o)), ...field(4, op)])),
    ...field(2, 'hand'),
    ...Object.entries(spec.scalars).flatMap(([name, t]) => field(5, tensor(name, t))),
    ...spec.inputs.flatMap((i) => field(11, value(i))),
    ...spec.outputs.flatMap((o) => field(12, value(o))),
    ...(spec.valueInfo ?? []).flatMap((v) => field(13, value(v)))
  ]
  return Uint8Array.from([...num(1, 8), ...field(7, graph), ...field(8, num(2, 17))])
}

async function run(model: Uint8Array, x: number[]): Promise<Record<string, number[]>> {
  const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], logSeverityLevel: 3 })
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), [x.length]) })
  await s.release()
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...(v.data as Float32Array)]]))
}

test("the Clip keeps the pair's saturation and drops only its rounding (a quantizer that removed a ReLU relies on the clamp)", async () => {
  const x = [-3, -0.04, 0.123, 1.26, 25.4, 99]
  const scalars = { s: { type: 'float' as const, value: 0.1 }, z: { type: 'uint8' as const, value: 0 }, s2: { type: 'float' as const, value: 0.05 }, z2: { type: 'int8' as const, value: -3 } }
  const model = handModel({
    // x → Q/DQ (uint8, zp 0: [0, 25.5]) → y; y → Q/DQ (int8, zp −3: [−6.25, 6.5]) → w, a chain of two pairs
    nodes: [['QuantizeLinear', ['x', 's', 'z'], ['xq']], ['DequantizeLinear', ['xq', 's', 'z'], ['y']], ['QuantizeLinear', ['y', 's2', 'z2'], ['yq']], ['DequantizeLinear', ['yq', 's2', 'z2'], ['w']]],
    inputs: ['x'],
    outputs: ['y', 'w'],
    scalars
  })
  // A DequantizeLinear that is a graph output becomes a Clip under the same name: the output stays.
  const chain = stripActivationQdq(model)
  expect(chain.removed).toBe(2)
  expect(nodes(chain.bytes).map((n) => `${n.op}(${n.inputs.join(',')})>${n.outputs[0]}`)).toEqual(['Clip(x,y_clip_min,y_clip_max)>y', 'Clip(y,w_clip_min,w_clip_max)>w'])
  // value_info of the uint8 tensors goes with them; that of the float ones stays
  const inner = handModel({
    nodes: [['QuantizeLinear', ['x', 's', 'z'], ['xq']], ['DequantizeLinear', ['xq', 's', 'z'], ['xd']], ['Identity', ['xd'], ['y']],
      ['QuantizeLinear', ['xd', 's2', 'z2'], ['yq']], ['DequantizeLinear', ['yq', 's2', 'z2'], ['wd']], ['Identity', ['wd'], ['w']]],
    inputs: ['x'],
    outputs: ['y', 'w'],
    scalars,
    valueInfo: ['xq', 'xd', 'yq', 'wd']
  })
  const stripped = stripActivationQdq(inner)
  expect(stripped.removed).toBe(2)
  expect(nodes(stripped.bytes).map((n) => `${n.op}(${n.inputs.join(',')})`)).toEqual(['Clip(x,xd_clip_min,xd_clip_max)', 'Identity(xd)', 'Clip(xd,wd_clip_min,wd_clip_max)', 'Identity(wd)'])
  expect(valueInfos(stripped.bytes)).toEqual(['xd', 'wd'])
  const int8 = await run(model, x)
  const float = await run(chain.bytes, x)
  const clip = (v: number, lo: number, hi: number): number => Math.fround(Math.min(hi, Math.max(lo, v)))
  expect(float.y).toEqual(x.map((v) => clip(Math.fround(v), 0, Math.fround(25.5))))
  // int8, zero point −3, scale 0.05: [(−128 + 3)·0.05, (127 + 3)·0.05] = [−6.25, 6.5]
  expect(float.w).toEqual(float.y.map((v) => clip(v, Math.fround(-125 * Math.fround(0.05)), Math.fround(130 * Math.fround(0.05)))))
  // the int8 graph rounds to the step and saturates at the same bounds
  for (let i = 0; i < x.length; i++) expect(Math.abs(int8.y[i] - float.y[i])).toBeLessThanOrEqual(0.05 + 1e-6)
  expect(int8.y[0]).toBe(0)
  expect(int8.y[5]).toBeCloseTo(25.5, 5)
})

test('a pair is kept where replacing it would change what the graph computes or returns', () => {
  const scalars = { s: { type: 'float' as const, value: 0.1 }, z: { type: 'uint8' as const, value: 0 }, s2: { type: 'float' as const, value: 0.2 } }
  const strip = (spec: Parameters<typeof handModel>[0]): string[] => nodes(stripActivationQdq(handModel(spec)).bytes).map((n) => `${n.op}(${n.inputs[0]})`)
  const base = { inputs: ['x'], outputs: ['r'], scalars }
  // read by a DequantizeLinear and by another node: kept
  expect(strip({ ...base, nodes: [['QuantizeLinear', ['x', 's', 'z'], ['xq']], ['DequantizeLinear', ['xq', 's', 'z'], ['xd']], ['Identity', ['xq'], ['u']], ['Relu', ['xd'], ['r']]], outputs: ['r', 'u'] }))
    .toEqual(['QuantizeLinear(x)', 'DequantizeLinear(xq)', 'Identity(xq)', 'Relu(xd)'])
  // the QuantizeLinear's uint8 output is a graph output: kept
  expect(strip({ ...base, outputs: ['xq', 'r'], nodes: [['QuantizeLinear', ['x', 's', 'z'], ['xq']], ['DequantizeLinear', ['xq', 's', 'z'], ['r']]] }))
    .toEqual(['QuantizeLinear(x)', 'DequantizeLinear(xq)'])
  // a DequantizeLinear with another scale (a deliberate rescale): kept
  expect(strip({ ...base, nodes: [['QuantizeLinear', ['x', 's', 'z'], ['xq']], ['DequantizeLinear', ['xq', 's2', 'z'], ['xd']], ['Relu', ['xd'], ['r']]] }))
    .toEqual(['QuantizeLinear(x)', 'DequantizeLinear(xq)', 'Relu(xd)'])
  // the same values under other names: replaced
  expect(strip({ ...base, scalars: { ...scalars, s3: { type: 'float', value: 0.1 } }, nodes: [['QuantizeLinear', ['x', 's', 'z'], ['xq']], ['DequantizeLinear', ['xq', 's3', 'z'], ['xd']], ['Relu', ['xd'], ['r']]] }))
    .toEqual(['Clip(x)', 'Relu(xd)'])
  // a scale that is not an initializer (computed at run time): kept
  expect(strip({ ...base, nodes: [['Identity', ['s'], ['sv']], ['QuantizeLinear', ['x', 'sv', 'z'], ['xq']], ['DequantizeLinear', ['xq', 'sv', 'z'], ['xd']], ['Relu', ['xd'], ['r']]] }))
    .toEqual(['Identity(s)', 'QuantizeLinear(x)', 'DequantizeLinear(xq)', 'Relu(xd)'])
  // an empty optional input elsewhere stays empty
  const resize = nodes(stripActivationQdq(handModel({ ...base, nodes: [['QuantizeLinear', ['x', 's', 'z'], ['xq']], ['DequantizeLinear', ['xq', 's', 'z'], ['xd']], ['Resize', ['xd', '', 's'], ['r']]] })).bytes)
  expect(resize.map((n) => `${n.op}(${n.inputs.join(',')})`)).toEqual(['Clip(x,xd_clip_min,xd_clip_max)', 'Resize(xd,,s)'])
})

test('a graph with a subgraph comes back unchanged', () => {
  const scalars = { s: { type: 'float' as const, value: 0.1 }, z: { type: 'uint8' as const, value: 0 } }
  const model = handModel({ inputs: ['x'], outputs: ['r'], scalars, nodes: [['QuantizeLinear', ['x', 's', 'z'], ['xq']], ['DequantizeLinear', ['xq', 's', 'z'], ['xd']], ['Relu', ['xd'], ['r']]] })
  expect(stripActivationQdq(model).removed).toBe(1)
  // the same with an If node first, whose branch (attribute g) could read xq implicitly
  const ifNode = field(1, [...field(1, 'c'), ...field(2, 'o'), ...field(4, 'If'), ...field(5, [...field(1, 'then_branch'), ...field(6, field(2, 'b'))])])
  const f7 = [...fields(model, 0, model.length)].find((f) => f.no === 7)!
  const spliced = Uint8Array.from([...model.subarray(0, f7.at), ...field(7, [...ifNode, ...model.subarray(f7.start, f7.end)]), ...model.subarray(f7.next)])
  const r = stripActivationQdq(spliced)
  expect(r.removed).toBe(0)
  expect(r.bytes).toBe(spliced)
})
