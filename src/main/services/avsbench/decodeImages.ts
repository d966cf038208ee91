import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../../../shared/api'

export interface ImageBatch {
  /** Absolute paths of images that share one codec and one size. */
  files: string[]
  width: number
  height: number
}

const quote = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`

/**
 * Decodes many same-size images to packed RGB with ONE ffmpeg process (concat demuxer), since
 * starting ffmpeg costs more than decoding a few small frames. Returns one buffer per file.
 */
export async function decodeImagesRgb(ffmpeg: string, batch: ImageBatch, listFile: string, signal?: AbortSignal): Promise<Uint8Array[]> {
  const { files, width, height } = batch
  if (files.length === 0) return []
  await writeFile(listFile, files.map((f) => `file ${quote(f)}\nduration 1\n`).join(''))
  // A file beside the list, read in one go: a pipe delivers 64 KiB per read and costs twice as much.
  // In shared memory where there is some, so the raw frames never reach the disk the export writes to.
  const rawFile = existsSync('/dev/shm') ? join('/dev/shm', `avs-${process.pid}-${randomUUID()}.rgb`) : `${listFile}.rgb`
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
    const out = await readFile(rawFile)
    const frameBytes = width * height * 3
    if (out.length !== frameBytes * files.length) {
      throw new ApiError('decode_failed', `ffmpeg decoded ${out.length} bytes from ${files.length} frame image(s) starting with ${files[0]}, expected ${frameBytes * files.length} (${width}×${height} each)`)
    }
    return files.map((_, i) => new Uint8Array(out.buffer, out.byteOffset + i * frameBytes, frameBytes))
  } finally {
    await rm(rawFile, { force: true })
  }
}
