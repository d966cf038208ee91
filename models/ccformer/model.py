"""CCFormer (Complementary and Contrastive Learning for Audio-Visual Segmentation), PyTorch.

Structure (spec ccformer.md §1): encoders -> EIM (AVE + VAE over the 4 scales) -> deformable
Transformer encoder over strides 8/16/32 -> Attention Query Generator -> multi-query decoder
(ICI layers, each followed by ITI layers; intra- and inter-frame queries combined per eq. 10) ->
cross-modal FPN head with dynamic mask kernels. Training extras: BCL projection heads.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import FFN, MHA, MSDeformAttn
from .backbones import PVTv2, ResNet50, TinyCNN, TinyVGGish, VGGish


def _gn(d):
    return nn.GroupNorm(32 if d % 32 == 0 and d >= 128 else 8, d)


_POS_CACHE = {}


def sine_pos(h, w, d, device):
    """DETR 2-D sine positional embedding, [h*w, d] (normalised coordinates, scale 2π)."""
    key = (h, w, d, str(device))
    if key not in _POS_CACHE:
        npf = d // 2
        y = (torch.arange(h, dtype=torch.float32) + 0.5) / h * 2 * math.pi
        x = (torch.arange(w, dtype=torch.float32) + 0.5) / w * 2 * math.pi
        dim_t = 10000 ** (2 * (torch.arange(npf) // 2).float() / npf)
        px = x[:, None] / dim_t
        py = y[:, None] / dim_t
        px = torch.stack([px[:, 0::2].sin(), px[:, 1::2].cos()], 2).flatten(1)
        py = torch.stack([py[:, 0::2].sin(), py[:, 1::2].cos()], 2).flatten(1)
        pos = torch.cat([py[:, None, :].expand(h, w, npf), px[None, :, :].expand(h, w, npf)], -1)
        _POS_CACHE[key] = pos.reshape(h * w, d).to(device)
    return _POS_CACHE[key]


# ------------------------------------------------------------------------------------ EIM
class CrossBlock(nn.Module):
    """x' = LN(x + MHA(x, y, y)); out = LN(x' + FFN(x'))  (AVE when x=vision, VAE when x=audio)."""

    def __init__(self, d, heads, ffn, dropout=0.0):
        super().__init__()
        self.att = MHA(d, heads)
        self.n1 = nn.LayerNorm(d)
        self.ffn = FFN(d, ffn, dropout)
        self.n2 = nn.LayerNorm(d)

    def forward(self, x, y):
        x = self.n1(x + self.att(x, y, y))
        return self.n2(x + self.ffn(x))


class EIM(nn.Module):
    """Early Integration Module: parallel, bilateral AVE + VAE, iterated over the scales."""

    def __init__(self, d, heads, ffn, scales=(0, 1, 2, 3)):
        super().__init__()
        self.scales = list(scales)
        self.ave = nn.ModuleList([CrossBlock(d, heads, ffn) for _ in self.scales])
        self.vae = nn.ModuleList([CrossBlock(d, heads, ffn) for _ in self.scales])

    def forward(self, feats, a):
        """feats: list of [N, d, h, w] (strides 4..32); a: [N, 1, d]. The scales listed in
        ``scales`` are enhanced in order (coarse-to-fine order is not assumed); others pass through.
        Returns enhanced feats, enhanced audio (after the last enhanced scale)."""
        out = list(feats)
        for i, si in enumerate(self.scales):
            f = feats[si]
            N, d, h, w = f.shape
            v = f.flatten(2).transpose(1, 2)
            v_e = self.ave[i](v, a)          # audio-guided vision enhancement
            a = self.vae[i](a, v)            # vision-guided audio enhancement (parallel: uses v)
            out[si] = v_e.transpose(1, 2).reshape(N, d, h, w)
        return out, a


# ------------------------------------------------------------------------ deformable encoder
class DeformEncoderLayer(nn.Module):
    def __init__(self, d, heads, ffn, levels, points):
        super().__init__()
        self.attn = MSDeformAttn(d, levels, heads, points)
        self.n1 = nn.LayerNorm(d)
        self.ffn = FFN(d, ffn)
        self.n2 = nn.LayerNorm(d)

    def forward(self, src, pos, ref, shapes):
        src = self.n1(src + self.attn(src + pos, ref, src, shapes))
        return self.n2(src + self.ffn(src))


def encoder_reference_points(shapes, levels, device):
    refs = []
    for h, w in shapes:
        ry, rx = torch.meshgrid((torch.arange(h, dtype=torch.float32) + 0.5) / h,
                                (torch.arange(w, dtype=torch.float32) + 0.5) / w, indexing="ij")
        refs.append(torch.stack([rx.reshape(-1), ry.reshape(-1)], -1))
    ref = torch.cat(refs, 0)                                   # [S, 2]
    return ref[None, :, None, :].expand(1, ref.shape[0], levels, 2).to(device)


# ---------------------------------------------------------------------------------- queries
class AQGLayer(nn.Module):
    """Attention Query Generator layer: self-attention, then cross-attention to the enhanced audio."""

    def __init__(self, d, heads, ffn):
        super().__init__()
        self.sa = MHA(d, heads)
        self.n1 = nn.LayerNorm(d)
        self.ca = MHA(d, heads)
        self.n2 = nn.LayerNorm(d)
        self.ffn = FFN(d, ffn)
        self.n3 = nn.LayerNorm(d)

    def forward(self, q, a):
        q = self.n1(q + self.sa(q, q, q))
        q = self.n2(q + self.ca(q, a, a))
        return self.n3(q + self.ffn(q))


class ICILayer(nn.Module):
    """Intra-frame cross-modal interaction: deformable decoder layer on that frame's memory."""

    def __init__(self, d, heads, ffn, levels, points, use_memory=True):
        super().__init__()
        self.sa = MHA(d, heads)
        self.n1 = nn.LayerNorm(d)
        self.use_memory = use_memory
        if use_memory:
            self.ca = MSDeformAttn(d, levels, heads, points)
            self.n2 = nn.LayerNorm(d)
        self.ffn = FFN(d, ffn)
        self.n3 = nn.LayerNorm(d)
        self.levels = levels

    def forward(self, tgt, qpos, ref, memory, shapes):
        q = tgt + qpos
        tgt = self.n1(tgt + self.sa(q, q, tgt))
        if self.use_memory:
            r = ref[:, :, None, :].expand(ref.shape[0], ref.shape[1], self.levels, 2)
            tgt = self.n2(tgt + self.ca(tgt + qpos, r, memory, shapes))
        return self.n3(tgt + self.ffn(tgt))


class ITILayer(nn.Module):
    """Inter-frame temporal interaction: temporal self-attention of the intra-frame queries
    across frames (eq. 7), then inter-frame queries cross-attend to them and self-attend (eq. 8-9)."""

    def __init__(self, d, heads, ffn, T):
        super().__init__()
        self.t_pos = nn.Parameter(torch.zeros(1, T, d))
        nn.init.normal_(self.t_pos, std=0.02)
        self.tsa = MHA(d, heads)
        self.n0 = nn.LayerNorm(d)
        self.ca = MHA(d, heads)
        self.n1 = nn.LayerNorm(d)
        self.sa = MHA(d, heads)
        self.n2 = nn.LayerNorm(d)
        self.ffn = FFN(d, ffn)
        self.n3 = nn.LayerNorm(d)

    def forward(self, intra, inter):
        """intra [B, T, N, d]; inter [B, N2, d]."""
        B, T, N, d = intra.shape
        x = intra.permute(0, 2, 1, 3).reshape(B * N, T, d)
        xp = x + self.t_pos
        x = self.n0(x + self.tsa(xp, xp, x))
        intra = x.reshape(B, N, T, d).permute(0, 2, 1, 3)
        kv = intra.reshape(B, T * N, d)
        inter = self.n1(inter + self.ca(inter, kv, kv))
        inter = self.n2(inter + self.sa(inter, inter, inter))
        inter = self.n3(inter + self.ffn(inter))
        return intra, inter


# -------------------------------------------------------------------------------------- head
class AudioSRInject(nn.Module):
    """Audio injection with spatial-reduction attention: pixels attend to [pooled pixels; audio]."""

    def __init__(self, d, heads, max_kv_side=8):
        super().__init__()
        self.att = MHA(d, heads)
        self.norm = _gn(d)
        self.max_kv_side = max_kv_side

    def forward(self, x, a):
        N, d, h, w = x.shape
        r = max(1, int(h) // self.max_kv_side)
        kv = F.avg_pool2d(x, r, r) if r > 1 else x
        kv = torch.cat([kv.flatten(2).transpose(1, 2), a], 1)
        q = x.flatten(2).transpose(1, 2)
        y = self.att(q, kv, kv).transpose(1, 2).reshape(N, d, h, w)
        return self.norm(x + y)


class CrossModalFPN(nn.Module):
    def __init__(self, d, heads, mask_dim, stride2_channels=None, inject=(16, 8, 4)):
        super().__init__()
        self.inject = list(inject)
        self.conv16 = nn.Sequential(nn.Conv2d(d, d, 3, 1, 1, bias=False), _gn(d), nn.ReLU(True))
        self.conv8 = nn.Sequential(nn.Conv2d(d, d, 3, 1, 1, bias=False), _gn(d), nn.ReLU(True))
        self.conv4 = nn.Sequential(nn.Conv2d(d, d, 3, 1, 1, bias=False), _gn(d), nn.ReLU(True))
        self.inj = nn.ModuleDict({str(k): AudioSRInject(d, heads) for k in self.inject})
        self.s2 = stride2_channels is not None
        if self.s2:  # light stride-2 stage (2*mask_dim channels) for the small model
            c2 = 2 * mask_dim
            self.red2 = nn.Conv2d(d, c2, 1)
            self.lat2 = nn.Sequential(nn.Conv2d(stride2_channels, c2, 1, bias=False), nn.GroupNorm(4, c2))
            self.conv2 = nn.Sequential(nn.Conv2d(c2, c2, 3, 1, 1, bias=False), nn.GroupNorm(4, c2), nn.ReLU(True))
            self.out = nn.Conv2d(c2, mask_dim, 1)
        else:
            self.out = nn.Conv2d(d, mask_dim, 1)

    def forward(self, m8, m16, m32, f4, a, f2=None):
        y = self.conv16(m16 + F.interpolate(m32, size=m16.shape[-2:], mode="bilinear", align_corners=False))
        if 16 in self.inject:
            y = self.inj["16"](y, a)
        y = self.conv8(m8 + F.interpolate(y, size=m8.shape[-2:], mode="bilinear", align_corners=False))
        if 8 in self.inject:
            y = self.inj["8"](y, a)
        y = self.conv4(f4 + F.interpolate(y, size=f4.shape[-2:], mode="bilinear", align_corners=False))
        if 4 in self.inject:
            y = self.inj["4"](y, a)
        if self.s2:
            y = self.conv2(self.lat2(f2) + F.interpolate(self.red2(y), size=f2.shape[-2:], mode="bilinear",
                                                          align_corners=False))
        return self.out(y)


class DynamicMaskHead(nn.Module):
    """Per-query dynamic 1x1 convs (md -> md -> md -> 1) on the mask features, then an FC over
    the N query masks -> K output channels."""

    def __init__(self, d, md, n_queries, num_classes):
        super().__init__()
        self.md = md
        self.n_params = md * md + md + md * md + md + md + 1
        self.controller = nn.Sequential(nn.Linear(d, d), nn.ReLU(True), nn.Linear(d, self.n_params))
        self.fc = nn.Conv2d(n_queries, num_classes, 1)

    def forward(self, q, mf):
        """q [BT, N, d]; mf [BT, md, H, W] -> [BT, K, H, W]."""
        BT, N, _ = q.shape
        md = self.md
        H, W = mf.shape[-2:]
        p = self.controller(q)                                            # [BT, N, P]
        i = 0
        w1 = p[..., i:i + md * md].reshape(BT, N * md, md); i += md * md
        b1 = p[..., i:i + md].reshape(BT, N * md, 1); i += md
        w2 = p[..., i:i + md * md].reshape(BT * N, md, md); i += md * md
        b2 = p[..., i:i + md].reshape(BT * N, md, 1); i += md
        w3 = p[..., i:i + md].reshape(BT * N, 1, md); i += md
        b3 = p[..., i:i + 1].reshape(BT * N, 1, 1)
        f = mf.reshape(BT, md, H * W)
        h = F.relu(torch.matmul(w1, f) + b1).reshape(BT * N, md, H * W)
        h = F.relu(torch.matmul(w2, h) + b2)
        m = (torch.matmul(w3, h) + b3).reshape(BT, N, H, W)
        return self.fc(m)


# ------------------------------------------------------------------------------------- model
class CCFormer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d, H, ffn = cfg["d_model"], cfg["n_heads"], cfg["ffn_dim"]
        L, P, T = cfg["n_levels"], cfg["n_points"], cfg["clip_frames"]
        if cfg["backbone"] == "tiny_cnn":
            self.backbone = TinyCNN(cfg.get("backbone_widths") or (16, 24, 48, 96, 128))
        elif cfg["backbone"] == "resnet50":
            self.backbone = ResNet50()
        elif cfg["backbone"] == "pvt_v2_b5":
            self.backbone = PVTv2()
        elif cfg["backbone"] == "isnet":
            self.backbone = ISNetFeatures()
        else:
            raise ValueError(cfg["backbone"])
        self.audio_enc = TinyVGGish(cfg.get("audio_widths") or (16, 32, 64, 96)) if cfg["audio"] == "tiny_vggish" else VGGish()
        self.audio_proj = nn.Linear(self.audio_enc.out_dim, d)
        self.input_proj = nn.ModuleList([nn.Sequential(nn.Conv2d(c, d, 1), _gn(d)) for c in self.backbone.channels])
        self.eim = EIM(d, H, ffn, cfg.get("eim_scales", (0, 1, 2, 3))) if cfg["eim"] else None
        self.level_embed = nn.Parameter(torch.randn(L, d) * 0.02)
        self.encoder = nn.ModuleList([DeformEncoderLayer(d, H, ffn, L, P) for _ in range(cfg["enc_layers"])])
        N, N2 = cfg["n_intra"], cfg["n_inter"]
        self.aqg_query = nn.Parameter(torch.randn(N, d) * 0.02)
        self.aqg = nn.ModuleList([AQGLayer(d, H, ffn) for _ in range(cfg["aqg_layers"])])
        self.intra_query = nn.Parameter(torch.randn(N, d) * 0.02)     # learnable queries (added)
        self.query_pos = nn.Parameter(torch.randn(N, d) * 0.02)
        self.ref_point = nn.Linear(d, 2)
        self.ici = nn.ModuleList([ICILayer(d, H, ffn, L, P, use_memory=cfg["ici"]) for _ in range(cfg["ici_layers"])])
        if cfg["iti"]:
            assert N2 == N, "eq. 10 pairs intra- and inter-frame queries one to one"
            self.inter_query = nn.Parameter(torch.randn(N2, d) * 0.02)
            self.iti = nn.ModuleList([nn.ModuleList([ITILayer(d, H, ffn, T) for _ in range(cfg["iti_layers"])])
                                      for _ in range(cfg["ici_layers"])])
            self.combine = nn.Linear(d, d)
            self.combine_norm = nn.LayerNorm(d)
        self.fpn = CrossModalFPN(d, H, cfg["mask_dim"],
                                 self.backbone.stride2_channels if cfg["mask_stride"] == 2 else None,
                                 cfg.get("fpn_inject", (16, 8, 4)))
        self.mask_head = DynamicMaskHead(d, cfg["mask_dim"], N, cfg["num_classes"])
        self.refine = SaliencyRefiner(skip=cfg.get("refine_skip", False), gate=cfg.get("output_gate", 0),
                                      union=cfg.get("output_union"), grow=cfg.get("output_grow")) \
            if cfg["backbone"] == "isnet" or cfg.get("isnet_inject") else None
        # config tiny_isnet: the tiny model's own backbone on the frames, IS-Net's maps added into its
        # four scale slots (zero-initialised projections: training starts from the tiny model as it is)
        if cfg.get("isnet_inject"):
            self.isnet_proj = nn.ModuleList([nn.Conv2d(c, d, 1) for c in ISNetFeatures.channels])
            for m in self.isnet_proj:
                nn.init.zeros_(m.weight)
                nn.init.zeros_(m.bias)
        if cfg["bcl"]:
            self.bcl_enh = nn.Sequential(nn.Linear(d, d), nn.ReLU(True), nn.Linear(d, 128))
            self.bcl_orig = nn.Sequential(nn.Linear(d, d), nn.ReLU(True), nn.Linear(d, 128))

    # eq. 10: final query of frame t = LN(intra_t + W·inter) (inter-frame queries repeated over T)
    def _combine(self, intra, inter):
        B, T, N, d = intra.shape
        if inter is None:
            return intra.reshape(B * T, N, d)
        q = self.combine_norm(intra + self.combine(inter)[:, None])
        return q.reshape(B * T, N, d)

    def forward(self, frames, audio):
        """frames [B, T, 3, H, W] (normalised); audio [B, T, 1, 96, 64] log-mel.
        eval: {'mask_logits': [B*T, K, h, w]}; train: also aux logits and BCL embeddings."""
        cfg = self.cfg
        inject = None
        if cfg.get("isnet_inject"):                    # (frames for the tiny backbone, IS-Net's maps)
            frames, inject = frames
        if isinstance(frames, (list, tuple)):          # frozen IS-Net features (cached or in-graph)
            B, T = frames[0].shape[0], frames[0].shape[1]
            x = [f.reshape(B * T, *f.shape[2:]) for f in frames]
            feats, f2 = self.backbone(x)
            sal = x[-1]                                # IS-Net's saliency logit, stride 4
            x = sal
        else:
            B, T = frames.shape[0], frames.shape[1]
            x = frames.reshape(B * T, *frames.shape[2:])
            feats, f2 = self.backbone(x)
            sal = None
        a_orig = self.audio_proj(self.audio_enc(audio.reshape(B * T, *audio.shape[2:])))[:, None]   # [BT,1,d]
        feats = [p(f) for p, f in zip(self.input_proj, feats)]
        if inject is not None:
            xi = [f.reshape(B * T, *f.shape[2:]) for f in inject]
            sal = xi[-1]
            # IS-Net's maps (strides 16, 32, 64, 128 of its input) added into the tiny slots (4, 8, 16, 32 of its own)
            iso, _ = ISNetFeatures()(xi)
            feats = [f + _resize_to(q(m), f.shape[-2:]) for f, q, m in zip(feats, self.isnet_proj, iso)]
        if self.eim is not None:
            feats, a_enh = self.eim(feats, a_orig)
        else:
            a_enh = a_orig
        # deformable encoder over strides 8, 16, 32
        lv = feats[1:]
        shapes = [(int(f.shape[2]), int(f.shape[3])) for f in lv]
        src = torch.cat([f.flatten(2).transpose(1, 2) for f in lv], 1)
        pos = torch.cat([sine_pos(h, w, cfg["d_model"], x.device) + self.level_embed[i]
                         for i, (h, w) in enumerate(shapes)], 0)[None]
        ref = encoder_reference_points(shapes, len(shapes), x.device)
        mem = src
        for layer in self.encoder:
            mem = layer(mem, pos, ref, shapes)
        splits = mem.split([h * w for h, w in shapes], 1)
        m8, m16, m32 = [s.transpose(1, 2).reshape(B * T, -1, h, w) for s, (h, w) in zip(splits, shapes)]
        mask_feat = self.fpn(m8, m16, m32, feats[0], a_orig, f2)
        # queries
        N = cfg["n_intra"]
        d = cfg["d_model"]
        q = self.aqg_query[None].expand(B * T, N, d)
        for layer in self.aqg:
            q = layer(q, a_enh)
        tgt = q + self.intra_query[None]
        qpos = self.query_pos[None].expand(B * T, N, d)
        refq = torch.sigmoid(self.ref_point(qpos))
        inter = self.inter_query[None].expand(B, N, d) if cfg["iti"] else None
        logits = []
        for i, ici in enumerate(self.ici):
            tgt = ici(tgt, qpos, refq, mem, shapes)
            if cfg["iti"]:
                intra = tgt.reshape(B, T, N, d)
                for iti in self.iti[i]:
                    intra, inter = iti(intra, inter)
                tgt = intra.reshape(B * T, N, d)
            if self.training or i == len(self.ici) - 1:
                logits.append(self.mask_head(self._combine(tgt.reshape(B, T, N, d), inter), mask_feat))
        if self.refine is not None:
            logits[-1] = self.refine(logits[-1], sal)
        out = {"mask_logits": logits[-1]}
        if self.training:
            out["aux_logits"] = logits[:-1]
            if cfg["bcl"]:
                out["bcl_enh"] = self.bcl_enh(a_enh[:, 0]).reshape(B, T, -1)
                out["bcl_orig"] = self.bcl_orig(a_orig[:, 0]).reshape(B, T, -1)
        return out


class ISNetFeatures(nn.Module):
    """The frozen IS-Net (DIS) encoder-decoder as a backbone (models/realavs/isnet.py). Input:
    [hx4d, hx5d, hx6, sal_logit]: IS-Net's decoder maps at strides 16 and 32, its top encoder map
    at 64, and its side-2 saliency logit at stride 4. They fill the model's four scale slots at
    strides 16, 32, 64 and 128 (hx6 average-pooled), each with IS-Net's saliency probability
    (pooled to that scale) as one more channel: the head works coarse, what sounds, and the
    refiner takes the outline from IS-Net's stride-4 map."""

    channels = [256 + 1, 512 + 1, 512 + 1, 512 + 1]
    stride2_channels = None
    inputs = ["hx4d", "hx5d", "hx6", "sal_logit"]

    def forward(self, x):
        sal = torch.sigmoid(x[-1])
        maps = [x[0], x[1], x[2], F.avg_pool2d(x[2], 2, 2, ceil_mode=True)]
        out = [torch.cat([f, adaptive_avg_pool(sal, f.shape[-2:])], 1) for f in maps]
        return out, None


def _pool_matrix(n, m):
    """[m, n] averaging matrix of adaptive average pooling n -> m (PyTorch's windows:
    floor(i·n/m) .. ceil((i+1)·n/m))."""
    P = torch.zeros(m, n)
    for i in range(m):
        a, b = (i * n) // m, -(-((i + 1) * n) // m)
        P[i, a:b] = 1.0 / (b - a)
    return P


def _resize_to(x, size):
    """Bilinear to size, up (IS-Net at 512: 32 -> 40) or down (at 768: 48 -> 40) alike."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(int(v) for v in size), mode="bilinear", align_corners=False)


def adaptive_avg_pool(x, size):
    """F.adaptive_avg_pool2d as two constant matrix products: exportable to ONNX for any sizes
    (torch 1.13 exports adaptive pooling only when the output divides the input)."""
    h, w = int(x.shape[-2]), int(x.shape[-1])
    H, W = int(size[0]), int(size[1])
    if h % H == 0 and w % W == 0:
        return F.adaptive_avg_pool2d(x, (H, W))
    return _pool_matrix(h, H).to(x) @ x @ _pool_matrix(w, W).to(x).t()


class SaliencyRefiner(nn.Module):
    """Final mask at IS-Net's stride 4: the head's logits (upsampled x2) and IS-Net's saliency
    logit, fused by three small convs (residual on the upsampled head logits). The head decides
    what sounds; IS-Net's stride-4 map gives the outline.

    ``gate`` k > 0 (inference; no parameters): the output is IS-Net's own saliency logit where the
    head's mask, dilated by a k x k max-pool, says something sounds: ``min(sal, maxpool_k(out))``.
    IS-Net's outline is sharper than the head's at the same input size (real-dev DAVIS at 768²:
    IS-Net 0.746, head 0.663, gated 0.730); the head still decides what sounds (silence: empty)."""

    def __init__(self, c=16, skip=False, gate=0, union=None, grow=None):
        super().__init__()
        # union tau (config tiny_isnet, inference): max(gated, out - tau): IS-Net's outline where the head
        # says it sounds, plus the head's own mask where it is sure beyond tau (objects IS-Net misses)
        self.union = union
        # grow (steps, below) (inference, with the union): the head's mask completed over IS-Net's salient
        # region where the head is not sure it is silent (its logit above -below), by a geodesic dilation
        # of `steps` 3x3 steps (grow_logits)
        self.grow = tuple(grow) if grow else None
        self.net = nn.Sequential(nn.Conv2d(3, c, 3, 1, 1), nn.ReLU(True), nn.Conv2d(c, c, 3, 1, 1), nn.ReLU(True),
                                 nn.Conv2d(c, 1, 1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)
        self.skip = skip     # also add IS-Net's logit itself: the head learns corrections to it
        self.gate = int(gate)

    def forward(self, lg, sal_logit):
        up = F.interpolate(lg, size=sal_logit.shape[-2:], mode="bilinear", align_corners=False)
        sl = sal_logit.clamp(-12, 12)
        out = up + self.net(torch.cat([up, sl, torch.sigmoid(sl)], 1))
        out = out + sl if self.skip else out
        if self.gate:
            g = gate_logits(sl, out, self.gate)
            own = out
            out = g if self.union is None else torch.maximum(g, out - self.union)
            if self.grow:
                out = grow_logits(sl, own, out, *self.grow)
        return out


def grow_logits(sal_logit, own, out, steps, below):
    """IS-Net's outline completes the head's mask: from the head's own mask (``own`` > 0), a geodesic
    dilation of ``steps`` 3x3 steps within the pixels IS-Net calls salient (sal > 0) where the head is not
    sure it is silent (own > -below); there the output is at least IS-Net's logit. A head that draws a
    patch on a person's chest gets the person IS-Net outlines around it; silence (no own mask) stays empty."""
    allow = ((sal_logit > 0) & (own > -below)).float()
    m = (own > 0).float() * allow
    for _ in range(int(steps)):
        m = F.max_pool2d(m, 3, 1, 1) * allow
    return torch.where(m > 0, torch.maximum(out, sal_logit), out)


def gate_logits(sal_logit, out, k):
    """IS-Net's saliency logit where the mask dilated by a k x k max-pool says it sounds: min(sal, maxpool_k(out))."""
    return torch.minimum(sal_logit, F.max_pool2d(out, k, 1, k // 2))


class FeatureExportWrapper(nn.Module):
    """The head's ONNX graph for a frozen-feature backbone: IS-Net features of T frames and
    audio_log_mel [T,1,96,64] -> mask_logits; merged after the IS-Net graph (realavs/release.py)."""

    def __init__(self, model, names):
        super().__init__()
        self.model = model
        self.names = list(names)

    def forward(self, *args):
        feats, audio = list(args[:-1]), args[-1]
        return self.model([f[None] for f in feats], audio[None])["mask_logits"]


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def tiny_input(x, size=160):
    """Frames [N, 3, S, S] in [0, 1] (S a multiple of 256) -> the tiny backbone's input: box-averaged
    to 256, bilinear to size, ImageNet-normalised. Training (train_head.tiny_frames) and the graph
    (TinyISNetExportWrapper) both go through here."""
    k = int(x.shape[-1]) // 256
    if k > 1:
        x = F.avg_pool2d(x, k, k)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    m = torch.tensor(IMAGENET_MEAN, dtype=x.dtype).reshape(1, 3, 1, 1)
    s = torch.tensor(IMAGENET_STD, dtype=x.dtype).reshape(1, 3, 1, 1)
    return (x - m) / s


class TinyISNetExportWrapper(nn.Module):
    """The head's ONNX graph for config tiny_isnet: IS-Net features of T frames, audio_log_mel
    [T,1,96,64] and the app's frames [T,3,H,W] (normalised for IS-Net with ``in_mean``/``in_std``) ->
    mask_logits. The frames become the tiny backbone's input as in training (``tiny_input``)."""

    def __init__(self, model, in_mean, in_std, size=160):
        super().__init__()
        self.model = model
        self.size = size
        self.register_buffer("a", torch.tensor(in_std, dtype=torch.float32).reshape(1, 3, 1, 1), persistent=False)
        self.register_buffer("b", torch.tensor(in_mean, dtype=torch.float32).reshape(1, 3, 1, 1), persistent=False)

    def forward(self, hx4d, hx5d, hx6, sal_logit, audio, frames):
        x = tiny_input(frames * self.a + self.b, self.size)
        feats = [f[None] for f in (hx4d, hx5d, hx6, sal_logit)]
        return self.model((x[None], feats), audio[None])["mask_logits"]


class ExportWrapper(nn.Module):
    """The app's ONNX contract: frames [T,3,H,W], audio_log_mel [T,1,96,64] -> mask_logits [T,K,h,w]."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, frames, audio_log_mel):
        return self.model(frames[None], audio_log_mel[None])["mask_logits"]


def build_model(cfg):
    return CCFormer(cfg)
