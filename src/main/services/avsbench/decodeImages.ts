import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
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
  const frameBytes = width * height * 3
  const out = Buffer.allocUnsafe(frameBytes * files.length)
  let got = 0
  let stderr = ''
  await new Promise<void>((resolve, reject) => {
    const child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', listFile, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal
    })
    child.stdout.on('data', (chunk: Buffer) => {
      const n = Math.min(chunk.length, out.length - got)
      chunk.copy(out, got, 0, n)
      got += chunk.length
    })
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', (err) => reject(signal?.aborted ? new ApiError('cancelled', 'cancelled') : err))
    child.on('close', (code) => {
      if (signal?.aborted) return reject(new ApiError('cancelled', 'cancelled'))
      if (code !== 0 || got !== out.length) {
        const first = stderr.trim().split('\n')[0] ?? ''
        return reject(new ApiError('decode_failed', `ffmpeg could not decode ${files.length} frame image(s) starting with ${files[0]}: got ${got} of ${out.length} bytes${first ? ` (${first})` : ''}`))
      }
      resolve()
    })
  })
  return files.map((_, i) => new Uint8Array(out.buffer, out.byteOffset + i * frameBytes, frameBytes))
}
