"""Shared fixtures: the seed texts and a helper that runs one cleaning step on a snippet.

Tests write only to temporary folders: the build and figure folders are pointed at one before any helper is
imported (helpers.base.paths reads them once), so no test leaves a jieba cache or a table in the project's build/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_SCRATCH = Path(tempfile.mkdtemp(prefix="longgang-tests-"))
os.environ["BUILD_DIR"] = str(_SCRATCH / "build")
os.environ["FIGURES_DIR"] = str(_SCRATCH / "figures")

from helpers.base import paths  # noqa: E402
from helpers.stage1_load import cleaning  # noqa: E402

SEEDS = paths.ROOT / "seeds"


def seed_text(prefix: str) -> str:
    """The raw text of the seed whose file name starts with prefix."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def run_step(function, text: str) -> str:
    """Apply one cleaning step to a snippet."""
    return cleaning.apply_edits(text, function(text))


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS
