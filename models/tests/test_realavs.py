"""models/realavs: IS-Net graph surgery, the release merge, the head on frozen features, training."""
import json
import math
import os

import numpy as np
import pytest
import torch

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from models.ccformer.config import get_config  # noqa: E402
from models.ccformer.model import ISNetFeatures, build_model  # noqa: E402
from models.realavs import isnet, release  # noqa: E402


def _isnet_like():
    """input [N,3,1024,1024] -> conv (fp16 weights, Cast) -> maxpool/2 -> Resize to a traced [512,512]
    through Concat(Slice(Shape(x), 0, 2), Constant[512,512]), as IS-Net's ONNX export does."""
    w = numpy_helper.from_array(np.ones((2, 3, 1, 1), np.float16), "w")
    nodes = [
        helper.make_node("Cast", ["input"], ["x16"], to=TensorProto.FLOAT16),
        helper.make_node("Conv", ["x16", "w"], ["c"]),
        helper.make_node("MaxPool", ["c"], ["p"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
        helper.make_node("Cast", ["p"], ["p32"], to=TensorProto.FLOAT),
        helper.make_node("Shape", ["p32"], ["s"]),
        helper.make_node("Constant", [], ["z"], value=numpy_helper.from_array(np.array([0], np.int64))),
        helper.make_node("Constant", [], ["two"], value=numpy_helper.from_array(np.array([2], np.int64))),
        helper.make_node("Slice", ["s", "z", "two", "z"], ["nc"]),
        helper.make_node("Constant", [], ["hw"], value=numpy_helper.from_array(np.array([1024, 1024], np.int64))),
        helper.make_node("Concat", ["nc", "hw"], ["sizes"], axis=0),
        helper.make_node("Resize", ["p32", "", "", "sizes"], ["output"], mode="linear"),
    ]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 1024, 1024])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 2, 1024, 1024])], [w])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)])


