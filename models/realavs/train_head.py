"""Trains the CCFormer head (config ``isnet``) on cached, frozen IS-Net features (build.py sets).

  OMP_NUM_THREADS=1 /usr/bin/python3 -m models.realavs.train_head --data models/data/realavs \
      --train real_train,synth_train --val real_val,synth_val --out models/runs/isnet --time-limit-min 40

Loss: Σ over decoder stages of Dice + BCE (the refined stride-4 output against the stride-4
masks, the stride-8 auxiliary outputs against the masks box-downsampled), + λ·BCL. Val: J of
each val set at stride 4 (the official per-frame IoU with the empty-mask convention), every
``--eval-every`` steps; the best mean val J is kept (best.pt).
"""
import argparse
import json
import math
import os
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F

from ..ccformer.config import get_config
from ..ccformer.losses import bcl_loss, bce_loss, dice_loss
from ..ccformer.metrics import mask_iou
from ..ccformer.model import build_model
from .build import load_set
from ..ccformer.model import ISNetFeatures, gate_logits, tiny_input

KEYS = ISNetFeatures.inputs


def tiny_frames(fr, size=160):
    """Stored frames [N, S, S, 3] uint8 -> the tiny backbone's input [N, 3, size, size] (model.tiny_input)."""
    return tiny_input(torch.from_numpy(np.asarray(fr, dtype=np.float32)).permute(0, 3, 1, 2) / 255.0, size)


class Sets:
    def __init__(self, root, names, frames=False):
        self.frames = frames      # also the frames for config tiny_isnet: batch() gives ((frames, feats), audio, masks)
        self.sets = [load_set(os.path.join(root, n)) for n in names]
        self.names = names
        self.index = [(s, i) for s in range(len(self.sets)) for i in range(self.sets[s]["meta"]["n"])]

    def __len__(self):
        return len(self.index)

    def batch(self, idx, audio_from=None):
        """idx: rows of self.index -> (feats list of [B,T,C,h,w], audio [B,T,1,96,64], masks [B,T,M,M])."""
        feats = [[] for _ in KEYS]
        aud, msk = [], []
        for j, r in enumerate(idx):
            s, i = self.index[r]
            d = self.sets[s]
            for k, key in enumerate(KEYS):
                feats[k].append(torch.from_numpy(np.asarray(d["feats"][key][i], dtype=np.float32)))
            if audio_from is not None:
                sa, ia = self.index[audio_from[j]]
                aud.append(torch.from_numpy(self.sets[sa]["logmel"][ia]))
            else:
                aud.append(torch.from_numpy(d["logmel"][i]))
            msk.append(torch.from_numpy(np.asarray(d["masks"][i], dtype=np.float32)))
        feats = [torch.stack(f) for f in feats]
        if self.frames:
            fr = torch.stack([tiny_frames(self.sets[s]["frames"][i]) for s, i in (self.index[r] for r in idx)])
            feats = (fr, feats)
        return feats, torch.stack(aud), torch.stack(msk)


def loss_fn(out, masks, cfg, bce_w=1.0):
    B, T = masks.shape[:2]
    tgt = masks.reshape(B * T, *masks.shape[2:])
    total, parts = 0.0, {}
    for lg in out["aux_logits"] + [out["mask_logits"]]:
        t = tgt if lg.shape[-1] == tgt.shape[-1] else \
            (F.adaptive_avg_pool2d(tgt[:, None], lg.shape[-2:])[:, 0] >= 0.5).float()
        total = total + dice_loss(lg[:, 0], t) + bce_w * bce_loss(lg[:, 0], t)
    parts["mask"] = float(total)
    if out.get("bcl_enh") is not None and B > 1:
        b = bcl_loss(out["bcl_enh"], out["bcl_orig"], cfg["bcl_tau"])
        parts["bcl"] = float(b)
        total = total + cfg["bcl_lambda"] * b
    return total, parts


@torch.no_grad()
def evaluate(model, data, batch=4, audio_perm=None, limit=None):
    """Mean J (stride-4 masks) over the clips of one Sets, and per clip J."""
    model.eval()
    n = len(data) if limit is None else min(limit, len(data))
    per = []
    for i in range(0, n, batch):
        idx = list(range(i, min(n, i + batch)))
        feats, aud, msk = data.batch(idx, [audio_perm[j] for j in idx] if audio_perm is not None else None)
        lg = model(feats, aud)["mask_logits"][:, 0].reshape(msk.shape)
        for b in range(len(idx)):
            per.append(float(mask_iou(lg[b], msk[b])))     # mask_iou thresholds the logits itself
    model.train()
    return float(np.mean(per)), per


