"""Deterministic SynthAVS scenes: sampling (objects, motion, sounding schedule) and rendering.

A scene is a plain dict (JSON-serialisable). Rendering is exact by construction: sprites are
composited with a binarised alpha (alpha >= 128) in z-order, an id map records the top-most
object at each pixel, and the ground truth of second l is the set of pixels whose top-most
object sounds in second l. No anti-aliasing, so "mask pixel set iff a sounding sprite is
visible there" holds exactly.
"""
import numpy as np
from PIL import Image

from .classes import CLASSES, S4_CLASSES

FPS = 16
SIZE = 224


def sample_scene(rng, setting, n_bg, seconds):
    """setting: 's4' | 'ms3' | 'avss'. Returns the scene description."""
    n_obj = int(rng.integers(2, 5))
    ncls = len(CLASSES)
    if setting == "s4":
        main = int(rng.choice(S4_CLASSES))
        others = [c for c in range(ncls) if c != main]
        cls = [main] + [int(c) for c in rng.choice(others, n_obj - 1, replace=False)]
    else:
        cls = [int(c) for c in rng.choice(ncls, n_obj, replace=False)]
    objs = []
    for k, c in enumerate(cls):
        h0 = float(rng.uniform(56, 100)) if n_obj <= 3 else float(rng.uniform(48, 84))
        objs.append(dict(
            cls=c, h0=h0, h1=h0 * float(rng.uniform(0.8, 1.25)),
            x=float(rng.uniform(0.15, 0.85) * SIZE), y=float(rng.uniform(0.2, 0.8) * SIZE),
            vx=float(rng.uniform(-18, 18)), vy=float(rng.uniform(-12, 12)),
            flip=bool(rng.random() < 0.5), gain=float(rng.uniform(0.6, 1.0)),
            offset=float(rng.uniform(0, 1))))
    z = [int(i) for i in rng.permutation(n_obj)]
    # sounding schedule: list over seconds of object indices
    if setting == "s4":
        sched = [[0] for _ in range(seconds)]
    else:
        sched = []
        for _ in range(seconds):
            u = rng.random()
            if u < 0.15:
                sched.append([])
            elif u < 0.75:
                sched.append([int(rng.integers(0, n_obj))])
            else:
                sched.append(sorted(int(i) for i in rng.choice(n_obj, 2, replace=False)))
        if all(len(s) == 0 for s in sched):
            sched[0] = [0]
    bg = dict(kind="photo" if rng.random() < 0.5 else "proc", idx=int(rng.integers(0, 1 << 30)),
              crop=[float(rng.random()), float(rng.random())], scale=float(rng.uniform(0.5, 1.0)),
              proc=int(rng.integers(0, 4)), colors=rng.integers(0, 256, (3, 3)).tolist(),
              freq=float(rng.uniform(2, 10)), angle=float(rng.uniform(0, np.pi)))
    return dict(setting=setting, seconds=seconds, objects=objs, z=z, sched=sched, bg=bg,
                noise_seed=int(rng.integers(0, 1 << 30)), noise_db=float(rng.uniform(-50, -38)))


def render_background(scene, bgs):
    b = scene["bg"]
    if b["kind"] == "photo" and bgs:
        src = bgs[b["idx"] % len(bgs)]
        H = src.shape[0]
        s = int(H * b["scale"])
        x0 = int(b["crop"][0] * (H - s))
        y0 = int(b["crop"][1] * (H - s))
        im = Image.fromarray(src[y0:y0 + s, x0:x0 + s]).resize((SIZE, SIZE), Image.BILINEAR)
        return np.asarray(im).copy()
    c = np.array(b["colors"], dtype=np.float32)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    u = np.cos(b["angle"]) * xx + np.sin(b["angle"]) * yy
    v = -np.sin(b["angle"]) * xx + np.cos(b["angle"]) * yy
    p = b["proc"]
    if p == 0:      # gradient
        w = u[..., None]
        img = c[0] * (1 - w) + c[1] * w
    elif p == 1:    # stripes
        w = (0.5 + 0.5 * np.sin(2 * np.pi * b["freq"] * u))[..., None]
        img = c[0] * (1 - w) + c[1] * w
    elif p == 2:    # checkerboard
        w = ((np.floor(u * b["freq"]) + np.floor(v * b["freq"])) % 2)[..., None]
        img = c[0] * (1 - w) + c[2] * w
    else:           # smooth value noise
        r = np.random.default_rng(b["idx"])
        g = r.random((8, 8)).astype(np.float32)
        w = np.asarray(Image.fromarray((g * 255).astype(np.uint8)).resize((SIZE, SIZE), Image.BICUBIC),
                       dtype=np.float32)[..., None] / 255
        img = c[0] * (1 - w) + c[1] * w + (c[2] - 128) * 0.3 * np.sin(8 * w)
    return np.clip(img, 0, 255).astype(np.uint8)


