// Official AVSBench metrics (src/shared/metrics/avsMetrics.ts) over a ground-truth release folder
// and a prediction folder or project, and over the open project's model vs human masks.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../../../shared/api'
import type { EvalScores, ProjectEvalResult } from '../../../shared/avsbench'
import type { Split } from '../../../shared/domain'
import { BinaryMetricAccumulator, SemanticMetricAccumulator } from '../../../shared/metrics/avsMetrics'
import { resizeNearest } from '../../image/png'
import type { ProjectStore } from '../project/ProjectStore'
import { decodeMask } from '../project/maskCodec'
import { annotatedFrames, avss, AVSS_CSV, ms3, MS3_CSV, parseCsv, s4, S4_CSV, type AvsFormat, type AvssSubset } from './layout'
import { readBinaryMask, readClassMask, type LabelImage } from './maskImages'

/** Official evaluation size: S4/MS3 frames are 224×224; AVSS test resizes masks to 224×224 (NEAREST). */
export const EVAL_SIZE = 224
const AVSS_T = 10

/** A predicted label map for frame k (0-based) of a clip, or null when there is none. */
export type PredictionLookup = (clip: { name: string; category: string | null }, k: number) => Promise<LabelImage | null>

export interface FolderEvalOptions {
  format: AvsFormat
  gt: string
  pred: PredictionLookup
  /** Split to evaluate (default test). */
  split?: Split
  /** S4/MS3 clips per metric batch (official test.py: 1; test.sh: 4). */
  batchClips?: number
}

export interface FolderEvalResult {
  format: AvsFormat
  split: Split
  clips: number
  frames: number
  miou: number | null
  fscore: number | null
  missingPredictions: number
  perClip: Array<{ clip: string; frames: number; miou: number | null; fscore: number | null }>
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null)

function toEvalSize(m: LabelImage): Uint8Array {
  return resizeNearest(m.labels, m.width, m.height, EVAL_SIZE, EVAL_SIZE)
}

async function readOptional(file: string): Promise<Buffer | null> {
  return existsSync(file) ? readFile(file) : null
}

/** Predictions written by the official `test.py --save_pred_mask` (spec §8): 0-based names. */
export function folderPredictions(dir: string, format: AvsFormat): PredictionLookup {
  const base = existsSync(join(dir, 'pred_masks')) ? join(dir, 'pred_masks') : dir
  return async (clip, k) => {
    const candidates = [join(base, clip.name, `${clip.name}_${k}.png`)]
    if (clip.category) candidates.unshift(join(base, clip.category, clip.name, `${clip.name}_${k}.png`))
    for (const file of candidates) {
      const bytes = await readOptional(file)
      if (!bytes) continue
      return format === 'avss' ? readClassMask(bytes, file, 'rgb', true) : readBinaryMask(bytes, file)
    }
    return null
  }
}

/** Model masks of a project, found by clip name. */
export function projectPredictions(store: ProjectStore): PredictionLookup {
  const clips = new Map(store.listClips().map((c) => [c.name, c.id]))
  return async (clip, k) => {
    const id = clips.get(clip.name)
    if (id === undefined) return null
    const frame = store.listFrames(id)[k]
    const m = frame ? store.latestMask(frame.id, 'model') : null
    if (!m) return null
    const labels = decodeMask(m.data, m.width, m.height)
    return { width: m.width, height: m.height, labels }
  }
}

interface GtClip {
  name: string
  category: string | null
  /** Relative mask file per 0-based frame that has ground truth. */
  masks: Array<{ k: number; file: string; alt?: string }>
  /** AVSS: frames of the clip (5 or 10); padded to 10 with empty frames as the official test does. */
  frameCount: number
}

