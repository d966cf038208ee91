import { constants, existsSync } from 'node:fs'
import { access, copyFile, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve, sep } from 'node:path'
import { setImmediate as yieldLoop } from 'node:timers/promises'
import { ApiError } from '../../../shared/api'
import type { ExportReport } from '../../../shared/avsbench'
import { AVSS_CLASSES, AVSS_PALETTE, label2idxJson } from '../../../shared/avsClasses'
import type { Clip, Frame, Split } from '../../../shared/domain'
import { encodePng } from '../../image/png'
import type { OpenProject } from '../project/ProjectService'
import type { StoredMask } from '../project/ProjectStore'
import { decodeMask } from '../project/maskCodec'
import { isDiskFull } from '../project/diskFull'
import { tempBeside } from '../project/tempFolders'
import { decodeImagesToFile, rawFramesFile, type DecodedFrames } from './decodeImages'
import { EXPORT_SIZE as EXPORT_FRAME_SIZE, type BinaryClipInput, type BinaryClipOutput } from './encodeBinaryClip'
import { logMelCacheFile } from './clipAudio'
import { exportFrameCacheFile, frameDecoderId, readCachedFrames, type CachedFrames } from './exportFrameCache'
import { ExportWorkerPool } from './ExportWorkerPool'
import { WriteQueue } from './WriteQueue'
import {
  annotatedFrames,
  avss,
  AVSS_CSV,
  AVSS_HEADER,
  FRAMES_PER_CLIP,
  isSafeName,
  LABEL2IDX,
  ms3,
  MS3_CSV,
  MS3_HEADER,
  s4,
  S4_CSV,
  S4_HEADER,
  splitByRatio,
  toCsv,
  type AvsFormat,
  type AvssSubset
} from './layout'

export { EXPORT_SIZE } from './encodeBinaryClip'
export { PKL_SHAPE, clipLogMelPickle } from './clipAudio'
/** Clips without a split get one from this ratio (train, val, test) unless the caller gives one. */
export const DEFAULT_SPLIT_RATIO: [number, number, number] = [0.7, 0.15, 0.15]
// Decoded frames wait in a temp file (shared memory), not in the heap: at most two batches at a
// time. Each batch costs one ffmpeg start, which on a busy machine takes tens of milliseconds of
// this thread, so batches are large; the first is small, so encoding starts early.
const FIRST_BATCH_CLIPS = 4
const BATCH_CLIPS = 32
const BATCH_BYTES = 128 * 1024 * 1024

export interface ExportOptions {
  format: AvsFormat
  out: string
  /** 'accepted' (default): only frames whose review status is accepted; 'all': any frame with a mask. */
  frames?: 'accepted' | 'all'
  /** Split for clips that have none, by a stable hash of the clip name and the seed. */
  splitRatio?: [number, number, number]
  seed?: number
  overwrite?: boolean
}

export type { ExportReport }

export interface ExportProgressInfo {
  stage: 'preparing' | 'writing' | 'finishing'
  fraction: number
  /** Clips written so far, out of `total` (0 while preparing). */
  clips: number
  total: number
}

/** One clip that will be written: its frames, the masks of its annotated frames, and its CSV data. */
interface PlannedClip {
  clip: Clip
  frames: Frame[]
  split: Split
  category: string
  subset: AvssSubset | null
  masks: Map<number, StoredMask>
  meta: Record<string, string>
}

const fsErrorCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code

/** The finished folder `tmp` appears at `out` in one rename; an old `out` is only removed after that. */
export async function moveIntoPlace(tmp: string, out: string): Promise<void> {
  if (!existsSync(out)) return rename(tmp, out)
  const old = tempBeside(out, 'old')
  await rename(out, old)
  await rename(tmp, out)
  await rm(old, { recursive: true, force: true })
}

