import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { ApiError } from '../../../shared/api'
import { AVSS_CLASSES } from '../../../shared/avsClasses'
import type { AvsbenchImportReport, PredictionImportReport } from '../../../shared/avsbench'
import { AUDIO_SAMPLE_RATE, Split } from '../../../shared/domain'
import { resizeNearest } from '../../image/png'
import { decodeWavPcm16, encodeWavPcm16 } from '../media/wav'
import type { ProjectService } from '../project/ProjectService'
import type { NewFrame } from '../project/ProjectStore'
import { encodeMask, MASK_ENCODING } from '../project/maskCodec'
import { folderPredictions } from './evaluate'
import {
  annotatedFrames,
  avss,
  AVSS_CSV,
  isSafeName,
  LABEL2IDX,
  ms3,
  MS3_CSV,
  parseCsv,
  s4,
  S4_CSV,
  type AvsFormat,
  type AvssSubset
} from './layout'
import { readBinaryMask, readClassMask, type LabelImage } from './maskImages'

const run = promisify(execFile)

/** Where a release import stands: 'reading' checks the CSV's files; 'importing' counts clips done (imported or skipped). */
export interface ImportReleaseProgress {
  stage: 'reading' | 'importing'
  clips: number
  total: number
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ApiError('cancelled', 'Import cancelled')
}

/** Width and height from a PNG header or a JPEG start-of-frame marker. */
export function imageSize(bytes: Buffer, file: string): { width: number; height: number } {
  if (bytes.length > 24 && bytes.readUInt32BE(0) === 0x89504e47) return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let pos = 2
    while (pos + 9 < bytes.length) {
      if (bytes[pos] !== 0xff) {
        pos++
        continue
      }
      const marker = bytes[pos + 1]
      const len = bytes.readUInt16BE(pos + 2)
      // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: bytes.readUInt16BE(pos + 5), width: bytes.readUInt16BE(pos + 7) }
      }
      pos += 2 + len
    }
  }
  throw new ApiError('bad_frame', `${file} is not a PNG or JPEG image`)
}

/** One clip of a release, with every file it needs, checked before anything is written. */
interface ReleaseClip {
  name: string
  split: Split
  category: string | null
  frames: string[]
  /** Ground-truth file per annotated 0-based frame. */
  masks: Map<number, { file: string; kind: 'binary' | 'semantic' | 'rgb' }>
  wav: string
  start: number
  meta: Record<string, string>
}

const REQUIRED: Record<AvsFormat, string[]> = {
  s4: [S4_CSV, 's4_data/visual_frames', 's4_data/gt_masks', 's4_data/audio_wav'],
  ms3: [MS3_CSV, 'ms3_data/visual_frames', 'ms3_data/gt_masks', 'ms3_data/audio_wav'],
  avss: [AVSS_CSV, LABEL2IDX]
}
const RELEASE_SUBFOLDER: Record<AvsFormat, string | null> = { s4: 'Single-source', ms3: 'Multi-sources', avss: null }

/** Imports official AVSBench releases into new projects and prediction folders into the open project. */
export class AvsbenchImporter {
  constructor(
    private readonly projects: ProjectService,
    private readonly ffmpeg: () => Promise<string>
  ) {}

  /** The release root: `dir` itself, or its `Single-source`/`Multi-sources` child; else a message naming what is missing. */
  private findRoot(dirIn: string, format: AvsFormat): string {
    const dir = resolve(dirIn)
    if (!existsSync(dir)) throw new ApiError('not_found', `${dir} does not exist`)
    const missingIn = (d: string): string[] => REQUIRED[format].filter((p) => !existsSync(join(d, p)))
    const sub = RELEASE_SUBFOLDER[format]
    if (sub && missingIn(dir).length && !missingIn(join(dir, sub)).length) return join(dir, sub)
    const missing = missingIn(dir)
    if (missing.length) throw new ApiError('not_avsbench', `${dir} is not an AVSBench ${format.toUpperCase()} release: missing ${missing.join(', ')}`)
    return dir
  }

