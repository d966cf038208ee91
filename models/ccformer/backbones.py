"""Visual backbones (multi-scale features at strides 4, 8, 16, 32) and audio encoders.

- ``TinyCNN``: the small from-scratch CNN of the shipped model (also returns a stride-2 map).
- ``ResNet50``: torchvision-equivalent ResNet-50 (bottleneck [3,4,6,3]).
- ``PVTv2``: PVT-v2 (Wang et al. 2022), b5 = depths [3,6,40,3], dims [64,128,320,512].
- ``VGGish``: the AudioSet VGGish network (torchvggish layout, 128-d embedding, no PCA).
- ``TinyVGGish``: a small VGGish-like log-mel encoder trained from scratch.
All take/return plain tensors (ONNX friendly); weights are random (none can be downloaded here).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(ci, co, k=3, s=1, g=1):
    return nn.Sequential(nn.Conv2d(ci, co, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(co), nn.ReLU(inplace=True))


class TinyBlock(nn.Module):
    """Residual block: 3x3 conv (stride s) -> 3x3 conv, + projection shortcut."""

    def __init__(self, ci, co, s):
        super().__init__()
        self.c1 = conv_bn(ci, co, 3, s)
        self.c2 = nn.Sequential(nn.Conv2d(co, co, 3, 1, 1, bias=False), nn.BatchNorm2d(co))
        self.sc = nn.Sequential(nn.Conv2d(ci, co, 1, s, bias=False), nn.BatchNorm2d(co)) if (s != 1 or ci != co) else nn.Identity()

    def forward(self, x):
        return F.relu(self.c2(self.c1(x)) + self.sc(x))


class TinyCNN(nn.Module):
    def __init__(self, widths=(16, 24, 48, 96, 128)):
        super().__init__()
        w = widths
        self.stem = nn.Sequential(conv_bn(3, w[0], 3, 2), conv_bn(w[0], w[0], 3, 1))       # /2
        self.s4 = TinyBlock(w[0], w[1], 2)
        self.s8 = nn.Sequential(TinyBlock(w[1], w[2], 2), TinyBlock(w[2], w[2], 1))
        self.s16 = nn.Sequential(TinyBlock(w[2], w[3], 2), TinyBlock(w[3], w[3], 1))
        self.s32 = TinyBlock(w[3], w[4], 2)
        self.channels = list(w[1:])
        self.stride2_channels = w[0]

    def forward(self, x):
        x2 = self.stem(x)
        x4 = self.s4(x2)
        x8 = self.s8(x4)
        x16 = self.s16(x8)
        x32 = self.s32(x16)
        return [x4, x8, x16, x32], x2


class Bottleneck(nn.Module):
    def __init__(self, ci, mid, s):
        super().__init__()
        co = mid * 4
        self.conv1 = nn.Conv2d(ci, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, s, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, co, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(co)
        self.down = nn.Sequential(nn.Conv2d(ci, co, 1, s, bias=False), nn.BatchNorm2d(co)) if (s != 1 or ci != co) else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNet50(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        ci = 64
        self.stages = nn.ModuleList()
        for i, (n, mid) in enumerate(zip(layers, (64, 128, 256, 512))):
            blocks = []
            for j in range(n):
                blocks.append(Bottleneck(ci, mid, (1 if i == 0 else 2) if j == 0 else 1))
                ci = mid * 4
            self.stages.append(nn.Sequential(*blocks))
        self.channels = [256, 512, 1024, 2048]
        self.stride2_channels = None

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(x, 3, 2, 1)
        feats = []
        for s in self.stages:
            x = s(x)
            feats.append(x)
        return feats, None


class DWConv(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.dw = nn.Conv2d(d, d, 3, 1, 1, groups=d)

    def forward(self, x, H, W):
        B, N, C = x.shape
        return self.dw(x.transpose(1, 2).reshape(B, C, H, W)).flatten(2).transpose(1, 2)


class PVTAttention(nn.Module):
    def __init__(self, d, heads, sr):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.proj = nn.Linear(d, d)
        self.sr_ratio = sr
        if sr > 1:
            self.sr = nn.Conv2d(d, d, sr, sr)
            self.norm = nn.LayerNorm(d)

    def forward(self, x, H, W):
        B, N, C = x.shape
        q = self.q(x).reshape(B, N, self.h, self.dh).transpose(1, 2)
        if self.sr_ratio > 1:
            x_ = self.sr(x.transpose(1, 2).reshape(B, C, H, W)).flatten(2).transpose(1, 2)
            x_ = self.norm(x_)
        else:
            x_ = x
        kv = self.kv(x_).reshape(B, -1, 2, self.h, self.dh).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        att = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * self.dh ** -0.5, -1)
        return self.proj(torch.matmul(att, v).transpose(1, 2).reshape(B, N, C))


class PVTBlock(nn.Module):
    def __init__(self, d, heads, mlp_ratio, sr):
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attn = PVTAttention(d, heads, sr)
        self.norm2 = nn.LayerNorm(d)
        hid = int(d * mlp_ratio)
        self.fc1 = nn.Linear(d, hid)
        self.dwconv = DWConv(hid)
        self.fc2 = nn.Linear(hid, d)

    def forward(self, x, H, W):
        x = x + self.attn(self.norm1(x), H, W)
        return x + self.fc2(F.gelu(self.dwconv(self.fc1(self.norm2(x)), H, W)))


class OverlapPatchEmbed(nn.Module):
    def __init__(self, ci, d, k, s):
        super().__init__()
        self.proj = nn.Conv2d(ci, d, k, s, k // 2)
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        x = self.proj(x)
        H, W = x.shape[2], x.shape[3]
        return self.norm(x.flatten(2).transpose(1, 2)), H, W


class PVTv2(nn.Module):
    def __init__(self, dims=(64, 128, 320, 512), heads=(1, 2, 5, 8), mlp=(4, 4, 4, 4),
                 depths=(3, 6, 40, 3), sr=(8, 4, 2, 1)):
        super().__init__()
        self.embeds = nn.ModuleList()
        self.blocks = nn.ModuleList()
        self.norms = nn.ModuleList()
        ci = 3
        for i in range(4):
            self.embeds.append(OverlapPatchEmbed(ci, dims[i], 7 if i == 0 else 3, 4 if i == 0 else 2))
            self.blocks.append(nn.ModuleList([PVTBlock(dims[i], heads[i], mlp[i], sr[i]) for _ in range(depths[i])]))
            self.norms.append(nn.LayerNorm(dims[i]))
            ci = dims[i]
        self.channels = list(dims)
        self.stride2_channels = None

    def forward(self, x):
        B = x.shape[0]
        feats = []
        for emb, blocks, norm in zip(self.embeds, self.blocks, self.norms):
            x, H, W = emb(x)
            for b in blocks:
                x = b(x, H, W)
            x = norm(x).reshape(B, H, W, -1).permute(0, 3, 1, 2)
            feats.append(x)
        return feats, None


class VGGish(nn.Module):
    """torchvggish VGG: log-mel [N,1,96,64] -> [N,128] (ReLU on the embedding as in torchvggish)."""

    def __init__(self):
        super().__init__()
        layers, ci = [], 1
        for v in (64, "M", 128, "M", 256, 256, "M", 512, 512, "M"):
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(ci, v, 3, 1, 1), nn.ReLU(inplace=True)]
                ci = v
        self.features = nn.Sequential(*layers)
        self.embeddings = nn.Sequential(nn.Linear(512 * 4 * 6, 4096), nn.ReLU(True), nn.Linear(4096, 4096),
                                        nn.ReLU(True), nn.Linear(4096, 128), nn.ReLU(True))
        self.out_dim = 128

    def forward(self, x):
        x = self.features(x)                       # [N,512,6,4]
        x = x.permute(0, 2, 3, 1).flatten(1)       # channel-last flatten as torchvggish
        return self.embeddings(x)


class TinyVGGish(nn.Module):
    """VGGish-like log-mel encoder: 4 conv-BN-ReLU-pool stages, flatten, 2 FC -> 128-d."""

    def __init__(self, widths=(16, 32, 64, 96), out_dim=128):
        super().__init__()
        self.inp = nn.BatchNorm2d(1)
        layers, ci = [], 1
        for w in widths:
            layers += [conv_bn(ci, w), nn.MaxPool2d(2, 2)]
            ci = w
        self.features = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Linear(ci * 6 * 4, 256), nn.ReLU(True), nn.Linear(256, out_dim))
        self.out_dim = out_dim

    def forward(self, x):
        return self.fc(self.features(self.inp(x)).flatten(1))
