// `avs masks`: a project's masks as PNG files laid out as the official `test.py --save_pred_mask`
// writes predictions (spec avsbench-format §8), at each frame's own size, with an index.json.
// Only reads the project; the folder appears in one rename, as an export does.
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { setImmediate as yieldLoop } from 'node:timers/promises'
import { ApiError } from '../../../shared/api'
import { AVSS_PALETTE } from '../../../shared/avsClasses'
import type { Clip, TaskType } from '../../../shared/domain'
import { encodePng, resizeNearest } from '../../image/png'
import type { OpenProject } from '../project/ProjectService'
import type { MaskSource, StoredMask } from '../project/ProjectStore'
import { decodeMask } from '../project/maskCodec'
import { explainFsError, moveIntoPlace, someNames } from './AvsbenchExporter'
import { isSafeName } from './layout'
import { WriteQueue } from './WriteQueue'
import { tempBeside } from '../project/tempFolders'

/** Which mask of each frame is written: the newest model mask, or the frame's current (newest) mask. */
export type MaskPngSource = 'model' | 'current'
export const MASK_PNG_SOURCES: readonly MaskPngSource[] = ['model', 'current']

/** Written at the root of the output folder. */
export const MASKS_INDEX = 'index.json'

/** One written PNG, as index.json lists it. */
export interface MaskPngEntry {
  /** Clip id in the project (what `--clips` takes). */
  clip: number
  clipName: string
  category: string | null
  /** 0-based frame index within the clip: the `<k>` of `<clip>_<k>.png`. */
  frame: number
  /** Frame number in the source video. */
  sourceFrame: number
  /** Seconds from the start of the source video. */
  time: number
  /** Path relative to the output folder, with '/' separators. */
  file: string
  width: number
  height: number
  /** Who made the mask written. */
  source: MaskSource
  revision: number
  /** Model name of a model mask; null otherwise. */
  model: string | null
  confidence: number | null
}

/** index.json: what was asked for, and one entry per PNG in clip and frame order. */
export interface MaskPngIndex {
  task: TaskType
  source: MaskPngSource
  frames: MaskPngEntry[]
}

export interface MaskPngOptions {
  out: string
  source?: MaskPngSource
  /** Clip ids to write (default all). */
  clipIds?: number[]
  /** Replace an earlier `avs masks` folder (or an empty one) at `out`. */
  overwrite?: boolean
}

export interface MaskPngReport {
  out: string
  task: TaskType
  source: MaskPngSource
  clips: number
  masks: number
  /** Clips with frames left out (frames: 0-based indices), and why. */
  skipped: Array<{ clip: string; frames: number[]; reason: string }>
}

/**
 * Where the official code saves frame k (0-based) of a clip: S4 `save_mask` has a category level,
 * MS3 `save_mask` and AVSS `save_color_mask` do not (and `avs eval` looks for them without one).
 */
export function maskPngPath(task: TaskType, clip: Pick<Clip, 'name' | 'category'>, k: number): string {
  const name = `${clip.name}/${clip.name}_${k}.png`
  return task === 's4' && clip.category ? `${clip.category}/${name}` : name
}

/** Label → byte: background 0, any class 255 (spec §3.1: the only binary encoding every loader reads). */
const FOREGROUND_255 = new Uint8Array(256).fill(255, 1)

/** The AVSS palette padded to 256 entries, as the export's labels_semantic PNGs have it. */
const CLASS_PALETTE = (() => {
  const p = new Uint8Array(768)
  p.set(AVSS_PALETTE)
  return p
})()

/** A label map as the PNG the task's prediction files are: `L` 0/255 (S4, MS3) or palette index = class (AVSS). */
export function maskPng(task: TaskType, labels: Uint8Array, width: number, height: number): Buffer {
  if (task === 'avss') return encodePng({ width, height, mode: 'P', data: labels, palette: CLASS_PALETTE })
  const grey = new Uint8Array(labels.length)
  for (let i = 0; i < labels.length; i++) grey[i] = FOREGROUND_255[labels[i]]
  return encodePng({ width, height, mode: 'L', data: grey })
}