  private async readRelease(root: string, format: AvsFormat, skipped: AvsbenchImportReport['skipped'], warnings: string[]): Promise<ReleaseClip[]> {
    const csvName = format === 's4' ? S4_CSV : format === 'ms3' ? MS3_CSV : AVSS_CSV
    const { header, rows } = parseCsv(await readFile(join(root, csvName), 'utf8'))
    const need = format === 's4' ? 4 : format === 'ms3' ? 2 : 7
    if (header.length < need) throw new ApiError('not_avsbench', `${join(root, csvName)} has ${header.length} column(s); ${format.toUpperCase()} needs ${need} (${header.join(',')})`)
    if (format === 'avss') {
      const l2i = JSON.parse(await readFile(join(root, LABEL2IDX), 'utf8')) as Record<string, number>
      const keys = Object.keys(l2i)
      if (keys.length !== AVSS_CLASSES.length) throw new ApiError('not_avsbench', `${join(root, LABEL2IDX)} has ${keys.length} classes; AVSS has ${AVSS_CLASSES.length}`)
      const differ = keys.filter((k, i) => k !== AVSS_CLASSES[i] || l2i[k] !== i + 1)
      if (differ.length) warnings.push(`${LABEL2IDX}: ${differ.length} class name(s) differ from the AVSS list (first: ${differ[0]}); pixel values are kept as class indices`)
    }
    const col = (n: string, fallback: number): number => (header.includes(n) ? header.indexOf(n) : fallback)
    const clips: ReleaseClip[] = []
    const seen = new Set<string>()
    for (const r of rows) {
      let c: ReleaseClip
      if (format === 's4') {
        const [name, start, category, split] = r
        c = {
          name,
          split: split as Split,
          category,
          frames: [1, 2, 3, 4, 5].map((k) => s4.frame(split as Split, category, name, k)),
          masks: new Map(annotatedFrames('s4', split as Split, 5).map((k) => [k, { file: s4.mask(split as Split, category, name, k + 1), kind: 'binary' as const }])),
          wav: s4.wav(split as Split, category, name),
          start: 0,
          meta: { start }
        }
      } else if (format === 'ms3') {
        const [name, split] = r
        c = {
          name,
          split: split as Split,
          category: null,
          frames: [1, 2, 3, 4, 5].map((k) => ms3.frame(split as Split, name, k)),
          masks: new Map(annotatedFrames('ms3', split as Split, 5).map((k) => [k, { file: ms3.mask(split as Split, name, k + 1), kind: 'binary' as const }])),
          wav: ms3.wav(split as Split, name),
          start: 0,
          meta: {}
        }
      } else {
        const get = (n: string, i: number): string => r[col(n, i)] ?? ''
        const uid = get('uid', 1)
        const label = get('label', 6) as AvssSubset
        const split = get('split', 5) as Split
        const t = label === 'v2' ? 10 : 5
        const masks = new Map<number, { file: string; kind: 'semantic' | 'rgb' }>()
        for (const k of annotatedFrames('avss', split, t, label)) {
          const sem = avss.semantic(label, uid, k)
          masks.set(k, existsSync(join(root, sem)) ? { file: sem, kind: 'semantic' } : { file: avss.rgb(label, uid, k), kind: 'rgb' })
        }
        const sMin = get('s_min', 2)
        const sSec = get('s_sec', 3)
        c = {
          name: uid,
          split,
          category: null,
          frames: Array.from({ length: t }, (_, k) => avss.frame(label, uid, k)),
          masks,
          wav: avss.wav(label, uid),
          start: 60 * Number(sMin) + Number(sSec) || 0,
          meta: { vid: get('vid', 0), s_min: sMin, s_sec: sSec, a_obj: get('a_obj', 4), label }
        }
        if (!['v1s', 'v1m', 'v2'].includes(label)) {
          skipped.push({ clip: uid, reason: `label "${label}" is not v1s, v1m or v2` })
          continue
        }
      }
      if (!Split.safeParse(c.split).success) {
        skipped.push({ clip: c.name, reason: `split "${c.split}" is not train, val or test` })
        continue
      }
      if (!isSafeName(c.name) || (c.category !== null && !isSafeName(c.category))) {
        skipped.push({ clip: c.name, reason: 'the name or category cannot be a file name' })
        continue
      }
      if (seen.has(c.name)) {
        skipped.push({ clip: c.name, reason: 'appears twice in the metadata CSV' })
        continue
      }
      const missing = [...c.frames, ...[...c.masks.values()].map((m) => m.file), c.wav].filter((f) => !existsSync(join(root, f)))
      if (missing.length) {
        skipped.push({ clip: c.name, reason: `missing ${missing.join(', ')}` })
        continue
      }
      seen.add(c.name)
      clips.push(c)
    }
    return clips
  }

