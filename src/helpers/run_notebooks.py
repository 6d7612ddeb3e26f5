"""Execute notebooks in order (a fresh kernel each), export each to HTML, print the time taken.

`make report` uses this instead of one `jupyter nbconvert` process per notebook, which would pay the start-up of
Jupyter five times. While one notebook runs, the next one's kernel is started and imports the modules that notebook
imports (a warm kernel: same results, since helpers read nothing from build/ at import; no variable is defined), and
the previous notebook's HTML is written: start-up and export overlap the work instead of adding to it. There is no
per-cell time limit: a large corpus may need long cells. Progress bars the notebooks write to stderr are echoed to
this terminal; every cell that takes a while is timed. A failing cell stops the run with one line naming the
notebook, the cell and the exception (the full traceback is in the notebook's HTML).
Usage: python -m helpers.run_notebooks OUT_DIR NOTEBOOK...
"""

from __future__ import annotations

import ast
import asyncio
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# jsonschema (through nbformat) imports rfc3987_syntax when installed (jupyterlab brings it), which builds a grammar
# for ~1.5 s of CPU at import: a third of this runner's own start-up. Notebook validation never checks IRIs.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

import nbformat  # noqa: E402
from jupyter_client import AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError  # noqa: E402
from nbconvert import HTMLExporter  # noqa: E402

from helpers.base import paths  # noqa: E402
from helpers.stage1_load.inputs import CorpusUnusable, check_corpus  # noqa: E402

SLOW_CELL_SECONDS = 2.0  # cells at least this slow are listed under their notebook's time
KERNEL_STARTUP_SECONDS = 300  # a kernel starting on a loaded machine may take long; a dead one still fails
# A warm kernel starts and imports its notebook's modules while the previous notebook runs: it saves ~3 s per notebook,
# which is most of a warm run on a small corpus (the seeds: 70 KB), but holds ~250-420 MB (jieba's dictionaries,
# pypinyin, scipy) beside the running notebook's peak. On a corpus above this size memory matters more: the next kernel
# still starts early, but imports only the libraries that cost time and little memory (~1.5 s and ~90 MB: pandas,
# numpy, matplotlib), and the project's modules (and their dictionaries) when its notebook runs.
WARM_IMPORTS_BELOW_BYTES = 1_000_000
LIGHT_PACKAGES = frozenset({"numpy", "pandas", "matplotlib", "IPython"})


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


def write_html(nb, notebook: Path, html_dir: Path, exporter: HTMLExporter | None = None) -> Path:
    """Export the executed (or partly executed) notebook to html_dir/<name>.html (an exporter reused across notebooks
    loads its templates once)."""
    body, _ = (exporter or HTMLExporter()).from_notebook_node(nb)
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


# ---------------------------------------------------------------- warm kernels
def imported_modules(nb) -> list[str]:
    """The absolute modules a notebook's code cells import (`import a.b` → a.b; `from a import b` → a and a.b, which
    may be a name rather than a module: the warm-up skips what does not import). Cells with IPython magics are
    skipped (not Python)."""
    names: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"]
    return list(dict.fromkeys(names))


WARM_UP = """
def _warm_up(names):
    import importlib
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a name that is not a module, or a broken import the notebook's own cell will report
            pass
_warm_up({names!r})
del _warm_up
"""


