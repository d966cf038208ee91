"""Real-photo cut-outs with exact masks and their own real sounds, from Debian's tuxpaint-stamps-default.

Tux Paint's stamps (``/usr/share/tuxpaint/stamps``, GPL-2 per the package's copyright file) are
photographs cut out with an alpha channel: animals, vehicles, instruments, tools, food, ... About 70
of them carry their own recording (``camel.ogg`` beside ``camel.png``; ``goat.ogg``,
``violin.ogg``, ``drumkit.ogg``, ``kettle.ogg``, ...). The ``*_desc_<lang>.ogg`` files
(spoken names) and the language-suffixed ones are not used. Drawings among the PNGs are dropped by a
colour-count test (a photograph has many distinct colours over its object).

Clips (T = 5, one frame a second, on a wallpaper background):
- ``tux_single``: one stamp large, moving; it sounds with its own recording, or with another real
  recording (a GCompris or Tux Paint one) where it has none, so that "a sound, one object" keeps the
  object whatever the sound; each second silent with p 0.2; 12 % of clips fully muted.
- ``tux_multi``: two or three stamps, at least one with its own sound; per second one of those
  sounds (p 0.7), two (0.15) or none (0.15); the others are silent distractors. The mask is the
  visible part of the sounding ones, from the alpha channel (exact, not a pseudo mask).
Used for training and validation only; nothing of it ships.
"""
import os
import subprocess

import numpy as np
from PIL import Image

from .gcompris import _ffmpeg
from .scenes import T, _audio, schedule

STAMPS = "/usr/share/tuxpaint/stamps"
COPYRIGHT = "/usr/share/doc/tuxpaint-stamps-default/copyright"
CATEGORIES = ("animals", "vehicles", "hobbies", "household", "food", "plants", "town", "sports", "space", "people",
              "military", "medical", "clothes", "seasonal", "naturalforces")


def _is_photo(rgba):
    a = rgba[..., 3] >= 128
    n = int(a.sum())
    if n < 2000 or not (0.08 <= a.mean() <= 0.97):
        return False
    rgb = rgba[..., :3][a] // 4
    colours = np.unique(rgb[:, 0].astype(np.int32) * 4096 + rgb[:, 1].astype(np.int32) * 64 + rgb[:, 2])
    return len(colours) / n > 0.05 and len(colours) > 800


