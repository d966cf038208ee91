// The official AVSBench metrics (spec avsbench-format §6), reproduced with the official code's
// float32 arithmetic so that results agree with it to float32 rounding.
//   S4/MS3: `mask_iou` and `Eval_Fmeasure` of avs_scripts/*/utils/utility.py, averaged per batch
//           by `AverageMeter` (IoU as a float32 tensor sum, F as Python floats).
//   AVSS:   `calc_color_miou_fscore` of avss/utils/compute_color_metrics.py, accumulated over all
//           frames as avss/test.py does.

/** A predicted foreground map: probabilities (after sigmoid), logits (with `input: 'logits'`) or a
 * binary mask (Uint8Array, nonzero = foreground = probability 1). */
export type BinaryPrediction = Float32Array | Float64Array | Uint8Array
/** A ground-truth mask: nonzero = foreground (0/1 or 0/255). */
export type BinaryMask = Uint8Array | Float32Array
/** A class-index label map (0 = background); values ≥ nClasses count as no class (ignored). */
export type LabelMap = Uint8Array | Uint16Array | Int32Array

export const F_BETA2 = 0.3
export const F_THRESHOLD_COUNT = 255
export const IOU_EPS = 1e-7
export const SEMANTIC_IOU_EPS = 2.220446049250313e-16

const f32 = Math.fround
const C13 = f32(1 + F_BETA2)
const C03 = f32(F_BETA2)
const EPS20 = f32(1e-20)

/**
 * `torch.linspace(0, 1 - 1e-10, 255)` in float32, bit for bit as PyTorch's CPU kernel computes it
 * on AVX2 builds (8-lane vectors, fused multiply-add for each vector's base; 1 - 1e-10 is 1.0f).
 */
function buildThresholds(): Float32Array {
  const n = F_THRESHOLD_COUNT
  const lanes = 8
  const end = f32(1 - 1e-10)
  const step = f32(end / (n - 1))
  const half = Math.floor(n / 2)
  const th = new Float32Array(n)
  // exact a·b + c, rounded once: a·b of a float32 and a small integer is exact in a double
  const base = (i: number): number => (i < half ? f32(step * i) : f32(end - step * (n - 1 - i)))
  let i = 0
  while (i + 2 * lanes <= n) {
    for (let v = 0; v < 2; v++) {
      const b = base(i)
      for (let j = 0; j < lanes; j++) th[i + j] = f32(b + j * step)
      i += lanes
    }
  }
  for (; i < n; i++) th[i] = base(i)
  return th
}

const THRESHOLDS = buildThresholds()

/** The 255 F-measure thresholds (a copy). */
export function fThresholds(): Float32Array {
  return THRESHOLDS.slice()
}

/** Number of thresholds th with th <= p (p a float32 value); 0 for NaN. */
function thresholdsPassed(p: number): number {
  if (!(p >= 0)) return 0
  let g = Math.min(Math.floor(p * (F_THRESHOLD_COUNT - 1)), F_THRESHOLD_COUNT - 1)
  while (g + 1 < F_THRESHOLD_COUNT && THRESHOLDS[g + 1] <= p) g++
  while (g >= 0 && THRESHOLDS[g] > p) g--
  return g + 1
}

function sigmoid32(x: number): number {
  return f32(1 / (1 + Math.exp(-f32(x))))
}

/** F_β per threshold from counts, in float32 as the official code; NaN → 0. */
function fScore32(tp: number, predCount: number, gtCount: number): number {
  const prec = f32(tp / f32(predCount + EPS20))
  const recall = f32(tp / f32(gtCount + EPS20))
  const f = f32(f32(f32(C13 * prec) * recall) / f32(f32(C03 * prec) + recall))
  return Number.isNaN(f) ? 0 : f
}

export interface BinaryMetricOptions {
  /** Frames per metric batch (official test: clips per batch × 5 frames). Default 5. */
  batchSize?: number
  /** How Float32/Float64 predictions are read. Default 'probabilities'. */
  input?: 'probabilities' | 'logits'
}

export interface BinaryMetricResult {
  /** mIoU (J): mean over batches of the batch mean frame IoU. NaN when nothing was added. */
  miou: number
  /** F-score: mean over batches of max over thresholds of the batch's mean F curve. */
  fscore: number
  batches: number
  frames: number
  /** Frames with an empty ground truth (IoU of background; skipped by the F-score). */
  emptyFrames: number
}

/**
 * Streams frames through the official S4/MS3 metrics. Frames are grouped into batches of
 * `batchSize` in the order added; `result()` counts a partial last batch as a batch (the official
 * loader does not drop it). F depends on the batch size, as in the official code.
 */
export class BinaryMetricAccumulator {
  private readonly batchSize: number
  private readonly logits: boolean
  private readonly histAll = new Float64Array(F_THRESHOLD_COUNT + 1)
  private readonly histFg = new Float64Array(F_THRESHOLD_COUNT + 1)
  private readonly fSum = new Float32Array(F_THRESHOLD_COUNT)
  private batchFrames = 0
  private batchIoUSum = 0
  private batchFFrames = 0
  private miouSum = 0
  private fscoreSum = 0
  private batches = 0
  private frames = 0
  private emptyFrames = 0

