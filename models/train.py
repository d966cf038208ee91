#!/usr/bin/python3
"""Train CCFormer on SynthAVS (S4-like + MS3-like mixed), log loss and val J/F per epoch,
evaluate on the test split with the official metrics, optionally export the ONNX + card.

  /usr/bin/python3 models/train.py --data models/data/synthavs --config tiny --input-size 96 \
      --steps 6000 --out models/runs/tiny [--device cuda] [--export models/ccformer-tiny-s4.onnx]

Seeds are fixed (--seed); data order and augmentation come from a seeded generator.
"""
import argparse
import json
import math
import os
import pickle
import signal
import sys
import time
from multiprocessing import Pool

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from models.ccformer import build_model, get_config  # noqa: E402
from models.ccformer.losses import segmentation_loss  # noqa: E402
from models.ccformer.metrics import evaluate_clips  # noqa: E402

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 1, 3, 1, 1)


# ------------------------------------------------------------------------------------ data
def _load_clip(args):
    root, rec, size = args
    fr, mk = [], []
    for f, m in zip(rec["frames"], rec["masks"]):
        im = Image.open(os.path.join(root, f)).convert("RGB")
        fr.append(np.asarray(im.resize((size, size), Image.BILINEAR)))
        g = np.asarray(Image.open(os.path.join(root, m)).convert("L")) >= 128
        mk.append(g)
    with open(os.path.join(root, rec["log_mel"]), "rb") as fh:
        lm = pickle.load(fh).detach().numpy()
    return np.stack(fr), np.stack(mk), lm


def load_split(root, setting, split, size, workers=2, limit=None):
    """Returns dict(frames u8 [N,T,S,S,3], masks bool [N,T,224,224], logmel f32 [N,T,1,96,64], recs)."""
    cache_dir = os.path.join(root, "cache")
    os.makedirs(cache_dir, exist_ok=True)
    recs = json.load(open(os.path.join(root, "index", f"{setting}_{split}.json")))
    if limit:
        recs = recs[:limit]
    cp = os.path.join(cache_dir, f"{setting}_{split}_{size}_{len(recs)}.npz")
    if os.path.exists(cp):
        z = np.load(cp)
        return dict(frames=z["frames"], masks=z["masks"], logmel=z["logmel"], recs=recs)
    jobs = [(root, r, size) for r in recs]
    if workers > 1:
        with Pool(workers) as p:
            out = p.map(_load_clip, jobs, chunksize=16)
    else:
        out = [_load_clip(j) for j in jobs]
    d = dict(frames=np.stack([o[0] for o in out]), masks=np.stack([o[1] for o in out]),
             logmel=np.stack([o[2] for o in out]).astype(np.float32))
    np.savez(cp, **d)
    d["recs"] = recs
    return d


def to_input(frames_u8, logmel, device):
    f = torch.from_numpy(frames_u8).to(device).permute(0, 1, 4, 2, 3).float() / 255.0
    f = (f - MEAN.to(device)) / STD.to(device)
    return f, torch.from_numpy(logmel).to(device)


def down_masks(masks, size):
    """bool [N,T,224,224] -> float [N,T,size,size] (area fraction >= 0.5)."""
    m = torch.from_numpy(masks).float()
    N, T = m.shape[:2]
    m = F.interpolate(m.reshape(N * T, 1, *m.shape[2:]), size=(size, size), mode="area")
    return (m >= 0.5).float().reshape(N, T, size, size)


# ------------------------------------------------------------------------------------ eval
@torch.no_grad()
def predict(model, data, device, batch=4, audio_perm=None, out_size=224):
    """Per clip logits [T,out,out] (bilinear upsampling of the logits, as the app does)."""
    model.eval()
    N = len(data["frames"])
    res = []
    for i in range(0, N, batch):
        idx = list(range(i, min(N, i + batch)))
        aidx = [audio_perm[j] for j in idx] if audio_perm is not None else idx
        f, a = to_input(data["frames"][idx], data["logmel"][aidx], device)
        lg = model(f, a)["mask_logits"][:, 0:1]
        lg = F.interpolate(lg, size=(out_size, out_size), mode="bilinear", align_corners=False)[:, 0]
        res += list(lg.reshape(len(idx), -1, out_size, out_size).cpu())
    return res


def evaluate(model, data, device, audio_perm=None, full_res=True):
    size = data["masks"].shape[-1] if full_res else None
    logits = predict(model, data, device, audio_perm=audio_perm, out_size=size)
    gts = [torch.from_numpy(m).float() for m in data["masks"]]
    return evaluate_clips(logits, gts, batch_clips=1)


def swap_perm(n, seed=0):
    """A derangement: clip i gets the audio of clip perm[i] != i."""
    rng = np.random.default_rng(seed)
    p = rng.permutation(n)
    return [int(x) for x in np.roll(p, 1)[np.argsort(p)]]


