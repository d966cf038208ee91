#!/usr/bin/python3
"""Train CCFormer on SynthAVS (S4-like + MS3-like mixed), log loss and val J/F per epoch,
evaluate on the test split with the official metrics, optionally export the ONNX + card.

  /usr/bin/python3 models/train.py --data models/data/synthavs --config tiny --input-size 96 \
      --steps 6000 --out models/runs/tiny [--device cuda] [--procs 2] [--export models/ccformer-tiny-s4.onnx]

Seeds are fixed (--seed); data order and augmentation come from a seeded generator.
--procs N trains data-parallel in N processes of one torch thread each (gloo all-reduce of the
gradients): on a CPU machine with N idle cores a step takes about the time of one process's share,
so the same global batch (--batch) trains about N times faster; --procs 1 is the plain loop.
"""
import argparse
import json
import math
import os
import pickle
import signal
import sys
import tempfile
import time
from multiprocessing import get_context

import numpy as np
import torch
import torch.distributed as dist
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
        # forkserver, not fork: a fork of a process running torch's threads can deadlock in the child.
        with get_context("forkserver").Pool(workers) as p:
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
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="models/data/synthavs")
    ap.add_argument("--config", default="tiny")
    ap.add_argument("--input-size", type=int, default=96)
    ap.add_argument("--settings", default="s4,ms3")
    ap.add_argument("--mix", default=None,
                    help="sampling share per setting, e.g. 's4=0.6' (others share the rest); default: by clip count")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=4,
                    help="clips per optimizer step (the global batch; split evenly over --procs)")
    ap.add_argument("--procs", type=int, default=1,
                    help="data-parallel training processes, one torch thread each (gloo all-reduce); "
                         "use the number of idle cores. The global batch, sampling and augmentation are the "
                         "same for any --procs (BCL negatives come from the clips of the same process)")
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
                    help="torch intra-op threads per process; 1 is fastest on a 2-core machine (a second "
                         "OpenMP thread made a step ~1.5x slower here even on an idle machine: use --procs)")
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
    if a.procs < 1 or a.batch % a.procs:
        ap.error(f"--batch {a.batch} must be a multiple of --procs {a.procs}")
    if a.procs > 1 and a.device != "cpu":
        ap.error("--procs > 1 is for CPU training (one process per core); use one process on a GPU")
    return a


def main(argv=None):
    a = parse_args(argv)
    t_start = time.time()
    os.makedirs(a.out, exist_ok=True)
    command = "/usr/bin/python3 " + " ".join([os.path.relpath(__file__)] + (argv if argv is not None else sys.argv[1:]))
    if a.procs == 1:
        training = train_worker(0, a, command, t_start, None)
    else:
        settings = a.settings.split(",")
        for s in settings:  # build the decoded-data caches once, before the workers read them
            load_split(a.data, s, "train", a.input_size, limit=a.train_limit)
            load_split(a.data, s, "val", a.input_size, limit=a.val_limit)
        with tempfile.TemporaryDirectory() as td:
            rendezvous = "file://" + os.path.join(td, "rendezvous")
            ctx = torch.multiprocessing.start_processes(train_worker, args=(a, command, t_start, rendezvous),
                                                        nprocs=a.procs, join=False, start_method="spawn")
            # Ctrl-C / SIGTERM: rank 0 finishes the step, evaluates, saves, and all ranks stop together
            # (the workers ignore SIGINT themselves, so a Ctrl-C in the terminal is not a crash).
            def forward(*_):
                try:
                    os.kill(ctx.processes[0].pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            old = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                while not ctx.join():
                    pass
            finally:
                for sig, h in old.items():
                    signal.signal(sig, h)
        training = json.load(open(os.path.join(a.out, "training.json")))
    if a.test or a.export:
        torch.set_num_threads(max(1, a.threads))
        dev = torch.device(a.device)
        P = _logger(a.out)
        settings = a.settings.split(",")
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


def _logger(out, quiet=False):
    if quiet:
        return lambda *s: None
    log = open(os.path.join(out, "train.log"), "a")

    def P(*s):
        line = " ".join(str(x) for x in s)
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()
    return P


def _all_reduce_grads(model, world):
    """Average the gradients of all processes (one flat buffer, one all-reduce)."""
    params = [p for p in model.parameters() if p.requires_grad]
    flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])
    dist.all_reduce(flat)
    flat /= world
    i = 0
    for p in params:
        n = p.numel()
        g = flat[i:i + n].view_as(p)
        if p.grad is None:
            p.grad = g.clone()
        else:
            p.grad.copy_(g)
        i += n


