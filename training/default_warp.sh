#!/usr/bin/env sh
# Reproduce models/warp_default.safetensors (v0.2) and the numbers of models/warp_default.md.
# Fine-tunes the v0.1 default (reduced ResNet-18 encoder, 128 px input, 8x8 correlation and flow)
# on data the project makes itself; never on the five real photos (astronaut, camera, chelsea,
# coffee, rocket), which form the held-out evaluation set. About 2 hours on 2 shared CPU cores.
#     sh training/default_warp.sh [WORK_DIR]       (default /tmp/sketchstudio-default-warp)
set -eu
PYTHON="${PYTHON:-.venv/bin/python}"
TRAIN="$PYTHON -m sketchstudio.training"
WORK="${1:-/tmp/sketchstudio-default-warp}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
P=resources/photos
mkdir -p "$WORK"

# 1. Training data.
#    a) 1,500 procedural photos (`synth`; only their photos are used here) ...
[ -d "$WORK/synth" ] || $TRAIN synth -o "$WORK/synth" --pairs 1500 --seed 0 --test-fraction 0
#    b) ... plus the three texture photos, each drawn twice (traced strokes, then a random XDoG
#       style), deformed 1.4x the default ranges, 8 exact keypoints, random crops of 70-100 %;
#       4 % of the photos are held out for validation.
[ -d "$WORK/photo_pairs" ] || $TRAIN synth-photos -o "$WORK/photo_pairs" \
    --photos "$WORK/synth/rendered_256x256/256x256/photo" $P/brick.jpg $P/grass.jpg $P/gravel.jpg \
    --sketches 2 --styles strokes xdog --crop-scale 0.7 --seed 3 --test-fraction 0.04 --warp-strength 1.4
#    c) 1,000 procedural pairs with hand-drawn-style sketches, made in memory (--synthetic).

# 2. Held-out evaluation sets (never trained on).
#    Real photos: the five real bundled photos, 8 deformed sketches each (40 pairs per kind).
REAL="$P/astronaut.jpg $P/camera.jpg $P/chelsea.jpg $P/coffee.jpg $P/rocket.jpg"
[ -d "$WORK/heldout_xdog" ] || $TRAIN synth-photos -o "$WORK/heldout_xdog" --photos $REAL \
    --sketches 8 --styles fine bold sparse rough --seed 0 --test-fraction 1
[ -d "$WORK/heldout_strokes" ] || $TRAIN synth-photos -o "$WORK/heldout_strokes" --photos $REAL \
    --sketches 8 --styles strokes --seed 0 --test-fraction 1
#    Procedural: 100 test pairs of an unseen seed.
[ -d "$WORK/heldout_synth" ] || $TRAIN synth -o "$WORK/heldout_synth" --pairs 200 --seed 7 --test-fraction 0.5

# 3. Fine-tune the v0.1 weights (commit d0fff9b) in one stage: the estimator with --no-freeze, so
#    the keypoint, synthetic-flow, consistency and similarity losses train the encoder too.
[ -f "$WORK/v0.1.safetensors" ] || git show d0fff9b:models/warp_default.safetensors > "$WORK/v0.1.safetensors"
rm -rf "$WORK/run"
$TRAIN warp --stage estimator --no-freeze \
    --model-config '{"width": 16, "input_size": 128, "feat_size": 8, "flow_size": 8, "scales": [2, 4, 8], "stn_depth": 3}' \
    --init "$WORK/v0.1.safetensors" \
    --data "$WORK/photo_pairs" --csv train_pairs_ps.csv --synthetic 1000 --warp-strength 1.3 \
    --val-csv test_pairs_ps.csv --no-perceptual --optim adam --lr 6e-4 --syn-loss-weight 1 \
    --steps 16000 --batch-size 16 --eval-every 2000 --log-every 20 --seed 1 -o "$WORK/run"
cp "$WORK/run/model.safetensors" models/warp_default.safetensors

# 4. The model card's numbers (deterministic; --model identity is the no-warp baseline).
for set in heldout_strokes heldout_xdog heldout_synth photo_pairs; do
    for model in warp identity; do
        printf '%s %s ' "$set" "$model"
        $TRAIN eval --model "$model" --data "$WORK/$set" --csv "$WORK/$set/test_pairs_ps.csv" --device cpu --json
    done
done