# ----------------------------------------------------------------------------------- train
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="models/data/synthavs")
    ap.add_argument("--config", default="tiny")
    ap.add_argument("--input-size", type=int, default=96)
    ap.add_argument("--settings", default="s4,ms3")
    ap.add_argument("--mix", default=None,
                    help="sampling share per setting, e.g. 's4=0.6' (others share the rest); default: by clip count")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--bce-weight", type=float, default=1.0)
    ap.add_argument("--eval-every", type=int, default=500, help="steps per 'epoch' (val J/F logged)")
    ap.add_argument("--val-limit", type=int, default=100)
    ap.add_argument("--train-limit", type=int, default=None)
    ap.add_argument("--time-limit-min", type=float, default=52.0,
                    help="wall-time budget from start (data loading included); the LR schedule anneals "
                         "to 0 by then and training stops, keeping the best checkpoint")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads; 1 is fastest on a shared 2-core machine (OpenMP spin-waits)")
    ap.add_argument("--out", default="models/runs/tiny")
    ap.add_argument("--no-eim", action="store_true")
    ap.add_argument("--no-ici", action="store_true")
    ap.add_argument("--no-iti", action="store_true")
    ap.add_argument("--no-bcl", action="store_true")
    ap.add_argument("--test", action="store_true", help="evaluate best checkpoint on the test split")
    ap.add_argument("--export", help="also export the best checkpoint to this .onnx (+ card)")
    ap.add_argument("--name", default=None)
    ap.add_argument("--init", help="start from this checkpoint's weights (fine-tuning / continuation)")
    a = ap.parse_args(argv)
    t_start = time.time()
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    os.makedirs(a.out, exist_ok=True)
    log = open(os.path.join(a.out, "train.log"), "a")

    def P(*s):
        line = " ".join(str(x) for x in s)
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    S = a.input_size
    cfg = get_config(a.config, input_size=[S, S])
    cfg.update(eim=not a.no_eim, ici=not a.no_ici, iti=not a.no_iti, bcl=not a.no_bcl)
    P("config", json.dumps(cfg))
    settings = a.settings.split(",")
    t0 = time.time()
    train = {s: load_split(a.data, s, "train", S, limit=a.train_limit) for s in settings}
    val = {s: load_split(a.data, s, "val", S, limit=a.val_limit) for s in settings}
    P(f"data loaded in {time.time() - t0:.0f} s:", {s: len(train[s]["frames"]) for s in settings})
    out_res = S // cfg["mask_stride"]
    tr_frames = np.concatenate([train[s]["frames"] for s in settings])
    tr_logmel = np.concatenate([train[s]["logmel"] for s in settings])
    tr_masks = torch.cat([down_masks(train[s]["masks"], out_res) for s in settings])
    for s in settings:
        val[s]["masks_small"] = down_masks(val[s]["masks"], S).numpy() > 0.5
    Ntr = len(tr_frames)
    model = build_model(cfg).to(dev)
    if a.init:
        sd = torch.load(a.init, map_location="cpu")["state_dict"]
        model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()})
        P("initialised from", a.init)
    P("params", sum(p.numel() for p in model.parameters()))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)

    budget_s = a.time_limit_min * 60 - (time.time() - t_start)

    def lr_at(step):
        """Warmup, then cosine over the training progress = max(step/steps, elapsed/time budget):
        the schedule anneals fully whichever limit (steps or wall time) comes first."""
        if step < a.warmup:
            return a.lr * (step + 1) / a.warmup
        prog = max((step - a.warmup) / max(1, a.steps - a.warmup), (time.time() - t_train) / budget_s)
        return a.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, prog)))

    stop_requested = []
    # SIGTERM / Ctrl-C: finish the current step, evaluate, save and write training.json (a clean early stop).
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop_requested.append(True))

    g = np.random.default_rng(a.seed)
    order = g.permutation(Ntr)
    sample_p = None
    if a.mix:
        share = {k: float(v) for k, v in (kv.split("=") for kv in a.mix.split(","))}
        rest = [s for s in settings if s not in share]
        left = max(0.0, 1.0 - sum(share.values()))
        share.update({s: left / len(rest) for s in rest})
        sample_p = np.concatenate([np.full(len(train[s]["frames"]), share[s] / len(train[s]["frames"])) for s in settings])
        sample_p /= sample_p.sum()
        P("sampling share", json.dumps(share))
    pos = 0
    best, best_step = -1.0, -1
    run_loss, run_n = 0.0, 0
    t_train = time.time()
    step = 0
    stopped_early = False
    for step in range(a.steps):
        if sample_p is not None:
            idx = np.sort(g.choice(Ntr, size=a.batch, replace=False, p=sample_p))
        else:
            if pos + a.batch > Ntr:
                order = g.permutation(Ntr)
                pos = 0
            idx = np.sort(order[pos:pos + a.batch])
            pos += a.batch
        f, au = to_input(tr_frames[idx], tr_logmel[idx], dev)
        tgt = tr_masks[idx].to(dev)
        flip = torch.from_numpy(g.random(len(idx)) < 0.5).to(dev)
        f = torch.where(flip.view(-1, 1, 1, 1, 1), f.flip(-1), f)
        tgt = torch.where(flip.view(-1, 1, 1, 1), tgt.flip(-1), tgt)
        jit = torch.from_numpy(g.uniform(-0.2, 0.2, (len(idx), 1, 3, 1, 1)).astype(np.float32)).to(dev)
        f = f + jit
        for pg in opt.param_groups:
            pg["lr"] = lr_at(step)
        model.train()
        out = model(f, au)
        loss, parts = segmentation_loss(out, tgt.reshape(-1, out_res, out_res), cfg, a.bce_weight)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run_loss += float(loss)
        run_n += 1
        if step % 50 == 0:
            P(f"step {step} loss {float(loss):.4f} {parts} lr {lr_at(step):.2e} {time.time() - t_train:.0f}s")
        last = step == a.steps - 1
        over = ((time.time() - t_start) / 60 > a.time_limit_min or lr_at(step) < a.lr * 1e-4 and step > a.warmup
                or bool(stop_requested))
        if (step + 1) % a.eval_every == 0 or last or over:
            vm = {}
            for s in settings:
                d = dict(frames=val[s]["frames"], logmel=val[s]["logmel"], masks=val[s]["masks_small"])
                vm[s] = evaluate(model, d, dev)
            score = float(np.mean([vm[s][0] for s in settings]))
            P(f"epoch {(step + 1) // a.eval_every} step {step + 1} train_loss {run_loss / run_n:.4f} " +
              " ".join(f"val_{s}_J {vm[s][0]:.4f} val_{s}_F {vm[s][1]:.4f}" for s in settings) +
              f" time {time.time() - t_train:.0f}s")
            run_loss, run_n = 0.0, 0
            ck = dict(config=cfg, state_dict=model.state_dict(), step=step + 1, val=vm)
            torch.save(ck, os.path.join(a.out, "last.pt"))
            if score > best:
                best, best_step = score, step + 1
                torch.save(ck, os.path.join(a.out, "best.pt"))
            if over:
                P(f"{'stop requested' if stop_requested else 'time limit reached'} at step {step + 1}")
                stopped_early = True
                break
    train_min = (time.time() - t_train) / 60
    training = dict(
        data=dict(generator="models/synthavs/generate.py", root=a.data, settings=settings,
                  train_clips={s: len(train[s]["frames"]) for s in settings}, mix=a.mix, init=a.init),
        steps=step + 1, planned_steps=a.steps, best_step=best_step, batch_clips=a.batch, lr=a.lr,
        optimizer="AdamW", schedule="linear warmup + cosine", loss=f"sum over decoder stages of Dice + {a.bce_weight}*BCE"
        + ("" if a.no_bcl else f" + {cfg['bcl_lambda']}*BCL"), seed=a.seed, device=str(dev),
        threads=a.threads, train_minutes=round(train_min, 1), stopped_by_time_limit=stopped_early,
        command="/usr/bin/python3 " + " ".join([os.path.relpath(__file__)] + (argv if argv is not None else sys.argv[1:])))
    json.dump(training, open(os.path.join(a.out, "training.json"), "w"), indent=1)
    P("training done", json.dumps(training))
    if a.test or a.export:
        metrics = test(a.out, a.data, settings, dev, P)
        ck = torch.load(os.path.join(a.out, "best.pt"))
        ck["training"] = training
        ck["metrics"] = metrics
        torch.save(ck, os.path.join(a.out, "best.pt"))
        if a.export:
            from models.export_onnx import export
            model = build_model(ck["config"])
            model.load_state_dict(ck["state_dict"])
            r = export(model, ck["config"], a.export, ck, a.name, metrics=metrics,
                       extra={"license": "MIT (weights trained on SynthAVS)"})
            P("exported", json.dumps(r))


