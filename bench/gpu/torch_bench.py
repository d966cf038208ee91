#!/usr/bin/python3
"""PyTorch side of the inference bench: the same CCFormer as an ONNX file, timed per clip.

  /usr/bin/python3 bench/gpu/torch_bench.py --checkpoint models/ccformer-tiny-s4.pt --out-dir DIR --threads 2
  /usr/bin/python3 bench/gpu/torch_bench.py --config tiny --seed 0 --out-dir DIR --threads 2 [--device cuda]

Random init uses the seed exactly as models/export_onnx.py --random-init does, so the weights
equal the exported graph's. Writes DIR/{frames,audio_log_mel,expected}.bin (the fixed input of
export_onnx.fixed_input and PyTorch's output, little-endian float32) and prints one JSON line:
{"ms_per_clip": median, "runs": [...], "device", "threads", "torch", "shape"}.
"""
import argparse
import json
import os
import sys
import time

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, ROOT)
from models.ccformer import ExportWrapper, build_model, get_config  # noqa: E402
from models.export_onnx import fixed_input  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--checkpoint")
ap.add_argument("--config", default="tiny")
ap.add_argument("--input-size", type=int, nargs=2)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--device", default="cpu")
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--runs", type=int, default=10)
ap.add_argument("--out-dir", required=True)
a = ap.parse_args()
torch.set_num_threads(a.threads)
if a.checkpoint:
    ck = torch.load(a.checkpoint, map_location="cpu")
    cfg = ck["config"]
    model = build_model(cfg)
    model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in ck["state_dict"].items()})
else:
    cfg = get_config(a.config, input_size=a.input_size)
    torch.manual_seed(a.seed)
    model = build_model(cfg)
dev = torch.device(a.device)
wrap = ExportWrapper(model).eval().to(dev)
frames, audio = fixed_input(cfg)
os.makedirs(a.out_dir, exist_ok=True)
frames.numpy().astype("<f4").tofile(os.path.join(a.out_dir, "frames.bin"))
audio.numpy().astype("<f4").tofile(os.path.join(a.out_dir, "audio_log_mel.bin"))
f, au = frames.to(dev), audio.to(dev)
sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
runs = []
with torch.no_grad():
    for i in range(a.warmup + a.runs):
        t0 = time.perf_counter()
        out = wrap(f, au)
        sync()
        if i >= a.warmup:
            runs.append((time.perf_counter() - t0) * 1000)
out.cpu().numpy().astype("<f4").tofile(os.path.join(a.out_dir, "expected.bin"))
runs.sort()
print(json.dumps({"ms_per_clip": runs[len(runs) // 2], "runs": [round(r, 2) for r in runs], "device": a.device, "threads": a.threads,
                  "torch": torch.__version__, "shape": {"frames": list(frames.shape), "mask_logits": list(out.shape)}}))