  /** 16 kHz mono PCM16 of a WAV file: read directly when it already is, else converted with ffmpeg. */
  private async pcm16k(file: string, signal?: AbortSignal): Promise<Int16Array> {
    const bytes = await readFile(file)
    try {
      const w = decodeWavPcm16(bytes)
      if (w.sampleRate === AUDIO_SAMPLE_RATE && w.channels === 1) return w.samples
    } catch {
      // not PCM16: ffmpeg converts it below
    }
    const { stdout } = await run(await this.ffmpeg(), ['-hide_banner', '-loglevel', 'error', '-i', file, '-ac', '1', '-ar', String(AUDIO_SAMPLE_RATE), '-f', 's16le', 'pipe:1'], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
      signal
    }).catch((err: Error) => {
      throw new ApiError('bad_audio', `${file}: ffmpeg cannot read it (${err.message.split('\n')[0]})`)
    })
    const b = stdout as Buffer
    const out = new Int16Array(b.length >> 1)
    for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i)
    return out
  }

  /**
   * Imports an official S4/MS3/AVSS release into a new project; clips with missing or bad files are
   * reported and left out. All or nothing: when it is cancelled or fails once the project exists, the
   * project is closed and everything it had written (the folder, when the import made it) is removed;
   * it is listed under recent projects only once complete. A killed import leaves the project marked
   * unfinished, which opening it then refuses.
   */
  async importRelease(req: { dir: string; format: AvsFormat; projectDir: string; name?: string }, signal?: AbortSignal, onProgress?: (p: ImportReleaseProgress) => void): Promise<AvsbenchImportReport> {
    const root = this.findRoot(req.dir, req.format)
    const skipped: AvsbenchImportReport['skipped'] = []
    const warnings: string[] = []
    onProgress?.({ stage: 'reading', clips: 0, total: 0 })
    const clips = await this.readRelease(root, req.format, skipped, warnings)
    if (clips.length === 0) throw new ApiError('nothing_to_import', `${root}: no clip of the metadata CSV has all its files${skipped[0] ? ` (first: ${skipped[0].clip}: ${skipped[0].reason})` : ''}`)
    checkCancelled(signal)
    const projectDir = resolve(req.projectDir)
    // What the folder held before (create accepts a missing folder or one with hidden files only).
    const before = existsSync(projectDir) ? new Set(await readdir(projectDir)) : null
    await this.projects.create(projectDir, req.format, req.name, { importing: 'an AVSBench import' })
    try {
      return await this.importClips(req.format, root, clips, skipped, warnings, signal, onProgress)
    } catch (err) {
      this.projects.close()
      if (before === null) await rm(projectDir, { recursive: true, force: true })
      else for (const e of await readdir(projectDir)) if (!before.has(e)) await rm(join(projectDir, e), { recursive: true, force: true })
      throw err
    }
  }

  private async importClips(
    format: AvsFormat,
    root: string,
    clips: ReleaseClip[],
    skipped: AvsbenchImportReport['skipped'],
    warnings: string[],
    signal: AbortSignal | undefined,
    onProgress: ((p: ImportReleaseProgress) => void) | undefined
  ): Promise<AvsbenchImportReport> {
    const project = this.projects.require()
    const report = { clips: 0, frames: 0, masks: 0 }
    let unknownPixels = 0
    let done = 0
    onProgress?.({ stage: 'importing', clips: 0, total: clips.length })
    for (const c of clips) {
      if (done > 0) onProgress?.({ stage: 'importing', clips: done, total: clips.length })
      done++
      checkCancelled(signal)
      // Read and check everything of the clip first, so a bad clip leaves nothing behind.
      const frameBytes = await Promise.all(c.frames.map((f) => readFile(join(root, f))))
      const sizes = frameBytes.map((b, i) => imageSize(b, join(root, c.frames[i])))
      const { width, height } = sizes[0]
      if (sizes.some((s) => s.width !== width || s.height !== height)) {
        skipped.push({ clip: c.name, reason: `frames differ in size (${sizes.map((s) => `${s.width}×${s.height}`).join(', ')})` })
        continue
      }
      const masks = new Map<number, LabelImage>()
      let bad: string | null = null
      for (const [k, m] of c.masks) {
        const file = join(root, m.file)
        let img: LabelImage & { unknown?: number }
        try {
          img = m.kind === 'binary' ? readBinaryMask(await readFile(file), file) : readClassMask(await readFile(file), file, m.kind)
        } catch (err) {
          bad = (err as Error).message
          break
        }
        if (img.width !== width || img.height !== height) {
          bad = `${m.file} is ${img.width}×${img.height} but the frame is ${width}×${height}`
          break
        }
        if (img.unknown) {
          unknownPixels += img.unknown
          warnings.push(`${m.file}: ${img.unknown} pixel(s) with a colour or value that is no AVSS class, read as background`)
        }
        masks.set(k, img)
      }
      if (bad) {
        skipped.push({ clip: c.name, reason: bad })
        continue
      }
      let pcm: Int16Array
      try {
        pcm = await this.pcm16k(join(root, c.wav), signal)
      } catch (err) {
        checkCancelled(signal)
        skipped.push({ clip: c.name, reason: (err as Error).message })
        continue
      }
      const t = c.frames.length
      const total = t * AUDIO_SAMPLE_RATE
      const samples = new Int16Array(total)
      samples.set(pcm.subarray(0, total))
      checkCancelled(signal)
      const uuid = randomUUID()
      const clipDir = join(project.mediaDir, uuid, 'c0000')
      await mkdir(clipDir, { recursive: true })
      try {
        const frames: NewFrame[] = []
        for (let k = 0; k < t; k++) {
          const rel = `${uuid}/c0000/f${k}${extname(c.frames[k]).toLowerCase()}`
          await writeFile(join(project.mediaDir, rel), frameBytes[k])
          // Release frames are small already: the frame doubles as its thumbnail.
          frames.push({ index: k, sourceFrame: k, time: c.start + k, width, height, image: rel, thumb: rel })
        }
        await writeFile(join(clipDir, 'audio.wav'), encodeWavPcm16(samples, AUDIO_SAMPLE_RATE))
        const store = project.store
        store.db.transaction(() => {
          store.insertVideo(
            {
              uuid,
              path: join(root, c.frames[0], '..'),
              name: c.name,
              sizeBytes: 0,
              duration: t,
              width,
              height,
              rotation: 0,
              fps: 1,
              vfr: false,
              hasAudio: true,
              startOffset: 0,
              probeJson: JSON.stringify({ avsbench: format })
            },
            [
              {
                index: 0,
                name: c.name,
                start: c.start,
                duration: t,
                width,
                height,
                audio: `${uuid}/c0000/audio.wav`,
                audioSamples: Math.min(pcm.length, total),
                flags: pcm.length < total ? ['padded'] : [],
                frames
              }
            ]
          )
          const clipId = (store.db.prepare('SELECT id FROM clips WHERE name = ?').get(c.name) as { id: number }).id
          store.updateClip(clipId, { split: c.split, category: c.category })
          if (Object.keys(c.meta).length) store.setAvsbenchMeta(clipId, c.meta)
          const stored = store.listFrames(clipId)
          for (const [k, m] of masks) {
            store.addMask(stored[k].id, { source: 'import', width, height, encoding: MASK_ENCODING, data: encodeMask(m.labels), status: 'accepted' })
          }
        })()
      } catch (err) {
        await rm(join(project.mediaDir, uuid), { recursive: true, force: true })
        throw err
      }
      report.clips++
      report.frames += t
      report.masks += masks.size
    }
    checkCancelled(signal)
    onProgress?.({ stage: 'importing', clips: done, total: clips.length })
    if (unknownPixels) warnings.unshift(`${unknownPixels} mask pixel(s) in all had colours that are no AVSS class and were read as background`)
    // The very last step: only a complete import removes the unfinished marker.
    const summary = await this.projects.finishImport()
    return { project: summary, ...report, skipped, warnings }
  }

  /** Imports an official `--save_pred_mask` folder into the open project as model masks, resized to each frame. */
  async importPredictions(req: { dir: string; model?: string }): Promise<PredictionImportReport> {
    const dir = resolve(req.dir)
    if (!existsSync(dir)) throw new ApiError('not_found', `${dir} does not exist`)
    const project = this.projects.require()
    const { store } = project
    const format = store.task
    const lookup = folderPredictions(dir, format)
    const model = req.model ?? basename(dir)
    const report: PredictionImportReport = { clips: 0, masks: 0, skipped: [], warnings: [] }
    const base = existsSync(join(dir, 'pred_masks')) ? join(dir, 'pred_masks') : dir
    const known = new Set<string>()
    for (const c of store.listClips()) {
      const frames = store.listFrames(c.id)
      let n = 0
      for (const f of frames) {
        let p: LabelImage | null
        try {
          p = await lookup({ name: c.name, category: c.category }, f.index)
        } catch (err) {
          report.skipped.push({ clip: c.name, reason: (err as Error).message })
          break
        }
        if (!p) continue
        const labels = resizeNearest(p.labels, p.width, p.height, f.width, f.height)
        const current = store.latestMask(f.id)
        store.db.transaction(() => {
          store.addMask(f.id, { source: 'model', width: f.width, height: f.height, encoding: MASK_ENCODING, data: encodeMask(labels), model })
          // A person's (or the release's) mask stays the frame's current one: the editor shows it and the export writes it.
          if (current && current.source !== 'model') {
            const { source, width, height, encoding, data } = current
            store.addMask(f.id, { source, width, height, encoding, data, model: current.model, confidence: current.confidence })
            store.db.prepare('UPDATE frames SET status = ? WHERE id = ?').run(f.status, f.id)
          }
        })()
        n++
      }
      if (n) {
        known.add(c.name)
        if (c.category) known.add(c.category)
        report.clips++
        report.masks += n
      }
    }
    const entries = (await readdir(base, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
    const unmatched = entries.filter((e) => !known.has(e))
    if (report.masks === 0) {
      throw new ApiError('no_predictions', `${dir}: no prediction PNG matches a clip of this project (expected pred_masks/[<category>/]<clip>/<clip>_<i>.png with i from 0)`)
    }
    if (unmatched.length) report.warnings.push(`${unmatched.length} folder(s) in ${base} match no clip: ${unmatched.slice(0, 5).join(', ')}${unmatched.length > 5 ? ', …' : ''}`)
    return report
  }
}