def train_worker(rank, a, command, t_start, rendezvous):
    """One training process. With --procs 1 this is the whole loop; with N processes every rank
    computes the gradients of its share of the global batch, the gradients are averaged
    (all-reduce) and every rank takes the same optimizer step; rank 0 decides the learning rate
    and when to stop (broadcast each step), evaluates, logs and writes the checkpoints."""
    world = a.procs
    if world > 1:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # rank 0 hears SIGTERM / the parent's Ctrl-C below
        dist.init_process_group("gloo", init_method=rendezvous, rank=rank, world_size=world)
    lead = rank == 0
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    P = _logger(a.out, quiet=not lead)

    S = a.input_size
    cfg = get_config(a.config, input_size=[S, S])
    cfg.update(eim=not a.no_eim, ici=not a.no_ici, iti=not a.no_iti, bcl=not a.no_bcl)
    P("config", json.dumps(cfg))
    settings = a.settings.split(",")
    t0 = time.time()
    train = {s: load_split(a.data, s, "train", S, limit=a.train_limit) for s in settings}
    val = {s: load_split(a.data, s, "val", S, limit=a.val_limit) for s in settings} if lead else {}
    P(f"data loaded in {time.time() - t0:.0f} s:", {s: len(train[s]["frames"]) for s in settings},
      f"({world} process{'es' if world > 1 else ''}, {a.batch // world} clips each per step)")
    out_res = S // cfg["mask_stride"]
    tr_frames = np.concatenate([train[s]["frames"] for s in settings])
    tr_logmel = np.concatenate([train[s]["logmel"] for s in settings])
    tr_masks = torch.cat([down_masks(train[s]["masks"], out_res) for s in settings])
    for s in val:
        val[s]["masks_small"] = down_masks(val[s]["masks"], S).numpy() > 0.5
    Ntr = len(tr_frames)
    model = build_model(cfg).to(dev)
    if a.init:
        sd = torch.load(a.init, map_location="cpu")["state_dict"]
        model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()})
        P("initialised from", a.init)
    if world > 1:
        for t in list(model.parameters()) + list(model.buffers()):
            dist.broadcast(t.data, 0)
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
    for sig in (signal.SIGTERM,) + ((signal.SIGINT,) if world == 1 else ()):
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
    b = a.batch // world
    mine = slice(rank * b, (rank + 1) * b)
    ctrl = torch.zeros(3, dtype=torch.float64)   # [lr, evaluate now, stop], decided by rank 0
    for step in range(a.steps):
        # the global batch and its augmentation come from one generator, identical in every rank
        if sample_p is not None:
            idx = np.sort(g.choice(Ntr, size=a.batch, replace=False, p=sample_p))
        else:
            if pos + a.batch > Ntr:
                order = g.permutation(Ntr)
                pos = 0
            idx = np.sort(order[pos:pos + a.batch])
            pos += a.batch
        flip_all = g.random(len(idx)) < 0.5
        jit_all = g.uniform(-0.2, 0.2, (len(idx), 1, 3, 1, 1)).astype(np.float32)
        idx, flip_all, jit_all = idx[mine], flip_all[mine], jit_all[mine]
        f, au = to_input(tr_frames[idx], tr_logmel[idx], dev)
        tgt = tr_masks[idx].to(dev)
        flip = torch.from_numpy(flip_all).to(dev)
        f = torch.where(flip.view(-1, 1, 1, 1, 1), f.flip(-1), f)
        tgt = torch.where(flip.view(-1, 1, 1, 1), tgt.flip(-1), tgt)
        f = f + torch.from_numpy(jit_all).to(dev)
        if lead:
            ctrl[0] = lr_at(step)
        if world > 1:
            dist.broadcast(ctrl, 0)   # every rank steps with rank 0's (time-dependent) learning rate
        lr = float(ctrl[0])
        for pg in opt.param_groups:
            pg["lr"] = lr
        model.train()
        out = model(f, au)
        loss, parts = segmentation_loss(out, tgt.reshape(-1, out_res, out_res), cfg, a.bce_weight)
        opt.zero_grad()
        loss.backward()
        if world > 1:
            _all_reduce_grads(model, world)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run_loss += float(loss)
        run_n += 1
        if step % 50 == 0:
            P(f"step {step} loss {float(loss):.4f} {parts} lr {lr:.2e} {time.time() - t_train:.0f}s")
        if lead:
            last = step == a.steps - 1
            over = ((time.time() - t_start) / 60 > a.time_limit_min or lr_at(step) < a.lr * 1e-4 and step > a.warmup
                    or bool(stop_requested))
            ctrl[1] = float((step + 1) % a.eval_every == 0 or last or over)
            ctrl[2] = float(over)
        if world > 1:
            dist.broadcast(ctrl, 0)
        if ctrl[1] and lead:
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
        if ctrl[2]:
            P(f"{'stop requested' if stop_requested else 'time limit reached'} at step {step + 1}")
            stopped_early = True
            break
    train_min = (time.time() - t_train) / 60
    in_sync = True
    if world > 1:
        # every rank took the same optimizer steps: their parameters must be bit-identical
        fp = torch.cat([p.detach().reshape(-1).double() for p in model.parameters()])
        fp = torch.stack([fp.sum(), (fp * torch.arange(1, len(fp) + 1, dtype=torch.float64).sin()).sum()])
        got = [torch.zeros_like(fp) for _ in range(world)]
        dist.all_gather(got, fp)
        in_sync = all(torch.equal(got[0], x) for x in got)
        dist.barrier()
        dist.destroy_process_group()
        if not in_sync:
            P("ERROR: the data-parallel processes ended with different parameters")
    if not lead:
        return None
    training = dict(
        data=dict(generator="models/synthavs/generate.py", root=a.data, settings=settings,
                  train_clips={s: len(train[s]["frames"]) for s in settings}, mix=a.mix, init=a.init),
        steps=step + 1, planned_steps=a.steps, best_step=best_step, batch_clips=a.batch, lr=a.lr,
        optimizer="AdamW", schedule="linear warmup + cosine", loss=f"sum over decoder stages of Dice + {a.bce_weight}*BCE"
        + ("" if a.no_bcl else f" + {cfg['bcl_lambda']}*BCL"), seed=a.seed, device=str(dev),
        threads=a.threads, procs=world, ranks_in_sync=in_sync, train_minutes=round(train_min, 1),
        wall_minutes=round((time.time() - t_start) / 60, 1), stopped_by_time_limit=stopped_early,
        command=command)
    json.dump(training, open(os.path.join(a.out, "training.json"), "w"), indent=1)
    P("training done", json.dumps(training))
    if not in_sync:
        raise RuntimeError("data-parallel ranks diverged")
    return training


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
