"""Attention blocks written by hand (no nn.MultiheadAttention: its torch-1.13 fast path crashes
and has no ONNX symbolic, spec ccformer.md §3) and pure-PyTorch multi-scale deformable
attention (Deformable-DETR's ``ms_deform_attn_core_pytorch``, exports to ONNX GridSample)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class MHA(nn.Module):
    """Multi-head attention: Linear q/k/v, matmul, softmax, Linear out. Inputs [B, L, d]."""

    def __init__(self, d, heads, kdim=None):
        super().__init__()
        kdim = kdim or d
        assert d % heads == 0
        self.h, self.dh = heads, d // heads
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(kdim, d)
        self.v = nn.Linear(kdim, d)
        self.o = nn.Linear(d, d)

    def forward(self, q, k, v):
        B, Lq, d = q.shape
        Lk = k.shape[1]
        Q = self.q(q).reshape(B, Lq, self.h, self.dh).transpose(1, 2)
        K = self.k(k).reshape(B, Lk, self.h, self.dh).transpose(1, 2)
        V = self.v(v).reshape(B, Lk, self.h, self.dh).transpose(1, 2)
        att = torch.softmax(torch.matmul(Q, K.transpose(2, 3)) * (1.0 / math.sqrt(self.dh)), dim=-1)
        out = torch.matmul(att, V).transpose(1, 2).reshape(B, Lq, d)
        return self.o(out)


class FFN(nn.Module):
    def __init__(self, d, hidden, dropout=0.0):
        super().__init__()
        self.l1 = nn.Linear(d, hidden)
        self.l2 = nn.Linear(hidden, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.l2(self.drop(F.relu(self.l1(x))))


def ms_deform_attn_core_pytorch(value, spatial_shapes, sampling_locations, attention_weights):
    """value [N, S, M, D]; spatial_shapes: python list of (H, W);
    sampling_locations [N, Lq, M, L, P, 2] in [0,1] (x, y); attention_weights [N, Lq, M, L, P]."""
    N, S, M, D = value.shape
    _, Lq, _, L, P, _ = sampling_locations.shape
    value_list = value.split([h * w for h, w in spatial_shapes], dim=1)
    grids = 2 * sampling_locations - 1
    sampled = []
    for lid, (h, w) in enumerate(spatial_shapes):
        v = value_list[lid].flatten(2).transpose(1, 2).reshape(N * M, D, h, w)
        g = grids[:, :, :, lid].transpose(1, 2).flatten(0, 1)  # [N*M, Lq, P, 2]
        sampled.append(F.grid_sample(v, g, mode="bilinear", padding_mode="zeros", align_corners=False))
    aw = attention_weights.transpose(1, 2).reshape(N * M, 1, Lq, L * P)
    out = (torch.stack(sampled, dim=-2).flatten(-2) * aw).sum(-1).reshape(N, M * D, Lq)
    return out.transpose(1, 2)


class MSDeformAttn(nn.Module):
    """Multi-scale deformable attention (Zhu et al. 2021), pure PyTorch."""

    def __init__(self, d, n_levels, n_heads, n_points):
        super().__init__()
        self.d, self.L, self.M, self.P = d, n_levels, n_heads, n_points
        self.sampling_offsets = nn.Linear(d, n_heads * n_levels * n_points * 2)
        self.attention_weights = nn.Linear(d, n_heads * n_levels * n_points)
        self.value_proj = nn.Linear(d, d)
        self.output_proj = nn.Linear(d, d)
        self._reset()

    def _reset(self):
        nn.init.constant_(self.sampling_offsets.weight, 0.0)
        th = torch.arange(self.M, dtype=torch.float32) * (2.0 * math.pi / self.M)
        grid = torch.stack([th.cos(), th.sin()], -1)
        grid = (grid / grid.abs().max(-1, keepdim=True)[0]).view(self.M, 1, 1, 2).repeat(1, self.L, self.P, 1)
        for i in range(self.P):
            grid[:, :, i, :] *= i + 1
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(grid.view(-1))
        nn.init.constant_(self.attention_weights.weight, 0.0)
        nn.init.constant_(self.attention_weights.bias, 0.0)
        nn.init.xavier_uniform_(self.value_proj.weight)
        nn.init.constant_(self.value_proj.bias, 0.0)
        nn.init.xavier_uniform_(self.output_proj.weight)
        nn.init.constant_(self.output_proj.bias, 0.0)

    def forward(self, query, reference_points, value_in, spatial_shapes):
        """query [N, Lq, d]; reference_points [N, Lq, L, 2] in [0,1]; value_in [N, S, d]."""
        N, Lq, _ = query.shape
        S = value_in.shape[1]
        value = self.value_proj(value_in).reshape(N, S, self.M, self.d // self.M)
        off = self.sampling_offsets(query).reshape(N, Lq, self.M, self.L, self.P, 2)
        aw = torch.softmax(self.attention_weights(query).reshape(N, Lq, self.M, self.L * self.P), -1)
        aw = aw.reshape(N, Lq, self.M, self.L, self.P)
        normalizer = torch.tensor([[w, h] for h, w in spatial_shapes], dtype=query.dtype, device=query.device)
        loc = reference_points[:, :, None, :, None, :] + off / normalizer[None, None, None, :, None, :]
        out = ms_deform_attn_core_pytorch(value, spatial_shapes, loc, aw)
        return self.output_proj(out)


def deform_attn_loop_reference(value, spatial_shapes, sampling_locations, attention_weights):
    """Direct (slow) loop implementation used by the tests: bilinear sampling with zero padding,
    pixel centres at (i + 0.5) / size (align_corners=False)."""
    N, S, M, D = value.shape
    _, Lq, _, L, P, _ = sampling_locations.shape
    out = torch.zeros(N, Lq, M, D, dtype=value.dtype)
    starts = [0]
    for h, w in spatial_shapes:
        starts.append(starts[-1] + h * w)
    for n in range(N):
        for q in range(Lq):
            for m in range(M):
                acc = torch.zeros(D, dtype=value.dtype)
                for l, (h, w) in enumerate(spatial_shapes):
                    for p in range(P):
                        x = float(sampling_locations[n, q, m, l, p, 0]) * w - 0.5
                        y = float(sampling_locations[n, q, m, l, p, 1]) * h - 0.5
                        x0, y0 = math.floor(x), math.floor(y)
                        s = torch.zeros(D, dtype=value.dtype)
                        for yy, xx, wt in ((y0, x0, (1 - (x - x0)) * (1 - (y - y0))),
                                           (y0, x0 + 1, (x - x0) * (1 - (y - y0))),
                                           (y0 + 1, x0, (1 - (x - x0)) * (y - y0)),
                                           (y0 + 1, x0 + 1, (x - x0) * (y - y0))):
                            if 0 <= xx < w and 0 <= yy < h:
                                s += wt * value[n, starts[l] + yy * w + xx, m]
                        acc += attention_weights[n, q, m, l, p] * s
                out[n, q, m] = acc
    return out.reshape(N, Lq, M * D)
