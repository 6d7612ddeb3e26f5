"""Every path the project uses, anchored at the project root (nbconvert runs notebooks from notebooks/)."""

from __future__ import annotations

import os
from pathlib import Path

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
REPORT_HTML: Path = BUILD / "report.html"


def ensure_dirs() -> None:
    """Create the output folders if they are missing."""
    for folder in (TABLES, CACHE, FIGURES):
        folder.mkdir(parents=True, exist_ok=True)
