"""Pure-PyTorch multi-scale deformable attention vs a direct loop."""
import torch

from models.ccformer.attention import MSDeformAttn, deform_attn_loop_reference, ms_deform_attn_core_pytorch


def test_core_matches_loop():
    g = torch.Generator().manual_seed(0)
    shapes = [(5, 6), (3, 3), (2, 1)]
    N, M, D, Lq, P = 2, 2, 3, 4, 3
    S = sum(h * w for h, w in shapes)
    value = torch.randn(N, S, M, D, generator=g, dtype=torch.float64)
    # include locations outside [0,1] to exercise zero padding
    loc = torch.rand(N, Lq, M, len(shapes), P, 2, generator=g, dtype=torch.float64) * 1.4 - 0.2
    aw = torch.softmax(torch.randn(N, Lq, M, len(shapes) * P, generator=g, dtype=torch.float64), -1)
    aw = aw.reshape(N, Lq, M, len(shapes), P)
    fast = ms_deform_attn_core_pytorch(value, shapes, loc, aw)
    ref = deform_attn_loop_reference(value, shapes, loc, aw)
    assert fast.shape == (N, Lq, M * D)
    assert torch.allclose(fast, ref, atol=1e-10)


def test_module_sampling_at_reference_point():
    """With zero offsets and one point, attention reads the bilinear value at the reference point."""
    torch.manual_seed(0)
    m = MSDeformAttn(4, 1, 1, 1).double()
    with torch.no_grad():
        m.sampling_offsets.bias.zero_()
        m.value_proj.weight.copy_(torch.eye(4))
        m.output_proj.weight.copy_(torch.eye(4))
    v = torch.randn(1, 12, 4, dtype=torch.float64)   # 3x4 map
    ref = torch.tensor([[[[(1 + 0.5) / 4, (2 + 0.5) / 3]]]], dtype=torch.float64)  # pixel (y=2, x=1)
    out = m(torch.randn(1, 1, 4, dtype=torch.float64), ref, v, [(3, 4)])
    assert torch.allclose(out[0, 0], v[0, 2 * 4 + 1], atol=1e-12)
