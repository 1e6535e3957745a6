"""`sketchstudio-train eval` on a tiny Sketchy-like folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sketchstudio.training.cli import main as train_main

HEADER = "photo,sketch,class,XA,YA,XB,YB\n"


def _kps(values) -> str:
    return ";".join(f"{v:g}" for v in values)


def make_dataset(root: Path, n: int = 3) -> Path:
    """n pairs of 256×256 images; pair i's sketch keypoints sit 0, 10, 20 or 30 px to the right of
    its photo keypoints (two each), so the identity scores 0.5 at 0.05 and 0.75 at 0.10."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        photo = Path("photo/tx_000000000000/cat") / f"n{i}.jpg"
        sketch = Path("sketch/tx_000000000000/cat") / f"n{i}-1.png"
        for rel, channels in ((photo, 3), (sketch, 1)):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            pixels = rng.integers(0, 256, size=(256, 256, channels), dtype=np.uint8)
            Image.fromarray(pixels.squeeze()).save(root / rel)
        xa = rng.uniform(40, 200, size=8).round(1)
        ya = rng.uniform(40, 200, size=8).round(1)
        xb = xa + np.repeat([0, 10, 20, 30], 2)
        rows.append(f"{photo},{sketch},cat,{_kps(xa)},{_kps(ya)},{_kps(xb)},{_kps(ya)}\n")
    csv_path = root / "test_pairs_ps.csv"
    csv_path.write_text(HEADER + "".join(rows))
    return csv_path


def test_identity_baseline_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = make_dataset(tmp_path)
    code = train_main(["eval", "--model", "identity", "--data", str(tmp_path), "--csv", str(csv_path),
                       "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {"pck@0.05": pytest.approx(0.5), "pck@0.10": pytest.approx(0.75)}


def test_checkpoint_eval_writes_predictions_in_csv_order(tmp_path: Path, tiny_checkpoint: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = make_dataset(tmp_path / "sketchy")
    out = tmp_path / "pred.json"
    code = train_main(["eval", "--checkpoint", str(tiny_checkpoint), "--data", str(tmp_path / "sketchy"),
                       "--csv", str(csv_path), "--predictions", str(out), "--batch-size", "2",
                       "--device", "cpu"])
    assert code == 0
    text = capsys.readouterr().out
    assert "pck@0.05:" in text and "pck@0.10:" in text
    data = json.loads(out.read_text())
    assert 0.0 <= data["pck@0.05"] <= data["pck@0.10"] <= 1.0
    assert [p["photo"] for p in data["pairs"]] == [f"photo/tx_000000000000/cat/n{i}.jpg" for i in range(3)]
    for pair in data["pairs"]:
        for key in ("photo_to_sketch", "sketch_to_photo"):
            points = np.asarray(pair[key])
            assert points.shape == (8, 2) and np.all((points > -10) & (points < 266))


def test_missing_image_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = make_dataset(tmp_path)
    (tmp_path / "sketch/tx_000000000000/cat/n1-1.png").unlink()
    code = train_main(["eval", "--model", "identity", "--data", str(tmp_path), "--csv", str(csv_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "n1-1.png" in err and "line 3" in err and len(err.splitlines()) == 1


EIGHT = ";".join(["1"] * 8)


@pytest.mark.parametrize(("line", "message"), [
    (f"p.jpg,s.png,cat,{EIGHT},{EIGHT},{EIGHT},1;2\n", "expected 8 numbers"),
    (f"p.jpg,s.png,cat,1;x;1;1;1;1;1;1,{EIGHT},{EIGHT},{EIGHT}\n", "'x' is not a finite number"),
])
def test_bad_rows_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str,
                                      message: str) -> None:
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text(HEADER + line)
    code = train_main(["eval", "--model", "identity", "--data", str(tmp_path), "--csv", str(csv_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and "line 2" in err and len(err.splitlines()) == 1


def test_missing_columns_and_default_model(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          no_shipped_models: Path) -> None:
    csv_path = tmp_path / "cols.csv"
    csv_path.write_text("photo,sketch\np.jpg,s.png\n")
    assert train_main(["eval", "--model", "identity", "--data", str(tmp_path), "--csv", str(csv_path)]) == 2
    assert "missing column" in capsys.readouterr().err
    good = make_dataset(tmp_path)
    assert train_main(["eval", "--data", str(tmp_path), "--csv", str(good)]) == 2
    assert "no default warp model shipped" in capsys.readouterr().err
