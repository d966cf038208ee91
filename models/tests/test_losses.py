"""Losses: Dice, BCL on hand-made pairs, official metrics sanity."""
import math

import torch

from models.ccformer.losses import bcl_loss, dice_loss
from models.ccformer.metrics import _eval_pr, _eval_pr_loop, eval_fmeasure, mask_iou


def test_dice():
    t = torch.zeros(1, 4, 4)
    t[0, :2] = 1
    big = 50.0
    assert dice_loss((t * 2 - 1) * big, t) < 1e-6
    assert dice_loss(-(t * 2 - 1) * big, t) > 0.8
    # empty target, empty prediction -> 0 loss thanks to smoothing
    assert dice_loss(torch.full((1, 4, 4), -big), torch.zeros(1, 4, 4)) < 1e-6


def _manual_infonce(e, o, tau, B, T):
    e = torch.nn.functional.normalize(e.reshape(B * T, -1), dim=-1)
    o = torch.nn.functional.normalize(o.reshape(B * T, -1), dim=-1)
    tot = 0.0
    for i in range(B * T):
        bi = i // T
        num = math.exp(float(e[i] @ o[i]) / tau)
        den = num + sum(math.exp(float(e[i] @ o[j]) / tau) for j in range(B * T) if j // T != bi)
        tot += -math.log(num / den)
    return tot / (B * T)


def test_bcl_hand_made_pairs():
    # B=2 clips, T=2 frames; 4 orthogonal audio embeddings
    o = torch.eye(4).reshape(2, 2, 4)
    good = o.clone()                          # enhanced == original -> positives aligned
    bad = torch.flip(o, dims=[0])             # each frame matches the other clip's frame (a negative)
    tau = 0.1
    lg, lb = bcl_loss(good, o, tau), bcl_loss(bad, o, tau)
    assert lg < 1e-3
    assert lb > 5.0
    # exact value against a hand-written InfoNCE
    assert abs(float(lg) - _manual_infonce(good, o, tau, 2, 2)) < 1e-5
    assert abs(float(lb) - _manual_infonce(bad, o, tau, 2, 2)) < 1e-4
    # hand-computed: aligned pair sim 1/tau = 10 vs two negatives at 0 -> -log(e^10/(e^10+2))
    assert abs(float(lg) - (-math.log(math.exp(10) / (math.exp(10) + 2)))) < 1e-6
    # same-clip other frames are excluded (not negatives): making them identical changes nothing
    o2 = torch.tensor([[[1.0, 0], [1.0, 0]], [[0, 1.0], [0, 1.0]]])
    assert bcl_loss(o2, o2, tau) < 1e-3


def test_official_metrics():
    gt = torch.zeros(2, 8, 8)
    gt[0, 2:6, 2:6] = 1
    perfect = gt * 20 - 10
    assert abs(mask_iou(perfect, gt) - 1.0) < 1e-6          # frame 2 empty -> IoU of background = 1
    assert abs(eval_fmeasure(perfect, gt) - 1.0) < 1e-6
    half = perfect.clone()
    half[0, 2:4, 2:6] = -10
    assert abs(mask_iou(half, gt) - (0.5 + 1.0) / 2) < 1e-6


def test_vectorised_pr_equals_official_loop():
    g = torch.Generator().manual_seed(0)
    p = torch.rand(40, 40, generator=g)
    y = (torch.rand(40, 40, generator=g) > 0.6).float()
    a, b = _eval_pr(p, y, 255), _eval_pr_loop(p, y, 255)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