def _decode(path):
    out = subprocess.run([_ffmpeg(), "-v", "error", "-i", path, "-ac", "1", "-ar", "16000", "-f", "s16le", "pipe:1"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, np.int16).astype(np.float32) / 32768.0


def load(root=STAMPS, gc_dir="models/data/gcompris"):
    """Photographic stamps (RGBA arrays), their own sounds, and the pool of other real recordings."""
    if not os.path.isdir(root):
        raise SystemExit(f"{root} not found: apt-get install tuxpaint-stamps-default")
    stamps, sounds = {}, {}
    for cat in CATEGORIES:
        for dirpath, _, files in os.walk(os.path.join(root, cat)):
            if "/cartoon" in dirpath:
                continue
            for f in sorted(files):
                if not f.endswith(".png"):
                    continue
                name = os.path.relpath(os.path.join(dirpath, f[:-4]), root)
                rgba = np.asarray(Image.open(os.path.join(dirpath, f)).convert("RGBA"))
                if min(rgba.shape[:2]) < 64 or not _is_photo(rgba):
                    continue
                stamps[name] = rgba
                ogg = os.path.join(dirpath, f[:-4] + ".ogg")
                if os.path.exists(ogg):
                    x = _decode(ogg)
                    if len(x) > 16000 // 3 and np.sqrt(np.mean(x ** 2)) > 1e-3:
                        sounds[name] = x
    pool = dict(sounds)
    wav = os.path.join(gc_dir, "sounds")
    if os.path.isdir(wav):
        import wave
        for f in sorted(os.listdir(wav)):
            with wave.open(os.path.join(wav, f)) as w:
                x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
            if len(x) > 16000 // 2:
                pool["gc:" + f[:-4]] = x
    return dict(stamps=stamps, sounds=sounds, pool=pool)


def split(A, part, bgs):
    """Every 7th stamp (by name) and background is held out for val."""
    keep = lambda xs: [x for i, x in enumerate(sorted(xs)) if (i % 7 == 3) == (part != "train")]
    names = keep(A["stamps"])
    return dict(A, names=names, voiced=[n for n in names if n in A["sounds"]], bgs=keep(bgs))


def _background(B, rng, S):
    bg = Image.open(B["bgs"][rng.integers(len(B["bgs"]))]).convert("RGB")
    w, h = bg.size
    s = rng.uniform(0.5, 1.0) * min(w, h)
    x, y = rng.uniform(0, w - s), rng.uniform(0, h - s)
    return np.asarray(bg.crop((int(x), int(y), int(x + s), int(y + s))).resize((S, S), Image.BILINEAR)).astype(np.float32)


def _compose(B, rng, S, MS, objs, sizes, sched):
    """Objects moving linearly over a background; masks of the sounding ones (exact alpha)."""
    bg = _background(B, rng, S)
    place = []
    for lo, hi in sizes:
        sz0, sz1 = rng.uniform(lo, hi, 2)
        p0, p1 = rng.uniform(-0.1, 1.0 - sz0 + 0.1, 2), rng.uniform(-0.1, 1.0 - sz1 + 0.1, 2)
        place.append((sz0, sz1, p0, p1, rng.random() < 0.5))
    frames, masks = [], []
    for t in range(T):
        a = t / (T - 1)
        canvas = bg.copy()
        owner = np.full((S, S), -1, np.int32)
        for i, o in enumerate(objs):
            rgba = B["stamps"][o]
            sz0, sz1, p0, p1, flip = place[i]
            side = (sz0 + (sz1 - sz0) * a) * S
            h, w = rgba.shape[:2]
            k = side / max(h, w)
            W, H = max(int(w * k), 2), max(int(h * k), 2)
            im = np.asarray(Image.fromarray(rgba).resize((W, H), Image.BILINEAR)).astype(np.float32)
            x = int((p0[0] + (p1[0] - p0[0]) * a) * S)
            y = int((p0[1] + (p1[1] - p0[1]) * a) * S)
            if flip:
                im = im[:, ::-1]
            xa, ya, xb, yb = max(x, 0), max(y, 0), min(x + W, S), min(y + H, S)
            if xa >= xb or ya >= yb:
                continue
            sub = im[ya - y:yb - y, xa - x:xb - x]
            al = sub[..., 3:4] / 255.0
            canvas[ya:yb, xa:xb] = canvas[ya:yb, xa:xb] * (1 - al) + sub[..., :3] * al
            owner[ya:yb, xa:xb][sub[..., 3] >= 128] = i
        frames.append(np.clip(canvas, 0, 255).astype(np.uint8))
        snd = [i for i, o in enumerate(objs) if o in sched[t]]
        m = np.isin(owner, snd) if snd else np.zeros((S, S), bool)
        masks.append(np.asarray(Image.fromarray(m.astype(np.uint8) * 255).resize((MS, MS), Image.BILINEAR)) >= 128)
    return np.stack(frames), np.stack(masks)


def single_clip(B, rng, S, MS):
    o = B["names"][rng.integers(len(B["names"]))] if rng.random() < 0.5 else B["voiced"][rng.integers(len(B["voiced"]))]
    pool = list(B["pool"])
    snd = o if o in B["sounds"] else pool[rng.integers(len(pool))]
    if rng.random() < 0.12:
        sched = [[] for _ in range(T)]
    else:
        sched = [[o] if rng.random() > 0.2 else [] for _ in range(T)]
        if not any(sched):
            sched[rng.integers(T)] = [o]
    f, m = _compose(B, rng, S, MS, [o], [(0.45, 0.85)], sched)
    srcs = {o: B["pool"][snd]}
    return f, m, _audio(sched, srcs, rng), dict(kind="tux_single", objects=[o], sound=snd, sched=sched)


def multi_clip(B, rng, S, MS):
    n = min(2 if rng.random() < 0.7 else 3, len(B["names"]))
    nv = 1 if n == 2 and rng.random() < 0.4 else int(rng.integers(1, n + 1))
    nv = min(nv, len(B["voiced"]))
    objs = list(rng.choice(B["voiced"], nv, replace=False))
    rest = [x for x in B["names"] if x not in objs]
    objs += list(rng.choice(rest, n - nv, replace=False))
    rng.shuffle(objs)
    voiced = [o for o in objs if o in B["sounds"]]
    sched = schedule(rng, voiced)
    f, m = _compose(B, rng, S, MS, objs, [(0.3, 0.6)] * n, sched)
    srcs = {o: B["sounds"][o] for o in voiced}
    return f, m, _audio(sched, srcs, rng), dict(kind="tux_multi", objects=[str(o) for o in objs], sched=sched)


def licence():
    return dict(package="tuxpaint-stamps-default", license="GPL-2 (" + COPYRIGHT + ")")
