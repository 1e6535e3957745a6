"""Check, before Qt starts, that the system libraries its X11 (xcb) platform plugin needs exist.

Without them Qt aborts with "Could not load the Qt platform plugin "xcb" ... even though it was
found", which names neither the library nor the package. `check_platform()` reads the plugin's
dependencies from the installed PySide6 wheel (the ELF `DT_NEEDED` entries of the plugin and of
the Qt libraries it pulls in from the wheel), tries to load each system library by its soname
and raises one `UserError` line naming the Debian/Ubuntu packages to install.

This module imports no Qt: it must work exactly when Qt cannot.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import struct
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from sketchstudio.core.errors import UserError

# soname -> Debian/Ubuntu package (same names on Debian 12 and Ubuntu 22.04/24.04; on 24.04
# apt resolves libglib2.0-0 to libglib2.0-0t64).
SONAME_PACKAGES: dict[str, str] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libzstd.so.1": "libzstd1",
}

# Part of every Debian/Ubuntu installation (essential or required by apt itself).
BASE_SONAMES = frozenset({
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
    "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
})

_SHT_DYNAMIC = 6
_DT_NEEDED = 1


def elf_needed(path: str | os.PathLike[str]) -> list[str]:
    """The `DT_NEEDED` sonames of a 64-bit little-endian ELF file (no binutils needed)."""
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            return []
        shoff, = struct.unpack_from("<Q", header, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", header, 0x3A)
        f.seek(shoff)
        table = f.read(shentsize * shnum)
        sections = [struct.unpack_from("<IIQQQQIIQQ", table, i * shentsize) for i in range(shnum)]
        for _name, sh_type, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
            if sh_type != _SHT_DYNAMIC:
                continue
            f.seek(offset)
            dynamic = f.read(size)
            strtab = sections[link]
            f.seek(strtab[4])
            strings = f.read(strtab[5])
            needed = []
            for i in range(0, size - (entsize or 16) + 1, entsize or 16):
                tag, value = struct.unpack_from("<qQ", dynamic, i)
                if tag == 0:
                    break
                if tag == _DT_NEEDED:
                    needed.append(strings[value:strings.index(b"\0", value)].decode())
            return needed
    return []


def qt_root() -> Path | None:
    """`PySide6/Qt` of the installed wheel, found without importing PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    return root if root.is_dir() else None


def xcb_plugin_files(root: Path) -> list[Path]:
    """The xcb platform plugin and its GL integrations in the wheel."""
    files = [root / "plugins" / "platforms" / "libqxcb.so"]
    files += sorted((root / "plugins" / "xcbglintegrations").glob("*.so"))
    return [p for p in files if p.is_file()]


def system_sonames(files: Iterable[Path], wheel_lib: Path) -> list[str]:
    """System libraries `files` need, following the Qt libraries bundled in `wheel_lib`."""
    found: list[str] = []
    seen: set[str] = set()
    todo = list(files)
    visited: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in visited:
            continue
        visited.add(path)
        for name in elf_needed(path):
            bundled = wheel_lib / name
            if bundled.is_file():
                todo.append(bundled)
            elif name not in seen and name not in BASE_SONAMES:
                seen.add(name)
                found.append(name)
    return sorted(found)


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(loadable: Callable[[str], bool] | None = None) -> list[str]:
    """Sonames the xcb plugin needs that the dynamic loader cannot find (empty if none)."""
    loadable = loadable or _loadable
    root = qt_root()
    if root is None:
        return []
    return [name for name in system_sonames(xcb_plugin_files(root), root / "lib") if not loadable(name)]


def packages_for(sonames: Iterable[str]) -> list[str]:
    return sorted({SONAME_PACKAGES.get(name, name) for name in sonames})


def uses_xcb(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Whether Qt will start on X11: asked for explicitly, or Linux with no Wayland session."""
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(";")[0].split(":")[0] == "xcb"
    return sys.platform.startswith("linux") and not environ.get("WAYLAND_DISPLAY")


def check_platform(environ: dict[str, str] | os._Environ[str] = os.environ,
                   loadable: Callable[[str], bool] | None = None) -> None:
    """Raise a one-line `UserError` where Qt's xcb platform would abort; do nothing otherwise."""
    if not uses_xcb(environ):
        return
    missing = missing_libraries(loadable)
    if missing:
        raise UserError(
            "the Qt window system (xcb) needs system libraries that are not installed ("
            + ", ".join(missing) + "); install them with: sudo apt-get install "
            + " ".join(packages_for(missing)))
    if not environ.get("DISPLAY"):
        raise UserError("no X display to open the window on (DISPLAY is not set); start SketchStudio "
                        "from a desktop session, or under `xvfb-run`")
