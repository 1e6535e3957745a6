"""PSC6K CSVs: reading, writing, importing into a project and exporting back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sketchstudio.core.errors import FormatError, UserError
from sketchstudio.core.io.psc6k import export_psc6k, export_psc6k_folder, import_psc6k
from sketchstudio.core.io.psc6k_csv import (
    KINDS,
    format_number,
    kind_from_name,
    parse_psc6k_csv,
    read_psc6k_csv,
)
from sketchstudio.core.model import KeypointSource, PairStatus, Side
from sketchstudio.core.store import ProjectStore

from .conftest import SketchyTree, write_kind

HEADER = "photo,sketch,class,XA,YA,XB,YB"
EIGHT = ";".join(str(i + 0.25) for i in range(8))
ROW = f"p/cat/a.jpg,s/cat/a-1.png,3,{EIGHT},{EIGHT},{EIGHT},{EIGHT}"


def _file_name(kind: str) -> str:
    split, layout = kind.split("_")
    return f"{split}_pairs_{layout}.csv"


# --- reading -------------------------------------------------------------------------------------


def test_reads_photo_x_as_column_and_y_as_row(tmp_path: Path) -> None:
    csv = tmp_path / "test_pairs_ps.csv"
    xs, ys = "1;2;3;4;5;6;7;8", "10;20;30;40;50;60;70;80.5"
    csv.write_text(f"{HEADER}\np.jpg,s.png,1,{xs},{ys},{ys},{xs}\n")
    (row,) = read_psc6k_csv(csv)
    assert row.photo_xy.shape == (8, 2) and row.photo_xy.dtype == np.float64
    assert row.photo_xy[7].tolist() == [8.0, 80.5]  # (x, y) = (XA, YA)
    assert row.sketch_xy[0].tolist() == [10.0, 1.0]
    assert (row.category, row.flip, row.reversed, row.line) == ("1", None, False, 2)


def test_source_target_rows_come_back_in_photo_sketch_orientation(
    sketchy: SketchyTree, tmp_path: Path
) -> None:
    csv = write_kind(tmp_path / "test_pairs_st.csv", "test_st", sketchy.rows)
    rows = read_psc6k_csv(csv)
    assert len(rows) == 2 * len(sketchy.rows)
    for forward, backward, truth in zip(rows[0::2], rows[1::2], sketchy.rows):
        assert not forward.reversed and backward.reversed
        for row in (forward, backward):
            assert (row.photo, row.sketch) == (truth.photo, truth.sketch)
            np.testing.assert_allclose(row.photo_xy, truth.photo_xy, atol=1e-9)
            np.testing.assert_allclose(row.sketch_xy, truth.sketch_xy, atol=1e-9)


def test_source_target_without_telling_paths_uses_row_order(tmp_path: Path) -> None:
    csv = tmp_path / "x.csv"
    csv.write_text(
        f"source_image,target_image,class,XA,YA,XB,YB\na,b,1,{EIGHT},{EIGHT},1;1;1;1;1;1;1;1,{EIGHT}\n"
        f"b,a,1,1;1;1;1;1;1;1;1,{EIGHT},{EIGHT},{EIGHT}\n"
    )
    first, second = read_psc6k_csv(csv)
    assert (first.photo, first.reversed, second.photo, second.reversed) == ("a", False, "a", True)
    np.testing.assert_array_equal(first.sketch_xy, second.sketch_xy)


def test_kind_from_name() -> None:
    assert [kind_from_name(_file_name(k)) for k in KINDS] == list(KINDS)
    assert kind_from_name("pairs.csv") is None


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("photo,class,XA,YA,XB,YB\n", "line 1", "missing columns"),
        ("photo,sketch,XA,YA,XB,YB\n", "line 1", "missing column 'class'"),
        ("photo,sketch,class,XA,YA,XB\n", "line 1", "YB"),
        ("photo,sketch,class\n", "line 1", "flip"),
        (f"{HEADER}\n{ROW}\np.jpg,s.png,1,1;2\n", "line 3", "expected 7 cells"),
        (f"{HEADER}\n{ROW}\n{ROW.replace(EIGHT, '1;2;3', 1)}\n", "line 3, column XA", "expected 8 numbers"),
        (
            f"{HEADER}\n{ROW.rsplit(',', 2)[0]},1;2;x;4;5;6;7;8,{EIGHT}\n",
            "line 2, column XB",
            "'x' is not a finite number",
        ),
        (f"{HEADER}\n{ROW.replace('0.25', 'nan', 1)}\n", "line 2, column XA", "'nan' is not a finite number"),
        (f"{HEADER}\n{ROW.replace('0.25', 'inf', 1)}\n", "line 2, column XA", "not a finite number"),
        (f"{HEADER}\n{ROW.replace('p/cat/a.jpg', '')}\n", "line 2, column photo", "empty image path"),
        ("photo,sketch,class,flip\na.jpg,b.png,1,2\n", "line 2, column flip", "flip must be 0 or 1"),
        ("", None, "empty file"),
    ],
)
def test_malformed_csv_names_file_line_and_column(
    tmp_path: Path, text: str, where: str | None, what: str
) -> None:
    csv = tmp_path / "pairs.csv"
    csv.write_text(text)
    with pytest.raises(FormatError) as info:
        read_psc6k_csv(csv)
    message = str(info.value)
    assert message.startswith(str(csv)) and what in message and "\n" not in message
    if where:
        assert f": {where}: " in message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="file not found"):
        read_psc6k_csv(tmp_path / "missing.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(FormatError, match="not a UTF-8 text file"):
        read_psc6k_csv(binary)


def test_format_number_keeps_a_hundredth_of_a_pixel() -> None:
    for value in (0.0, 12.0, 255.999, 1e-7, 137.126, -3.14159, 1234.56789):
        assert abs(float(format_number(value)) - value) <= 0.005
    assert format_number(12.0) == "12" and format_number(12.5) == "12.5"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list('ab,;"\n\r.-e 0123456789XYABnaif\x00')), max_size=300))
def test_fuzz_random_text_never_crashes(text: str) -> None:
    try:
        rows = parse_psc6k_csv(HEADER + "\n" + text)
    except FormatError:
        return
    for row in rows:
        assert row.photo_xy.shape == (8, 2) and np.isfinite(row.photo_xy).all()


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fuzz_mutated_valid_csv_yields_rows_or_format_error(data: st.DataObject) -> None:
    text = f"{HEADER}\n{ROW}\n{ROW}\n"
    position = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 10))
    insert = data.draw(st.text(max_size=6))
    mutated = text[:position] + insert + text[position + cut :]
    try:
        parse_psc6k_csv(mutated, path="m.csv")
    except FormatError as exc:
        assert str(exc).startswith("m.csv") and "\n" not in str(exc)


# --- import / export -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_every_kind(kind: str, sketchy: SketchyTree, store: ProjectStore, tmp_path: Path) -> None:
    source = write_kind(tmp_path / _file_name(kind), kind, sketchy.rows)
    report = import_psc6k(store, source, sketchy.root)
    assert (report.added, report.skipped_existing) == (len(sketchy.rows), 0)
    out = tmp_path / "out" / _file_name(kind)
    out.parent.mkdir()
    exported = export_psc6k(store, out)
    assert exported.pairs == len(sketchy.rows) and exported.skipped == 0
    original, again = read_psc6k_csv(source), read_psc6k_csv(out)
    assert len(again) == len(original)
    for a, b in zip(original, again):
        assert (a.photo, a.sketch, a.category, a.flip, a.reversed) == (
            b.photo,
            b.sketch,
            b.category,
            b.flip,
            b.reversed,
        )
        if a.photo_xy is not None:
            np.testing.assert_allclose(b.photo_xy, a.photo_xy, atol=0.01)
            np.testing.assert_allclose(b.sketch_xy, a.sketch_xy, atol=0.01)
    assert out.read_text() == source.read_text()


def test_round_trip_of_foreign_number_formatting(tmp_path: Path, store: ProjectStore) -> None:
    """Files written by other tools (pandas: '123.0', long decimals, exponents) keep 0.01 px."""
    values = ["123.0", "0.123456789", "1.5e2", "255.994", "7", "-0.004", "99.99999", "3.14159"]
    cell = ";".join(values)
    source = tmp_path / "test_pairs_ps.csv"
    source.write_text(f"{HEADER}\r\nphoto/cat/a.jpg,sketch/cat/a-1.png,5,{cell},{cell},{cell},{cell}\r\n")
    import_psc6k(store, source, check_images=False)
    out = tmp_path / "again.csv"
    export_psc6k(store, out, "test_ps")
    (row,) = read_psc6k_csv(out)
    np.testing.assert_allclose(row.photo_xy[:, 0], [float(v) for v in values], atol=0.01)
    assert (row.photo, row.category) == ("photo/cat/a.jpg", "5")


def test_imported_pairs(sketchy: SketchyTree, store: ProjectStore, tmp_path: Path) -> None:
    import_psc6k(store, write_kind(tmp_path / "test_pairs_ps.csv", "test_ps", sketchy.rows), sketchy.root)
    pair = store.pairs()[0]
    assert (pair.category, pair.split, pair.status) == ("airplane", "test", PairStatus.DONE)
    assert pair.name == Path(sketchy.rows[0].sketch).stem and pair.extra["psc6k_class"] == "1"
    kps = store.keypoints(pair.id)
    assert len(kps) == 8 and all(k.source is KeypointSource.IMPORTED and k.is_complete for k in kps)
    assert store.resolve(pair.photo) == sketchy.root / sketchy.rows[0].photo
    assert store.images_root == sketchy.root


def test_train_import_keeps_flips(sketchy: SketchyTree, store: ProjectStore, tmp_path: Path) -> None:
    import_psc6k(store, write_kind(tmp_path / "train_pairs_ps.csv", "train_ps", sketchy.rows), sketchy.root)
    pair = store.pairs()[0]
    assert (pair.split, pair.flip, pair.extra["psc6k_flips"], pair.status) == (
        "train",
        True,
        "0;1",
        PairStatus.TODO,
    )
    assert store.keypoints(pair.id) == []


def test_reimport_leaves_existing_pairs_alone(
    sketchy: SketchyTree, store: ProjectStore, tmp_path: Path
) -> None:
    ps = write_kind(tmp_path / "test_pairs_ps.csv", "test_ps", sketchy.rows)
    import_psc6k(store, ps, sketchy.root)
    pair_id = store.pair_ids()[0]
    edited = store.set_keypoint(pair_id, store.keypoint(pair_id, 0).with_point(Side.PHOTO, (1.0, 1.0)))
    st_csv = write_kind(tmp_path / "test_pairs_st.csv", "test_st", sketchy.rows)
    report = import_psc6k(store, st_csv, sketchy.root)
    assert (report.added, report.skipped_existing) == (0, len(sketchy.rows))
    assert store.keypoint(pair_id, 0) == edited


def test_missing_image_fails_before_anything_is_written(
    sketchy: SketchyTree, store: ProjectStore, tmp_path: Path
) -> None:
    csv = write_kind(tmp_path / "test_pairs_ps.csv", "test_ps", sketchy.rows)
    missing = sketchy.root / sketchy.rows[-1].sketch
    missing.unlink()
    with pytest.raises(FormatError) as info:
        import_psc6k(store, csv, sketchy.root)
    message = str(info.value)
    assert str(csv) in message and f"line {len(sketchy.rows) + 1}, column sketch" in message
    assert str(missing) in message and "not found" in message
    assert store.pair_ids() == [] and store.images_root is None


def test_non_image_file_is_named(sketchy: SketchyTree, store: ProjectStore, tmp_path: Path) -> None:
    csv = write_kind(tmp_path / "test_pairs_ps.csv", "test_ps", sketchy.rows)
    bad = sketchy.root / sketchy.rows[1].photo
    bad.write_text("this is not a jpeg")
    with pytest.raises(FormatError, match="line 3, column photo: not an image file") as info:
        import_psc6k(store, csv, sketchy.root)
    assert str(bad) in str(info.value)
    assert store.pair_ids() == []


def test_disagreeing_directions_are_an_error(
    sketchy: SketchyTree, store: ProjectStore, tmp_path: Path
) -> None:
    csv = write_kind(tmp_path / "test_pairs_st.csv", "test_st", sketchy.rows)
    lines = csv.read_text().splitlines()
    cells = lines[2].split(",")
    cells[3] = ";".join(["200"] * 8)
    lines[2] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="line 3: sketch keypoints disagree with line 2"):
        import_psc6k(store, csv, sketchy.root)
    assert store.pair_ids() == []


def test_wrong_keypoint_count_for_project(tmp_path: Path) -> None:
    csv = tmp_path / "x.csv"
    csv.write_text("photo,sketch,class,XA,YA,XB,YB\na.jpg,b.png,1,1;2,1;2,1;2,1;2\n")
    with (
        ProjectStore.create(tmp_path / "p.sketchstudio") as store,
        pytest.raises(FormatError, match="line 2, column XA: expected 8 numbers"),
    ):
        import_psc6k(store, csv, check_images=False)
    with ProjectStore.create(tmp_path / "q.sketchstudio", keypoints_per_pair=2) as store:
        assert import_psc6k(store, csv, check_images=False).added == 1


def test_images_folder_must_exist(store: ProjectStore, tmp_path: Path) -> None:
    csv = tmp_path / "x.csv"
    csv.write_text(f"{HEADER}\n{ROW}\n")
    with pytest.raises(UserError, match="images folder does not exist"):
        import_psc6k(store, csv, tmp_path / "nowhere")


def test_export_leaves_out_incomplete_pairs(
    sketchy: SketchyTree, store: ProjectStore, tmp_path: Path
) -> None:
    import_psc6k(store, write_kind(tmp_path / "test_pairs_ps.csv", "test_ps", sketchy.rows), sketchy.root)
    store.remove_keypoint(store.pair_ids()[0], 4)
    store.add_pair("photo-only.jpg")
    report = export_psc6k(store, tmp_path / "o.csv", "test_ps")
    assert (report.pairs, report.skipped) == (len(sketchy.rows) - 1, 2)
    assert len(read_psc6k_csv(tmp_path / "o.csv")) == len(sketchy.rows) - 1


def test_export_folder_writes_the_benchmark_files(
    sketchy: SketchyTree, store: ProjectStore, tmp_path: Path
) -> None:
    import_psc6k(store, write_kind(tmp_path / "test_pairs_ps.csv", "test_ps", sketchy.rows[:2]), sketchy.root)
    import_psc6k(
        store, write_kind(tmp_path / "train_pairs_ps.csv", "train_ps", sketchy.rows[2:]), sketchy.root
    )
    reports = export_psc6k_folder(store, tmp_path / "psc6k")
    assert sorted(r.path.name for r in reports) == sorted(_file_name(k) for k in KINDS)
    assert len(read_psc6k_csv(tmp_path / "psc6k" / "test_pairs_st.csv")) == 4
    assert len(read_psc6k_csv(tmp_path / "psc6k" / "train_pairs_st.csv")) == 2 * 2 * 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_import_of_mutated_st_csv(data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Importing a damaged file either works or raises FormatError and leaves the project empty."""
    folder = tmp_path_factory.getbasetemp() / "csv-fuzz"
    folder.mkdir(exist_ok=True)
    back = ",".join([ROW.split(",")[1], ROW.split(",")[0], *ROW.split(",")[2:]])
    text = f"source_image,target_image,class,XA,YA,XB,YB\n{ROW}\n{back}\n"
    position = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 8))
    mutated = text[:position] + data.draw(st.text(max_size=6)) + text[position + cut :]
    csv = folder / "test_pairs_st.csv"
    csv.write_text(mutated, encoding="utf-8", errors="surrogatepass")
    for leftover in folder.glob("p.sketchstudio*"):
        leftover.unlink()
    with ProjectStore.create(folder / "p.sketchstudio") as store:
        try:
            report = import_psc6k(store, csv, check_images=False)
        except FormatError as exc:
            assert "\n" not in str(exc) and store.pair_ids() == []
        else:
            assert len(store.pair_ids()) == report.added
