// A pickled torch float32 tensor written without Python (spec avsbench-format §4.2): exactly what
// `pickle.dump(tensor, f)` (protocol 4) writes for a CPU float tensor in PyTorch:
//   torch._utils._rebuild_tensor_v2(torch.storage._load_from_bytes(<legacy torch.save bytes>),
//                                   0, shape, strides, requires_grad, OrderedDict())
// where the bytes are the legacy (non-zip) `torch.save(storage)` format, pickle protocol 2.

/** Legacy torch.save magic number, 0x1950a86a20f9469cfc6c, as pickle LONG1 little-endian bytes. */
const MAGIC_LE = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
const LEGACY_PROTOCOL_VERSION = 1001
// pickle: python's pickle framer commits a frame at 64 KiB and writes bigger byte strings unframed
const FRAME_SIZE_TARGET = 64 * 1024

const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  NONE: 0x4e,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  GLOBAL: 0x63,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  BINPUT: 0x71,
  SETITEMS: 0x75,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  BINBYTES8: 0x8e,
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  SHORT_BINUNICODE: 0x8c,
  MEMOIZE: 0x94,
  STACK_GLOBAL: 0x93,
  FRAME: 0x95
} as const

export interface TorchPickleOptions {
  /** Written into the tensor; AVSBench's files have true (spec §4.2). Default true. */
  requiresGrad?: boolean
  /** Storage key inside the legacy bytes (torch uses str(id(storage))); any decimal string works. */
  storageKey?: string
}

/** Growable byte sink. */
class ByteWriter {
  private buf: Buffer
  length = 0

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(initial)
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.length)
    this.buf = next
  }

  byte(...bytes: number[]): void {
    this.reserve(bytes.length)
    for (const b of bytes) this.buf[this.length++] = b
  }

  u16(v: number): void {
    this.reserve(2)
    this.buf.writeUInt16LE(v, this.length)
    this.length += 2
  }

  u32(v: number): void {
    this.reserve(4)
    this.buf.writeUInt32LE(v, this.length)
    this.length += 4
  }

  i32(v: number): void {
    this.reserve(4)
    this.buf.writeInt32LE(v, this.length)
    this.length += 4
  }

  u64(v: number): void {
    this.reserve(8)
    this.buf.writeBigUInt64LE(BigInt(v), this.length)
    this.length += 8
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length)
  }
}

/** Python's save_long for protocol ≥ 2. */
function writeInt(w: ByteWriter, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`torchPickle: not an integer: ${v}`)
  if (v >= 0 && v <= 0xff) w.byte(OP.BININT1, v)
  else if (v >= 0 && v <= 0xffff) {
    w.byte(OP.BININT2)
    w.u16(v)
  } else if (v >= -0x80000000 && v <= 0x7fffffff) {
    w.byte(OP.BININT)
    w.i32(v)
  } else {
    // LONG1: minimal two's-complement little-endian bytes
    let big = BigInt(v)
    const out: number[] = []
    for (;;) {
      out.push(Number(big & 0xffn))
      big >>= 8n
      const signBit = (out[out.length - 1] & 0x80) !== 0
      if ((big === 0n && !signBit) || (big === -1n && signBit)) break
    }
    w.byte(OP.LONG1, out.length, ...out)
  }
}

/** Protocol-2 BINUNICODE string (the caller writes the BINPUT that follows it). */
function writeBinUnicode(w: ByteWriter, s: string): void {
  const b = Buffer.from(s, 'utf8')
  w.byte(OP.BINUNICODE)
  w.u32(b.length)
  w.bytes(b)
}

/** The legacy (non-zip) `torch.save(float_storage)` bytes, pickle protocol 2 as torch writes them. */
export function legacyFloatStorageBytes(data: Float32Array, storageKey = '0'): Buffer {
  if (!/^\d+$/.test(storageKey)) throw new Error(`torchPickle: storage key must be decimal digits, got '${storageKey}'`)
  const w = new ByteWriter(data.byteLength + 512)
  // 1. magic number
  w.byte(OP.PROTO, 2, OP.LONG1, MAGIC_LE.length, ...MAGIC_LE, OP.STOP)
  // 2. protocol version
  w.byte(OP.PROTO, 2)
  writeInt(w, LEGACY_PROTOCOL_VERSION)
  w.byte(OP.STOP)
  // 3. sys_info = {protocol_version: 1001, little_endian: True, type_sizes: {short: 2, int: 4, long: 4}}
  let memo = 0
  w.byte(OP.PROTO, 2, OP.EMPTY_DICT, OP.BINPUT, memo++, OP.MARK)
  writeBinUnicode(w, 'protocol_version')
  w.byte(OP.BINPUT, memo++)
  writeInt(w, LEGACY_PROTOCOL_VERSION)
  writeBinUnicode(w, 'little_endian')
  w.byte(OP.BINPUT, memo++, OP.NEWTRUE)
  writeBinUnicode(w, 'type_sizes')
  w.byte(OP.BINPUT, memo++, OP.EMPTY_DICT, OP.BINPUT, memo++, OP.MARK)
  for (const [name, size] of [
    ['short', 2],
    ['int', 4],
    ['long', 4]
  ] as const) {
    writeBinUnicode(w, name)
    w.byte(OP.BINPUT, memo++, OP.BININT1, size)
  }
  w.byte(OP.SETITEMS, OP.SETITEMS, OP.STOP)
  // 4. the storage, as its persistent id ('storage', FloatStorage, key, 'cpu', numel, None)
  memo = 0
  w.byte(OP.PROTO, 2, OP.MARK)
  writeBinUnicode(w, 'storage')
  w.byte(OP.BINPUT, memo++, OP.GLOBAL)
  w.bytes(Buffer.from('torch\nFloatStorage\n', 'ascii'))
  w.byte(OP.BINPUT, memo++)
  writeBinUnicode(w, storageKey)
  w.byte(OP.BINPUT, memo++)
  writeBinUnicode(w, 'cpu')
  w.byte(OP.BINPUT, memo++)
  writeInt(w, data.length)
  w.byte(OP.NONE, OP.TUPLE, OP.BINPUT, memo++, OP.BINPERSID, OP.STOP)
  // 5. sorted storage keys
  memo = 0
  w.byte(OP.PROTO, 2, OP.EMPTY_LIST, OP.BINPUT, memo++)
  writeBinUnicode(w, storageKey)
  w.byte(OP.BINPUT, memo++, OP.APPEND, OP.STOP)
  // 6. element count (int64) then raw little-endian float32 data
  w.u64(data.length)
  w.bytes(littleEndianFloat32Bytes(data))
  return w.result()
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function littleEndianFloat32Bytes(data: Float32Array): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (HOST_IS_LITTLE_ENDIAN) return view
  const out = Buffer.allocUnsafe(data.byteLength)
  for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i], i * 4)
  return out
}

