"""Static int8 quantization (QDQ) of IS-Net's feature graph, for speed on the CPU.

onnxruntime fuses each ``DequantizeLinear -> Conv -> Relu -> QuantizeLinear`` group into one
QLinearConv (uint8 activations x int8 weights, VNNI/AMX kernels on x86, vpmaddubsw on AVX2), so
the quantized graph runs IS-Net's 98 Conv+ReLU pairs in int8. The full plan (the default since
1.2.0) also gives the residual Adds their own uint8 parameters and carries a quantized tensor's
parameters through Resize and MaxPool, so every Concat and Add reads and writes uint8 too
(onnxruntime: QLinearConcat, QLinearAdd, uint8 Resize and MaxPool) instead of a DequantizeLinear,
a float op and a QuantizeLinear each: 8 % less time for IS-Net at 768² on a 2-core AVX2 CPU
(4.71 -> 4.33 s for 5 frames on one thread), the same real-dev J (gated 0.726 -> 0.7265).
Only the side-2 logit conv (no ReLU) stays float; the head now reads IS-Net's three maps as
dequantized uint8 (what the next IS-Net layer reads anyway). Python has no
onnxruntime here, so the activation ranges come from ``calibrate.ts`` (onnxruntime-node) and the
graph is rewritten with the ``onnx`` package alone:

- every Conv+ReLU output: uint8, zero point 0, scale = calibrated max / 255;
- every other tensor a Conv reads (the image, Concat and Add outputs, MaxPools of an Add, the
  first conv's output), and in the full plan every Add and every Concat of quantized inputs:
  uint8, asymmetric, from its calibrated min/max; a MaxPool or Resize of a quantized tensor keeps
  its input's parameters (max pooling commutes with a monotone quantizer; linear interpolation
  with an affine one, up to rounding), so onnxruntime runs it in uint8;
- weights: int8 limited to +-63 (WEIGHT_MAX), symmetric, per output channel; biases: int32 at scale s_x * s_w, as
  QLinearConv takes them.
The graph's outputs (the features the head reads) are the dequantized values the next layers see.

Ranges: ``mean`` (default) averages each tensor's per-image min and max over the calibration
images, ``max`` takes the extremes. Measured on real-dev's DAVIS frames at 768² (IS-Net's own
side-2 saliency J / the CCFormer head's J): fp32 0.746 / 0.663, int8 ``max`` 0.710 / 0.624, int8
``mean`` 0.742 / 0.665, at 696 -> 383 ms a frame on 2 cores (onnxruntime-node 1.30, AVX-512 VNNI).

  /usr/bin/python3 -m models.realavs.quantize FEAT.onnx SIZE OUT.onnx [--range mean|max] [--convs-only]
"""
import argparse
import json
import os
import subprocess
import tempfile
from collections import defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# Weights use 7 bits of the int8 range ("reduce_range"): x86 CPUs without VNNI (AVX2-only, e.g. AMD
# Zen 2/3) multiply uint8 x int8 pairs with vpmaddubsw, whose int16 pair sums saturate for
# 255 * 127 * 2; with |w| <= 63 they cannot (255 * 63 * 2 = 32130), so the model gives the same
# masks on every x86 CPU. VNNI/AMX CPUs run it at the same speed.
WEIGHT_MAX = 63
ROOT = os.path.join(HERE, "..", "..")


def _maps(g):
    prod = {o: n for n in g.node for o in n.output}
    cons = defaultdict(list)
    for n in g.node:
        for i in n.input:
            cons[i].append(n)
    return prod, cons


