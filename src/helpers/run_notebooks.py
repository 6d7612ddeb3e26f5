"""Execute notebooks in order in one process (a fresh kernel each), export each to HTML, print the time taken.

`make report` uses this instead of one `jupyter nbconvert` process per notebook, which would pay the start-up of
Jupyter five times. Usage: python -m helpers.run_notebooks OUT_DIR NOTEBOOK...
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter


def run(notebook: Path, html_dir: Path) -> float:
    """Execute one notebook with its own folder as working directory (as nbconvert does); write its HTML."""
    start = time.perf_counter()
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}}).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    html_dir.mkdir(parents=True, exist_ok=True)
    (html_dir / f"{notebook.stem}.html").write_text(body, encoding="utf-8")
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    """Run every notebook named; stop at the first that fails, naming it."""
    html_dir, notebooks = Path(argv[0]), [Path(a) for a in argv[1:]]
    total = time.perf_counter()
    for notebook in notebooks:
        try:
            seconds = run(notebook, html_dir)
        except CellExecutionError as exc:
            print(f"  {notebook.name} FAILED:\n{exc}", file=sys.stderr)
            return 1
        print(f"  {notebook.name:<28} {seconds:6.1f} s", flush=True)
    print(f"  {'total':<28} {time.perf_counter() - total:6.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
