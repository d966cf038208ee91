import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { encodePng, resizeBilinearRGB } from '../src/main/image/png'
import { decodeImagesRgb } from '../src/main/services/avsbench/decodeImages'
import { decodeClipFrames } from '../src/main/services/inference/decodeFrames'
import { parseCard } from '../src/main/services/inference/modelCard'
import { resolveTool } from '../src/main/services/media/ffmpegTools'
import { record, WORK_DIR } from './lib'

const run = promisify(execFile)

/** The part of sharp's API used here (sharp is not a dependency; see loadSharp). */
interface SharpPipeline {
  png(o?: { compressionLevel?: number }): SharpPipeline
  toColourspace(space: string): SharpPipeline
  resize(w: number, h: number, o: { fit: 'fill'; kernel: 'linear' }): SharpPipeline
  raw(): SharpPipeline
  toBuffer(): Promise<Buffer>
}
type Sharp = ((input: string | Uint8Array, o?: { raw: { width: number; height: number; channels: 1 | 3 } }) => SharpPipeline) & { cache(on: boolean): void }

/**
 * sharp when it can be loaded: it is not a dependency, since it won no job (see the figures and
 * src/main/image/png.ts); to compare again, `npm i --no-save sharp` or put an install on NODE_PATH.
 */
function loadSharp(): Sharp | null {
  try {
    return createRequire(__filename)('sharp') as Sharp
  } catch {
    return null
  }
}

/** CPU time of this process (all threads) and of its finished child processes (Linux: /proc), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage()
  let children = 0
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    children = (Number(f[13]) + Number(f[14])) * 10
  } catch {
    // no /proc: ffmpeg's share is missing from the ffmpeg figures
  }
  return (u.user + u.system) / 1000 + children
}

/** Median CPU ms per item over `rounds` runs of `fn` (which handles `items` items). */
async function cpuPerItem(items: number, rounds: number, fn: () => unknown): Promise<number> {
  await fn()
  const per: number[] = []
  for (let r = 0; r < rounds; r++) {
    const c0 = cpuMs()
    await fn()
    per.push((cpuMs() - c0) / items)
  }
  return per.sort((a, b) => a - b)[rounds >> 1]
}

/** Largest and mean absolute difference of two byte arrays. */
function diff(a: Uint8Array, b: Uint8Array): string {
  let max = 0
  let sum = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    if (d > max) max = d
    sum += d
  }
  return `max |Δ| ${max}, mean ${(sum / a.length).toFixed(2)}`
}

/**
 * Each image job of export and inference, the code the app uses against sharp (libvips), in CPU
 * time per image (this process's threads plus ffmpeg's), which a busy machine inflates less than
 * wall time. value = the app's code, baseline = sharp: a ratio under 1 means the app's code costs less.
 */
