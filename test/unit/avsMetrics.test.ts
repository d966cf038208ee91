import { describe, expect, it } from 'vitest'
import {
  BinaryMetricAccumulator,
  SemanticMetricAccumulator,
  fMeasure,
  fThresholds,
  maskIoU
} from '../../src/shared/metrics/avsMetrics'

function grid(rows: string[]): Uint8Array {
  return Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0))
}

// 4×4: ground truth = left half, prediction = top half
const GT_LEFT = grid(['##..', '##..', '##..', '##..'])
const PRED_TOP = grid(['####', '####', '....', '....'])
const EMPTY = new Uint8Array(16)
const F_AT_TH0 = (1.3 * 0.5 * 1) / (0.3 * 0.5 + 1) // th = 0: every pixel passes → P = 8/16, R = 1

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    a[i] = s / 2 ** 32
  }
  return a
}

/** Plain float64 transcription of Eval_Fmeasure for one batch, thresholds from fThresholds(). */
function naiveF(preds: Float32Array[], gts: Uint8Array[]): number {
  const th = fThresholds()
  const curve = new Float64Array(255)
  let frames = 0
  preds.forEach((p, k) => {
    const g = gts[k]
    const gtSum = g.reduce((a, b) => a + (b ? 1 : 0), 0)
    if (gtSum === 0) return
    frames++
    for (let i = 0; i < 255; i++) {
      let tp = 0
      let pc = 0
      for (let j = 0; j < p.length; j++) {
        if (p[j] >= th[i]) {
          pc++
          if (g[j]) tp++
        }
      }
      const P = tp / (pc + 1e-20)
      const R = tp / (gtSum + 1e-20)
      const f = (1.3 * P * R) / (0.3 * P + R)
      curve[i] += Number.isNaN(f) ? 0 : f
    }
  })
  if (frames === 0) return 0
  return Math.max(...Array.from(curve, (v) => v / frames))
}

describe('F-measure thresholds', () => {
  it('are torch.linspace(0, 1 - 1e-10, 255) in float32: 0 … 0.5 … 1, increasing', () => {
    const th = fThresholds()
    expect(th.length).toBe(255)
    expect(th[0]).toBe(0)
    expect(th[127]).toBe(0.5)
    expect(th[254]).toBe(1) // 1 - 1e-10 rounds to 1 in float32
    for (let i = 1; i < 255; i++) {
      expect(th[i]).toBeGreaterThan(th[i - 1])
      expect(Math.abs(th[i] - i / 254)).toBeLessThan(1e-7)
    }
  })
})

describe('S4/MS3 IoU (mask_iou)', () => {
  it('perfect prediction scores 1, disjoint 0', () => {
    expect(maskIoU([GT_LEFT], [GT_LEFT], 4, 4)).toBeCloseTo(1, 6)
    const right = GT_LEFT.map((v) => 1 - v)
    expect(maskIoU([right], [GT_LEFT], 4, 4)).toBe(0)
  })
  it('half overlap: 4 / 12', () => {
    expect(maskIoU([PRED_TOP], [GT_LEFT], 4, 4)).toBeCloseTo(1 / 3, 6)
  })
  it('empty ground truth scores the IoU of the background over all pixels', () => {
    expect(maskIoU([EMPTY], [EMPTY], 4, 4)).toBeCloseTo(1, 6)
    expect(maskIoU([PRED_TOP], [EMPTY], 4, 4)).toBeCloseTo(8 / 16, 6)
    expect(maskIoU([grid(['#...', '....', '....', '....'])], [EMPTY], 4, 4)).toBeCloseTo(15 / 16, 6)
  })
  it('probabilities are foreground when > 0.5 (sigmoid(logit) > 0.5), so 0.5 is background', () => {
    const p = new Float32Array(16).fill(0.5)
    expect(maskIoU([p], [EMPTY], 4, 4)).toBeCloseTo(1, 6)
    p[0] = 0.5000001
    expect(maskIoU([p], [EMPTY], 4, 4)).toBeCloseTo(15 / 16, 6)
  })
  it('ground truth 0/255 reads like 0/1; a batch is the mean over its frames', () => {
    const gt255 = GT_LEFT.map((v) => v * 255)
    expect(maskIoU([PRED_TOP, GT_LEFT], [gt255, GT_LEFT], 4, 4)).toBeCloseTo((1 / 3 + 1) / 2, 6)
  })
})

