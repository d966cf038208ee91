// fluent-ffmpeg splits an array option holding exactly one space ("a b" → "a", "b"): options are passed as separate arguments, which it never splits.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import ffmpeg from 'fluent-ffmpeg'
import { ApiError } from '../../../shared/api'
import { AUDIO_SAMPLE_RATE, MAX_FRAME_LONG_SIDE, THUMB_WIDTH, type VideoProbe } from '../../../shared/domain'
import { isDiskFull } from '../project/diskFull'

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
  /** Absolute frame and thumbnail paths, in the order of `sourceFrames`. Missing tail frames are filled with the last frame (not when `truncated`). */
  frames: Array<{ image: string; thumb: string; clamped: boolean }>
  width: number
  height: number
  thumbWidth: number
  thumbHeight: number
  /** 16 kHz mono PCM from `startOffset`; null when the file has no audio stream. */
  pcm: Int16Array | null
  /**
   * Set when the file stops decoding well before its stated duration (a recording or download cut
   * off, a damaged tail): `at` is where decoding stopped (seconds from the file's start, the
   * earlier of the video's and the audio's ends) and `wholeUntil` how far its frames and audio are
   * whole. `frames` then holds only the decoded ones (no clamping to a last frame).
   */
  truncated: { at: number; wholeUntil: number } | null
}

/** A file whose video and audio both stop this much (seconds) before its stated duration is truncated, not just a little short. */
const TRUNCATION_TOLERANCE = 0.5
/** Frames this close (seconds) to where a truncated video stops are not trusted: the cut frame, B-frames lost with it (their numbering shifts). */
const VIDEO_CUT_MARGIN = 0.5
/** Audio this close (seconds) to where it stops is not trusted: about one codec frame (AAC 23 ms, Opus 20 ms), the one cut. */
const AUDIO_CUT_MARGIN = 0.03
/** ffmpeg's words for input that ends or breaks off where it should not. */
const INPUT_CUT_TEXT = /partial file|Invalid data found when processing input|Read error|after EOF|Truncating packet|End of file/i

/** An ffmpeg run that failed, with what it wrote on stderr. */
class FfmpegError extends ApiError {
  constructor(
    message: string,
    readonly stderr: string
  ) {
    super('decode_failed', message)
  }
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
      reject(new FfmpegError(`${what}: ffmpeg failed (${tail || err.message})`, stderr ?? ''))
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
  // [tick] counts every decoded frame (a 2×2 crop, free to pass on) to tell a truncated file from a whole one.
  const graph =
    `[0:v]${fpsFilter}split=2[all][pick];[all]crop=w='min(iw,2)':h='min(ih,2)':x=0:y=0[tick];` +
    `[pick]select='${select}',scale=${width}:${height}:flags=bicubic,setsar=1,split=2[full][t0];` +
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
    .output(join(outDir, 'ticks.txt'))
    .outputOptions(...['-map', '[tick]', '-vsync', '0', '-c:v', 'rawvideo', '-f', 'framecrc'])
  if (hasAudio) {
    cmd.output(sink).outputOptions(...['-map', '0:a:0', '-vn', '-ac', '1', '-ar', String(AUDIO_SAMPLE_RATE), '-acodec', 'pcm_s16le', '-f', 's16le'])
  }
  cmd.on('progress', (p: { timemark?: string }) => {
    req.onProgress?.(Math.min(1, timemarkSeconds(p.timemark) / probe.duration))
  })
  // A file cut off before any frame decodes makes ffmpeg fail ("Conversion failed!"): what it did decode is judged below.
  const failure = await runFfmpeg(cmd, req.signal, probe.path.split(/[\\/]/).pop() ?? probe.path).then(
    () => null,
    (err: unknown) => {
      if (err instanceof FfmpegError && INPUT_CUT_TEXT.test(err.stderr) && !isDiskFull(new Error(err.stderr))) return err
      throw err
    }
  )

  const files = (await readdir(outDir)).sort()
  const images = files.filter((f) => f.startsWith('f_'))
  const thumbs = files.filter((f) => f.startsWith('t_'))
  const pcmBuf = hasAudio ? Buffer.concat(pcmChunks) : null
  const pcmAll = pcmBuf ? new Int16Array(pcmBuf.buffer, pcmBuf.byteOffset, Math.floor(pcmBuf.byteLength / 2)) : null
  const pcm = pcmAll ? pcmAll.slice(Math.round(req.startOffset * AUDIO_SAMPLE_RATE)) : null
  const frames: DecodeResult['frames'] = []
  for (let i = 0; i < Math.min(images.length, sourceFrames.length); i++) {
    frames.push({ image: join(outDir, images[i]), thumb: join(outDir, thumbs[i] ?? thumbs[thumbs.length - 1]), clamped: false })
  }
  const truncated = truncation(probe.duration, (await decodedFrameCount(join(outDir, 'ticks.txt'))) / req.fps, pcmAll ? pcmAll.length / AUDIO_SAMPLE_RATE : null)
  if (truncated) return { frames, width, height, thumbWidth, thumbHeight, pcm, truncated }
  if (failure) throw failure
  if (images.length === 0) throw new ApiError('decode_failed', `${probe.path}: no frame could be decoded (corrupt video stream?)`)
  if (images.length < sourceFrames.length) {
    // The formula pointed past the stream's last decodable frame: use the last frame (spec §5 clamp).
    const last = await extractLastFrame(req, width, height, thumbWidth, thumbHeight)
    for (let i = images.length; i < sourceFrames.length; i++) frames.push({ ...last, clamped: true })
  }
  return { frames, width, height, thumbWidth, thumbHeight, pcm, truncated: null }
}

/** The number of frames in a framecrc file (one line per frame after the `#` header). */
async function decodedFrameCount(file: string): Promise<number> {
  const bytes = await readFile(file).catch(() => Buffer.alloc(0))
  let n = 0
  for (let i = 0; i < bytes.length; i++) if ((i === 0 || bytes[i - 1] === 0x0a) && bytes[i] !== 0x23 && bytes[i] !== 0x0a) n++
  return n
}

/**
 * A file is truncated when its video stops decoding well before its stated duration and so does
 * its audio (if any): a video stream that merely ends before a longer audio one is whole.
 */
function truncation(duration: number, videoEnd: number, audioEnd: number | null): DecodeResult['truncated'] {
  const short = (end: number): boolean => end < duration - TRUNCATION_TOLERANCE
  if (!short(videoEnd) || (audioEnd !== null && !short(audioEnd))) return null
  const at = Math.min(videoEnd, audioEnd ?? videoEnd)
  const wholeUntil = Math.min(videoEnd - VIDEO_CUT_MARGIN, audioEnd === null ? Infinity : audioEnd - AUDIO_CUT_MARGIN)
  return { at, wholeUntil: Math.max(0, wholeUntil) }
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
