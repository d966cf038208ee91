import type { MaskPayload } from '../../../shared/domain'
import type { LabelMap } from '../editor'

/** Label maps over the wire: zlib-deflated bytes in base64 (see MaskPayload in src/shared/domain.ts). */

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream)
  return new Uint8Array(await new Response(out).arrayBuffer())
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = ''
  // fromCharCode over bounded chunks: spreading 2 MB at once overflows the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

export function base64ToBytes(text: string): Uint8Array {
  const s = atob(text)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

export const deflate = (bytes: Uint8Array): Promise<Uint8Array> => pipe(bytes, new CompressionStream('deflate'))
export const inflate = (bytes: Uint8Array): Promise<Uint8Array> => pipe(bytes, new DecompressionStream('deflate'))

export async function decodeMask(payload: Pick<MaskPayload, 'width' | 'height' | 'data'>): Promise<LabelMap> {
  const data = await inflate(base64ToBytes(payload.data))
  if (data.length !== payload.width * payload.height) {
    throw new Error(`mask has ${data.length} bytes, expected ${payload.width}×${payload.height}`)
  }
  return { width: payload.width, height: payload.height, data }
}

export async function encodeMask(map: LabelMap): Promise<{ width: number; height: number; data: string }> {
  return { width: map.width, height: map.height, data: bytesToBase64(await deflate(map.data)) }
}
