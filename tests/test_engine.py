"""The per-document engine: the same results serially, in a process pool and on Dask; a cache that recomputes only
what changed (content or code); progress that works without a terminal; a notebook runner that fails in one line."""

from __future__ import annotations

import gc
import importlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import Future

import pytest

from helpers import run_notebooks
from helpers.base import engine, paths
from helpers.stage1_load import cleaning, corpus
from helpers.stage2_words import counting

from conftest import SEEDS


@pytest.fixture(scope="module")
def seed_documents() -> list[tuple[str, str]]:
    """(doc_id, raw text) of every seed: the arguments of cleaning.clean_text."""
    return [(doc.doc_id, doc.text) for doc in corpus.load_corpus(SEEDS).documents]


@pytest.fixture(scope="module")
def seed_paragraphs(seed_documents) -> list[str]:
    """Every non-empty paragraph of the seeds (uneven lengths, some repeated: 002 prints one paragraph three times)."""
    return [p.strip() for _, text in seed_documents for p in text.split("\n\n") if p.strip()]


@pytest.fixture(scope="module")
def dask_client():
    """A local Dask cluster of one worker process (the tasks are pickled and run elsewhere, as on a real cluster)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=":0", scheduler_kwargs={"dashboard": False})
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.slow
def test_serial_pool_and_dask_give_identical_results(seed_documents, seed_paragraphs, dask_client, monkeypatch):
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    cleaned = {}
    for name in ("serial", "local", "dask"):  # serial_below=0: the pool runs even for this small corpus
        cleaned[name] = engine.map_documents(
            cleaning.clean_text, seed_documents, stage="cleaning", star=True, engine=name, cache=False, serial_below=0, client=dask_client
        )
        # in batches (about 6,000 characters: three or more), the same results in the same order
        options = dict(engine=name, cache=False, serial_below=0, client=dask_client, batch_chars=6_000)
        batches = list(engine.map_batches(cleaning.clean_text, seed_documents, stage="cleaning", star=True, **options))
        assert len(batches) >= 3 and [r for batch in batches for r in batch] == cleaned[name]
    # equal values, and the same bytes once serialised (pickle's bytes depend on object identity, so JSON)
    assert cleaned["serial"] == cleaned["local"] == cleaned["dask"]
    as_bytes = {name: json.dumps(value, ensure_ascii=False).encode() for name, value in cleaned.items()}
    assert as_bytes["serial"] == as_bytes["local"] == as_bytes["dask"]
    assert [log[0]["doc_id"] for _, log in cleaned["local"]] == [doc_id for doc_id, _ in seed_documents]  # input order

    cut = {
        name: engine.map_documents(counting.segment_text, seed_paragraphs, stage="jieba", engine=name, cache=False, serial_below=0, client=dask_client)
        for name in ("serial", "local", "dask")
    }
    assert cut["serial"] == cut["local"] == cut["dask"]
    assert cut["local"] == [counting.segment_text(p) for p in seed_paragraphs]
    assert len(cut["local"]) == len(seed_paragraphs) > 40


def test_engine_is_chosen_by_environment(monkeypatch):
    monkeypatch.setenv("ENGINE", "dask")
    assert engine.engine_name() == "dask"
    monkeypatch.delenv("ENGINE")
    assert engine.engine_name() == "local"
    with pytest.raises(ValueError, match="unknown ENGINE"):
        engine.engine_name("spark")
    monkeypatch.setenv("ENGINE_WORKERS", "3")
    assert engine.n_workers() == 3


def test_chunks_keep_order_and_every_item():
    items = [("a" * n,) for n in (5, 500, 1, 80, 80, 3000, 7, 7, 7, 400)]
    chunks = engine._chunks(items, 4)
    assert [i for c in chunks for i in c] == items and 2 <= len(chunks) <= 5


def test_batches_are_consecutive_runs_of_about_batch_chars():
    items = ["a" * n for n in (5, 500, 1, 80, 80, 3000, 7, 7, 7, 400)]
    # each item counts its characters + 1; a batch closes once it holds 300: 506 | 2 + 81 + 81 + 3001 | 8 + 8 + 8 + 401
    assert engine._spans(items, 300) == [(0, 2), (2, 6), (6, 10)]
    assert engine._spans(items, None) == [(0, 10)] and engine._spans([], 300) == [(0, 0)]


def test_map_batches_yields_each_batch_in_order(monkeypatch):
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    texts = ["龙城街道", "南湾街道", "平湖街道", "坂田街道", "布吉街道", "吉华街道"]
    batches = list(engine.map_batches(counting.segment_text, texts, stage="jieba", engine="serial", cache=False, batch_chars=10))
    assert [len(b) for b in batches] == [2, 2, 2]  # 5 characters each with the separator: a batch closes at 10
    assert [r for b in batches for r in b] == [counting.segment_text(t) for t in texts]


TEST_PROCESS = os.getpid()


def _where_and_when(text: str) -> tuple[str, int, float]:
    """A stage function that is slow in a pool worker: (text, the process that ran it, when it finished)."""
    if os.getpid() != TEST_PROCESS:
        time.sleep(0.2)
    return text, os.getpid(), time.monotonic()


@pytest.mark.skipif(not engine.FORK, reason="the calling process computes beside forked workers only where fork is safe")
def test_the_calling_process_works_ahead_while_the_workers_finish_a_batch(monkeypatch):
    """Once the rest of a batch is with the workers, the calling process computes the next batch's chunks instead of
    waiting for them; the batches still come in order, each whole."""
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setattr(engine, "n_workers", lambda: 2)
    monkeypatch.setattr(engine, "drawing", lambda: 0)
    texts = [f"a{i:02d}" for i in range(16)]  # 4 characters each with the separator: two batches of 8
    batches = engine.map_batches(_where_and_when, texts, stage="ahead", engine="local", cache=False, serial_below=0, batch_chars=32)
    first = next(batches)
    first_done = time.monotonic()
    second = next(batches)
    assert [len(first), len(second)] == [8, 8] and [t for t, _, _ in first + second] == texts
    assert {pid for _, pid, _ in first} - {TEST_PROCESS}, "a worker did part of the first batch"
    ahead = [t for t, pid, when in second if pid == TEST_PROCESS and when < first_done]
    assert ahead, "this process computed part of the second batch before the first was complete"


def _switch_interval(text: str) -> tuple[int, float]:
    """A stage function: the process that ran it and its interpreter's thread switch interval then."""
    return os.getpid(), sys.getswitchinterval()