def plan(model, full=True):
    """Which tensors get quantized: {name: 'relu' | 'minmax' | ('same', source)} in graph order.

    ``full`` (the default since 1.2.0) also quantizes the residual Adds and what flows from
    quantized tensors through Resize and MaxPool, so onnxruntime runs IS-Net's Concat, Add, Resize
    and MaxPool in uint8 too (QLinearConcat, QLinearAdd, uint8 Resize/MaxPool) instead of a
    DequantizeLinear, a float op and a QuantizeLinear each."""
    g = model.graph
    prod, cons = _maps(g)
    q = {}
    for n in g.node:
        if n.op_type == "Relu" and n.input[0] in prod and prod[n.input[0]].op_type == "Conv":
            q[n.output[0]] = "relu"
    for n in g.node:                    # graph order: a Resize/MaxPool input is decided before it
        if full:
            if n.op_type in ("Add", "Concat") and all(x in q for x in n.input):
                q[n.output[0]] = "minmax"
            elif n.op_type in ("Resize", "MaxPool") and n.input[0] in q:
                src = n.input[0]
                q[n.output[0]] = ("same", q[src][1] if isinstance(q[src], tuple) else src)
        if n.op_type != "Conv":
            continue
        x = n.input[0]
        if x in q:
            continue
        p = prod.get(x)
        if p is not None and p.op_type == "MaxPool" and p.input[0] in q:
            q[x] = ("same", p.input[0])
        else:                # the image, Concat, Add, a MaxPool of an Add, a Conv without ReLU
            q[x] = "minmax"
    return q


def calibration_model(model, names):
    """The same graph with every tensor to calibrate as an output."""
    import onnx
    from onnx import helper, TensorProto
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for n in names:
        if n not in have:
            m.graph.output.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, None))
    return m


def calibrate(model, frames_u8, n, size, names):
    tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
    with tempfile.TemporaryDirectory() as tmp:
        import onnx
        p = os.path.join(tmp, "calib.onnx")
        onnx.save(calibration_model(model, names), p)
        out = os.path.join(tmp, "ranges.json")
        subprocess.run([tsx, os.path.join(HERE, "calibrate.ts"), p, frames_u8, str(n), f"{size}x{size}", out], check=True)
        return json.load(open(out))


def quantize(model, ranges, how="mean", full=True):
    """Rewrites the model in place to QDQ int8 (see the module's doc) and returns it."""
    from onnx import helper, numpy_helper
    g = model.graph
    q = plan(model, full)
    pick = (lambda v: float(np.max(v))) if how == "max" else (lambda v: float(np.mean(v)))
    pick_lo = (lambda v: float(np.min(v))) if how == "max" else (lambda v: float(np.mean(v)))
    params = {}
    for name, kind in q.items():
        if kind == "relu":
            hi = max(pick(ranges[name]["max"]), 1e-6)
            params[name] = (hi / 255.0, 0)
        elif kind == "minmax":
            lo, hi = min(pick_lo(ranges[name]["min"]), 0.0), max(pick(ranges[name]["max"]), 1e-6)
            s = (hi - lo) / 255.0
            params[name] = (s, int(np.clip(round(-lo / s), 0, 255)))
    for name, kind in q.items():
        if isinstance(kind, tuple):
            params[name] = params[kind[1]]
    inits = {i.name: i for i in g.initializer}
    prod, cons = _maps(g)
    before, after = defaultdict(list), defaultdict(list)   # node id -> nodes to insert before / after it
    # Weights and biases of the convs that read a quantized tensor and write one through their ReLU
    # (decided on the original names, before the Q/DQ pairs below rename the producers' outputs).
    w_inits = []
    for n in g.node:
        if n.op_type != "Conv":
            continue
        xs = params.get(n.input[0])
        relu = [c for c in cons.get(n.output[0], []) if c.op_type == "Relu"]
        if xs is None or len(relu) != 1 or q.get(relu[0].output[0]) != "relu":
            continue
        W = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        sw = np.maximum(np.abs(W).reshape(W.shape[0], -1).max(1), 1e-12) / WEIGHT_MAX
        Wq = np.clip(np.round(W / sw[:, None, None, None]), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
        base = n.name or n.output[0]
        w_inits += [numpy_helper.from_array(Wq, base + "_Wq"), numpy_helper.from_array(sw.astype(np.float32), base + "_Ws"),
                    numpy_helper.from_array(np.zeros(W.shape[0], np.int8), base + "_Wz")]
        before[id(n)].append(helper.make_node("DequantizeLinear", [base + "_Wq", base + "_Ws", base + "_Wz"], [base + "_W"], axis=0, name=base + "_WDQ"))
        n.input[1] = base + "_W"
        if len(n.input) > 2 and n.input[2]:
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
            sb = xs[0] * sw.astype(np.float64)
            bq = np.round(b / sb).astype(np.int32)
            w_inits += [numpy_helper.from_array(bq, base + "_Bq"), numpy_helper.from_array(sb.astype(np.float32), base + "_Bs"),
                        numpy_helper.from_array(np.zeros(W.shape[0], np.int32), base + "_Bz")]
            before[id(n)].append(helper.make_node("DequantizeLinear", [base + "_Bq", base + "_Bs", base + "_Bz"], [base + "_B"], axis=0, name=base + "_BDQ"))
            n.input[2] = base + "_B"
    # Activations: the producer now writes <name>_f, a Q -> DQ pair gives <name> back to its readers.
    a_inits = []
    graph_inputs = {i.name for i in g.input}
    head = []                          # Q/DQ of graph inputs go first
    for name, (s, zp) in params.items():
        sn, zn = name + "_scale", name + "_zp"
        a_inits += [numpy_helper.from_array(np.array(s, np.float32), sn), numpy_helper.from_array(np.array(zp, np.uint8), zn)]
        nodes = [helper.make_node("QuantizeLinear", [name + "_f", sn, zn], [name + "_q"], name=name + "_Q"),
                 helper.make_node("DequantizeLinear", [name + "_q", sn, zn], [name], name=name + "_DQ")]
        if name in graph_inputs:
            # the graph input keeps its name: consumers read the dequantized copy
            nodes[0].input[0] = name
            nodes[1].output[0] = name + "_dq"
            for n in g.node:
                for k, x in enumerate(n.input):
                    if x == name:
                        n.input[k] = name + "_dq"
            head += nodes
            continue
        p = prod[name]
        for k, x in enumerate(p.output):
            if x == name:
                p.output[k] = name + "_f"
        after[id(p)] += nodes
    nodes = list(head)
    for n in g.node:
        nodes += before[id(n)] + [n] + after[id(n)]
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep + a_inits + w_inits)
    return model


