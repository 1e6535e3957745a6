"""`sketchstudio import`, `export` and `info`: project files without the GUI.

    sketchstudio import PROJECT --psc6k test_pairs_ps.csv --images SKETCHY_ROOT
    sketchstudio import PROJECT --json project.json
    sketchstudio import PROJECT --folder PHOTOS [--recursive]
    sketchstudio export PROJECT --format psc6k|json|coco -o OUT
    sketchstudio info PROJECT

`import` creates the project if it does not exist and extends it otherwise; a failed import leaves
an existing project unchanged and removes a project it had just created. Errors are one line
(raised as `UserError`, printed by `sketchstudio.cli.main`) with exit code 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sketchstudio.core.errors import UserError, printable

FORMATS = ("psc6k", "json", "coco")
PSC6K_KINDS = ("test_ps", "test_st", "train_ps", "train_st")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    imp = subparsers.add_parser("import", help="import pairs into a project (created if missing)",
                                description="Import pairs into a project; the project is created if missing.")
    imp.add_argument("project", type=Path, help="project file (.sketchstudio)")
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument("--psc6k", type=Path, metavar="CSV", help="a PSC6K pairs CSV (any of the four kinds)")
    source.add_argument("--json", type=Path, metavar="FILE", help="a SketchStudio JSON project export")
    source.add_argument("--folder", type=Path, metavar="DIR",
                        help="a folder of photos (pairs without sketches)")
    imp.add_argument("--images", type=Path, metavar="ROOT",
                     help="folder the CSV's image paths are relative to (the Sketchy root)")
    imp.add_argument("--split", help="split name for the imported pairs (default: from the CSV name)")
    imp.add_argument("--no-check-images", dest="check_images", action="store_false",
                     help="do not decode every image while importing a CSV or JSON file")
    imp.add_argument("--recursive", action="store_true", help="with --folder: include sub-folders")
    imp.add_argument("--category", help="with --folder: category of every photo (default: folder name)")
    imp.set_defaults(func=run_import)

    exp = subparsers.add_parser("export", help="export a project as PSC6K CSV, JSON or COCO keypoints")
    exp.add_argument("project", type=Path, help="project file (.sketchstudio)")
    exp.add_argument("--format", required=True, choices=FORMATS)
    exp.add_argument("-o", "--output", required=True, type=Path,
                     help="output file; for psc6k a folder (or a name without .csv) gets "
                          "test_pairs_ps.csv and test_pairs_st.csv, and train_pairs_ps.csv and "
                          "train_pairs_st.csv too when the project has a train split")
    exp.add_argument("--kind", choices=PSC6K_KINDS,
                     help="psc6k CSV kind (default: from the file name, else test_ps)")
    exp.set_defaults(func=run_export)

    info = subparsers.add_parser("info", help="summarise a project")
    info.add_argument("project", type=Path, help="project file (.sketchstudio)")
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    info.set_defaults(func=run_info)


def run_import(args: argparse.Namespace) -> int:
    from sketchstudio.core.store import ProjectStore

    if args.images is not None and args.psc6k is None:
        raise UserError("--images only applies to --psc6k")
    document = None
    create_kw: dict[str, Any] = {}
    if args.json is not None:
        from sketchstudio.core.io.project_json import read_project_json

        document = read_project_json(args.json)  # validate before creating anything
        create_kw = {"keypoints_per_pair": document.keypoints_per_pair, "name": document.name or None}
    created = not args.project.exists()
    store = ProjectStore.open_or_create(args.project, **create_kw)
    try:
        if not created:
            store.check_integrity()  # never add to a damaged project
        with store.transaction():  # one import, one transaction: all or nothing
            message = _import_into(store, args, document)
    except BaseException:
        store.close()
        if created:
            _remove_project(args.project)
        raise
    store.close()
    print(printable(f"{args.project}: {message}"))
    return 0


def _import_into(store: Any, args: argparse.Namespace, document: Any) -> str:
    if args.psc6k is not None:
        from sketchstudio.core.io.psc6k import import_psc6k

        report = import_psc6k(store, args.psc6k, args.images, check_images=args.check_images,
                              split=args.split)
        return (f"imported {report.added} pairs from {report.rows} rows of {args.psc6k}"
                + _skipped(report.skipped_existing))
    if args.json is not None:
        from sketchstudio.core.io.project_json import import_json

        json_report = import_json(store, args.json, document, check_images=args.check_images)
        return f"imported {json_report.added} pairs from {args.json}" + _skipped(json_report.skipped_existing)
    from sketchstudio.core.io.photo_folder import import_photo_folder

    folder_report = import_photo_folder(store, args.folder, recursive=args.recursive, category=args.category,
                                        split=args.split or "")
    return (f"imported {folder_report.added} photos from {args.folder}"
            + _skipped(folder_report.skipped_existing))


def run_export(args: argparse.Namespace) -> int:
    from sketchstudio.core.store import ProjectStore

    if args.kind is not None and args.format != "psc6k":
        raise UserError("--kind only applies to --format psc6k")
    with ProjectStore.open(args.project, read_only=True) as store:
        store.check_integrity()
        out: Path = args.output
        if args.format == "json":
            from sketchstudio.core.io.project_json import export_json

            print(printable(f"{out}: wrote {export_json(store, out)} pairs"))
        elif args.format == "coco":
            from sketchstudio.core.io.coco import export_coco

            print(printable(f"{out}: wrote {export_coco(store, out)} annotations"))
        else:
            from sketchstudio.core.io.psc6k import export_psc6k, export_psc6k_folder

            folder = out.is_dir() or (out.suffix.lower() != ".csv" and args.kind is None)
            reports = export_psc6k_folder(store, out) if folder else [export_psc6k(store, out, args.kind)]
            for r in reports:
                print(printable(f"{r.path}: wrote {r.rows} rows for {r.pairs} pairs "
                                f"({r.skipped} pairs left out)"))
    return 0


def run_info(args: argparse.Namespace) -> int:
    from sketchstudio.core.migrations import SCHEMA_VERSION
    from sketchstudio.core.store import ProjectStore

    with ProjectStore.open(args.project, read_only=True) as store:
        store.check_integrity()
        stats = store.stats()
        summary = {
            "project": str(store.path), "name": store.name, "schema": SCHEMA_VERSION,
            "images_root": None if store.images_root is None else str(store.images_root),
            "keypoints_per_pair": store.keypoints_per_pair, "pairs": stats.pairs,
            "annotated_pairs": stats.annotated_pairs, "complete_pairs": stats.complete_pairs,
            "keypoints": stats.keypoints, "strokes": stats.strokes,
            "categories": stats.categories, "statuses": stats.statuses,
        }
    if args.json:
        text = json.dumps(summary, indent=1, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not UTF-8: escape it
            text = json.dumps(summary, indent=1, ensure_ascii=True)
        print(text)
        return 0
    named = {k: v for k, v in stats.categories.items() if k}
    print(printable(f"project          {summary['project']} ({summary['name']})"))
    print(printable(f"images root      {summary['images_root'] or '-'}"))
    print(f"pairs            {stats.pairs}")
    print(f"annotated pairs  {stats.annotated_pairs} ({stats.complete_pairs} with all "
          f"{store.keypoints_per_pair} keypoints complete)")
    print(f"keypoints        {stats.keypoints}")
    print(f"strokes          {stats.strokes}")
    print(f"categories       {len(named)}" + (f": {_listing(named)}" if named else ""))
    print(f"status           {_listing(stats.statuses) or '-'}")
    return 0


def _listing(counts: dict[str, int], limit: int = 12) -> str:
    items = [f"{k} {v}" for k, v in list(counts.items())[:limit]]
    if len(counts) > limit:
        items.append(f"... {len(counts) - limit} more")
    return ", ".join(items)


def _skipped(n: int) -> str:
    return f" ({n} already in the project, left as they were)" if n else ""


def _remove_project(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