@pytest.mark.skipif(not engine.FORK, reason="the calling process computes beside forked workers only where fork is safe")
def test_the_calling_process_hands_its_pool_the_lock_often_while_it_computes(monkeypatch):
    """Beside its pool, this process switches threads every GIL_SWITCH_SECONDS (the pool's threads move chunks and
    results a piece at a time, each piece waiting for the lock); the usual interval is back when the stage ends."""
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setattr(engine, "n_workers", lambda: 2)
    monkeypatch.setattr(engine, "drawing", lambda: 0)
    before = sys.getswitchinterval()
    results = engine.map_documents(_switch_interval, [f"{i}号支部" for i in range(40)], stage="switch", engine="local", cache=False, serial_below=0)
    here = {interval for pid, interval in results if pid == TEST_PROCESS}
    assert here == {engine.GIL_SWITCH_SECONDS} and engine.GIL_SWITCH_SECONDS < before
    assert {pid for pid, _ in results} - {TEST_PROCESS}, "a worker took part"
    assert sys.getswitchinterval() == before
    serial = engine.map_documents(_switch_interval, ["一号支部"], stage="switch", engine="serial", cache=False)
    assert serial == [(TEST_PROCESS, before)], "alone, this process keeps the usual interval"
    texts = [f"{i}号支部" for i in range(40)]
    first, second = (engine.map_batches(_switch_interval, texts, stage="switch", engine="local", cache=False, serial_below=0, batch_chars=40) for _ in range(2))
    next(first), next(second)  # two streams open at once, closed in the order they were opened
    first.close()
    assert sys.getswitchinterval() == engine.GIL_SWITCH_SECONDS, "the second stream still computes beside its pool"
    second.close()
    assert sys.getswitchinterval() == before


def _upper(text: str) -> str:
    return text.upper()


class _PoolAtOnce:
    """A stand-in for the local pool: runs each chunk when it is submitted and records the chunk's first item."""

    def __init__(self, *_args) -> None:
        self.submitted: list[str] = []

    def submit(self, run_chunk, func, chunk, star):
        self.submitted.append(chunk[0])
        future: Future = Future()
        future.set_result(run_chunk(func, chunk, star))
        return future

    def shutdown(self, wait: bool = True) -> None:
        pass


