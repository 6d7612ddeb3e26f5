"""Execute notebooks in order in one process (a fresh kernel each), export each to HTML, print the time taken.

`make report` uses this instead of one `jupyter nbconvert` process per notebook, which would pay the start-up of
Jupyter five times. There is no per-cell time limit: a large corpus may need long cells. Progress bars the notebooks
write to stderr are echoed to this terminal; every cell that takes a while is timed. A failing cell stops the run
with one line naming the notebook, the cell and the exception (the full traceback is in the notebook's HTML).
Usage: python -m helpers.run_notebooks OUT_DIR NOTEBOOK...
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from helpers.base import paths
from helpers.stage1_load.inputs import CorpusUnusable, check_corpus

SLOW_CELL_SECONDS = 2.0  # cells at least this slow are listed under their notebook's time


class StageFailed(Exception):
    """A notebook failed; the message is the one line to show."""


class EchoingClient(NotebookClient):
    """A NotebookClient that times each cell and echoes the kernel's stderr (progress bars) to this terminal."""

    def __init__(self, nb, **kwargs) -> None:
        super().__init__(nb, on_cell_start=self._started, on_cell_executed=self._finished, **kwargs)
        self.current: tuple[int, str] = (-1, "")
        self.cell_times: list[tuple[int, str, float]] = []
        self._started_at = 0.0

    def _started(self, cell, cell_index: int) -> None:
        self.current = (cell_index, first_line(cell.source))
        self._started_at = time.perf_counter()

    def _finished(self, cell, cell_index: int, execute_reply) -> None:
        self.cell_times.append((cell_index, first_line(cell.source), time.perf_counter() - self._started_at))

    def output(self, outs, msg, display_id, cell_index):
        """Echo stderr streams as they arrive (tqdm draws its bar with carriage returns), then store them as usual."""
        if msg["msg_type"] == "stream" and msg["content"].get("name") == "stderr":
            sys.stderr.write(msg["content"].get("text", ""))
            sys.stderr.flush()
        return super().output(outs, msg, display_id, cell_index)


def first_line(source: str) -> str:
    """A cell's first line of code (comments and blank lines skipped), shortened for one terminal line."""
    lines = [line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
    line = lines[0] if lines else "(empty cell)"
    return line if len(line) <= 70 else line[:69] + "…"


def write_html(nb, notebook: Path, html_dir: Path) -> Path:
    """Export the executed (or partly executed) notebook to html_dir/<name>.html."""
    body, _ = HTMLExporter().from_notebook_node(nb)
    html_dir.mkdir(parents=True, exist_ok=True)
    target = html_dir / f"{notebook.stem}.html"
    target.write_text(body, encoding="utf-8")
    return target


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")  # colour and cursor codes IPython puts in errors


def failure_line(notebook: Path, exc: BaseException, index: int, line: str, page: Path) -> str:
    """'notebook NN failed: <exception>: <first line of its message> (cell i `code`); full log: <page>', no ANSI."""
    if isinstance(exc, CellExecutionError):
        name, message = exc.ename, exc.evalue
    else:
        name, message = type(exc).__name__, str(exc)
    lines = [ln.strip() for ln in ANSI.sub("", message or "").splitlines() if ln.strip()]
    cause = f"{name}: {lines[0]}" if lines else name
    where = f"cell {index} `{line}`" if index >= 0 else "before the first cell"
    number = notebook.name.split("_", 1)[0]
    return f"notebook {number} failed: {cause} ({where}); full log: {page}"


def preflight(corpus: Path) -> str:
    """Before any kernel starts: remove the last report (a failed run must not leave one looking current) and check the
    corpus folder; '' if the run can start, else the one line saying why not."""
    paths.REPORT_HTML.unlink(missing_ok=True)
    try:
        check_corpus(corpus)
    except CorpusUnusable as exc:
        return f"cannot build: {exc}"
    return ""


def run(notebook: Path, html_dir: Path) -> tuple[float, list[tuple[int, str, float]]]:
    """Execute one notebook with its own folder as working directory (as nbconvert does); write its HTML.

    Returns the seconds taken and (cell index, first line, seconds) of every cell; raises StageFailed on an error.
    """
    start = time.perf_counter()
    nb = nbformat.read(notebook, as_version=4)
    client = EchoingClient(
        nb,
        timeout=None,
        kernel_name="python3",
        coalesce_streams=True,  # keeps a bar's last state
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # the kernel's start-up warnings are noise on this terminal
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    try:
        client.execute()
    except Exception as exc:  # a cell raised, the kernel died (e.g. out of memory) or did not start
        index, line = client.current
        page = write_html(nb, notebook, html_dir)
        raise StageFailed(failure_line(notebook, exc, index, line, page)) from exc
    write_html(nb, notebook, html_dir)
    return time.perf_counter() - start, client.cell_times


def main(argv: list[str]) -> int:
    """Run every notebook named; print each one's time and its slow cells; stop at the first that fails."""
    html_dir, notebooks = Path(argv[0]), [Path(a) for a in argv[1:]]
    os.environ.setdefault("ENGINE_PROGRESS", "text")  # the kernels inherit it: text bars, echoed by EchoingClient
    total = time.perf_counter()
    refused = preflight(paths.CORPUS)
    if refused:
        print(refused, file=sys.stderr, flush=True)
        return 2
    for notebook in notebooks:
        try:
            seconds, cells = run(notebook, html_dir)
        except StageFailed as failed:
            print(failed, file=sys.stderr, flush=True)
            return 1
        print(f"  {notebook.name:<28} {seconds:6.1f} s", flush=True)
        for index, line, cell_seconds in cells:
            if cell_seconds >= SLOW_CELL_SECONDS:
                print(f"      cell {index:<3} {cell_seconds:6.1f} s  {line}", flush=True)
    print(f"  {'total':<28} {time.perf_counter() - total:6.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
