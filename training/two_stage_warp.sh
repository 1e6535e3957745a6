#!/usr/bin/env bash
# The paper's two-stage recipe at GPU scale (not the shipped default: that is default_warp.sh).
# Procedural pairs with exact keypoints; the `small` preset (ResNet-18 layout, width 32, 128 px input,
# 16x16 flows); encoder stage, then estimator stage with the keypoint loss. Several hours on a
# laptop CPU, minutes on a GPU (add `--device cuda`; use torchrun for several GPUs).
#   usage: training/two_stage_warp.sh [WORK_DIR]
set -euo pipefail
WORK=${1:-runs/two_stage_warp}
TRAIN="python -m sketchstudio.training warp --preset small"
python -m sketchstudio.training synth -o "$WORK/data" --pairs 4000 --seed 0 --test-fraction 0.05

$TRAIN --stage encoder --data "$WORK/data" --val-csv test_pairs_ps.csv --steps 20000 --batch-size 32 \
    --moco-k 4096 --eval-every 2000 --save-every 2000 --seed 0 -o "$WORK/encoder"

$TRAIN --stage estimator --init "$WORK/encoder/model.safetensors" --data "$WORK/data" \
    --val-csv test_pairs_ps.csv --steps 20000 --batch-size 16 --optim adam --lr 1e-3 \
    --syn-loss-weight 1 --kp-loss-weight 1 --eval-every 2000 --save-every 2000 --seed 0 -o "$WORK/estimator"

python -m sketchstudio.training eval --checkpoint "$WORK/estimator/model.safetensors" --data "$WORK/data" \
    --csv "$WORK/data/test_pairs_ps.csv"
echo "trained: $WORK/estimator/model.safetensors"
