"""Every path the project uses, anchored at the project root (nbconvert runs notebooks from notebooks/), and how a
cached file is written whole."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pylopdf_fonts_zh_cn

ROOT: Path = Path(__file__).resolve().parents[3]  # src/helpers/base/paths.py
RESOURCES: Path = Path(__file__).resolve().parents[1] / "resources"


def _from_env(name: str, default: Path) -> Path:
    """An environment override (relative paths resolve against the root), else the default."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else (ROOT / path)


CORPUS: Path = _from_env("CORPUS", ROOT / "seeds")
BUILD: Path = _from_env("BUILD_DIR", ROOT / "build")
FIGURES: Path = _from_env("FIGURES_DIR", ROOT / "figures")
TABLES: Path = BUILD / "tables"
CACHE: Path = BUILD / "cache"
# What is derived from the installed dictionaries alone (jieba's prefix dictionary, CC-CEDICT as a table), never from a
# corpus: built once per machine and shared by every build folder, as jieba keeps its own cache in /tmp.
RESOURCE_CACHE: Path = _from_env("RESOURCE_CACHE_DIR", ROOT / ".cache")
REPORT_HTML: Path = BUILD / "report.html"


def ensure_dirs() -> None:
    """Create the output folders if they are missing."""
    for folder in (TABLES, CACHE, FIGURES):
        folder.mkdir(parents=True, exist_ok=True)


def write_whole(path: Path, write: Callable[[Path], None], replaces: str = "") -> None:
    """Make path by write(a partial file beside it) and rename that into place, so that a process reading concurrently
    sees the old file or the whole new one; then remove the other files of its folder matching the glob `replaces`
    (older versions of it). Raises OSError where the folder cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        partial.unlink(missing_ok=True)
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    for stale in path.parent.glob(replaces) if replaces else ():
        if stale != path:
            stale.unlink(missing_ok=True)


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Noto Sans SC from the pylopdf-fonts-zh-cn wheel: installed by requirements.txt, never a system font."""
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.exists():
        raise FileNotFoundError(f"CJK font missing at {path}: run `make report` to install requirements.txt")
    return path
