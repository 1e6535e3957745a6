"""Where the bundled resources, the model zoo and the user's data live.

In an installed wheel the repository's `resources/` and `models/` folders ship inside the
package as `sketchstudio._resources` and `sketchstudio._zoo`; in a source checkout (editable
install or plain `PYTHONPATH`) they are read from the repository root. Either way callers ask
these functions and never build such paths themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_REPO_ROOT = _PACKAGE_DIR.parent

APP_NAME = "SketchStudio"
APP_AUTHOR = "SketchStudio"


def _bundled(package_subdir: str, repo_subdir: str) -> Path:
    inside = _PACKAGE_DIR / package_subdir
    if inside.is_dir():
        return inside
    return _REPO_ROOT / repo_subdir


def resources_dir() -> Path:
    """The bundled `resources/` folder (schema, icons, demo project)."""
    return _bundled("_resources", "resources")


def models_dir() -> Path:
    """The bundled model zoo (`models/`): shipped weights and their model cards."""
    return _bundled("_zoo", "models")


def schema_path() -> Path:
    return resources_dir() / "schema" / "sketchstudio-project.schema.json"


def demo_project_dir() -> Path:
    """The pristine bundled demo project; `--demo` copies it before opening."""
    return resources_dir() / "demo"


def user_data_dir() -> Path:
    """Per-user data (copied demo project, trained runs). `SKETCHSTUDIO_HOME` overrides it,
    which the tests use to stay out of the real home directory."""
    override = os.environ.get("SKETCHSTUDIO_HOME")
    if override:
        return Path(override) / "data"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, APP_AUTHOR)


def user_config_dir() -> Path:
    override = os.environ.get("SKETCHSTUDIO_HOME")
    if override:
        return Path(override) / "config"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, APP_AUTHOR)
