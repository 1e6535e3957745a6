#!/usr/bin/env sh
# Does the keypoint loss help? The default warp recipe (training/default_warp.sh) at 300 steps,
# with and without `--kp-loss-weight`, same data and seed, evaluated on the held-out sets.
# Run training/default_warp.sh first (it makes the data in WORK_DIR), then:
#     sh training/ablation_keypoint_loss.sh [WORK_DIR]   (default /tmp/sketchstudio-default-warp)
set -eu
PYTHON="${PYTHON:-.venv/bin/python}"
TRAIN="$PYTHON -m sketchstudio.training"
WORK="${1:-/tmp/sketchstudio-default-warp}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
CFG='{"width": 16, "input_size": 128, "feat_size": 8, "flow_size": 8, "scales": [2, 4, 8], "stn_depth": 3}'
for kp in 0 1; do
    $TRAIN warp --stage estimator --no-freeze --model-config "$CFG" \
        --data "$WORK/photo_pairs" --csv train_pairs_ps.csv --synthetic 1000 --val-csv test_pairs_ps.csv \
        --no-perceptual --optim adam --lr 1e-3 --syn-loss-weight 1 --kp-loss-weight $kp \
        --steps 300 --batch-size 16 --eval-every 100 --log-every 50 --seed 0 --device cpu --quiet \
        -o "$WORK/ablation_kp$kp" &
done
wait
for kp in 0 1; do
    for set in heldout_real heldout_synth; do
        printf 'kp-loss-weight %s, %s: ' "$kp" "$set"
        $TRAIN eval --checkpoint "$WORK/ablation_kp$kp/model.safetensors" --data "$WORK/$set" \
            --csv "$WORK/$set/test_pairs_ps.csv" --device cpu --json
    done
done
