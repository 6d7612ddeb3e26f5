"""The run-time side of the pipeline: one kernel with a fresh namespace per notebook, the engine sharing work with its own process, Parquet copies of
large tables, and the report's cheap reads of the build (row counts, CC-CEDICT index, font subset)."""

from __future__ import annotations

import asyncio
import json
import re
import time

import nbformat
import pandas as pd
import pytest

from helpers import bench, run_notebooks
from helpers.base import engine, paths, tables
from helpers.stage1_load import corpus
from helpers.stage2_words import counting
from helpers.stage5_report import bilingual, blocks, sections

from conftest import SEEDS

NOTEBOOK_01 = paths.ROOT / "notebooks" / "01_load_and_clean.ipynb"


def notebook_file(folder, name: str, *sources: str):
    """A notebook of these code cells in folder."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_each_notebook_starts_with_a_fresh_namespace_in_the_shared_kernel(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(paths, "REPORT_HTML", tmp_path / "report.html")  # the runner removes the last report first
    first = notebook_file(tmp_path, "01_define.ipynb", "import os\nstreet = '龙城'", "os.chdir(os.path.expanduser('~'))")
    second = notebook_file(tmp_path, "02_use.ipynb", "import os\nprint(os.getcwd() == %r, 'street' in dir(), 'os' in dir())" % str(tmp_path), "print(street)")
    monkeypatch.chdir(tmp_path.parent)  # relative paths, as `make report` passes them
    relative = [str(path.relative_to(tmp_path.parent)) for path in (first, second)]
    assert run_notebooks.main([str(tmp_path / "html"), *relative]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("notebook 02 failed: NameError: name 'street' is not defined (cell 1 `print(street)`)"), err
    page = (tmp_path / "html" / "02_use.html").read_text(encoding="utf-8")
    assert "True False True" in page, "in the notebooks' folder again, no variable of notebook 01, only its own import"
    assert re.search(r'prompt">In\s\[1\]', page), "the execution count starts again at 1"


@pytest.mark.slow
def test_one_client_serves_every_notebook_of_the_kernel(tmp_path, monkeypatch):
    """Each new kernel client waits ~0.2 s for its IOPub subscription: the runner makes one per kernel, not two per
    notebook."""
    monkeypatch.setattr(paths, "REPORT_HTML", tmp_path / "report.html")
    made = []
    original = run_notebooks.connect

    async def counted(km):
        made.append(km)
        return await original(km)

    monkeypatch.setattr(run_notebooks, "connect", counted)
    books = [notebook_file(tmp_path, f"0{i}_step.ipynb", f"print({i})") for i in (1, 2, 3)]
    assert run_notebooks.main([str(tmp_path / "html"), *map(str, books)]) == 0
    assert len(made) == 1
    for i in (1, 2, 3):  # each notebook's own output, through the one client
        assert re.search(rf"<pre>{i}\s*</pre>", (tmp_path / "html" / f"0{i}_step.html").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_silent_run_in_a_dying_kernel_fails_in_one_line(tmp_path):
    """The reset between notebooks and the final wait for figures are silent runs: a kernel that dies meanwhile (out of
    memory) ends the run with a line saying how, instead of a wait for a reply that never comes."""

    async def run() -> str:
        km = await run_notebooks.start_kernel(tmp_path, tmp_path)
        kc = await run_notebooks.connect(km)
        try:
            await run_notebooks.run_silently(km, kc, "import os; os._exit(3)", "the probe failed")
        except run_notebooks.StageFailed as failed:
            return str(failed)
        finally:
            await run_notebooks.stop_kernel(km, kc)
        return "no failure"

    start = time.perf_counter()
    assert asyncio.run(run()) == "the probe failed: the kernel exited with code 3"
    assert time.perf_counter() - start < 60


@pytest.mark.slow
def test_a_cell_asking_for_input_fails_at_once(tmp_path, capsys, monkeypatch):
    """Nobody can answer input() in a run of `make report`: the cell fails at once, naming why, instead of waiting."""
    monkeypatch.setattr(paths, "REPORT_HTML", tmp_path / "report.html")
    book = notebook_file(tmp_path, "01_ask.ipynb", "name = input('street? ')")
    start = time.perf_counter()
    assert run_notebooks.main([str(tmp_path / "html"), str(book)]) == 1
    assert time.perf_counter() - start < 120
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("notebook 01 failed: StdinNotImplementedError:") and "(cell 0 `name = input('street? ')`)" in err, err


def test_parquet_copy_only_for_large_tables(monkeypatch):
    """A table whose CSV reaches the threshold gets a copy; when it shrinks below, the copy goes."""
    # a column mixing text and numbers (Parquet columns have one type) and a missing value
    frame = pd.DataFrame({"doc_id": ["a", "b", "c"], "value": ["1.5", 2, None], "n": [1, 2, 3], 7: [True, False, True]})
    monkeypatch.setattr(tables, "PARQUET_MIN_BYTES", 10**9)
    whole, two_rows = (tables.write_table(f, "runner_big").stat().st_size for f in (frame, frame.head(2)))
    assert two_rows < whole
    monkeypatch.setattr(tables, "PARQUET_MIN_BYTES", whole)  # the whole table reaches it, its first two rows do not
    tables.write_table(frame, "runner_big")
    copy = tables.fastparquet.ParquetFile(str(paths.TABLES / "runner_big.parquet")).to_pandas()
    assert list(copy.columns) == ["doc_id", "value", "n", "7"]
    assert list(copy["value"][:2]) == ["1.5", "2"] and copy["value"].isna().iloc[2] and list(copy["n"]) == [1, 2, 3]
    tables.write_table(frame.head(2), "runner_big")  # the table shrank below the threshold: no stale copy is left
    assert not (paths.TABLES / "runner_big.parquet").exists()
    assert (paths.TABLES / "runner_big.csv").exists()


def test_parquet_bytes_are_stable(monkeypatch):
    frame = pd.DataFrame({"term": ["党建", "治理"], "count": [3, 1]})
    first = tables.write_parquet_copy(frame, "runner_stable", tables.PARQUET_MIN_BYTES).read_bytes()
    assert tables.write_parquet_copy(frame, "runner_stable", tables.PARQUET_MIN_BYTES).read_bytes() == first, "same table, same bytes"


def test_row_count_counts_rows_with_line_breaks_in_cells_and_reads_parquet_footers(monkeypatch):
    frame = pd.DataFrame({"segment_id": ["s1", "s2", "s3"], "text": ["第一行\n第二行", "", "“引号”, 逗号\n\n空行"]})
    path = tables.write_table(frame, "runner_rows")
    assert not path.with_suffix(".parquet").exists() and tables.row_count(path) == len(tables.read_table("runner_rows")) == 3
    empty = tables.write_table(pd.DataFrame(columns=["a", "b"]), "runner_empty")
    assert tables.row_count(empty) == 0
    monkeypatch.setattr(tables, "PARQUET_MIN_BYTES", 20)
    with tables.TableWriter("runner_streamed", ["segment_id", "text"]) as writer:  # parts, as the cleaning log is written
        writer.write(frame)
        writer.write(frame.head(2))
    streamed = paths.TABLES / "runner_streamed.csv"
    assert streamed.with_suffix(".parquet").exists() and tables.row_count(streamed) == len(tables.read_table("runner_streamed")) == 5


def test_data_section_links_parquet_copies(monkeypatch):
    monkeypatch.setattr(tables, "PARQUET_MIN_BYTES", 20)
    tables.write_table(pd.DataFrame({"a": ["一行文字", "二行文字"]}), "runner_linked")  # 31 bytes
    tables.write_table(pd.DataFrame({"a": [1]}), "runner_small")  # 7 bytes
    html = sections.data_section().html()
    assert 'href="tables/runner_linked.parquet"' in html and 'href="tables/runner_linked.csv"' in html
    assert "runner_small.parquet" not in html and 'href="tables/runner_small.csv"' in html


def test_cedict_lookups_come_from_the_cached_table():
    bilingual._cedict_db.cache_clear()
    assert bilingual.dictionary_gloss("电脑") == "computer"  # in CC-CEDICT (checked in the wheel's file)
    assert list(paths.RESOURCE_CACHE.glob("cedict-*.sqlite")), "the dictionary is kept in the resource cache as a table"
    # 行 has several readings (háng, xíng...): every entry is kept, in the file's order
    entries = bilingual.cedict_entries("行")
    assert len(entries) >= 2 and {p.split()[0].rstrip("12345") for p, _ in entries} >= {"hang", "xing"}
    bilingual._cedict_db.cache_clear()
    assert bilingual.cedict_entries("行") == entries, "read back from the table, not parsed again"
    assert bilingual.cedict_entries("不是一个词") == ()


def test_cedict_table_goes_to_the_build_cache_when_the_resource_cache_cannot_be_written(tmp_path, monkeypatch):
    (tmp_path / "a file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(paths, "RESOURCE_CACHE", tmp_path / "a file" / "cache")
    monkeypatch.setattr(paths, "CACHE", tmp_path / "build" / "cache")
    bilingual._cedict_db.cache_clear()
    try:
        assert bilingual.dictionary_gloss("电脑") == "computer"
        assert list((tmp_path / "build" / "cache").glob("cedict-*.sqlite")), "kept with the build instead"
    finally:
        bilingual._cedict_db.cache_clear()


def test_font_subset_is_reused_for_the_same_characters(monkeypatch):
    first = blocks.font_face("<p>党建引领</p>")
    monkeypatch.setattr(blocks, "subset_font", lambda chars: pytest.fail("a cached subset must not be cut again"))
    assert blocks.font_face("<b>引领党建 ABC</b>") == first, "same characters, same subset, from build/cache"


@pytest.mark.slow
def test_pool_with_the_calling_process_equals_serial(monkeypatch):
    monkeypatch.setattr(engine, "SERIAL_BELOW_CHARS", 0)  # the pool, even for the seeds
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setenv("ENGINE_WORKERS", "2")  # one worker and this process
    texts = [p.strip() for doc in corpus.load_corpus(SEEDS).documents for p in doc.text.split("\n\n") if p.strip()][:60]
    pooled = engine.map_documents(counting.segment_text, texts, stage="runner test", engine="local", cache=False)
    assert pooled == [counting.segment_text(t) for t in texts]
    assert json.dumps(pooled, ensure_ascii=False) == json.dumps(
        engine.map_documents(counting.segment_text, texts, stage="runner test", engine="serial", cache=False), ensure_ascii=False
    )


def test_bench_growth_compares_the_two_largest_cold_runs_even_with_a_copies_note():
    """The 4,000-document run is noted 'cold, 4 copies counted once': it is still the largest cold run."""
    runs = [
        bench.Run(200, 435_351, wall=41.6, note="cold"),
        bench.Run(1000, 2_151_845, wall=61.7, note="cold"),
        bench.Run(4000, 8_662_888, wall=130.1, note="cold, 4 copies counted once"),
        bench.Run(4010, 8_690_000, wall=20.0, note="added"),
    ]
    assert bench.growth_line(runs).startswith("time grows 2.1× for 4.0× the characters (0.52× linear)")
    assert bench.growth_line(runs[:1]) == ""


def test_bench_splits_the_wall_time_into_a_fixed_part_and_a_multiple_of_jieba():
    """From the two largest cold runs (the tenth session's bench: 30.7 s against jieba's 7.8 s at 1,000 documents,
    92.7 s against 33.1 s at 4,000): each further second of jieba costs (92.7 - 30.7) / (33.1 - 7.8) = 2.45 s, and
    92.7 - 2.45 × 33.1 = 11.6 s is fixed; within 3 × jieba from 11.6 / (0.55 × 33.1 / 8.66M) ≈ 5.5M characters, and
    at 1,000 documents only with a fixed part under 0.55 × 7.8 = 4.3 s."""
    runs = [
        bench.Run(1000, 2_151_845, wall=30.7, jieba=7.8, note="cold"),
        bench.Run(4000, 8_662_888, wall=92.7, jieba=33.1, note="cold, 4 copies counted once"),
        bench.Run(4010, 8_690_000, wall=20.0, jieba=33.2, note="added"),
    ]
    fixed, marginal = bench.cost_split(runs)
    assert round(marginal, 2) == 2.45 and round(fixed, 1) == 11.6
    line = bench.cost_line(runs)
    assert line.startswith("wall ≈ 11.6 s fixed + 2.45 × bare jieba's time")
    assert "within 3 × bare jieba from about 5.5M characters" in line
    assert line.endswith("a fixed part under 4.3 s at 1,000 documents"), "the 4,000-document run (2.8 ×) is within 3 × already"
    assert bench.cost_line([runs[1], runs[0]]) == line, "the largest corpora, whatever the order the sizes were run in"
    costly = [bench.Run(1000, 2_151_845, wall=40.0, jieba=7.8, note="cold"), bench.Run(4000, 8_662_888, wall=140.0, jieba=33.1, note="cold")]
    assert bench.cost_line(costly).endswith("so no corpus size is within 3 × bare jieba"), "each document costs 3.95 × jieba"
    # (40 - 7) / (33.1 - 7.8) = 1.30 and 40 - 1.30 × 33.1 = -3.2: no fixed part to pay back
    cheap = [bench.Run(1000, 2_151_845, wall=7.0, jieba=7.8, note="cold"), bench.Run(4000, 8_662_888, wall=40.0, jieba=33.1, note="cold")]
    assert bench.cost_line(cheap).startswith("wall ≈ -3.2 s fixed + 1.30 ×") and bench.cost_line(cheap).endswith("within 3 × bare jieba at every size")
    untimed = bench.Run(8000, 17_000_000, wall=180.0, note="cold")  # bare jieba not timed: no split
    assert bench.cost_line(runs[:1]) == "" and bench.cost_split(runs[:1]) is None and bench.cost_split([*runs, untimed]) is None