def test(run_dir, data_root, settings, dev, P=print):
    ck = torch.load(os.path.join(run_dir, "best.pt"), map_location="cpu")
    cfg = ck["config"]
    model = build_model(cfg).to(dev)
    model.load_state_dict(ck["state_dict"])
    S = cfg["input_size"][0]
    metrics = {"protocol": "official mask_iou / Eval_Fmeasure (avsbench-format §6.1), CPU port, test batch = 1 clip; "
                           "logits bilinearly upsampled to the 224x224 ground truth",
               "checkpoint_step": ck.get("step")}
    for s in settings:
        d = load_split(data_root, s, "test", S)
        J, Fm = evaluate(model, d, dev)
        Js, Fs = evaluate(model, d, dev, audio_perm=swap_perm(len(d["frames"])))
        metrics[s + "_like"] = dict(test_clips=len(d["frames"]), J=round(J, 4), F=round(Fm, 4),
                                    audio_swapped_J=round(Js, 4), audio_swapped_F=round(Fs, 4),
                                    J_drop_with_swapped_audio=round(J - Js, 4))
        P("test", s, json.dumps(metrics[s + "_like"]))
    json.dump(metrics, open(os.path.join(run_dir, "metrics.json"), "w"), indent=1)
    return metrics


if __name__ == "__main__":
    main()