describe('S4/MS3 F-score (Eval_Fmeasure)', () => {
  it('perfect binary prediction scores 1', () => {
    expect(fMeasure([GT_LEFT], [GT_LEFT], 4, 4)).toBeCloseTo(1, 6)
  })
  it('a binary prediction is a probability of 0 or 1: threshold 0 lets every pixel through', () => {
    // th > 0: P = R = 0.5 → F = 0.5; th = 0: P = 0.5, R = 1 → F = 0.5652… (the max)
    expect(fMeasure([PRED_TOP], [GT_LEFT], 4, 4)).toBeCloseTo(F_AT_TH0, 6)
    // an all-wrong prediction still gets the th = 0 score
    const right = GT_LEFT.map((v) => 1 - v)
    expect(fMeasure([right], [GT_LEFT], 4, 4)).toBeCloseTo(F_AT_TH0, 6)
  })
  it('empty-GT frames are skipped; a batch of only empty GT scores 0 and still counts', () => {
    expect(fMeasure([PRED_TOP, EMPTY], [GT_LEFT, EMPTY], 4, 4)).toBeCloseTo(F_AT_TH0, 6)
    expect(fMeasure([PRED_TOP], [EMPTY], 4, 4)).toBe(0)
    const acc = new BinaryMetricAccumulator({ batchSize: 1 })
    acc.add(PRED_TOP, GT_LEFT, 4, 4)
    acc.add(PRED_TOP, EMPTY, 4, 4)
    const r = acc.result()
    expect(r.batches).toBe(2)
    expect(r.emptyFrames).toBe(1)
    expect(r.fscore).toBeCloseTo(F_AT_TH0 / 2, 6)
    expect(r.miou).toBeCloseTo((1 / 3 + 0.5) / 2, 6)
  })
  it('the max is taken over the mean curve, not the mean of per-frame maxima', () => {
    // frame A peaks at a low threshold, frame B at a high one
    const gt = grid(['##..', '....', '....', '....'])
    const a = new Float32Array(16).fill(0.1)
    a[0] = 0.2
    a[1] = 0.2
    const b = new Float32Array(16).fill(0)
    b[0] = 0.9
    b[1] = 0.9
    b[2] = 0.8
    const batch = fMeasure([a, b], [gt, gt], 4, 4)
    expect(batch).toBeCloseTo(naiveF([a, b], [gt, gt]), 6)
    expect(batch).toBeLessThan((fMeasure([a], [gt], 4, 4) + fMeasure([b], [gt], 4, 4)) / 2)
  })
  it('random probabilities agree with a plain 255-threshold loop', () => {
    const w = 20
    const h = 15
    const preds: Float32Array[] = []
    const gts: Uint8Array[] = []
    for (let k = 0; k < 4; k++) {
      const p = rand(w * h, 10 + k)
      // put some values exactly on thresholds
      const th = fThresholds()
      for (let j = 0; j < 20; j++) p[j * 7] = th[(j * 13) % 255]
      preds.push(p)
      gts.push(Uint8Array.from(rand(w * h, 100 + k), (v, j) => (v < 0.3 + 0.4 * ((j % w) / w) ? 1 : 0)))
    }
    gts[2].fill(0)
    expect(fMeasure(preds, gts, w, h)).toBeCloseTo(naiveF(preds, gts), 6)
  })
  it('logits input equals the probabilities after sigmoid', () => {
    const logits = rand(64, 3).map((v) => (v - 0.5) * 12)
    const probs = logits.map((x) => 1 / (1 + Math.exp(-x)))
    const gt = Uint8Array.from(rand(64, 4), (v) => (v > 0.6 ? 1 : 0))
    expect(fMeasure([logits], [gt], 8, 8, { input: 'logits' })).toBeCloseTo(fMeasure([probs], [gt], 8, 8), 6)
    expect(maskIoU([logits], [gt], 8, 8, { input: 'logits' })).toBeCloseTo(maskIoU([probs], [gt], 8, 8), 6)
  })
})

