"""Training/eval sets for the CCFormer head on frozen IS-Net features.

A set is a folder of flat arrays (one row per clip, T = 5 frames):
  frames.u8   [N, T, S, S, 3]   the model input (RGB, S x S)
  masks.u8    [N, T, M, M]      ground truth at stride 4 (0/1)
  logmel.f32  [N, T, 1, 96, 64] the audio input (exact VGGish log-mel)
  <feature>.f16                 IS-Net features of every frame (isnet.FEATURES), from onnxruntime
  meta.json                     N, sizes, and per clip its source (kind, objects, sounding schedule)

Sources: ``tux`` clips of Tux Paint's photo cut-outs with their own recordings (tuxpaint.py; exact
masks), ``real`` clips composed from Debian's GCompris photographs and recordings (scenes.py;
masks = IS-Net 1024 pseudo ground truth where the object sounds), and SynthAVS S4/MS3 clips
(exact ground truth; 224x224 frames upscaled to S).

  /usr/bin/python3 -m models.realavs.build --out models/data/realavs --feat-model M.onnx \
      --real train=400,val=30 --synth s4:train=200,ms3:train=250,s4:val=30,ms3:val=30
"""
import argparse
import json
import os
import pickle
import subprocess
import sys

import numpy as np
from PIL import Image

from . import scenes
from .isnet import FEATURE_CHANNELS, FEATURE_STRIDES, FEATURES

T = 5
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def _alloc(d, n, S, M):
    os.makedirs(d, exist_ok=True)
    mm = lambda name, dt, shape: np.lib.format.open_memmap(os.path.join(d, name + ".npy"), "w+", dt, shape)
    return mm("frames", np.uint8, (n, T, S, S, 3)), mm("masks", np.uint8, (n, T, M, M)), \
        mm("logmel", np.float32, (n, T, 1, 96, 64))


def real_set(d, A, split, n, seed, S, M):
    F, Mk, L = _alloc(d, n, S, M)
    B = scenes.split_assets(A, split)
    rng = np.random.default_rng(seed)
    recs = []
    for i in range(n):
        f, m, lm, r = (scenes.single_clip if rng.random() < 0.55 else scenes.pair_clip)(B, rng, S, M)
        F[i], Mk[i], L[i] = f, m, lm[:T]
        recs.append(dict(source="real", **r))
    return recs


def tux_set(d, A, bgs, split, n, seed, S, M, p_single=0.35):
    """Clips of Tux Paint's photo cut-outs with their own sounds (tuxpaint.py): exact masks."""
    from . import tuxpaint
    F, Mk, L = _alloc(d, n, S, M)
    B = tuxpaint.split(A, split, bgs)
    rng = np.random.default_rng(seed)
    recs = []
    for i in range(n):
        f, m, lm, r = (tuxpaint.single_clip if rng.random() < p_single else tuxpaint.multi_clip)(B, rng, S, M)
        F[i], Mk[i], L[i] = f, m, lm[:T]
        recs.append(dict(source="tuxpaint", **r))
    return recs


def synth_set(d, root, items, S, M):
    """items: [(setting, split, count)] from a SynthAVS folder (models.synthavs.generate)."""
    recs = []
    for setting, split, count in items:
        idx = json.load(open(os.path.join(root, "index", f"{setting}_{split}.json")))[:count]
        recs += [(setting, r) for r in idx]
    F, Mk, L = _alloc(d, len(recs), S, M)
    out = []
    for i, (setting, r) in enumerate(recs):
        for t in range(T):
            F[i, t] = np.asarray(Image.open(os.path.join(root, r["frames"][t])).convert("RGB").resize((S, S), Image.BILINEAR))
            g = Image.open(os.path.join(root, r["masks"][t])).convert("L").resize((M, M), Image.BOX)
            Mk[i, t] = np.asarray(g) >= 128
        with open(os.path.join(root, r["log_mel"]), "rb") as fh:
            L[i] = pickle.load(fh).detach().numpy()
        out.append(dict(source="synthavs", setting=setting, id=r["id"], classes=r["classes"], sched=r["sched"]))
    return out


