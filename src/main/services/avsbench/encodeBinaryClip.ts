// The CPU-heavy part of an S4/MS3 clip export, as a pure function so it can run in a worker thread:
// frames resized (OpenCV-exact bilinear) and encoded, masks resized (nearest) to {0,255}, the .pkl.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import { encodePng, resizeBilinearRGBFilled, resizeBilinearRGBTransient, resizeNearestMapped } from '../../image/png'
import { decodeMask } from '../project/maskCodec'
import { cachedClipLogMelPickle, clipLogMelPickle } from './clipAudio'
import { writeFrameCache } from './exportFrameCache'

export const EXPORT_SIZE = 224

export interface BinaryClipInput {
  /** Packed RGB of each frame at frameWidth×frameHeight (empty when `framesFile` is given). */
  frames: Uint8Array[]
  /**
   * Or: `count` frames packed one after the other in a file from `offset` (the export's decoded
   * batch), read here, so the pixels never pass through the thread that posts the clip.
   */
  framesFile?: { path: string; offset: number; count: number }
  frameWidth: number
  frameHeight: number
  /** Per frame: the export frame cache entry to (re)write with the encoded PNG, and its key (exportFrameCache). */
  frameCache?: Array<{ file: string; key: string }>
  /** Stored masks (deflated label maps) of the annotated frames, by 0-based frame index. */
  masks: Array<{ k: number; data: Uint8Array; width: number; height: number }>
  /** The clip's wav bytes; when absent they are read from `wavFile`. */
  wav?: Uint8Array
  audioSamples: number
  /** Named in error messages; read when `wav` is absent. */
  wavFile: string
  /** The clip's log-mel cache file (see clipAudio): used when it matches the wav, else (re)written. */
  logMelCache?: string
}

export interface BinaryClipOutput {
  frames: Uint8Array[]
  masks: Array<{ k: number; png: Uint8Array }>
  pkl: Uint8Array
}

/** Label map (0 = background) at w×h → 224×224 `L` PNG with exactly 0 and 255. */
export function binaryMaskPng(labels: Uint8Array, w: number, h: number): Buffer {
  const small = resizeNearestMapped(labels, w, h, EXPORT_SIZE, EXPORT_SIZE, FOREGROUND_255)
  return encodePng({ width: EXPORT_SIZE, height: EXPORT_SIZE, mode: 'L', data: small })
}

/** Label → mask value: background 0, any class 255. */
const FOREGROUND_255 = new Uint8Array(256).fill(255, 1)

/** Reads `count` frames of `frameBytes` from the decoded batch file, each into the buffer `each` gets filled. */
function readFrames(file: NonNullable<BinaryClipInput['framesFile']>, frameBytes: number, each: (fill: (dst: Uint8Array) => void) => void): void {
  const fd = openSync(file.path, 'r')
  try {
    for (let k = 0; k < file.count; k++) {
      each((dst) => {
        let got = 0
        while (got < frameBytes) {
          const n = readSync(fd, dst, got, frameBytes - got, file.offset + k * frameBytes + got)
          if (n === 0) throw new Error(`${file.path}: decoded frames end early (frame ${k} of ${file.count})`)
          got += n
        }
      })
    }
  } finally {
    closeSync(fd)
  }
}

export function encodeBinaryClip(input: BinaryClipInput): BinaryClipOutput {
  const { frameWidth: w, frameHeight: h } = input
  const frames: Uint8Array[] = []
  // Each frame is encoded at once: the resized pixels may live in memory the next resize reuses.
  const encode = (small: Uint8Array): void => {
    const png = encodePng({ width: EXPORT_SIZE, height: EXPORT_SIZE, mode: 'RGB', data: small })
    const entry = input.frameCache?.[frames.length]
    if (entry?.key) writeFrameCache(entry.file, entry.key, png)
    frames.push(png)
  }
  // Frames from the batch file are read straight into the resize kernels' memory.
  if (input.framesFile) readFrames(input.framesFile, w * h * 3, (fill) => encode(resizeBilinearRGBFilled(fill, w, h, EXPORT_SIZE, EXPORT_SIZE)))
  else for (const rgb of input.frames) encode(resizeBilinearRGBTransient(rgb, w, h, EXPORT_SIZE, EXPORT_SIZE))
  const masks = input.masks.map((m) => ({ k: m.k, png: binaryMaskPng(decodeMask(m.data, m.width, m.height), m.width, m.height) }))
  const wav = input.wav ? Buffer.from(input.wav.buffer, input.wav.byteOffset, input.wav.byteLength) : readWav(input.wavFile)
  const pkl = input.logMelCache ? cachedClipLogMelPickle(wav, input.audioSamples, input.wavFile, input.logMelCache) : clipLogMelPickle(wav, input.audioSamples, input.wavFile)
  return { frames, masks, pkl }
}

function readWav(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new Error(`${file}: cannot read the clip's audio (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
}