describe('BinaryMetricAccumulator batching', () => {
  it('F depends on the batch size, IoU on the batch grouping only through means', () => {
    const frames: Array<[Uint8Array, Uint8Array]> = [
      [PRED_TOP, GT_LEFT],
      [PRED_TOP, EMPTY],
      [GT_LEFT, GT_LEFT],
      [EMPTY, EMPTY]
    ]
    const run = (batchSize: number): { miou: number; fscore: number; batches: number } => {
      const acc = new BinaryMetricAccumulator({ batchSize })
      for (const [p, g] of frames) acc.add(p, g, 4, 4)
      return acc.result()
    }
    const b1 = run(1)
    const b2 = run(2)
    const b4 = run(4)
    expect([b1.batches, b2.batches, b4.batches]).toEqual([4, 2, 1])
    const ious = [1 / 3, 0.5, 1, 1]
    expect(b1.miou).toBeCloseTo(ious.reduce((a, b) => a + b) / 4, 6)
    expect(b4.miou).toBeCloseTo(b1.miou, 6)
    expect(b1.fscore).toBeCloseTo((F_AT_TH0 + 0 + 1 + 0) / 4, 6)
    expect(b2.fscore).toBeCloseTo((F_AT_TH0 + 1) / 2, 6)
    // batch of 4: mean curve of frames 1 and 3; its max is at a threshold > 0: (0.5 + 1) / 2
    expect(b4.fscore).toBeCloseTo(Math.max((0.5 + 1) / 2, (F_AT_TH0 + (1.3 * 0.5) / (0.3 * 0.5 + 1)) / 2), 6)
  })
  it('a partial last batch counts; endBatch closes one early; empty accumulator gives NaN', () => {
    const acc = new BinaryMetricAccumulator({ batchSize: 4 })
    expect(Number.isNaN(acc.result().miou)).toBe(true)
    acc.add(GT_LEFT, GT_LEFT, 4, 4)
    acc.endBatch()
    acc.add(PRED_TOP, GT_LEFT, 4, 4)
    const r = acc.result()
    expect(r.batches).toBe(2)
    expect(r.frames).toBe(2)
    expect(r.miou).toBeCloseTo((1 + 1 / 3) / 2, 6)
  })
  it('refuses wrong sizes and bad batch sizes', () => {
    const acc = new BinaryMetricAccumulator()
    expect(() => acc.add(new Uint8Array(15), GT_LEFT, 4, 4)).toThrow(RangeError)
    expect(() => new BinaryMetricAccumulator({ batchSize: 0 })).toThrow(RangeError)
    expect(() => maskIoU([GT_LEFT], [], 4, 4)).toThrow(RangeError)
  })
  it('streams 224×224 frames fast', () => {
    const n = 224 * 224
    const gt = Uint8Array.from(rand(n, 1), (v) => (v > 0.7 ? 1 : 0))
    const probs = rand(n, 2)
    const bin = Uint8Array.from(probs, (v) => (v > 0.5 ? 1 : 0))
    const acc = new BinaryMetricAccumulator({ batchSize: 20 })
    const t0 = performance.now()
    for (let i = 0; i < 50; i++) acc.add(i % 2 ? probs : bin, gt, 224, 224)
    const ms = performance.now() - t0
    expect(acc.result().frames).toBe(50)
    // typically 1–3 ms per frame; the bound only catches a per-threshold pass (255× slower)
    expect(ms / 50).toBeLessThan(100)
  })
})

