"""PSC6K evaluation, identical to the official protocol (`eval.py`, `utils/pck.py`).

For every CSV row: photo keypoints are carried to the sketch through `photo_to_sketch` (the
official `bwd_flow`) and sketch keypoints to the photo through `sketch_to_photo` (`fwd_flow`),
each keypoint rounded to its pixel for the lookup. A keypoint is correct when its Euclidean
error is ≤ α·256 (α·max(width, height) of the target image in general). The score of a pair
and direction is the fraction of its keypoints that are correct; PCK is the mean over both
directions of all pairs (the official code concatenates the per-pair scores of both directions
and averages them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sketchstudio.core.errors import FormatError, UserError
from sketchstudio.core.images import load_image
from sketchstudio.core.io.psc6k_csv import Psc6kRow, read_psc6k_csv
from sketchstudio.warp.flows import Direction, FlowPair

PCK_ALPHAS = (0.05, 0.10)


@dataclass
class PairScore:
    photo_to_sketch: np.ndarray
    """(K, 2) predicted sketch points for the photo keypoints."""
    sketch_to_photo: np.ndarray
    pck: dict[str, tuple[float, float]]
    """`pck@α` → (photo→sketch score, sketch→photo score), fractions of the pair's keypoints."""


@dataclass
class EvalResult:
    pairs: list[Psc6kRow] = field(default_factory=list)
    scores: list[PairScore] = field(default_factory=list)

    def pck(self, alpha: float) -> float:
        """Mean of the per-pair, per-direction scores (the official averaging)."""
        values = [s for score in self.scores for s in score.pck[pck_key(alpha)]]
        return float(np.mean(values)) if values else float("nan")

    def summary(self) -> dict[str, float]:
        return {pck_key(a): self.pck(a) for a in PCK_ALPHAS}

    def predictions(self) -> dict[str, Any]:
        """The `--predictions` JSON: summary plus per-pair predicted points in CSV order."""
        return {
            **self.summary(),
            "pairs": [{"photo": p.photo, "sketch": p.sketch,
                       "photo_to_sketch": s.photo_to_sketch.round(4).tolist(),
                       "sketch_to_photo": s.sketch_to_photo.round(4).tolist()}
                      for p, s in zip(self.pairs, self.scores)],
        }


class Predictor(Protocol):
    def predict_batch(self, photos: Sequence[Any], sketches: Sequence[Any]) -> list[FlowPair]: ...


def pck_key(alpha: float) -> str:
    return f"pck@{alpha:.2f}"


def pck_fraction(predicted: np.ndarray, truth: np.ndarray, threshold: float) -> float:
    """Fraction of points within `threshold` pixels (inclusive, as the official `<=`)."""
    dist = np.linalg.norm(np.asarray(predicted, np.float64) - np.asarray(truth, np.float64), axis=1)
    return float(np.count_nonzero(dist <= threshold)) / len(dist)


def score_pair(flows: FlowPair, photo_kps: np.ndarray, sketch_kps: np.ndarray,
               alphas: Sequence[float] = PCK_ALPHAS) -> PairScore:
    """Both directions of one pair under the official protocol."""
    to_sketch = flows.lookup_nearest(photo_kps, Direction.PHOTO_TO_SKETCH)
    to_photo = flows.lookup_nearest(sketch_kps, Direction.SKETCH_TO_PHOTO)
    sketch_side = max(flows.sketch_size)
    photo_side = max(flows.photo_size)
    pck = {pck_key(a): (pck_fraction(to_sketch, sketch_kps, a * sketch_side),
                        pck_fraction(to_photo, photo_kps, a * photo_side)) for a in alphas}
    return PairScore(to_sketch, to_photo, pck)


def evaluate(predictor: Predictor, pairs: Sequence[Psc6kRow], data_root: Path, *, batch_size: int = 1,
             progress: Callable[[int, int], None] | None = None) -> EvalResult:
    """Run `predictor` over `pairs` (images under `data_root`) and score every pair."""
    check_images_exist(pairs, data_root)
    result = EvalResult()
    done = 0
    for chunk in _chunks(pairs, max(1, batch_size)):
        photos = [load_image(data_root / p.photo) for p in chunk]
        sketches = [load_image(data_root / p.sketch) for p in chunk]
        for pair, flows in zip(chunk, predictor.predict_batch(photos, sketches)):
            result.pairs.append(pair)
            assert pair.photo_xy is not None and pair.sketch_xy is not None
            result.scores.append(score_pair(flows, pair.photo_xy, pair.sketch_xy))
        done += len(chunk)
        if progress is not None:
            progress(done, len(pairs))
    return result


def check_images_exist(pairs: Sequence[Psc6kRow], data_root: Path) -> None:
    """Fail before any model work when an image is missing (one line naming file and row)."""
    if not data_root.is_dir():
        raise UserError("Sketchy root folder not found", path=data_root)
    for pair in pairs:
        for rel in (pair.photo, pair.sketch):
            if not (data_root / rel).is_file():
                raise UserError(f"image of CSV line {pair.line} not found", path=data_root / rel)


def read_pairs_csv(path: Path) -> list[Psc6kRow]:
    """The pairs of a PSC6K test CSV (core reader), each with 8 photo and 8 sketch keypoints."""
    rows = read_psc6k_csv(path)
    if not rows:
        raise FormatError("no pairs in the CSV", path=path)
    for row in rows:
        if row.photo_xy is None or row.sketch_xy is None:
            raise FormatError("no keypoint columns (XA, YA, XB, YB): not a test CSV", path=path,
                              where=f"line {row.line}")
    return rows


def _chunks(items: Sequence[Psc6kRow], size: int) -> Iterator[Sequence[Psc6kRow]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