def corpus_bytes(folder: Path) -> int:
    """Bytes of the files in the corpus folder (0 if it does not exist)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def warm_modules(nb, corpus_size: int) -> list[str]:
    """What the notebook's kernel imports before it runs: all its imports on a small corpus, the light libraries
    among them on a large one."""
    names = imported_modules(nb)
    return names if corpus_size < WARM_IMPORTS_BELOW_BYTES else [n for n in names if n.split(".")[0] in LIGHT_PACKAGES]


async def start_kernel(notebook: Path, modules: list[str], socket_dir: Path) -> AsyncKernelManager:
    """A fresh kernel in the notebook's folder (as nbconvert runs it) that has imported `modules`; no variable of the
    notebook exists in it yet. Local IPC sockets: no TCP port, no unencrypted-TCP warning."""
    km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(socket_dir / notebook.stem))
    await km.start_kernel(cwd=str(notebook.parent))
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=KERNEL_STARTUP_SECONDS)
        if modules:
            msg_id = kc.execute(WARM_UP.format(names=modules), silent=True, store_history=False)
            while (await kc.get_shell_msg(timeout=None))["parent_header"].get("msg_id") != msg_id:
                pass
    finally:
        kc.stop_channels()
    return km


async def stop_kernel(km: AsyncKernelManager | None) -> None:
    """Shut a kernel down (quietly if it already died)."""
    if km is None:
        return
    try:
        if await km.is_alive():
            await km.shutdown_kernel(now=False)
    finally:
        await km.cleanup_resources()


# ---------------------------------------------------------------- running
async def execute(nb, notebook: Path, km: AsyncKernelManager, page: Path) -> list[tuple[int, str, float]]:
    """Execute one notebook in the given kernel; returns (cell index, first line, seconds) of every cell; raises
    StageFailed (one line) on an error."""
    client = EchoingClient(
        nb,
        km=km,
        timeout=None,  # no per-cell time limit
        startup_timeout=KERNEL_STARTUP_SECONDS,
        kernel_name="python3",
        coalesce_streams=True,  # keeps a bar's last state
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    try:
        await client.async_execute()
    except Exception as exc:  # a cell raised, the kernel died (e.g. out of memory) or did not start
        index, line = client.current
        raise StageFailed(failure_line(notebook, exc, index, line, page)) from exc
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
    return client.cell_times


def report_times(notebook: Path, seconds: float, cells: list[tuple[int, str, float]]) -> None:
    """Print a notebook's time and its slow cells."""
    print(f"  {notebook.name:<28} {seconds:6.1f} s", flush=True)
    for index, line, cell_seconds in cells:
        if cell_seconds >= SLOW_CELL_SECONDS:
            print(f"      cell {index:<3} {cell_seconds:6.1f} s  {line}", flush=True)


async def run_all(notebooks: list[Path], html_dir: Path) -> None:
    """Run the notebooks in order, each in its own fresh kernel, the next kernel warming up meanwhile; write each
    one's HTML while the next runs. Raises StageFailed at the first failure (after writing that notebook's HTML)."""
    books = [nbformat.read(path, as_version=4) for path in notebooks]
    size = corpus_bytes(paths.CORPUS)
    loop, exporter = asyncio.get_running_loop(), HTMLExporter()
    exports: list[asyncio.Future] = []
    stopping: list[asyncio.Future] = []
    writer = ThreadPoolExecutor(max_workers=1)  # one export at a time, beside the next notebook's run
    small = size < WARM_IMPORTS_BELOW_BYTES

    def launch(j: int, sockets: Path) -> asyncio.Future:
        return asyncio.ensure_future(start_kernel(notebooks[j], warm_modules(books[j], size), sockets))

    with tempfile.TemporaryDirectory(prefix="kernels-") as sockets:
        upcoming = launch(0, Path(sockets)) if notebooks else None
        try:
            for i, (path, nb) in enumerate(zip(notebooks, books)):
                start = time.perf_counter()
                km = await (upcoming or launch(i, Path(sockets)))
                upcoming = launch(i + 1, Path(sockets)) if i + 1 < len(notebooks) else None
                try:
                    cells = await execute(nb, path, km, html_dir / f"{path.stem}.html")
                except StageFailed:
                    await asyncio.gather(*exports)  # the exporter is not shared between threads
                    write_html(nb, path, html_dir, exporter)
                    raise
                finally:
                    stopping.append(asyncio.ensure_future(stop_kernel(km)))  # a small corpus: the next need not wait
                if not small:
                    await stopping[-1]  # a large corpus: the next notebook runs once this one's memory is back
                report_times(path, time.perf_counter() - start, cells)
                exports.append(loop.run_in_executor(writer, write_html, nb, path, html_dir, exporter))
        finally:
            if upcoming is not None:
                await stop_kernel(await upcoming)
            await asyncio.gather(*stopping, *exports)
            writer.shutdown()


def main(argv: list[str]) -> int:
    """Run every notebook named; print each one's time and its slow cells; stop at the first that fails."""
    html_dir, notebooks = Path(argv[0]), [Path(a) for a in argv[1:]]
    os.environ.setdefault("ENGINE_PROGRESS", "text")  # the kernels inherit it: text bars, echoed by EchoingClient
    total = time.perf_counter()
    refused = preflight(paths.CORPUS)
    if refused:
        print(refused, file=sys.stderr, flush=True)
        return 2
    try:
        asyncio.run(run_all(notebooks, html_dir))
    except StageFailed as failed:
        print(failed, file=sys.stderr, flush=True)
        return 1
    print(f"  {'total':<28} {time.perf_counter() - total:6.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