/** Turns file-system failures into messages that name the destination and what to do. */
export function explainFsError(err: unknown, out: string): Error {
  if (err instanceof ApiError) return err
  const code = fsErrorCode(err)
  if (isDiskFull(err)) {
    return new ApiError('disk_full', `Not enough disk space to export to ${out}; nothing was written there. Free some space or choose another disk.`)
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ApiError('read_only', `Cannot write the export to ${out}: the destination is read-only (${(err as Error).message})`)
  }
  return err instanceof Error ? err : new Error(String(err))
}

/** Honours the folder's write bits even for root, who could write anyway. */
async function assertWritableDir(dir: string, out: string): Promise<void> {
  const st = await stat(dir)
  const ok = (st.mode & 0o200) !== 0 && (await access(dir, constants.W_OK).then(() => true, () => false))
  if (!ok) throw new ApiError('read_only', `Cannot export to ${out}: the folder ${dir} is read-only`)
}

const SEMANTIC_PALETTE = (() => {
  const p = new Uint8Array(768)
  p.set(AVSS_PALETTE)
  return p
})()

function labelsRgbPng(labels: Uint8Array, w: number, h: number): Buffer {
  const rgb = new Uint8Array(w * h * 3)
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] * 3
    rgb[i * 3] = AVSS_PALETTE[c]
    rgb[i * 3 + 1] = AVSS_PALETTE[c + 1]
    rgb[i * 3 + 2] = AVSS_PALETTE[c + 2]
  }
  return encodePng({ width: w, height: h, mode: 'RGB', data: rgb })
}

function labelsSemanticPng(labels: Uint8Array, w: number, h: number): Buffer {
  return encodePng({ width: w, height: h, mode: 'P', data: labels, palette: SEMANTIC_PALETTE })
}

/**
 * Whether a PNG file is exactly what an S4/MS3 frame must be: 224×224, 8-bit RGB, not interlaced
 * (read from its IHDR chunk, the first in every PNG).
 */
async function isExportFramePng(file: string): Promise<boolean> {
  const fh = await open(file, 'r').catch(() => null)
  if (!fh) return false
  try {
    const head = Buffer.alloc(29)
    const { bytesRead } = await fh.read(head, 0, 29, 0)
    return (
      bytesRead === 29 &&
      head.readUInt32BE(0) === 0x89504e47 &&
      head.readUInt32BE(4) === 0x0d0a1a0a &&
      head.toString('latin1', 12, 16) === 'IHDR' &&
      head.readUInt32BE(16) === EXPORT_FRAME_SIZE &&
      head.readUInt32BE(20) === EXPORT_FRAME_SIZE &&
      head[24] === 8 &&
      head[25] === 2 &&
      head[28] === 0
    )
  } finally {
    await fh.close()
  }
}

/** The clips all of whose frames are S4/MS3 frame PNGs already. */
async function framesAsIs(mediaDir: string, plan: PlannedClip[]): Promise<Set<PlannedClip>> {
  const out = new Set<PlannedClip>()
  for (const p of plan) {
    if (!p.frames.every((f) => f.width === EXPORT_FRAME_SIZE && f.height === EXPORT_FRAME_SIZE && extname(f.image).toLowerCase() === '.png')) continue
    if ((await Promise.all(p.frames.map((f) => isExportFramePng(join(mediaDir, f.image))))).every(Boolean)) out.add(p)
  }
  return out
}

/** Up to five names, then how many more: "a, b, c, d, e, and 3 more". */
export function someNames(names: string[]): string {
  return names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '')
}

/** What an export of any format writes at the top of its folder: all that `--overwrite` may replace. */
const EXPORT_ENTRIES = new Set([S4_CSV, MS3_CSV, AVSS_CSV, LABEL2IDX, 's4_data', 'ms3_data', 'v1s', 'v1m', 'v2'])

