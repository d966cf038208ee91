"""SynthAVS: determinism, exact masks, log-mel reference numbers, AVSBench layout."""
import json
import os
import pickle
import wave

import numpy as np
import pytest
from PIL import Image

from models.synthavs import generate as G
from models.synthavs.audio import log_mel_examples, mel_matrix
from models.synthavs.classes import AVSS_NAMES, CLASSES, avss_palette
from models.synthavs.scene import frame_times, render_frame


def test_log_mel_reference_numbers():
    W = mel_matrix()
    assert W.shape == (257, 64) and abs(W.sum() - 230.913599) < 1e-5 and (W != 0).sum() == 461
    z = log_mel_examples(np.zeros(16000))
    assert z.shape == (1, 1, 96, 64) and np.allclose(z, np.log(0.01))
    x = np.sin(2 * np.pi * 1000 * np.arange(48000) / 16000)
    e = log_mel_examples(x)
    assert e.shape == (3, 1, 96, 64)
    assert abs(e.mean() - -3.429619) < 1e-5 and abs(e.std() - 2.126577) < 1e-5
    assert np.allclose(e[0, 0, 50, 20:24], [4.775044, 2.262215, -0.589607, -1.005045], atol=1e-5)


@pytest.mark.parametrize("setting", ["s4", "ms3", "avss"])
def test_determinism(assets, setting):
    a = G.make_clip(assets, 7, setting, "train", 3)
    b = G.make_clip(assets, 7, setting, "train", 3)
    c = G.make_clip(assets, 7, setting, "train", 4)
    for k in ("frames", "masks", "audio", "idmaps"):
        assert np.array_equal(a[k], b[k])
    assert a["scene"] == b["scene"]
    assert not np.array_equal(a["frames"], c["frames"])
    T = 10 if setting == "avss" else 5
    assert a["frames"].shape == (T, 224, 224, 3) and a["audio"].shape == (T * 16000,)


@pytest.mark.parametrize("idx", range(6))
def test_mask_iff_sounding_sprite_visible(assets, idx):
    """Independent check: render each object alone; the top-most covering object (z-order) of a
    pixel must be sounding iff the mask is set there, and the frame shows that sprite's pixel."""
    setting = "ms3" if idx % 2 else "s4"
    clip = G.make_clip(assets, 1, setting, "test", idx)
    sc = clip["scene"]
    black = np.zeros((224, 224, 3), np.uint8)
    for l, t in enumerate(frame_times(sc["seconds"])):
        top = np.full((224, 224), -1)
        colour = np.zeros((224, 224, 3), np.uint8)
        for k in sc["z"]:
            solo = dict(sc, z=[k])
            img, ids = render_frame(solo, t, assets.sprites, black)
            cover = ids == k
            top[cover] = k
            colour[cover] = img[cover]
        expect = np.isin(top, sc["sched"][l]) if sc["sched"][l] else np.zeros_like(top, bool)
        assert np.array_equal(clip["masks"][l], expect)
        vis = top >= 0
        assert np.array_equal(clip["frames"][l][vis], colour[vis])
        assert np.array_equal(clip["frames"][l][~vis], clip["bg"][~vis])
    if setting == "s4":
        assert all(s == [0] for s in sc["sched"])
        assert CLASSES[sc["objects"][0]["cls"]]["s4"] is not None


def test_ms3_schedule_statistics(assets):
    scheds = [G.make_clip(assets, 0, "ms3", "train", i)["scene"]["sched"] for i in range(40)]
    flat = [s for sc in scheds for s in sc]
    assert any(len(s) == 0 for s in flat) and any(len(s) == 2 for s in flat) and any(len(s) == 1 for s in flat)
    assert sum(len(set(map(tuple, sc))) > 1 for sc in scheds) > 30      # sounding set changes


def test_split_backgrounds_disjoint(assets):
    tr = {a.tobytes()[:4096] for a in assets.backgrounds["train"]}
    te = {a.tobytes()[:4096] for a in assets.backgrounds["test"]}
    assert not tr & te


