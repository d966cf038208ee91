import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../../../shared/api'

export interface ImageBatch {
  /** Absolute paths of images that share one codec and one size. */
  files: string[]
  width: number
  height: number
}

const quote = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`

/** A temp file of packed RGB frames, `frameBytes` each in the order of the batch's files. */
export interface DecodedFrames {
  file: string
  width: number
  height: number
  frameBytes: number
  count: number
}

/** A file for decoded frames: in shared memory where there is some, so raw frames never reach the export's disk. */
export function rawFramesFile(listFile: string): string {
  return existsSync('/dev/shm') ? join('/dev/shm', `avs-${process.pid}-${randomUUID()}.rgb`) : `${listFile}.rgb`
}

/**
 * Decodes many same-size images to packed RGB in `rawFile` with ONE ffmpeg process (concat
 * demuxer), since starting ffmpeg costs more than decoding a few small frames. The caller reads
 * the frames from the file (or hands it to workers) and removes it; on failure it is removed here.
 */
export async function decodeImagesToFile(ffmpeg: string, batch: ImageBatch, listFile: string, rawFile: string, signal?: AbortSignal): Promise<DecodedFrames> {
  const { files, width, height } = batch
  const frameBytes = width * height * 3
  await writeFile(listFile, files.map((f) => `file ${quote(f)}\nduration 1\n`).join(''))
  let stderr = ''
  try {
    await new Promise<void>((resolve, reject) => {
      const args = ['-hide_banner', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', listFile, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', rawFile]
      const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'], signal })
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('error', (err) => reject(signal?.aborted ? new ApiError('cancelled', 'cancelled') : err))
      child.on('close', (code) => {
        if (signal?.aborted) return reject(new ApiError('cancelled', 'cancelled'))
        if (code !== 0) return reject(new ApiError('decode_failed', `ffmpeg could not decode the frame images starting with ${files[0]}: ${stderr.trim().split('\n')[0] ?? `exit code ${code}`}`))
        resolve()
      })
    })
    const size = (await stat(rawFile)).size
    if (size !== frameBytes * files.length) {
      throw new ApiError('decode_failed', `ffmpeg decoded ${size} bytes from ${files.length} frame image(s) starting with ${files[0]}, expected ${frameBytes * files.length} (${width}×${height} each)`)
    }
    return { file: rawFile, width, height, frameBytes, count: files.length }
  } catch (err) {
    await rm(rawFile, { force: true })
    throw err
  }
}

/** As `decodeImagesToFile`, read back into memory: one buffer per file. */
export async function decodeImagesRgb(ffmpeg: string, batch: ImageBatch, listFile: string, signal?: AbortSignal): Promise<Uint8Array[]> {
  if (batch.files.length === 0) return []
  // A file beside the list, read in one go: a pipe delivers 64 KiB per read and costs twice as much.
  const rawFile = rawFramesFile(listFile)
  try {
    const { frameBytes } = await decodeImagesToFile(ffmpeg, batch, listFile, rawFile, signal)
    const out = await readFile(rawFile)
    return batch.files.map((_, i) => new Uint8Array(out.buffer, out.byteOffset + i * frameBytes, frameBytes))
  } finally {
    await rm(rawFile, { force: true })
  }
}