async function readGtClips(format: AvsFormat, gt: string, split: Split): Promise<GtClip[]> {
  const csvName = format === 's4' ? S4_CSV : format === 'ms3' ? MS3_CSV : AVSS_CSV
  const csvFile = join(gt, csvName)
  if (!existsSync(gt)) throw new ApiError('not_found', `The ground-truth folder ${gt} does not exist`)
  if (!existsSync(csvFile)) throw new ApiError('not_avsbench', `${gt} is not an AVSBench ${format.toUpperCase()} folder: ${csvName} is missing`)
  const { header, rows } = parseCsv(await readFile(csvFile, 'utf8'))
  const out: GtClip[] = []
  if (format === 's4') {
    for (const r of rows.filter((r) => r[3] === split)) {
      const [name, , category] = r
      out.push({ name, category, frameCount: 5, masks: annotatedFrames('s4', split, 5).map((k) => ({ k, file: s4.mask(split, category, name, k + 1) })) })
    }
  } else if (format === 'ms3') {
    for (const r of rows.filter((r) => r[1] === split)) {
      out.push({ name: r[0], category: null, frameCount: 5, masks: annotatedFrames('ms3', split, 5).map((k) => ({ k, file: ms3.mask(split, r[0], k + 1) })) })
    }
  } else {
    const col = (n: string): number => header.indexOf(n)
    for (const r of rows.filter((r) => r[col('split')] === split)) {
      const uid = r[col('uid')]
      const label = r[col('label')] as AvssSubset
      const frameCount = label === 'v2' ? 10 : 5
      out.push({
        name: uid,
        category: null,
        frameCount,
        masks: annotatedFrames('avss', split, frameCount, label).map((k) => ({ k, file: avss.semantic(label, uid, k), alt: avss.rgb(label, uid, k) }))
      })
    }
  }
  return out
}

/** `avs eval`: a prediction folder or project against a ground-truth release folder, per clip and overall. */
export async function evaluateFolders(opts: FolderEvalOptions): Promise<FolderEvalResult> {
  const split = opts.split ?? 'test'
  const clips = await readGtClips(opts.format, opts.gt, split)
  if (clips.length === 0) throw new ApiError('nothing_to_evaluate', `${opts.gt}: no ${split} clips in the metadata CSV`)
  const result: FolderEvalResult = { format: opts.format, split, clips: clips.length, frames: 0, miou: null, fscore: null, missingPredictions: 0, perClip: [] }
  const n = EVAL_SIZE * EVAL_SIZE
  const empty = new Uint8Array(n)
  const readGt = async (file: string, alt?: string): Promise<Uint8Array> => {
    const main = join(opts.gt, file)
    let bytes = await readOptional(main)
    if (opts.format !== 'avss') {
      if (!bytes) throw new ApiError('missing_file', `Ground truth ${main} is missing`)
      return toEvalSize(readBinaryMask(bytes, main))
    }
    if (bytes) return toEvalSize(readClassMask(bytes, main, 'semantic'))
    const rgbFile = join(opts.gt, alt!)
    bytes = await readOptional(rgbFile)
    if (!bytes) throw new ApiError('missing_file', `Ground truth ${main} (or ${rgbFile}) is missing`)
    return toEvalSize(readClassMask(bytes, rgbFile, 'rgb'))
  }
  const readPred = async (clip: GtClip, k: number): Promise<Uint8Array | null> => {
    const p = await opts.pred(clip, k)
    return p ? toEvalSize(p) : null
  }
  if (opts.format === 'avss') {
    const all = new SemanticMetricAccumulator()
    for (const clip of clips) {
      const one = new SemanticMetricAccumulator()
      for (const { k, file, alt } of clip.masks) {
        const gt = await readGt(file, alt)
        let pred = await readPred(clip, k)
        if (!pred) {
          result.missingPredictions++
          pred = empty
        }
        all.add(pred, gt, EVAL_SIZE, EVAL_SIZE)
        one.add(pred, gt, EVAL_SIZE, EVAL_SIZE)
        result.frames++
      }
      // 5-frame clips are padded to 10 with empty frames, which the official test scores too.
      for (let k = clip.frameCount; k < AVSS_T && clip.masks.length === clip.frameCount; k++) {
        const pred = (await readPred(clip, k)) ?? empty
        all.add(pred, empty, EVAL_SIZE, EVAL_SIZE)
      }
      const r = one.result()
      result.perClip.push({ clip: clip.name, frames: clip.masks.length, miou: finite(r.miouSeen), fscore: finite(r.fscoreSeen) })
    }
    const r = all.result()
    result.miou = finite(r.miou)
    result.fscore = finite(r.fscore)
    return result
  }
  const framesPerClip = clips[0].masks.length
  const all = new BinaryMetricAccumulator({ batchSize: framesPerClip * (opts.batchClips ?? 1) })
  for (const clip of clips) {
    const one = new BinaryMetricAccumulator({ batchSize: clip.masks.length })
    for (const { k, file } of clip.masks) {
      const gt = await readGt(file)
      let pred = await readPred(clip, k)
      if (!pred) {
        result.missingPredictions++
        pred = empty
      }
      all.add(pred, gt, EVAL_SIZE, EVAL_SIZE)
      one.add(pred, gt, EVAL_SIZE, EVAL_SIZE)
      result.frames++
    }
    const r = one.result()
    result.perClip.push({ clip: clip.name, frames: clip.masks.length, miou: finite(r.miou), fscore: finite(r.fscore) })
  }
  // Not one prediction matched: a wrong --pred folder or --split, not a model that scores this.
  if (result.frames > 0 && result.missingPredictions === result.frames) {
    throw new ApiError(
      'no_predictions',
      `None of the ${result.frames} ground-truth frames of the ${split} split has a prediction: check --pred (a --save_pred_mask folder or a project) and --split`
    )
  }
  const r = all.result()
  result.miou = finite(r.miou)
  result.fscore = finite(r.fscore)
  return result
}

