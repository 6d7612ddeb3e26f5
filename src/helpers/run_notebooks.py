"""Execute notebooks in order in one kernel (a fresh namespace each), export each to HTML, print the time taken.

`make report` uses this instead of one `jupyter nbconvert` process per notebook, which would pay the start-up of
Jupyter, and each notebook's imports (pandas, matplotlib, jieba's and pypinyin's dictionaries: 3-5 s), five times.
Before each notebook the kernel's namespace, history and output cache are reset and its freed memory handed back to
the system, so a notebook sees none of the variables of the one before, exactly as in a new kernel; only imported
modules (and the dictionaries they have loaded) stay. The tests run each notebook alone in a new kernel too and check
that it writes the same bytes. The previous notebook's HTML is written while the next runs. There is no per-cell time
limit: a large corpus may need long cells. Progress bars the notebooks write to stderr are echoed to this terminal;
every cell that takes a while is timed. A failing cell stops the run with one line naming the notebook, the cell and
the exception (the full traceback is in the notebook's HTML).
Usage: python -m helpers.run_notebooks OUT_DIR NOTEBOOK...
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Empty

# jsonschema (through nbformat) imports rfc3987_syntax when installed (jupyterlab brings it), which builds a grammar
# for ~1.5 s of CPU at import: a third of this runner's own start-up. Notebook validation never checks IRIs.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

import nbformat  # noqa: E402
from jupyter_client import AsyncKernelClient, AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError  # noqa: E402
from nbconvert import HTMLExporter  # noqa: E402

from helpers.base import paths  # noqa: E402
from helpers.base.engine import DRAW_ACROSS_NOTEBOOKS  # noqa: E402
from helpers.stage1_load.inputs import CorpusUnusable, check_corpus  # noqa: E402

SLOW_CELL_SECONDS = 2.0  # cells at least this slow are listed under their notebook's time
KERNEL_STARTUP_SECONDS = 300  # a kernel starting on a loaded machine may take long; a dead one still fails


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


# ---------------------------------------------------------------- the kernel
async def start_kernel(folder: Path, socket_dir: Path) -> AsyncKernelManager:
    """A new kernel working in the notebooks' folder (as nbconvert runs it). Local IPC sockets: no TCP port, no
    unencrypted-TCP warning. Its notebooks may leave figures drawing for the next ones (this runner waits for them
    before it stops the kernel: see WAIT_FOR_FIGURES)."""
    km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(socket_dir / "kernel"))
    await km.start_kernel(cwd=str(folder), env={**os.environ, DRAW_ACROSS_NOTEBOOKS: "1"})
    return km


# Run silently between notebooks: IPython's reset of a new session (namespace, history, output cache; the execution
# count starts at 1 again), the working folder back to the notebooks' own, open figures closed, then the freed memory
# back to the system (glibc keeps freed heap pages otherwise).
FRESH_NAMESPACE = """
def _fresh_namespace(folder):
    import os, sys
    from helpers.base.engine import release_memory
    get_ipython().reset(new_session=True)
    os.chdir(folder)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    release_memory()
