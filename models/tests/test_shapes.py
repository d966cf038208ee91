"""Module shapes for each block, T = 5 and T = 10."""
import pytest
import torch

from models.ccformer import build_model, get_config
from models.ccformer.backbones import PVTv2, ResNet50, TinyCNN, TinyVGGish, VGGish
from models.ccformer.model import (EIM, AQGLayer, CrossModalFPN, DeformEncoderLayer, DynamicMaskHead, ICILayer,
                                   ITILayer, encoder_reference_points, sine_pos)

d, H = 32, 4


@pytest.mark.parametrize("T", [5, 10])
def test_blocks(T):
    torch.manual_seed(0)
    B = 2
    BT = B * T
    feats = [torch.randn(BT, d, s, s) for s in (16, 8, 4, 2)]
    a = torch.randn(BT, 1, d)
    eim = EIM(d, H, 64)
    fe, ae = eim(feats, a)
    assert [f.shape for f in fe] == [f.shape for f in feats] and ae.shape == (BT, 1, d)
    shapes = [(8, 8), (4, 4), (2, 2)]
    S = sum(h * w for h, w in shapes)
    src = torch.randn(BT, S, d)
    pos = torch.cat([sine_pos(h, w, d, "cpu") for h, w in shapes])[None]
    assert pos.shape == (1, S, d)
    ref = encoder_reference_points(shapes, 3, "cpu")
    assert ref.shape == (1, S, 3, 2)
    mem = DeformEncoderLayer(d, H, 64, 3, 4)(src, pos, ref, shapes)
    assert mem.shape == (BT, S, d)
    q = AQGLayer(d, H, 64)(torch.randn(BT, 5, d), ae)
    assert q.shape == (BT, 5, d)
    qpos = torch.randn(BT, 5, d)
    refq = torch.rand(BT, 5, 2)
    for use in (True, False):
        t = ICILayer(d, H, 64, 3, 4, use_memory=use)(q, qpos, refq, mem, shapes)
        assert t.shape == (BT, 5, d)
    intra, inter = ITILayer(d, H, 64, T)(t.reshape(B, T, 5, d), torch.randn(B, 5, d))
    assert intra.shape == (B, T, 5, d) and inter.shape == (B, 5, d)
    fpn = CrossModalFPN(d, H, 8, stride2_channels=6)
    mf = fpn(torch.randn(BT, d, 8, 8), torch.randn(BT, d, 4, 4), torch.randn(BT, d, 2, 2), torch.randn(BT, d, 16, 16),
             a, torch.randn(BT, 6, 32, 32))
    assert mf.shape == (BT, 8, 32, 32)
    out = DynamicMaskHead(d, 8, 5, 3)(torch.randn(BT, 5, d), mf)
    assert out.shape == (BT, 3, 32, 32)


def test_backbones():
    x = torch.randn(2, 3, 64, 64)
    f, f2 = TinyCNN()(x)
    assert [t.shape[-1] for t in f] == [16, 8, 4, 2] and f2.shape[-1] == 32
    f, _ = ResNet50()(x)
    assert [tuple(t.shape[1:]) for t in f] == [(256, 16, 16), (512, 8, 8), (1024, 4, 4), (2048, 2, 2)]
    f, _ = PVTv2(depths=(1, 1, 1, 1))(x)
    assert [tuple(t.shape[1:]) for t in f] == [(64, 16, 16), (128, 8, 8), (320, 4, 4), (512, 2, 2)]
    a = torch.randn(3, 1, 96, 64)
    assert VGGish()(a).shape == (3, 128)
    assert TinyVGGish()(a).shape == (3, 128)


@pytest.mark.parametrize("T", [5, 10])
@pytest.mark.parametrize("task", ["binary", "semantic"])
def test_full_model(T, task):
    cfg = get_config("tiny", input_size=[64, 64], clip_frames=T, task=task, num_classes=7 if task == "semantic" else None)
    m = build_model(cfg)
    f = torch.randn(2, T, 3, 64, 64)
    a = torch.randn(2, T, 1, 96, 64)
    m.train()
    o = m(f, a)
    K = 1 if task == "binary" else 7
    assert o["mask_logits"].shape == (2 * T, K, 32, 32)
    assert len(o["aux_logits"]) == 2
    assert o["bcl_enh"].shape == (2, T, 128)
    m.eval()
    with torch.no_grad():
        assert m(f, a)["mask_logits"].shape == (2 * T, K, 32, 32)


@pytest.mark.parametrize("abl", ["eim", "ici", "iti", "bcl"])
def test_ablations(abl):
    cfg = get_config("tiny", input_size=[64, 64], **{abl: False})
    m = build_model(cfg).train()
    o = m(torch.randn(2, 5, 3, 64, 64), torch.randn(2, 5, 1, 96, 64))
    assert o["mask_logits"].shape == (10, 1, 32, 32)
    if abl == "eim":
        assert m.eim is None
    if abl == "iti":
        assert not hasattr(m, "iti")
    if abl == "bcl":
        assert "bcl_enh" not in o


def test_paper_size_stride4():
    cfg = get_config("resnet50", input_size=[64, 64])
    m = build_model(cfg).eval()
    with torch.no_grad():
        o = m(torch.randn(1, 5, 3, 64, 64), torch.randn(1, 5, 1, 96, 64))
    assert o["mask_logits"].shape == (5, 1, 16, 16)
