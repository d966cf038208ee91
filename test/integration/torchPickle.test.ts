import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contiguousStrides, legacyFloatStorageBytes, torchTensorPickle } from '../../src/main/export/torchPickle'

const PY = '/usr/bin/python3'
const hasTorch = ((): boolean => {
  if (!existsSync(PY)) return false
  try {
    execFileSync(PY, ['-c', 'import torch, numpy'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

interface Case {
  name: string
  shape: number[]
  data: Float32Array
  requiresGrad: boolean
}

interface PyResult {
  type: string
  dtype: string
  shape: number[]
  stride: number[]
  requires_grad: boolean
  is_leaf: boolean
  contiguous: boolean
  bit_exact: boolean
  max_abs: number
  key: string
  detach_ok: boolean
}

function seeded(n: number, seed: number): Float32Array {
  const a = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    a[i] = (s / 2 ** 32) * 20 - 10
  }
  return a
}

function specials(): Float32Array {
  const a = new Float32Array([0, -0, 1, -1, Infinity, -Infinity, NaN, 1e-45, 3.4028234663852886e38, Math.log(0.01)])
  return a
}

const cases: Case[] = [
  { name: 'logmel', shape: [5, 1, 96, 64], data: seeded(5 * 96 * 64, 1), requiresGrad: true },
  { name: 'logmel_nograd', shape: [5, 1, 96, 64], data: seeded(5 * 96 * 64, 2), requiresGrad: false },
  { name: 'avss', shape: [10, 1, 96, 64], data: seeded(10 * 96 * 64, 3), requiresGrad: true },
  { name: 'scalar', shape: [], data: new Float32Array([3.25]), requiresGrad: true },
  { name: 'vec3', shape: [3], data: new Float32Array([1, 2, 3]), requiresGrad: true },
  { name: 'mat2x3', shape: [2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]), requiresGrad: true },
  { name: 'specials', shape: [2, 5], data: specials(), requiresGrad: false },
  { name: 'five_dims', shape: [1, 1, 1, 2, 1], data: new Float32Array([7, 8]), requiresGrad: true },
  { name: 'empty', shape: [0, 3], data: new Float32Array(0), requiresGrad: false },
  { name: 'big_dims', shape: [3, 70000], data: seeded(3 * 70000, 5), requiresGrad: false },
  { name: 'long_vec', shape: [70000], data: seeded(70000, 4), requiresGrad: true },
  // around python's 64 KiB frame boundary: storage bytes inside a frame, past it, or unframed
  ...[16280, 16300, 16310, 16320, 16330, 16384].map((n) => ({
    name: `frame_${n}`,
    shape: [n],
    data: seeded(n, n),
    requiresGrad: true
  }))
]
const CHECK_SCRIPT = `
import sys, json, pickle, numpy as np, torch
d = sys.argv[1]
out = {}
for c in json.load(open(d + '/manifest.json')):
    name, shape = c['name'], c['shape']
    with open(d + '/' + name + '.pkl', 'rb') as f:
        t = pickle.load(f)
    r = dict(type=type(t).__name__, requires_grad=t.requires_grad, is_leaf=t.is_leaf)
    t2 = t.detach()
    r['detach_ok'] = True
    exp = np.fromfile(d + '/' + name + '.f32', dtype='<f4')
    got = t2.numpy().reshape(-1)
    r.update(dtype=str(t2.dtype), shape=list(t2.shape), stride=list(t2.stride()), contiguous=t2.is_contiguous())
    r['bit_exact'] = bool(got.shape == exp.shape and np.array_equal(got.view('<u4'), exp.view('<u4')))
    fin = np.isfinite(exp)
    r['max_abs'] = float(np.abs(got[fin] - exp[fin]).max()) if fin.any() else 0.0
    ref = torch.from_numpy(exp.copy()).reshape(shape)
    if c['requiresGrad']:
        ref.requires_grad_(True)
    b = pickle.dumps(ref, protocol=4)
    i = b.index(b'ctorch\\nFloatStorage\\nq\\x01X') + len(b'ctorch\\nFloatStorage\\nq\\x01X')
    n = int.from_bytes(b[i:i + 4], 'little')
    r['key'] = b[i + 4:i + 4 + n].decode()
    open(d + '/' + name + '.python.pkl', 'wb').write(b)
    out[name] = r
print(json.dumps(out))
`

describe('torchTensorPickle loads in real PyTorch (Debian python3-torch)', () => {
  let dir = ''
  let results: Record<string, PyResult> = {}

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'torchpickle-'))
    for (const c of cases) {
      writeFileSync(join(dir, `${c.name}.pkl`), torchTensorPickle(c.data, c.shape, { requiresGrad: c.requiresGrad }))
      writeFileSync(join(dir, `${c.name}.f32`), Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength))
    }
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify(cases.map((c) => ({ name: c.name, shape: c.shape, requiresGrad: c.requiresGrad })))
    )
    writeFileSync(join(dir, 'check.py'), CHECK_SCRIPT)
    const out = execFileSync(PY, [join(dir, 'check.py'), dir], { encoding: 'utf8', maxBuffer: 64 << 20 })
    results = JSON.parse(out) as Record<string, PyResult>
  })

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  for (const c of cases) {
    it(`${c.name} ${JSON.stringify(c.shape)}: float32, shape, values and requires_grad`, () => {
      const r = results[c.name]
      expect(r).toBeDefined()
      expect(r.type).toBe('Tensor')
      expect(r.detach_ok).toBe(true)
      expect(r.dtype).toBe('torch.float32')
      expect(r.shape).toEqual(c.shape)
      expect(r.stride).toEqual(contiguousStrides(c.shape))
      expect(r.contiguous).toBe(true)
      expect(r.requires_grad).toBe(c.requiresGrad)
      expect(r.is_leaf).toBe(true)
      expect(r.bit_exact).toBe(true)
      expect(r.max_abs).toBeLessThanOrEqual(1e-6)
    })

    it(`${c.name}: bytes identical to python's pickle.dumps(tensor, protocol=4)`, () => {
      const r = results[c.name]
      const python = readFileSync(join(dir, `${c.name}.python.pkl`))
      const ours = torchTensorPickle(c.data, c.shape, { requiresGrad: c.requiresGrad, storageKey: r.key })
      expect(ours.length).toBe(python.length)
      expect(Buffer.compare(ours, python)).toBe(0)
    })
  }

  it('the [5,1,96,64] file is about 123 kB', () => {
    const size = readFileSync(join(dir, 'logmel.pkl')).length
    expect(size).toBeGreaterThan(123_000)
    expect(size).toBeLessThan(123_400)
  })
})

