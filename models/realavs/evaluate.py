"""Test metrics and the confidence calibration of a head checkpoint (for the model card).

- SynthAVS test (sets s4_test, ms3_test): J and F with the official formulas at the ground truth's
  224x224 (logits upsampled bilinearly, as the app does), and J with each clip's audio swapped
  for another clip's (a derangement).
- real_val: J on held-out composed real-photo clips (IS-Net-1024 pseudo ground truth).
- Confidence: the app's binary confidence (postprocess.ts binaryConfidence: soft IoU of the
  probabilities with the thresholded mask, at the logits' resolution) per frame; an isotonic
  (monotone) fit of the per-frame J on it over the val sets gives the card's
  ``confidence_calibration``; Spearman(confidence, J) per frame on the test sets (and on the real
  DAVIS set when davis_eval.py has built it).

  /usr/bin/python3 -m models.realavs.evaluate --checkpoint models/runs/isnet/best.pt --out metrics.json
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..ccformer.metrics import eval_fmeasure, mask_iou
from .release import load_head, output_args
from .train_head import Sets, derangement


def raw_confidence(lg):
    """lg [H, W] logits -> the app's binaryConfidence (before calibration)."""
    p = torch.sigmoid(lg)
    fg = lg > 0
    area = int(fg.sum())
    if area == 0:
        return max(0.0, 1.0 - float(p.sum()) / (0.02 * lg.numel()))
    return float(p[fg].sum()) / (area + float(p[~fg].sum()))


@torch.no_grad()
def logits_of(model, s, audio_perm=None, batch=2):
    model.eval()
    out = []
    for i in range(0, len(s), batch):
        idx = list(range(i, min(len(s), i + batch)))
        f, a, _ = s.batch(idx, [audio_perm[j] for j in idx] if audio_perm is not None else None)
        lg = model(f, a)["mask_logits"][:, 0]
        out += list(lg.reshape(len(idx), -1, *lg.shape[-2:]))
    return out


def gt224(synth_root, s):
    meta = s.sets[0]["meta"]["clips"]
    idx = {}
    for setting in {c["setting"] for c in meta}:
        for r in json.load(open(os.path.join(synth_root, "index", f"{setting}_test.json"))):
            idx[r["id"]] = r
    return [torch.from_numpy(np.stack([np.asarray(Image.open(os.path.join(synth_root, m)).convert("L")) >= 128
                                       for m in idx[c["id"]]["masks"]]).astype(np.float32)) for c in meta]


def frame_js(logits, gts):
    """Per frame official J (logits and GT at the same size)."""
    return [mask_iou(lg[t:t + 1], g[t:t + 1]) for lg, g in zip(logits, gts) for t in range(lg.shape[0])]


def spearman(x, y):
    rx = _rank(np.asarray(x, float))
    ry = _rank(np.asarray(y, float))
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def _rank(v):
    order = np.argsort(v, kind="mergesort")
    r = np.empty(len(v))
    r[order] = np.arange(len(v))
    for u in np.unique(v):            # ties share their average rank
        m = v == u
        r[m] = r[m].mean()
    return r


