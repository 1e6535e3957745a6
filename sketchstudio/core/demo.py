"""The bundled demo project, copied to the user's data folder on first use.

The shipped copy (`resources.demo_project_dir()`) stays pristine: the user edits the copy under
`resources.user_data_dir() / "demo"`, which is reused on later starts so their work is kept.
The copy is made in a temporary sibling folder and renamed into place, so an interrupted first
start never leaves a half-copied demo behind.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sketchstudio.core import resources
from sketchstudio.core.errors import ProjectError

DEMO_PROJECT_NAME = "demo.sketchstudio"


def bundled_demo_project() -> Path:
    return resources.demo_project_dir() / DEMO_PROJECT_NAME


def demo_copy_dir() -> Path:
    return resources.user_data_dir() / "demo"


def ensure_demo_project(*, reset: bool = False) -> Path:
    """The user's copy of the demo project, copied from the bundle if absent (or `reset`)."""
    source = bundled_demo_project()
    target_dir = demo_copy_dir()
    target = target_dir / DEMO_PROJECT_NAME
    if target.is_file() and not reset:
        return target
    if not source.is_file():
        raise ProjectError("the bundled demo project is missing (reinstall SketchStudio)", path=source)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=target_dir.parent))
    try:
        shutil.copytree(source.parent, staging / "demo",
                        ignore=shutil.ignore_patterns("*-wal", "*-shm", ".keep", "*.tmp"))
        if target_dir.exists():
            shutil.rmtree(target_dir)
        (staging / "demo").rename(target_dir)
    except OSError as exc:
        reason = exc.strerror or exc
        raise ProjectError(f"cannot copy the demo project here ({reason})", path=target_dir) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