def derangement(n, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.permutation(n)
    return [int(x) for x in np.roll(p, 1)[np.argsort(p)]]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="models/data/realavs")
    ap.add_argument("--train", default="real_train,synth_train")
    ap.add_argument("--val", default="real_val,synth_val")
    ap.add_argument("--out", default="models/runs/isnet")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--time-limit-min", type=float, default=40)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--bce-weight", type=float, default=1.0)
    ap.add_argument("--weights", default=None, help="sampling weight per train set, e.g. 0.5,0.5")
    ap.add_argument("--watch", default="", help="sets evaluated and logged but not used to pick the best checkpoint")
    ap.add_argument("--refine-skip", action="store_true", help="the refined mask adds IS-Net's saliency logit itself")
    ap.add_argument("--init", default=None)
    ap.add_argument("--audio-init", default=None,
                    help="a checkpoint whose audio encoder and projection (same widths) replace the head's, "
                         "e.g. models/ccformer-tiny-s4.pt: its audio side already tells SynthAVS's classes apart")
    ap.add_argument("--freeze-audio", action="store_true", help="keep the audio encoder fixed (with --audio-init)")
    ap.add_argument("--eval-gate", type=int, default=0, help="val J of the gated output (as release.py --gate)")
    ap.add_argument("--config", default="isnet", help="isnet (the head on IS-Net's maps) or tiny_isnet "
                    "(the tiny model with IS-Net's maps injected; --init a tiny checkpoint, e.g. models/ccformer-tiny-s4.pt)")
    ap.add_argument("--freeze-tiny", action="store_true", help="tiny_isnet: keep the tiny backbone and audio encoder fixed")
    ap.add_argument("--keep-evals", action="store_true", help="keep the checkpoint of every evaluation (stepN.pt)")
    ap.add_argument("--union", type=float, default=None, help="eval: max(gated, out - tau) (with --eval-gate)")
    ap.add_argument("--train-gate", type=int, default=0, help="also Dice + BCE of the gated output min(sal, maxpool_k(out)), "
                    "as the app gets it (the gradient reaches the head where its mask is the smaller)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    log = open(os.path.join(a.out, "log.txt"), "a")

    def P(*s):
        line = " ".join(str(x) for x in s)
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    cfg = get_config(a.config, refine_skip=a.refine_skip or None)
    model = build_model(cfg)
    tiny = a.config == "tiny_isnet"
    if a.init:
        ck = torch.load(a.init, map_location="cpu")
        sd = ck.get("model", ck.get("state_dict"))
        if tiny and not any(k.startswith("isnet_proj.") for k in sd):
            missing, unexpected = model.load_state_dict({k: v.float() for k, v in sd.items()}, strict=False)
            new = [k for k in missing if not k.startswith(("isnet_proj.", "refine."))]
            if new or unexpected:
                raise SystemExit(f"--init {a.init}: missing {new[:4]}, unexpected {unexpected[:4]}")
        else:
            model.load_state_dict({k: v.float() for k, v in sd.items()})
    if a.freeze_tiny:
        for q in list(model.backbone.parameters()) + list(model.audio_enc.parameters()):
            q.requires_grad_(False)
    if a.audio_init:
        ck = torch.load(a.audio_init, map_location="cpu")
        sd = ck.get("model", ck.get("state_dict"))
        audio = {k: v.float() for k, v in sd.items() if k.startswith(("audio_enc.", "audio_proj."))}
        missing = [k for k in model.state_dict() if k.startswith(("audio_enc.", "audio_proj.")) and k not in audio]
        if missing:
            raise SystemExit(f"--audio-init {a.audio_init}: no {', '.join(missing[:4])}")
        model.load_state_dict(audio, strict=False)
    if a.freeze_audio:
        for q in model.audio_enc.parameters():
            q.requires_grad_(False)
    train = Sets(a.data, a.train.split(","), tiny)
    vals = {n: Sets(a.data, [n], tiny) for n in a.val.split(",")}
    watch = {n: Sets(a.data, [n], tiny) for n in a.watch.split(",") if n}
    w = [float(x) for x in a.weights.split(",")] if a.weights else [1.0] * len(train.sets)
    sizes = [s["meta"]["n"] for s in train.sets]
    p = np.concatenate([np.full(n, wi / n) for n, wi in zip(sizes, w)])
    p /= p.sum()
    opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=a.lr, weight_decay=1e-4)
    rng = np.random.default_rng(a.seed)
    t0 = time.time()
    budget = a.time_limit_min * 60
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    best, step = -1.0, 0
    P(f"train {dict(zip(train.names, sizes))} val {[(n, len(v)) for n, v in vals.items()]} cfg {a.config}")
    run = {"mask": 0.0, "bcl": 0.0, "n": 0}
    while step < a.steps and not stop["flag"]:
        prog = max(step / a.steps, (time.time() - t0) / budget)
        if prog >= 1:
            break
        lr = a.lr * min(1.0, (step + 1) / a.warmup) * 0.5 * (1 + math.cos(math.pi * prog))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = list(rng.choice(len(train), a.batch, replace=False, p=p))
        feats, aud, msk = train.batch(idx)
        if a.freeze_audio or a.freeze_tiny:
            model.audio_enc.eval()
        if a.freeze_tiny:
            model.backbone.eval()
        out = model(feats, aud)
        loss, parts = loss_fn(out, msk, cfg, a.bce_weight)
        if a.train_gate:
            sal = (feats[1] if tiny else feats)[-1]
            sal = sal.reshape(-1, *sal.shape[2:]).clamp(-12, 12)
            gated = gate_logits(sal, out["mask_logits"], a.train_gate)[:, 0]
            t = msk.reshape(-1, *msk.shape[2:])
            loss = loss + dice_loss(gated, t) + a.bce_weight * bce_loss(gated, t)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        run["mask"] += parts["mask"]
        run["bcl"] += parts.get("bcl", 0.0)
        run["n"] += 1
        if step % 25 == 0:
            P(f"step {step} lr {lr:.2e} mask {run['mask'] / run['n']:.4f} bcl {run['bcl'] / run['n']:.4f} "
              f"{(time.time() - t0) / step:.2f} s/step")
            run = {"mask": 0.0, "bcl": 0.0, "n": 0}
        if step % a.eval_every == 0:
            best = _eval_save(model, vals, a, step, best, t0, P, watch)
    best = _eval_save(model, vals, a, step, best, t0, P, watch)
    P(f"done: {step} steps, {(time.time() - t0) / 60:.1f} min, best val J {best:.4f}")
    json.dump(dict(steps=step, minutes=round((time.time() - t0) / 60, 1), best_val_J=best, args=vars(a)),
              open(os.path.join(a.out, "training.json"), "w"), indent=1)


