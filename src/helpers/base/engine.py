"""Run a per-document function over many documents: serially, in a local process pool, or on Dask; cached on disk.

`map_documents(func, items, stage=...)` returns `[func(item) for item in items]` (byte-identical whatever the engine),
but reads each result from a cache keyed by the item's content and the code version, computes only the misses, and
shows a progress bar naming the stage. `map_batches` gives the same results in consecutive batches, for a stage whose
results are too large to hold all at once (the cleaning log): one pool and one progress bar serve the whole stage.
The engine comes from the ENGINE environment variable (`make report ENGINE=dask`): "local" (default: a process pool
as large as the machine), "serial", or "dask" (DASK_SCHEDULER=host:port for an existing cluster, else a LocalCluster
on this machine). `beside(name, func, *args)` runs work whose result is a file (a chart) in a pool forked from the
kernel while the notebook goes on; `wait_beside()` waits for it (at the notebook's end, or, when run_notebooks runs
every notebook in one kernel, before the report reads the figures: see DRAW_ACROSS_NOTEBOOKS).
"""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
import gc
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import multiprocessing
import os
import pickle
import sqlite3
import sys
import threading
import time
import warnings
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from joblib import cpu_count
from joblib.externals.loky import get_reusable_executor
from tqdm.std import tqdm as text_tqdm

from helpers.base import paths

with warnings.catch_warnings():  # without ipywidgets tqdm.auto warns once and falls back to text: fine
    warnings.simplefilter("ignore")
    from tqdm.auto import tqdm as auto_tqdm

ENGINES = ("serial", "local", "dask")
DEFAULT_CACHE = "documents.sqlite"
# The local pool forks this process where the platform allows it (Linux): a forked worker starts in milliseconds with
# pandas, jieba and whatever dictionaries this process has loaded already in memory it shares (copy-on-write), so even a
# stage of a few seconds gains from a second core. Before forking, this process computes one item itself: the stage's
# lazily loaded resources are then in memory once, for the workers too. Elsewhere (macOS, Windows: no safe fork) loky
# workers start fresh: each imports pandas and loads the stage's dictionaries (~2 s of CPU, ~300 MB), so a pool is
# worth it only on a large stage.
FORK = sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
# Below this many characters of uncached work the stage runs in this process. Measured at 1,000 bench documents (about
# 2M characters) on two cores with fresh (loky) workers: tokens and names serial 4.8 CPU s and 4.8 s wall, pool 7.5 CPU s
# and 4.3 s; coding serial 5.0, pool 8.0 CPU s; reported figures serial 5.1, pool 9.5 CPU s (slower in wall time too).
# With forked workers the fixed cost is a fork and one pickled chunk each way (milliseconds), so the threshold only
# keeps tiny corpora (the seeds: 70,000 characters) in one process; 200,000 characters take about a second of
# jieba here. It was not tuned further.
SERIAL_BELOW_CHARS = 200_000 if FORK else 3_000_000
# Chunks per worker over a stage: enough to balance uneven documents and move the progress bar, few enough to batch
# IPC. When this process has taken the last chunk, it waits for the ones still queued for the workers (up to
# QUEUED_PER_WORKER each), so smaller chunks mean a shorter wait: cutting 1,000 bench documents with jieba (one batch),
# the kernel waited ~0.85 s with 8 and ~0.25 s with 16 (4.5 and 4.2 s in all, traced at 0.2 s). Cleaning is cut by
# batches of its own (at least two chunks per worker each) and is the same with either.
CHUNKS_PER_WORKER = 16
# Chunks queued for each worker at a time. The calling process refills the queue only between its own chunks and its
# handling of each batch, so the queue must outlast both. Cleaning 1,000 bench documents (9 batches), alternating runs:
# with 2 the worker ran dry and the calling process did 22 of the chunks itself, 5.5 s; with 3, 17 chunks, 5.1 s;
# with 4, 13 chunks, 5.2 s (the calling process then waited 0.55 s for the worker). More only holds results longer.
QUEUED_PER_WORKER = 3
GIL_SWITCH_SECONDS = 0.0005  # while this process computes beside its pool (see _stream)
# Pool workers exit when their stage ends: a fresh worker holds ~250-320 MB (pandas, jieba and that stage's
# dictionaries), a forked one what it has written to since the fork; either would otherwise sit beside the notebook's
# own later peak (charts, reports).


def engine_name(engine: str | None = None) -> str:
    """The engine asked for: the argument, else $ENGINE, else "local"."""
    name = (engine or os.environ.get("ENGINE", "") or "local").strip().lower()
    if name not in ENGINES:
        raise ValueError(f"unknown ENGINE {name!r}: choose one of {', '.join(ENGINES)}")
    return name


def n_workers() -> int:
    """Worker processes: $ENGINE_WORKERS, else the CPUs this process may use (cgroup and affinity aware)."""

    value = os.environ.get("ENGINE_WORKERS", "").strip()
    return max(1, int(value)) if value else max(1, cpu_count())


