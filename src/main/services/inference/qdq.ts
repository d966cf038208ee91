// The shipped isnet models are int8 in QDQ form: each activation passes QuantizeLinear → DequantizeLinear,
// which onnxruntime's CPU provider fuses into integer kernels (QLinearConv, QLinearAdd…), the reason they
// keep the 3-s budget on a 2-core CPU. The WebGPU provider does not fuse them and has no QuantizeLinear:
// on ccformer-isnet-s4 1.3.0 it ran all of them (208 in the file, 246 after onnxruntime's QDQ
// propagation) and 55 Transposes around them on the CPU, a GPU → CPU → GPU round trip per convolution.
// So for WebGPU the app replaces each activation pair by the Clip it amounts to without the rounding:
// Clip(x, s·(qmin − zp), s·(qmax − zp)), which keeps the pair's saturation (a quantizer that dropped a
// ReLU relies on it) and runs on the GPU; the int8 weights keep their DequantizeLinear. The file on
// disk is not changed.
import { fields, isOnnxDomain, readGraphInfo, readVarint, text, type Field } from './onnxGraph'

export interface QdqStrip {
  /** the rewritten model (the input itself when nothing was replaced) */
  bytes: Uint8Array
  /** activation QuantizeLinear nodes removed, each with its DequantizeLinear readers (now Clips) */
  removed: number
}

interface NodeInfo {
  field: Field
  inputs: string[]
  outputs: string[]
  opType: string
  domain: string
  /** has a graph-valued attribute (If, Loop, Scan bodies) */
  subgraph: boolean
}

interface Scalar {
  type: number
  value: number
}

const utf8 = new TextEncoder()