/** Writes the chosen mask of every frame of the chosen clips; frames without one are reported, not fatal. */
export async function writeMaskPngs(project: OpenProject, opts: MaskPngOptions): Promise<MaskPngReport> {
  const out = resolve(opts.out)
  const source = opts.source ?? 'model'
  if (!MASK_PNG_SOURCES.includes(source)) throw new ApiError('bad_input', `source must be model or current, got "${String(source)}"`)
  const { store } = project
  const task = store.task
  const projectDir = resolve(project.dir)
  if (projectDir === out || out.startsWith(projectDir + sep) || projectDir.startsWith(out + sep)) {
    throw new ApiError('bad_destination', `Cannot write masks to ${out}: it is, or holds, the project folder ${project.dir}; choose a folder outside it`)
  }
  let clips = store.listClips()
  if (opts.clipIds) {
    const wanted = [...new Set(opts.clipIds)]
    const unknown = wanted.filter((id) => !clips.some((c) => c.id === id))
    if (unknown.length) throw new ApiError('not_found', `No clip${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in this project (its clip ids: ${clips.map((c) => c.id).join(', ') || 'none'})`)
    clips = clips.filter((c) => wanted.includes(c.id))
  }
  if (clips.length === 0) throw new ApiError('no_clips', 'The project has no clips; import a video first')
  if (existsSync(out)) {
    if (!(await stat(out)).isDirectory()) throw new ApiError('exists', `Cannot write masks to ${out}: it is a file`)
    const entries = await readdir(out)
    if (entries.length && !opts.overwrite) throw new ApiError('exists', `Cannot write masks to ${out}: the folder is not empty (choose a new folder, or --overwrite to replace it)`)
    // Overwriting replaces the whole folder: only an earlier `avs masks` folder may be replaced.
    if (entries.length && !entries.includes(MASKS_INDEX)) throw new ApiError('exists', `Cannot overwrite ${out}: it holds no ${MASKS_INDEX}, so it is no earlier \`avs masks\` output and is left as it is`)
    if (entries.length) {
      // What the earlier run wrote is in its index; anything else there is the user's, and would be deleted.
      let ours: Set<string>
      try {
        const prev = JSON.parse(await readFile(join(out, MASKS_INDEX), 'utf8')) as Partial<MaskPngIndex>
        ours = new Set([MASKS_INDEX, ...(prev.frames ?? []).map((f) => String(f.file).split('/')[0]!)])
      } catch {
        throw new ApiError('exists', `Cannot overwrite ${out}: its ${MASKS_INDEX} cannot be read, so it is left as it is`)
      }
      const foreign = entries.filter((e) => !ours.has(e)).sort()
      if (foreign.length) {
        throw new ApiError('exists', `Cannot overwrite ${out}: besides earlier masks it holds ${someNames(foreign)}, which \`avs masks\` did not write and overwriting would delete; move them out, or write to a new folder`)
      }
    }
  }
  const parent = dirname(out)
  await mkdir(parent, { recursive: true }).catch((err: unknown) => {
    throw explainFsError(err, out)
  })

  const report: MaskPngReport = { out, task, source, clips: 0, masks: 0, skipped: [] }
  const index: MaskPngIndex = { task, source, frames: [] }
  const tmp = tempBeside(out, 'masks')
  const writes = new WriteQueue()
  try {
    await mkdir(tmp)
    for (const c of clips) {
      const frames = store.listFrames(c.id)
      const skip = (reason: string, list = frames.map((f) => f.index)): void => void report.skipped.push({ clip: c.name, frames: list, reason })
      if (!isSafeName(c.name)) {
        skip(`the clip name "${c.name}" cannot be a file name`)
        continue
      }
      if (task === 's4' && c.category && !isSafeName(c.category)) {
        skip(`the category "${c.category}" cannot be a folder name`)
        continue
      }
      const missing: number[] = []
      let made = false
      for (const f of frames) {
        const m: StoredMask | null = source === 'model' ? store.latestMask(f.id, 'model') : store.latestMask(f.id)
        if (!m) {
          missing.push(f.index)
          continue
        }
        let labels = decodeMask(m.data, m.width, m.height)
        // Masks are stored at the frame's size; one that is not is brought to it as import does.
        if (m.width !== f.width || m.height !== f.height) labels = resizeNearest(labels, m.width, m.height, f.width, f.height)
        const file = maskPngPath(task, c, f.index)
        if (!made) await mkdir(dirname(join(tmp, file)), { recursive: true })
        made = true
        await writes.add(join(tmp, file), maskPng(task, labels, f.width, f.height))
        index.frames.push({
          clip: c.id,
          clipName: c.name,
          category: c.category,
          frame: f.index,
          sourceFrame: f.sourceFrame,
          time: f.time,
          file,
          width: f.width,
          height: f.height,
          source: m.source,
          revision: m.revision,
          model: m.source === 'model' ? m.model : null,
          confidence: m.confidence
        })
        report.masks++
      }
      if (made) report.clips++
      if (missing.length) {
        const what = source === 'model' ? 'model mask' : 'mask'
        skip(`frame${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (0-based) ${missing.length > 1 ? 'have' : 'has'} no ${what}`, missing)
      }
      await yieldLoop()
    }
    await writes.flush()
    if (report.masks === 0) {
      const which = opts.clipIds ? `clip${clips.length > 1 ? 's' : ''} ${clips.map((c) => c.id).join(', ')}` : 'this project'
      throw new ApiError('no_masks', `Nothing written: no frame of ${which} has ${source === 'model' ? 'a model mask (run avs segment or avs import-predictions first)' : 'a mask'}`)
    }
    await writeFile(join(tmp, MASKS_INDEX), `${JSON.stringify(index, null, 2)}\n`)
    await moveIntoPlace(tmp, out)
    return report
  } catch (err) {
    throw explainFsError(err, out)
  } finally {
    await writes.settle()
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined)
  }
}