# ---------------------------------------------------------------- code version
def _is_module(name: str) -> bool:
    """Whether a dotted name is an importable module (`helpers.base.paths`), not a name inside one."""
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent is a module, not a package: the name is an attribute
        return False


def _imports(module: ModuleType) -> tuple[set[str], set[str]]:
    """The helper modules and top-level third-party packages one module's source imports (also inside functions)."""
    package = __name__.split(".")[0]
    helpers, third_party = set(), set()
    for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:  # relative: from . import x / from .x import y
            base = (module.__name__ if module.__file__.endswith("__init__.py") else module.__package__) or package
            base = ".".join(base.split(".")[: len(base.split(".")) - node.level + 1])
            names = [f"{base}.{node.module}"] if node.module else [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == package:  # from helpers.x import y
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top == package:
                helpers.add(name if _is_module(name) else name.rsplit(".", 1)[0])
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                third_party.add(top)
    return helpers, third_party


def _helper_modules(roots: Sequence[ModuleType]) -> tuple[list[ModuleType], set[str]]:
    """The helper modules the roots use (transitively) and the top-level third-party packages they import."""
    seen: dict[str, ModuleType] = {}
    third_party: set[str] = set()
    stack = list(roots)
    while stack:
        module = stack.pop()
        if module.__name__ in seen:
            continue
        seen[module.__name__] = module
        helpers, packages = _imports(module)
        third_party |= packages
        # the engine's own source does not change results (the tests check serial = pool = Dask), so editing it
        # leaves the caches valid
        stack.extend(importlib.import_module(name) for name in sorted(helpers) if name != __name__)
    return sorted(seen.values(), key=lambda m: m.__name__), third_party


@lru_cache(maxsize=1)
def _package_owners() -> dict[str, list[str]]:
    """Top-level package -> the distributions providing it (reading every installed distribution's files takes about
    half a second: once per process, not once per stage)."""
    return importlib.metadata.packages_distributions()


@lru_cache(maxsize=None)
def _package_versions(tops: frozenset[str]) -> tuple[str, ...]:
    """name==version of the distributions that provide these top-level packages."""
    owners = _package_owners()
    dists = sorted({d for top in tops for d in owners.get(top, [top])})
    found = []
    for dist in dists:
        try:
            found.append(f"{dist}=={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return tuple(found)


def _code_version(names: tuple[str, ...]) -> str:
    modules, third_party = _helper_modules([sys.modules[n] for n in names])
    digest = hashlib.sha256(f"python {sys.version_info[0]}.{sys.version_info[1]}\n".encode())
    for module in modules:
        digest.update(module.__name__.encode() + b"\0" + Path(module.__file__).read_bytes() + b"\0")
    # resources (dictionary, stopwords, codebook...) are read through paths constants, not imports: all of them count
    for resource in sorted(p for p in paths.RESOURCES.rglob("*") if p.is_file()):
        digest.update(str(resource.relative_to(paths.RESOURCES)).encode() + b"\0" + resource.read_bytes() + b"\0")
    digest.update("\n".join(_package_versions(frozenset(third_party))).encode())
    return digest.hexdigest()[:20]


def code_version(*modules: ModuleType) -> str:
    """Changes whenever a result could: the source of these modules and every helper they use, the resources,
    the versions of the third-party packages they import, and Python's minor version."""
    return _code_version(tuple(sorted(m.__name__ for m in modules)))  # not memoised: sources may change in a session


def content_key(stage: str, version: str, item: Any) -> str:
    """The cache key of one item: its content (JSON when it can be, else pickle), the stage and the code version."""
    try:
        body = json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8")
    except TypeError:
        body = pickle.dumps(item, protocol=5)
    return hashlib.sha256(stage.encode() + b"\0" + version.encode() + b"\0" + body).hexdigest()[:32]


# ---------------------------------------------------------------- the on-disk cache
class ResultCache:
    """Per-document results in one SQLite file; only the current code version of a stage is kept."""

    def __init__(self, path: Path, stage: str, version: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.stage, self.version = stage, version
        self.db = sqlite3.connect(path, timeout=60)
        self.db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, stage TEXT, version TEXT, value BLOB)")

    def keys_among(self, keys: Iterable[str]) -> set[str]:
        """Which of these keys have a cached result (without loading the results)."""
        keys, found = list(dict.fromkeys(keys)), set()
        for start in range(0, len(keys), 500):  # SQLite limits the number of bound parameters
            batch = keys[start : start + 500]
            found.update(key for (key,) in self.db.execute(f"SELECT key FROM results WHERE key IN ({','.join('?' * len(batch))})", batch))
        return found

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The cached results among these keys."""
        keys, found = list(dict.fromkeys(keys)), {}
        for start in range(0, len(keys), 500):  # SQLite limits the number of bound parameters
            batch = keys[start : start + 500]
            marks = ",".join("?" * len(batch))
            for key, value in self.db.execute(f"SELECT key, value FROM results WHERE key IN ({marks})", batch):
                found[key] = pickle.loads(value)
        return found

    def put_many(self, results: dict[str, Any]) -> None:
        """Store new results and drop the stage's results of older code versions (they can never hit again)."""
        rows = [(k, self.stage, self.version, pickle.dumps(v, protocol=5)) for k, v in results.items()]  # before the lock
        with self.db:
            self.db.execute("DELETE FROM results WHERE stage = ? AND version <> ?", (self.stage, self.version))
            self.db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)", rows)

    def close(self) -> None:
        self.db.close()


# ---------------------------------------------------------------- progress
def progress(total: int, stage: str):
    """A tqdm bar naming the stage: a widget in JupyterLab (with ipywidgets), text elsewhere.

    ENGINE_PROGRESS=text forces the text bar (the notebook runner sets it and echoes it to the terminal);
    ENGINE_PROGRESS=off hides it.
    """
    mode = os.environ.get("ENGINE_PROGRESS", "").strip().lower()
    bar = text_tqdm if mode == "text" else auto_tqdm
    return bar(total=total, desc=stage, unit="doc", file=sys.stderr, mininterval=0.5, disable=mode == "off", dynamic_ncols=True)


# ---------------------------------------------------------------- running
def _size(item: Any) -> int:
    """Characters of text in an item (a string, or a tuple of arguments)."""
    if isinstance(item, str):
        return len(item)
    if isinstance(item, (tuple, list)):
        return sum(_size(part) for part in item)
    return 1


def _call(func: Callable, item: Any, star: bool) -> Any:
    return func(*item) if star else func(item)


def _run_chunk(func: Callable, chunk: list, star: bool) -> list:
    """Worker side: one task is a run of consecutive items, so a pool pays its IPC per chunk, not per document."""
    return [_call(func, item, star) for item in chunk]


def _chunks(items: list, n_chunks: int) -> list[list]:
    """Consecutive runs of about equal characters (input order kept)."""
    sizes = [_size(i) + 1 for i in items]
    target, chunks, current, filled = sum(sizes) / max(n_chunks, 1), [], [], 0
    for item, size in zip(items, sizes):
        current.append(item)
        filled += size
        if filled >= target * (len(chunks) + 1):
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def _serial(func: Callable, items: list, star: bool, bar) -> list:
    results = []
    for item in items:
        results.append(_call(func, item, star))
        bar.update(1)
    return results


def _spans(items: list, batch_chars: int | None) -> list[tuple[int, int]]:
    """(start, end) of consecutive batches of about batch_chars characters each (one batch when None)."""
    if batch_chars is None or not items:
        return [(0, len(items))]
    spans, start, filled = [], 0, 0
    for index, item in enumerate(items):
        filled += _size(item) + 1
        if filled >= batch_chars:
            spans.append((start, index + 1))
            start, filled = index + 1, 0
    if start < len(items):
        spans.append((start, len(items)))
    return spans


def _stream(func: Callable, batches: list[list], star: bool, bar, mode: str, client=None) -> Iterator[list]:
    """For each batch of items, [func(item) for item in batch], yielded batch by batch in order, with one pool for the
    whole stage.

    local: this process computes one item, then n_workers() - 1 workers (see local_pool) take chunks from the front of
    the queue while this process works through the current batch's chunks from the back (a worker would hold what this
    process holds already, so the pool's share of the peak drops by one worker and the results are the same), and then
    through the next batch's from its back while the workers finish the current one (it used to wait for them: at
    1,000 bench documents cleaning, in 9 batches, took 1.5 s longer, alternating runs of notebook 01). dask:
    chunks as tasks on the cluster (the same functions, pickled by reference: workers need this package installed).
    Workers keep up to QUEUED_PER_WORKER chunks each queued, also from the next batches, so they keep working while
    the caller handles a batch; no more than that is held ahead of the caller. The local workers exit when the stage
    ends (see the note at the top of this module)."""
    if mode == "serial":
        for batch in batches:
            yield _serial(func, batch, star, bar)
        return
    if mode == "dask":
        client = client or dask_client()
        # imported here, as in dask_client: only ENGINE=dask pays Dask's import
        from distributed import wait as dask_wait

        info = client.scheduler_info()
        workers = max(1, len(info.get("workers", {}))) if info else n_workers()
        executor, slots, here = None, QUEUED_PER_WORKER * workers, False

        def submit(chunk: list):
            return client.submit(_run_chunk, func, chunk, star, pure=False)

        def finished(futures: list, block: bool) -> set:
            if not block:
                return {f for f in futures if f.done()}
            return set(dask_wait(futures, return_when="FIRST_COMPLETED").done)

    else:
        workers = max(1, n_workers() - drawing())  # a core that draws is taken (see the note at `beside`)
        executor, slots, here = None, QUEUED_PER_WORKER * (workers - 1), True

        def submit(chunk: list):
            return executor.submit(_run_chunk, func, chunk, star)

        def finished(futures: list, block: bool) -> set:
            return wait(futures, timeout=None if block else 0, return_when=FIRST_COMPLETED)[0]

    # About workers * CHUNKS_PER_WORKER chunks over the stage, as for one batch, but at least two per worker in each
    # batch: the chunks queued ahead then hold enough work to keep the workers busy while the caller handles a batch.
    total = sum(_size(item) for batch in batches for item in batch) or 1
    chunks: list[list] = []
    ends: list[int] = []  # chunks[ends[b - 1]:ends[b]] are batch b's
    for batch in batches:
        share = sum(map(_size, batch)) / total
        part = _chunks(batch, max(2 * workers, round(workers * CHUNKS_PER_WORKER * share))) if batch else []
        if here and not chunks and part and len(part[-1]) > 1:
            part[-1:] = [part[-1][:-1], part[-1][-1:]]  # this process's first task: one item, then the pool starts
        chunks += part
        ends.append(len(chunks))
    done: dict[int, list] = {}
    in_flight: dict = {}
    front = 0  # the next chunk to queue for the workers
    backs = list(ends)  # chunks[backs[b]:ends[b]] of batch b are taken by this process

    def collect(block: bool) -> None:
        for future in finished(list(in_flight), block):
            index = in_flight.pop(future)
            done[index] = future.result()
            bar.update(len(chunks[index]))

    def top_up() -> None:
        """Queue chunks for the workers from the front, past what this process keeps for itself, up to `slots`."""
        nonlocal front
        while (executor or not here) and len(in_flight) < slots and front < len(chunks):
            owner = bisect_right(ends, front)  # the batch of chunk `front`
            if front >= backs[owner]:  # the rest of that batch is this process's
                front = ends[owner]
                continue
            in_flight[submit(chunks[front])] = front
            front += 1

    # This process runs Python for its own chunks while its pool's threads move the workers' chunks and results through
    # pipes a piece at a time, each piece waiting for the interpreter lock: at the default 5 ms a result of a megabyte
    # (a chunk's cleaning log) kept the worker idle ~0.1 s after each chunk.
    fast_switching = here and workers > 1
    if fast_switching:
        _switch_fast()
    try:
        for b, end in enumerate(ends):
            start = ends[b - 1] if b else 0
            front = max(front, start)  # chunks before start were all taken, by this process or the workers
            while any(i not in done for i in range(start, end)):
                if here and executor is None and workers > 1 and done:
                    executor = local_pool(workers - 1)  # after this process's first item: see FORK
                top_up()
                # This process takes the current batch's chunks from the back; once the rest of the batch is with the
                # workers, the next batch's from its back, instead of waiting for the workers' last chunks.
                mine = None
                if here and front < backs[b]:
                    mine = b
                elif here and executor and b + 1 < len(ends) and max(front, end) < backs[b + 1]:
                    mine = b + 1
                if mine is not None:
                    backs[mine] -= 1
                    index = backs[mine]
                    done[index] = _run_chunk(func, chunks[index], star)
                    bar.update(len(chunks[index]))
                    collect(block=False)
                else:
                    collect(block=True)
            # The caller handles this batch next (cleaning writes its log: ~0.2 s a batch), so the workers' queue is
            # filled first: left as the last chunk found it, it ran dry meanwhile (traced: idle 0.1-0.25 s a batch).
            collect(block=False)
            top_up()
            yield [result for i in range(start, end) for result in done.pop(i)]
    finally:
        if fast_switching:
            _switch_back()
        if executor:
            executor.shutdown(wait=True)  # the stage is over: give the workers' memory back now


_SWITCHING: list[float] = []  # the interval before the first stream still open switched fast, once per open stream


def _switch_fast() -> None:
    """Switch threads every GIL_SWITCH_SECONDS while any stream computes beside its pool (streams may overlap)."""
    _SWITCHING.append(_SWITCHING[0] if _SWITCHING else sys.getswitchinterval())
    sys.setswitchinterval(GIL_SWITCH_SECONDS)


def _switch_back() -> None:
    """The usual interval again once no stream computes beside its pool."""
    usual = _SWITCHING.pop()
    if not _SWITCHING:
        sys.setswitchinterval(usual)


def local_pool(n: int, initializer: Callable[[], None] | None = None):
    """n worker processes, each running initializer() first: forked from this one where that is safe (see FORK), else
    fresh loky workers."""
    if FORK:
        return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork"), initializer=initializer)
    return get_reusable_executor(max_workers=n, initializer=initializer)


_DASK_CLIENT = None


def dask_client():
    """The Dask client: DASK_SCHEDULER (host:port or tcp://...) if set, else a LocalCluster of n_workers processes."""
    global _DASK_CLIENT
    if _DASK_CLIENT is None or _DASK_CLIENT.status not in ("running", "connecting"):
        # imported here, not at the top: Dask's import costs about a second in every notebook kernel, and only
        # ENGINE=dask needs it
        from distributed import Client, LocalCluster

        address = os.environ.get("DASK_SCHEDULER", "").strip()
        if address:
            _DASK_CLIENT = Client(address)
        else:
            processes = os.environ.get("DASK_PROCESSES", "1").strip() != "0"
            # a free port for the scheduler's HTTP endpoint (8787 may be taken by another cluster), no dashboard,
            # and only warnings in the notebook's output
            cluster = LocalCluster(
                n_workers=n_workers() if processes else 1,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=":0",
                scheduler_kwargs={"dashboard": False},
                silence_logs=logging.WARNING,
            )
            _DASK_CLIENT = Client(cluster)
    return _DASK_CLIENT


def map_batches(
    func: Callable,
    items: Iterable[Any],
    *,
    stage: str,
    batch_chars: int | None = None,
    engine: str | None = None,
    star: bool = False,
    cache: bool = True,
    code: Sequence[ModuleType] | None = None,
    cache_file: Path | None = None,
    client=None,
    serial_below: int | None = None,
) -> Iterator[list]:
    """[func(item) for item in items] (func(*item) when star) in consecutive batches of about batch_chars characters
    of items (all at once when None), in input order, from cache where possible.

    So a stage whose results are large (the cleaning log) can be written out and dropped batch by batch: one pool
    serves every batch, one progress bar the whole stage, and each batch's results are read from and written to the
    cache as it goes. func must be a module-level function (picklable by reference) that depends only on its
    argument, the code and the resources: its results are cached under (stage, code version of `code` or func's
    module, item content). The local engine runs fewer than serial_below characters of uncached work in this process.
    A caller that stops early should close() the iterator (the pool's workers exit then).
    """
    started = time.perf_counter()
    caught_up(stage)  # a process working ahead on this stage (work_ahead) ends first: its results are then in the cache
    items = list(items)
    name = engine_name(engine)
    modules = list(code) if code else [sys.modules[func.__module__]]
    version = code_version(*modules)
    keys = [content_key(stage, version, item) for item in items]
    spans = _spans(items, batch_chars)
    store = ResultCache(cache_file or (paths.CACHE / DEFAULT_CACHE), stage, version) if cache else None
    try:
        cached = store.keys_among(keys) if store else set()
        # each distinct uncached item is computed once, in the first batch that holds it
        todo_per_batch: list[dict[str, Any]] = []
        planned = set(cached)
        for start, end in spans:
            todo = {}
            for key, item in zip(keys[start:end], items[start:end]):
                if key not in planned:
                    todo[key] = item
                    planned.add(key)
            todo_per_batch.append(todo)
        work = [item for todo in todo_per_batch for item in todo.values()]
        threshold = SERIAL_BELOW_CHARS if serial_below is None else serial_below
        if name == "dask" and work:
            mode = "dask"
        elif name != "local" or len(work) < 2 or sum(map(_size, work)) < threshold:
            mode = "serial"
        else:
            mode = "local"
        last_use = {key: index for index, key in enumerate(keys)}  # a result a later batch repeats is kept until then
        bar = progress(len(work), f"{stage} ({len(items) - len(work)} cached)" if cached else stage) if work else text_tqdm(disable=True)
        with bar:
            computed = _stream(func, [list(todo.values()) for todo in todo_per_batch], star, bar, mode, client)
            try:
                carried: dict[str, Any] = {}
                for (start, end), todo in zip(spans, todo_per_batch):
                    fresh = dict(zip(todo, next(computed)))
                    if store and fresh:
                        store.put_many(fresh)
                    known = {**carried, **fresh}
                    wanted = [key for key in dict.fromkeys(keys[start:end]) if key not in known]
                    known.update(store.get_many(wanted) if store and wanted else {})
                    for key, item in zip(keys[start:end], items[start:end]):
                        if key not in known:  # dropped from the cache since it was listed (another build): compute it
                            known[key] = _call(func, item, star)
                    carried = {key: value for key, value in known.items() if last_use[key] >= end}
                    yield [known[key] for key in keys[start:end]]
                    del known, fresh
            finally:
                computed.close()
    finally:
        if store:
            store.close()
    report_stage(stage, len(items), len(work), time.perf_counter() - started)


def map_documents(
    func: Callable,
    items: Iterable[Any],
    *,
    stage: str,
    engine: str | None = None,
    star: bool = False,
    cache: bool = True,
    code: Sequence[ModuleType] | None = None,
    cache_file: Path | None = None,
    client=None,
    serial_below: int | None = None,
) -> list:
    """[func(item) for item in items] (func(*item) when star), in input order, from cache where possible: map_batches
    in one batch (see there)."""
    options = dict(engine=engine, star=star, cache=cache, code=code, cache_file=cache_file, client=client, serial_below=serial_below)
    return [result for batch in map_batches(func, items, stage=stage, **options) for result in batch]


def report_stage(stage: str, n_items: int, n_computed: int, seconds: float) -> None:
    """One line per stage on stderr when bars are text (`make report` echoes it to the terminal, a cached stage too)."""
    if os.environ.get("ENGINE_PROGRESS", "").strip().lower() == "text":
        print(f"    {stage}: {n_items:,} items ({n_items - n_computed:,} cached) in {seconds:.1f} s", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- work ahead, on an idle core
# Some of the kernel's work uses one core only (describing the documents, reading jieba's dictionaries, counting words),
# and the drawing worker has nothing to draw before notebook 02's first chart: traced at 1,000 bench documents, ~6 s of
# a core went unused between the end of the cleaning and that chart. A stage of a later notebook whose input is known by
# then (notebook 03's framing codes: ~4.3 s of one core, on the path to its charts) is worked ahead in that time: a
# process forked for it runs the stage at the lowest CPU priority (nice 19), so it takes only a core nothing else wants,
# and stores its results in the stage's cache a batch at a time. When the stage itself is run (map_batches), it stops
# that process (the first large drawing beside stops it earlier: see `beside`) and reads what it stored; it computes the
# rest. Not waiting for it keeps its ~250-300 MB (a forked copy of the kernel as it was, and jieba's dictionary) from
# standing beside the stage's own peak: waited for, the build's peak was 990 and 1,012 MB; stopped, 906 and 907 MB. The
# results are those of the stage itself (the same function, items and code version). At 1,000 bench documents notebook
# 03 took 5.8-6.3 s instead of 8.4-8.7 s, and the build 33.2, 33.2 and 33.5 s against 40.3, 36.4 and 36.1 s (alternating
# runs, the same tables, figures and report).
AHEAD_BATCH_CHARS = 100_000  # the cache is written a batch at a time, so what the process has done is kept as it goes
# Above this many characters no stage is worked ahead. The forked process keeps its own copy of every page the kernel
# frees or rewrites after the fork (notebook 01's corpus), so its memory grows with the corpus: at 4,000 bench documents
# (8.7M characters) the build's peak rose from 1,137 to 1,307 MB, for no time gained (105 s against 104 s; there the
# kernel's own stages, not the drawing, decide the wall time). At 1,000 documents (2.2M) the peak stayed at 897-907 MB.
AHEAD_MAX_CHARS = 4_000_000
_AHEAD: dict[str, Any] = {}  # stage -> the process working ahead on it


def work_ahead(func: Callable, items: Iterable[Any], *, stage: str, code: Sequence[ModuleType] | None = None, cache_file: Path | None = None) -> bool:
    """Start computing map_batches(func, items, stage=...) into its cache in a forked process at the lowest CPU priority,
    for a later map_batches of the same stage to read; True if started. Only when the notebooks run in one kernel
    (draws_across_notebooks: the later stage runs in this process) and for at most AHEAD_MAX_CHARS."""
    items = list(items)
    running = stage in _AHEAD and _AHEAD[stage].is_alive()
    if not draws_across_notebooks() or running or sum(map(_size, items)) > AHEAD_MAX_CHARS:
        return False
    context = multiprocessing.get_context("fork")
    process = context.Process(target=_ahead, args=(func, items, stage, code, cache_file), name=f"ahead: {stage}", daemon=True)
    process.start()
    _AHEAD[stage] = process
    return True


def _ahead(func: Callable, items: list, stage: str, code: Sequence[ModuleType] | None, cache_file: Path | None) -> None:
    """The process working ahead: idle priority, no output (the kernel's streams are not its own), one process."""
    os.nice(19)
    gc.freeze()  # the kernel's objects are not collected here: a collection would copy every page it walks
    # Open until the process exits (multiprocessing flushes the streams, and reports an error on them, as it ends).
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    os.environ["ENGINE_PROGRESS"] = "off"
    for _ in map_batches(func, items, stage=stage, batch_chars=AHEAD_BATCH_CHARS, engine="serial", code=code, cache_file=cache_file):
        pass


def caught_up(stage: str) -> None:
    """Stop the process working ahead on this stage, if any: what it has stored is read from the cache, and the stage
    computes the rest (it is not waited for: it would hold its memory beside the stage's own, past the stage's start)."""
    process = _AHEAD.pop(stage, None)
    if process is not None:
        _stop(stage, process)


def stop_ahead() -> None:
    """Stop every process still working ahead (a large drawing beside, the report's wait for the drawings and the
    runner's last call this: a stage that was never run, or failed, must not keep its process beside the report)."""
    while _AHEAD:
        _stop(*_AHEAD.popitem())


def _stop(stage: str, process: Any) -> None:
    """End a process working ahead; a failure of its own (not the stop) is said in one line: the stage computes."""
    finished = process.exitcode is not None
    process.terminate()
    process.join()
    if finished and process.exitcode != 0:
        print(f"    work ahead on {stage} ended with code {process.exitcode}: the stage computes its results itself", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- work beside the notebook
# A chart takes matplotlib 0.5-2.5 s of one core (text layout of a few hundred labels, mostly Python), and a notebook draws
# several while the second core idles. So drawings run in a worker forked from the kernel (each drawing's data goes to
# it pickled) while the notebook goes on. One worker for many drawings, not one fork per drawing: after each fork the
# kernel pays a page fault on the first write to every page it shares with a child (measured: ~0.2 s per fork for
# 700 MB of objects). Standing alone, a notebook forks it at its first drawing and outputs.finish waits for it. Run by
# run_notebooks (one kernel for all), notebook 01 forks it before the corpus is loaded and it draws across notebooks
# until the report needs the figures. At 1,000 bench documents the notebooks had waited ~21 s in all for their charts
# at their ends; back to back through the runner, cold, the build took 67.4, 65.7 and 60.8 s before and 55.2, 49.7
# and 50.1 s after, with the same tables and figures. While it draws, a stage of map_documents counts its core as
# taken (one worker fewer: on two cores, none), since a third busy process gains no time and costs memory (at 1,000
# documents the peak was 1.08 GB with it, summing PSS).
# One drawing worker: with the kernel that makes two busy cores. A second worker drew the charts of notebook 02 faster
# but held its own copy of every page the kernel wrote meanwhile: at 1,000 documents the build's peak rose from 912 to
# 1,001 MB (the sum of PSS, `make bench`). Tried and reverted as well: handing the worker one chart at a time and
# letting the kernel draw the charts not yet handed over while it waits at the report's first step. The seeds' cold
# build took 21-23 s instead of 26-37 s (alternating runs), but at 1,000 documents no gain showed (48-59 s before, 55-61
# s after) and the peak rose (the same corpus traced: 929 against 987 MB; `make bench`: 1,029 MB, over the 1 GB bound),
# the kernel and the worker each holding a chart's pixels at once.
BESIDE_WORKERS = 1
# Set by helpers.run_notebooks for the one kernel it runs every notebook in: drawings started by a notebook may go on
# while the next notebook runs (the report waits for them, and the runner does before it stops the kernel).
DRAW_ACROSS_NOTEBOOKS = "ENGINE_DRAW_ACROSS_NOTEBOOKS"
_BESIDE: dict[str, tuple[Any, Path | None]] = {}  # job name -> (its future, the file it makes)
_BESIDE_POOL: list = []  # the pool, once started
# The drawing worker's warm-up job (start_beside), kept apart from _BESIDE: a stage that started while it runs must
# not count the worker's core as taken, since it holds the core for a fraction of a second, not a chart's seconds.
_WARM_UP: list = []
# Small jobs (a word cloud: ~0.2 s and a few MB) wait in _SPARE and go to the worker only when it has nothing else to
# do, so the large charts are drawn first; the small ones still waiting when the kernel comes to wait for the drawings
# (the report, or a notebook's end) it draws itself, on the core it would otherwise leave idle, while the worker draws
# what it holds. A large chart is never drawn in the kernel: its pixels beside the kernel's and the worker's memory
# passed 1 GB (see BESIDE_WORKERS). At 1,000 bench documents the kernel reached the report ~3 s before the last chart.
_SPARE: deque = deque()  # (name, pickled (func, args), makes) of small jobs not handed to the worker yet
# _BESIDE and _SPARE are changed by the kernel and by the pool's result thread (the callback that hands a small job to
# the worker once it is idle, _hand_spare).
_LOCK = threading.RLock()


def runs_beside() -> bool:
    """Whether `beside` uses a forked pool: on Linux, with more than one core, unless ENGINE=serial asks for one
    process."""
    return FORK and engine_name() != "serial" and n_workers() > 1


def draws_across_notebooks() -> bool:
    """Whether a notebook may end with its drawings still under way (see DRAW_ACROSS_NOTEBOOKS); else it waits."""
    return runs_beside() and os.environ.get(DRAW_ACROSS_NOTEBOOKS) == "1"


def _beside_worker() -> None:
    """A drawing worker's start: the objects it shares with the kernel are left out of its garbage collections (a
    collection would walk, and so copy, every page of them); what it makes itself is collected as usual."""
    gc.freeze()


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc keeps them otherwise)."""
    gc.collect()
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    except (OSError, AttributeError, TypeError):  # not glibc
        pass


def _started() -> int:
    """The drawing worker's first job: nothing (it makes the pool fork now)."""
    return os.getpid()


def _run_beside(func: Callable, *args: Any) -> None:
    """A job in the drawing worker, which lives on after it: what the job freed goes back to the system."""
    try:
        func(*args)
    finally:
        release_memory()


def _beside_pool():
    """The drawing pool, forked at its first use."""
    if not _BESIDE_POOL:
        _BESIDE_POOL.append(local_pool(BESIDE_WORKERS, _beside_worker))  # forked: runs_beside() requires FORK
        _BESIDE_POOL[0].submit(_started).result()  # ProcessPoolExecutor forks at its first job
    return _BESIDE_POOL[0]


def start_beside(warm_up: Callable[[], None] | None = None) -> None:
    """Fork the drawing worker now, if `beside` will use one, for a caller whose kernel is still small (no corpus
    loaded) and who keeps it across notebooks. The objects made so far (imported modules, loaded dictionaries) are
    first frozen out of this process's garbage collections (gc.freeze): a collection writes to every object it walks,
    which would copy each page the two processes share; they are not garbage anyway. Measured at 1,000 documents (sum
    of PSS): the build's peak was 1,001 MB without the freeze and 954 MB with it.

    warm_up, a module-level function, is then the worker's first job: what its first drawing would load anyway, loaded
    while the kernel reads the corpus instead (see _WARM_UP). It is not counted as drawing (see `drawing`), and its
    failure is reported by wait_beside."""
    if runs_beside() and not _BESIDE_POOL:
        gc.freeze()
        pool = _beside_pool()
        if warm_up is not None:
            _WARM_UP.append(pool.submit(_run_beside, warm_up))


def beside(name: str, func: Callable, *args: Any, makes: Path | None = None, small: bool = False) -> None:
    """Start func(*args) beside this process (in the forked pool; here, when runs_beside() is False).

    func must be a module-level function whose effect is a file (`makes`; its return value is dropped); args are
    pickled. A job of the same name still running is waited for first (a re-run cell). A small job waits until the
    worker is idle, or is done by this process when it waits for the drawings (see _SPARE)."""
    if not runs_beside():
        func(*args)
        return
    with _LOCK:
        for job in [job for job in _SPARE if job[0] == name]:  # not started: the re-run cell's job replaces it
            _SPARE.remove(job)
        running = name in _BESIDE
    if running:
        _finish_beside(name)
    pool = _beside_pool()
    if small:
        with _LOCK:  # pickled now, as a job handed to the pool is: a caller changing its objects later changes nothing
            _SPARE.append((name, pickle.dumps((func, args), protocol=5), makes))
        _hand_spare()
        return
    # The worker now takes the core a process working ahead (work_ahead) had to itself, and drawings go on beside the
    # kernel until the report: at idle priority the process gets no more CPU and only holds its memory. Traced at 1,000
    # bench documents: it had done 3.1 of its 3.3 CPU seconds by notebook 02's first chart, then held ~290 MB through
    # the build's peak (1,032 MB, a large chart drawn beside the end of notebook 02). What it stored stays in the cache.
    stop_ahead()
    with _LOCK:  # submitted and recorded at once: a small job is never handed over in between, ahead of this one
        future = pool.submit(_run_beside, func, *args)
        _BESIDE[name] = (future, makes)
    future.add_done_callback(_hand_spare)


def _hand_spare(_finished: Any = None) -> None:
    """Give the worker the next small job if it has nothing else queued or running (run by the kernel, and by the
    pool's result thread each time a job ends)."""
    with _LOCK:
        if not _SPARE or not _BESIDE_POOL or any(not job[0].done() for job in _BESIDE.values()):
            return
        name, job, makes = _SPARE[0]
        try:
            future = _BESIDE_POOL[0].submit(_run_beside, _call_pickled, job)
        except Exception:  # noqa: BLE001 - a broken or closed pool: the job stays, and the waiting process does it
            return
        _SPARE.popleft()
        _BESIDE[name] = (future, makes)
    future.add_done_callback(_hand_spare)


def _call_pickled(job: bytes) -> None:
    """Run a small job as it was queued: (func, args) pickled when `beside` was called."""
    func, args = pickle.loads(job)
    func(*args)


def drawing() -> int:
    """How many drawing workers are busy now (jobs started by `beside` and not finished)."""
    with _LOCK:
        return min(BESIDE_WORKERS, sum(not job[0].done() for job in _BESIDE.values()))


def being_made(path: Path) -> bool:
    """Whether a job started by `beside` (or waiting to be, see _SPARE) and not yet waited for makes this file."""
    with _LOCK:
        return any(job[1] == path for job in _BESIDE.values()) or any(job[2] == path for job in _SPARE)


def _finish_beside(name: str) -> None:
    """Wait for one job; raise RuntimeError naming it if it failed or its worker died."""
    with _LOCK:
        future = _BESIDE.pop(name)[0]
    try:
        future.result()
    except BrokenProcessPool:
        raise RuntimeError(f"{name}: its worker ended without a result (killed, out of memory?)") from None
    except Exception as exc:  # noqa: BLE001 - any failure goes back to the notebook in one line
        raise RuntimeError(f"{name}: {type(exc).__name__}: {exc}") from None


def _do_spare_here() -> list[str]:
    """Do the small jobs the worker has not taken, here, one at a time, while it draws; the failures, one line each."""
    errors, done = [], 0
    while True:
        with _LOCK:
            if not _SPARE:
                break
            name, job, _ = _SPARE.popleft()
        try:
            _call_pickled(job)
        except Exception as exc:  # noqa: BLE001 - reported with the worker's failures
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        done += 1
    if done:
        release_memory()
    return errors


def wait_beside() -> None:
    """Wait for every job started by `beside` and stop the pool; raise naming the jobs that failed (the others are
    still waited for)."""
    stop_ahead()
    errors = []
    while _WARM_UP:
        try:
            _WARM_UP.pop().result()
        except Exception as exc:  # noqa: BLE001 - reported with the drawings' failures
            errors.append(f"the drawing worker's warm-up: {type(exc).__name__}: {exc}")
    errors += _do_spare_here()
    while True:
        with _LOCK:
            if not _BESIDE:
                break
            name = next(iter(_BESIDE))
        try:
            _finish_beside(name)
        except RuntimeError as exc:
            errors.append(str(exc))
    while _BESIDE_POOL:
        _BESIDE_POOL.pop().shutdown(wait=True)  # the workers' memory goes back now, not at the kernel's end
    if errors:
        raise RuntimeError(f"{len(errors)} job(s) run beside the notebook failed: " + "; ".join(errors))