def isotonic(x, y, knots=16):
    """Pool-adjacent-violators fit of y on x (increasing), reduced to at most `knots` points."""
    o = np.argsort(x)
    xs, ys = np.asarray(x, float)[o], np.asarray(y, float)[o]
    blocks = [[ys[i], 1.0, xs[i], xs[i]] for i in range(len(xs))]   # mean, weight, xmin, xmax
    out = []
    for b in blocks:
        out.append(b)
        while len(out) > 1 and out[-2][0] > out[-1][0]:
            b2 = out.pop()
            b1 = out.pop()
            w = b1[1] + b2[1]
            out.append([(b1[0] * b1[1] + b2[0] * b2[1]) / w, w, b1[2], b2[3]])
    px = [(b[2] + b[3]) / 2 for b in out]
    py = [b[0] for b in out]
    if len(px) > knots:
        sel = np.unique(np.linspace(0, len(px) - 1, knots).round().astype(int))
        px, py = [px[i] for i in sel], [py[i] for i in sel]
    return {"x": [round(float(v), 4) for v in px], "y": [round(float(v), 4) for v in py]}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data", default="models/data/realavs")
    ap.add_argument("--synthavs", default="models/data/synthavs")
    ap.add_argument("--out", required=True)
    ap.add_argument("--davis", default=None, help="folder with the davis_sound set (default: --data)")
    ap.add_argument("--val-data", default=None, help="folder with the val sets for the calibration (default: --data)")
    output_args(ap)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    model, cfg, _ = load_head(a.checkpoint, a.gate, a.union, a.grow)
    fr = bool(cfg.get("isnet_inject"))     # config tiny_isnet also reads the frames
    res = {}
    conf_test, j_test = [], []
    for name, label in (("s4_test", "S4-like"), ("ms3_test", "MS3-like")):
        if not os.path.exists(os.path.join(a.data, name, "meta.json")):
            continue
        s = Sets(a.data, [name], fr)
        gts = gt224(a.synthavs, s)
        up = lambda lgs: [F.interpolate(lg[:, None], size=(224, 224), mode="bilinear", align_corners=False)[:, 0] for lg in lgs]
        lg = logits_of(model, s)
        J = float(np.mean([mask_iou(l, g) for l, g in zip(up(lg), gts)]))
        Fm = float(np.mean([eval_fmeasure(l, g) for l, g in zip(up(lg), gts)]))
        lgs = logits_of(model, s, derangement(len(s)))
        Js = float(np.mean([mask_iou(l, g) for l, g in zip(up(lgs), gts)]))
        res[label] = dict(J=round(J, 4), F=round(Fm, 4), audio_swapped_J=round(Js, 4), J_drop_with_swapped_audio=round(J - Js, 4),
                          clips=len(s), resolution="224x224 (ground truth), logits upsampled")
        conf_test += [raw_confidence(l[t]) for l in lg for t in range(l.shape[0])]
        j_test += frame_js(up(lg), gts)
        print(label, res[label], flush=True)
    # val: calibration
    cx, cy = [], []
    vroot = a.val_data or a.data
    for name in ("real_val", "synth_val"):
        if not os.path.exists(os.path.join(vroot, name, "meta.json")):
            continue
        s = Sets(vroot, [name], fr)
        lg = logits_of(model, s)
        gts = [torch.from_numpy(np.asarray(s.sets[0]["masks"][i], dtype=np.float32)) for i in range(len(s))]
        js = frame_js(lg, gts)
        cx += [raw_confidence(l[t]) for l in lg for t in range(l.shape[0])]
        cy += js
        res[f"{name}_J"] = round(float(np.mean([mask_iou(l, g) for l, g in zip(lg, gts)])), 4)
    cal = isotonic(cx, cy) if cx else None
    res["confidence"] = dict(method="soft IoU of the probabilities with the mask (postprocess.ts binaryConfidence), isotonic-calibrated on the val sets",
                             spearman_val=spearman(cx, cy), spearman_synthavs_test=spearman(conf_test, j_test) if conf_test else None)
    droot = a.davis or a.data
    if os.path.exists(os.path.join(droot, "davis_sound", "meta.json")):
        s = Sets(droot, ["davis_sound"], fr)
        lg = logits_of(model, s)
        gts = [torch.from_numpy(np.asarray(s.sets[0]["masks"][i], dtype=np.float32)) for i in range(len(s))]
        res["confidence"]["spearman_real_dev_davis"] = spearman([raw_confidence(l[t]) for l in lg for t in range(l.shape[0])], frame_js(lg, gts))
    json.dump(dict(metrics=res, confidence_calibration=cal), open(a.out, "w"), indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
