import { createHash } from 'node:crypto'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { ApiError } from '../../../shared/api'
import { logMelExamples, padExamples } from '../../../shared/audio/logMel'
import { torchTensorPickle } from '../../export/torchPickle'
import { decodeWavPcm16 } from '../media/wav'

export const PKL_SHAPE = [5, 1, 96, 64]

/** The S4/MS3 `.pkl`: log-mel of the clip's real audio, padded to 5 examples by repeating the last (spec §4.2). */
export function clipLogMelPickle(wav: Buffer, audioSamples: number, file: string): Buffer {
  let pcm: Int16Array
  try {
    pcm = decodeWavPcm16(wav).samples
  } catch (err) {
    throw new ApiError('bad_audio', `${file}: ${(err as Error).message}`)
  }
  let ex = logMelExamples(pcm.subarray(0, Math.min(audioSamples, pcm.length)))
  // Under one 0.96 s example of real audio: use the padded clip (silence) rather than fail.
  if (ex.count === 0) ex = logMelExamples(pcm)
  if (ex.count === 0) throw new ApiError('bad_audio', `${file}: ${pcm.length} samples is too short for one log-mel example`)
  return torchTensorPickle(padExamples(ex, PKL_SHAPE[0], 'repeat-last').data, PKL_SHAPE)
}

// ---- Per-clip cache of the .pkl (a file beside the clip's audio.wav) ----
//
// Log-mel is the costliest part of a clip's export after the frames, and a clip's audio does not
// change once imported, so the .pkl bytes are kept beside its wav: written at import, or by the
// first export that needs them. An entry is only used for the exact wav bytes, audioSamples and
// implementation it was made from: its key is SHA-1 over the wav bytes, audioSamples and the
// .pkl this code makes of a fixed test signal, so a change to the log-mel or pickle code (or to
// the wav) makes old entries misses, never wrong answers.

const CACHE_MAGIC = Buffer.from('AVSLMEL1', 'ascii')
const KEY_BYTES = 20
const HEADER_BYTES = CACHE_MAGIC.length + KEY_BYTES

/** Where a clip's cached .pkl lives: beside its wav, removed with the clip's media folder. */
export const logMelCacheFile = (wavFile: string): string => `${wavFile}.logmel`

let implFingerprint: Buffer | undefined
/** SHA-1 of the .pkl of a fixed 1.2 s signal: changes whenever the log-mel or pickle output does. */
function fingerprint(): Buffer {
  if (!implFingerprint) {
    const pcm = new Int16Array(19200).map((_, i) => Math.round(9000 * Math.sin(i / 7) + 4000 * Math.sin(i / 53)))
    const pkl = torchTensorPickle(padExamples(logMelExamples(pcm), PKL_SHAPE[0], 'repeat-last').data, PKL_SHAPE)
    implFingerprint = createHash('sha1').update(pkl).digest()
  }
  return implFingerprint
}

function cacheKey(wav: Uint8Array, audioSamples: number): Buffer {
  const n = Buffer.alloc(8)
  n.writeDoubleLE(audioSamples)
  return createHash('sha1').update(fingerprint()).update(n).update(wav).digest()
}

/** The cached .pkl in `entry` if it was made from exactly these wav bytes and audioSamples, else null. */
export function logMelFromCache(entry: Uint8Array | null, wav: Uint8Array, audioSamples: number): Uint8Array | null {
  if (!entry || entry.length <= HEADER_BYTES) return null
  const e = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength)
  if (!e.subarray(0, CACHE_MAGIC.length).equals(CACHE_MAGIC)) return null
  if (!e.subarray(CACHE_MAGIC.length, HEADER_BYTES).equals(cacheKey(wav, audioSamples))) return null
  return e.subarray(HEADER_BYTES)
}

/** A cache entry holding `pkl`, made from `wav` and `audioSamples`. */
export function logMelCacheEntry(wav: Uint8Array, audioSamples: number, pkl: Uint8Array): Buffer {
  return Buffer.concat([CACHE_MAGIC, cacheKey(wav, audioSamples), pkl])
}

/** Reads an entry, null when there is none (or it cannot be read: then it is made again). */
export function readLogMelCache(cacheFile: string): Buffer | null {
  try {
    return readFileSync(cacheFile)
  } catch {
    return null
  }
}

/** Writes an entry atomically (temp file + rename); best effort, since it is only a cache. */
export function writeLogMelCache(cacheFile: string, entry: Uint8Array): boolean {
  const tmp = `${cacheFile}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`
  try {
    writeFileSync(tmp, entry)
    renameSync(tmp, cacheFile)
    return true
  } catch {
    rmSync(tmp, { force: true })
    return false
  }
}

/**
 * The clip's .pkl from its cache file when that holds one for these wav bytes; otherwise computed
 * (the same bytes as `clipLogMelPickle`) and stored there for the next export.
 */
export function cachedClipLogMelPickle(wav: Buffer, audioSamples: number, file: string, cacheFile: string): Buffer {
  const hit = logMelFromCache(readLogMelCache(cacheFile), wav, audioSamples)
  if (hit) return Buffer.from(hit.buffer, hit.byteOffset, hit.byteLength)
  const pkl = clipLogMelPickle(wav, audioSamples, file)
  writeLogMelCache(cacheFile, logMelCacheEntry(wav, audioSamples, pkl))
  return pkl
}
