"""SynthAVS generator: raw mp4 videos + the dataset in exact AVSBench layout.

Usage (from the repo root):
  /usr/bin/python3 -m models.synthavs.generate --out models/data/synthavs \
      --s4 1000,100,250 --ms3 1000,100,250 --avss 60,20,30 --workers 2

Output tree (``<out>``):
  raw_videos/<setting>/<split>/<id>.mp4                     H.264 + AAC, 224x224, 16 fps
  Single-source/s4_meta_data.csv, s4_data/...               AVSBench S4 layout (§1.1)
  Multi-sources/ms3_meta_data.csv, ms3_data/...             AVSBench MS3 layout (§1.2)
  AVSS/metadata.csv, label2idx.json, v2/<uid>/...           AVSBench-semantic layout (§1.3)
  index/<setting>_<split>.json                              per clip: paths, classes, schedule
Every clip is a pure function of (seed, setting, split, index); splits use disjoint
backgrounds and disjoint parts of the sound tracks.
"""
import argparse
import hashlib
import json
import os
import pickle
import subprocess
import sys
import time
from multiprocessing import get_context

import numpy as np
import torch
from PIL import Image

if __package__ in (None, ""):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    __package__ = "models.synthavs"

from .assets import SPLIT_WINDOWS, find_ffmpeg, load_assets, write_wav  # noqa: E402
from .audio import log_mel_examples, pcm16  # noqa: E402
from .classes import AVSS_NAMES, CLASSES, avss_palette  # noqa: E402
from .scene import FPS, SIZE, frame_times, gt_mask, gt_semantic, render_audio, render_background, \
    render_frame, sample_scene  # noqa: E402

SECONDS = {"s4": 5, "ms3": 5, "avss": 10}
_A = None


def clip_seed(seed, setting, split, idx):
    h = hashlib.sha256(f"{seed}/{setting}/{split}/{idx}".encode()).digest()
    return int.from_bytes(h[:8], "little")


def clip_id(setting, split, idx):
    sp = {"train": "tr", "val": "va", "test": "te"}[split]
    if setting == "s4":
        return f"syn{sp}s4{idx:05d}_0_5000"
    if setting == "ms3":
        return f"syn{sp}m3{idx:05d}_0"
    return f"syn{sp}av{idx:05d}_0_10000"


def make_clip(assets, seed, setting, split, idx):
    """Pure function -> dict(scene, frames [T,S,S,3] u8, idmaps, masks [T,S,S] bool, audio float)."""
    rng = np.random.default_rng(clip_seed(seed, setting, split, idx))
    T = SECONDS[setting]
    scene = sample_scene(rng, setting, 0, T)
    bgs = assets.backgrounds[split]
    bg = render_background(scene, bgs)
    frames, idmaps = [], []
    for t in frame_times(T):
        f, m = render_frame(scene, t, assets.sprites, bg)
        frames.append(f)
        idmaps.append(m)
    masks = np.stack([gt_mask(scene, idmaps[l], l) for l in range(T)])
    audio = pcm16(render_audio(scene, assets.bank, SPLIT_WINDOWS[split]))
    return dict(scene=scene, bg=bg, frames=np.stack(frames), idmaps=np.stack(idmaps), masks=masks,
                audio=audio)


