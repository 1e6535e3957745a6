"""The JSON project format: lossless round trip, schema, validation errors, fuzzing."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sketchstudio.core import resources
from sketchstudio.core.errors import FormatError
from sketchstudio.core.io.project_json import (
    export_json,
    import_json,
    parse_project_json,
    project_schema,
    project_to_dict,
)
from sketchstudio.core.io.schema_check import SchemaViolation, validate
from sketchstudio.core.model import (
    Keypoint,
    KeypointSource,
    KeypointStatus,
    PairStatus,
    Side,
    Stroke,
    Suggestion,
)
from sketchstudio.core.store import ProjectStore


def _rich_project(path: Path) -> ProjectStore:
    store = ProjectStore.create(path, name="rich", keypoints_per_pair=8)
    a = store.add_pair(
        "photo/cat/a.jpg",
        "sketch/cat/a-1.png",
        category="cat",
        name="a-1",
        split="test",
        flip=True,
        status=PairStatus.FLAGGED,
    )
    store.set_keypoint(
        a.id,
        Keypoint(
            0,
            photo=(1.125, 2.25),
            sketch=(3.5, 4.75),
            source=KeypointSource.SUGGESTION,
            suggestion=Suggestion("pscnet-r18@abc", Side.SKETCH, 3.0, 4.0, 0.625),
        ),
        author="ann",
    )
    store.set_keypoint(
        a.id,
        Keypoint(
            5,
            photo=(9.0, 9.5),
            sketch=None,
            sketch_visible=False,
            status=KeypointStatus.PENDING,
            suggestion=Suggestion("m", Side.PHOTO, 1, 2),
        ),
    )
    store.add_stroke(
        a.id, Stroke(points=((0.5, 0.25, 0.3, 0.0), (10.0, 12.0, 0.9, 0.05)), width=4.5, color="#ff0080")
    )
    store.add_stroke(a.id, Stroke(points=((5.0, 5.0, 1.0, 0.0),), width=8.0, eraser=True))
    store.set_sketch_size(a.id, 320, 200)
    b = store.add_pair("photos/b.png", None, category="", split="train")
    store.set_pair_status(b.id, PairStatus.IN_PROGRESS)
    return store


def _content(store: ProjectStore) -> list[tuple[Any, ...]]:
    """Everything a user made, without ids."""
    out = []
    for pair in store.pairs():
        sketch = store.sketch(pair.id)
        out.append(
            (
                pair.photo,
                pair.sketch,
                pair.category,
                pair.name,
                pair.split,
                pair.flip,
                pair.status,
                pair.created,
                pair.modified,
                pair.extra,
                store.keypoints(pair.id),
                [s.with_id(None) for s in sketch.strokes],
                sketch.width,
                sketch.height,
                sketch.background,
            )
        )
    return out


def test_export_import_is_lossless(tmp_path: Path) -> None:
    with _rich_project(tmp_path / "a.sketchstudio") as source:
        export_json(source, tmp_path / "a.json")
        expected = _content(source)
    with ProjectStore.create(tmp_path / "b.sketchstudio") as target:
        report = import_json(target, tmp_path / "a.json")
        assert report.added == 2
        assert _content(target) == expected


def test_export_validates_against_the_bundled_schema(tmp_path: Path) -> None:
    with _rich_project(tmp_path / "a.sketchstudio") as store:
        document = project_to_dict(store)
    validate(document, project_schema())
    assert document["format"] == "sketchstudio-project" and document["version"] == 1
    assert document["categories"] == ["cat"] and document["splits"] == ["test", "train"]
    assert resources.schema_path().is_file()


def test_schema_enums_match_the_model() -> None:
    defs = project_schema()["$defs"]
    assert defs["pair"]["properties"]["status"]["enum"] == [s.value for s in PairStatus]
    assert defs["keypoint"]["properties"]["status"]["enum"] == [s.value for s in KeypointStatus]
    assert defs["keypoint"]["properties"]["source"]["enum"] == [s.value for s in KeypointSource]
    assert defs["suggestion"]["properties"]["side"]["enum"] == [s.value for s in Side]


def _valid() -> dict[str, Any]:
    return {
        "format": "sketchstudio-project",
        "version": 1,
        "keypoints_per_pair": 8,
        "pairs": [
            {
                "photo": "a.jpg",
                "sketch": "a.png",
                "keypoints": [{"index": 0, "photo": [1, 2], "sketch": [3, 4]}],
                "strokes": [{"points": [[1, 2, 0.5, 0]], "width": 2, "color": "#000000"}],
            }
        ],
    }


@pytest.mark.parametrize(
    ("mutate", "where", "what"),
    [
        (lambda d: d.pop("pairs"), "(top level)", "missing required field 'pairs'"),
        (lambda d: d["pairs"][0].update(photo=5), "pairs[0].photo", "expected string"),
        (lambda d: d["pairs"][0].update(status="finished"), "pairs[0].status", "expected one of"),
        (
            lambda d: d["pairs"][0]["keypoints"][0].update(photo=[1]),
            "pairs[0].keypoints[0].photo",
            "at least 2",
        ),
        (
            lambda d: d["pairs"][0]["keypoints"][0].update(index=8),
            "pairs[0].keypoints[0].index",
            "outside 0..7",
        ),
        (lambda d: d["pairs"][0]["keypoints"].append({"index": 0}), "pairs[0].keypoints[1]", "duplicate"),
        (
            lambda d: d["pairs"][0]["strokes"][0].update(color="red"),
            "pairs[0].strokes[0].color",
            "does not match",
        ),
        (
            lambda d: d["pairs"][0]["strokes"][0].update(width=0),
            "pairs[0].strokes[0].width",
            "greater than 0",
        ),
        (lambda d: d["pairs"][0].update(flip=1), "pairs[0].flip", "expected boolean"),
        (lambda d: d["pairs"][0].update(colour="x"), "pairs[0]", "unknown field 'colour'"),
        (lambda d: d.update(keypoints_per_pair=True), "keypoints_per_pair", "expected integer"),
    ],
)
def test_invalid_documents_name_the_field(mutate, where: str, what: str) -> None:
    document = _valid()
    mutate(document)
    with pytest.raises(FormatError) as info:
        parse_project_json(json.dumps(document), path="f.json")
    message = str(info.value)
    assert message.startswith(f"f.json: {where}: ") and what in message and "\n" not in message


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("{", "not valid JSON"),
        ('{"format": "sketchstudio-project", "version": 1, "keypoints_per_pair": NaN, "pairs": []}', "NaN"),
        ("[1, 2]", "not a SketchStudio project export"),
        ('{"format": "sketchstudio-project", "version": 7, "pairs": []}', "version 7 is newer"),
        (
            '{"format": "sketchstudio-project", "version": 1, "keypoints_per_pair": 1'
            + "0" * 400
            + ', "pairs": []}',
            "expected integer",
        ),
    ],
)
def test_unreadable_documents(text: str, what: str) -> None:
    with pytest.raises(FormatError, match=what):
        parse_project_json(text, path="f.json")


def test_failed_import_leaves_project_unchanged(tmp_path: Path) -> None:
    document = _valid()
    document["pairs"].append(copy.deepcopy(document["pairs"][0]))
    document["pairs"][1]["keypoints"][0]["photo"] = "here"
    (tmp_path / "bad.json").write_text(json.dumps(document))
    with ProjectStore.create(tmp_path / "p.sketchstudio") as store:
        with pytest.raises(FormatError, match=r"pairs\[1\]\.keypoints\[0\]\.photo"):
            import_json(store, tmp_path / "bad.json")
        assert store.pair_ids() == []


def test_validator_rejects_unknown_keywords() -> None:
    with pytest.raises(ValueError, match="not supported"):
        validate(1, {"type": "integer", "multipleOf": 2})
    with pytest.raises(SchemaViolation):
        validate(True, {"type": "number"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_fuzz_arbitrary_json_only_raises_format_error(value: Any) -> None:
    with contextlib.suppress(FormatError):
        parse_project_json(json.dumps(value), path="f.json")


_FIELDS = [
    "photo",
    "sketch",
    "index",
    "points",
    "width",
    "color",
    "keypoints",
    "strokes",
    "status",
    "suggestion",
    "side",
    "x",
    "sketch_size",
    "extra",
    "keypoints_per_pair",
    "version",
    "pairs",
    "eraser",
    "created",
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_documents_only_raise_format_error(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    fuzz_dir = tmp_path_factory.getbasetemp() / "json-fuzz"
    fuzz_dir.mkdir(exist_ok=True)
    document = _valid()
    document["pairs"][0]["keypoints"][0]["suggestion"] = {"model_id": "m", "side": "photo", "x": 1, "y": 2}
    document["pairs"][0]["sketch_size"] = [10, 10]
    for _ in range(data.draw(st.integers(1, 3))):
        nodes = _containers(document)
        node = data.draw(st.sampled_from(nodes))
        if isinstance(node, dict):
            key = data.draw(st.sampled_from([*node.keys(), *_FIELDS]))
            node[key] = data.draw(json_values)
        elif node:
            node[data.draw(st.integers(0, len(node) - 1))] = data.draw(json_values)
    path = fuzz_dir / "doc.json"
    path.write_text(json.dumps(document))
    project = fuzz_dir / "p.sketchstudio"
    for leftover in fuzz_dir.glob("p.sketchstudio*"):
        leftover.unlink()
    with ProjectStore.create(project) as store:
        try:
            report = import_json(store, path)  # a document that validates must import
        except FormatError as exc:
            assert "\n" not in str(exc)
            assert store.pair_ids() == []
        else:
            assert len(store.pair_ids()) == report.added


def _containers(value: Any) -> list[Any]:
    found = [value] if isinstance(value, dict | list) else []
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for child in children:
        found += _containers(child)
    return found
