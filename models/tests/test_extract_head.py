"""models/realavs/extract_head.py: the CCFormer head's weights come back out of a released graph
(fp16-stored initializers, constant-folded positions + level embedding, Conv+BatchNorm folded in the
audio encoder) and give the same masks as the head that was exported."""
import json

import pytest
import torch

onnx = pytest.importorskip("onnx")

from models.ccformer.config import get_config  # noqa: E402
from models.ccformer.model import build_model  # noqa: E402
from models.realavs import extract_head, release  # noqa: E402


def test_extracted_head_matches_the_exported_one(tmp_path):
    torch.manual_seed(0)
    # a small head (one layer of each kind) at 128², to keep the three exports short
    cfg = get_config("isnet", input_size=[128, 128], enc_layers=1, ici_layers=1, iti_layers=1, aqg_layers=1)
    cfg.update(refine_skip=True, output_gate=7)
    model = build_model(cfg).eval()
    with torch.no_grad():       # trained-looking values: nothing left at its initial 0 / 1
        for n, p in model.named_parameters():
            p.add_(torch.randn_like(p) * 0.05)
        for n, b in model.named_buffers():
            if n.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.3)
            elif n.endswith("running_var"):
                b.copy_(torch.rand_like(b) + 0.5)
    head = tmp_path / "head.onnx"
    release.export_head(model, cfg, str(head))
    m = release.fp16_storage(onnx.load(str(head)))   # as release.py stores it
    path = tmp_path / "released.onnx"
    onnx.save(m, str(path))
    card = tmp_path / "card.json"
    json.dump({"version": "9.9.9", "architecture": cfg, "training": {"steps": 3}}, open(card, "w"))

    ck = extract_head.extract(str(path), str(card))
    assert ck["unused"] and all(u.startswith("bcl_") for u in ck["unused"])   # training-only, not in the graph
    got = build_model(ck["cfg"]).eval()
    got.load_state_dict(ck["model"])
    feats, audio = release.head_inputs(cfg, seed=3)
    with torch.no_grad():
        want = model([f[None] for f in feats], audio[None])["mask_logits"]
        out = got([f[None] for f in feats], audio[None])["mask_logits"]
    # fp16 storage of the large initializers is the only difference
    assert torch.allclose(out, want, atol=2e-2, rtol=0), float((out - want).abs().max())
    assert ((out > 0) == (want > 0)).float().mean() > 0.99
    # a parameter it could not place is an error, not a silent fresh value
    bad = onnx.load(str(path))
    for i in bad.graph.initializer:
        if i.name.startswith("model.input_proj.0.0.weight"):
            i.name = "renamed"
    onnx.save(bad, str(path))
    with pytest.raises(SystemExit, match="not recovered: .*input_proj"):
        extract_head.extract(str(path), str(card))