def test_the_workers_queue_is_full_when_the_caller_gets_a_batch(monkeypatch):
    """The caller handles each batch (cleaning writes its log), so the workers' queue is topped up before the batch
    goes out: every chunk of the later batches the workers can take, up to QUEUED_PER_WORKER, is with them by then."""
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setattr(engine, "n_workers", lambda: 2)
    monkeypatch.setattr(engine, "drawing", lambda: 0)
    pool = _PoolAtOnce()
    monkeypatch.setattr(engine, "local_pool", lambda n: pool)
    texts = [f"b{i:03d}" for i in range(96)]  # 5 characters each with the separator: three batches of 32
    batches = engine.map_batches(_upper, texts, stage="queue", engine="local", cache=False, serial_below=0, batch_chars=160)
    seen = 0
    for batch in batches:
        assert batch == [t.upper() for t in texts[seen : seen + len(batch)]]
        seen += len(batch)
        if seen < len(texts):
            later = [first for first in pool.submitted if texts.index(first) >= seen]
            assert len(later) >= engine.QUEUED_PER_WORKER, f"after {seen} items only {later} were queued"
    assert seen == len(texts) and pool.submitted, "the pool took part"


COUNTED = """
CALLS = []

def shout(text):
    CALLS.append(text)
    return text.upper(){suffix}
"""


@pytest.fixture()
def counting_module(tmp_path, monkeypatch):
    """A module written to disk whose function records its calls, so a test can edit its source."""
    path = tmp_path / "counted_stage.py"
    path.write_text(COUNTED.format(suffix=""), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("counted_stage", None)
    module = importlib.import_module("counted_stage")
    yield module, path
    sys.modules.pop("counted_stage", None)


def test_cache_recomputes_only_new_or_changed_documents(counting_module, tmp_path, monkeypatch):
    module, _ = counting_module
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    store = tmp_path / "cache.sqlite"

    def run(items):
        return engine.map_documents(module.shout, items, stage="shout", engine="serial", cache_file=store)

    docs = ["龙城街道", "南湾街道", "平湖街道", "坂田街道", "龙城街道"]  # a repeated text is computed once
    assert run(docs) == [d.upper() for d in docs]
    assert module.CALLS == docs[:4]
    module.CALLS.clear()
    assert run(docs + ["吉华街道", "宝龙街道"]) == [d.upper() for d in docs + ["吉华街道", "宝龙街道"]]
    assert module.CALLS == ["吉华街道", "宝龙街道"], "adding documents recomputes only the new ones"
    module.CALLS.clear()
    assert run(["龙城街道", "南湾街道 "])[1] == "南湾街道 "
    assert module.CALLS == ["南湾街道 "], "a changed document is recomputed"


def test_batches_read_and_write_the_cache_as_they_go(counting_module, tmp_path, monkeypatch):
    module, _ = counting_module
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    store = tmp_path / "cache.sqlite"
    docs = ["龙城街道", "南湾街道", "龙城街道", "平湖街道", "南湾街道"]  # repeats in later batches

    def run(items, **options):
        return engine.map_batches(module.shout, items, stage="shout", engine="serial", batch_chars=5, **options)

    stream = run(docs, cache=False)
    assert next(stream) == ["龙城街道"] and module.CALLS == ["龙城街道"], "a batch is computed when it is asked for"
    assert [r for b in stream for r in b] == [d.upper() for d in docs[1:]]
    assert module.CALLS == ["龙城街道", "南湾街道", "平湖街道"], "a repeated text is computed once, even without a cache"
    module.CALLS.clear()
    stream = run(docs, cache_file=store)
    next(stream)
    assert engine.ResultCache(store, "shout", "").keys_among([engine.content_key("shout", engine.code_version(module), "龙城街道")])
    stream.close()  # stopped after one batch: what it computed is kept
    module.CALLS.clear()
    assert [r for b in run(docs + ["坂田街道"], cache_file=store) for r in b] == [d.upper() for d in docs + ["坂田街道"]]
    assert module.CALLS == ["南湾街道", "平湖街道", "坂田街道"], "only what no batch has stored yet"


def test_cache_misses_when_code_or_resources_change(counting_module, tmp_path, monkeypatch):
    module, path = counting_module
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    store = tmp_path / "cache.sqlite"

    def run():
        return engine.map_documents(module.shout, ["坪地街道"], stage="shout", engine="serial", cache_file=store)

    run()
    run()
    assert module.CALLS == ["坪地街道"]
    path.write_text(COUNTED.format(suffix="  # a new version of the stage"), encoding="utf-8")
    run()
    assert module.CALLS == ["坪地街道"] * 2, "editing the stage's source invalidates its results"
    run()
    assert module.CALLS == ["坪地街道"] * 2

    resources = tmp_path / "resources"
    resources.mkdir()
    for source in paths.RESOURCES.iterdir():
        (resources / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(paths, "RESOURCES", resources)
    run()
    assert module.CALLS == ["坪地街道"] * 2, "the same resources: still cached"
    with open(resources / "userdict.txt", "a", encoding="utf-8") as handle:
        handle.write("党建引领 10 n\n")
    run()
    assert module.CALLS == ["坪地街道"] * 3, "a changed dictionary invalidates the results"


def test_code_version_follows_helper_imports_and_packages():
    modules, packages = engine._helper_modules([counting])
    names = {m.__name__ for m in modules}
    assert {"helpers.stage2_words.counting", "helpers.base.paths", "helpers.stage1_load.places", "helpers.base.schema"} <= names
    assert "helpers.base.engine" not in names, "the engine does not change results, so its edits keep the caches"
    assert {"jieba", "pandas", "stopwordsiso"} <= packages
    assert any(v.startswith("jieba==") for v in engine._package_versions(frozenset(packages)))
    assert engine.code_version(counting) != engine.code_version(cleaning)


def test_progress_without_a_terminal(monkeypatch, seed_documents):
    monkeypatch.setenv("ENGINE_PROGRESS", "text")
    captured = io.StringIO()  # not a tty, like a CI log or make report's pipe
    monkeypatch.setattr(sys, "stderr", captured)
    result = engine.map_documents(cleaning.clean_text, seed_documents[:2], stage="cleaning the seeds", star=True, engine="serial", cache=False)
    assert [text for text, _ in result] == [cleaning.clean_text(*d)[0] for d in seed_documents[:2]]
    assert "cleaning the seeds" in captured.getvalue() and "2/2" in captured.getvalue()

    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    silent = io.StringIO()
    monkeypatch.setattr(sys, "stderr", silent)
    engine.map_documents(cleaning.clean_text, seed_documents[:1], stage="quiet", star=True, engine="serial", cache=False)
    assert silent.getvalue() == ""


PIDS = """
import os

def with_pid(text):
    return os.getpid(), text[::-1]
"""


@pytest.mark.slow
def test_one_pool_serves_every_batch_and_exits_with_the_stage(tmp_path, monkeypatch):
    psutil = pytest.importorskip("psutil")
    (tmp_path / "pid_stage.py").write_text(PIDS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))  # before the pool starts: its workers import the module too
    module = importlib.import_module("pid_stage")
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setenv("ENGINE_WORKERS", "2")  # one worker and this process
    texts = [f"{i}号临时党支部" * 50 for i in range(64)]
    stream = engine.map_batches(module.with_pid, texts, stage="pids", engine="local", cache=False, serial_below=0, batch_chars=4_000)
    batches = list(stream)
    assert len(batches) >= 4
    assert [text for batch in batches for _, text in batch] == [t[::-1] for t in texts]
    workers = {pid for batch in batches for pid, _ in batch} - {os.getpid()}
    assert len(workers) == 1, "one worker for the whole stage, not one pool per batch"
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in workers), "it exits with the stage"

    stream = engine.map_batches(module.with_pid, texts, stage="pids", engine="local", cache=False, serial_below=0, batch_chars=4_000)
    first = next(stream)
    stream.close()  # a caller that stops early: the workers exit too
    workers = {pid for pid, _ in first} - {os.getpid()}
    assert workers and not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in workers)
    sys.modules.pop("pid_stage", None)