def _eval_save(model, vals, a, step, best, t0, P, watch=None):
    model.refine.gate, model.refine.union = a.eval_gate, a.union
    js = {n: evaluate(model, v)[0] for n, v in vals.items()}
    m = float(np.mean(list(js.values())))
    ws = {n: evaluate(model, v)[0] for n, v in (watch or {}).items()}
    if a.union is not None and a.eval_gate:
        # the watch sets also with the gated output alone (what the union adds to it is the head's own mask)
        model.refine.union = None
        ws.update({n + " gated": evaluate(model, v)[0] for n, v in (watch or {}).items()})
    model.refine.gate, model.refine.union = 0, None
    P(f"eval step {step}: " + " ".join(f"{n} J {j:.4f}" for n, j in js.items()) + f" mean {m:.4f} "
      + " ".join(f"[watch {n} J {j:.4f}]" for n, j in ws.items()) + f" ({(time.time() - t0) / 60:.1f} min)")
    sd = {"model": {k: v.detach().clone() for k, v in model.state_dict().items()}, "cfg": model.cfg, "step": step, "val": js}
    torch.save(sd, os.path.join(a.out, "last.pt"))
    if a.keep_evals:
        torch.save(sd, os.path.join(a.out, f"step{step}.pt"))
    if m > best:
        best = m
        torch.save(sd, os.path.join(a.out, "best.pt"))
    return best


if __name__ == "__main__":
    main()
