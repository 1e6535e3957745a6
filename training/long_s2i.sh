#!/usr/bin/env bash
# A longer sketch-to-image recipe for a GPU (not the shipped default: that is default_s2i.sh): the
# autoencoder stage of the `small` preset (nfc 32, 256 px) on the bundled CC0 photos plus
# procedural photos, sketches synthesised on the fly (XDoG styles, bold/erased variants).
#   usage: training/long_s2i.sh [WORK_DIR]
set -euo pipefail
WORK=${1:-runs/long_s2i}
mkdir -p "$WORK/images"
cp resources/photos/*.jpg "$WORK/images/"
python - "$WORK/images" <<'PY'
import sys
from PIL import Image
from sketchstudio.training.synthetic import make_pair, pair_rng
for i in range(400):
    Image.fromarray(make_pair(pair_rng(7, i), 256).photo).save(f"{sys.argv[1]}/synth_{i:04d}.jpg", quality=92)
PY
python -m sketchstudio.training s2i --stage ae --preset small --images "$WORK/images" --steps 30000 \
    --batch-size 8 --nbr-cls 64 --val-images 8 --eval-every 2000 --save-every 2000 --seed 0 -o "$WORK/ae"
echo "copy $WORK/ae/model.safetensors to models/s2i_default.safetensors"
# The GAN stage needs a 512 px autoencoder (official sizes; GPU):
#   python -m sketchstudio.training s2i --stage ae --preset official-ae --images DIR -o runs/ae512 ...
#   python -m sketchstudio.training s2i --stage gan --init runs/ae512/model.safetensors --refiner art \
#       --refiner-size 1024 --images DIR -o runs/gan ...