  constructor(opts: BinaryMetricOptions = {}) {
    const b = opts.batchSize ?? 5
    if (!Number.isInteger(b) || b < 1) throw new RangeError(`BinaryMetricAccumulator: batchSize must be a positive integer, got ${b}`)
    this.batchSize = b
    this.logits = opts.input === 'logits'
  }

  /** Adds one frame: prediction and ground truth of w×h pixels. */
  add(pred: BinaryPrediction, gt: BinaryMask, w: number, h: number): void {
    const n = w * h
    if (pred.length !== n || gt.length !== n) {
      throw new RangeError(`BinaryMetricAccumulator.add: ${w}×${h} needs ${n} values, got pred ${pred.length}, gt ${gt.length}`)
    }
    const histAll = this.histAll
    const histFg = this.histFg
    histAll.fill(0)
    histFg.fill(0)
    let predFg = 0
    let inter = 0
    let gtFg = 0
    if (pred instanceof Uint8Array) {
      for (let i = 0; i < n; i++) {
        const p = pred[i] !== 0
        const g = gt[i] !== 0
        if (p) predFg++
        if (g) {
          gtFg++
          if (p) inter++
        }
      }
      // a binary prediction is a probability of 0 or 1: 1 passes all 255 thresholds, 0 only th = 0
      histAll[F_THRESHOLD_COUNT] = predFg
      histAll[1] = n - predFg
      histFg[F_THRESHOLD_COUNT] = inter
      histFg[1] = gtFg - inter
    } else {
      const logits = this.logits
      for (let i = 0; i < n; i++) {
        const p = logits ? sigmoid32(pred[i]) : f32(pred[i])
        const k = thresholdsPassed(p)
        histAll[k]++
        const fg = p > 0.5
        if (fg) predFg++
        if (gt[i] !== 0) {
          gtFg++
          histFg[k]++
          if (fg) inter++
        }
      }
    }
    // IoU (mask_iou): an empty ground truth scores the IoU of the background over all pixels
    const iou = gtFg === 0 ? f32((n - predFg) / f32(n + IOU_EPS)) : f32(inter / f32(predFg + gtFg - inter + IOU_EPS))
    this.batchIoUSum = f32(this.batchIoUSum + iou)
    this.frames++
    this.batchFrames++
    if (gtFg === 0) {
      this.emptyFrames++
    } else {
      // F curve: pixels passing threshold i are those with k ≥ i + 1 (suffix sums)
      let all = 0
      let fg = 0
      const curve = this.fSum
      for (let i = F_THRESHOLD_COUNT - 1; i >= 0; i--) {
        all += histAll[i + 1]
        fg += histFg[i + 1]
        curve[i] = f32(curve[i] + fScore32(fg, all, gtFg))
      }
      this.batchFFrames++
    }
    if (this.batchFrames === this.batchSize) this.endBatch()
  }

  /** Closes the current batch now (no-op when it is empty). */
  endBatch(): void {
    if (this.batchFrames === 0) return
    const iou = f32(this.batchIoUSum / this.batchFrames)
    let best = 0
    if (this.batchFFrames > 0) {
      best = -Infinity
      for (let i = 0; i < F_THRESHOLD_COUNT; i++) best = Math.max(best, f32(this.fSum[i] / this.batchFFrames))
    }
    this.miouSum = f32(this.miouSum + iou) // AverageMeter sums 0-dim float32 tensors
    this.fscoreSum += best // ... and F as Python floats
    this.batches++
    this.batchFrames = 0
    this.batchIoUSum = 0
    this.batchFFrames = 0
    this.fSum.fill(0)
  }

  /** Metrics over everything added so far (closes a partial batch). */
  result(): BinaryMetricResult {
    this.endBatch()
    const b = this.batches
    return {
      miou: b === 0 ? NaN : f32(this.miouSum / b),
      fscore: b === 0 ? NaN : this.fscoreSum / b,
      batches: b,
      frames: this.frames,
      emptyFrames: this.emptyFrames
    }
  }
}

function oneBatch(preds: BinaryPrediction[], gts: BinaryMask[], w: number, h: number, opts: Omit<BinaryMetricOptions, 'batchSize'>): BinaryMetricResult {
  if (preds.length !== gts.length) throw new RangeError(`AVS metrics: ${preds.length} predictions for ${gts.length} masks`)
  if (preds.length === 0) throw new RangeError('AVS metrics: empty batch')
  const acc = new BinaryMetricAccumulator({ ...opts, batchSize: preds.length })
  for (let i = 0; i < preds.length; i++) acc.add(preds[i], gts[i], w, h)
  return acc.result()
}

