"""Real-imagery audio-visual clips for training the head on a frozen IS-Net encoder.

Photographs and recordings come from Debian's gcompris-qt-data (``gcompris.py``); object masks
are IS-Net's own 1024x1024 predictions on those photographs (pseudo ground truth, thresholded at
0.5), so the head learns to turn the encoder's features at the app's lower input size into the
1024-quality mask of whatever is sounding. Three kinds of clip (T = 5, one frame a second):

- ``single``: one photograph filling the frame (slow zoom/pan, random flip). Farm-animal photos
  play their own recording, other photos a random real recording. Each second is silent with
  p = 0.2: silent seconds have an empty mask (AVSBench's ground truth is empty when nothing sounds).
- ``pair``: a background (wallpaper or a non-animal photograph) with two or three cut-outs
  (photo x pseudo mask) that move; cut-outs are farm animals (with their recording) or silent
  distractors. Per second one farm animal sounds (p 0.7), two (0.15) or none (0.15); the mask is
  the visible part of the sounding ones.
Audio: per second the sounding recordings, RMS-normalised to -26..-14 dBFS, 10-ms fades, plus
-50..-38 dB white noise, PCM16-rounded, then the exact VGGish log-mel (``synthavs.audio``).
"""
import json
import os

import numpy as np
from PIL import Image

from models.synthavs.audio import SR, log_mel_examples, pcm16

T = 5


def load_assets(gc_dir, pseudo_dir, bg_dir):
    meta = json.load(open(os.path.join(gc_dir, "assets.json")))["assets"]
    names = json.load(open(os.path.join(pseudo_dir, "names.json")))
    # photographs squashed to 1024x1024 and IS-Net's 1024x1024 saliency on them (uint8, p * 255)
    img = np.memmap(os.path.join(pseudo_dir, "photos1024.u8"), np.uint8, "r", shape=(len(names), 1024, 1024, 3))
    sal = np.memmap(os.path.join(pseudo_dir, "sal1024.u8"), np.uint8, "r", shape=(len(names), 1024, 1024))
    photos = {n: (img[i], sal[i].astype(np.float32) / 255.0) for i, n in enumerate(names)}
    sounds = {}
    import wave
    for a in meta:
        if a["sound"]:
            with wave.open(os.path.join(gc_dir, "sounds", a["name"] + ".wav")) as w:
                x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
            if len(x) > SR // 2:
                sounds[a["name"]] = x
    from .gcompris import SCENE_KINDS
    kind = {a["name"]: a["kind"] for a in meta}
    farm = [a["name"] for a in meta if a["kind"] == "farm"]
    others = [n for n in names if n not in farm]
    # cut-outs: photographs of one object whose pseudo mask covers 3..70 % of the picture
    objects = [n for n in others if kind.get(n) not in SCENE_KINDS and 0.03 <= float(np.mean(sal[names.index(n)] >= 128)) <= 0.7]
    scenes_ = [n for n in names if kind.get(n) in SCENE_KINDS]
    bgs = sorted(os.path.join(bg_dir, f) for f in os.listdir(bg_dir) if f.startswith("bg_") and f.endswith(".png"))
    return dict(photos=photos, sounds=sounds, farm=farm, others=others, objects=objects, scenes=scenes_, bgs=bgs)


def split_assets(A, split):
    """Hold out some non-farm photographs and backgrounds for val (every 7th by sorted name)."""
    keep = lambda xs, val: [x for i, x in enumerate(sorted(xs)) if (i % 7 == 3) == val]
    B = dict(A)
    for k in ("others", "objects", "scenes", "bgs"):
        B[k] = keep(A[k], split != "train")
    return B


