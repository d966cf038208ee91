import { createHash, randomUUID } from 'node:crypto'
import { copyFile, mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import { ApiError } from '../../../shared/api'
import { AUDIO_SAMPLE_RATE, type ClipFlag, type ImportProgress, type ImportResult, type VideoProbe } from '../../../shared/domain'
import { planClips, type PlannedClip } from '../../../shared/frameTiming'
import type { NewClip } from '../project/ProjectStore'
import { lockLostError, STAGING_DIR, type ProjectService } from '../project/ProjectService'
import { removeUpload } from '../project/uploads'
import { clipLogMelPickle, logMelCacheEntry, logMelCacheFile } from '../avsbench/clipAudio'
import { decodeVideo } from './decodeVideo'
import { probeVideo } from './probe'
import { encodeWavPcm16 } from './wav'
import { diskFullError } from '../project/diskFull'

export interface ToolPaths {
  ffmpeg: string
  ffprobe: string
}

interface Job {
  id: string
  paths: string[]
  startOffset: number
  /** The project the job imports into: browser uploads among `paths` live in it. */
  projectDir: string | null
  controller: AbortController
  results: ImportResult[]
  done: boolean
  promise: Promise<ImportResult[]>
}

/**
 * Makes the clip's S4/MS3 `.pkl` now, beside its wav (avsbench/clipAudio's cache), so an export
 * reuses it instead of computing log-mel. Only a cache: a failure leaves the export to make it.
 */
async function cacheLogMel(wavFile: string, wav: Buffer, audioSamples: number): Promise<void> {
  try {
    await writeFile(logMelCacheFile(wavFile), logMelCacheEntry(wav, audioSamples, clipLogMelPickle(wav, audioSamples, wavFile)))
  } catch {
    // the export computes it
  }
}

const seconds = (t: number): string => `${Number(t.toFixed(2))} s`

/**
 * What an import of a truncated file says: where it broke off and which clips it kept; an
 * ApiError when no whole clip is left.
 */
function truncationNote(name: string, duration: number, at: number, kept: PlannedClip[], planned: number, clipSeconds: number): string {
  const stops = at > 0 ? `is truncated or damaged after ${seconds(at)} of its ${seconds(duration)}` : `is truncated or damaged: none of its ${seconds(duration)} can be decoded`
  if (kept.length === 0) {
    throw new ApiError('truncated', `${name} ${stops}${at > 0 ? `: no whole ${clipSeconds} s clip can be decoded` : ''}; nothing was imported`)
  }
  const last = kept[kept.length - 1]
  const span = `${seconds(kept[0].start)}–${seconds(last.start + last.duration)}`
  if (kept.length === planned) return `${name} ${stops}: its ${planned} clip${planned === 1 ? ' was' : 's were'} whole and kept (${span})`
  return `${name} ${stops}: ${kept.length} of its ${planned} clips were whole and kept (${span}); the rest cannot be decoded`
}

/**
 * A clip name safe as a file name in every export format: ASCII letters, digits, '-' and '_'.
 * Accents fold to their letters (é → e); where letters or digits with no ASCII form are dropped
 * (Chinese, Japanese, Cyrillic, Arabic, … names), a short hash of the original name is appended, so
 * that "小提琴.mp4" and "大提琴.mp4" do not both become "video" and the same file name always gives
 * the same clip name.
 */
export function safeStem(file: string): string {
  const original = basename(file, extname(file))
  const folded = original.normalize('NFKD').replace(/\p{M}/gu, '')
  const stem = folded.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '')
  // Only letters or digits with no ASCII form earn the tag (a dropped emoji or symbol does not).
  if (!/[\p{L}\p{N}]/u.test(folded.replace(/[\x00-\x7F]/g, ''))) return stem || 'video'
  const tag = createHash('sha256').update(original.normalize('NFC')).digest('hex').slice(0, 8)
  return `${stem || 'video'}-${tag}`
}

/**
 * Imports videos into the open project: probe, one ffmpeg pass per video, then one SQLite
 * transaction. Work happens in a staging folder; a failed or cancelled import leaves no trace.
 */
export class ImportService {
  private readonly jobs = new Map<string, Job>()

  constructor(
    private readonly projects: ProjectService,
    private readonly tools: () => Promise<ToolPaths>,
    private readonly emit: (p: ImportProgress) => void
  ) {}

  start(paths: string[], startOffset = 0): string {
    const id = randomUUID()
    const controller = new AbortController()
    const job: Job = {
      id,
      paths: paths.map((p) => resolve(p)),
      startOffset,
      projectDir: this.projects.current?.dir ?? null,
      controller,
      results: [],
      done: false,
      promise: Promise.resolve([])
    }
    job.promise = this.run(job).finally(() => {
      job.done = true
    })
    this.jobs.set(id, job)
    return id
  }