def features(d, feat_model, n, S, threads=2):
    """IS-Net features of every frame of a set, with onnxruntime-node (models/realavs/isnet_features.ts)."""
    frames = os.path.join(d, "frames.npy")
    fr = np.load(frames, mmap_mode="r")
    raw = os.path.join(d, "frames.u8")
    fr.reshape(-1).tofile(raw) if not os.path.exists(raw) else None
    tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
    pairs = [f"{k}={k}.f16" for k in FEATURES]
    env = dict(os.environ, ISNET_THREADS=str(threads))
    subprocess.run([tsx, os.path.join(HERE, "isnet_features.ts"), feat_model, raw, str(n * T), f"{S}x{S}", d, *pairs],
                   check=True, env=env)
    os.remove(raw)


def open_features(d, n, S):
    return {k: np.memmap(os.path.join(d, k + ".f16"), np.float16, "r",
                         shape=(n, T, FEATURE_CHANNELS[k], -(-S // s), -(-S // s)))
            for k, s in FEATURE_STRIDES.items()}


def load_set(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    n, S = meta["n"], meta["size"]
    out = dict(meta=meta, masks=np.load(os.path.join(d, "masks.npy"), mmap_mode="r"),
               logmel=np.load(os.path.join(d, "logmel.npy")), feats=open_features(d, n, S))
    if os.path.exists(os.path.join(d, "frames.npy")):
        out["frames"] = np.load(os.path.join(d, "frames.npy"), mmap_mode="r")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/data/realavs")
    ap.add_argument("--feat-model", default="models/data/isnet/isnet-feat-512x512.onnx")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--mask-size", type=int, default=128)
    ap.add_argument("--gcompris", default="models/data/gcompris")
    ap.add_argument("--pseudo", default="models/data/pseudo")
    ap.add_argument("--backgrounds", default="models/data/assets")
    ap.add_argument("--synthavs", default="models/data/synthavs")
    ap.add_argument("--set", action="append", required=True,
                    help="NAME:real:SPLIT:N[:SEED], NAME:tux:SPLIT:N[:SEED] (tuxpaint.py) or NAME:synth:s4/train/200+ms3/train/250")
    ap.add_argument("--no-features", action="store_true")
    a = ap.parse_args(argv)
    a.tux_assets = None
    S, M = a.size, a.mask_size
    A = None
    for spec in a.set:
        name, kind, rest = spec.split(":", 2)
        d = os.path.join(a.out, name)
        if os.path.exists(os.path.join(d, "meta.json")):
            print("exists:", d)
            continue
        if kind == "tux":
            from . import tuxpaint
            if a.tux_assets is None:
                a.tux_assets = tuxpaint.load(gc_dir=a.gcompris)
            parts = rest.split(":")
            split, n = parts[0], int(parts[1])
            seed = int(parts[2]) if len(parts) > 2 else {"train": 11, "val": 12, "test": 13}[split]
            bgs = sorted(os.path.join(a.backgrounds, f) for f in os.listdir(a.backgrounds) if f.startswith("bg_") and f.endswith(".png"))
            recs = tux_set(d, a.tux_assets, bgs, split, n, seed, S, M)
        elif kind == "real":
            if A is None:
                A = scenes.load_assets(a.gcompris, a.pseudo, a.backgrounds)
            parts = rest.split(":")
            split, n = parts[0], int(parts[1])
            seed = int(parts[2]) if len(parts) > 2 else {"train": 1, "val": 2, "test": 3}[split]
            recs = real_set(d, A, split, n, seed, S, M)
        else:
            items = [(x.split("/")[0], x.split("/")[1], int(x.split("/")[2])) for x in rest.split("+")]
            recs = synth_set(d, a.synthavs, items, S, M)
        n = len(recs)
        print(f"{name}: {n} clips; IS-Net features ...", flush=True)
        if not a.no_features:
            features(d, a.feat_model, n, S)
        json.dump(dict(n=n, size=S, mask_size=M, T=T, clips=recs), open(os.path.join(d, "meta.json"), "w"))
        os.remove(os.path.join(d, "frames.npy")) if os.environ.get("DROP_FRAMES") else None


if __name__ == "__main__":
    sys.exit(main())
