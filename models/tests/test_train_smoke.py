"""A few training steps on a fixed batch must reduce the loss."""
import torch

from models.ccformer import build_model, get_config
from models.ccformer.losses import segmentation_loss


def test_smoke_training_reduces_loss():
    torch.manual_seed(0)
    cfg = get_config("tiny", input_size=[64, 64])
    m = build_model(cfg).train()
    opt = torch.optim.AdamW(m.parameters(), lr=2e-3)
    f = torch.randn(2, 5, 3, 64, 64)
    a = torch.randn(2, 5, 1, 96, 64)
    tgt = torch.zeros(10, 32, 32)
    tgt[:, 8:20, 10:24] = 1
    losses = []
    for _ in range(12):
        out = m(f, a)
        loss, _ = segmentation_loss(out, tgt, cfg, bce_weight=1.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0], losses