def test_avsbench_layout(tmp_path, assets):
    out = str(tmp_path / "d")
    G.generate(out, seed=3, counts={"s4": [2, 1, 1], "ms3": [1, 1, 1], "avss": [1, 0, 1]}, workers=1, video=True)
    import torch
    # S4
    rows = open(os.path.join(out, "Single-source", "s4_meta_data.csv")).read().strip().split("\n")
    assert rows[0] == "name,start,category,split" and len(rows) == 5
    name, _, cat, split = rows[-1].split(",")
    base = os.path.join(out, "Single-source", "s4_data")
    for k in range(1, 6):
        fr = Image.open(os.path.join(base, "visual_frames", split, cat, name, f"{name}_{k}.png"))
        mk = Image.open(os.path.join(base, "gt_masks", split, cat, name, f"{name}_{k}.png"))
        assert fr.size == (224, 224) and fr.mode == "RGB" and mk.mode == "L"
        assert set(np.unique(np.asarray(mk))) <= {0, 255}
    with open(os.path.join(base, "audio_log_mel", split, cat, name + ".pkl"), "rb") as f:
        t = pickle.load(f)
    assert isinstance(t, torch.Tensor) and t.requires_grad and tuple(t.shape) == (5, 1, 96, 64)
    with wave.open(os.path.join(base, "audio_wav", split, cat, name + ".wav")) as w:
        assert w.getframerate() == 16000 and w.getnframes() == 80000 and w.getsampwidth() == 2
        x = np.frombuffer(w.readframes(80000), "<i2") / 32768.0
    assert np.allclose(t.detach().numpy(), log_mel_examples(x), atol=1e-5)
    assert os.path.exists(os.path.join(base, "raw_videos", split, cat, name + ".mp4"))
    assert os.path.getsize(os.path.join(out, "raw_videos", "s4", split, name + ".mp4")) > 1000
    # MS3
    rows = open(os.path.join(out, "Multi-sources", "ms3_meta_data.csv")).read().strip().split("\n")
    assert rows[0] == "video_id,split"
    vid, split = rows[1].split(",")
    mb = os.path.join(out, "Multi-sources", "ms3_data")
    assert sorted(os.listdir(os.path.join(mb, "visual_frames", vid))) == [f"{vid}.mp4_{k}.png" for k in range(1, 6)]
    assert sorted(os.listdir(os.path.join(mb, "gt_masks", split, vid))) == [f"{vid}_{k}.png" for k in range(1, 6)]
    assert os.path.exists(os.path.join(mb, "audio_log_mel", split, vid + ".pkl"))
    assert os.path.exists(os.path.join(mb, "raw_videos", vid + ".mp4"))
    # AVSS
    ab = os.path.join(out, "AVSS")
    rows = open(os.path.join(ab, "metadata.csv")).read().strip().split("\n")
    assert rows[0] == "vid,uid,s_min,s_sec,a_obj,split,label" and len(rows) == 3
    l2i = json.load(open(os.path.join(ab, "label2idx.json")))
    assert list(l2i) == AVSS_NAMES and l2i["background"] == 1 and l2i["woman"] == 71
    uid = rows[1].split(",")[1]
    cd = os.path.join(ab, "v2", uid)
    assert sorted(os.listdir(os.path.join(cd, "frames")), key=lambda s: int(s[:-4])) == [f"{k}.jpg" for k in range(10)]
    pal = {tuple(c) for c in avss_palette()}
    for k in range(10):
        rgb = np.asarray(Image.open(os.path.join(cd, "labels_rgb", f"{k}.png")).convert("RGB")).reshape(-1, 3)
        sem = np.asarray(Image.open(os.path.join(cd, "labels_semantic", f"{k}.png")))
        assert {tuple(c) for c in np.unique(rgb, axis=0)} <= pal
        assert np.array_equal(np.array(avss_palette(), np.uint8)[sem].reshape(-1, 3), rgb)
    with wave.open(os.path.join(cd, "audio.wav")) as w:
        assert w.getnframes() == 160000