/** Protocol-4 pickler output with Python's framing (FRAME opcodes, large bytes unframed). */
class Protocol4Writer {
  private readonly out = new ByteWriter(1024)
  private frame = new ByteWriter(512)

  constructor() {
    this.out.byte(OP.PROTO, 4)
  }

  private commitFrame(): void {
    if (this.frame.length === 0) return
    this.out.byte(OP.FRAME)
    this.out.u64(this.frame.length)
    this.out.bytes(this.frame.result())
    this.frame = new ByteWriter(512)
  }

  /** Python commits the current frame before saving each object once it reaches 64 KiB. */
  boundary(): void {
    if (this.frame.length >= FRAME_SIZE_TARGET) this.commitFrame()
  }

  op(...bytes: number[]): void {
    this.frame.byte(...bytes)
  }

  memoize(): void {
    this.frame.byte(OP.MEMOIZE)
  }

  int(v: number): void {
    this.boundary()
    writeInt(this.frame, v)
  }

  shortString(s: string): void {
    this.boundary()
    const b = Buffer.from(s, 'utf8')
    if (b.length >= 256) throw new Error('torchPickle: string too long')
    this.frame.byte(OP.SHORT_BINUNICODE, b.length)
    this.frame.bytes(b)
    this.memoize()
  }

  global(module: string, name: string): void {
    this.boundary()
    this.shortString(module)
    this.shortString(name)
    this.frame.byte(OP.STACK_GLOBAL)
    this.memoize()
  }

  binBytes(b: Uint8Array): void {
    this.boundary()
    const header = new ByteWriter(9)
    if (b.length < 256) header.byte(OP.SHORT_BINBYTES, b.length)
    else if (b.length > 0xffffffff) {
      header.byte(OP.BINBYTES8)
      header.u64(b.length)
    } else {
      header.byte(OP.BINBYTES)
      header.u32(b.length)
    }
    if (b.length >= FRAME_SIZE_TARGET) {
      this.commitFrame()
      this.out.bytes(header.result())
      this.out.bytes(b)
    } else {
      this.frame.bytes(header.result())
      this.frame.bytes(b)
    }
    this.memoize()
  }

  intTuple(values: readonly number[]): void {
    this.boundary()
    if (values.length === 0) {
      this.frame.byte(OP.EMPTY_TUPLE)
      return
    }
    if (values.length > 3) this.frame.byte(OP.MARK)
    for (const v of values) this.int(v)
    const closing = [OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][values.length - 1] ?? OP.TUPLE
    this.frame.byte(closing)
    this.memoize()
  }

  finish(): Buffer {
    this.frame.byte(OP.STOP)
    this.commitFrame()
    return this.out.result()
  }
}

/** Row-major (C-contiguous) strides of a shape, in elements, as torch computes them. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length)
  let s = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s
    s *= Math.max(shape[i], 1)
  }
  return strides
}

/**
 * Bytes of `pickle.dump(t)` for a contiguous CPU float32 tensor t of the given shape, so that
 * `pickle.load(f).detach()` in Python returns it (spec avsbench-format §4.2).
 */
export function torchTensorPickle(data: Float32Array, shape: number[], opts: TorchPickleOptions = {}): Buffer {
  const numel = shape.reduce((a, b) => a * b, 1)
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`torchPickle: bad dimension ${d} in [${shape.join(', ')}]`)
  }
  if (numel !== data.length) {
    throw new RangeError(`torchPickle: shape [${shape.join(', ')}] needs ${numel} values, got ${data.length}`)
  }
  const storage = legacyFloatStorageBytes(data, opts.storageKey ?? '0')
  const p = new Protocol4Writer()
  p.global('torch._utils', '_rebuild_tensor_v2')
  p.op(OP.MARK)
  p.global('torch.storage', '_load_from_bytes')
  p.binBytes(storage)
  p.op(OP.TUPLE1)
  p.memoize()
  p.op(OP.REDUCE)
  p.memoize()
  p.int(0) // storage offset
  p.intTuple(shape)
  p.intTuple(contiguousStrides(shape))
  p.boundary()
  p.op(opts.requiresGrad === false ? OP.NEWFALSE : OP.NEWTRUE)
  p.global('collections', 'OrderedDict')
  p.op(OP.EMPTY_TUPLE, OP.REDUCE)
  p.memoize()
  p.op(OP.TUPLE)
  p.memoize()
  p.op(OP.REDUCE)
  p.memoize()
  return p.finish()
}