  cancel(jobId: string): void {
    this.jobs.get(jobId)?.controller.abort()
  }

  /** Whether an import is under way (its ffmpeg would slow anything timed meanwhile). */
  running(): boolean {
    return [...this.jobs.values()].some((j) => !j.done)
  }

  result(jobId: string): { done: boolean; results: ImportResult[] } {
    const job = this.jobs.get(jobId)
    if (!job) throw new ApiError('unknown_job', `No import job ${jobId}`)
    return { done: job.done, results: job.results }
  }

  /** Resolves when the job has finished (for the CLI and tests). */
  wait(jobId: string): Promise<ImportResult[]> {
    const job = this.jobs.get(jobId)
    if (!job) throw new ApiError('unknown_job', `No import job ${jobId}`)
    return job.promise
  }

  private async run(job: Job): Promise<ImportResult[]> {
    for (const path of job.paths) {
      const progress = (stage: ImportProgress['stage'], fraction: number, clips = 0, error: string | null = null, warning: string | null = null): void =>
        this.emit({ jobId: job.id, path, stage, fraction, clips, error, warning })
      // A browser upload is consumed by its import, whatever the outcome (the browser uploads again to retry).
      const consumed = (): Promise<void> => (job.projectDir ? removeUpload(job.projectDir, path).catch(() => undefined) : Promise.resolve())
      if (job.controller.signal.aborted) {
        await consumed()
        job.results.push({ path, ok: false, videoId: null, clips: 0, flags: [], error: 'cancelled', warning: null })
        progress('cancelled', 0)
        continue
      }
      try {
        // Another writer took the project over: the files left are not decoded only to be refused.
        const open = this.projects.current
        if (open?.lockLost) throw lockLostError(open)
        const r = await this.importOne(path, job.startOffset, job.controller.signal, (stage, f) => progress(stage, f))
        await consumed()
        job.results.push(r)
        progress('done', 1, r.clips, null, r.warning)
      } catch (err) {
        await consumed()
        const cancelled = err instanceof ApiError && err.code === 'cancelled'
        // A full disk says so and names the project's disk, instead of ffmpeg's or Node's raw ENOSPC.
        const message = cancelled ? 'cancelled' : (diskFullError(this.projects.writeError(err), job.projectDir ?? null, `${basename(path)} was not imported`) as Error).message
        job.results.push({ path, ok: false, videoId: null, clips: 0, flags: [], error: message, warning: null })
        progress(cancelled ? 'cancelled' : 'failed', 0, 0, message)
      }
    }
    return job.results
  }

