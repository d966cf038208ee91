"""release.training_chain: the card lists every training stage behind a run, also when the first run
continued from a released checkpoint (models/<name>.pt) rather than from another run's folder."""
import json

import torch

from models.release import training_chain


def _run(d, command, steps, minutes, mix=None):
    d.mkdir()
    json.dump(dict(command=command, steps=steps, lr=1e-4, train_minutes=minutes, procs=1,
                   data=dict(mix=mix)), open(d / "training.json", "w"))


def test_chain_follows_run_folders(tmp_path):
    _run(tmp_path / "a", "train.py --out a", 100, 10.0)
    _run(tmp_path / "b", f"train.py --init {tmp_path / 'a' / 'best.pt'} --out b", 50, 5.0, "s4=0.6")
    chain, base = training_chain(str(tmp_path / "b"))
    assert [t["steps"] for t in chain] == [100, 50] and base is None


def test_chain_starts_from_a_released_checkpoint(tmp_path):
    released = tmp_path / "ccformer-tiny-s4.pt"
    stages = [dict(command="train.py --out s1", steps=10, lr=1e-3, train_minutes=1.5, mix=None)]
    torch.save(dict(config={}, state_dict={}, training=dict(stages=stages, pipeline=["gen", "s1", "release"])), released)
    _run(tmp_path / "c", f"train.py --init {released} --out c", 7, 2.0)
    chain, base = training_chain(str(tmp_path / "c"))
    assert [t["steps"] for t in chain] == [7]
    assert base["stages"] == stages and base["pipeline"][-1] == "release"