describe('AVSS metrics (calc_color_miou_fscore)', () => {
  const F_HALF = (1.3 * 1 * 0.5) / (0.3 * 1 + 0.5) // P = 1, R = 0.5

  it('hand case: per-class IoU, F, counts; mean over 71 and over seen classes', () => {
    const acc = new SemanticMetricAccumulator()
    acc.add(new Uint8Array([0, 1, 1, 2]), new Uint8Array([0, 0, 1, 1]), 4, 1)
    const r = acc.result()
    // class 0: pred 1, lab 2, inter 1 → IoU 1/2, P 1, R 1/2; class 1: pred 2, lab 2, inter 1 → IoU 1/3,
    // P = R = 1/2 → F 1/2; class 2: only predicted → IoU 0, F 0, but counted
    expect(r.iouPerClass[0]).toBe(0.5)
    expect(r.iouPerClass[1]).toBeCloseTo(1 / 3, 6)
    expect(r.iouPerClass[2]).toBe(0)
    expect(r.fscorePerClass[0]).toBeCloseTo(F_HALF, 6)
    expect(r.fscorePerClass[1]).toBeCloseTo(0.5, 6)
    expect(r.fscorePerClass[2]).toBe(0)
    expect(Array.from(r.classFrames.slice(0, 4))).toEqual([1, 1, 1, 0])
    expect(r.miou).toBeCloseTo((0.5 + 1 / 3) / 71, 6)
    expect(r.miouSeen).toBeCloseTo((0.5 + 1 / 3) / 3, 6)
    expect(r.fscore).toBeCloseTo((F_HALF + 0.5) / 71, 6)
    expect(r.fscoreSeen).toBeCloseTo((F_HALF + 0.5) / 3, 6)
    expect(r.frames).toBe(1)
  })
  it('a class is averaged only over the frames where it appears in GT or prediction', () => {
    const acc = new SemanticMetricAccumulator(71)
    acc.add(new Uint8Array([5, 5, 0, 0]), new Uint8Array([5, 0, 0, 0]), 2, 2) // class 5: 1/2; class 0: 2/3
    acc.add(new Uint8Array([0, 0, 0, 0]), new Uint8Array([0, 0, 0, 0]), 2, 2) // class 0: 1
    acc.add(new Uint8Array([5, 5, 5, 5]), new Uint8Array([5, 5, 5, 5]), 2, 2) // class 5: 1
    const r = acc.result()
    expect(r.classFrames[5]).toBe(2)
    expect(r.classFrames[0]).toBe(2)
    expect(r.iouPerClass[5]).toBeCloseTo((0.5 + 1) / 2, 6)
    expect(r.iouPerClass[0]).toBeCloseTo((2 / 3 + 1) / 2, 6)
    expect(r.miou).toBeCloseTo((0.75 + 5 / 6) / 71, 6)
  })
  it('perfect prediction: seen classes score 1, the official mean still divides by 71', () => {
    const acc = new SemanticMetricAccumulator()
    const gt = new Uint8Array([0, 0, 7, 70, 70, 7])
    acc.add(gt, gt, 3, 2)
    const r = acc.result()
    expect(r.miouSeen).toBeCloseTo(1, 6)
    expect(r.fscoreSeen).toBeCloseTo(1, 6)
    expect(r.miou).toBeCloseTo(3 / 71, 6)
  })
  it('values ≥ nClasses (255 = ignore) count for no class', () => {
    const acc = new SemanticMetricAccumulator(3)
    acc.add(new Uint8Array([1, 1, 255]), new Uint8Array([1, 255, 255]), 3, 1)
    const r = acc.result()
    // class 1: pred 2, lab 1, inter 1 → IoU 1/2
    expect(r.iouPerClass[1]).toBeCloseTo(0.5, 6)
    expect(r.classFrames[0]).toBe(0)
  })
  it('nothing added: all zero; bad arguments throw', () => {
    const r = new SemanticMetricAccumulator().result()
    expect(r.miou).toBe(0)
    expect(Number.isNaN(r.miouSeen)).toBe(true)
    expect(() => new SemanticMetricAccumulator(1)).toThrow(RangeError)
    expect(() => new SemanticMetricAccumulator().add(new Uint8Array(3), new Uint8Array(4), 2, 2)).toThrow(RangeError)
  })
})
