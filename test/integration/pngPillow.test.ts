import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodePng, encodePng, resizeBilinearRGB, resizeNearest, type PngFilter, type PngImage } from '../../src/main/image/png'

const PY = '/usr/bin/python3'
function pythonHas(modules: string): boolean {
  if (!existsSync(PY)) return false
  try {
    execFileSync(PY, ['-c', `import ${modules}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const hasPillow = pythonHas('PIL, numpy')
const hasCv2 = pythonHas('cv2, numpy')

function rand(n: number, seed: number, mod = 256): Uint8Array {
  const a = new Uint8Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    a[i] = (s >>> 24) % mod
  }
  return a
}

function smooth(w: number, h: number, cn: number, seed: number): Uint8Array {
  const noise = rand(w * h * cn, seed, 24)
  const a = new Uint8Array(w * h * cn)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < cn; c++) {
        const i = (y * w + x) * cn + c
        a[i] = Math.round(128 + 100 * Math.sin(x / 17 + c) * Math.cos(y / 11)) + noise[i] // 28..251
      }
  return a
}

function vocPalette(n: number): Uint8Array {
  const p = new Uint8Array(768)
  for (let j = 0; j < n; j++) {
    let lab = j
    let i = 0
    let r = 0
    let g = 0
    let b = 0
    while (lab > 0) {
      r |= ((lab >> 0) & 1) << (7 - i)
      g |= ((lab >> 1) & 1) << (7 - i)
      b |= ((lab >> 2) & 1) << (7 - i)
      i++
      lab >>= 3
    }
    p.set([r, g, b], j * 3)
  }
  return p
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0
}

function runPython(dir: string, script: string): unknown {
  const file = join(dir, 'script.py')
  writeFileSync(file, script)
  return JSON.parse(execFileSync(PY, [file, dir], { encoding: 'utf8', maxBuffer: 64 << 20 }))
}

interface Written {
  name: string
  img: PngImage
  /** Encoder options; absent = the defaults. */
  opts?: { filter: PngFilter; level: number; strategy?: number }
}

describe('our PNGs read by Pillow', () => {
  let dir = ''
  let report: Record<string, { mode: string; size: [number, number]; palette: number[] | null; transparency: unknown }> = {}
  const mask = new Uint8Array(224 * 224)
  for (let y = 50; y < 170; y++) for (let x = 30; x < 160 + (y % 7); x++) mask[y * 224 + x] = 255
  const written: Written[] = [
    { name: 'mask_L', img: { width: 224, height: 224, mode: 'L', data: mask } },
    { name: 'frame_RGB_default', img: { width: 224, height: 224, mode: 'RGB', data: smooth(224, 224, 3, 9) } },
    { name: 'frame_RGB_zlib_default', img: { width: 64, height: 48, mode: 'RGB', data: smooth(64, 48, 3, 9) }, opts: { filter: 'up', level: 9, strategy: 0 } },
    { name: 'noise_L', img: { width: 31, height: 17, mode: 'L', data: rand(31 * 17, 1) }, opts: { filter: 'paeth', level: 9 } },
    { name: 'frame_RGB', img: { width: 224, height: 224, mode: 'RGB', data: smooth(224, 224, 3, 2) }, opts: { filter: 'up', level: 3 } },
    { name: 'frame_RGB_adaptive', img: { width: 97, height: 45, mode: 'RGB', data: smooth(97, 45, 3, 3) }, opts: { filter: 'adaptive', level: 6 } },
    { name: 'rgba', img: { width: 40, height: 30, mode: 'RGBA', data: rand(40 * 30 * 4, 4) }, opts: { filter: 'average', level: 1 } },
    { name: 'la', img: { width: 40, height: 30, mode: 'LA', data: rand(40 * 30 * 2, 5) }, opts: { filter: 'sub', level: 0 } },
    {
      name: 'labels_P',
      img: { width: 360, height: 240, mode: 'P', data: rand(360 * 240, 6, 71), palette: vocPalette(71) },
      opts: { filter: 'none', level: 3 }
    },
    {
      name: 'small_P_trns',
      img: {
        width: 9,
        height: 4,
        mode: 'P',
        data: rand(36, 7, 3),
        palette: new Uint8Array([0, 0, 0, 255, 0, 0, 0, 0, 255]),
        paletteAlpha: new Uint8Array([0, 200, 255])
      },
      opts: { filter: 'none', level: 6 }
    }
  ]

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'png-pillow-'))
    for (const w of written) writeFileSync(join(dir, `${w.name}.png`), encodePng(w.img, w.opts))
    writeFileSync(join(dir, 'names.json'), JSON.stringify(written.map((w) => w.name)))
    report = runPython(
      dir,
      `
import sys, json, numpy as np
from PIL import Image
d = sys.argv[1]
out = {}
for name in json.load(open(d + '/names.json')):
    im = Image.open(d + '/' + name + '.png')
    im.load()
    np.asarray(im).tofile(d + '/' + name + '.raw')
    pal = im.getpalette() if im.mode == 'P' else None
    t = im.info.get('transparency')
    out[name] = dict(mode=im.mode, size=list(im.size), palette=pal, transparency=list(t) if isinstance(t, bytes) else t)
print(json.dumps(out))
`
    ) as typeof report
  })

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  for (const w of written) {
    it(`${w.name}: Pillow mode ${w.img.mode}, size and exact pixels`, () => {
      const r = report[w.name]
      expect(r.mode).toBe(w.img.mode)
      expect(r.size).toEqual([w.img.width, w.img.height])
      expect(same(new Uint8Array(readFileSync(join(dir, `${w.name}.raw`))), w.img.data)).toBe(true)
      if (w.img.mode === 'P') {
        const pal = w.img.palette ?? new Uint8Array(0)
        expect(r.palette?.slice(0, pal.length)).toEqual(Array.from(pal))
      }
    })
  }

  it('palette transparency (tRNS) is read by Pillow', () => {
    expect(report.small_P_trns.transparency).toEqual([0, 200, 255])
    expect(report.labels_P.transparency).toBeNull()
  })
})

interface PillowWritten {
  name: string
  mode: string
  size: [number, number]
  palette: number[] | null
}

describe('Pillow-written PNGs decode exactly', () => {
  let dir = ''
  let files: PillowWritten[] = []

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pillow-png-'))
    files = runPython(
      dir,
      `
import sys, json, numpy as np
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(0)
out = []
def save(name, im, expected, **kw):
    im.save(d + '/' + name + '.png', **kw)
    np.ascontiguousarray(expected, dtype=np.uint8).tofile(d + '/' + name + '.raw')
    back = Image.open(d + '/' + name + '.png')
    pal = back.getpalette() if back.mode == 'P' else None
    out.append(dict(name=name, mode=back.mode, size=list(back.size), palette=pal))
H, W = 45, 67
yy, xx = np.mgrid[0:H, 0:W]
photo = np.stack([(xx * 3 + yy) % 256, (yy * 5) % 256, (xx * yy) % 256], -1).astype(np.uint8)
photo = np.clip(photo.astype(int) + rng.integers(-8, 9, photo.shape), 0, 255).astype(np.uint8)
L = photo[..., 0]
save('L', Image.fromarray(L, 'L'), L)
save('L_opt', Image.fromarray(L, 'L'), L, optimize=True)
mask = ((xx - 30) ** 2 + (yy - 20) ** 2 < 300).astype(np.uint8) * 255
save('mask_L', Image.fromarray(mask, 'L'), mask)
save('mask_1', Image.fromarray(mask, 'L').convert('1'), mask)
save('RGB', Image.fromarray(photo, 'RGB'), photo)
rgba = np.concatenate([photo, L[..., None]], -1)
save('RGBA', Image.fromarray(rgba, 'RGBA'), rgba)
la = np.stack([L, 255 - L], -1)
save('LA', Image.fromarray(la, 'LA'), la)
pal = [0] * 768
for j in range(71):
    lab, i, r, g, b = j, 0, 0, 0, 0
    while lab > 0:
        r |= ((lab >> 0) & 1) << (7 - i); g |= ((lab >> 1) & 1) << (7 - i); b |= ((lab >> 2) & 1) << (7 - i)
        i += 1; lab >>= 3
    pal[3 * j:3 * j + 3] = [r, g, b]
for n in (256, 71, 16, 4, 2):
    idx = rng.integers(0, n, (H, W)).astype(np.uint8)
    im = Image.fromarray(idx, 'P')
    im.putpalette(pal[:3 * n])
    save('P%d' % n, im, idx)
print(json.dumps(out))
`
    ) as PillowWritten[]
  })

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('wrote the expected set, with low bit depths among them', () => {
    expect(files.map((f) => f.name)).toEqual(['L', 'L_opt', 'mask_L', 'mask_1', 'RGB', 'RGBA', 'LA', 'P256', 'P71', 'P16', 'P4', 'P2'])
    // IHDR bit depth is byte 24 of the file
    const bits = Object.fromEntries(files.map((f) => [f.name, readFileSync(join(dir, `${f.name}.png`))[24]]))
    expect(bits.mask_1).toBe(1)
    expect(bits.L).toBe(8)
    expect(bits.P2).toBe(1)
    expect(bits.P4).toBe(2)
    expect(bits.P16).toBe(4)
  })

  it('each decodes to the same pixels, mode and palette', () => {
    for (const f of files) {
      const img = decodePng(readFileSync(join(dir, `${f.name}.png`)))
      const expected = new Uint8Array(readFileSync(join(dir, `${f.name}.raw`)))
      const mode = f.mode === '1' ? 'L' : f.mode // 1-bit grey decodes to L 0/255
      expect(img.mode, f.name).toBe(mode)
      expect([img.width, img.height], f.name).toEqual(f.size)
      expect(same(img.data, expected), f.name).toBe(true)
      if (f.mode === 'P') {
        const pal = img.palette ?? new Uint8Array(0)
        expect(Array.from(pal), f.name).toEqual((f.palette ?? []).slice(0, pal.length))
      }
    }
  })
})

describe('resizeNearest equals Pillow resize(NEAREST)', () => {
  const sizes: Array<[number, number, number, number]> = [
    [224, 224, 360, 240],
    [360, 240, 224, 224],
    [1920, 1080, 224, 224],
    [640, 360, 224, 224],
    [224, 224, 1000, 999],
    [13, 17, 45, 45],
    [7, 5, 3, 11],
    [100, 37, 224, 224]
  ]
  it(`${sizes.length} size pairs, exact`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'nearest-'))
    try {
      const inputs = sizes.map(([w, h], i) => rand(w * h, 100 + i, 71))
      inputs.forEach((a, i) => writeFileSync(join(dir, `in${i}.raw`), a))
      writeFileSync(join(dir, 'sizes.json'), JSON.stringify(sizes))
      runPython(
        dir,
        `
import sys, json, numpy as np
from PIL import Image
d = sys.argv[1]
for i, (w, h, W, H) in enumerate(json.load(open(d + '/sizes.json'))):
    a = np.fromfile(d + '/in%d.raw' % i, dtype=np.uint8).reshape(h, w)
    np.asarray(Image.fromarray(a, 'L').resize((W, H), Image.NEAREST)).tofile(d + '/out%d.raw' % i)
print('{}')
`
      )
      sizes.forEach(([w, h, W, H], i) => {
        const ours = resizeNearest(inputs[i], w, h, W, H)
        const pil = new Uint8Array(readFileSync(join(dir, `out${i}.raw`)))
        expect(same(ours, pil), `${w}×${h} → ${W}×${H}`).toBe(true)
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('resizeBilinearRGB equals cv2.resize INTER_LINEAR (needs python3-opencv)', () => {
  const sizes: Array<[number, number, number, number]> = [
    [1920, 1080, 224, 224],
    [1280, 720, 224, 224],
    [640, 360, 224, 224],
    [448, 448, 224, 224],
    [224, 224, 224, 112],
    [100, 50, 224, 224],
    [37, 23, 224, 224],
    [224, 224, 360, 240],
    [5, 3, 7, 9],
    [1, 1, 4, 3],
    [300, 2, 16, 5]
  ]
  it(`${sizes.length} size pairs, exact`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bilinear-'))
    try {
      const inputs = sizes.map(([w, h], i) => (i % 2 ? rand(w * h * 3, 200 + i) : smooth(w, h, 3, 200 + i)))
      inputs.forEach((a, i) => writeFileSync(join(dir, `in${i}.raw`), a))
      writeFileSync(join(dir, 'sizes.json'), JSON.stringify(sizes))
      runPython(
        dir,
        `
import sys, json, numpy as np, cv2
d = sys.argv[1]
for i, (w, h, W, H) in enumerate(json.load(open(d + '/sizes.json'))):
    a = np.fromfile(d + '/in%d.raw' % i, dtype=np.uint8).reshape(h, w, 3)
    cv2.resize(a, (W, H), interpolation=cv2.INTER_LINEAR).tofile(d + '/out%d.raw' % i)
print('{}')
`
      )
      sizes.forEach(([w, h, W, H], i) => {
        const ours = resizeBilinearRGB(inputs[i], w, h, W, H)
        const cv = new Uint8Array(readFileSync(join(dir, `out${i}.raw`)))
        let diff = 0
        let maxDiff = 0
        for (let k = 0; k < cv.length; k++) {
          const d = Math.abs(cv[k] - ours[k])
          if (d) diff++
          maxDiff = Math.max(maxDiff, d)
        }
        expect({ size: `${w}×${h} → ${W}×${H}`, diff, maxDiff }).toEqual({ size: `${w}×${h} → ${W}×${H}`, diff: 0, maxDiff: 0 })
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
