// The two inner loops of the OpenCV-exact bilinear resize (png.ts) as a small WebAssembly SIMD
// module, assembled here from its instructions (no toolchain, no binary blob in the repository).
// It computes exactly what the TypeScript loops compute, in integers:
//   hrow: for each output pixel, per channel c:  (src[xo0+c]·xa0 + src[xo1+c]·xa1) >> 4
//   vrow: for each element i:                    (((A[i]·b0) >> 16) + ((B[i]·b1) >> 16) + 2) >> 2
// png.ts uses it when the runtime has WebAssembly SIMD, and its TypeScript loops otherwise; a test
// compares the two on random images and sizes, and the cv2 test checks whichever is in use.

const I32 = 0x7f
const V128 = 0x7b

// core opcodes
const LOCAL_GET = 0x20
const LOCAL_SET = 0x21
const LOCAL_TEE = 0x22
const I32_LOAD = 0x28
const I32_CONST = 0x41
const I32_EQZ = 0x45
const I32_LT_U = 0x49
const I32_ADD = 0x6a
const I32_SHL = 0x74
const BLOCK = 0x02
const LOOP = 0x03
const BR_IF = 0x0d
const END = 0x0b
const VOID = 0x40

// SIMD opcodes (0xfd prefix, LEB128 opcode)
const SIMD = {
  load: 0,
  load8x8_u: 2,
  store: 11,
  i32x4_splat: 17,
  i8x16_narrow_i16x8_u: 102,
  i16x8_narrow_i32x4_s: 133,
  i32x4_extend_low_i16x8_u: 169,
  i32x4_shr_s: 172,
  i32x4_add: 174,
  i32x4_mul: 181
} as const

function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n) b |= 0x80
    out.push(b)
  } while (n)
  return out
}

function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm]
/** memarg: alignment hint 0 (always valid), then the offset. */
const mem = (offset = 0): number[] => [0, ...uleb(offset)]
const get = (i: number): number[] => [LOCAL_GET, ...uleb(i)]
const set = (i: number): number[] => [LOCAL_SET, ...uleb(i)]
const i32 = (v: number): number[] => [I32_CONST, ...sleb(v)]
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()]
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body]
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'ascii')]

// hrow(src, xo0, xo1, xa0, xa1, n, dst): n output pixels; tables of i32 at xo0..xa1; dst i32 × 3 per
// pixel. Each pixel stores 4 lanes (the 4th is overwritten by the next pixel, or lands in padding).
function hrowBody(): number[] {
  const [src, xo0, xo1, xa0, xa1, n, dst, i, end] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
  const tap = (xo: number, xa: number): number[] => [
    ...get(src), ...get(xo), ...get(i), I32_ADD, I32_LOAD, ...mem(), I32_ADD,
    ...simd(SIMD.load8x8_u, ...mem()),
    ...simd(SIMD.i32x4_extend_low_i16x8_u),
    ...get(xa), ...get(i), I32_ADD, I32_LOAD, ...mem(),
    ...simd(SIMD.i32x4_splat),
    ...simd(SIMD.i32x4_mul)
  ]
  const code = [
    ...get(n), ...i32(2), I32_SHL, ...set(end),
    BLOCK, VOID,
    ...get(end), I32_EQZ, BR_IF, 0,
    LOOP, VOID,
    ...get(dst),
    ...tap(xo0, xa0),
    ...tap(xo1, xa1),
    ...simd(SIMD.i32x4_add),
    ...i32(4), ...simd(SIMD.i32x4_shr_s),
    ...simd(SIMD.store, ...mem()),
    ...get(dst), ...i32(12), I32_ADD, ...set(dst),
    ...get(i), ...i32(4), I32_ADD, LOCAL_TEE, i,
    ...get(end), I32_LT_U, BR_IF, 0,
    END,
    END,
    END
  ]
  return [...vec([[2, I32]]), ...code]
}

// vrow(a, b, out, n, b0, b1): n elements (a multiple of 16) of the i32 rows a and b → n bytes at out.
function vrowBody(): number[] {
  const [a, b, out, n, b0, b1, i, end, b0v, b1v, two] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  const lanes = (off: number): number[] => [
    ...get(a), ...get(i), I32_ADD, ...simd(SIMD.load, ...mem(off)),
    ...get(b0v), ...simd(SIMD.i32x4_mul), ...i32(16), ...simd(SIMD.i32x4_shr_s),
    ...get(b), ...get(i), I32_ADD, ...simd(SIMD.load, ...mem(off)),
    ...get(b1v), ...simd(SIMD.i32x4_mul), ...i32(16), ...simd(SIMD.i32x4_shr_s),
    ...simd(SIMD.i32x4_add),
    ...get(two), ...simd(SIMD.i32x4_add),
    ...i32(2), ...simd(SIMD.i32x4_shr_s)
  ]
  const code = [
    ...get(b0), ...simd(SIMD.i32x4_splat), ...set(b0v),
    ...get(b1), ...simd(SIMD.i32x4_splat), ...set(b1v),
    ...i32(2), ...simd(SIMD.i32x4_splat), ...set(two),
    ...get(n), ...i32(2), I32_SHL, ...set(end),
    BLOCK, VOID,
    ...get(end), I32_EQZ, BR_IF, 0,
    LOOP, VOID,
    ...get(out),
    ...lanes(0), ...lanes(16), ...simd(SIMD.i16x8_narrow_i32x4_s),
    ...lanes(32), ...lanes(48), ...simd(SIMD.i16x8_narrow_i32x4_s),
    ...simd(SIMD.i8x16_narrow_i16x8_u),
    ...simd(SIMD.store, ...mem()),
    ...get(out), ...i32(16), I32_ADD, ...set(out),
    ...get(i), ...i32(64), I32_ADD, LOCAL_TEE, i,
    ...get(end), I32_LT_U, BR_IF, 0,
    END,
    END,
    END
  ]
  return [...vec([[2, I32], [3, V128]]), ...code]
}

function moduleBytes(): Uint8Array {
  const hrowType = [0x60, ...vec(Array.from({ length: 7 }, () => [I32])), ...vec([])]
  const vrowType = [0x60, ...vec(Array.from({ length: 6 }, () => [I32])), ...vec([])]
  const bodies = [hrowBody(), vrowBody()]
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([hrowType, vrowType])),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec([[...name('hrow'), 0x00, 0], [...name('vrow'), 0x00, 1], [...name('mem'), 0x02, 0]])),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b])))
  ])
}

/** The part of WebAssembly.Memory used here (the node typings of this project lack the WebAssembly API). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: Record<string, unknown> }
}

export interface BilinearKernels {
  memory: WasmMemory
  hrow: (src: number, xo0: number, xo1: number, xa0: number, xa1: number, n: number, dst: number) => void
  vrow: (a: number, b: number, out: number, n: number, b0: number, b1: number) => void
}

let kernels: BilinearKernels | null | undefined

/** The compiled kernels, or null where WebAssembly SIMD is not available (the caller uses TypeScript). */
export function bilinearKernels(): BilinearKernels | null {
  if (kernels !== undefined) return kernels
  try {
    const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly
    if (!wasm) return (kernels = null)
    const instance = new wasm.Instance(new wasm.Module(moduleBytes()))
    const e = instance.exports as unknown as BilinearKernels & { mem: WasmMemory }
    kernels = { memory: e.mem, hrow: e.hrow, vrow: e.vrow }
  } catch {
    kernels = null
  }
  return kernels
}

/** For tests: forget the kernels, or run without them (null). */
export function setBilinearKernels(k: BilinearKernels | null | undefined): void {
  kernels = k
}