@pytest.mark.slow
def test_progress_in_a_piped_subprocess(tmp_path):
    code = (
        "from helpers.base import engine\nfrom helpers.stage2_words import counting\n"
        "print(engine.map_documents(counting.segment_text, ['临时党支部', '战斗堡垒'], stage='piped', serial_below=0))"
    )
    env = {**os.environ, "BUILD_DIR": str(tmp_path), "ENGINE_PROGRESS": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[['临时党支部'], ['战斗堡垒']]"
    assert "piped" in out.stderr


@pytest.mark.slow
def test_tokenize_segments_goes_through_the_engine(tmp_path, monkeypatch, seed_paragraphs):
    import pandas as pd

    monkeypatch.setattr(paths, "CACHE", tmp_path)
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setattr(engine, "SERIAL_BELOW_CHARS", 0)  # the pool, even for the seeds
    segments = pd.DataFrame({"segment_id": [f"s{i}" for i in range(len(seed_paragraphs))], "text": seed_paragraphs})
    result = counting.tokenize_segments(segments)
    assert list(result) == list(segments["segment_id"])
    names = counting.person_names(list(seed_paragraphs), set())  # people's names are masked before cutting
    assert result == {sid: counting.segment_text(counting.mask_names(t, names)) for sid, t in zip(segments["segment_id"], seed_paragraphs)}


NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "id": "a", "metadata": {}, "outputs": [], "source": "import time\ntime.sleep(2.2)\nstreet = '龙城'"},
        {"cell_type": "code", "execution_count": None, "id": "b", "metadata": {}, "outputs": [], "source": "# the attribution step\nshare = len(street) / 0\n"},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.mark.slow
