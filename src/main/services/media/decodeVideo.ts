// fluent-ffmpeg splits an array option holding exactly one space ("a b" → "a", "b"): options are passed as separate arguments, which it never splits.
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import ffmpeg from 'fluent-ffmpeg'
import { ApiError } from '../../../shared/api'
import { AUDIO_SAMPLE_RATE, MAX_FRAME_LONG_SIDE, THUMB_WIDTH, type VideoProbe } from '../../../shared/domain'

export interface DecodeRequest {
  input: string
  probe: VideoProbe
  /** Sorted, unique source frame numbers to extract (numbering of the stream at `fps`). */
  sourceFrames: number[]
  /** Frame rate the numbering refers to; for VFR input the stream is resampled to it first. */
  fps: number
  /** Audio is returned from this time on (seconds). */
  startOffset: number
  outDir: string
  ffmpegPath: string
  signal?: AbortSignal
  onProgress?: (fraction: number) => void
}

export interface DecodeResult {
  /** Absolute frame and thumbnail paths, in the order of `sourceFrames`. Missing tail frames are filled with the last frame. */
  frames: Array<{ image: string; thumb: string; clamped: boolean }>
  width: number
  height: number
  thumbWidth: number
  thumbHeight: number
  /** 16 kHz mono PCM from `startOffset`; null when the file has no audio stream. */
  pcm: Int16Array | null
}

/** Output size: the displayed size with the long side capped at 1920 px. */
export function frameSize(p: VideoProbe): { width: number; height: number } {
  const long = Math.max(p.displayWidth, p.displayHeight)
  const f = long > MAX_FRAME_LONG_SIDE ? MAX_FRAME_LONG_SIDE / long : 1
  return { width: Math.max(1, Math.round(p.displayWidth * f)), height: Math.max(1, Math.round(p.displayHeight * f)) }
}

function timemarkSeconds(t: string | undefined): number {
  if (!t) return 0
  const m = /(-?\d+):(\d+):(\d+(?:\.\d+)?)/.exec(t)
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0
}

function runFfmpeg(cmd: ffmpeg.FfmpegCommand, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let aborted = false
    const onAbort = (): void => {
      aborted = true
      cmd.kill('SIGKILL')
    }
    if (signal?.aborted) return reject(new ApiError('cancelled', 'cancelled'))
    signal?.addEventListener('abort', onAbort, { once: true })
    cmd.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
      signal?.removeEventListener('abort', onAbort)
      if (aborted) return reject(new ApiError('cancelled', 'cancelled'))
      const tail = (stderr ?? '').split('\n').map((l) => l.trim()).filter(Boolean).slice(-2).join(' / ')
      reject(new ApiError('decode_failed', `${what}: ffmpeg failed (${tail || err.message})`))
    })
    cmd.on('end', () => {
      signal?.removeEventListener('abort', onAbort)
      if (aborted) reject(new ApiError('cancelled', 'cancelled'))
      else resolve()
    })
    cmd.run()
  })
}

/**
 * Decodes all wanted frames of a video, their thumbnails and its 16 kHz mono audio in ONE ffmpeg
 * pass (one process per video, not per clip or frame).
 */