def object_state(o, t, seconds):
    """Position (centre) and height at time t; bounces off the borders."""
    h = o["h0"] + (o["h1"] - o["h0"]) * t / seconds

    def bounce(p0, v, lo, hi):
        L = hi - lo
        q = (p0 - lo + v * t) % (2 * L)
        return lo + (q if q <= L else 2 * L - q)

    m = h * 0.4
    return bounce(o["x"], o["vx"], m, SIZE - m), bounce(o["y"], o["vy"], m, SIZE - m), h


def render_frame(scene, t, sprites, bg_img):
    """Returns (rgb uint8 [S,S,3], idmap int8 [S,S] with -1 = background)."""
    img = bg_img.copy()
    idmap = np.full((SIZE, SIZE), -1, dtype=np.int8)
    for k in scene["z"]:
        o = scene["objects"][k]
        sp = sprites[o["cls"]]
        cx, cy, h = object_state(o, t, scene["seconds"])
        sh = max(4, int(round(h)))
        sw = max(4, int(round(h * sp.shape[1] / sp.shape[0])))
        im = Image.fromarray(sp).resize((sw, sh), Image.BILINEAR)
        if o["flip"]:
            im = im.transpose(Image.FLIP_LEFT_RIGHT)
        a = np.asarray(im)
        x0, y0 = int(round(cx - sw / 2)), int(round(cy - sh / 2))
        xa, ya, xb, yb = max(0, x0), max(0, y0), min(SIZE, x0 + sw), min(SIZE, y0 + sh)
        if xb <= xa or yb <= ya:
            continue
        crop = a[ya - y0:yb - y0, xa - x0:xb - x0]
        m = crop[..., 3] >= 128
        img[ya:yb, xa:xb][m] = crop[..., :3][m]
        idmap[ya:yb, xa:xb][m] = k
    return img, idmap


def frame_times(seconds):
    """Dataset frame of second l = video frame l*FPS + 15 (official 15/16-s rule at 16 fps)."""
    return [(l * FPS + 15) / FPS for l in range(seconds)]


def gt_mask(scene, idmap, second):
    snd = scene["sched"][second]
    return np.isin(idmap, snd) if snd else np.zeros(idmap.shape, bool)


def gt_semantic(scene, idmap, second):
    """AVSS label map: class index (AVSBench-semantic) of the visible sounding object, 0 else."""
    from .classes import AVSS_INDEX
    lab = np.zeros(idmap.shape, np.uint8)
    for k in scene["sched"][second]:
        lab[idmap == k] = AVSS_INDEX[CLASSES[scene["objects"][k]["cls"]]["avss"]]
    return lab


def render_audio(scene, bank, window):
    """Mix the sounding objects' tracks second by second (10 ms fades) + low noise."""
    sr = 16000
    n = scene["seconds"] * sr
    out = np.zeros(n, np.float64)
    lo, hi = window
    fade = np.ones(sr)
    f = 160
    fade[:f] = np.linspace(0, 1, f)
    fade[-f:] = np.linspace(1, 0, f)
    for k, o in enumerate(scene["objects"]):
        start = int((lo + o["offset"] * (hi - lo - scene["seconds"])) * sr)
        tr = bank[o["cls"], start:start + n].astype(np.float64)
        env = np.zeros(n)
        for l, snd in enumerate(scene["sched"]):
            if k in snd:
                env[l * sr:(l + 1) * sr] = fade
        # join consecutive sounding seconds without a dip
        for l in range(1, scene["seconds"]):
            if k in scene["sched"][l] and k in scene["sched"][l - 1]:
                env[l * sr - f:l * sr + f] = 1.0
        out += o["gain"] * tr * env
    r = np.random.default_rng(scene["noise_seed"])
    out += r.standard_normal(n) * 10 ** (scene["noise_db"] / 20)
    pk = np.abs(out).max()
    if pk > 0.99:
        out *= 0.99 / pk
    return out
