#!/usr/bin/python3
"""Turn a training run into the shipped model: weights rounded to fp16 precision (so a 16-bit
checkpoint reproduces the ONNX weights exactly), test metrics measured on those exact weights,
then ONNX + card.

  /usr/bin/python3 models/release.py --run models/runs/tiny --data models/data/synthavs \
      --name ccformer-tiny-s4 --out models/ccformer-tiny-s4.onnx

Writes models/<name>.onnx, models/<name>.model.json and models/<name>.pt (fp16 state_dict +
config + training + metrics; what test/models/onnx-parity.test.ts rebuilds the PyTorch model
from).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from models.ccformer import build_model  # noqa: E402
from models.export_onnx import export  # noqa: E402
from models.train import evaluate, load_split, swap_perm  # noqa: E402


def training_chain(run_dir):
    """The training runs behind run_dir, oldest first: each run's training.json, following `--init <ckpt>`
    (a continuation starts from another run's checkpoint) back to the run that started from scratch.
    Returns (chain, base): base is the card training record of a released checkpoint (`--init
    models/<name>.pt`) the oldest run continued from, else None; its stages and pipeline come first."""
    chain = []
    seen = set()
    base = None
    while run_dir and os.path.abspath(run_dir) not in seen:
        seen.add(os.path.abspath(run_dir))
        tj = os.path.join(run_dir, "training.json")
        if not os.path.exists(tj):
            break
        t = json.load(open(tj))
        chain.insert(0, t)
        words = t.get("command", "").split()
        init = words[words.index("--init") + 1] if "--init" in words else None
        if init and not os.path.exists(os.path.join(os.path.dirname(init), "training.json")) and os.path.isfile(init):
            base = torch.load(init, map_location="cpu").get("training")   # a released checkpoint (release.py's .pt)
            break
        run_dir = os.path.dirname(init) if init else None
    return chain, base


def _stage(t):
    return dict(command=t.get("command", ""), steps=t.get("steps"), lr=t.get("lr"), procs=t.get("procs", 1),
                train_minutes=t.get("train_minutes"), mix=(t.get("data") or {}).get("mix", t.get("mix")))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default="models/runs/tiny")
    ap.add_argument("--data", default="models/data/synthavs")
    ap.add_argument("--name", default="ccformer-tiny-s4")
    ap.add_argument("--out", default="models/ccformer-tiny-s4.onnx")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--settings", default="s4,ms3")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    ck = torch.load(os.path.join(a.run, "best.pt"), map_location="cpu")
    cfg = ck["config"]
    sd = {k: (v.half().float() if v.is_floating_point() else v) for k, v in ck["state_dict"].items()}
    model = build_model(cfg)
    model.load_state_dict(sd)
    model.eval()
    training = ck.get("training") or json.load(open(os.path.join(a.run, "training.json")))
    training = dict(training)
    training["release_command"] = "/usr/bin/python3 models/release.py " + " ".join(argv if argv is not None else sys.argv[1:])
    training["weights"] = "fp32 graph; values rounded to fp16 precision (checkpoint stored as fp16)"
    counts = {}
    for st in ("s4", "ms3", "avss"):
        n = []
        for sp in ("train", "val", "test"):
            ip = os.path.join(a.data, "index", f"{st}_{sp}.json")
            n.append(len(json.load(open(ip))) if os.path.exists(ip) else 0)
        counts[st] = n
    seed = json.load(open(os.path.join(a.data, "synthavs.json"))).get("seed", 0) if os.path.exists(
        os.path.join(a.data, "synthavs.json")) else 0
    gen = (f"/usr/bin/python3 -m models.synthavs.generate --out {a.data} --seed {seed} "
           + " ".join(f"--{k} {','.join(map(str, v))}" for k, v in counts.items()) + " --workers 2")
    training["data"] = dict(training.get("data") or {}, clips=counts, seed=seed, input=f"{cfg['input_size'][0]}x{cfg['input_size'][1]} (frames resized "
                            "bilinearly from the 224x224 AVSBench frames)", train_frames_supervised="all 5")
    chain, base = training_chain(a.run)
    chain = chain or [training]
    prior = (base or {}).get("stages") or []
    training["stages"] = [_stage(t) for t in prior] + [_stage(t) for t in chain]
    training["train_minutes_total"] = round(sum(t.get("train_minutes") or 0 for t in training["stages"]), 1)
    training["steps_total"] = sum(t.get("steps") or 0 for t in training["stages"])
    # the released checkpoint the first run continued from is rebuilt by its own pipeline (data generation
    # excluded: it is the same command), release included
    before = [c for c in (base or {}).get("pipeline") or [] if "models.synthavs.generate" not in c]
    training["pipeline"] = (["OMP_NUM_THREADS=1 " + gen] + before + ["OMP_NUM_THREADS=1 " + t.get("command", "") for t in chain]
                            + ["OMP_NUM_THREADS=1 " + training["release_command"]])
    S = cfg["input_size"][0]
    metrics = {"protocol": "official mask_iou / Eval_Fmeasure (spec avsbench-format §6.1) ported to CPU, test batch = 1 "
                           "clip (5 frames); logits bilinearly upsampled to the 224x224 ground truth; all 5 frames of "
                           "every test clip annotated; audio swap = each clip gets the audio of another test clip",
               "split": "test", "checkpoint_step": ck.get("step")}
    for s in a.settings.split(","):
        d = load_split(a.data, s, "test", S)
        J, F = evaluate(model, d, "cpu")
        Js, Fs = evaluate(model, d, "cpu", audio_perm=swap_perm(len(d["frames"])))
        metrics[s + "_like"] = dict(test_clips=len(d["frames"]), J=round(J, 4), F=round(F, 4),
                                    audio_swapped_J=round(Js, 4), audio_swapped_F=round(Fs, 4),
                                    J_drop_with_swapped_audio=round(J - Js, 4))
        print(s, json.dumps(metrics[s + "_like"]), flush=True)
    pt = os.path.splitext(a.out)[0] + ".pt"
    torch.save(dict(config=cfg, state_dict={k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()},
                    step=ck.get("step"), training=training, metrics=metrics), pt)
    r = export(model, cfg, a.out, dict(training=training), a.name, a.version, metrics,
               extra={"checkpoint": os.path.basename(pt), "license": "MIT (weights trained on SynthAVS)",
                      "data": "SynthAVS (models/synthavs), S4-like + MS3-like, see models/README.md"})
    print(json.dumps(r))


if __name__ == "__main__":
    main()
