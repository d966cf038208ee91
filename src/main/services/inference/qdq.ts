// The shipped isnet models are int8 in QDQ form: each activation passes QuantizeLinear → DequantizeLinear,
// which onnxruntime's CPU provider fuses into integer kernels (QLinearConv, QLinearAdd…), the reason they
// keep the 3-s budget on a 2-core CPU. A GPU provider does not fuse them: WebGPU in onnxruntime-node
// 1.30 has no QuantizeLinear, so it placed all 208 activation QuantizeLinear nodes (and 55 Transposes
// around them) of ccformer-isnet-s4 1.3.0 on the CPU, a GPU → CPU → GPU round trip per convolution.
// For GPU providers the app removes the activation Q → DQ pairs before loading: the graph then runs
// float activations with the int8 weights dequantized in place (their DequantizeLinear stays), which
// WebGPU places entirely on the GPU. The file on disk is not changed.
import { fields, OnnxFormatError, text, type Field } from './onnxGraph'

export interface QdqStrip {
  /** the rewritten model (the input itself when nothing was removed) */
  bytes: Uint8Array
  /** activation QuantizeLinear nodes removed, each with its DequantizeLinear consumers */
  removed: number
}

interface NodeInfo {
  field: Field
  inputs: string[]
  outputs: string[]
  opType: string
  domain: string
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

/** A length-delimited field (wire type 2) around `body`, as the pieces to concatenate. */
function lenField(no: number, body: Uint8Array[]): Uint8Array[] {
  const len = body.reduce((a, b) => a + b.length, 0)
  return [Uint8Array.from([...varint(no * 8 + 2), ...varint(len)]), ...body]
}

const isOnnxDomain = (d: string): boolean => d === '' || d === 'ai.onnx'

function readNode(buf: Uint8Array, f: Field): NodeInfo {
  const n: NodeInfo = { field: f, inputs: [], outputs: [], opType: '', domain: '' }
  for (const x of fields(buf, f.start, f.end)) {
    if (x.wire !== 2) continue
    if (x.no === 1) n.inputs.push(text(buf, x))
    else if (x.no === 2) n.outputs.push(text(buf, x))
    else if (x.no === 4) n.opType = text(buf, x)
    else if (x.no === 7) n.domain = text(buf, x)
  }
  return n
}

/**
 * Removes every QuantizeLinear on an activation (not on an initializer) whose output feeds only
 * DequantizeLinear nodes, together with those nodes; their consumers read the float tensor instead.
 * Everything else in the file is copied byte for byte. Throws OnnxFormatError on a malformed file.
 */
export function stripActivationQdq(buf: Uint8Array): QdqStrip {
  let graph: Field | null = null
  for (const f of fields(buf, 0, buf.length)) if (f.no === 7 && f.wire === 2) graph = f
  if (!graph) throw new OnnxFormatError('it has no graph')

  const nodes: NodeInfo[] = []
  const initializers = new Set<string>()
  const graphOutputs = new Set<string>()
  for (const f of fields(buf, graph.start, graph.end)) {
    if (f.wire !== 2) continue
    if (f.no === 1) nodes.push(readNode(buf, f))
    else if (f.no === 5) {
      for (const t of fields(buf, f.start, f.end)) if (t.no === 8 && t.wire === 2) initializers.add(text(buf, t))
    } else if (f.no === 12) {
      for (const t of fields(buf, f.start, f.end)) if (t.no === 1 && t.wire === 2) graphOutputs.add(text(buf, t))
    }
  }

  const consumers = new Map<string, NodeInfo[]>()
  for (const n of nodes) {
    for (const i of n.inputs) {
      if (!i) continue
      const list = consumers.get(i)
      if (list) list.push(n)
      else consumers.set(i, [n])
    }
  }

  const dropped = new Set<NodeInfo>()
  const rename = new Map<string, string>()
  let removed = 0
  for (const q of nodes) {
    if (q.opType !== 'QuantizeLinear' || !isOnnxDomain(q.domain) || q.outputs.length !== 1) continue
    const src = q.inputs[0]
    if (!src || initializers.has(src) || graphOutputs.has(q.outputs[0])) continue
    const users = consumers.get(q.outputs[0]) ?? []
    const ok = users.length > 0 && users.every((d) => d.opType === 'DequantizeLinear' && isOnnxDomain(d.domain) && d.inputs[0] === q.outputs[0] && d.outputs.length === 1 && !graphOutputs.has(d.outputs[0]))
    if (!ok) continue
    dropped.add(q)
    for (const d of users) {
      dropped.add(d)
      rename.set(d.outputs[0], src)
    }
    removed++
  }
  if (removed === 0) return { bytes: buf, removed: 0 }

  // A removed pair's source can itself be a removed pair's output (DQ → Q requantization).
  const resolve = (name: string): string => {
    let n = name
    for (let hops = 0; rename.has(n); hops++) {
      if (hops > rename.size) throw new OnnxFormatError('a cycle among QuantizeLinear/DequantizeLinear nodes')
      n = rename.get(n) as string
    }
    return n
  }
  const goneTensors = new Set<string>()
  for (const n of dropped) for (const o of n.outputs) goneTensors.add(o)

  const nodeBytes = (n: NodeInfo): Uint8Array[] => {
    if (!n.inputs.some((i) => rename.has(i))) return [buf.subarray(n.field.at, n.field.next)]
    const body: Uint8Array[] = []
    for (const x of fields(buf, n.field.start, n.field.end)) {
      if (x.no === 1 && x.wire === 2 && rename.has(text(buf, x))) body.push(...lenField(1, [utf8.encode(resolve(text(buf, x)))]))
      else body.push(buf.subarray(x.at, x.next))
    }
    return lenField(1, body)
  }

  const graphBody: Uint8Array[] = []
  let nodeIndex = 0
  for (const f of fields(buf, graph.start, graph.end)) {
    if (f.no === 1 && f.wire === 2) {
      const n = nodes[nodeIndex++]
      if (!dropped.has(n)) graphBody.push(...nodeBytes(n))
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

  const parts: Uint8Array[] = []
  for (const f of fields(buf, 0, buf.length)) {
    if (f.no === 7 && f.wire === 2) parts.push(...lenField(7, graphBody))
    else parts.push(buf.subarray(f.at, f.next))
  }
  const total = parts.reduce((a, b) => a + b.length, 0)
  const out = new Uint8Array(total)
  let pos = 0
  for (const p of parts) {
    out.set(p, pos)
    pos += p.length
  }
  return { bytes: out, removed }
}
