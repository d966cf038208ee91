"""Losses: Dice (per frame), BCE, per-pixel CE for semantic, and Bi-modal Contrastive Learning."""
import torch
import torch.nn.functional as F


def dice_loss(logits, target, eps=1.0):
    """logits/target [N, H, W] (target in {0,1}); mean over frames of 1 - (2|P∩G|+eps)/(|P|+|G|+eps)."""
    p = torch.sigmoid(logits).flatten(1)
    t = target.flatten(1)
    return (1 - (2 * (p * t).sum(1) + eps) / (p.sum(1) + t.sum(1) + eps)).mean()


def bce_loss(logits, target):
    return F.binary_cross_entropy_with_logits(logits, target)


def bcl_loss(enh, orig, tau=0.1):
    """Bi-modal contrastive (InfoNCE), frame level.
    enh, orig: [B, T, D] projected enhanced audio / original audio features.
    For frame (b,t) the positive is orig[b,t]; negatives are orig[b',t'] of the other clips b' != b
    (frames of the same clip are excluded: they are neither positive nor negative)."""
    B, T, D = enh.shape
    e = F.normalize(enh.reshape(B * T, D), dim=-1)
    o = F.normalize(orig.reshape(B * T, D), dim=-1)
    sim = e @ o.t() / tau                                     # [BT, BT]
    clip = torch.arange(B, device=enh.device).repeat_interleave(T)
    same_clip = clip[:, None] == clip[None, :]
    eye = torch.eye(B * T, dtype=torch.bool, device=enh.device)
    sim = sim.masked_fill(same_clip & ~eye, float("-inf"))    # drop same-clip non-positives
    return F.cross_entropy(sim, torch.arange(B * T, device=enh.device))


def segmentation_loss(out, target, cfg, bce_weight=0.0):
    """out: model training output; target [B*T, H, W] (binary float or semantic long), at the
    logits' resolution. Returns (total, dict of parts). Σ over decoder stages of the mask loss."""
    parts = {}
    total = 0.0
    for i, lg in enumerate(out["aux_logits"] + [out["mask_logits"]]):
        if cfg["task"] == "binary":
            l = dice_loss(lg[:, 0], target)
            if bce_weight:
                l = l + bce_weight * bce_loss(lg[:, 0], target)
        else:
            l = F.cross_entropy(lg, target)
        total = total + l
    parts["mask"] = float(total)
    if cfg["bcl"] and cfg["task"] == "binary" and out.get("bcl_enh") is not None and out["bcl_enh"].shape[0] > 1:
        b = bcl_loss(out["bcl_enh"], out["bcl_orig"], cfg["bcl_tau"])
        parts["bcl"] = float(b)
        total = total + cfg["bcl_lambda"] * b
    return total, parts
