"""DeepLabv3 on MobileNetV2 (PASCAL VOC, 21 classes) from the npm package
``@codait/max-image-segmenter@0.3.0`` (Apache-2.0): the TF.js frozen graph of TensorFlow's
``deeplabv3_mnv2_pascal_trainval`` checkpoint, weights as float32 in three shards.

A real-image model with object classes (person, dog, cat, horse, cow, sheep, bird, car, bus, train,
motorbike, bicycle, aeroplane, boat, ...): the semantics IS-Net (class-agnostic saliency) lacks.
This module rebuilds the graph in PyTorch from the shards, by the graph's own node names:
MobileNetV2 at output stride 8 (blocks 7-13 dilated 2, 14-16 dilated 4: the graph's
SpaceToBatchND/BatchToSpaceND pairs), image pooling + 1x1 ASPP branch, projection, logits.
BatchNorm is folded in the graph (Conv2D weights carry the scale; depthwise convs a Mul).

  /usr/bin/python3 -m models.realavs.deeplab <package .tgz or unpacked folder> [image ...]
"""
import hashlib
import json
import os
import sys
import tarfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PACKAGE = "@codait/max-image-segmenter@0.3.0"
TARBALL_SHA256 = "203ed3d8b2891f76616555a25378ef823a1def9a505143a8196dfc28f73bcd87"
VOC = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
       "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"]
# (expand, out channels, stride, dilation) of MobileNetV2's 17 inverted-residual blocks in this graph
BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 24, 1, 1), (6, 32, 2, 1), (6, 32, 1, 1), (6, 32, 1, 1),
          (6, 64, 1, 1), (6, 64, 1, 2), (6, 64, 1, 2), (6, 64, 1, 2), (6, 96, 1, 2), (6, 96, 1, 2),
          (6, 96, 1, 2), (6, 160, 1, 2), (6, 160, 1, 4), (6, 160, 1, 4), (6, 320, 1, 4)]


def read_weights(src):
    """{name: array} from the package tarball (sha256 checked) or its unpacked folder."""
    if os.path.isfile(src):
        h = hashlib.sha256(open(src, "rb").read()).hexdigest()
        if h != TARBALL_SHA256:
            raise SystemExit(f"{src}: sha256 {h}, expected {TARBALL_SHA256} ({PACKAGE})")
        with tarfile.open(src) as tf:
            get = lambda p: tf.extractfile("package/model/" + p).read()
            manifest = json.loads(get("model.json"))
            buf = b"".join(get(p) for p in manifest["weightsManifest"][0]["paths"])
    else:
        d = os.path.join(src, "model") if os.path.isdir(os.path.join(src, "model")) else src
        manifest = json.load(open(os.path.join(d, "model.json")))
        buf = b"".join(open(os.path.join(d, p), "rb").read() for p in manifest["weightsManifest"][0]["paths"])
    W, off = {}, 0
    for w in manifest["weightsManifest"][0]["weights"]:
        dt = {"float32": np.float32, "int32": np.int32}[w["dtype"]]
        n = int(np.prod(w["shape"])) if w["shape"] else 1
        W[w["name"]] = np.frombuffer(buf, dt, n, off).reshape(w["shape"]).copy()
        off += 4 * n
    if off != len(buf):
        raise SystemExit(f"{src}: weights manifest covers {off} of {len(buf)} bytes")
    return W


