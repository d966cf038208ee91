import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BinaryMetricAccumulator, SemanticMetricAccumulator, fThresholds, type BinaryPrediction } from '../../src/shared/metrics/avsMetrics'

const PY = '/usr/bin/python3'
const hasTorch = ((): boolean => {
  if (!existsSync(PY)) return false
  try {
    execFileSync(PY, ['-c', 'import torch, numpy'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

// Reference written from spec avsbench-format §6 (the official utility.py / compute_color_metrics.py
// formulas and test.py's accumulation), run on CPU. `sigmoid` is applied only to logits; the app
// passes probabilities, for which it is the identity.
const REFERENCE = `
import sys, json, numpy as np, torch
d = sys.argv[1]
meta = json.load(open(d + '/meta.json'))

class AverageMeter:                      # OFF pyutils.AverageMeter: sums whatever is added
    def __init__(self): self.s, self.n = 0.0, 0
    def add(self, v): self.s += v; self.n += 1
    def get(self): return self.s / self.n

def mask_iou(pred, target, eps=1e-7):
    N = pred.size(0)
    num_pixels = pred.size(-1) * pred.size(-2)
    no_obj_flag = (target.sum(2).sum(1) == 0)
    pred = (pred > 0.5).int()
    inter = (pred * target).sum(2).sum(1)
    union = torch.max(pred, target).sum(2).sum(1)
    inter_no_obj = ((1 - target) * (1 - pred)).sum(2).sum(1)
    inter[no_obj_flag] = inter_no_obj[no_obj_flag]
    union[no_obj_flag] = num_pixels
    return torch.sum(inter / (union + eps)) / N

def _eval_pr(y_pred, y, num):
    prec, recall = torch.zeros(num), torch.zeros(num)
    thlist = torch.linspace(0, 1 - 1e-10, num)
    for i in range(num):
        y_temp = (y_pred >= thlist[i]).float()
        tp = (y_temp * y).sum()
        prec[i], recall[i] = tp / (y_temp.sum() + 1e-20), tp / (y.sum() + 1e-20)
    return prec, recall

def eval_fmeasure(pred, gt, pr_num=255):
    N = pred.size(0)
    beta2 = 0.3
    avg_f, img_num = 0.0, 0
    score = torch.zeros(pr_num)
    for img_id in range(N):
        if torch.mean(gt[img_id]) == 0.0:
            continue
        prec, recall = _eval_pr(pred[img_id], gt[img_id], pr_num)
        f_score = (1 + beta2) * prec * recall / (beta2 * prec + recall)
        f_score[f_score != f_score] = 0
        avg_f += f_score
        img_num += 1
        score = avg_f / img_num
    return score.max().item()

def batch_miou_fscore(output, target, nclass, beta2=0.3):
    mini, maxi, nbins = 1, nclass, nclass
    predict = torch.argmax(output, 1) + 1
    target = target.float() + 1
    predict = predict.float() * (target > 0).float()
    intersection = predict * (predict == target).float()
    cls_count = torch.zeros(nclass).float(); ious = torch.zeros(nclass).float(); fscores = torch.zeros(nclass).float()
    for i in range(target.shape[0]):
        area_inter = torch.histc(intersection[i], bins=nbins, min=mini, max=maxi)
        area_pred = torch.histc(predict[i], bins=nbins, min=mini, max=maxi)
        area_lab = torch.histc(target[i], bins=nbins, min=mini, max=maxi)
        area_union = area_pred + area_lab - area_inter
        iou = 1.0 * area_inter.float() / (2.220446049250313e-16 + area_union.float())
        ious += iou
        cls_count[torch.nonzero(area_union).squeeze(-1)] += 1
        precision = area_inter / area_pred
        recall = area_inter / area_lab
        fscore = (1 + beta2) * precision * recall / (beta2 * precision + recall)
        fscore[torch.isnan(fscore)] = 0.
        fscores += fscore
    return ious, fscores, cls_count

out = {'thresholds': torch.linspace(0, 1 - 1e-10, 255).tolist(), 'binary': {}, 'semantic': {}}
for case in meta['binary']:
    n, h, w = case['frames'], case['h'], case['w']
    raw = np.fromfile(d + '/' + case['name'] + '.pred', dtype=case['dtype']).reshape(n, h, w)
    pred = torch.from_numpy(raw.astype(np.float32))
    if case['input'] == 'logits':
        pred = torch.sigmoid(pred)
    gt = torch.from_numpy(np.fromfile(d + '/' + case['name'] + '.gt', dtype=np.uint8).reshape(n, h, w).astype(np.float32))
    gt = (gt > 0).float()
    for b in case['batchSizes']:
        m_iou, m_f = AverageMeter(), AverageMeter()
        for s in range(0, n, b):
            m_iou.add(mask_iou(pred[s:s + b], gt[s:s + b]))
            m_f.add(eval_fmeasure(pred[s:s + b], gt[s:s + b]))
        out['binary']['%s/%d' % (case['name'], b)] = {'miou': float(m_iou.get()), 'fscore': float(m_f.get())}
for case in meta['semantic']:
    n, c, h, w = case['frames'], case['classes'], case['h'], case['w']
    logits = torch.from_numpy(np.fromfile(d + '/' + case['name'] + '.logits', dtype=np.float32).reshape(n, c, h, w))
    label = torch.from_numpy(np.fromfile(d + '/' + case['name'] + '.gt', dtype=np.uint8).reshape(n, h, w).astype(np.int64))
    miou_pc = torch.zeros(c); fscore_pc = torch.zeros(c); cls_pc = torch.zeros(c)
    for s in range(0, n, case['batch']):
        pr = torch.softmax(logits[s:s + case['batch']], dim=1)
        a, f, k = batch_miou_fscore(pr, label[s:s + case['batch']], c)
        miou_pc += a; fscore_pc += f; cls_pc += k
    miou_pc = miou_pc / cls_pc
    miou_pc[torch.isnan(miou_pc)] = 0
    f_pc = fscore_pc / cls_pc
    f_pc[torch.isnan(f_pc)] = 0
    out['semantic'][case['name']] = {'miou': torch.mean(miou_pc).item(), 'fscore': torch.mean(f_pc).item(),
        'iou_pc': miou_pc.tolist(), 'f_pc': f_pc.tolist(), 'cls': cls_pc.tolist()}
print(json.dumps(out))
`

function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

interface BinaryCase {
  name: string
  frames: number
  w: number
  h: number
  input: 'probabilities' | 'logits'
  dtype: 'float32' | 'uint8'
  batchSizes: number[]
  preds: BinaryPrediction[]
  gts: Uint8Array[]
}

interface SemanticCase {
  name: string
  frames: number
  classes: number
  w: number
  h: number
  batch: number
  logits: Float32Array
  gts: Uint8Array[]
  preds: Uint8Array[]
}

/** Ground truths with blobs, including empty frames, a full frame and a run of 4 empty frames. */
function makeGts(n: number, w: number, h: number, rnd: () => number): Uint8Array[] {
  const gts: Uint8Array[] = []
  for (let k = 0; k < n; k++) {
    const g = new Uint8Array(w * h)
    const empty = k === 2 || (k >= 8 && k < 12) || k === 17
    if (!empty) {
      const cx = rnd() * w
      const cy = rnd() * h
      const r = 2 + rnd() * (w / 2)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) g[y * w + x] = 1
      if (k === 5) g.fill(1)
      if (k === 6) g.fill(0, 0, w * h - 1).fill(1, w * h - 1) // a single pixel
    }
    gts.push(g)
  }
  return gts
}

function makeBinaryCases(): BinaryCase[] {
  const w = 32
  const h = 24
  const n = 22
  const rnd = lcg(42)
  const gts = makeGts(n, w, h, rnd)
  const th = fThresholds()
  const probs: Float32Array[] = gts.map((g, k) => {
    const p = new Float32Array(w * h)
    for (let i = 0; i < p.length; i++) {
      // a noisy version of the ground truth, with a few exact threshold values, 0, 0.5 and 1
      const base = g[i] ? 0.35 + 0.6 * rnd() : 0.6 * rnd()
      const u = rnd()
      p[i] = u < 0.02 ? th[Math.floor(rnd() * 255)] : u < 0.03 ? 0.5 : u < 0.04 ? (k % 2 ? 0 : 1) : base
    }
    if (k === 9) p.fill(0) // empty prediction on empty GT
    return p
  })
  const binary = probs.map((p) => Uint8Array.from(p, (v) => (v > 0.5 ? 1 : 0)))
  const logits = probs.map((p) => Float32Array.from(p, (v) => (v <= 0 ? -30 : v >= 1 ? 30 : Math.log(v / (1 - v)))))
  const common = { frames: n, w, h, gts }
  return [
    { name: 'probs', input: 'probabilities', dtype: 'float32', batchSizes: [1, 4, 5], preds: probs, ...common },
    { name: 'masks', input: 'probabilities', dtype: 'uint8', batchSizes: [1, 4, 5], preds: binary, ...common },
    { name: 'logits', input: 'logits', dtype: 'float32', batchSizes: [4], preds: logits, ...common }
  ]
}

function makeSemanticCase(): SemanticCase {
  const frames = 14
  const classes = 71
  const w = 20
  const h = 16
  const rnd = lcg(7)
  const gtClasses = [0, 3, 7, 12, 70]
  const extraPredClasses = [0, 3, 33, 64]
  const gts: Uint8Array[] = []
  const preds: Uint8Array[] = []
  const logits = new Float32Array(frames * classes * w * h)
  for (let k = 0; k < frames; k++) {
    const g = new Uint8Array(w * h)
    const p = new Uint8Array(w * h)
    const padded = k >= 12 // zero-padded frames of a 5-frame clip: label 0
    const a = gtClasses[1 + (k % 4)]
    const b = gtClasses[1 + ((k + 1) % 4)]
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = y * w + x
        g[i] = padded ? 0 : x < w / 3 ? a : y < h / 2 && k % 3 !== 0 ? b : 0
        const u = rnd()
        p[i] = padded && k === 12 ? 0 : u < 0.7 ? g[i] : extraPredClasses[Math.floor(rnd() * extraPredClasses.length)]
      }
    // predicted class gets a clear margin; the others random below it
    for (let c = 0; c < classes; c++)
      for (let i = 0; i < w * h; i++) logits[((k * classes + c) * h * w) + i] = c === p[i] ? 10 + rnd() : 5 * rnd()
    gts.push(g)
    preds.push(p)
  }
  return { name: 'avss', frames, classes, w, h, batch: 4, logits, gts, preds }
}

interface Reference {
  thresholds: number[]
  binary: Record<string, { miou: number; fscore: number }>
  semantic: Record<string, { miou: number; fscore: number; iou_pc: number[]; f_pc: number[]; cls: number[] }>
}

describe('AVS metrics equal an independent PyTorch reference (1e-6)', () => {
  let dir = ''
  let ref: Reference
  const binaryCases = makeBinaryCases()
  const semantic = makeSemanticCase()

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'avs-metrics-'))
    const cat = (arrays: Array<Float32Array | Uint8Array | Float64Array>): Buffer =>
      Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)))
    for (const c of binaryCases) {
      writeFileSync(join(dir, `${c.name}.pred`), cat(c.preds))
      writeFileSync(join(dir, `${c.name}.gt`), cat(c.gts))
    }
    writeFileSync(join(dir, `${semantic.name}.logits`), cat([semantic.logits]))
    writeFileSync(join(dir, `${semantic.name}.gt`), cat(semantic.gts))
    const meta = {
      binary: binaryCases.map(({ name, frames, w, h, input, dtype, batchSizes }) => ({ name, frames, w, h, input, dtype, batchSizes })),
      semantic: [{ name: semantic.name, frames: semantic.frames, classes: semantic.classes, w: semantic.w, h: semantic.h, batch: semantic.batch }]
    }
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta))
    writeFileSync(join(dir, 'reference.py'), REFERENCE)
    // the float32 linspace depends on the CPU kernel torch picks; AVX2 is the common one
    const env = { ...process.env, ATEN_CPU_CAPABILITY: 'avx2', OMP_NUM_THREADS: '1' }
    ref = JSON.parse(execFileSync(PY, [join(dir, 'reference.py'), dir], { encoding: 'utf8', env, maxBuffer: 64 << 20 })) as Reference
  })

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('F-measure thresholds are bit-identical to torch.linspace', () => {
    expect(Array.from(fThresholds())).toEqual(ref.thresholds)
  })

  for (const c of makeBinaryCases()) {
    for (const b of c.batchSizes) {
      it(`S4/MS3 ${c.name}, batch size ${b}: mIoU and F`, () => {
        const acc = new BinaryMetricAccumulator({ batchSize: b, input: c.input })
        for (let k = 0; k < c.frames; k++) acc.add(c.preds[k], c.gts[k], c.w, c.h)
        const r = acc.result()
        const e = ref.binary[`${c.name}/${b}`]
        expect(r.batches).toBe(Math.ceil(c.frames / b))
        expect(r.emptyFrames).toBe(6)
        expect(Math.abs(r.miou - e.miou)).toBeLessThanOrEqual(1e-6)
        expect(Math.abs(r.fscore - e.fscore)).toBeLessThanOrEqual(1e-6)
        // sanity: the metrics are not trivially 0 or 1 here
        expect(e.miou).toBeGreaterThan(0.2)
        expect(e.miou).toBeLessThan(0.95)
        expect(e.fscore).toBeGreaterThan(0.2)
      })
    }
  }

  it('AVSS: mIoU, F, per-class arrays and class counts (absent classes, padded frames)', () => {
    const acc = new SemanticMetricAccumulator(semantic.classes)
    const n = semantic.w * semantic.h
    for (let k = 0; k < semantic.frames; k++) {
      // argmax over classes of the logits, as the app's postprocess would
      const label = new Uint8Array(n)
      for (let i = 0; i < n; i++) {
        let best = -Infinity
        for (let c = 0; c < semantic.classes; c++) {
          const v = semantic.logits[(k * semantic.classes + c) * n + i]
          if (v > best) {
            best = v
            label[i] = c
          }
        }
      }
      expect(label).toEqual(semantic.preds[k])
      acc.add(label, semantic.gts[k], semantic.w, semantic.h)
    }
    const r = acc.result()
    const e = ref.semantic[semantic.name]
    expect(Array.from(r.classFrames)).toEqual(e.cls)
    for (let c = 0; c < semantic.classes; c++) {
      expect(Math.abs(r.iouPerClass[c] - e.iou_pc[c]), `IoU class ${c}`).toBeLessThanOrEqual(1e-6)
      expect(Math.abs(r.fscorePerClass[c] - e.f_pc[c]), `F class ${c}`).toBeLessThanOrEqual(1e-6)
    }
    expect(Math.abs(r.miou - e.miou)).toBeLessThanOrEqual(1e-6)
    expect(Math.abs(r.fscore - e.fscore)).toBeLessThanOrEqual(1e-6)
    const seen = e.cls.filter((v) => v > 0).length
    expect(seen).toBe(7) // 5 GT classes + 2 only-predicted; the other 64 count as 0
    expect(r.miouSeen).toBeCloseTo(e.iou_pc.reduce((a, v) => a + v, 0) / seen, 6)
    expect(e.miou).toBeGreaterThan(0.01)
  })
})
