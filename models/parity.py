#!/usr/bin/python3
"""Write the PyTorch side of an ONNX parity check (used by test/models/onnx-parity.test.ts).

  # shipped model: rebuild PyTorch from the committed checkpoint, no export
  /usr/bin/python3 models/parity.py --checkpoint models/ccformer-tiny-s4.pt --onnx models/ccformer-tiny-s4.onnx --out-dir DIR
  # any config, random init: export the graph into DIR as well
  /usr/bin/python3 models/parity.py --config pvt_v2_b5 --random-init --out-dir DIR

DIR gets frames.bin, audio_log_mel.bin, expected.bin (little-endian float32) and parity.json.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from models.ccformer import ExportWrapper, build_model, get_config  # noqa: E402
from models.export_onnx import count_params, export, fixed_input  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint")
    ap.add_argument("--onnx")
    ap.add_argument("--config", default="tiny")
    ap.add_argument("--random-init", action="store_true")
    ap.add_argument("--input-size", type=int, nargs=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", required=True)
    a = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    os.makedirs(a.out_dir, exist_ok=True)
    if a.checkpoint:
        ck = torch.load(a.checkpoint, map_location="cpu")
        cfg = ck["config"]
        model = build_model(cfg)
        model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in ck["state_dict"].items()})
        model.eval()
        frames, audio = fixed_input(cfg)
        with torch.no_grad():
            expected = ExportWrapper(model).eval()(frames, audio)
        frames.numpy().astype("<f4").tofile(os.path.join(a.out_dir, "frames.bin"))
        audio.numpy().astype("<f4").tofile(os.path.join(a.out_dir, "audio_log_mel.bin"))
        expected.numpy().astype("<f4").tofile(os.path.join(a.out_dir, "expected.bin"))
        json.dump({"onnx": os.path.abspath(a.onnx) if a.onnx else None, "frames": list(frames.shape),
                   "audio_log_mel": list(audio.shape), "mask_logits": list(expected.shape),
                   "params": count_params(model)}, open(os.path.join(a.out_dir, "parity.json"), "w"), indent=1)
    else:
        cfg = get_config(a.config, input_size=a.input_size)
        torch.manual_seed(a.seed)
        model = build_model(cfg)
        r = export(model, cfg, os.path.join(a.out_dir, f"{a.config}.onnx"), parity_dir=a.out_dir, card=False, macs=False)
        print(json.dumps(r))


if __name__ == "__main__":
    main()