def test_runner_reports_a_failing_stage_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(paths, "REPORT_HTML", tmp_path / "report.html")  # the runner removes the last report first
    notebook = tmp_path / "07_broken.ipynb"
    notebook.write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    assert run_notebooks.main([str(tmp_path / "html"), str(notebook)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    page = tmp_path / "html" / "07_broken.html"
    assert err == f"notebook 07 failed: ZeroDivisionError: division by zero (cell 1 `share = len(street) / 0`); full log: {page}"
    assert "\x1b" not in capsys.readouterr().err
    page = (tmp_path / "html" / "07_broken.html").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in page and "Traceback" in page, "the full traceback stays in the notebook's HTML"


@pytest.mark.slow
def test_runner_times_slow_cells_and_has_no_cell_timeout(tmp_path, capsys, monkeypatch):
    timeouts = []
    original = run_notebooks.EchoingClient.__init__

    def spy(self, nb, **kwargs):
        timeouts.append(kwargs.get("timeout", "default"))
        original(self, nb, **kwargs)

    monkeypatch.setattr(run_notebooks.EchoingClient, "__init__", spy)
    monkeypatch.setattr(paths, "REPORT_HTML", tmp_path / "report.html")  # not the project's own report
    notebook = tmp_path / "08_slow.ipynb"
    notebook.write_text(json.dumps({**NOTEBOOK, "cells": NOTEBOOK["cells"][:1]}), encoding="utf-8")
    assert run_notebooks.main([str(tmp_path / "html"), str(notebook)]) == 0
    out = capsys.readouterr().out
    assert "08_slow.ipynb" in out and "cell 0" in out and "import time" in out and "total" in out
    assert timeouts == [None], "no per-cell time limit: a large corpus may need long cells"


@pytest.mark.slow
def test_dask_scheduler_address_from_environment(dask_client, seed_paragraphs, monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER", dask_client.scheduler.address)
    monkeypatch.setenv("ENGINE", "dask")
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setattr(engine, "_DASK_CLIENT", None)
    try:
        cut = engine.map_documents(counting.segment_text, seed_paragraphs[:12], stage="jieba", cache=False)
        assert engine._DASK_CLIENT.scheduler.address == dask_client.scheduler.address, "connected to that scheduler"
    finally:
        engine._DASK_CLIENT.close()
    assert cut == [counting.segment_text(p) for p in seed_paragraphs[:12]]


@pytest.mark.slow
def test_local_dask_cluster_without_a_scheduler(seed_documents, monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER", raising=False)
    monkeypatch.setenv("DASK_PROCESSES", "0")  # threads in this process: the cluster set-up path, quickly
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setattr(engine, "_DASK_CLIENT", None)
    try:
        result = engine.map_documents(cleaning.clean_text, seed_documents[:2], stage="cleaning", star=True, engine="dask", cache=False)
    finally:
        engine._DASK_CLIENT.close()
        engine._DASK_CLIENT.cluster.close()
    assert result == [cleaning.clean_text(*d) for d in seed_documents[:2]]


LOADED = """
import os
STATE = {"dictionary": None}

def lookup(text):
    return os.getpid(), STATE["dictionary"], text.upper()
"""


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="fork is used only where it is safe (Linux)")
def test_forked_workers_share_what_this_process_has_loaded(tmp_path, monkeypatch):
    (tmp_path / "loaded_stage.py").write_text(LOADED, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("loaded_stage")
    module.STATE["dictionary"] = "loaded in this process"  # what a fresh worker could not know
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setenv("ENGINE_WORKERS", "2")
    texts = [f"text {i} " * 40 for i in range(40)]
    results = engine.map_documents(module.lookup, texts, stage="fork", engine="local", cache=False, serial_below=0)
    assert [text for _, _, text in results] == [t.upper() for t in texts]
    assert {pid for pid, _, _ in results} - {os.getpid()}, "a worker did part of the work"
    assert {state for _, state, _ in results} == {"loaded in this process"}
    sys.modules.pop("loaded_stage", None)


def test_a_stage_counts_a_busy_drawing_worker_as_a_taken_core(monkeypatch):
    """While a figure is drawn beside, a stage on two cores runs in this process (a third busy process gains no time
    and costs memory); once the drawing is done it uses its worker again."""
    monkeypatch.setattr(engine, "n_workers", lambda: 2)
    forks = []

    def pool(n, initializer=None):
        forks.append(n)
        raise RuntimeError("a worker was asked for")

    monkeypatch.setattr(engine, "local_pool", pool)
    texts = [f"{i}号临时党支部" * 50 for i in range(16)]
    monkeypatch.setattr(engine, "drawing", lambda: 1)
    expected = [counting.segment_text(t) for t in texts]
    assert engine.map_documents(counting.segment_text, texts, stage="busy", engine="local", cache=False, serial_below=0) == expected
    assert forks == []
    monkeypatch.setattr(engine, "drawing", lambda: 0)
    with pytest.raises(RuntimeError, match="a worker was asked for"):
        engine.map_documents(counting.segment_text, texts, stage="free", engine="local", cache=False, serial_below=0)
    assert forks == [1]


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="jobs run beside only where fork is safe (Linux)")
def test_runner_waits_for_drawings_left_by_its_notebooks(tmp_path, capsys, monkeypatch):
    """The kernel's notebooks may leave figures drawing (the runner tells them so); the runner waits for them before it
    stops the kernel, so a drawing that fails after its notebook ended still fails the run, naming the figure."""
    monkeypatch.setattr(paths, "REPORT_HTML", tmp_path / "report.html")
    for name, value in (("FIGURES_DIR", tmp_path / "figures"), ("BUILD_DIR", tmp_path / "build"), ("ENGINE", "local"), ("ENGINE_WORKERS", "2")):
        monkeypatch.setenv(name, str(value))
    notebook = tmp_path / "09_draw.ipynb"
    cells = [
        "import pandas as pd\nfrom helpers.base import engine\nfrom helpers.stage5_report import charts\n"
        "print('across', engine.draws_across_notebooks())\n"
        "charts.heatmap(pd.DataFrame({'a': [1.0]}), 't', 'broken_probe', fmt='{:q}')  # fails in the worker",
    ]
    notebook.write_text(json.dumps({**NOTEBOOK, "cells": [{**NOTEBOOK["cells"][0], "source": cells[0]}]}), encoding="utf-8")
    assert run_notebooks.main([str(tmp_path / "html"), str(notebook)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("figures drawn beside the notebooks failed: ") and "figure broken_probe: ValueError" in err, err
    assert "across True" in (tmp_path / "html" / "09_draw.html").read_text(encoding="utf-8")
    assert engine.DRAW_ACROSS_NOTEBOOKS not in os.environ, "set for the kernel only"


def _write_pid(path: str, seconds: float = 0.0) -> None:
    """A job beside: after `seconds`, write the id of the process that ran it."""
    time.sleep(seconds)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(str(os.getpid()))


def _refuse(reason: str) -> None:
    """A job beside that fails."""
    raise ValueError(reason)


def _beside_on_two_cores(monkeypatch) -> None:
    monkeypatch.setenv("ENGINE", "local")
    monkeypatch.setattr(engine, "n_workers", lambda: 2)


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="jobs run beside only where fork is safe (Linux)")
def test_a_small_job_waits_for_a_busy_worker_and_the_waiting_kernel_does_it(tmp_path, monkeypatch):
    """A small job (a word cloud) is not queued behind the worker's large ones: while the worker is busy it waits, and
    the process that waits for the drawings does it itself, on the core it would leave idle; it still counts as being
    made, and its failure is reported like the worker's."""
    _beside_on_two_cores(monkeypatch)
    large, small, bad = tmp_path / "large", tmp_path / "small", tmp_path / "bad"
    try:
        engine.beside("large", _write_pid, str(large), 1.5, makes=large)
        engine.beside("small", _write_pid, str(small), makes=small, small=True)
        engine.beside("bad", _refuse, "a cloud that cannot be drawn", makes=bad, small=True)
        assert "small" not in engine._BESIDE and engine.being_made(small) and engine.drawing() == 1
        with pytest.raises(RuntimeError, match="bad: ValueError: a cloud that cannot be drawn"):
            engine.wait_beside()
    finally:
        engine.wait_beside()
    assert int(small.read_text()) == os.getpid(), "drawn by the waiting process"
    assert int(large.read_text()) != os.getpid(), "drawn by the worker"
    assert not engine._SPARE and not engine._BESIDE and not engine._BESIDE_POOL


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="jobs run beside only where fork is safe (Linux)")
def test_a_small_job_goes_to_an_idle_worker(tmp_path, monkeypatch):
    """With nothing else to do, the worker takes a small job at once, and the next one when it has finished it."""
    _beside_on_two_cores(monkeypatch)
    first, second = tmp_path / "first", tmp_path / "second"
    try:
        engine.beside("first", _write_pid, str(first), 2.0, makes=first, small=True)
        engine.beside("second", _write_pid, str(second), makes=second, small=True)
        assert "first" in engine._BESIDE and list(engine._SPARE)[0][0] == "second"
        deadline = time.monotonic() + 30
        while "second" not in engine._BESIDE and time.monotonic() < deadline:  # handed over when the first ends
            time.sleep(0.05)
        engine.wait_beside()
    finally:
        engine.wait_beside()
    assert os.getpid() not in {int(first.read_text()), int(second.read_text())}, "both drawn by the worker"


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="jobs run beside only where fork is safe (Linux)")
def test_the_drawing_workers_warm_up_is_no_drawing_and_its_failure_is_reported(monkeypatch):
    """The warm-up a worker starts with (engine.start_beside) does not make a stage count its core as taken, and a
    warm-up that fails is reported when the drawings are waited for."""
    _beside_on_two_cores(monkeypatch)
    try:
        engine.start_beside(_refuse_slowly)
        assert engine._WARM_UP and engine.drawing() == 0
        with pytest.raises(RuntimeError, match="warm-up: ValueError: not warm"):
            engine.wait_beside()
    finally:
        engine.wait_beside()
        gc.unfreeze()  # start_beside froze this test process's objects
    assert not engine._WARM_UP and not engine._BESIDE_POOL


def _refuse_slowly() -> None:
    """A warm-up that takes a while, then fails."""
    time.sleep(0.5)
    raise ValueError("not warm")


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="jobs run beside only where fork is safe (Linux)")
def test_a_small_job_the_pool_refuses_is_not_lost(tmp_path, monkeypatch):
    """When the worker's pool cannot take a small job (broken, or closed), the job stays and the waiting process
    does it: a figure is never dropped between the two."""
    _beside_on_two_cores(monkeypatch)
    large, small = tmp_path / "large", tmp_path / "small"
    try:
        engine.beside("large", _write_pid, str(large), 0.5, makes=large)

        refused = []

        def refuse(*args, **kwargs):
            refused.append(args)
            raise RuntimeError("cannot schedule new futures after shutdown")

        monkeypatch.setattr(engine._BESIDE_POOL[0], "submit", refuse)
        engine.beside("small", _write_pid, str(small), makes=small, small=True)
        engine._BESIDE["large"][0].result(timeout=60)  # the large job ends, and its callback offers the small one
        deadline = time.monotonic() + 30
        while not refused and time.monotonic() < deadline:  # offered once the large one ended (the callback runs apart)
            time.sleep(0.02)
        assert refused, "the pool was offered the small job"
        assert [job[0] for job in engine._SPARE] == ["small"] and engine.being_made(small)
        engine.wait_beside()
    finally:
        monkeypatch.undo()
        engine.wait_beside()
    assert int(small.read_text()) == os.getpid()


def _pid_and_niceness(text: str) -> tuple[int, int, str]:
    """A stage's result that says which process computed it, at what CPU priority."""
    time.sleep(0.02)
    return os.getpid(), os.nice(0), text.upper()


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="work ahead runs only where fork is safe (Linux)")
def test_a_stage_worked_ahead_is_read_from_its_cache(tmp_path, monkeypatch):
    """work_ahead computes a stage's results in a process at the lowest CPU priority, a batch at a time into the
    stage's cache; the stage, run later, reads them from the cache: the same results as computing them."""
    _beside_on_two_cores(monkeypatch)
    monkeypatch.setenv(engine.DRAW_ACROSS_NOTEBOOKS, "1")  # the notebooks run in one kernel: a later stage runs here
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setattr(engine, "AHEAD_BATCH_CHARS", 200)
    texts = [f"党建引领 text {i} " * 10 for i in range(30)]
    cache = tmp_path / "ahead.sqlite"
    assert engine.work_ahead(_pid_and_niceness, texts, stage="ahead probe", cache_file=cache)
    assert not engine.work_ahead(_pid_and_niceness, texts, stage="ahead probe", cache_file=cache), "one process per stage"
    process = engine._AHEAD["ahead probe"]
    process.join(timeout=300)  # let it finish: here every result is to come from the cache
    assert process.exitcode == 0
    results = engine.map_documents(_pid_and_niceness, texts, stage="ahead probe", cache_file=cache)
    assert "ahead probe" not in engine._AHEAD
    assert [text for _, _, text in results] == [t.upper() for t in texts]
    assert os.getpid() not in {pid for pid, _, _ in results}, "all from the cache"
    assert {nice for _, nice, _ in results} == {min(os.nice(0) + 19, 19)}, "at the lowest priority"
    monkeypatch.setattr(engine, "AHEAD_MAX_CHARS", sum(map(len, texts)) - 1)
    assert not engine.work_ahead(_pid_and_niceness, texts, stage="too large", cache_file=cache), "its memory would grow with the corpus"
    monkeypatch.delenv(engine.DRAW_ACROSS_NOTEBOOKS)
    assert not engine.work_ahead(_pid_and_niceness, texts, stage="alone", cache_file=cache), "a notebook run alone: no later stage here"
    monkeypatch.setattr(engine, "n_workers", lambda: 1)
    assert not engine.work_ahead(_pid_and_niceness, texts, stage="one core", cache_file=cache), "no idle core to use"


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="work ahead runs only where fork is safe (Linux)")
def test_a_stage_stops_the_work_ahead_and_computes_the_rest(tmp_path, monkeypatch):
    """A stage run while its work ahead is still going stops that process (its memory is not held beside the stage's)
    and computes what it had not stored: the same results, some from the cache and the rest here."""
    _beside_on_two_cores(monkeypatch)
    monkeypatch.setenv(engine.DRAW_ACROSS_NOTEBOOKS, "1")
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setattr(engine, "AHEAD_BATCH_CHARS", 100)
    texts = [f"党建引领 text {i} " * 10 for i in range(60)]  # one per batch, 0.02 s each: it cannot be done at once
    cache = tmp_path / "ahead.sqlite"
    assert engine.work_ahead(_pid_and_niceness, texts, stage="ahead probe", cache_file=cache)
    process = engine._AHEAD["ahead probe"]
    deadline = time.monotonic() + 60
    while _stored(cache) == 0 and time.monotonic() < deadline:  # at nice 19 on a busy machine it may take a while
        time.sleep(0.02)
    results = engine.map_documents(_pid_and_niceness, texts, stage="ahead probe", engine="serial", cache_file=cache)
    assert not process.is_alive() and "ahead probe" not in engine._AHEAD
    assert [text for _, _, text in results] == [t.upper() for t in texts]
    pids = [pid for pid, _, _ in results]
    assert process.pid in pids and os.getpid() in pids, "some read from the cache, the rest computed here"


