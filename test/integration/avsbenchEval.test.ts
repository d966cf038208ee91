import { spawnSync } from 'node:child_process'
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { App } from '../../src/main/app'
import { encodePng } from '../../src/main/image/png'
import { AvsbenchExporter } from '../../src/main/services/avsbench/AvsbenchExporter'
import { AVSS_PALETTE } from '../../src/shared/avsClasses'
import type { PredictionImportReport, ProjectEvalResult } from '../../src/shared/avsbench'
import type { ClipDetail, ProjectStats } from '../../src/shared/domain'
import { ffmpegPath } from '../fixtures/media'
import { hasPython, makeAvssRelease, makeProject, python, rectMask } from './avsbenchFixtures'

const root = mkdtempSync(join(tmpdir(), 'avs-eval-'))
const repo = resolve(__dirname, '../..')

function avs(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/fixtures/avs.ts'), ...args], {
    env: { ...process.env, AVS_HOME: join(root, 'home-cli') },
    encoding: 'utf8',
    cwd: repo
  })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

// Written from spec avsbench-format §6 (official utility.py and compute_color_metrics.py), on the
// release and prediction PNG files; independent of the app's metric module.
const REFERENCE = `
import sys, os, json, csv, numpy as np, torch
from PIL import Image
fmt, gt, pred = sys.argv[1], sys.argv[2], sys.argv[3]
pred = os.path.join(pred, 'pred_masks') if os.path.isdir(os.path.join(pred, 'pred_masks')) else pred

def mask_iou(pred, target, eps=1e-7):
    N = pred.size(0); num_pixels = pred.size(-1) * pred.size(-2)
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

def Eval_Fmeasure(pred, gt, pr_num=255):
    N = pred.size(0); beta2 = 0.3; avg_f, img_num = 0.0, 0
    score = torch.zeros(pr_num)
    for img_id in range(N):
        if torch.mean(gt[img_id]) == 0.0: continue
        prec, recall = _eval_pr(pred[img_id], gt[img_id], pr_num)
        f_score = (1 + beta2) * prec * recall / (beta2 * prec + recall)
        f_score[f_score != f_score] = 0
        avg_f += f_score; img_num += 1
        score = avg_f / img_num
    return score.max().item()

def binary(path):
    return torch.from_numpy((np.asarray(Image.open(path).convert('L').resize((224, 224), Image.NEAREST)) >= 128).astype(np.float32))

out = {'clips': []}
if fmt in ('s4', 'ms3'):
    rows = list(csv.reader(open(os.path.join(gt, fmt + '_meta_data.csv'))))[1:]
    miou, fs = [], []
    for r in rows:
        name = r[0]
        if (r[3] if fmt == 's4' else r[1]) != 'test': continue
        if fmt == 's4': gts = [f'{gt}/s4_data/gt_masks/test/{r[2]}/{name}/{name}_{k}.png' for k in range(1, 6)]
        else: gts = [f'{gt}/ms3_data/gt_masks/test/{name}/{name}_{k}.png' for k in range(1, 6)]
        sub = f'{pred}/{r[2]}/{name}' if fmt == 's4' and os.path.isdir(f'{pred}/{r[2]}/{name}') else f'{pred}/{name}'
        G = torch.stack([binary(p) for p in gts])
        P = torch.stack([binary(f'{sub}/{name}_{i}.png') for i in range(5)])
        j = mask_iou(P, G).item(); f = Eval_Fmeasure(P, G)
        miou.append(j); fs.append(f)
        out['clips'].append({'clip': name, 'miou': j, 'fscore': f})
    out['miou'] = sum(miou) / len(miou); out['fscore'] = sum(fs) / len(fs)
else:
    nclass = 71
    def pal(n):
        p = []
        for j in range(n):
            lab, i = j, 0; r = g = b = 0
            while lab > 0:
                r |= ((lab >> 0) & 1) << (7 - i); g |= ((lab >> 1) & 1) << (7 - i); b |= ((lab >> 2) & 1) << (7 - i)
                i += 1; lab >>= 3
            p.append([r, g, b])
        return np.array(p)
    P71 = pal(nclass)
    def snap(path):
        a = np.asarray(Image.open(path).convert('RGB')).astype(np.int64)
        d = ((a[:, :, None, :] - P71[None, None]) ** 2).sum(-1)
        return Image.fromarray(np.argmin(d, -1).astype(np.uint8)).resize((224, 224), Image.NEAREST)
    ious, fss, cnt = torch.zeros(nclass), torch.zeros(nclass), torch.zeros(nclass)
    def calc(predict, target):
        global ious, fss, cnt
        predict = predict.float() + 1; target = target.float() + 1
        predict = predict * (target > 0).float()
        inter = predict * (predict == target).float()
        ai = torch.histc(inter, bins=nclass, min=1, max=nclass)
        ap = torch.histc(predict, bins=nclass, min=1, max=nclass)
        al = torch.histc(target, bins=nclass, min=1, max=nclass)
        au = ap + al - ai
        ious += ai / (2.220446049250313e-16 + au)
        cnt[torch.nonzero(au)] += 1
        prec = ai / ap; rec = ai / al
        f = (1 + 0.3) * prec * rec / (0.3 * prec + rec); f[torch.isnan(f)] = 0
        fss += f
    rows = list(csv.DictReader(open(os.path.join(gt, 'metadata.csv'))))
    for r in rows:
        if r['split'] != 'test': continue
        T = 10 if r['label'] == 'v2' else 5
        for k in range(10):
            if k < T:
                g = torch.from_numpy(np.asarray(Image.open(f"{gt}/{r['label']}/{r['uid']}/labels_semantic/{k}.png").resize((224, 224), Image.NEAREST)).astype(np.int64))
            else:
                g = torch.zeros(224, 224, dtype=torch.int64)
            p = f"{pred}/{r['uid']}/{r['uid']}_{k}.png"
            pr = torch.from_numpy(np.asarray(snap(p)).astype(np.int64)) if os.path.exists(p) else torch.zeros(224, 224, dtype=torch.int64)
            calc(pr, g)
    miou = ious / cnt; miou[torch.isnan(miou)] = 0
    f = fss / cnt; f[torch.isnan(f)] = 0
    out['miou'] = torch.mean(miou).item(); out['fscore'] = torch.mean(f).item()
print(json.dumps(out))
`