  async importOne(
    path: string,
    startOffset: number,
    signal: AbortSignal,
    onProgress: (stage: ImportProgress['stage'], fraction: number) => void
  ): Promise<ImportResult> {
    const project = this.projects.require()
    const tools = await this.tools()
    onProgress('probing', 0)
    const probe: VideoProbe = await probeVideo(path, tools.ffprobe)
    const summary = this.projects.summary()
    // The same file again at the same start would only duplicate its clips (a re-run import, a second drop).
    const same = project.store.findSameImport(basename(path), probe.sizeBytes, probe.duration, startOffset)
    if (same) {
      throw new ApiError(
        'already_imported',
        `${basename(path)} is already in the project (imported ${same.importedAt.slice(0, 16).replace('T', ' ')}${same.firstClip ? `, clips from ${same.firstClip}` : ''}); it was not imported again. To cut it at another start, give another offset`
      )
    }
    if (startOffset >= probe.duration) {
      throw new ApiError('bad_offset', `${basename(path)}: the start offset ${startOffset}s is past the end of the video (${probe.duration.toFixed(2)}s)`)
    }
    // VFR input is resampled to its rounded average rate, so the spec's frame numbering holds.
    const fps = probe.variableFrameRate ? Math.round(probe.avgFps) : probe.fps
    const plan = planClips({ duration: probe.duration, fps, clipSeconds: summary.clipSeconds, startOffset })
    const wanted = [...new Set(plan.flatMap((c) => c.frames.map((f) => f.sourceFrame)))].sort((a, b) => a - b)

    const uuid = randomUUID()
    const staging = join(project.mediaDir, STAGING_DIR, uuid)
    const finalDir = join(project.mediaDir, uuid)
    let moved = false
    try {
      onProgress('decoding', 0)
      const decoded = await decodeVideo({
        input: path,
        probe,
        sourceFrames: wanted,
        fps,
        startOffset,
        outDir: join(staging, 'decode'),
        ffmpegPath: tools.ffmpeg,
        signal,
        onProgress: (f) => onProgress('decoding', f)
      })
      if (signal.aborted) throw new ApiError('cancelled', 'cancelled')
      // A truncated file keeps the clips whose frames and audio are whole, and says where it broke off.
      const cut = decoded.truncated
      const whole = cut ? plan.filter((c) => c.start + c.duration <= cut.wholeUntil + 1e-6) : plan
      const warning = cut ? truncationNote(basename(path), probe.duration, cut.at, whole, plan.length, summary.clipSeconds) : null
      onProgress('saving', 1)
      const byFrame = new Map(wanted.map((n, i) => [n, decoded.frames[i]]))
      const samplesPerClip = summary.clipSeconds * AUDIO_SAMPLE_RATE
      const stem = safeStem(path)
      const videoFlags = new Set<ClipFlag>()
      if (!decoded.pcm) videoFlags.add('no_audio')
      if (probe.variableFrameRate) videoFlags.add('vfr')
      if (probe.rotation) videoFlags.add('rotated')
      // Seconds can share a decoded frame (clamped at the end): the first takes the file, later ones copy it.
      const placed = new Map<string, string>()
      const place = async (from: string, to: string): Promise<void> => {
        const earlier = placed.get(from)
        if (earlier) await copyFile(earlier, to)
        else await rename(from, to)
        placed.set(from, to)
      }
      const clips: NewClip[] = []
      for (const c of whole) {
        const clipDir = `c${String(c.index).padStart(4, '0')}`
        await mkdir(join(staging, clipDir))
        const flags = new Set<ClipFlag>(videoFlags)
        if (c.padded) flags.add('padded')
        const frames = []
        for (const f of c.frames) {
          const src = byFrame.get(f.sourceFrame)
          if (!src) throw new ApiError('decode_failed', `${basename(path)}: frame ${f.sourceFrame} was not decoded`)
          if (src.clamped) flags.add('padded')
          const image = `${clipDir}/f${f.index}.jpg`
          const thumb = `${clipDir}/t${f.index}.jpg`
          await place(src.image, join(staging, image))
          await place(src.thumb, join(staging, thumb))
          frames.push({
            index: f.index,
            sourceFrame: f.sourceFrame,
            time: f.sourceFrame / fps,
            width: decoded.width,
            height: decoded.height,
            image: `${uuid}/${image}`,
            thumb: `${uuid}/${thumb}`
          })
        }
        const pcm = new Int16Array(samplesPerClip)
        let audioSamples = samplesPerClip
        if (decoded.pcm) {
          const from = Math.round((c.start - startOffset) * AUDIO_SAMPLE_RATE)
          const part = decoded.pcm.subarray(Math.min(from, decoded.pcm.length), Math.min(from + samplesPerClip, decoded.pcm.length))
          pcm.set(part)
          audioSamples = part.length
          if (part.length < samplesPerClip) flags.add('padded')
        }
        const wav = encodeWavPcm16(pcm, AUDIO_SAMPLE_RATE)
        await writeFile(join(staging, clipDir, 'audio.wav'), wav)
        if (project.store.task !== 'avss') await cacheLogMel(join(staging, clipDir, 'audio.wav'), wav, audioSamples)
        let name = `${stem}_${Math.round(c.start * 1000)}_${Math.round((c.start + c.duration) * 1000)}`
        for (let k = 2; project.store.clipNameTaken(name) || clips.some((x) => x.name === name); k++) {
          name = `${stem}-${k}_${Math.round(c.start * 1000)}_${Math.round((c.start + c.duration) * 1000)}`
        }
        clips.push({
          index: c.index,
          name,
          start: c.start,
          duration: c.duration,
          width: decoded.width,
          height: decoded.height,
          audio: `${uuid}/${clipDir}/audio.wav`,
          audioSamples,
          flags: [...flags],
          frames
        })
      }
      await rm(join(staging, 'decode'), { recursive: true, force: true })
      if (signal.aborted) throw new ApiError('cancelled', 'cancelled')
      await rename(staging, finalDir)
      moved = true
      const videoId = project.store.insertVideo(
        {
          uuid,
          path,
          name: basename(path),
          sizeBytes: probe.sizeBytes,
          duration: probe.duration,
          width: probe.displayWidth,
          height: probe.displayHeight,
          rotation: probe.rotation,
          fps,
          vfr: probe.variableFrameRate,
          hasAudio: decoded.pcm !== null,
          startOffset,
          probeJson: JSON.stringify(probe),
          importNote: warning
        },
        clips
      )
      const flags = [...new Set(clips.flatMap((c) => c.flags))]
      return { path, ok: true, videoId, clips: clips.length, flags, error: null, warning }
    } catch (err) {
      await rm(moved ? finalDir : staging, { recursive: true, force: true })
      throw err
    } finally {
      await rm(staging, { recursive: true, force: true })
      await rmdir(join(project.mediaDir, STAGING_DIR)).catch(() => undefined)
    }
  }
}
