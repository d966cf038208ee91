// The CPU-heavy part of an S4/MS3 clip export, as a pure function so it can run in a worker thread:
// frames resized (OpenCV-exact bilinear) and encoded, masks resized (nearest) to {0,255}, the .pkl.
import { encodePng, resizeBilinearRGB, resizeNearest } from '../../image/png'
import { decodeMask } from '../project/maskCodec'
import { clipLogMelPickle } from './clipAudio'

export const EXPORT_SIZE = 224

export interface BinaryClipInput {
  /** Packed RGB of each frame at frameWidth×frameHeight. */
  frames: Uint8Array[]
  frameWidth: number
  frameHeight: number
  /** Stored masks (deflated label maps) of the annotated frames, by 0-based frame index. */
  masks: Array<{ k: number; data: Uint8Array; width: number; height: number }>
  wav: Uint8Array
  audioSamples: number
  /** Named in error messages. */
  wavFile: string
}

export interface BinaryClipOutput {
  frames: Uint8Array[]
  masks: Array<{ k: number; png: Uint8Array }>
  pkl: Uint8Array
}

/** Label map (0 = background) at w×h → 224×224 `L` PNG with exactly 0 and 255. */
export function binaryMaskPng(labels: Uint8Array, w: number, h: number): Buffer {
  const small = resizeNearest(labels, w, h, EXPORT_SIZE, EXPORT_SIZE)
  for (let i = 0; i < small.length; i++) small[i] = small[i] ? 255 : 0
  return encodePng({ width: EXPORT_SIZE, height: EXPORT_SIZE, mode: 'L', data: small })
}

export function encodeBinaryClip(input: BinaryClipInput): BinaryClipOutput {
  const frames = input.frames.map((rgb) =>
    encodePng({ width: EXPORT_SIZE, height: EXPORT_SIZE, mode: 'RGB', data: resizeBilinearRGB(rgb, input.frameWidth, input.frameHeight, EXPORT_SIZE, EXPORT_SIZE) })
  )
  const masks = input.masks.map((m) => ({ k: m.k, png: binaryMaskPng(decodeMask(m.data, m.width, m.height), m.width, m.height) }))
  const pkl = clipLogMelPickle(Buffer.from(input.wav.buffer, input.wav.byteOffset, input.wav.byteLength), input.audioSamples, input.wavFile)
  return { frames, masks, pkl }
}