def _same_pad(x, k, s):
    """TensorFlow's SAME padding (the extra pixel after, not before)."""
    h, w = x.shape[-2:]
    ph = max((-(-h // s) - 1) * s + k - h, 0)
    pw = max((-(-w // s) - 1) * s + k - w, 0)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


class Conv(nn.Module):
    """Conv2D (BatchNorm folded: HWIO weights + offset), optional ReLU6/ReLU; depthwise with a Mul."""

    def __init__(self, W, weight, offset, stride=1, dilation=1, depthwise_scale=None, act="relu6"):
        super().__init__()
        w = torch.from_numpy(W[weight])
        if depthwise_scale is not None:            # HW C 1 -> C 1 H W, BN scale applied after
            w = w.permute(2, 3, 0, 1) * torch.from_numpy(W[depthwise_scale]).reshape(-1, 1, 1, 1)
            self.groups = w.shape[0]
        else:                                      # HW I O -> O I H W
            w = w.permute(3, 2, 0, 1)
            self.groups = 1
        self.weight = nn.Parameter(w.contiguous(), requires_grad=False)
        self.bias = nn.Parameter(torch.from_numpy(W[offset]), requires_grad=False)
        self.k, self.stride, self.dilation, self.act = w.shape[-1], stride, dilation, act

    def forward(self, x):
        if self.k > 1 and self.stride > 1:
            x, pad = _same_pad(x, self.k, self.stride), 0
        else:
            pad = self.dilation * (self.k // 2)
        x = F.conv2d(x, self.weight, self.bias, self.stride, pad, self.dilation, self.groups)
        return F.relu6(x) if self.act == "relu6" else F.relu(x) if self.act == "relu" else x


class Block(nn.Module):
    def __init__(self, W, i, cin, e, cout, s, d):
        super().__init__()
        p = "MobilenetV2/expanded_conv" + (f"_{i}" if i else "")
        BN = "/BatchNorm/FusedBatchNorm/"
        self.expand = Conv(W, p + "/expand/Conv2D/merged_input", p + "/expand" + BN + "Offset") if e > 1 else None
        self.dw = Conv(W, p + "/depthwise/depthwise_weights", p + "/depthwise" + BN + "Offset", s, d,
                       depthwise_scale=p + "/depthwise" + BN + "Scaled")
        self.project = Conv(W, p + "/project/Conv2D/merged_input", p + "/project" + BN + "Offset", act=None)
        self.res = s == 1 and cin == cout

    def forward(self, x):
        y = self.project(self.dw(self.expand(x) if self.expand is not None else x))
        return x + y if self.res else y


class DeepLabMNV2(nn.Module):
    """x: [B, 3, H, W] RGB scaled to [-1, 1] (the graph's (pixel - 127.5) / 127.5). Returns
    {'feat': [B, 256, H/8, W/8] (concat_projection), 'logits': [B, 21, H/8, W/8]} (H, W multiples of 8)."""

    def __init__(self, W):
        super().__init__()
        BN = "/BatchNorm/FusedBatchNorm/Offset"
        self.stem = Conv(W, "MobilenetV2/Conv/Conv2D/merged_input", "MobilenetV2/Conv" + BN, 2)
        blocks, cin = [], 32
        for i, (e, c, s, d) in enumerate(BLOCKS):
            blocks.append(Block(W, i, cin, e, c, s, d))
            cin = c
        self.blocks = nn.Sequential(*blocks)
        self.pool = Conv(W, "image_pooling/Conv2D/merged_input", "image_pooling" + BN, act="relu")
        self.aspp0 = Conv(W, "aspp0/Conv2D/merged_input", "aspp0" + BN, act="relu")
        self.proj = Conv(W, "concat_projection/Conv2D/merged_input", "concat_projection" + BN, act="relu")
        self.logits = Conv(W, "logits/semantic/weights", "logits/semantic/biases", act=None)

    def forward(self, x):
        f = self.blocks(self.stem(x))
        p = self.pool(f.mean((2, 3), keepdim=True)).expand(-1, -1, f.shape[2], f.shape[3])
        feat = self.proj(torch.cat([p, self.aspp0(f)], 1))
        return {"feat": feat, "logits": self.logits(feat)}


def load(src):
    return DeepLabMNV2(read_weights(src)).eval()


def main(argv=None):
    from PIL import Image
    argv = sys.argv[1:] if argv is None else argv
    model = load(argv[0])
    for path in argv[1:]:
        im = Image.open(path).convert("RGB").resize((513, 513), Image.BILINEAR)
        x = torch.from_numpy(np.asarray(im, np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
        with torch.no_grad():
            lg = model(x)["logits"][0]
        cls = lg.argmax(0)
        frac = {VOC[c]: round(float((cls == c).float().mean()), 3) for c in cls.unique().tolist()}
        print(os.path.basename(path), dict(sorted(frac.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