def _snippet(x, rng, n=SR):
    if len(x) <= n:
        x = np.tile(x, n // len(x) + 1)
    s = rng.integers(0, len(x) - n + 1)
    y = x[s:s + n].astype(np.float64)
    r = np.sqrt(np.mean(y ** 2)) + 1e-8
    return y / r * 10 ** (rng.uniform(-26, -14) / 20)


def _audio(sched, srcs, rng):
    if not any(sched) and rng.random() < 0.5:    # digital silence, as a muted video decodes
        return log_mel_examples(np.zeros(T * SR))
    """sched: per second list of sounding source names; one continuous snippet per source."""
    out = np.zeros(T * SR)
    fade = np.ones(SR)
    k = int(0.01 * SR)
    fade[:k] = np.linspace(0, 1, k)
    fade[-k:] = np.linspace(1, 0, k)
    for name in set(n for s in sched for n in s):
        y = _snippet(srcs[name], rng, T * SR)
        for l, s in enumerate(sched):
            if name in s:
                out[l * SR:(l + 1) * SR] += y[l * SR:(l + 1) * SR] * fade
    out += rng.standard_normal(len(out)) * 10 ** (rng.uniform(-50, -38) / 20)
    return log_mel_examples(pcm16(np.clip(out, -1, 1)))


def schedule(rng, sounding):
    """Per second none (p 0.15), one (0.7) or two (0.15) of the sounding sources; at least one second sounds."""
    sched = []
    for _ in range(T):
        r = rng.random()
        k = 0 if r < 0.15 else (2 if r > 0.85 else 1)
        sched.append([str(x) for x in rng.choice(sounding, min(k, len(sounding)), replace=False)])
    if not any(sched):
        sched[rng.integers(T)] = [str(sounding[0])]
    return sched


def _crop(img, x0, y0, s, S, resample=Image.BILINEAR):
    """Square crop [x0, x0+s) x [y0, y0+s) of a 1024 image, resized to S."""
    return Image.fromarray(img).crop((int(x0), int(y0), int(x0 + s), int(y0 + s))).resize((S, S), resample)


def single_clip(A, rng, S, MS):
    name = A["farm"][rng.integers(len(A["farm"]))] if rng.random() < 0.5 else A["others"][rng.integers(len(A["others"]))]
    img, sal = A["photos"][name]
    snd = name if name in A["sounds"] else list(A["sounds"])[rng.integers(len(A["sounds"]))]
    s0, s1 = rng.uniform(720, 1024, 2)
    p0 = [rng.uniform(0, 1024 - s0), rng.uniform(0, 1024 - s0)]
    p1 = [rng.uniform(0, 1024 - s1), rng.uniform(0, 1024 - s1)]
    flip = rng.random() < 0.5
    if rng.random() < 0.12:                      # a muted clip: nothing sounds, every mask is empty
        sched = [[] for _ in range(T)]
    else:
        sched = [[snd] if rng.random() > 0.2 else [] for _ in range(T)]
        if not any(sched):
            sched[rng.integers(T)] = [snd]
    frames, masks = [], []
    for t in range(T):
        a = t / (T - 1)
        s = s0 + (s1 - s0) * a
        x, y = p0[0] + (p1[0] - p0[0]) * a, p0[1] + (p1[1] - p0[1]) * a
        f = np.asarray(_crop(img, x, y, s, S))
        m = np.asarray(_crop((sal * 255).astype(np.uint8), x, y, s, MS)) >= 128
        if flip:
            f, m = f[:, ::-1], m[:, ::-1]
        frames.append(f)
        masks.append(m & bool(sched[t]))
    return np.stack(frames), np.stack(masks), _audio(sched, A["sounds"], rng), dict(kind="single", photo=name, sound=snd, sched=sched)


def pair_clip(A, rng, S, MS):
    if rng.random() < 0.5:
        bg = np.asarray(Image.open(A["bgs"][rng.integers(len(A["bgs"]))]).convert("RGB").resize((S, S), Image.BILINEAR))
    else:
        b, _ = A["photos"][A["scenes"][rng.integers(len(A["scenes"]))]]
        bg = np.asarray(Image.fromarray(np.asarray(b)).resize((S, S), Image.BILINEAR))
    n = 2 if rng.random() < 0.7 else 3
    nfarm = n if rng.random() < 0.5 else n - 1
    objs = list(rng.choice(A["farm"], nfarm, replace=False)) + list(rng.choice(A["objects"], n - nfarm, replace=False))
    rng.shuffle(objs)
    sounding = [o for o in objs if o in A["farm"]]
    sched = schedule(rng, sounding)
    # placement: each object a square of side sz (fraction of S) moving linearly
    place = []
    for _ in objs:
        sz0, sz1 = rng.uniform(0.35, 0.65, 2)
        p0, p1 = rng.uniform(-0.1, 1.0 - sz0 + 0.1, 2), rng.uniform(-0.1, 1.0 - sz1 + 0.1, 2)
        place.append((sz0, sz1, p0, p1, rng.random() < 0.5))
    frames, masks = [], []
    for t in range(T):
        a = t / (T - 1)
        canvas = bg.astype(np.float32).copy()
        owner = np.full((S, S), -1, np.int32)
        for i, o in enumerate(objs):
            img, sal = A["photos"][o]
            sz0, sz1, p0, p1, flip = place[i]
            sz = int((sz0 + (sz1 - sz0) * a) * S)
            x = int((p0[0] + (p1[0] - p0[0]) * a) * S)
            y = int((p0[1] + (p1[1] - p0[1]) * a) * S)
            f = np.asarray(Image.fromarray(img).resize((sz, sz), Image.BILINEAR)).astype(np.float32)
            al = np.asarray(Image.fromarray((sal * 255).astype(np.uint8)).resize((sz, sz), Image.BILINEAR)) >= 128
            if flip:
                f, al = f[:, ::-1], al[:, ::-1]
            xa, ya, xb, yb = max(x, 0), max(y, 0), min(x + sz, S), min(y + sz, S)
            if xa >= xb or ya >= yb:
                continue
            sub = al[ya - y:yb - y, xa - x:xb - x]
            canvas[ya:yb, xa:xb][sub] = f[ya - y:yb - y, xa - x:xb - x][sub]
            owner[ya:yb, xa:xb][sub] = i
        frames.append(canvas.astype(np.uint8))
        snd = [i for i, o in enumerate(objs) if o in sched[t]]
        m = np.isin(owner, snd) if snd else np.zeros((S, S), bool)
        masks.append(np.asarray(Image.fromarray(m.astype(np.uint8) * 255).resize((MS, MS), Image.BILINEAR)) >= 128)
    return np.stack(frames), np.stack(masks), _audio(sched, A["sounds"], rng), dict(kind="pair", objects=[str(o) for o in objs], sched=[[str(x) for x in s] for s in sched])


def make(A, n, seed, S=512, MS=128, p_single=0.45):
    rng = np.random.default_rng(seed)
    F = np.zeros((n, T, S, S, 3), np.uint8)
    M = np.zeros((n, T, MS, MS), bool)
    L = np.zeros((n, T, 1, 96, 64), np.float32)
    recs = []
    for i in range(n):
        f, m, lm, r = (single_clip if rng.random() < p_single else pair_clip)(A, rng, S, MS)
        F[i], M[i], L[i] = f, m, lm[:T]
        recs.append(r)
    return F, M, L, recs
