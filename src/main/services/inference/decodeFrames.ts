import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

export class FramesMissingError extends Error {}

/**
 * Decodes a clip's frame images (f0.jpg … f{T−1}.jpg in one folder) with one ffmpeg process as
 * an image2 sequence, scaled bilinearly to W×H, to packed RGB: one Uint8Array per frame.
 */
export async function decodeClipFrames(ffmpeg: string, files: readonly string[], W: number, H: number, signal?: AbortSignal): Promise<Uint8Array[]> {
  const missing = files.filter((f) => !existsSync(f))
  if (missing.length) {
    throw new FramesMissingError(`${missing.length} of ${files.length} frame image(s) are missing from the media cache (${missing.map((f) => basename(f)).join(', ')} in ${dirname(missing[0])}); re-import the video to restore them`)
  }
  const dir = dirname(files[0])
  const sequential = files.every((f, i) => dirname(f) === dir && basename(f) === `f${i}.jpg`)
  if (!sequential) throw new FramesMissingError(`frame images are not the sequence f0.jpg … f${files.length - 1}.jpg of one folder`)
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'image2', '-start_number', '0', '-i', join(dir, 'f%d.jpg'),
    '-frames:v', String(files.length), '-vf', `scale=${W}:${H}:flags=bilinear`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']
  const frameBytes = W * H * 3
  const buf = await new Promise<Buffer>((resolve, reject) => {
    const proc = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], signal })
    const out: Buffer[] = []
    let err = ''
    proc.stdout.on('data', (d: Buffer) => out.push(d))
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
    proc.on('error', reject)
    proc.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg could not decode the frames in ${dir}: ${err.trim().split('\n').pop() ?? `exit ${code}`}`))))
  })
  if (buf.length !== frameBytes * files.length) throw new Error(`ffmpeg decoded ${buf.length / frameBytes} of ${files.length} frames in ${dir} (a frame image is damaged?)`)
  return files.map((_, i) => new Uint8Array(buf.buffer, buf.byteOffset + i * frameBytes, frameBytes))
}