def _stored(cache) -> int:
    """How many results a stage cache file holds so far (0 before it exists)."""
    try:
        with sqlite3.connect(cache, timeout=60) as db:
            return db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:  # no file or no table yet
        return 0


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="work ahead runs only where fork is safe (Linux)")
def test_waiting_for_the_drawings_stops_work_ahead_never_used(tmp_path, monkeypatch):
    """A stage worked ahead but never run (its notebook failed, or it took another path) does not keep its process
    beside the report: waiting for the drawings stops it; a later start of the same stage is a new process."""
    _beside_on_two_cores(monkeypatch)
    monkeypatch.setenv(engine.DRAW_ACROSS_NOTEBOOKS, "1")
    texts = [f"党建引领 text {i} " * 10 for i in range(500)]  # 10 s of work: still going when it is stopped
    cache = tmp_path / "ahead.sqlite"
    assert engine.work_ahead(_pid_and_niceness, texts, stage="never run", cache_file=cache)
    process = engine._AHEAD["never run"]
    engine.wait_beside()
    assert not process.is_alive() and not engine._AHEAD
    assert engine.work_ahead(_pid_and_niceness, texts[:1], stage="never run", cache_file=cache)
    engine.stop_ahead()


@pytest.mark.slow
@pytest.mark.skipif(not engine.FORK, reason="work ahead runs only where fork is safe (Linux)")
def test_a_large_drawing_beside_stops_work_ahead(tmp_path, monkeypatch):
    """A large drawing takes the idle core the work ahead was using (and drawings then go on until the report): the
    process is stopped there, not held with its memory until its stage; a small job (a cloud, drawn only when the
    worker is idle) leaves it going."""
    _beside_on_two_cores(monkeypatch)
    monkeypatch.setenv(engine.DRAW_ACROSS_NOTEBOOKS, "1")
    texts = [f"党建引领 text {i} " * 10 for i in range(500)]  # 10 s of work: still going when it is stopped
    small, large = tmp_path / "small", tmp_path / "large"
    try:
        assert engine.work_ahead(_pid_and_niceness, texts, stage="drawn over", cache_file=tmp_path / "ahead.sqlite")
        process = engine._AHEAD["drawn over"]
        engine.beside("small", _write_pid, str(small), makes=small, small=True)
        assert process.is_alive() and "drawn over" in engine._AHEAD
        engine.beside("large", _write_pid, str(large), makes=large)
        assert not process.is_alive() and not engine._AHEAD
    finally:
        engine.wait_beside()
    assert small.exists() and large.exists()
