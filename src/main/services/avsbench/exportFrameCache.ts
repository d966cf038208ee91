// Per-frame cache of the S4/MS3 export frame (the 224×224 RGB PNG), a file beside the frame image.
//
// A frame image does not change once imported, and decoding it (ffmpeg), resizing it and encoding
// the PNG are most of an S4/MS3 export's work, so the first export keeps each PNG beside its frame
// image and later exports (the usual re-export after mask edits) read it back. An entry is only used
// for the exact image bytes, decoder and implementation it was made from: its key is SHA-1 over
// the PNG this code makes of a fixed test image, the decoder's identity and the image bytes, so a
// change to the resize or the encoder, another ffmpeg, or another image makes old entries misses,
// never wrong answers (as the log-mel cache of clipAudio.ts does for the .pkl).
import { createHash } from 'node:crypto'
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { encodePng, resizeBilinearRGB } from '../../image/png'

// encodeBinaryClip's EXPORT_SIZE, not imported from there: it imports this module.
const SIZE = 224

const CACHE_MAGIC = Buffer.from('AVSFRM01', 'ascii')
const KEY_BYTES = 20
const HEADER_BYTES = CACHE_MAGIC.length + KEY_BYTES

/** Where a frame's cached export PNG lives: beside its image, removed with the clip's media folder. */
export const exportFrameCacheFile = (image: string): string => `${image}.frame${SIZE}`

/**
 * Bump when the frame pipeline changes in a way the fingerprint cannot see (decodeImages.ts's
 * ffmpeg arguments, the colour handling): every older entry then misses.
 */
const FRAME_PIPELINE_VERSION = 'frames/1'

let implFingerprint: Buffer | undefined
/**
 * SHA-1 of the export PNGs of fixed images through each resize path (upscale, the 2× halving of a
 * 448², a 640×360 downscale): changes whenever the resize or encoder output does.
 */
function fingerprint(): Buffer {
  if (!implFingerprint) {
    const h = createHash('sha1').update(FRAME_PIPELINE_VERSION)
    for (const [w, ht] of [[97, 61], [448, 448], [640, 360]]) {
      const rgb = new Uint8Array(w * ht * 3).map((_, i) => (i * 37 + ((i / 291) | 0) * 11) & 0xff)
      h.update(encodePng({ width: SIZE, height: SIZE, mode: 'RGB', data: resizeBilinearRGB(rgb, w, ht, SIZE, SIZE) }))
    }
    implFingerprint = h.digest()
  }
  return implFingerprint
}

/** Identity of the decoder (ffmpeg binary: path, size, modification time); another build may decode other pixels. */
export function frameDecoderId(ffmpeg: string): string {
  try {
    const st = statSync(ffmpeg)
    return `${ffmpeg}:${st.size}:${st.mtimeMs}`
  } catch {
    return ffmpeg
  }
}

/** The key (hex) an entry made from these image bytes with this decoder carries. */
export function frameCacheKey(image: Uint8Array, decoder: string): string {
  return createHash('sha1').update(fingerprint()).update(decoder).update('\0').update(image).digest('hex')
}

/** The cached PNG in `entry` if it carries `key`, else null. */
export function frameFromCache(entry: Uint8Array | null, key: string): Uint8Array | null {
  if (!entry || entry.length <= HEADER_BYTES) return null
  const e = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength)
  if (!e.subarray(0, CACHE_MAGIC.length).equals(CACHE_MAGIC)) return null
  if (e.toString('hex', CACHE_MAGIC.length, HEADER_BYTES) !== key) return null
  return e.subarray(HEADER_BYTES)
}

/** Writes an entry atomically (temp file + rename); best effort, since it is only a cache. */
export function writeFrameCache(cacheFile: string, key: string, png: Uint8Array): boolean {
  const tmp = `${cacheFile}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`
  try {
    writeFileSync(tmp, Buffer.concat([CACHE_MAGIC, Buffer.from(key, 'hex'), png]))
    renameSync(tmp, cacheFile)
    return true
  } catch {
    rmSync(tmp, { force: true })
    return false
  }
}

/** What the cache holds for a list of frame images: each one's key, and its PNG (null on a miss). */
export interface CachedFrames {
  keys: string[]
  pngs: Array<Uint8Array | null>
}

/** Reads the images and their entries; an image that cannot be read is a miss (the decoder then reports it). */
export async function readCachedFrames(images: readonly string[], decoder: string): Promise<CachedFrames> {
  const keys: string[] = []
  const pngs: Array<Uint8Array | null> = []
  await Promise.all(
    images.map(async (image, i) => {
      const [bytes, entry] = await Promise.all([readFile(image).catch(() => null), readFile(exportFrameCacheFile(image)).catch(() => null)])
      keys[i] = bytes ? frameCacheKey(bytes, decoder) : ''
      pngs[i] = bytes ? frameFromCache(entry, keys[i]) : null
    })
  )
  return { keys, pngs }
}
