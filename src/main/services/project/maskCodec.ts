import { deflateSync, inflateSync } from 'node:zlib'
import { ApiError } from '../../../shared/api'

/** Masks are label maps (one byte per pixel: 0 = background, else class id), stored zlib-deflated. */
export const MASK_ENCODING = 'u8-deflate'

export function encodeMask(labels: Uint8Array): Buffer {
  return deflateSync(labels, { level: 6 })
}

export function decodeMask(data: Uint8Array, width: number, height: number): Uint8Array {
  let out: Buffer
  try {
    out = inflateSync(data, { maxOutputLength: width * height + 1 })
  } catch (err) {
    throw new ApiError('bad_mask', `Mask data is not a deflated label map (${(err as Error).message})`)
  }
  if (out.length !== width * height) throw new ApiError('bad_mask', `Mask has ${out.length} pixels, expected ${width}×${height} = ${width * height}`)
  return new Uint8Array(out.buffer, out.byteOffset, out.length)
}

/** The largest label value a project accepts: 1 for binary tasks, 70 for AVSS's 71 classes. */
export function checkLabels(labels: Uint8Array, maxLabel: number): void {
  let max = 0
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i]
  if (max > maxLabel) throw new ApiError('bad_class', `Mask uses class ${max}, which does not exist in this project (largest is ${maxLabel})`)
}
