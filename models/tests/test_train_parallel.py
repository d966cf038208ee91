"""train.py --procs N: data-parallel training in N processes (gloo all-reduce of the gradients)."""
import json
import os
import tempfile

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from models import train as T


def _avg_worker(rank, world, rendezvous, out):
    dist.init_process_group("gloo", init_method=rendezvous, rank=rank, world_size=world)
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    # rank-specific gradients; the second layer's bias gets none on rank 1 (unused parameter)
    for i, p in enumerate(m.parameters()):
        if rank == 1 and i == 3:
            continue
        p.grad = torch.full_like(p, float(10 * (rank + 1) + i))
    T._all_reduce_grads(m, world)
    torch.save([p.grad for p in m.parameters()], os.path.join(out, f"g{rank}.pt"))
    dist.destroy_process_group()


def test_all_reduce_grads_averages(tmp_path):
    world = 2
    mp.start_processes(_avg_worker, args=(world, "file://" + str(tmp_path / "rdv"), str(tmp_path)),
                       nprocs=world, start_method="spawn")
    g0, g1 = (torch.load(tmp_path / f"g{r}.pt") for r in range(world))
    for i, (a, b) in enumerate(zip(g0, g1)):
        assert torch.equal(a, b)
        want = (10 + i + (20 + i if i != 3 else 0)) / 2   # a missing gradient counts as zeros
        assert torch.allclose(a, torch.full_like(a, want)), (i, a)


def test_batch_must_split_over_procs():
    with pytest.raises(SystemExit):
        T.parse_args(["--batch", "3", "--procs", "2"])
    with pytest.raises(SystemExit):
        T.parse_args(["--procs", "2", "--device", "cuda"])
    assert T.parse_args(["--batch", "8", "--procs", "2"]).procs == 2


@pytest.fixture(scope="module")
def tiny_data(assets):
    from models.synthavs import generate as G
    with tempfile.TemporaryDirectory() as td:
        G.generate(td, seed=7, counts={"s4": [6, 2, 0], "ms3": [6, 2, 0]}, workers=1, video=False)
        yield td


def test_two_process_training_runs_and_stays_in_sync(tiny_data, tmp_path):
    out = str(tmp_path / "run")
    T.main(["--data", tiny_data, "--input-size", "64", "--steps", "6", "--eval-every", "3", "--batch", "4",
            "--procs", "2", "--warmup", "2", "--val-limit", "2", "--lr", "2e-3", "--out", out])
    t = json.load(open(os.path.join(out, "training.json")))
    assert t["procs"] == 2 and t["ranks_in_sync"] is True
    assert t["steps"] == 6 and t["batch_clips"] == 4 and t["best_step"] in (3, 6)
    log = open(os.path.join(out, "train.log")).read()
    assert "2 processes, 2 clips each per step" in log
    assert log.count("epoch ") == 2          # only rank 0 evaluates and logs
    ck = torch.load(os.path.join(out, "best.pt"))
    assert ck["config"]["input_size"] == [64, 64] and ck["step"] == t["best_step"]


def test_one_process_keeps_the_plain_loop(tiny_data, tmp_path):
    """--procs 1 is the single-process loop (no process group), same sampling and log."""
    out = str(tmp_path / "run1")
    T.main(["--data", tiny_data, "--input-size", "64", "--steps", "3", "--eval-every", "3", "--batch", "2",
            "--warmup", "1", "--val-limit", "2", "--out", out])
    t = json.load(open(os.path.join(out, "training.json")))
    assert t["procs"] == 1 and t["ranks_in_sync"] is True and t["steps"] == 3
    assert not dist.is_initialized()
