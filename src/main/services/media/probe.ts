import { open, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import ffmpeg from 'fluent-ffmpeg'
import type { FfprobeData, FfprobeStream } from 'fluent-ffmpeg'
import { ApiError } from '../../../shared/api'
import type { VideoProbe } from '../../../shared/domain'

function ratio(r: string | undefined): number {
  if (!r) return 0
  const [n, d] = r.split('/').map(Number)
  if (!d) return Number.isFinite(n) ? n : 0
  return n / d
}

/**
 * Clockwise degrees a player turns the picture, as ffmpeg's autorotate turns the decoded frames: a
 * phone's portrait video is 90 (old ffprobe: tag rotate=90; newer: display matrix rotation -90).
 */
function rotationOf(s: FfprobeStream): number {
  const tags = (s.tags ?? {}) as Record<string, string>
  let rot = Number(tags.rotate ?? 0)
  // Newer ffprobe reports the display matrix (counter-clockwise degrees); fluent-ffmpeg flattens it onto the stream.
  const flat = (s as unknown as { rotation?: number | string }).rotation
  if (flat !== undefined && flat !== '' && Number.isFinite(Number(flat))) rot = -Number(flat)
  const side = (s as unknown as { side_data_list?: Array<{ rotation?: number | string }> }).side_data_list
  for (const sd of side ?? []) if (sd.rotation !== undefined) rot = -Number(sd.rotation)
  rot = ((Math.round(rot) % 360) + 360) % 360
  return rot
}

/** True when the file starts like an MP4/MOV (an ISO base media box), whatever its name. */
async function looksLikeMp4(file: string): Promise<boolean> {
  const head = Buffer.alloc(8)
  const fh = await open(file, 'r').catch(() => null)
  if (!fh) return false
  try {
    const { bytesRead } = await fh.read(head, 0, 8, 0)
    return bytesRead === 8 && ['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide'].includes(head.toString('latin1', 4, 8))
  } finally {
    await fh.close()
  }
}

function readable(file: string, raw: string, mp4: boolean): string {
  const line = raw.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? raw
  // An mp4/mov whose recording or download stopped before the end: its index (moov, written last or cut short) is missing.
  if (mp4 && /moov atom not found|error reading header|End of file/i.test(raw)) {
    return `${basename(file)} is truncated: its index (the moov atom) is missing or cut short, as when a recording or download stops before the end, so nothing in it can be decoded`
  }
  const crash = /was killed with signal (\w+)/.exec(raw)
  if (crash) return `${basename(file)} cannot be read: ffprobe crashed on it (${crash[1]})`
  if (/Invalid data found|could not find codec|End of file/i.test(raw)) return `${basename(file)} is not a media file that can be read (${line})`
  if (/moov atom not found|truncat|Invalid NAL|partial file/i.test(raw)) return `${basename(file)} is truncated or corrupt (${line})`
  if (/No such file/i.test(raw)) return `${basename(file)} does not exist`
  if (/Permission denied/i.test(raw)) return `${basename(file)} cannot be read: permission denied`
  return `${basename(file)} cannot be read: ${line}`
}

export async function ffprobeFile(file: string, ffprobePath: string): Promise<FfprobeData> {
  const st = await stat(file).catch(() => null)
  if (!st) throw new ApiError('file_missing', `${file} does not exist`)
  if (!st.isFile()) throw new ApiError('not_a_file', `${file} is not a file`)
  if (st.size === 0) throw new ApiError('not_media', `${basename(file)} is empty (0 bytes)`)
  return await new Promise<FfprobeData>((resolve, reject) => {
    const cmd = ffmpeg(file).setFfprobePath(ffprobePath)
    cmd.ffprobe((err: Error | null, data: FfprobeData) => {
      if (err) {
        void looksLikeMp4(file)
          .catch(() => false)
          .then((mp4) => reject(new ApiError('not_media', readable(file, err.message, mp4))))
      } else resolve(data)
    })
  })
}

/** Probes a file and describes it for import; refuses files without a usable video stream. */
export async function probeVideo(file: string, ffprobePath: string): Promise<VideoProbe> {
  const data = await ffprobeFile(file, ffprobePath)
  const name = basename(file)
  const video = data.streams.find(
    (s) => s.codec_type === 'video' && !((s.disposition as Record<string, number> | undefined)?.attached_pic)
  )
  const audio = data.streams.filter((s) => s.codec_type === 'audio')
  if (!video) {
    if (audio.length) throw new ApiError('audio_only', `${name} is an audio-only file: a video stream is needed to make AVS clips`)
    throw new ApiError('not_media', `${name} has no video stream`)
  }
  const width = Number(video.width ?? 0)
  const height = Number(video.height ?? 0)
  if (!width || !height) throw new ApiError('not_media', `${name}: the video stream has no picture size (corrupt header?)`)
  const fps = ratio(video.r_frame_rate)
  const avgFps = ratio(video.avg_frame_rate) || fps
  const duration = Number(video.duration) > 0 ? Number(video.duration) : Number(data.format.duration ?? 0)
  if (!(duration > 0)) throw new ApiError('not_media', `${name}: cannot read the video's duration (truncated or corrupt file?)`)
  if (!(fps > 0) && !(avgFps > 0)) throw new ApiError('not_media', `${name}: cannot read the video's frame rate`)
  const rotation = rotationOf(video)
  const swap = rotation === 90 || rotation === 270
  // r_frame_rate is the timebase-derived "real" rate; a large gap to the average rate means VFR.
  const variableFrameRate = fps > 0 && avgFps > 0 && Math.abs(fps - avgFps) / avgFps > 0.01
  return {
    path: file,
    container: String(data.format.format_name ?? ''),
    duration,
    width,
    height,
    displayWidth: swap ? height : width,
    displayHeight: swap ? width : height,
    rotation,
    fps: fps > 0 ? fps : avgFps,
    avgFps,
    variableFrameRate,
    videoCodec: String(video.codec_name ?? 'unknown'),
    audioStreams: audio.map((a) => ({
      index: Number(a.index),
      codec: String(a.codec_name ?? 'unknown'),
      sampleRate: Number(a.sample_rate ?? 0),
      channels: Number(a.channels ?? 0)
    })),
    sizeBytes: (await stat(file)).size
  }
}