def calibration_frames(size, out, gcompris="models/data/gcompris/photos", synthavs="models/data/synthavs", n_real=14, n_synth=4, seed=0):
    """The calibration images, fixed by the seed: GCompris photographs and SynthAVS training frames
    (never real-dev), resized to size x size, written as raw uint8 RGB; returns how many."""
    import glob
    from PIL import Image
    rng = np.random.default_rng(seed)
    ph = sorted(glob.glob(os.path.join(gcompris, "*.png")))
    sy = sorted(glob.glob(os.path.join(synthavs, "*", "*", "visual_frames", "train", "*", "*", "*.png")))
    if len(ph) < n_real or len(sy) < n_synth:
        raise SystemExit(f"calibration needs {n_real} GCompris photos in {gcompris} and {n_synth} SynthAVS training frames in {synthavs}")
    pick = [ph[i] for i in rng.choice(len(ph), n_real, replace=False)] + [sy[i] for i in rng.choice(len(sy), n_synth, replace=False)]
    imgs = [np.asarray(Image.open(p).convert("RGB").resize((size, size), Image.BILINEAR)) for p in pick]
    np.stack(imgs).astype(np.uint8).tofile(out)
    return len(imgs)


def quantize_feature_graph(model, size, how="mean", full=True):
    """Calibrates on calibration_frames() and returns the QDQ int8 graph."""
    with tempfile.TemporaryDirectory() as tmp:
        frames = os.path.join(tmp, "calib.u8")
        n = calibration_frames(size, frames)
        names = [k for k, v in plan(model, full).items() if not isinstance(v, tuple)]
        ranges = calibrate(model, frames, n, size, names)
    return quantize(model, ranges, how, full)


def main(argv=None):
    import onnx
    ap = argparse.ArgumentParser()
    ap.add_argument("feat")
    ap.add_argument("size", type=int)
    ap.add_argument("out")
    ap.add_argument("--range", default="mean", choices=["max", "mean"])
    ap.add_argument("--convs-only", action="store_true", help="1.1.0's graph: only the Conv+ReLU groups run in int8")
    a = ap.parse_args(argv)
    qm = quantize_feature_graph(onnx.load(a.feat), a.size, a.range, not a.convs_only)
    onnx.checker.check_model(qm)
    onnx.save(qm, a.out)
    print(json.dumps({"out": a.out, "bytes": os.path.getsize(a.out)}))


if __name__ == "__main__":
    main()