describe('torchTensorPickle without Python', () => {
  it('refuses a shape that does not match the data', () => {
    expect(() => torchTensorPickle(new Float32Array(5), [2, 3])).toThrow(/needs 6 values, got 5/)
    expect(() => torchTensorPickle(new Float32Array(0), [-1])).toThrow(RangeError)
    expect(() => torchTensorPickle(new Float32Array(2), [2.5])).toThrow(RangeError)
  })
  it('computes contiguous strides like torch (zero-size dims count as 1)', () => {
    expect(contiguousStrides([5, 1, 96, 64])).toEqual([6144, 6144, 64, 1])
    expect(contiguousStrides([])).toEqual([])
    expect(contiguousStrides([0, 3])).toEqual([3, 1])
  })
  it('legacy storage bytes: magic, protocol 1001, numel and raw data at the end', () => {
    const data = new Float32Array([1, 2, 3])
    const b = legacyFloatStorageBytes(data, '42')
    expect(b.subarray(0, 15).toString('hex')).toBe('80028a0a6cfc9c46f9206aa850192e')
    expect(b.subarray(15, 21).toString('hex')).toBe('80024de9032e')
    expect(b.subarray(b.length - 20, b.length - 12).readBigUInt64LE()).toBe(3n)
    expect(Buffer.compare(b.subarray(b.length - 12), Buffer.from(data.buffer))).toBe(0)
    expect(b.includes(Buffer.from('torch\nFloatStorage\n'))).toBe(true)
    expect(() => legacyFloatStorageBytes(data, 'x y')).toThrow(/decimal/)
  })
  it('starts with protocol 4 and ends with STOP', () => {
    const b = torchTensorPickle(new Float32Array(6144 * 5), [5, 1, 96, 64])
    expect(b[0]).toBe(0x80)
    expect(b[1]).toBe(4)
    expect(b[b.length - 1]).toBe(0x2e)
  })
})