/** Official `mask_iou` of one batch of frames (mean frame IoU, empty-GT rule included). */
export function maskIoU(preds: BinaryPrediction[], gts: BinaryMask[], w: number, h: number, opts: Omit<BinaryMetricOptions, 'batchSize'> = {}): number {
  return oneBatch(preds, gts, w, h, opts).miou
}

/** Official `Eval_Fmeasure` of one batch of frames (max over thresholds of the mean F curve). */
export function fMeasure(preds: BinaryPrediction[], gts: BinaryMask[], w: number, h: number, opts: Omit<BinaryMetricOptions, 'batchSize'> = {}): number {
  return oneBatch(preds, gts, w, h, opts).fscore
}

export interface SemanticMetricResult {
  /** Official mIoU: mean over all classes of the per-class IoU, unseen classes counting 0. */
  miou: number
  /** Official F-score, the same way. */
  fscore: number
  /** Means over the classes seen at least once (in ground truth or prediction). */
  miouSeen: number
  fscoreSeen: number
  /** Per class: Σ frame IoU / frames where the class is in GT ∪ prediction (0 when never). */
  iouPerClass: Float64Array
  fscorePerClass: Float64Array
  /** Per class: frames where the class is in GT ∪ prediction. */
  classFrames: Int32Array
  frames: number
}

/**
 * Streams frames through the official AVSS metrics. Add every evaluated frame, including the
 * zero-padded frames of 5-frame clips (label 0, as the official test does).
 */
export class SemanticMetricAccumulator {
  readonly nClasses: number
  private readonly ious: Float32Array
  private readonly fscores: Float32Array
  private readonly counts: Int32Array
  private readonly areaInter: Int32Array
  private readonly areaPred: Int32Array
  private readonly areaLab: Int32Array
  private frames = 0

  constructor(nClasses = 71) {
    if (!Number.isInteger(nClasses) || nClasses < 2) throw new RangeError(`SemanticMetricAccumulator: nClasses must be ≥ 2, got ${nClasses}`)
    this.nClasses = nClasses
    this.ious = new Float32Array(nClasses)
    this.fscores = new Float32Array(nClasses)
    this.counts = new Int32Array(nClasses)
    this.areaInter = new Int32Array(nClasses)
    this.areaPred = new Int32Array(nClasses)
    this.areaLab = new Int32Array(nClasses)
  }

  /** Adds one frame: predicted class map (argmax) and ground-truth class map of w×h pixels. */
  add(pred: LabelMap, gt: LabelMap, w: number, h: number): void {
    const n = w * h
    if (pred.length !== n || gt.length !== n) {
      throw new RangeError(`SemanticMetricAccumulator.add: ${w}×${h} needs ${n} values, got pred ${pred.length}, gt ${gt.length}`)
    }
    const nc = this.nClasses
    const inter = this.areaInter
    const area = this.areaPred
    const lab = this.areaLab
    inter.fill(0)
    area.fill(0)
    lab.fill(0)
    // histc(bins = nc, min = 1, max = nc) of labels shifted by +1 is a per-class count
    for (let i = 0; i < n; i++) {
      const p = pred[i]
      const g = gt[i]
      if (p >= 0 && p < nc) {
        area[p]++
        if (p === g) inter[p]++
      }
      if (g >= 0 && g < nc) lab[g]++
    }
    for (let c = 0; c < nc; c++) {
      const union = area[c] + lab[c] - inter[c]
      this.ious[c] = f32(this.ious[c] + f32(inter[c] / f32(union + SEMANTIC_IOU_EPS)))
      if (union !== 0) this.counts[c]++
      const precision = f32(inter[c] / area[c])
      const recall = f32(inter[c] / lab[c])
      const f = f32(f32(f32(C13 * precision) * recall) / f32(f32(C03 * precision) + recall))
      this.fscores[c] = f32(this.fscores[c] + (Number.isNaN(f) ? 0 : f))
    }
    this.frames++
  }

  result(): SemanticMetricResult {
    const nc = this.nClasses
    const iouPerClass = new Float64Array(nc)
    const fscorePerClass = new Float64Array(nc)
    let iouSum = 0
    let fSum = 0
    let seen = 0
    for (let c = 0; c < nc; c++) {
      const iou = f32(this.ious[c] / this.counts[c])
      const f = f32(this.fscores[c] / this.counts[c])
      iouPerClass[c] = Number.isNaN(iou) ? 0 : iou
      fscorePerClass[c] = Number.isNaN(f) ? 0 : f
      iouSum += iouPerClass[c]
      fSum += fscorePerClass[c]
      if (this.counts[c] !== 0) seen++
    }
    return {
      miou: f32(iouSum / nc),
      fscore: f32(fSum / nc),
      miouSeen: seen === 0 ? NaN : iouSum / seen,
      fscoreSeen: seen === 0 ? NaN : fSum / seen,
      iouPerClass,
      fscorePerClass,
      classFrames: this.counts.slice(),
      frames: this.frames
    }
  }
}
