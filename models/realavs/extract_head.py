"""Recovers the CCFormer head's weights from a released ``ccformer-isnet-s4`` ONNX file into a
checkpoint that ``release.py --checkpoint`` reads, so the same head can be released again at
another input size (or with another IS-Net build) without its training run's files.

How: the head of the card's config is exported exactly as ``release.py`` exports it, with every
parameter element set to a distinct integer (1 … N, exact in fp32 below 2**24). Each initializer
of that export then says, element by element, which parameter element it holds; the released
file's initializer of the same name (stored fp16 there when large: ``<name>_fp16``) gives its
value. What constant folding added to a parameter (the sine positions plus the level embedding) is
the difference from a second export with every parameter zero; a Conv+BatchNorm pair (the audio
encoder) is one folded Conv in the file, whose weights and bias go back as the conv and an identity
BatchNorm. A parameter element nobody holds otherwise is an error rather than a guess.

  /usr/bin/python3 -m models.realavs.extract_head models/ccformer-isnet-s4.onnx models/ccformer-isnet-s4.model.json \\
      --out models/runs/extracted/best.pt
"""
import argparse
import json
import os
import tempfile

import numpy as np
import torch

from ..ccformer.config import get_config
from ..ccformer.model import build_model
from .release import export_head

CFG_KEYS = set(get_config("isnet")) | {"refine_skip", "output_gate"}


def card_config(card):
    cfg = dict(get_config("isnet"))
    cfg.update({k: v for k, v in card["architecture"].items() if k in CFG_KEYS})
    return cfg


def extract(onnx_path, card_path):
    import onnx
    from onnx import numpy_helper
    card = json.load(open(card_path))
    cfg = card_config(card)
    model = build_model(cfg).eval()
    params = [(n, p) for n, p in model.named_parameters()]
    sizes = [p.numel() for _, p in params]
    total = sum(sizes)
    assert total < 2 ** 24, f"{total} parameter elements: too many to tag exactly in fp32"

    def export(fill):
        with torch.no_grad():
            start = 1
            for (_, p), n in zip(params, sizes):
                p.copy_(fill(start, n).reshape(p.shape))
                start += n
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "tagged.onnx")
            export_head(model, cfg, path)
            return {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}

    tagged = export(lambda s, n: torch.arange(s, s + n, dtype=torch.float32))
    # All parameters zero: what constant folding added to a parameter (sine positions plus the
    # level embedding) is the difference of the two exports.
    base = export(lambda s, n: torch.zeros(n))
    rel_model = onnx.load(onnx_path)
    released = {}
    for i in rel_model.graph.initializer:
        name = i.name[:-5] if i.name.endswith("_fp16") else i.name
        if not name.startswith("isnet/"):
            released[name] = numpy_helper.to_array(i).astype(np.float32)
    acc = np.zeros(total + 1, dtype=np.float64)
    cnt = np.zeros(total + 1, dtype=np.int64)
    for name, t in tagged.items():
        if t.dtype != np.float32 or name not in released:
            continue
        r, b = released[name], base.get(name, np.zeros_like(t))
        if b.shape != t.shape:
            b = np.zeros_like(t)
        if r.shape != t.shape:
            raise SystemExit(f"initializer {name}: shape {r.shape} in the released file, {t.shape} in the export")
        d = (t.astype(np.float64) - b).reshape(-1)
        tag = np.round(d)
        exact = not b.any()
        hit = (tag >= 1) & (tag <= total) & ((d == tag) if exact else (np.abs(d - tag) < 0.25))
        np.add.at(acc, tag[hit].astype(np.int64), (r.astype(np.float64) - b).reshape(-1)[hit])
        np.add.at(cnt, tag[hit].astype(np.int64), 1)
    flat = np.where(cnt > 0, acc / np.maximum(cnt, 1), np.nan).astype(np.float32)
    state = {}
    start = 1
    for (n, p), k in zip(params, sizes):
        state[n] = torch.from_numpy(flat[start:start + k].copy()).reshape(p.shape)
        start += k
    # Conv + BatchNorm (the audio encoder) are one folded Conv in the file: the folded weights go
    # to the conv and the BatchNorm becomes the identity (gamma 1, beta = folded bias, mean 0,
    # var 1 - eps).
    fresh = build_model(cfg).state_dict()
    nodes = {n.name: n for n in rel_model.graph.node}
    for mod_name, mod in model.named_modules():
        if not isinstance(mod, torch.nn.Sequential) or len(mod) < 2:
            continue
        conv, bn = mod[0], mod[1]
        if not (isinstance(conv, torch.nn.Conv2d) and isinstance(bn, torch.nn.BatchNorm2d)):
            continue
        parts = mod_name.split(".")
        key = f"/model/{'/'.join(parts[:-1])}/{parts[-2]}.{parts[-1]}/{parts[-2]}.{parts[-1]}.0/Conv"
        node = nodes.get(key)
        if node is None:
            raise SystemExit(f"{mod_name}: no folded Conv node {key} in the released file")
        w = released[node.input[1]]
        b = released[node.input[2]] if len(node.input) > 2 else np.zeros(w.shape[0], np.float32)
        state[f"{mod_name}.0.weight"] = torch.from_numpy(w.copy())
        if conv.bias is not None:
            state[f"{mod_name}.0.bias"] = torch.zeros(w.shape[0])
        state[f"{mod_name}.1.weight"] = torch.ones(w.shape[0])
        state[f"{mod_name}.1.bias"] = torch.from_numpy(b.copy())
        state[f"{mod_name}.1.running_mean"] = torch.zeros(w.shape[0])
        state[f"{mod_name}.1.running_var"] = torch.full((w.shape[0],), 1.0 - bn.eps)
    # Parameters the inference graph never reads (the training-only contrastive projections) are
    # not in the file: they keep their fresh initial values and are reported; any other gap is an error.
    gaps = {n: int(torch.isnan(state[n]).sum()) for n, _ in params if torch.isnan(state[n]).any()}

    def report(names):
        return [f"{n} ({gaps[n]} of {state[n].numel()})" for n in names]

    missing = [n for n in gaps if not n.startswith("bcl_")]
    if missing:
        raise SystemExit("not recovered: " + ", ".join(report(missing)))
    unused = [n for n in gaps if n.startswith("bcl_")]
    # Those, and the buffers: from the file where it holds them by name (the input BatchNorm's
    # running statistics), else fresh.
    for n in fresh:
        if n in unused or n not in state:
            state[n] = torch.from_numpy(released["model." + n].copy()).reshape(fresh[n].shape) if "model." + n in released else fresh[n]
    return {"model": state, "cfg": cfg, "step": card.get("training", {}).get("steps"),
            "extracted_from": {"onnx": os.path.basename(onnx_path), "version": card.get("version"), "sha256": card.get("sha256")},
            "unused": report(unused)}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("onnx")
    ap.add_argument("card")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    ck = extract(a.onnx, a.card)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save(ck, a.out)
    print(json.dumps({"out": a.out, "tensors": len(ck["model"]), "training_only_fresh": ck["unused"]}))


if __name__ == "__main__":
    main()
