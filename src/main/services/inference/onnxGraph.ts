// Reads the inputs and outputs of an ONNX file straight from its protobuf, without loading it
// into onnxruntime: listing models stays fast and a broken file gets a precise reason.

export interface GraphValue {
  name: string
  /** ONNX TensorProto.DataType (1 = float32); 0 when the value is not a tensor. */
  elemType: number
  /** One entry per axis: a size, or the symbolic name of a dynamic axis. */
  shape: Array<number | string>
}

export interface GraphInfo {
  irVersion: number
  opset: number | null
  inputs: GraphValue[]
  outputs: GraphValue[]
}

export class OnnxFormatError extends Error {}

export interface Field {
  no: number
  wire: number
  /** varint value (wire 0) */
  int: number
  /** bytes of a length-delimited field (wire 2) */
  start: number
  end: number
  /** where the field's key starts and where the next field starts: buf[at, next) is the whole field */
  at: number
  next: number
}

/** Iterates the fields of one protobuf message in buf[start, end). */
/** The varint at buf[pos] (before `end`) and where the next value starts. Throws OnnxFormatError. */
export function readVarint(buf: Uint8Array, pos: number, end: number): { value: number; next: number } {
  let result = 0
  let mul = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new OnnxFormatError('the file ends in the middle of a value (truncated?)')
    const b = buf[pos++]
    result += (b & 0x7f) * mul
    if ((b & 0x80) === 0) return { value: result, next: pos }
    mul *= 128
  }
  throw new OnnxFormatError('malformed varint')
}

export function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  let pos = start
  const varint = (): number => {
    const v = readVarint(buf, pos, end)
    pos = v.next
    return v.value
  }
  while (pos < end) {
    const at = pos
    const key = varint()
    const no = Math.floor(key / 8)
    const wire = key & 7
    if (no === 0) throw new OnnxFormatError('field number 0')
    if (wire === 0) {
      const int = varint()
      yield { no, wire, int, start: 0, end: 0, at, next: pos }
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4
      if (pos + n > end) throw new OnnxFormatError('the file ends in the middle of a value (truncated?)')
      pos += n
      yield { no, wire, int: 0, start: 0, end: 0, at, next: pos }
    } else if (wire === 2) {
      const len = varint()
      if (pos + len > end) throw new OnnxFormatError(`a field needs ${len} bytes but only ${end - pos} remain (truncated?)`)
      yield { no, wire, int: 0, start: pos, end: pos + len, at, next: pos + len }
      pos += len
    } else throw new OnnxFormatError(`unsupported protobuf wire type ${wire}`)
  }
}

const utf8 = new TextDecoder()
export const text = (buf: Uint8Array, f: Field): string => utf8.decode(buf.subarray(f.start, f.end))

/** The default ONNX operator set's domain, by either of its names. */
export const isOnnxDomain = (domain: string): boolean => domain === '' || domain === 'ai.onnx'

function valueInfo(buf: Uint8Array, s: number, e: number): GraphValue {
  const v: GraphValue = { name: '', elemType: 0, shape: [] }
  for (const f of fields(buf, s, e)) {
    if (f.no === 1 && f.wire === 2) v.name = text(buf, f)
    if (f.no !== 2 || f.wire !== 2) continue
    for (const t of fields(buf, f.start, f.end)) {
      if (t.no !== 1 || t.wire !== 2) continue // tensor_type
      for (const tt of fields(buf, t.start, t.end)) {
        if (tt.no === 1 && tt.wire === 0) v.elemType = tt.int
        if (tt.no !== 2 || tt.wire !== 2) continue
        for (const d of fields(buf, tt.start, tt.end)) {
          if (d.no !== 1 || d.wire !== 2) continue
          let dim: number | string = '?'
          for (const x of fields(buf, d.start, d.end)) {
            if (x.no === 1 && x.wire === 0) dim = x.int
            if (x.no === 2 && x.wire === 2) dim = text(buf, x)
          }
          v.shape.push(dim)
        }
      }
    }
  }
  return v
}

/** Parses ModelProto → graph inputs (minus initializers) and outputs. Throws OnnxFormatError. */
export function readGraphInfo(buf: Uint8Array): GraphInfo {
  let irVersion = 0
  let opset: number | null = null
  let graph: Field | null = null
  for (const f of fields(buf, 0, buf.length)) {
    if (f.no === 1 && f.wire === 0) irVersion = f.int
    if (f.no === 7 && f.wire === 2) graph = f
    if (f.no === 8 && f.wire === 2) {
      let domain = ''
      let version = 0
      for (const o of fields(buf, f.start, f.end)) {
        if (o.no === 1 && o.wire === 2) domain = text(buf, o)
        if (o.no === 2 && o.wire === 0) version = o.int
      }
      if (isOnnxDomain(domain)) opset = version
    }
  }
  if (!irVersion || !graph) throw new OnnxFormatError(irVersion ? 'it has no graph' : 'it has no ONNX header (ir_version)')
  const inputs: GraphValue[] = []
  const outputs: GraphValue[] = []
  const initializers = new Set<string>()
  for (const f of fields(buf, graph.start, graph.end)) {
    if (f.wire !== 2) continue
    if (f.no === 11) inputs.push(valueInfo(buf, f.start, f.end))
    else if (f.no === 12) outputs.push(valueInfo(buf, f.start, f.end))
    else if (f.no === 5) {
      for (const t of fields(buf, f.start, f.end)) if (t.no === 8 && t.wire === 2) initializers.add(text(buf, t))
    }
  }
  // Old exporters list weights as graph inputs too; they are not inputs the app feeds.
  return { irVersion, opset, inputs: inputs.filter((i) => !initializers.has(i.name)), outputs }
}
