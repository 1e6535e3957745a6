#!/usr/bin/env sh
# Reproduce models/s2i_default.safetensors: the sketch-to-image autoencoder (AE stage, Liu et al.)
# trained from scratch on procedural photos and the bundled texture photos, XDoG sketches made on
# the fly. It never sees the five real photos (astronaut, camera, chelsea, coffee, rocket), which
# serve as style images when the result is looked at. Two phases of the same trainer:
#   1. 1,200 steps on the 1,000 procedural photos as they are (objects near the centre);
#   2. 2,000 more steps on random 70-100 % crops of them (objects anywhere, at any size), which
#      makes the decoder follow the sketch instead of drawing an average object.
# About 35 minutes on 2 free CPU cores.
#     sh training/default_s2i.sh [WORK_DIR]       (default /tmp/sketchstudio-default-s2i)
#     sh training/default_s2i.sh --eval-only      (only the model card's metrics, on the shipped file)
set -eu
PYTHON="${PYTHON:-.venv/bin/python}"
TRAIN="$PYTHON -m sketchstudio.training"
EVAL_ONLY=0
if [ "${1:-}" = "--eval-only" ]; then EVAL_ONLY=1; shift; fi
WORK="${1:-/tmp/sketchstudio-default-s2i}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"  # small convolutions: one thread per process is fastest
P=resources/photos
MODEL='{"nfc": 16, "im_size": 128}'
if [ "$EVAL_ONLY" = 0 ]; then
mkdir -p "$WORK"

# Training images (the s2i trainer reads one flat folder; the first 8 by name are held out).
[ -d "$WORK/synth" ] || $TRAIN synth -o "$WORK/synth" --pairs 1000 --seed 0 --test-fraction 0
rm -rf "$WORK/images" && mkdir -p "$WORK/images"
find "$WORK/synth/rendered_256x256/256x256/photo" -name '*.jpg' -exec cp {} "$WORK/images/" \;
for t in brick grass gravel; do cp "$P/$t.jpg" "$WORK/images/texture_$t.jpg"; done
#    Phase 2's crops: the photos `synth-photos` writes (the same command as training/default_warp.sh).
[ -d "$WORK/photo_pairs" ] || $TRAIN synth-photos -o "$WORK/photo_pairs" \
    --photos "$WORK/synth/rendered_256x256/256x256/photo" $P/brick.jpg $P/grass.jpg $P/gravel.jpg \
    --sketches 2 --crop-scale 0.7 --seed 0 --test-fraction 0.05
rm -rf "$WORK/crops" && mkdir -p "$WORK/crops"
find "$WORK/photo_pairs/rendered_256x256/256x256/photo" -name '*.jpg' -exec cp {} "$WORK/crops/" \;
for f in "$WORK/crops"/brick_* "$WORK/crops"/grass_* "$WORK/crops"/gravel_*; do
    mv "$f" "$WORK/crops/texture_$(basename "$f")"
done

# Phase 1, then phase 2 from its weights: 128 px, 16 base channels (2.7 M parameters).
rm -rf "$WORK/run1" "$WORK/run2"
$TRAIN s2i --stage ae --images "$WORK/images" --model-config "$MODEL" \
    --steps 1200 --batch-size 8 --lr 5e-4 --seed 0 --val-images 8 --log-every 50 -o "$WORK/run1"
$TRAIN s2i --stage ae --images "$WORK/crops" --init "$WORK/run1/model.safetensors" --model-config "$MODEL" \
    --steps 2000 --batch-size 8 --lr 5e-4 --seed 1 --val-images 8 --log-every 50 -o "$WORK/run2"

# Ship it in half precision (the loader casts back to float32): half the size, same pictures.
# The renderer finishes its output with the style's palette and the sketch's lines
# (sketchstudio/s2i/finishing.py): this small model's own colours come out greyish.
"$PYTHON" - "$WORK/run2/model.safetensors" models/s2i_default.safetensors <<'PY'
import sys
from sketchstudio.weights.checkpoint import load_safetensors, save_safetensors
state, meta = load_safetensors(sys.argv[1])
state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
meta.pop("format", None)
render = {"finishing": ["colour_from_style", "keep_lines"]}
save_safetensors(sys.argv[2], state, {**meta, "stored_dtype": "float16", "render": render})
print(f"wrote {sys.argv[2]}")
PY
fi

# The model card's metrics (deterministic): each of the five held-out real photos rebuilt from its
# own XDoG sketch (style "fine", seed 0) with itself as the style image, at the model's 128 px,
# against two baselines: a flat image of the photo's mean colour (all a model that ignores the
# sketch can do) and the sketch itself. MSE measures the pixels; the colour-histogram distance
# (total variation between 4x4x4 RGB histograms, 0 = same colours, 1 = disjoint) the palette.
"$PYTHON" - <<'PY'
import numpy as np
import torch
from PIL import Image
from sketchstudio.s2i.renderer import S2IRenderer
from sketchstudio.s2i.sketch_synth import synthesize_sketch

torch.set_num_threads(1)
finished = S2IRenderer.load(None, device="cpu")
raw = S2IRenderer.load(None, device="cpu")
raw.finishing = ()
size = finished.output_size
def unit(image):
    return np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.BICUBIC), np.float64) / 127.5 - 1
def histogram(a):
    counts = np.histogramdd(((a.reshape(-1, 3) + 1) / 2).clip(0, 0.999), bins=4, range=[(0, 1)] * 3)[0]
    return counts.ravel() / counts.sum()
scores = {k: ([], []) for k in ("model", "model without finishing", "mean colour", "sketch")}
for name in ("astronaut", "camera", "chelsea", "coffee", "rocket"):
    photo = Image.open(f"resources/photos/{name}.jpg").convert("RGB")
    sketch = synthesize_sketch(photo, seed=0, style="fine")
    real = unit(photo)
    guesses = {"model": unit(finished.render(sketch, photo, size)),
               "model without finishing": unit(raw.render(sketch, photo, size)),
               "mean colour": np.broadcast_to(real.mean((0, 1)), real.shape), "sketch": unit(sketch)}
    for key, fake in guesses.items():
        scores[key][0].append(((fake - real) ** 2).mean())
        scores[key][1].append(0.5 * np.abs(histogram(fake) - histogram(real)).sum())
for key, (mses, dists) in scores.items():
    mse = float(np.mean(mses))
    print(f"s2i held-out real photos, {key}: mse {mse:.4f} psnr {10 * np.log10(4 / mse):.2f} dB"
          f" colour-histogram distance {np.mean(dists):.3f}")
PY
