#!/usr/bin/python3
"""Export any CCFormer checkpoint (or a random-initialised config) to the app's ONNX contract.

  /usr/bin/python3 models/export_onnx.py --checkpoint models/runs/tiny/best.pt \
      --out models/ccformer-tiny-s4.onnx --name ccformer-tiny-s4 [--metrics metrics.json]
  /usr/bin/python3 models/export_onnx.py --config pvt_v2_b5 --random-init --out /tmp/big.onnx \
      --parity-dir /tmp/parity

Writes NAME.onnx (opset 17, static shapes, no dynamic axes) and NAME.model.json (spec
ccformer.md §2) beside it. With --parity-dir also writes a fixed input and the PyTorch output as
raw little-endian float32 (frames.bin, audio_log_mel.bin, expected.bin) plus parity.json, which
test/models/onnx-parity.test.ts feeds to onnxruntime-node.
Torch 1.13 pitfalls (spec §3): attention is hand-written (no nn.MultiheadAttention fast path),
deformable attention is the pure-PyTorch grid_sample path (ONNX GridSample, opset >= 16),
shapes are static (one graph per input size and T).
"""
import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from models.ccformer import ExportWrapper, build_model, get_config  # noqa: E402

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
TRAINING_ONLY = ("bcl_enh.", "bcl_orig.")


def count_params(model):
    return int(sum(p.numel() for n, p in model.named_parameters() if not n.startswith(TRAINING_ONLY)))


class _MacCounter:
    """Counts multiply-accumulates of F.linear, F.conv2d, torch.matmul / bmm during one forward
    pass (elementwise ops, softmax, norms and grid_sample are not counted)."""

    def __init__(self):
        self.macs = 0

    def __enter__(self):
        import torch.nn.functional as F
        self._orig = (F.linear, F.conv2d, torch.matmul, torch.bmm)
        lin, conv, mm, bmm = self._orig

        def linear(x, w, b=None):
            y = lin(x, w, b)
            self.macs += y.numel() * w.shape[1]
            return y

        def conv2d(x, w, *a, **k):
            y = conv(x, w, *a, **k)
            self.macs += y.numel() * w[0].numel()
            return y

        def matmul(a, b):
            y = mm(a, b)
            self.macs += y.numel() * a.shape[-1]
            return y

        def bmm_(a, b):
            y = bmm(a, b)
            self.macs += y.numel() * a.shape[-1]
            return y
        F.linear, F.conv2d, torch.matmul, torch.bmm = linear, conv2d, matmul, bmm_
        return self

    def __exit__(self, *exc):
        import torch.nn.functional as F
        F.linear, F.conv2d, torch.matmul, torch.bmm = self._orig


def count_macs(model, cfg):
    """MACs of one clip (T frames) through the exported graph (ExportWrapper, eval mode)."""
    frames, audio = fixed_input(cfg)
    wrap = ExportWrapper(model).eval()
    with torch.no_grad(), _MacCounter() as c:
        wrap(frames, audio)
    return c.macs


def load(args):
    if args.checkpoint:
        ck = torch.load(args.checkpoint, map_location="cpu")
        cfg = ck["config"]
        if args.input_size:
            cfg["input_size"] = args.input_size
        model = build_model(cfg)
        model.load_state_dict(ck["state_dict"])
        return model, cfg, ck
    cfg = get_config(args.config, input_size=args.input_size, clip_frames=args.clip_frames,
                     task=args.task, num_classes=args.num_classes)
    torch.manual_seed(args.seed)
    model = build_model(cfg)
    return model, cfg, {"training": {"note": "random initialisation (architecture only)", "seed": args.seed}}


def fixed_input(cfg, seed=0):
    g = torch.Generator().manual_seed(seed)
    T = cfg["clip_frames"]
    H, W = cfg["input_size"]
    img = torch.rand(T, 3, H, W, generator=g)
    frames = (img - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    audio = torch.randn(T, 1, 96, 64, generator=g) * 2.0 - 3.0
    return frames.float().contiguous(), audio.float().contiguous()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def export(model, cfg, out_path, ck=None, name=None, version="1.0.0", metrics=None, parity_dir=None,
           card=True, classes=None, extra=None, macs=True):
    model.eval()
    wrap = ExportWrapper(model).eval()
    frames, audio = fixed_input(cfg)
    t0 = time.time()
    with torch.no_grad():
        expected = wrap(frames, audio)
        torch.onnx.export(wrap, (frames, audio), out_path, opset_version=17, input_names=["frames", "audio_log_mel"],
                          output_names=["mask_logits"], do_constant_folding=True)
    export_s = time.time() - t0
    T = cfg["clip_frames"]
    H, W = cfg["input_size"]
    res = {"onnx": out_path, "output_shape": list(expected.shape), "export_seconds": round(export_s, 1)}
    res["params"] = count_params(model)
    res["gmacs_per_clip"] = round(count_macs(model, cfg) / 1e9, 3) if macs else None
    if parity_dir:
        os.makedirs(parity_dir, exist_ok=True)
        frames.numpy().astype("<f4").tofile(os.path.join(parity_dir, "frames.bin"))
        audio.numpy().astype("<f4").tofile(os.path.join(parity_dir, "audio_log_mel.bin"))
        expected.numpy().astype("<f4").tofile(os.path.join(parity_dir, "expected.bin"))
        json.dump({"onnx": os.path.abspath(out_path), "frames": list(frames.shape), "audio_log_mel": list(audio.shape),
                   "mask_logits": list(expected.shape), "params": res["params"], "gmacs_per_clip": res["gmacs_per_clip"]},
                  open(os.path.join(parity_dir, "parity.json"), "w"), indent=1)
    if card:
        name = name or os.path.splitext(os.path.basename(out_path))[0]
        if classes is None:
            classes = ["sounding-object"] if cfg["task"] == "binary" else None
        arch = {k: v for k, v in cfg.items()}
        c = {
            "format": "avs-onnx/1", "name": name, "version": version, "task": cfg["task"],
            "clip_frames": T, "input_size": [H, W], "mean": MEAN, "std": STD, "classes": classes,
            "inputs": {"frames": [T, 3, H, W], "audio_log_mel": [T, 1, 96, 64]},
            "outputs": {"mask_logits": list(expected.shape)},
            "architecture": arch, "training": (ck or {}).get("training"), "metrics": metrics if metrics is not None else (ck or {}).get("metrics"),
            "params": res["params"], "gmacs_per_clip": res["gmacs_per_clip"], "opset": 17,
            "sha256": sha256(out_path),
        }
        if extra:
            c.update(extra)
        card_path = os.path.splitext(out_path)[0] + ".model.json"
        json.dump(c, open(card_path, "w"), indent=2)
        res["card"] = card_path
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint")
    ap.add_argument("--config", default="tiny")
    ap.add_argument("--random-init", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--input-size", type=int, nargs=2)
    ap.add_argument("--clip-frames", type=int)
    ap.add_argument("--task", choices=["binary", "semantic"])
    ap.add_argument("--num-classes", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--metrics", help="JSON file with test metrics to put in the card")
    ap.add_argument("--parity-dir")
    ap.add_argument("--no-card", action="store_true")
    a = ap.parse_args(argv)
    if not a.checkpoint and not a.random_init:
        ap.error("give --checkpoint or --random-init")
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    model, cfg, ck = load(a)
    metrics = json.load(open(a.metrics)) if a.metrics else None
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    res = export(model, cfg, a.out, ck, a.name, a.version, metrics, a.parity_dir, not a.no_card)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
