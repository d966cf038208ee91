"""Real-footage check of a head checkpoint in PyTorch, on ../shared/real-dev (evaluation only:
nothing of it is written into the repository; the set lives in git-ignored models/data).

Builds, once, a set in build.py's format from the DAVIS sequences: the 5 frames the app picks
from a clip of ``frames / 5.1`` fps (spec avsbench-format §5: second l -> frame int(l·fi + 15/16·fi),
fi = round(fps)), their annotations at stride 4, and the log-mel of the sound that
bench/realFootage.bench.ts muxes under them (its cached clips), plus the same frames with silence.

  /usr/bin/python3 -m models.realavs.davis_eval --checkpoint models/runs/isnet/best.pt
  /usr/bin/python3 -m models.realavs.davis_eval --checkpoint models/runs/isnet-skip/best.pt --size 896 --gate 7 \
      --feat-model models/data/isnet/isnet-feat-896x896-int8.onnx --data models/data/realavs896q
"""
import argparse
import glob
import json
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

from ..synthavs.audio import log_mel_examples
from .build import T, features, load_set
from .release import load_head, output_args
from .train_head import Sets, evaluate

SEQS = ["blackswan", "bmx-trees", "breakdance", "camel", "car-roundabout", "dance-twirl", "goat", "kite-surf",
        "parkour", "scooter-black"]
FF = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "@ffmpeg-installer", "linux-x64", "ffmpeg")


def build(real_dev, clips_dir, out, feat_model, S=512, M=128):
    d = os.path.join(out, "davis_sound")
    if os.path.exists(os.path.join(d, "meta.json")):
        return
    os.makedirs(d, exist_ok=True)
    n = len(SEQS)
    mm = lambda name, dt, shape: np.lib.format.open_memmap(os.path.join(d, name + ".npy"), "w+", dt, shape)
    F, Mk, L = mm("frames", np.uint8, (n, T, S, S, 3)), mm("masks", np.uint8, (n, T, M, M)), mm("logmel", np.float32, (n, T, 1, 96, 64))
    recs = []
    for i, seq in enumerate(SEQS):
        files = sorted(os.listdir(os.path.join(real_dev, "davis", seq, "JPEGImages")))
        fi = round(len(files) / 5.1)
        picks = [min(len(files) - 1, int(l * fi + 15 / 16 * fi)) for l in range(T)]
        for t, k in enumerate(picks):
            F[i, t] = np.asarray(Image.open(os.path.join(real_dev, "davis", seq, "JPEGImages", files[k])).convert("RGB").resize((S, S), Image.BILINEAR))
            a = Image.open(os.path.join(real_dev, "davis", seq, "Annotations", files[k][:-4] + ".png")).convert("L")
            Mk[i, t] = np.asarray(a.resize((M, M), Image.BOX)) >= 128
        mp4 = sorted(glob.glob(os.path.join(clips_dir, f"{seq}.sound.*.mp4")))
        if not mp4:
            raise SystemExit(f"no cached sound clip for {seq} in {clips_dir}: run bench/realFootage.bench.ts once")
        pcm = subprocess.run([FF, "-v", "error", "-i", mp4[0], "-ac", "1", "-ar", "16000", "-f", "s16le", "-"],
                             check=True, capture_output=True).stdout
        x = np.frombuffer(pcm, np.int16).astype(np.float64) / 32768.0
        L[i] = log_mel_examples(x)[:T]
        recs.append(dict(seq=seq, frames=picks))
    F.flush()
    features(d, feat_model, n, S)
    json.dump(dict(n=n, size=S, mask_size=M, T=T, clips=recs), open(os.path.join(d, "meta.json"), "w"))


def run(model, data_root):
    fr = bool(model.cfg.get("isnet_inject"))     # config tiny_isnet also reads the frames
    s = Sets(data_root, ["davis_sound"], fr)
    J, per = evaluate(model, s)
    # silence: the same frames with the log-mel of digital silence
    mute = Sets(data_root, ["davis_sound"], fr)
    mute.sets[0]["logmel"] = np.full_like(mute.sets[0]["logmel"], np.log(0.01))
    area = {}
    for name, st in (("sound", s), ("mute", mute)):
        tot = 0.0
        model.eval()
        with torch.no_grad():
            for i in range(0, len(st), 2):
                idx = list(range(i, min(len(st), i + 2)))
                f, a, m = st.batch(idx)
                tot += float((model(f, a)["mask_logits"] > 0).float().sum())
        area[name] = tot
    return dict(J=J, per_seq={q: round(j, 3) for q, j in zip(SEQS, per)}, mute_area_ratio=area["mute"] / max(area["sound"], 1.0))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data", default="models/data/realavs")
    ap.add_argument("--real-dev", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "real-dev"))
    ap.add_argument("--clips", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "avs-real-footage", "clips"))
    ap.add_argument("--feat-model", default="models/data/isnet/isnet-feat-512x512.onnx")
    ap.add_argument("--size", type=int, default=512, help="input size of --feat-model (masks at size / 4)")
    output_args(ap)
    a = ap.parse_args(argv)
    if not os.path.isdir(a.real_dev):
        print("skipped: ../shared/real-dev not found")
        return 0
    torch.set_num_threads(1)
    build(a.real_dev, a.clips, a.data, a.feat_model, a.size, a.size // 4)
    model, _, _ = load_head(a.checkpoint, a.gate, a.union, a.grow)
    print(json.dumps(run(model, a.data)))


if __name__ == "__main__":
    sys.exit(main())
