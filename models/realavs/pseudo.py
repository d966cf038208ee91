"""Pseudo ground truth for the GCompris photographs: IS-Net (the full graph, 1024x1024, the
teacher) on each photograph squashed to 1024x1024, as uint8 saliency (p * 255).

Writes into OUT: names.json, photos1024.u8 [N,1024,1024,3], sal1024.u8 [N,1024,1024].

  /usr/bin/python3 -m models.realavs.pseudo --gcompris models/data/gcompris --teacher \
      models/data/isnet/isnet-teacher.onnx --out models/data/pseudo
"""
import argparse
import json
import os
import subprocess

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--gcompris", default="models/data/gcompris")
    ap.add_argument("--teacher", default="models/data/isnet/isnet-teacher.onnx")
    ap.add_argument("--out", default="models/data/pseudo")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    names = sorted(f[:-4] for f in os.listdir(os.path.join(a.gcompris, "photos")) if f.endswith(".png"))
    json.dump(names, open(os.path.join(a.out, "names.json"), "w"))
    n = len(names)
    img = np.memmap(os.path.join(a.out, "photos1024.u8"), np.uint8, "w+", shape=(n, 1024, 1024, 3))
    for i, nm in enumerate(names):
        img[i] = np.asarray(Image.open(os.path.join(a.gcompris, "photos", nm + ".png")).convert("RGB").resize((1024, 1024), Image.BILINEAR))
    img.flush()
    tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
    subprocess.run([tsx, os.path.join(HERE, "isnet_features.ts"), a.teacher, os.path.join(a.out, "photos1024.u8"), str(n),
                    "1024", a.out, "output=sal1024.f32"], check=True)
    to_u8(a.out, n)


def to_u8(out, n):
    f = np.memmap(os.path.join(out, "sal1024.f32"), np.float32, "r", shape=(n, 1024, 1024))
    u = np.memmap(os.path.join(out, "sal1024.u8"), np.uint8, "w+", shape=(n, 1024, 1024))
    for i in range(n):
        u[i] = np.clip(np.round(f[i] * 255), 0, 255).astype(np.uint8)
    u.flush()
    del f
    os.remove(os.path.join(out, "sal1024.f32"))


if __name__ == "__main__":
    main()