/**
 * How much people corrected the model: latest model mask vs the frame's ground truth
 * (`ProjectStore.latestGroundTruth`) on every frame that has both, per clip and for the project,
 * at the frames' own size.
 */
export function evaluateProject(store: ProjectStore): ProjectEvalResult {
  const task = store.task
  const semantic = task === 'avss'
  const projectAcc = semantic ? new SemanticMetricAccumulator() : new BinaryMetricAccumulator({ batchSize: 5 })
  const clips: ProjectEvalResult['clips'] = []
  let projectFrames = 0
  for (const c of store.listClips()) {
    const acc = semantic ? new SemanticMetricAccumulator() : new BinaryMetricAccumulator({ batchSize: c.frameCount })
    let frames = 0
    for (const f of store.listFrames(c.id)) {
      const model = store.latestMask(f.id, 'model')
      const truth = store.latestGroundTruth(f.id)
      if (!model || !truth || model.width !== truth.width || model.height !== truth.height) continue
      const pred = decodeMask(model.data, model.width, model.height)
      const gt = decodeMask(truth.data, truth.width, truth.height)
      acc.add(pred, gt, model.width, model.height)
      projectAcc.add(pred, gt, model.width, model.height)
      frames++
    }
    if (frames === 0) continue
    projectFrames += frames
    clips.push({ clipId: c.id, clip: c.name, ...scores(acc, frames) })
  }
  return { task, project: projectFrames ? scores(projectAcc, projectFrames) : { frames: 0, miou: null, fscore: null }, clips }
}

function scores(acc: SemanticMetricAccumulator | BinaryMetricAccumulator, frames: number): EvalScores {
  if (acc instanceof SemanticMetricAccumulator) {
    // Within a project only the classes that occur are meaningful: mean over classes seen.
    const r = acc.result()
    return { frames, miou: finite(r.miouSeen), fscore: finite(r.fscoreSeen) }
  }
  const r = acc.result()
  return { frames, miou: finite(r.miou), fscore: finite(r.fscore) }
}