/** Writes an AVSBench S4, MS3 or AVSS release folder from the open project (spec avsbench-format §1–§5, §7). */
export class AvsbenchExporter {
  /** `pool`: where S4/MS3 clips are encoded; default the process-wide worker pool. */
  constructor(
    private readonly ffmpeg: string,
    private readonly pool?: ExportWorkerPool
  ) {}

  async export(project: OpenProject, opts: ExportOptions, signal?: AbortSignal, onProgress?: (p: ExportProgressInfo) => void): Promise<ExportReport> {
    const out = resolve(opts.out)
    const { store } = project
    const task = store.task
    if (opts.format === 'avss' ? task !== 'avss' : task === 'avss') {
      throw new ApiError('bad_format', `A ${task.toUpperCase()} project cannot be exported as ${opts.format.toUpperCase()}: ${opts.format === 'avss' ? 'AVSS needs class masks (an AVSS project)' : 'S4/MS3 need binary masks (an S4 or MS3 project)'}`)
    }
    const projectDir = resolve(project.dir)
    if (projectDir === out || out.startsWith(projectDir + sep) || projectDir.startsWith(out + sep)) {
      throw new ApiError('bad_destination', `Cannot export to ${out}: it is, or holds, the project folder ${project.dir}; choose a folder outside it`)
    }
    if (existsSync(out)) {
      if (!(await stat(out)).isDirectory()) throw new ApiError('exists', `Cannot export to ${out}: it is a file`)
      if (!opts.overwrite) throw new ApiError('exists', `Cannot export to ${out}: it already exists (choose a new folder, or allow overwriting it: --overwrite)`)
      // Overwriting replaces the folder: only an earlier export (or an empty folder) may be replaced.
      const entries = await readdir(out)
      if (entries.length && ![S4_CSV, MS3_CSV, AVSS_CSV].some((f) => entries.includes(f))) {
        throw new ApiError('exists', `Cannot overwrite ${out}: it is not an AVSBench export (no ${S4_CSV}, ${MS3_CSV} or ${AVSS_CSV}), so it is left as it is`)
      }
      // An earlier export that also holds the user's own files (notes, checkpoints) is not replaced:
      // they would be deleted with it.
      const foreign = entries.filter((e) => !EXPORT_ENTRIES.has(e)).sort()
      if (foreign.length) {
        const named = someNames(foreign)
        throw new ApiError('exists', `Cannot overwrite ${out}: besides an earlier export it holds ${named}, which an export does not write and overwriting would delete; move them out, or export to a new folder`)
      }
    }
    const parent = dirname(out)
    await mkdir(parent, { recursive: true }).catch((err: unknown) => {
      throw explainFsError(err, out)
    })
    await assertWritableDir(parent, out)

    onProgress?.({ stage: 'preparing', fraction: 0, clips: 0, total: 0 })
    const report: ExportReport = { format: opts.format, out, clips: 0, frames: 0, masks: 0, skipped: [] }
    const plan = this.plan(project, opts, report)
    if (plan.length === 0) {
      // An empty dataset that looks complete helps nobody: say why every clip was skipped, and what to do.
      const reasons = new Map<string, number>()
      for (const sk of report.skipped) {
        const r = sk.reason.replace(/^frames? [\d, ]+ \(0-based\) (has|have) /, 'frames have ')
        reasons.set(r, (reasons.get(r) ?? 0) + 1)
      }
      const why = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([r, n]) => `${n} clip${n === 1 ? '' : 's'}: ${r}`).join('; ')
      throw new ApiError(
        'nothing_to_export',
        report.skipped.length
          ? `Nothing exported, every clip was skipped (${why}). Set categories and review frames in the app (or avs serve), or with avs set; nothing was written to ${out}`
          : `Nothing exported: the project has no clips; nothing was written to ${out}`
      )
    }
    onProgress?.({ stage: 'writing', fraction: 0, clips: 0, total: plan.length })
    const tmp = tempBeside(out, 'export')
    try {
      await mkdir(tmp)
      const rows = opts.format === 'avss' ? await this.writeAvss(project, plan, tmp, report, signal, onProgress) : await this.writeBinary(project, plan, opts.format, tmp, report, signal, onProgress)
      onProgress?.({ stage: 'finishing', fraction: 1, clips: report.clips, total: plan.length })
      if (opts.format === 's4') await writeFile(join(tmp, S4_CSV), toCsv(S4_HEADER, rows))
      if (opts.format === 'ms3') await writeFile(join(tmp, MS3_CSV), toCsv(MS3_HEADER, rows))
      if (opts.format === 'avss') {
        await writeFile(join(tmp, AVSS_CSV), toCsv(AVSS_HEADER, rows))
        await writeFile(join(tmp, LABEL2IDX), label2idxJson())
      }
      if (signal?.aborted) throw new ApiError('cancelled', 'Export cancelled')
      await moveIntoPlace(tmp, out)
      return report
    } catch (err) {
      throw explainFsError(err, out)
    } finally {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined)
    }
  }

  /** Decides per clip: split, category, subset and the masks of the annotated frames; the rest goes to `skipped`. */
  private plan(project: OpenProject, opts: ExportOptions, report: ExportReport): PlannedClip[] {
    const { store } = project
    const onlyAccepted = (opts.frames ?? 'accepted') === 'accepted'
    const planned: PlannedClip[] = []
    // A ratio split is drawn per source video, not per clip: clips of one video (and the same file
    // imported twice: same name, size and duration) never land in both training and evaluation.
    const videoKey = new Map(store.listVideos().map((v) => [v.id, `${v.name}|${v.duration}`]))
    for (const c of store.listClips()) {
      const skip = (reason: string): void => void report.skipped.push({ clip: c.name, reason })
      const frames = store.listFrames(c.id)
      const meta = store.getAvsbenchMeta(c.id) ?? {}
      if (!isSafeName(c.name)) {
        skip(`the clip name "${c.name}" cannot be a file name`)
        continue
      }
      const split = c.split ?? splitByRatio(videoKey.get(c.videoId) ?? c.name, opts.seed ?? 0, opts.splitRatio ?? DEFAULT_SPLIT_RATIO)
      const category = c.category ?? ''
      if (opts.format === 's4' && !category) {
        skip('S4 needs a category for the clip (none set)')
        continue
      }
      if (opts.format === 's4' && !isSafeName(category)) {
        skip(`the category "${category}" cannot be a folder name`)
        continue
      }
      let subset: AvssSubset | null = null
      if (opts.format === 'avss') {
        const wanted = meta.label as AvssSubset | undefined
        if (frames.length === 10) subset = 'v2'
        else if (frames.length === 5) subset = wanted === 'v1s' || wanted === 'v1m' ? wanted : null
        else {
          skip(`has ${frames.length} frames; AVSS clips have 5 (v1s/v1m) or 10 (v2)`)
          continue
        }
      } else if (frames.length !== FRAMES_PER_CLIP) {
        skip(`has ${frames.length} frames; ${opts.format.toUpperCase()} clips have exactly ${FRAMES_PER_CLIP}`)
        continue
      }
      // A 5-frame AVSS clip without a recorded subset is v1s when it has at most one class (decided after masks are read).
      const needed = annotatedFrames(opts.format, split, frames.length, subset ?? 'v1m')
      const masks = new Map<number, StoredMask>()
      const missing: number[] = []
      const badSize: string[] = []
      for (const k of needed) {
        const f = frames[k]
        const m = f && (!onlyAccepted || f.status === 'accepted') ? store.latestMask(f.id) : null
        if (!m) missing.push(k)
        else if (m.width !== f.width || m.height !== f.height) badSize.push(`frame ${k} mask is ${m.width}×${m.height} but the frame is ${f.width}×${f.height}`)
        else masks.set(k, m)
      }
      // An unlabelled 5-frame AVSS train clip with only frame 0 annotated is a v1s clip.
      if (missing.length && opts.format === 'avss' && !subset && split === 'train' && masks.has(0)) {
        subset = 'v1s'
        missing.length = 0
        for (const k of [...masks.keys()]) if (k !== 0) masks.delete(k)
      }
      if (missing.length) {
        skip(`frame${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (0-based) ${missing.length > 1 ? 'have' : 'has'} no ${onlyAccepted ? 'accepted ' : ''}mask`)
        continue
      }
      if (badSize.length) {
        skip(badSize.join('; '))
        continue
      }
      planned.push({ clip: c, frames, split, category, subset, masks, meta })
    }
    return planned
  }

  private async writeBinary(
    project: OpenProject,
    plan: PlannedClip[],
    format: 's4' | 'ms3',
    tmp: string,
    report: ExportReport,
    signal: AbortSignal | undefined,
    onProgress: ((p: ExportProgressInfo) => void) | undefined
  ): Promise<Array<Array<string | number>>> {
    const rows: Array<Array<string | number>> = []
    const writes = new WriteQueue()
    const made = new Set<string>()
    const mkdirOnce = async (dir: string): Promise<void> => {
      if (made.has(dir)) return
      await mkdir(dir, { recursive: true })
      made.add(dir)
    }
    // Clips whose frames are 224×224 RGB PNGs already (an imported AVSBench release) keep them as
    // they are: the files are copied, not decoded, resized to the same size and encoded again.
    const asIs = await framesAsIs(project.mediaDir, plan)
    // Batches of clips whose frames share codec and size: one ffmpeg decodes a whole batch.
    const batches: PlannedClip[][] = []
    const key = (q: PlannedClip): string => (asIs.has(q) ? 'as-is' : `${extname(q.frames[0].image)}:${q.frames[0].width}x${q.frames[0].height}`)
    for (const p of plan) {
      const last = batches[batches.length - 1]
      // At most ~128 MB of decoded frames per batch, whatever the source resolution.
      const perClip = p.frames.length * p.frames[0].width * p.frames[0].height * 3
      const limit = Math.max(1, Math.min(batches.length <= 1 ? FIRST_BATCH_CLIPS : BATCH_CLIPS, Math.floor(BATCH_BYTES / perClip)))
      if (last && last.length < limit && key(last[0]) === key(p)) last.push(p)
      else batches.push([p])
    }
    // One ffmpeg per batch writes its frames to a temp file; the clips' frames are read from it
    // where they are encoded (a worker thread), so the pixels never pass through this thread.
    const rawFiles = new Set<string>()
    // A batch's frames: decoded by ffmpeg, or (decoded null) all read back from the frame cache.
    type BatchFrames = { decoded: DecodedFrames | null; cache: CachedFrames | null }
    const decoder = frameDecoderId(this.ffmpeg)
    const decoding: Array<Promise<BatchFrames>> = []
    const decode = (i: number): Promise<BatchFrames> => {
      if (!decoding[i] && asIs.has(batches[i][0])) decoding[i] = Promise.resolve({ decoded: null, cache: null })
      if (!decoding[i]) {
        const b = batches[i]
        const files = b.flatMap((p) => p.frames.map((f) => join(project.mediaDir, f.image)))
        // An earlier export's PNGs are used when every frame of the batch has one; else the batch is decoded whole.
        decoding[i] = readCachedFrames(files, decoder).then(async (cache) => {
          if (cache.pngs.every(Boolean)) return { decoded: null, cache }
          const listFile = join(tmp, `.decode-${i}.txt`)
          const raw = rawFramesFile(listFile)
          rawFiles.add(raw)
          const decoded = await decodeImagesToFile(this.ffmpeg, { files, width: b[0].frames[0].width, height: b[0].frames[0].height }, listFile, raw, signal).finally(() => rm(listFile, { force: true }))
          return { decoded, cache }
        })
        decoding[i].catch(() => undefined)
      }
      return decoding[i]
    }
    const pool = this.pool ?? ExportWorkerPool.shared()
    const threaded = pool.threaded
    type Job = () => Promise<BinaryClipOutput>
    // With workers, a batch's clips are queued as soon as its frames are decoded, so the workers
    // go on to the next batch while this thread writes the last one's files.
    const submitting: Array<Promise<Job[]>> = []
    const submit = (i: number): Promise<Job[]> => {
      submitting[i] ??= decode(i).then(({ decoded, cache }) => {
        let fi = 0
        return batches[i].map((p) => {
          const wavFile = join(project.mediaDir, p.clip.audio)
          const keys = cache?.keys.slice(fi, fi + p.frames.length) ?? []
          const pngs = cache?.pngs.slice(fi, fi + p.frames.length)
          // A clip whose frames are all in the cache is not encoded (nor one whose frames are copied as they are).
          const cached = pngs?.every(Boolean) ? (pngs as Uint8Array[]) : null
          const input: BinaryClipInput = {
            frames: [],
            ...(decoded && !cached
              ? {
                  framesFile: { path: decoded.file, offset: fi * decoded.frameBytes, count: p.frames.length },
                  // A read-only command (avs export beside a writer) reads the cache but writes nothing into the project.
                  ...(project.readOnly ? {} : { frameCache: p.frames.map((f, k) => ({ file: exportFrameCacheFile(join(project.mediaDir, f.image)), key: keys[k] })) })
                }
              : {}),
            frameWidth: p.frames[0].width,
            frameHeight: p.frames[0].height,
            masks: [...p.masks].map(([k, m]) => ({ k, data: m.data, width: m.width, height: m.height })),
            audioSamples: p.clip.audioSamples,
            wavFile,
            logMelCache: logMelCacheFile(wavFile)
          }
          fi += p.frames.length
          const encode = (): Promise<BinaryClipOutput> => (cached ? pool.encode(input).then((o) => ({ ...o, frames: cached })) : pool.encode(input))
          if (!threaded) return encode
          const job = encode()
          job.catch(() => undefined)
          return () => job
        })
      })
      submitting[i].catch(() => undefined)
      return submitting[i]
    }
    try {
      for (let bi = 0; bi < batches.length; bi++) {
        const jobs = await submit(bi)
        // Decode the next batch in ffmpeg while this one is encoded.
        if (bi + 1 < batches.length) void submit(bi + 1)
        for (let ci = 0; ci < jobs.length; ci++) {
          if (signal?.aborted) throw new ApiError('cancelled', 'Export cancelled')
          const p = batches[bi][ci]
          const out = await jobs[ci]()
          const { clip, split, category } = p
          const name = clip.name
          const framePath = (k: number): string => (format === 's4' ? s4.frame(split, category, name, k) : ms3.frame(split, name, k))
          const maskPath = (k: number): string => (format === 's4' ? s4.mask(split, category, name, k) : ms3.mask(split, name, k))
          const wavOut = format === 's4' ? s4.wav(split, category, name) : ms3.wav(split, name)
          const pklOut = format === 's4' ? s4.pkl(split, category, name) : ms3.pkl(split, name)
          for (const rel of [framePath(1), maskPath(1), wavOut, pklOut]) await mkdirOnce(dirname(join(tmp, rel)))
          if (asIs.has(p)) for (let k = 0; k < p.frames.length; k++) await writes.copy(join(project.mediaDir, p.frames[k].image), join(tmp, framePath(k + 1)))
          else for (let k = 0; k < out.frames.length; k++) await writes.add(join(tmp, framePath(k + 1)), out.frames[k])
          for (const m of out.masks) await writes.add(join(tmp, maskPath(m.k + 1)), m.png)
          await writes.copy(join(project.mediaDir, clip.audio), join(tmp, wavOut))
          await writes.add(join(tmp, pklOut), out.pkl)
          rows.push(format === 's4' ? [name, p.meta.start ?? '0', category, split] : [name, split])
          report.clips++
          report.frames += p.frames.length
          report.masks += p.masks.size
          onProgress?.({ stage: 'writing', fraction: report.clips / plan.length, clips: report.clips, total: plan.length })
          // Encoding inline (no workers) must still let the main process answer between clips.
          await yieldLoop()
        }
        const { decoded: done } = await decode(bi)
        if (done) {
          await rm(done.file, { force: true })
          rawFiles.delete(done.file)
        }
      }
      await writes.flush()
    } finally {
      // Nothing may still be writing when the caller removes the temp folder.
      await writes.settle()
      await Promise.allSettled(decoding)
      await Promise.all([...rawFiles].map((f) => rm(f, { force: true })))
    }
    return rows
  }

  private async writeAvss(
    project: OpenProject,
    plan: PlannedClip[],
    tmp: string,
    report: ExportReport,
    signal: AbortSignal | undefined,
    onProgress: ((p: ExportProgressInfo) => void) | undefined
  ): Promise<Array<Array<string | number>>> {
    const rows: Array<Array<string | number>> = []
    for (const p of plan) {
      if (signal?.aborted) throw new ApiError('cancelled', 'Export cancelled')
      const { clip, split } = p
      const labels = new Map<number, Uint8Array>()
      const classes: number[] = []
      for (const [k, m] of p.masks) {
        const l = decodeMask(m.data, m.width, m.height)
        labels.set(k, l)
        const seen = new Uint8Array(256)
        for (let i = 0; i < l.length; i++) seen[l[i]] = 1
        for (let c = 1; c < seen.length; c++) if (seen[c] && !classes.includes(c)) classes.push(c)
      }
      let subset = p.subset
      if (!subset) subset = classes.length > 1 ? 'v1m' : 'v1s'
      // v1s train clips carry frame 0 only (spec §1.3); labels of the other frames are not written.
      const keep = new Set(annotatedFrames('avss', split, p.frames.length, subset))
      const uid = clip.name
      await mkdir(join(tmp, subset, uid, 'frames'), { recursive: true })
      await mkdir(join(tmp, subset, uid, 'labels_rgb'))
      await mkdir(join(tmp, subset, uid, 'labels_semantic'))
      for (let k = 0; k < p.frames.length; k++) {
        const src = join(project.mediaDir, p.frames[k].image)
        if (!/\.jpe?g$/i.test(src)) throw new ApiError('bad_frame', `${src}: AVSS frames are exported as JPEG, but this frame is not a JPEG file`)
        await copyFile(src, join(tmp, avss.frame(subset, uid, k)))
      }
      for (const [k, l] of labels) {
        if (!keep.has(k)) continue
        const m = p.masks.get(k)!
        await writeFile(join(tmp, avss.rgb(subset, uid, k)), labelsRgbPng(l, m.width, m.height))
        await writeFile(join(tmp, avss.semantic(subset, uid, k)), labelsSemanticPng(l, m.width, m.height))
        report.masks++
      }
      await copyFile(join(project.mediaDir, clip.audio), join(tmp, avss.wav(subset, uid)))
      const start = Math.round(clip.start)
      const vid = p.meta.vid ?? (/^(.*)_\d+_\d+$/.exec(uid)?.[1] ?? uid)
      const aObj = p.meta.a_obj ?? (classes.length ? classes.map((c) => AVSS_CLASSES[c] ?? `class${c}`).join('_') : 'background')
      rows.push([vid, uid, p.meta.s_min ?? Math.floor(start / 60), p.meta.s_sec ?? start % 60, aObj, split, subset])
      report.clips++
      report.frames += p.frames.length
      onProgress?.({ stage: 'writing', fraction: report.clips / plan.length, clips: report.clips, total: plan.length })
      await yieldLoop()
    }
    return rows
  }
}
