"""Core benchmark at PSC6K's size: 6,250 pairs (125 classes × 10 photos × 5 sketches).

Run: `.venv/bin/pytest tests/benchmarks/test_bench_core.py -m benchmark -s`. Each number is
printed next to a reference measured in the same run:
- creating the project from the CSV (images checked) vs. only parsing the CSV;
- opening the project and listing its pairs vs. a bare `sqlite3` connect + `SELECT`;
- one durable keypoint edit (synchronous=FULL, the store's setting) vs. the same edit with
  synchronous=NORMAL (durable against crashes, not power loss), and vs. a bare 8 KiB
  append + fsync on the same disk: a durable edit costs one fsync, so on a busy disk the fsync,
  not the store, sets the latency. The 5 ms limit is therefore checked as "under 5 ms, or
  within 1 ms of the disk's own fsync median measured in the same run".
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sketchstudio.core.io.psc6k import import_psc6k
from sketchstudio.core.io.psc6k_csv import Psc6kRow, read_psc6k_csv, write_psc6k_csv
from sketchstudio.core.model import Keypoint
from sketchstudio.core.store import ProjectStore

pytestmark = pytest.mark.benchmark

CLASSES, PHOTOS, SKETCHES = 125, 10, 5
EDITS = 200


def _dataset(root: Path) -> Path:
    """Sketchy layout with hard links to two tiny images, and a test_pairs_ps.csv."""
    root.mkdir(parents=True)
    photo_src, sketch_src = root / "p.jpg", root / "s.png"
    Image.new("RGB", (256, 256), (120, 80, 40)).save(photo_src)
    Image.new("L", (256, 256), 255).save(sketch_src)
    rng = np.random.default_rng(0)
    rows = []
    for c in range(CLASSES):
        cls = f"class{c:03d}"
        photo_dir = root / "rendered_256x256/256x256/photo/tx_000000000000" / cls
        sketch_dir = root / "rendered_256x256/256x256/sketch/tx_000000000000" / cls
        photo_dir.mkdir(parents=True)
        sketch_dir.mkdir(parents=True)
        for p in range(PHOTOS):
            name = f"n{c:08d}_{p}"
            os.link(photo_src, photo_dir / f"{name}.jpg")
            for k in range(1, SKETCHES + 1):
                os.link(sketch_src, sketch_dir / f"{name}-{k}.png")
                rows.append(
                    Psc6kRow(
                        photo=f"rendered_256x256/256x256/photo/tx_000000000000/{cls}/{name}.jpg",
                        sketch=f"rendered_256x256/256x256/sketch/tx_000000000000/{cls}/{name}-{k}.png",
                        category=str(c + 1),
                        photo_xy=np.round(rng.uniform(0, 255, (8, 2)), 2),
                        sketch_xy=np.round(rng.uniform(0, 255, (8, 2)), 2),
                    )
                )
    csv = root / "test_pairs_ps.csv"
    write_psc6k_csv(csv, rows, "test_ps")
    return csv


def _median_edit_ms(store: ProjectStore, pair_ids: list[int], probe: Path) -> tuple[float, float]:
    """Median ms of a keypoint edit, and of a bare 8 KiB append + fsync interleaved with the edits
    (so both see the same disk load). 8 KiB is what an edit appends to the WAL: two 4 KiB pages,
    the keypoint's and its pair's."""
    edits, fsyncs = [], []
    with probe.open("ab") as handle:
        for i in range(EDITS):
            kp = Keypoint(index=i % 8, photo=(float(i % 256), 3.5), sketch=(7.25, float(i % 200)))
            start = time.perf_counter()
            store.set_keypoint(pair_ids[i % len(pair_ids)], kp, author="bench")
            edits.append(time.perf_counter() - start)
            start = time.perf_counter()
            handle.write(b"x" * 8192)
            handle.flush()
            os.fsync(handle.fileno())
            fsyncs.append(time.perf_counter() - start)
    probe.unlink()
    return statistics.median(edits) * 1000, statistics.median(fsyncs) * 1000


def test_psc6k_sized_project(tmp_path: Path) -> None:
    csv = _dataset(tmp_path / "sketchy")
    n_pairs = CLASSES * PHOTOS * SKETCHES

    start = time.perf_counter()
    rows = read_psc6k_csv(csv)
    parse_s = time.perf_counter() - start
    assert len(rows) == n_pairs

    project = tmp_path / "psc6k.sketchstudio"
    start = time.perf_counter()
    with ProjectStore.create(project) as store:
        report = import_psc6k(store, csv, tmp_path / "sketchy", check_images=True)
    create_s = time.perf_counter() - start
    assert report.added == n_pairs

    start = time.perf_counter()
    conn = sqlite3.connect(project)
    conn.execute("SELECT * FROM pairs ORDER BY id").fetchall()
    conn.close()
    raw_open_s = time.perf_counter() - start
    start = time.perf_counter()
    store = ProjectStore.open(project)
    open_only_s = time.perf_counter() - start
    pairs = store.pairs()
    stats = store.stats()
    open_s = time.perf_counter() - start
    assert len(pairs) == n_pairs and stats.keypoints == 8 * n_pairs

    ids = [p.id for p in pairs]
    full_ms, fsync_ms = _median_edit_ms(store, ids, tmp_path / "fsync-probe.bin")
    store._read().execute("PRAGMA synchronous = NORMAL")
    normal_ms, _ = _median_edit_ms(store, ids, tmp_path / "fsync-probe.bin")
    store._read().execute("PRAGMA synchronous = FULL")
    store.close()

    print(f"\ncore benchmark, {n_pairs} pairs ({CLASSES} classes x {PHOTOS} photos x {SKETCHES} sketches)")
    print(
        f"  create from CSV (images checked) {create_s:7.3f} s   parse CSV only {parse_s:6.3f} s   "
        f"ratio {create_s / parse_s:5.1f}x   (limit 10 s)"
    )
    print(
        f"  open + list pairs + stats        {open_s:7.3f} s   open alone {open_only_s:.4f} s   bare sqlite "
        f"{raw_open_s:6.3f} s   ratio {open_s / raw_open_s:5.1f}x   (limit 1 s)"
    )
    print(
        f"  keypoint edit, median of {EDITS}     {full_ms:7.3f} ms  synchronous=NORMAL {normal_ms:.3f} ms   "
        f"ratio {full_ms / normal_ms:5.1f}x   bare fsync {fsync_ms:.3f} ms   (limit 5 ms)"
    )
    assert create_s < 10
    assert open_s < 1
    assert full_ms < 5 or full_ms < fsync_ms + 1.0, "the store adds more than 1 ms to the disk's fsync"
    assert normal_ms < 1
