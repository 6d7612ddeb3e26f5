"""Shared fixtures: the seed texts and a helper that runs one cleaning step on a snippet.

Tests write only to temporary folders: the build and figure folders are pointed at one before any helper is
imported (helpers.base.paths reads them once), so no test leaves a jieba cache or a table in the project's build/ or .cache/."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

_SCRATCH = Path(tempfile.mkdtemp(prefix="longgang-tests-"))
os.environ["BUILD_DIR"] = str(_SCRATCH / "build")
os.environ["FIGURES_DIR"] = str(_SCRATCH / "figures")
os.environ["RESOURCE_CACHE_DIR"] = str(_SCRATCH / "resources")

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


# ---------------------------------------------------------------- whole builds (slow tests share one seeds build)
NOTEBOOKS = sorted((paths.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def run_pipeline(corpus: Path, out: Path, notebooks: list[Path] = NOTEBOOKS) -> subprocess.CompletedProcess:
    """Execute the notebooks (all by default) in order into out/ (tables, figures, HTML) with the runner; it stops at
    the first failure."""
    env = {
        **os.environ,
        "CORPUS": str(corpus),
        "BUILD_DIR": str(out / "build"),
        "FIGURES_DIR": str(out / "figures"),
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
    }
    command = [sys.executable, "-m", "helpers.run_notebooks", str(out / "build" / "notebooks"), *map(str, notebooks)]
    return subprocess.run(command, env=env, capture_output=True, text=True, cwd=paths.ROOT)


def failure(proc: subprocess.CompletedProcess) -> str:
    """What the runner said, for an assertion message."""
    return (proc.stdout[-2000:] + proc.stderr[-3000:]).strip()


@pytest.fixture(scope="session")
def seeds_build(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One build of the seeds through the runner, shared by every slow test that reads it."""
    out = tmp_path_factory.mktemp("seeds_build")
    return out, run_pipeline(paths.ROOT / "seeds", out)
