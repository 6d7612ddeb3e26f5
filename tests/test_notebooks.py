"""Every notebook executed with nbconvert, as CI and analysts run them: on the seeds, twice (the builds must be
byte-identical), and on a hostile corpus without a manifest (nothing it contains may reach HTML live)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import paths

NOTEBOOKS = sorted((paths.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
JUPYTER = Path(sys.executable).with_name("jupyter")


def run_pipeline(corpus: Path, out: Path) -> dict[str, subprocess.CompletedProcess]:
    """Execute every notebook in order into out/ (tables, figures, HTML); stop at the first failure."""
    env = {**os.environ, "CORPUS": str(corpus), "BUILD_DIR": str(out / "build"), "FIGURES_DIR": str(out / "figures"),
           "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    results = {}
    for notebook in NOTEBOOKS:
        results[notebook.name] = proc = subprocess.run(
            [str(JUPYTER), "nbconvert", "--to", "html", "--execute", "--log-level=WARN",
             "--output-dir", str(out / "build" / "notebooks"), str(notebook)],
            env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode:
            break
    return results


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under folder, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def seeds_build(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("seeds_build")
    return out, run_pipeline(paths.ROOT / "seeds", out)


@pytest.mark.parametrize("notebook", [n.name for n in NOTEBOOKS])
def test_notebook_executes(seeds_build, notebook):
    _, results = seeds_build
    assert notebook in results, "an earlier notebook failed"
    proc = results[notebook]
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_tables_are_written_with_bom(seeds_build):
    out, _ = seeds_build
    for name in ("documents", "segments", "cleaning_log"):
        assert (out / "build" / "tables" / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_two_builds_are_byte_identical(seeds_build, tmp_path):
    first, results = seeds_build
    assert all(p.returncode == 0 for p in results.values())
    second = run_pipeline(paths.ROOT / "seeds", tmp_path)
    assert all(p.returncode == 0 for p in second.values())
    for folder in ("build/tables", "figures"):
        assert digests(first / folder) == digests(tmp_path / folder), folder