_fresh_namespace({folder!r})
"""


# Run silently after the last notebook: figures may be drawn across notebooks (engine.DRAW_ACROSS_NOTEBOOKS); the
# report waits for them, but a run that stops before the report must not end the kernel while they are drawn.
WAIT_FOR_FIGURES = "from helpers.base import outputs as _outputs; _outputs.wait_for_figures()"


async def connect(km: AsyncKernelManager) -> AsyncKernelClient:
    """The kernel's client, ready, for every notebook and silent run until the kernel stops. One per kernel: a new
    client waits for its IOPub subscription to connect (jupyter_client's wait_for_ready gives it 0.2 s, and a fresh
    subscription misses the first reply), and at two per notebook that was ~2 s of an idle kernel per build (traced,
    1,000 bench documents: ten waits of 0.20-0.25 s). Replies are told apart by their request's id, so one client
    serves them all."""
    kc = km.client()
    kc.start_channels()
    kc.allow_stdin = False  # as nbclient sets its own: a cell asking for input fails at once (nobody can answer it)
    try:
        await kc.wait_for_ready(timeout=KERNEL_STARTUP_SECONDS)
    except BaseException:
        kc.stop_channels()
        raise
    return kc


async def run_silently(km: AsyncKernelManager, kc: AsyncKernelClient, code: str, failed: str) -> None:
    """Execute code in the kernel without output or history; raise StageFailed(failed + its error) if it fails or the
    kernel dies meanwhile."""
    msg_id = kc.execute(code, silent=True, store_history=False)
    while True:
        try:
            reply = await kc.get_shell_msg(timeout=1)
        except Empty:
            if not await km.is_alive():
                raise StageFailed(f"{failed}: {await kernel_death(km)}") from None
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if reply["content"].get("status") != "ok":
        raise StageFailed(f"{failed}: {ANSI.sub('', reply['content'].get('evalue', ''))}")


async def kernel_death(km: AsyncKernelManager) -> str:
    """How a dead kernel ended, from its exit status: killed by a signal (SIGKILL: most often the out-of-memory killer)
    or exited with a code."""
    status = await km.provisioner.poll() if km.provisioner is not None else None
    if status is None:
        return "the kernel died"
    if status < 0:
        signal_name = signal.Signals(-status).name if -status in signal.valid_signals() else f"signal {-status}"
        return f"the kernel was killed ({signal_name}{': out of memory?' if -status == signal.SIGKILL else ''})"
    return f"the kernel exited with code {status}"


async def fresh_namespace(km: AsyncKernelManager, kc: AsyncKernelClient, folder: Path) -> None:
    """Reset the kernel as if it were new (working in folder), but for the modules it has imported."""
    code = FRESH_NAMESPACE.format(folder=str(folder.resolve()))
    await run_silently(km, kc, code, "the kernel could not be reset for the next notebook")


async def stop_kernel(km: AsyncKernelManager | None, kc: AsyncKernelClient | None = None) -> None:
    """Close its client and shut a kernel down (quietly if it already died)."""
    if kc is not None:
        kc.stop_channels()
    if km is None:
        return
    try:
        if await km.is_alive():
            await km.shutdown_kernel(now=False)
    finally:
        await km.cleanup_resources()


# ---------------------------------------------------------------- running
async def execute(nb, notebook: Path, km: AsyncKernelManager, kc: AsyncKernelClient, page: Path) -> list[tuple[int, str, float]]:
    """Execute one notebook in the given kernel through its client; returns (cell index, first line, seconds) of every
    cell; raises StageFailed (one line) on an error."""
    client = EchoingClient(
        nb,
        km=km,
        timeout=None,  # no per-cell time limit
        startup_timeout=KERNEL_STARTUP_SECONDS,
        kernel_name="python3",
        coalesce_streams=True,  # keeps a bar's last state
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.kc = kc  # the kernel's one client (see connect): nbclient makes and waits for a new one only without it
    try:
        await client.async_execute()
    except Exception as exc:  # a cell raised, or the kernel died (e.g. out of memory)
        index, line = client.current
        raise StageFailed(failure_line(notebook, exc, index, line, page)) from exc
    return client.cell_times


def report_times(notebook: Path, seconds: float, cells: list[tuple[int, str, float]]) -> None:
    """Print a notebook's time and its slow cells."""
    print(f"  {notebook.name:<28} {seconds:6.1f} s", flush=True)
    for index, line, cell_seconds in cells:
        if cell_seconds >= SLOW_CELL_SECONDS:
            print(f"      cell {index:<3} {cell_seconds:6.1f} s  {line}", flush=True)


async def run_all(notebooks: list[Path], html_dir: Path) -> None:
    """Run the notebooks in order in one kernel, each in a fresh namespace; write each one's HTML while the next runs.
    Raises StageFailed at the first failure (after writing that notebook's HTML)."""
    exports: list[asyncio.Future] = []
    writer = ThreadPoolExecutor(max_workers=1)  # one export at a time, beside the next notebook's run
    km, kc = None, None
    with tempfile.TemporaryDirectory(prefix="kernels-") as sockets:
        starting = asyncio.ensure_future(start_kernel(notebooks[0].parent, Path(sockets))) if notebooks else None
        books = [nbformat.read(path, as_version=4) for path in notebooks]  # while the kernel starts
        loop, exporter = asyncio.get_running_loop(), HTMLExporter()
        try:
            for path, nb in zip(notebooks, books):
                start = time.perf_counter()
                page = html_dir / f"{path.stem}.html"
                try:
                    if starting is not None:
                        km, starting = await starting, None
                    elif not await km.is_alive():  # died after its notebook ended: a new one
                        await stop_kernel(km, kc)
                        km, kc = await start_kernel(path.parent, Path(sockets)), None
                    if kc is None:
                        try:
                            kc = await connect(km)
                        except Exception as exc:  # the kernel died while starting, or never answered
                            raise StageFailed(failure_line(path, exc, -1, "", page)) from exc
                    else:
                        await fresh_namespace(km, kc, path.parent)
                    cells = await execute(nb, path, km, kc, page)
                except StageFailed:
                    await asyncio.gather(*exports)  # the exporter is not shared between threads
                    write_html(nb, path, html_dir, exporter)
                    raise
                report_times(path, time.perf_counter() - start, cells)
                exports.append(loop.run_in_executor(writer, write_html, nb, path, html_dir, exporter))
            if kc is not None and await km.is_alive():
                await run_silently(km, kc, WAIT_FOR_FIGURES, "figures drawn beside the notebooks failed")
        finally:
            await stop_kernel(await starting if starting is not None else km, kc)
            await asyncio.gather(*exports)
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
