#!/usr/bin/env bash
# Does the estimator learn, and does the keypoint loss help? A CPU-sized experiment on procedural
# pairs (about 20 minutes on 2 otherwise idle cores): encoder stage, then two estimator runs from that encoder,
# one without and one with keypoint supervision, evaluated on 100 held-out pairs.
#   usage: training/experiment_synthetic_cpu.sh [OUT_DIR]
set -euo pipefail
OUT=${1:-runs/experiment}
TRAIN="python -m sketchstudio.training warp --device cpu --preset tiny"
MODEL='{"input_size": 64, "width": 16}'
DATA="--synthetic 1000 --val-synthetic 100"
mkdir -p "$OUT"

# 1. Encoder: MoCo v2 with pair supervision (photo and its sketch are positives).
$TRAIN --stage encoder --model-config "$MODEL" $DATA --steps 150 --batch-size 16 --moco-k 1024 \
    --eval-every 75 --seed 0 -o "$OUT/encoder"

# 2a. Estimator without keypoints (the paper's losses plus the known synthetic flow).
# 2b. The same with the keypoint loss on the annotated pairs.
# 2c. The keypoint loss also training the encoder (--no-freeze).
for variant in no_kp kp kp_nofreeze; do
  extra=()
  [ "$variant" = no_kp ] && extra=(--no-synthetic-keypoints --kp-loss-weight 0)
  [ "$variant" = kp_nofreeze ] && extra=(--no-freeze)
  $TRAIN --stage estimator --init "$OUT/encoder/model.safetensors" $DATA --steps 240 --batch-size 8 \
      --optim adam --lr 1e-3 --syn-loss-weight 1 --no-perceptual --eval-every 40 --seed 0 \
      "${extra[@]}" -o "$OUT/estimator_$variant"
done

python training/plot_curves.py "$OUT/estimator_no_kp" "$OUT/estimator_kp" "$OUT/estimator_kp_nofreeze" \
    -o "$OUT/pck_curves.png"
