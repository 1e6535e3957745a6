"""The README's set-up is the contract with a new user: keep its commands and CI in step."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_setup_is_exactly_two_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in c for c in commands), "each set-up step must be one command line"
    run, test = commands
    assert run.endswith("sketchstudio --demo"), "the first command must start the app on the demo"
    assert "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _setup_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines(), "CI must run the README's test command verbatim"


def test_console_scripts_point_at_real_functions() -> None:
    import importlib
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert set(scripts) == {"sketchstudio", "sketchstudio-train"}
    for target in scripts.values():
        module, func = target.split(":")
        assert callable(getattr(importlib.import_module(module), func))


def _apt_packages(command: str) -> set[str]:
    packages: set[str] = set()
    for part in command.split("&&"):
        words = part.split()
        if "apt-get" in words and "install" in words:
            packages |= {w for w in words[words.index("install") + 1:] if not w.startswith("-")}
    return packages


def test_readme_apt_line_names_every_library_the_qt_xcb_plugin_needs() -> None:
    """Read from the installed wheel: the xcb plugin's (and its bundled Qt libraries') DT_NEEDED."""
    from sketchstudio.gui import qt_libs

    root = qt_libs.qt_root()
    assert root is not None, "PySide6 is not installed"
    plugins = qt_libs.xcb_plugin_files(root)
    assert plugins and plugins[0].name == "libqxcb.so", plugins
    needed = qt_libs.system_sonames(plugins, root / "lib")
    assert "libxcb-cursor.so.0" in needed and "libxcb.so.1" in needed, needed
    unknown = [name for name in needed if name not in qt_libs.SONAME_PACKAGES]
    assert not unknown, f"map these sonames to their Debian packages in qt_libs.SONAME_PACKAGES: {unknown}"
    apt = _apt_packages(_setup_commands()[0])
    absent = sorted(set(qt_libs.packages_for(needed)) - apt)
    assert not absent, f"the README's apt-get line must also install {absent}"
    assert "python3-venv" in apt, "Debian/Ubuntu need python3-venv for `python3 -m venv`"


def test_missing_qt_library_is_one_line_naming_the_package() -> None:
    """`sketchstudio --demo` with libxcb-cursor missing: one line and exit 2, not Qt's abort."""
    import os
    import subprocess
    import sys

    script = ("import sketchstudio.gui.qt_libs as q\n"
              "q._loadable = lambda name: name != 'libxcb-cursor.so.0'\n"
              "from sketchstudio.cli.main import main\n"
              "raise SystemExit(main(['--demo']))\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "libxcb-cursor0" in lines[0] and "apt-get install" in lines[0], lines[0]
    assert "Could not load the Qt platform plugin" not in done.stderr


def test_no_display_is_one_line() -> None:
    import pytest

    from sketchstudio.core.errors import UserError
    from sketchstudio.gui import qt_libs

    with pytest.raises(UserError) as info:
        qt_libs.check_platform({"QT_QPA_PLATFORM": "xcb"}, loadable=lambda name: True)
    assert "\n" not in str(info.value) and "DISPLAY" in str(info.value)
    qt_libs.check_platform({"QT_QPA_PLATFORM": "offscreen"}, loadable=lambda name: False)