export async function benchCodecs(): Promise<void> {
  const ffmpeg = resolveTool('ffmpeg').path
  const sharp = loadSharp()
  if (!sharp) process.stdout.write('sharp is not installed: figures without a baseline (npm i --no-save sharp to compare)\n')
  sharp?.cache(false)
  const dir = join(WORK_DIR, 'codecs-bench')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const N = 40
  // Frames as import stores them: 640×360 JPEG at ffmpeg -q:v 2.
  await run(ffmpeg, ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=2', '-frames:v', String(N), '-q:v', '2', '-start_number', '0', join(dir, 'f%d.jpg')])
  const jpgs = Array.from({ length: N }, (_, i) => join(dir, `f${i}.jpg`))
  const frames = await decodeImagesRgb(ffmpeg, { files: jpgs, width: 640, height: 360 }, join(dir, 'list.txt'))
  const small = frames.map((f) => resizeBilinearRGB(f, 640, 360, 224, 224))
  const mask = new Uint8Array(224 * 224).fill(255, 224 * 60, 224 * 140)
  // An AVSS label map at source size: a few class regions, as labels_semantic (P) and labels_rgb (RGB).
  const labels = new Uint8Array(640 * 360).map((_, i) => (((i % 640) >> 6) + ((i / 640 / 90) | 0)) % 4 === 0 ? 0 : 7 + ((i % 640) >> 7))
  const palette = new Uint8Array(768).map((_, i) => (i * 53) & 0xff)
  const labelsRgb = new Uint8Array(640 * 360 * 3).map((_, i) => palette[labels[(i / 3) | 0] * 3 + (i % 3)])
  const rounds = 5

  const raw = (data: Uint8Array, width: number, height: number, channels: 1 | 3): SharpPipeline => sharp!(data, { raw: { width, height, channels } })
  const both = async (name: string, hand: () => unknown, lib: (() => Promise<unknown>) | null, note: string): Promise<void> => {
    const h = await cpuPerItem(N, rounds, async () => {
      for (let i = 0; i < N; i++) await hand()
    })
    const s = lib
      ? await cpuPerItem(N, rounds, async () => {
          for (let i = 0; i < N; i++) await lib()
        })
      : null
    record(`codecs.${name}`, h, 'ms cpu', s, note)
  }

  await both('png_L_224', () => encodePng({ width: 224, height: 224, mode: 'L', data: mask }), sharp && (() => raw(mask, 224, 224, 1).toColourspace('b-w').png().toBuffer()), 'S4/MS3 mask; png.ts vs sharp png() (level 6), same pixels')
  await both('png_P_224', () => encodePng({ width: 224, height: 224, mode: 'P', data: labels.subarray(0, 224 * 224), palette }), null, 'AVSS labels_semantic, png.ts; sharp cannot write given palette indexes (palette: true quantises)')
  await both('png_P_640x360', () => encodePng({ width: 640, height: 360, mode: 'P', data: labels, palette }), null, 'AVSS labels_semantic at source size, png.ts only (as above)')
  let i = 0
  await both('png_RGB_224', () => encodePng({ width: 224, height: 224, mode: 'RGB', data: small[i++ % N] }), sharp && (() => raw(small[i++ % N], 224, 224, 3).png().toBuffer()), 'S4/MS3 frame; png.ts (up filter, Z_RLE) vs sharp png() (level 6), same pixels')
  await both('png_RGB_640x360', () => encodePng({ width: 640, height: 360, mode: 'RGB', data: labelsRgb }), sharp && (() => raw(labelsRgb, 640, 360, 3).png().toBuffer()), 'AVSS labels_rgb at source size; same pixels')
  // Decoding: ffmpeg decodes a whole batch in one process (the export's way) vs sharp one file at a time.
  const sharpFrame = sharp ? await sharp(jpgs[0]).raw().toBuffer() : null
  const decodeFfmpeg = await cpuPerItem(N, rounds, () => decodeImagesRgb(ffmpeg, { files: jpgs, width: 640, height: 360 }, join(dir, 'list.txt')))
  const decodeSharp = sharp ? await cpuPerItem(N, rounds, () => Promise.all(jpgs.map((f) => sharp(f).raw().toBuffer()))) : null
  record('codecs.jpeg_decode_640x360', decodeFfmpeg, 'ms cpu', decodeSharp, `export's frames: ffmpeg (one process per batch) vs sharp${sharpFrame ? `; pixels ${diff(frames[0], sharpFrame)} (sharp's are libjpeg's, as Pillow and cv2.imread decode)` : ''}`)
  const sharpSmall = sharp ? await raw(frames[0], 640, 360, 3).resize(224, 224, { fit: 'fill', kernel: 'linear' }).raw().toBuffer() : null
  i = 0
  await both('resize_640x360_to_224', () => resizeBilinearRGB(frames[i++ % N], 640, 360, 224, 224), sharp && (() => raw(frames[i++ % N], 640, 360, 3).resize(224, 224, { fit: 'fill', kernel: 'linear' }).raw().toBuffer()), `export's frames: png.ts (cv2.resize INTER_LINEAR, bit-exact) vs sharp linear${sharpSmall ? ` (${diff(small[0], sharpSmall)} from cv2's)` : ''}`)
  // Model input: ffmpeg decodes and scales a clip's 5 frames in one process vs sharp per frame.
  // The input sizes of the shipped models, from their cards (ccformer-tiny-s4 160, ccformer-isnet-s4 1.2.0 768).
  const sizes = ['ccformer-tiny-s4', 'ccformer-isnet-s4'].map((m) => {
    const file = join(__dirname, '..', 'models', `${m}.model.json`)
    return parseCard(readFileSync(file, 'utf8'), file).input_size[0]
  })
  for (const S of sizes) {
    const clip = jpgs.slice(0, 5)
    const viaFfmpeg = await cpuPerItem(5, rounds, () => decodeClipFrames(ffmpeg, clip, S, S))
    const viaSharp = sharp ? await cpuPerItem(5, rounds, () => Promise.all(clip.map((f) => sharp(f).resize(S, S, { fit: 'fill', kernel: 'linear' }).raw().toBuffer()))) : null
    record(`codecs.model_input_640x360_to_${S}`, viaFfmpeg, 'ms cpu', viaSharp, `inference frames (per frame, clips of 5): ffmpeg decode + scale (bilinear) vs sharp decode + resize (linear)`)
  }
  rmSync(dir, { recursive: true, force: true })
}
