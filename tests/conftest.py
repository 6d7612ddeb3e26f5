"""Shared fixtures: the seed texts and a helper that runs one cleaning step on a snippet."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import cleaning, paths

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