def test_to_fp32_and_set_size_rescale_the_traced_resize_targets():
    m = isnet.to_fp32(_isnet_like())
    assert not [n for n in m.graph.node if n.op_type == "Cast"]
    assert all(i.data_type == TensorProto.FLOAT for i in m.graph.initializer)
    assert m.graph.output[0].name == "output" and m.graph.node[-1].output[0] == "output"
    m = isnet.set_size(m, 384, 672)
    const = [n for n in m.graph.node if n.output[0] == "hw"][0]
    assert list(numpy_helper.to_array(const.attribute[0].t)) == [384, 672]
    d = m.graph.input[0].type.tensor_type.shape.dim
    assert (d[2].dim_value, d[3].dim_value) == (384, 672)
    # ceil(v·H/1024) is the size ceil-mode pooling gives: 1024/2^k -> ceil(H/2^k)
    for H in (320, 448, 500, 512, 576):
        for k in range(7):
            assert math.ceil((1024 >> k) * H / 1024) == -(-H // (1 << k))


def test_fp16_storage_casts_large_initializers_back_to_fp32():
    a = np.linspace(-1, 1, 4096, dtype=np.float32).reshape(64, 64)
    g = helper.make_graph([helper.make_node("MatMul", ["x", "big"], ["y"])], "t",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
                          [numpy_helper.from_array(a, "big"), numpy_helper.from_array(np.ones(3, np.float32), "small")])
    m = release.fp16_storage(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    onnx.checker.check_model(m)
    inits = {i.name: i for i in m.graph.initializer}
    assert inits["big_fp16"].data_type == TensorProto.FLOAT16 and inits["small"].data_type == TensorProto.FLOAT
    cast = m.graph.node[0]
    assert cast.op_type == "Cast" and list(cast.output) == ["big"]
    assert np.array_equal(numpy_helper.to_array(inits["big_fp16"]), a.astype(np.float16))


def _feats(B, T, H=512, seed=0):
    g = torch.Generator().manual_seed(seed)
    sh = {"hx4d": (256, 16), "hx5d": (512, 32), "hx6": (512, 64), "sal_logit": (1, 4)}
    return [torch.randn(B, T, sh[k][0], H // sh[k][1], H // sh[k][1], generator=g) for k in ISNetFeatures.inputs]


def test_head_on_isnet_features_shapes_and_audio_dependence():
    torch.manual_seed(0)
    cfg = get_config("isnet")
    model = build_model(cfg).eval()
    f = _feats(1, 5)
    a = torch.randn(1, 5, 1, 96, 64)
    with torch.no_grad():
        out = model(f, a)["mask_logits"]
        out2 = model(f, torch.full_like(a, math.log(0.01)))["mask_logits"]
    assert out.shape == (5, 1, 128, 128)
    assert not torch.allclose(out, out2), "the masks must depend on the sound"


def _standin_feature_graph(S):
    """A stand-in IS-Net feature graph: IS-Net's output names and strides for an S x S input."""
    nodes, outs, inits = [], [], []
    for k, (c, s) in {"hx4d": (256, 16), "hx5d": (512, 32), "hx6": (512, 64), "sal_logit": (1, 4)}.items():
        inits.append(numpy_helper.from_array(np.full((c, 3, 1, 1), 0.01, np.float32), "w_" + k))
        nodes.append(helper.make_node("Conv", ["input", "w_" + k], [k], strides=[s, s]))
        outs.append(helper.make_tensor_value_info(k, TensorProto.FLOAT, [5, c, S // s, S // s]))
    g = helper.make_graph(nodes, "f", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [5, 3, S, S])], outs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)])


def test_release_merges_isnet_and_head_into_the_app_contract(tmp_path):
    """merged() on a small IS-Net-like feature graph: inputs frames + audio_log_mel, output mask_logits."""
    cfg = get_config("isnet", input_size=[128, 128])
    model = build_model(cfg).eval()
    hp = str(tmp_path / "head.onnx")
    release.export_head(model, cfg, hp)
    m = release.fp16_storage(release.merged(_standin_feature_graph(128), hp))
    onnx.checker.check_model(m)
    assert [i.name for i in m.graph.input] == ["frames", "audio_log_mel"]
    assert [o.name for o in m.graph.output] == ["mask_logits"]
    assert not any(x == "input" for n in m.graph.node for x in n.input)


def _random_set(d, n, S, seed, frames=False):
    """A set in build.py's format (random masks, log-mel, IS-Net features; frames if asked)."""
    M = S // 4
    os.makedirs(d)
    rng = np.random.default_rng(seed)
    np.save(d / "masks.npy", (rng.random((n, 5, M, M)) > 0.7).astype(np.uint8))
    np.save(d / "logmel.npy", rng.standard_normal((n, 5, 1, 96, 64)).astype(np.float32))
    if frames:
        np.save(d / "frames.npy", rng.integers(0, 256, (n, 5, S, S, 3), dtype=np.uint8))
    for k, s in isnet.FEATURE_STRIDES.items():
        rng.standard_normal((n, 5, isnet.FEATURE_CHANNELS[k], S // s, S // s)).astype(np.float16).tofile(d / (k + ".f16"))
    json.dump(dict(n=n, size=S, mask_size=M, T=5, clips=[{}] * n), open(d / "meta.json", "w"))
    return d


def test_train_head_runs_on_a_tiny_feature_set(tmp_path):
    """build.py's set format -> train_head.main for a few steps -> best.pt that loads."""
    from models.realavs import build as B
    from models.realavs import train_head
    n, S = 3, 512
    d = _random_set(tmp_path / "tiny", n, S, seed=0)
    s = B.load_set(str(d))
    assert s["feats"]["hx6"].shape == (n, 5, 512, 8, 8)
    out = tmp_path / "run"
    train_head.main(["--data", str(tmp_path), "--train", "tiny", "--val", "tiny", "--out", str(out), "--batch", "2",
                     "--steps", "2", "--eval-every", "2", "--warmup", "1"])
    ck = torch.load(out / "best.pt", map_location="cpu")
    assert ck["step"] == 2 and "tiny" in ck["val"]
    rec = json.load(open(out / "training.json"))
    assert rec["steps"] == 2

    # --audio-init: the shipped tiny model's audio encoder and projection replace the head's
    # (--freeze-audio keeps them, BatchNorm statistics included); --eval-gate scores the gated output.
    tiny = os.path.join(os.path.dirname(__file__), "..", "ccformer-tiny-s4.pt")
    src = torch.load(tiny, map_location="cpu")["state_dict"]
    out2 = tmp_path / "run-audio"
    train_head.main(["--data", str(tmp_path), "--train", "tiny", "--val", "tiny", "--out", str(out2), "--batch", "2",
                     "--steps", "2", "--eval-every", "2", "--warmup", "1", "--audio-init", tiny, "--freeze-audio",
                     "--refine-skip", "--eval-gate", "7"])
    got = torch.load(out2 / "best.pt", map_location="cpu")["model"]
    for k in ("audio_enc.features.0.0.weight", "audio_enc.fc.2.weight", "audio_enc.features.6.1.running_mean"):
        assert torch.equal(got[k].float(), src[k].float()), k
    assert not torch.equal(got["audio_proj.weight"].float(), src["audio_proj.weight"].float())   # trained on
    # an audio checkpoint of other widths is refused by name
    bad = tmp_path / "bad.pt"
    torch.save({"model": {"audio_enc.inp.weight": torch.ones(1)}}, bad)
    with pytest.raises(SystemExit, match="no audio_enc"):
        train_head.main(["--data", str(tmp_path), "--train", "tiny", "--val", "tiny", "--out", str(tmp_path / "x"),
                         "--steps", "1", "--audio-init", str(bad)])


def test_adaptive_pool_matches_torch_for_sizes_that_do_not_divide():
    import torch.nn.functional as F
    from models.ccformer.model import adaptive_avg_pool
    x = torch.rand(2, 1, 144, 144)
    for size in ((5, 5), (9, 9), (36, 36), (7, 11)):
        assert torch.allclose(adaptive_avg_pool(x, size), F.adaptive_avg_pool2d(x, size), atol=1e-6)


def test_refine_skip_starts_from_isnet_logit():
    """With refine_skip the refined mask is IS-Net's logit plus the head's correction."""
    from models.ccformer.model import SaliencyRefiner
    r = SaliencyRefiner(skip=True)
    lg = torch.zeros(2, 1, 8, 8)
    sl = torch.randn(2, 1, 32, 32)
    assert torch.allclose(r(lg, sl), sl.clamp(-12, 12))      # zero-initialised last conv, zero head
    assert torch.allclose(SaliencyRefiner(skip=False)(lg, sl), torch.zeros(2, 1, 32, 32))


TINY_CK = os.path.join(os.path.dirname(__file__), "..", "ccformer-tiny-s4.pt")


def _tiny_isnet_from_tiny():
    from models.realavs import train_head  # noqa: F401  (same loading rule as train_head --init)
    model = build_model(get_config("tiny_isnet"))
    sd = torch.load(TINY_CK, map_location="cpu")["state_dict"]
    missing, unexpected = model.load_state_dict({k: v.float() for k, v in sd.items()}, strict=False)
    assert not unexpected and all(k.startswith(("isnet_proj.", "refine.")) for k in missing)
    return model.eval()


def test_tiny_isnet_starts_as_the_shipped_tiny_model():
    """Config tiny_isnet from the tiny checkpoint: IS-Net's maps enter through zero-initialised
    projections and the refiner's last conv is zero, so the output is the tiny model's own mask
    (upsampled to IS-Net's stride 4) whatever IS-Net says: training starts from what the tiny model knows."""
    import torch.nn.functional as F
    torch.manual_seed(0)
    model = _tiny_isnet_from_tiny()
    tiny = build_model(get_config("tiny"))
    tiny.load_state_dict({k: v.float() for k, v in torch.load(TINY_CK, map_location="cpu")["state_dict"].items()})
    tiny.eval()
    frames = torch.randn(1, 5, 3, 160, 160)
    a = torch.randn(1, 5, 1, 96, 64) * 2 - 3
    with torch.no_grad():
        got = model((frames, _feats(1, 5)), a)["mask_logits"]
        got2 = model((frames, [f * 3 + 1 for f in _feats(1, 5)]), a)["mask_logits"]
        want = F.interpolate(tiny(frames, a)["mask_logits"], size=(128, 128), mode="bilinear", align_corners=False)
    assert got.shape == (5, 1, 128, 128)
    assert torch.allclose(got, want, atol=1e-5)
    assert torch.allclose(got, got2, atol=1e-5)
    # once the projections carry weight, IS-Net's maps change the mask
    with torch.no_grad():
        for p in model.isnet_proj:
            p.weight.normal_(0, 0.05)
        assert not torch.allclose(model((frames, _feats(1, 5)), a)["mask_logits"], got, atol=1e-3)


def test_union_output_adds_the_heads_sure_pixels_to_the_gated_saliency():
    from models.ccformer.model import SaliencyRefiner
    r = SaliencyRefiner(gate=3, union=2.0)
    lg = torch.full((1, 1, 4, 4), -8.0)
    lg[0, 0, 0, 0] = 9.0                    # the head is sure here, IS-Net is not
    sl = torch.full((1, 1, 8, 8), -5.0)
    sl[0, 0, 6, 6] = 4.0                    # IS-Net is sure here, the head is not
    out = r(lg, sl)
    assert out[0, 0, 0, 0] > 0               # the head's own mask, beyond IS-Net's outline
    assert out[0, 0, 6, 6] < 0               # gated: IS-Net alone does not make a mask
    r.union = None
    assert r(lg, sl)[0, 0, 0, 0] < 0         # gated only: IS-Net says no


def test_grow_completes_the_heads_mask_over_isnets_salient_region_where_the_head_is_unsure():
    from models.ccformer.model import SaliencyRefiner, grow_logits
    own = torch.full((1, 1, 12, 12), -1.0)        # the head: unsure (-1) over the person ...
    own[0, 0, 5, 5] = 3.0                         # ... sure on a patch of its chest
    own[0, 0, :, 9:] = -8.0                       # and sure that the right side is silent
    sal = torch.full((1, 1, 12, 12), -6.0)
    sal[0, 0, 2:10, 2:11] = 5.0                   # IS-Net: one salient region, across both
    sal[0, 0, 0, 0] = 5.0                         # and a separate salient speck
    out = own.clone()
    got = grow_logits(sal, own, out, steps=16, below=3.0)
    want = torch.zeros(12, 12, dtype=torch.bool)
    want[2:10, 2:9] = True                        # the salient region where the head is not sure it is silent
    assert torch.equal(got[0, 0] > 0, want)
    assert got[0, 0, 5, 5] == 5.0                 # at least IS-Net's logit there
    assert got[0, 0, 0, 0] < 0                    # not connected to the head's mask
    few = grow_logits(sal, own, out, steps=1, below=3.0)[0, 0] > 0
    assert int(few.sum()) == 9                    # one 3x3 step from the seed
    silent = torch.full_like(own, -1.0)           # no own mask (a silent second): nothing grows
    assert not (grow_logits(sal, silent, silent, steps=16, below=3.0) > 0).any()
    r = SaliencyRefiner(gate=3, union=2.0, grow=(16, 3.0))
    lg = torch.full((1, 1, 6, 6), -1.0)
    lg[0, 0, 2, 2] = 9.0
    sl = torch.full((1, 1, 12, 12), -6.0)
    sl[0, 0, 1:11, 1:11] = 5.0
    assert int((r(lg, sl) > 0).sum()) > int((SaliencyRefiner(gate=3, union=2.0)(lg, sl) > 0).sum())
    cfg = get_config("tiny_isnet", input_size=[256, 256])
    cfg.update(output_gate=7, output_union=2.0, output_grow=[16, 3.0])
    assert build_model(cfg).refine.grow == (16, 3.0)


def test_tiny_isnet_export_wrapper_reads_the_app_frames_as_training_does():
    """The head graph of config tiny_isnet takes the app's frames (normalised for IS-Net) and turns
    them into the tiny backbone's input in the graph; train_head.tiny_frames does the same on the
    stored uint8 frames: same masks."""
    from models.ccformer.model import TinyISNetExportWrapper
    from models.realavs.train_head import tiny_frames
    torch.manual_seed(0)
    model = _tiny_isnet_from_tiny()
    px = torch.randint(0, 256, (5, 512, 512, 3), dtype=torch.uint8)
    app = (px.permute(0, 3, 1, 2).float() / 255 - torch.tensor(isnet.MEAN).reshape(1, 3, 1, 1)) / torch.tensor(isnet.STD).reshape(1, 3, 1, 1)
    feats = [f[0] for f in _feats(1, 5)]
    a = torch.randn(5, 1, 96, 64)
    with torch.no_grad():
        got = TinyISNetExportWrapper(model, isnet.MEAN, isnet.STD)(*feats, a, app)
        want = model((tiny_frames(px.numpy())[None], [f[None] for f in feats]), a[None])["mask_logits"]
    assert torch.allclose(got, want, atol=1e-4)


def test_release_merge_feeds_the_frames_to_isnet_and_to_a_tiny_isnet_head(tmp_path):
    cfg = get_config("tiny_isnet", input_size=[256, 256])
    model = build_model(cfg).eval()
    hp = str(tmp_path / "head.onnx")
    release.export_head(model, cfg, hp)
    m = release.merged(_standin_feature_graph(256), hp)
    onnx.checker.check_model(m)
    assert [i.name for i in m.graph.input] == ["frames", "audio_log_mel"]
    readers = [n for n in m.graph.node if "frames" in n.input]
    assert any(n.output[0].startswith("isnet/") for n in readers) and any(not n.output[0].startswith("isnet/") for n in readers)
    assert not any(x == "input" or x == "isnet/input" for n in m.graph.node for x in n.input)


def test_train_head_tiny_isnet_reads_frames_and_keeps_the_tiny_parts_frozen(tmp_path):
    from models.realavs import train_head
    _random_set(tmp_path / "set", 2, 512, seed=1, frames=True)
    out = tmp_path / "run"
    train_head.main(["--data", str(tmp_path), "--train", "set", "--val", "set", "--out", str(out), "--batch", "2",
                     "--steps", "2", "--eval-every", "2", "--warmup", "1", "--config", "tiny_isnet", "--init", TINY_CK,
                     "--freeze-tiny", "--eval-gate", "7", "--union", "0"])
    ck = torch.load(out / "best.pt", map_location="cpu")
    src = torch.load(TINY_CK, map_location="cpu")["state_dict"]
    assert ck["cfg"]["isnet_inject"] and ck["step"] == 2
    for k in ("backbone.stem.0.0.weight", "backbone.s16.1.c1.1.running_mean", "audio_enc.features.0.0.weight"):
        assert torch.equal(ck["model"][k].float(), src[k].float()), k
    assert not torch.equal(ck["model"]["isnet_proj.0.weight"], torch.zeros_like(ck["model"]["isnet_proj.0.weight"]))


def test_deeplab_reads_a_tfjs_weights_manifest_and_folds_its_graph(tmp_path):
    """deeplab.read_weights on a TF.js folder (model.json + shards, float32/int32 in manifest order);
    Conv turns HWIO into OIHW with TF's SAME padding; a wrong tarball is refused by its sha256."""
    from models.realavs import deeplab
    d = tmp_path / "model"
    os.makedirs(d)
    a = np.arange(2 * 2 * 3 * 4, dtype=np.float32).reshape(2, 2, 3, 4)
    b = np.array([7, 9], np.int32)
    c = np.full(4, 0.5, np.float32)
    blob = a.tobytes() + b.tobytes() + c.tobytes()
    open(d / "group1-shard1of2", "wb").write(blob[:40])
    open(d / "group1-shard2of2", "wb").write(blob[40:])
    json.dump({"modelTopology": {}, "weightsManifest": [{"paths": ["group1-shard1of2", "group1-shard2of2"], "weights": [
        {"name": "w", "shape": [2, 2, 3, 4], "dtype": "float32"}, {"name": "i", "shape": [2], "dtype": "int32"},
        {"name": "o", "shape": [4], "dtype": "float32"}]}]}, open(d / "model.json", "w"))
    W = deeplab.read_weights(str(tmp_path))
    assert np.array_equal(W["w"], a) and np.array_equal(W["i"], b) and np.array_equal(W["o"], c)
    conv = deeplab.Conv(W, "w", "o", stride=2, act=None)
    x = torch.rand(1, 3, 7, 7)
    import torch.nn.functional as F
    want = F.conv2d(F.pad(x, (0, 1, 0, 1)), torch.from_numpy(a).permute(3, 2, 0, 1), torch.from_numpy(c), 2)
    assert torch.allclose(conv(x), want)        # 7 -> 4 with TF SAME: the extra row/column after
    bad = tmp_path / "x.tgz"
    bad.write_bytes(b"not the package")
    with pytest.raises(SystemExit, match="sha256"):
        deeplab.read_weights(str(bad))


def test_tuxpaint_keeps_photo_stamps_with_their_own_sound_and_masks_only_what_sounds(tmp_path):
    """A stand-in stamps folder: a photograph-like cut-out with its recording, one without, a drawing."""
    import subprocess
    from PIL import Image
    from models.realavs import gcompris, tuxpaint
    from models.realavs.scenes import T
    root = tmp_path / "stamps" / "animals"
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)

    def stamp(name, photo, sound):
        rgba = np.zeros((120, 160, 4), np.uint8)
        yy, xx = np.mgrid[:120, :160]
        inside = (yy - 60) ** 2 / 50 ** 2 + (xx - 80) ** 2 / 70 ** 2 < 1
        rgba[..., :3] = rng.integers(0, 256, (120, 160, 3)) if photo else np.array([200, 40, 40], np.uint8)
        rgba[..., 3] = inside * 255
        Image.fromarray(rgba).save(root / f"{name}.png")
        if sound:
            subprocess.run([gcompris._ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=2", "-ac", "1",
                            str(root / f"{name}.ogg")], check=True)
            # a spoken name in another language: never used as the object's sound
            subprocess.run([gcompris._ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "sine=f=220:d=1",
                            str(root / f"{name}_desc_fr.ogg")], check=True)
    stamp("dog", True, True)
    stamp("bone", True, False)
    stamp("drawing", False, True)
    A = tuxpaint.load(str(tmp_path / "stamps"), gc_dir=str(tmp_path / "none"))
    assert sorted(A["stamps"]) == ["animals/bone", "animals/dog"]
    assert list(A["sounds"]) == ["animals/dog"] and abs(len(A["sounds"]["animals/dog"]) - 32000) < 800
    bg = tmp_path / "bg_000.png"
    Image.fromarray(np.full((300, 400, 3), 90, np.uint8)).save(bg)
    B = dict(A, names=sorted(A["stamps"]), voiced=["animals/dog"], bgs=[str(bg)])
    for seed in range(6):
        f, m, lm, r = tuxpaint.multi_clip(B, np.random.default_rng(seed), 64, 16)
        assert f.shape == (T, 64, 64, 3) and m.shape == (T, 16, 16) and lm.shape[0] >= T
        assert r["kind"] == "tux_multi" and "animals/dog" in r["objects"]
        for t in range(T):
            if not r["sched"][t]:
                assert not m[t].any()        # nothing sounds: empty mask
        assert all(s in ([], ["animals/dog"]) for s in r["sched"])   # only the voiced stamp ever sounds
    # the mask is the sounding stamp's alpha where it is visible: a lone dog that sounds every second
    sched = [["animals/dog"]] * T
    f, m = tuxpaint._compose(dict(B, names=["animals/dog"]), np.random.default_rng(1), 64, 64, ["animals/dog"], [(0.5, 0.5)], sched)
    moved = (np.abs(f.astype(int) - 90).sum(-1) > 30)
    assert m.any() and (m & ~moved).mean() < 0.02 and (moved & ~m).mean() < 0.05