/** Predictions as the official test.py writes them: 0-based names, S4 under the category. */
function writeBinaryPredictions(dir: string, clips: ClipDetail[], withCategory: boolean): void {
  clips.forEach((c, ci) => {
    const base = withCategory ? join(dir, 'pred_masks', c.category!, c.name) : join(dir, 'pred_masks', c.name)
    mkdirSync(base, { recursive: true })
    for (let i = 0; i < 5; i++) {
      const m = rectMask(224, 224, ci * 10 + i + (i % 2), 1).map((v) => v * 255)
      // one clip as official P-mode files (Image.fromarray(mask*255).convert('P')), the rest as L
      const grey = new Uint8Array(768).map((_, j) => Math.floor(j / 3))
      const png = ci === 0 ? encodePng({ width: 224, height: 224, mode: 'P', data: m, palette: grey }) : encodePng({ width: 224, height: 224, mode: 'L', data: m })
      writeFileSync(join(base, `${c.name}_${i}.png`), png)
    }
  })
}

describe('evaluation', () => {
  let app: App
  let clips: ClipDetail[]
  const gt = join(root, 'gt-s4')
  const preds = join(root, 'log-s4')

  beforeAll(async () => {
    ;({ app, clips } = await makeProject(
      root,
      's4',
      [
        { split: 'test', category: 'dog_barking' },
        { split: 'test', category: 'dog_barking', label: (k) => (k === 1 ? 0 : 1) },
        { split: 'test', category: 'race_car' },
        { split: 'train', category: 'race_car' }
      ],
      { width: 112, height: 112 }
    ))
    await new AvsbenchExporter(ffmpegPath).export(app.projects.require(), { format: 's4', out: gt })
    writeBinaryPredictions(preds, clips.slice(0, 3), true)
  })

  test('avs eval --format s4 equals an independent PyTorch reference to 1e-6 (per clip and overall)', () => {
    const r = avs('eval', '--format', 's4', '--gt', gt, '--pred', preds, '--json')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const got = JSON.parse(r.stdout) as { clips: number; frames: number; miou: number; fscore: number; perClip: Array<{ clip: string; miou: number; fscore: number }> }
    const ref = JSON.parse(python(REFERENCE, ['s4', gt, preds])) as { miou: number; fscore: number; clips: Array<{ clip: string; miou: number; fscore: number }> }
    expect([got.clips, got.frames]).toEqual([3, 15])
    expect(Math.abs(got.miou - ref.miou)).toBeLessThanOrEqual(1e-6)
    expect(Math.abs(got.fscore - ref.fscore)).toBeLessThanOrEqual(1e-6)
    expect(got.perClip.map((c) => c.clip)).toEqual(ref.clips.map((c) => c.clip))
    got.perClip.forEach((c, i) => {
      expect(Math.abs(c.miou - ref.clips[i].miou)).toBeLessThanOrEqual(1e-6)
      expect(Math.abs(c.fscore - ref.clips[i].fscore)).toBeLessThanOrEqual(1e-6)
    })
    // a real disagreement, not a trivial 1.0
    expect(got.miou).toBeGreaterThan(0.05)
    expect(got.miou).toBeLessThan(0.95)
  })

  test('predictions import as model masks; eval.project and avs eval --pred <project> score them', async () => {
    const r = (await app.dispatch('avsbench.importPredictions', { dir: preds, model: 'official' })) as PredictionImportReport
    expect(r).toMatchObject({ clips: 3, masks: 15, skipped: [] })
    const store = app.projects.require().store
    const f0 = clips[0].frames[0]
    expect(store.latestMask(f0.id, 'model')).toMatchObject({ width: 112, height: 112, model: 'official' })
    const ev = (await app.dispatch('eval.project', {})) as ProjectEvalResult
    expect(ev.clips.map((c) => [c.clip, c.frames])).toEqual(clips.slice(0, 3).map((c) => [c.name, 5]))
    expect(ev.project.frames).toBe(15)
    expect(ev.project.miou).toBeGreaterThan(0.05)
    expect(ev.project.miou).toBeLessThan(0.95)
    // the dashboard compares the same frames (predictions are newer than the ground truth)
    const stats = (await app.dispatch('project.stats', {})) as ProjectStats
    expect(stats.comparedFrames).toBe(ev.project.frames)
    expect(stats.meanModelJaccard).toBeGreaterThan(0)
    // the same scores through the CLI with the project as the prediction source (masks at 112 → 224)
    const dir = app.projects.require().dir
    app.projects.close()
    const cli = avs('eval', '--format', 's4', '--gt', gt, '--pred', dir, '--json')
    expect(cli.code).toBe(0)
    expect(JSON.parse(cli.stdout)).toMatchObject({ clips: 3, frames: 15, missingPredictions: 0 })
    await app.dispatch('project.open', { dir })
  })

  test('bad eval input: no metadata CSV, unknown format', () => {
    const r = avs('eval', '--format', 's4', '--gt', root, '--pred', preds)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${root} is not an AVSBench S4 folder: s4_meta_data.csv is missing`)
    expect(avs('eval', '--format', 'xx', '--gt', gt, '--pred', preds).code).toBe(2)
    // a prediction folder that matches no clip of the split is an error, not a score of empty masks
    const nothing = join(root, 'no-predictions')
    mkdirSync(nothing, { recursive: true })
    const none = avs('eval', '--format', 's4', '--gt', gt, '--pred', nothing)
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/^avs: None of the 15 ground-truth frames of the test split has a prediction: check --pred/)
  })

  test('avs eval --format avss (71 classes, padded 5-frame clips, off-palette predictions snapped) equals the reference', async () => {
    const { app: a2, clips: cl } = await makeProject(
      root,
      'avss',
      [
        { split: 'test', label: (k) => (k < 4 ? 7 : 17) },
        { split: 'test', label: (k) => 28 + (k % 3) }
      ],
      { width: 80, height: 60 }
    )
    const exported = join(root, 'exported-avss')
    await new AvsbenchExporter(ffmpegPath).export(a2.projects.require(), { format: 'avss', out: exported })
    // ground truth: a hand-made release with a 5-frame v1m test clip (padded to 10 by the metric) plus the exported v2 clips
    const gtA = join(root, 'gt-avss')
    const uids = makeAvssRelease(gtA, { semantic: true })
    for (const c of cl) cpSync(join(exported, 'v2', c.name), join(gtA, 'v2', c.name), { recursive: true })
    appendFileSync(join(gtA, 'metadata.csv'), readFileSync(join(exported, 'metadata.csv'), 'utf8').split('\n').slice(1).join('\n'))
    const v1m = { name: uids[1] } as ClipDetail
    const log = join(root, 'log-avss')
    ;[...cl, v1m].forEach((c, ci) => {
      const base = join(log, 'pred_masks', c.name)
      mkdirSync(base, { recursive: true })
      for (let i = 0; i < 10; i++) {
        const labels = rectMask(360, 240, ci * 10 + i + 1, ci === 0 ? 7 : 28 + ((i + 1) % 3))
        const rgb = new Uint8Array(360 * 240 * 3)
        for (let p = 0; p < labels.length; p++) rgb.set(AVSS_PALETTE.subarray(labels[p] * 3, labels[p] * 3 + 3), p * 3)
        for (let p = 0; p < 400; p += 3) rgb.set([120, 10, 5], p * 3 + 360 * 3 * 100)
        writeFileSync(join(base, `${c.name}_${i}.png`), encodePng({ width: 360, height: 240, mode: 'RGB', data: rgb }))
      }
    })
    a2.projects.close()
    const r = avs('eval', '--format', 'avss', '--gt', gtA, '--pred', log, '--json')
    expect(r.stderr).toBe('')
    const got = JSON.parse(r.stdout) as { miou: number; fscore: number; frames: number }
    const ref = JSON.parse(python(REFERENCE, ['avss', gtA, log])) as { miou: number; fscore: number }
    expect(got.frames).toBe(25)
    expect(Math.abs(got.miou - ref.miou)).toBeLessThanOrEqual(1e-6)
    expect(Math.abs(got.fscore - ref.fscore)).toBeLessThanOrEqual(1e-6)
    expect(got.miou).toBeGreaterThan(0)
  })
})