def _encode_mp4(path, clip, assets, wav_path):
    scene = clip["scene"]
    T = scene["seconds"]
    cmd = [find_ffmpeg(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{SIZE}x{SIZE}",
           "-r", str(FPS), "-i", "-", "-i", wav_path, "-map", "0:v", "-map", "1:a", "-c:v", "libx264",
           "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-threads", "1",
           "-c:a", "aac", "-b:a", "64k", "-ar", "16000", "-movflags", "+faststart", "-shortest", path]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for i in range(T * FPS):
        f, _ = render_frame(scene, i / FPS, assets.sprites, clip["bg"])
        p.stdin.write(f.tobytes())
    p.stdin.close()
    if p.wait() != 0:
        raise RuntimeError("ffmpeg failed for " + path)


def _save_pkl(path, ex):
    t = torch.tensor(ex, requires_grad=True)
    with open(path, "wb") as f:
        pickle.dump(t, f)


def _mk(p):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write_clip(out, seed, setting, split, idx, video=True):
    A = _A
    clip = make_clip(A, seed, setting, split, idx)
    scene = clip["scene"]
    T = scene["seconds"]
    cid = clip_id(setting, split, idx)
    objs = [CLASSES[o["cls"]] for o in scene["objects"]]
    ex = log_mel_examples(clip["audio"])
    assert ex.shape[0] == T, ex.shape
    rec = dict(id=cid, setting=setting, split=split, index=idx,
               classes=[c["name"] for c in objs], sched=scene["sched"])
    if setting == "s4":
        cat = objs[0]["s4"]
        rec["category"] = cat
        base = os.path.join(out, "Single-source", "s4_data")
        wav = _mk(os.path.join(base, "audio_wav", split, cat, cid + ".wav"))
        write_wav(wav, clip["audio"])
        _save_pkl(_mk(os.path.join(base, "audio_log_mel", split, cat, cid + ".pkl")), ex)
        for k in range(T):
            Image.fromarray(clip["frames"][k]).save(
                _mk(os.path.join(base, "visual_frames", split, cat, cid, f"{cid}_{k + 1}.png")))
            Image.fromarray(clip["masks"][k].astype(np.uint8) * 255, "L").save(
                _mk(os.path.join(base, "gt_masks", split, cat, cid, f"{cid}_{k + 1}.png")))
        rec["frames"] = [os.path.relpath(os.path.join(base, "visual_frames", split, cat, cid, f"{cid}_{k + 1}.png"), out) for k in range(T)]
        rec["masks"] = [os.path.relpath(os.path.join(base, "gt_masks", split, cat, cid, f"{cid}_{k + 1}.png"), out) for k in range(T)]
        rec["log_mel"] = os.path.relpath(os.path.join(base, "audio_log_mel", split, cat, cid + ".pkl"), out)
        layout_video = os.path.join(base, "raw_videos", split, cat, cid + ".mp4")
    elif setting == "ms3":
        base = os.path.join(out, "Multi-sources", "ms3_data")
        wav = _mk(os.path.join(base, "audio_wav", split, cid + ".wav"))
        write_wav(wav, clip["audio"])
        _save_pkl(_mk(os.path.join(base, "audio_log_mel", split, cid + ".pkl")), ex)
        rec["frames"], rec["masks"] = [], []
        for k in range(T):
            fp = _mk(os.path.join(base, "visual_frames", cid, f"{cid}.mp4_{k + 1}.png"))
            mp = _mk(os.path.join(base, "gt_masks", split, cid, f"{cid}_{k + 1}.png"))
            Image.fromarray(clip["frames"][k]).save(fp)
            Image.fromarray(clip["masks"][k].astype(np.uint8) * 255, "L").save(mp)
            rec["frames"].append(os.path.relpath(fp, out))
            rec["masks"].append(os.path.relpath(mp, out))
        rec["log_mel"] = os.path.relpath(os.path.join(base, "audio_log_mel", split, cid + ".pkl"), out)
        layout_video = os.path.join(base, "raw_videos", cid + ".mp4")
    else:
        base = os.path.join(out, "AVSS", "v2", cid)
        wav = _mk(os.path.join(base, "audio.wav"))
        write_wav(wav, clip["audio"])
        pal = avss_palette()
        palbytes = bytes(v for c in pal for v in c) + bytes(768 - 3 * len(pal))
        rec["frames"], rec["masks"] = [], []
        for k in range(T):
            fp = _mk(os.path.join(base, "frames", f"{k}.jpg"))
            Image.fromarray(clip["frames"][k]).save(fp, quality=95)
            lab = gt_semantic(scene, clip["idmaps"][k], k)
            Image.fromarray(np.array(pal, np.uint8)[lab], "RGB").save(_mk(os.path.join(base, "labels_rgb", f"{k}.png")))
            li = Image.fromarray(lab, "P")
            li.putpalette(palbytes)
            mp = _mk(os.path.join(base, "labels_semantic", f"{k}.png"))
            li.save(mp)
            rec["frames"].append(os.path.relpath(fp, out))
            rec["masks"].append(os.path.relpath(mp, out))
        rec["log_mel"] = None
        rec["wav"] = os.path.relpath(wav, out)
        sounding = []
        for s in scene["sched"]:
            for k in s:
                n = objs[k]["avss"]
                if n not in sounding:
                    sounding.append(n)
        rec["a_obj"] = "_".join(sounding) if sounding else "background"
        layout_video = None
    if video:
        raw = _mk(os.path.join(out, "raw_videos", setting, split, cid + ".mp4"))
        _encode_mp4(raw, clip, A, wav)
        rec["video"] = os.path.relpath(raw, out)
        if layout_video:
            _mk(layout_video)
            if os.path.exists(layout_video):
                os.remove(layout_video)
            os.link(raw, layout_video)
    return rec


def _init(cache):
    global _A
    torch.set_num_threads(1)
    _A = load_assets(cache, verbose=False)


def _job(args):
    return write_clip(*args)


def generate(out, seed=0, counts=None, workers=2, video=True, cache=None):
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    load_assets(cache)  # build once in the parent
    jobs = []
    for setting, (ntr, nva, nte) in counts.items():
        for split, n in (("train", ntr), ("val", nva), ("test", nte)):
            jobs += [(out, seed, setting, split, i, video) for i in range(n)]
    t0 = time.time()
    recs = []
    if workers > 1:
        # forkserver, not fork: a fork of a process running torch's threads can deadlock in the child.
        with get_context("forkserver").Pool(workers, initializer=_init, initargs=(cache,)) as pool:
            for i, r in enumerate(pool.imap(_job, jobs, chunksize=4)):
                recs.append(r)
                if (i + 1) % 200 == 0:
                    print(f"[synthavs] {i + 1}/{len(jobs)} clips, {time.time() - t0:.0f} s", flush=True)
    else:
        _init(cache)
        for j in jobs:
            recs.append(_job(j))
    # metadata files
    by = {}
    for r in recs:
        by.setdefault(r["setting"], []).append(r)
    os.makedirs(os.path.join(out, "index"), exist_ok=True)
    for setting, rs in by.items():
        for split in ("train", "val", "test"):
            sel = [r for r in rs if r["split"] == split]
            json.dump(sel, open(os.path.join(out, "index", f"{setting}_{split}.json"), "w"))
        if setting == "s4":
            with open(_mk(os.path.join(out, "Single-source", "s4_meta_data.csv")), "w") as f:
                f.write("name,start,category,split\n")
                for r in rs:
                    f.write(f"{r['id']},0,{r['category']},{r['split']}\n")
        elif setting == "ms3":
            with open(_mk(os.path.join(out, "Multi-sources", "ms3_meta_data.csv")), "w") as f:
                f.write("video_id,split\n")
                for r in rs:
                    f.write(f"{r['id']},{r['split']}\n")
        else:
            with open(_mk(os.path.join(out, "AVSS", "metadata.csv")), "w") as f:
                f.write("vid,uid,s_min,s_sec,a_obj,split,label\n")
                for r in rs:
                    f.write(f"{r['id'][:-8]},{r['id']},0,0,{r['a_obj']},{r['split']},v2\n")
            with open(os.path.join(out, "AVSS", "label2idx.json"), "w") as f:
                json.dump({n: i + 1 for i, n in enumerate(AVSS_NAMES)}, f, indent=4)
    meta = dict(seed=seed, counts=counts, video=video, seconds=time.time() - t0,
                classes=[dict(c) for c in CLASSES])
    json.dump(meta, open(os.path.join(out, "synthavs.json"), "w"), indent=1)
    print(f"[synthavs] wrote {len(recs)} clips to {out} in {time.time() - t0:.0f} s", flush=True)
    return recs


def _counts(s):
    a = [int(x) for x in s.split(",")]
    assert len(a) == 3
    return a


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/data/synthavs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--s4", type=_counts, default=[1000, 100, 250], help="train,val,test clip counts")
    ap.add_argument("--ms3", type=_counts, default=[1000, 100, 250])
    ap.add_argument("--avss", type=_counts, default=[60, 20, 30])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-video", action="store_true", help="skip the raw mp4 files")
    ap.add_argument("--assets", default=None, help="asset cache (default models/data/assets)")
    a = ap.parse_args(argv)
    counts = {k: getattr(a, k) for k in ("s4", "ms3", "avss") if sum(getattr(a, k)) > 0}
    generate(a.out, a.seed, counts, a.workers, not a.no_video, a.assets)


if __name__ == "__main__":
    main()