export async function decodeVideo(req: DecodeRequest): Promise<DecodeResult> {
  const { probe, outDir, sourceFrames } = req
  await mkdir(outDir, { recursive: true })
  const { width, height } = frameSize(probe)
  const thumbWidth = Math.min(THUMB_WIDTH, width)
  const thumbHeight = Math.max(1, Math.round((height * thumbWidth) / width))
  const fpsFilter = probe.variableFrameRate ? `fps=${req.fps},` : ''
  const select = sourceFrames.map((n) => `eq(n,${n})`).join('+')
  const graph =
    `[0:v]${fpsFilter}select='${select}',scale=${width}:${height}:flags=bicubic,setsar=1,split=2[full][t0];` +
    `[t0]scale=${thumbWidth}:${thumbHeight}:flags=area[thumb]`
  const script = join(outDir, 'filter.txt')
  await writeFile(script, graph)

  const hasAudio = probe.audioStreams.length > 0
  const pcmChunks: Buffer[] = []
  const sink = new PassThrough()
  sink.on('data', (b: Buffer) => pcmChunks.push(b))

  const cmd = ffmpeg(req.input)
    .setFfmpegPath(req.ffmpegPath)
    .output(join(outDir, 'f_%06d.jpg'))
    .outputOptions(...['-filter_complex_script', script, '-map', '[full]', '-vsync', '0', '-q:v', '2', '-f', 'image2'])
    .output(join(outDir, 't_%06d.jpg'))
    .outputOptions(...['-map', '[thumb]', '-vsync', '0', '-q:v', '5', '-f', 'image2'])
  if (hasAudio) {
    cmd.output(sink).outputOptions(...['-map', '0:a:0', '-vn', '-ac', '1', '-ar', String(AUDIO_SAMPLE_RATE), '-acodec', 'pcm_s16le', '-f', 's16le'])
  }
  cmd.on('progress', (p: { timemark?: string }) => {
    req.onProgress?.(Math.min(1, timemarkSeconds(p.timemark) / probe.duration))
  })
  await runFfmpeg(cmd, req.signal, probe.path.split(/[\\/]/).pop() ?? probe.path)

  const files = (await readdir(outDir)).sort()
  const images = files.filter((f) => f.startsWith('f_'))
  const thumbs = files.filter((f) => f.startsWith('t_'))
  if (images.length === 0) throw new ApiError('decode_failed', `${probe.path}: no frame could be decoded (corrupt video stream?)`)
  const frames: DecodeResult['frames'] = []
  for (let i = 0; i < sourceFrames.length; i++) {
    if (i < images.length) frames.push({ image: join(outDir, images[i]), thumb: join(outDir, thumbs[i] ?? thumbs[thumbs.length - 1]), clamped: false })
  }
  if (images.length < sourceFrames.length) {
    // The formula pointed past the stream's last decodable frame: use the last frame (spec §5 clamp).
    const last = await extractLastFrame(req, width, height, thumbWidth, thumbHeight)
    for (let i = images.length; i < sourceFrames.length; i++) frames.push({ ...last, clamped: true })
  }
  const pcmBuf = hasAudio ? Buffer.concat(pcmChunks) : null
  let pcm: Int16Array | null = null
  if (pcmBuf) {
    const all = new Int16Array(pcmBuf.buffer, pcmBuf.byteOffset, Math.floor(pcmBuf.byteLength / 2))
    pcm = all.slice(Math.round(req.startOffset * AUDIO_SAMPLE_RATE))
  }
  return { frames, width, height, thumbWidth, thumbHeight, pcm }
}

async function extractLastFrame(req: DecodeRequest, w: number, h: number, tw: number, th: number): Promise<{ image: string; thumb: string }> {
  const dir = join(req.outDir, 'last')
  await mkdir(dir, { recursive: true })
  const seek = Math.max(0, req.probe.duration - 1.5)
  const cmd = ffmpeg(req.input)
    .setFfmpegPath(req.ffmpegPath)
    .inputOptions(...['-ss', String(seek)])
    .output(join(dir, 'f_%06d.jpg'))
    .outputOptions(...[
      '-filter_complex', `[0:v]scale=${w}:${h}:flags=bicubic,setsar=1,split=2[full][t0];[t0]scale=${tw}:${th}:flags=area[thumb]`,
      '-map', '[full]', '-vsync', '0', '-q:v', '2', '-f', 'image2'
    ])
    .output(join(dir, 't_%06d.jpg'))
    .outputOptions(...['-map', '[thumb]', '-vsync', '0', '-q:v', '5', '-f', 'image2'])
  await runFfmpeg(cmd, req.signal, 'last frame')
  const files = (await readdir(dir)).sort()
  const f = files.filter((x) => x.startsWith('f_')).pop()
  const t = files.filter((x) => x.startsWith('t_')).pop()
  if (!f || !t) throw new ApiError('decode_failed', `${req.probe.path}: the last frame could not be decoded`)
  await rename(join(dir, f), join(req.outDir, 'last.jpg'))
  await rename(join(dir, t), join(req.outDir, 'last_t.jpg'))
  return { image: join(req.outDir, 'last.jpg'), thumb: join(req.outDir, 'last_t.jpg') }
}
