import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { logMelExamples, type LogMelExamples } from '../../../shared/audio/logMel'

/** Decodes any audio or video file's first audio stream to 16 kHz mono PCM16 with ffmpeg. */
export async function decodePcm16kMono(ffmpeg: string, file: string): Promise<Int16Array> {
  if (!existsSync(file)) throw new Error(`${file} does not exist`)
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-map', '0:a:0', '-vn', '-ac', '1', '-ar', '16000', '-f', 's16le', '-acodec', 'pcm_s16le', 'pipe:1']
  const buf = await new Promise<Buffer>((resolve, reject) => {
    const proc = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let err = ''
    proc.stdout.on('data', (d: Buffer) => out.push(d))
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
    proc.on('error', reject)
    proc.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out))
      if (/matches no streams|does not contain any stream/i.test(err)) return reject(new Error(`${file} has no audio stream`))
      reject(new Error(`ffmpeg could not decode the audio of ${file}: ${err.trim().split('\n').pop() ?? `exit ${code}`}`))
    })
  })
  // Copy so the samples are 2-byte aligned whatever offset Buffer.concat gave.
  const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + (buf.length & ~1))
  return new Int16Array(bytes)
}

/** The model's audio input of a whole file: log-mel examples [N, 1, 96, 64], no padding (spec §4). */
export async function fileLogMel(ffmpeg: string, file: string): Promise<LogMelExamples & { samples: number }> {
  const pcm = await decodePcm16kMono(ffmpeg, file)
  return { ...logMelExamples(pcm), samples: pcm.length }
}