function varint(n: number): number[] {
  const out: number[] = []
  while (n > 0x7f) {
    out.push((n % 128) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}

/** Appends a length-delimited field (wire type 2) around `body` to `out` (no spread: bodies can be long). */
function pushLenField(out: Uint8Array[], no: number, body: Uint8Array[]): void {
  let len = 0
  for (const b of body) len += b.length
  out.push(Uint8Array.from([...varint(no * 8 + 2), ...varint(len)]))
  for (const b of body) out.push(b)
}

const lenField = (no: number, body: Uint8Array[]): Uint8Array[] => {
  const out: Uint8Array[] = []
  pushLenField(out, no, body)
  return out
}
const str = (no: number, s: string): Uint8Array[] => lenField(no, [utf8.encode(s)])

function readNode(buf: Uint8Array, f: Field): NodeInfo {
  const n: NodeInfo = { field: f, inputs: [], outputs: [], opType: '', domain: '', subgraph: false }
  for (const x of fields(buf, f.start, f.end)) {
    if (x.wire !== 2) continue
    if (x.no === 1) n.inputs.push(text(buf, x))
    else if (x.no === 2) n.outputs.push(text(buf, x))
    else if (x.no === 4) n.opType = text(buf, x)
    else if (x.no === 7) n.domain = text(buf, x)
    else if (x.no === 5) {
      // AttributeProto: g = 6, graphs = 11
      for (const a of fields(buf, x.start, x.end)) if ((a.no === 6 || a.no === 11) && a.wire === 2) n.subgraph = true
    }
  }
  return n
}

// TensorProto.DataType → the integer range of a quantized type
const Q_RANGE: Record<number, [number, number]> = { 2: [0, 255], 3: [-128, 127], 4: [0, 65535], 5: [-32768, 32767] }
/** A Q/DQ node without a zero point: uint8, 0 (ONNX's default). */
const NO_ZERO_POINT: Scalar = { type: 2, value: 0 }

/** A one-element float32 or 8/16-bit integer initializer's value; null for anything else. */
function readScalar(buf: Uint8Array, f: Field): Scalar | null {
  let type = 0
  let count = 1
  let raw: Field | null = null
  const values: number[] = []
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  for (const t of fields(buf, f.start, f.end)) {
    if (t.no === 1 && t.wire === 0) count *= t.int
    else if (t.no === 1 && t.wire === 2) for (const d of packedVarints(buf, t)) count *= d
    else if (t.no === 2 && t.wire === 0) type = t.int
    else if (t.no === 9 && t.wire === 2) raw = t
    else if (t.no === 14 && t.wire === 0 && t.int === 1) return null // external data
    else if (t.no === 4 && t.wire === 5) values.push(view.getFloat32(t.next - 4, true))
    else if (t.no === 4 && t.wire === 2) for (let p = t.start; p + 4 <= t.end; p += 4) values.push(view.getFloat32(p, true))
    else if (t.no === 5 && t.wire === 0) values.push(t.int)
    else if (t.no === 5 && t.wire === 2) values.push(...packedVarints(buf, t))
  }
  if (count !== 1) return null
  if (raw) {
    const at = raw.start
    const n = raw.end - raw.start
    if (type === 1 && n === 4) return { type, value: view.getFloat32(at, true) }
    if (type === 2 && n === 1) return { type, value: view.getUint8(at) }
    if (type === 3 && n === 1) return { type, value: view.getInt8(at) }
    if (type === 4 && n === 2) return { type, value: view.getUint16(at, true) }
    if (type === 5 && n === 2) return { type, value: view.getInt16(at, true) }
    return null
  }
  if (values.length !== 1) return null
  if (type === 1) return { type, value: values[0] }
  if (type in Q_RANGE) {
    // int32_data holds int8/int16 as varints of their two's-complement int32 (negative → 10 bytes)
    const v = values[0] >= 2 ** 63 ? values[0] - 2 ** 64 : values[0] >= 2 ** 31 ? values[0] - 2 ** 32 : values[0]
    return { type, value: v }
  }
  return null
}

/** The values of a packed repeated varint field. */
function packedVarints(buf: Uint8Array, f: Field): number[] {
  const out: number[] = []
  for (let p = f.start; p < f.end; ) {
    const v = readVarint(buf, p, f.end)
    out.push(v.value)
    p = v.next
  }
  return out
}

function floatInitializer(name: string, value: number): Uint8Array[] {
  const raw = new Uint8Array(4)
  new DataView(raw.buffer).setFloat32(0, value, true)
  return lenField(5, [...str(8, name), Uint8Array.from([2 << 3, 1]), ...lenField(9, [raw])]) // name, data_type FLOAT, raw_data
}

/**
 * Replaces every QuantizeLinear on an activation whose output feeds only DequantizeLinear nodes with
 * the same scalar scale and zero point by Clips to the quantizer's range; everything else in the file
 * is copied byte for byte. A model with subgraphs, external data or more than one graph comes back
 * unchanged. Throws OnnxFormatError on a malformed file.
 */
export function stripActivationQdq(buf: Uint8Array): QdqStrip {
  const unchanged = { bytes: buf, removed: 0 }
  const graphs: Field[] = []
  for (const f of fields(buf, 0, buf.length)) if (f.no === 7 && f.wire === 2) graphs.push(f)
  const opset = readGraphInfo(buf).opset ?? 0 // throws on a file without a graph
  // Clip takes its bounds as inputs from opset 11; a second graph field is not a model we know.
  if (graphs.length > 1 || opset < 11) return unchanged
  const graph = graphs[0]

  const nodes: NodeInfo[] = []
  const initializers = new Map<string, Field>()
  const names = new Set<string>()
  const graphOutputs = new Set<string>()
  for (const f of fields(buf, graph.start, graph.end)) {
    if (f.wire !== 2) continue
    if (f.no === 1) nodes.push(readNode(buf, f))
    else if (f.no === 5) {
      let name = ''
      for (const t of fields(buf, f.start, f.end)) {
        if (t.no === 8 && t.wire === 2) name = text(buf, t)
        if (t.no === 14 && t.wire === 0 && t.int === 1) return unchanged // external data: loading from bytes could not find it
      }
      initializers.set(name, f)
      names.add(name)
    } else if (f.no === 15) {
      for (const t of fields(buf, f.start, f.end)) {
        if (t.no !== 1 || t.wire !== 2) continue // SparseTensorProto.values, whose name is the initializer's
        for (const x of fields(buf, t.start, t.end)) if (x.no === 8 && x.wire === 2) names.add(text(buf, x))
      }
    } else if (f.no === 12) {
      for (const t of fields(buf, f.start, f.end)) if (t.no === 1 && t.wire === 2) graphOutputs.add(text(buf, t))
    } else if (f.no === 11) {
      for (const t of fields(buf, f.start, f.end)) if (t.no === 1 && t.wire === 2) names.add(text(buf, t))
    }
  }
  if (nodes.some((n) => n.subgraph)) return unchanged
  for (const n of nodes) for (const o of n.outputs) names.add(o)

  const consumers = new Map<string, NodeInfo[]>()
  for (const n of nodes) {
    for (const i of n.inputs) {
      if (!i) continue
      const list = consumers.get(i)
      if (list) list.push(n)
      else consumers.set(i, [n])
    }
  }
  const scalar = (name: string | undefined): Scalar | null => {
    const f = name ? initializers.get(name) : undefined
    return f ? readScalar(buf, f) : null
  }

  const dropped = new Set<NodeInfo>()
  const clips = new Map<NodeInfo, { src: string; lo: number; hi: number }>()
  let removed = 0
  for (const q of nodes) {
    if (q.opType !== 'QuantizeLinear' || !isOnnxDomain(q.domain) || q.outputs.length !== 1 || !q.outputs[0]) continue
    const src = q.inputs[0]
    if (!src || initializers.has(src) || graphOutputs.has(q.outputs[0])) continue
    const s = scalar(q.inputs[1])
    const z = q.inputs[2] ? scalar(q.inputs[2]) : NO_ZERO_POINT
    if (!s || s.type !== 1 || !(s.value > 0) || !z || !(z.type in Q_RANGE)) continue
    const users = consumers.get(q.outputs[0]) ?? []
    const same = (d: NodeInfo): boolean => {
      if (d.inputs[1] === q.inputs[1] && (d.inputs[2] ?? '') === (q.inputs[2] ?? '')) return true
      const ds = scalar(d.inputs[1])
      const dz = d.inputs[2] ? scalar(d.inputs[2]) : NO_ZERO_POINT
      return ds !== null && dz !== null && ds.value === s.value && dz.type === z.type && dz.value === z.value
    }
    const ok = users.length > 0 && users.every((d) => d.opType === 'DequantizeLinear' && isOnnxDomain(d.domain) && d.inputs[0] === q.outputs[0] && d.outputs.length === 1 && !!d.outputs[0] && same(d))
    if (!ok) continue
    const [qmin, qmax] = Q_RANGE[z.type]
    // What DequantizeLinear gives for the extreme codes, in float32 as onnxruntime computes it.
    const lo = Math.fround((qmin - z.value) * s.value)
    const hi = Math.fround((qmax - z.value) * s.value)
    dropped.add(q)
    for (const d of users) clips.set(d, { src, lo, hi })
    removed++
  }
  if (removed === 0) return unchanged

  const unique = (base: string): string => {
    let name = base
    for (let k = 1; names.has(name); k++) name = `${base}_${k}`
    names.add(name)
    return name
  }
  const goneTensors = new Set<string>()
  for (const n of dropped) for (const o of n.outputs) goneTensors.add(o)

  const graphBody: Uint8Array[] = []
  const newInitializers: Uint8Array[] = []
  let nodeIndex = 0
  for (const f of fields(buf, graph.start, graph.end)) {
    if (f.no === 1 && f.wire === 2) {
      const n = nodes[nodeIndex++]
      if (dropped.has(n)) continue
      const clip = clips.get(n)
      if (!clip) {
        graphBody.push(buf.subarray(f.at, f.next))
        continue
      }
      const out = n.outputs[0]
      const lo = unique(`${out}_clip_min`)
      const hi = unique(`${out}_clip_max`)
      newInitializers.push(...floatInitializer(lo, clip.lo), ...floatInitializer(hi, clip.hi))
      const name = unique(`${out}_clip`)
      pushLenField(graphBody, 1, [...str(1, clip.src), ...str(1, lo), ...str(1, hi), ...str(2, out), ...str(3, name), ...str(4, 'Clip')])
      continue
    }
    if (f.no === 13 && f.wire === 2) {
      // value_info of a tensor that no longer exists
      let name = ''
      for (const t of fields(buf, f.start, f.end)) if (t.no === 1 && t.wire === 2) name = text(buf, t)
      if (goneTensors.has(name)) continue
    }
    graphBody.push(buf.subarray(f.at, f.next))
  }
  for (const b of newInitializers) graphBody.push(b)

  const parts: Uint8Array[] = []
  for (const f of fields(buf, 0, buf.length)) {
    if (f.no === 7 && f.wire === 2) pushLenField(parts, 7, graphBody)
    else parts.push(buf.subarray(f.at, f.next))
  }
  return { bytes: Buffer.concat(parts), removed }
}
