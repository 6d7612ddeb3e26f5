"""Every notebook executed by the runner `make report` uses (helpers.run_notebooks), as CI and analysts run them: on
the seeds, twice (the builds must be byte-identical), and on a hostile corpus without a manifest (nothing it contains
may reach HTML live)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from helpers.base import paths
from helpers.stage5_report import blocks

from conftest import NOTEBOOKS, failure, run_pipeline

pytestmark = pytest.mark.slow  # whole pipelines: `make test` runs them, `make unit` does not


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under folder, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("notebook", [n.name for n in NOTEBOOKS])
def test_notebook_executes(seeds_build, notebook):
    out, proc = seeds_build
    assert proc.returncode == 0, failure(proc)
    assert (out / "build" / "notebooks" / notebook.replace(".ipynb", ".html")).exists()


def test_tables_are_written_with_bom(seeds_build):
    out, _ = seeds_build
    for name in ("documents", "segments", "cleaning_log"):
        assert (out / "build" / "tables" / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_two_builds_are_byte_identical(seeds_build, tmp_path):
    first, proc = seeds_build
    assert proc.returncode == 0, failure(proc)
    second = run_pipeline(paths.ROOT / "seeds", tmp_path)
    assert second.returncode == 0, failure(second)
    for folder in ("build/tables", "figures"):
        assert digests(first / folder) == digests(tmp_path / folder), folder


def test_each_notebook_alone_in_a_new_kernel_writes_the_same_bytes(seeds_build, tmp_path):
    """The runner runs every notebook in one kernel (a fresh namespace each); run alone, as in JupyterLab, each must
    write the same tables and figures, so no notebook depends on a module state another one left behind."""
    shared, proc = seeds_build
    assert proc.returncode == 0, failure(proc)
    for folder in ("build", "figures"):
        shutil.copytree(shared / folder, tmp_path / folder, ignore=shutil.ignore_patterns("report.html"))
    for notebook in NOTEBOOKS[1:]:
        alone = run_pipeline(paths.ROOT / "seeds", tmp_path, [notebook])
        assert alone.returncode == 0, failure(alone)
    for folder in ("build/tables", "figures"):
        assert digests(shared / folder) == digests(tmp_path / folder), folder
    assert (tmp_path / "build" / "report.html").read_bytes() == (shared / "build" / "report.html").read_bytes()


PAYLOADS = [
    '<script>alert("corpus")</script>',
    "<img src=x onerror=alert(1)>",
    "[点我](javascript:alert(1))",
    '"><svg/onload=alert(2)>',
    "<iframe src=javascript:alert(3)></iframe>",
    '<img data-pending-figure="top_terms_corpus">',  # the report's own placeholder for a figure being drawn
]
LIVE_MARKERS = ['<script>alert("corpus")', "<img src=x", "<svg/onload", "<iframe src=javascript", 'href="javascript:', "<img data-pending-figure"]


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory) -> tuple[Path, dict]:
    corpus = tmp_path_factory.mktemp("hostile_corpus")
    lines = "\n\n".join(f"坪地街道党工委在征拆一线成立临时党支部，{p}，党员干部发挥先锋模范作用，满意度达96%。" for p in PAYLOADS)
    (corpus / "web_article.txt").write_text(
        f"坪地街道：党建引领征拆攻坚\n发布时间：2021-03-05 来源：龙岗新闻网\n\n{lines}\n\n“{PAYLOADS[0]}”是口号。\n", encoding="utf-8"
    )
    (corpus / "traditional_gbk.txt").write_bytes("坂田街道黨工委書記在座談會上講話，要求充分發揮黨支部戰鬥堡壘作用，成立65個臨時黨支部。\n".encode("gbk"))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    out = tmp_path_factory.mktemp("hostile_build")
    return out, run_pipeline(corpus, out)


def test_a_new_corpus_without_manifest_builds(hostile_build):
    out, proc = hostile_build
    assert proc.returncode == 0, failure(proc)
    documents = (out / "build" / "tables" / "documents.csv").read_text(encoding="utf-8-sig")
    assert "empty.txt" in documents and "picture.txt" in documents and "2021-03-05" in documents
    report = (out / "build" / "report.html").read_text(encoding="utf-8")
    assert "empty file" in report and "picture.txt" in report and "inferred from text" in report


def test_corpus_text_never_reaches_html_live(hostile_build):
    out, proc = hostile_build
    assert proc.returncode == 0, failure(proc)
    pages = [out / "build" / "report.html", *sorted((out / "build" / "notebooks").glob("*.html"))]
    assert len(pages) == 1 + len(NOTEBOOKS)
    segments = (out / "build" / "tables" / "segments.csv").read_text(encoding="utf-8-sig")
    assert "<svg/onload=alert(2)>" in segments, "a payload must reach the tables, or this test proves nothing"
    # tags are cleaned away (issue 15: a stray script goes with its code), and logged with what they removed
    assert "<script>alert" not in segments and "<img src=x" not in segments
    assert "<script>alert(" in (out / "build" / "tables" / "cleaning_log.csv").read_text(encoding="utf-8-sig")
    report = pages[0].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert" in report, "the payload is shown, escaped (as the cleaning example of a stray script)"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for marker in LIVE_MARKERS:
            assert marker not in text, f"{page.name}: {marker}"


def test_report_is_self_contained(seeds_build):
    out, _ = seeds_build
    report = (out / "build" / "report.html").read_text(encoding="utf-8")
    assert "<script src" not in report and "<link" not in report and "http://" not in report.replace("http://www.w3.org", "")
    assert report.count("data:image/png;base64,") >= 10 and "@font-face" in report
    assert (out / "build" / "report.html").stat().st_size <= blocks.REPORT_MAX_BYTES == 5_000_000, "issue 14: at most 5 MB"


def test_a_second_corpus_in_the_same_build_keeps_nothing_of_the_first(tmp_path):
    """Seeds, then a one-document corpus into the same build folders: the result equals a fresh build of that corpus."""
    one_doc = tmp_path / "one_doc"
    one_doc.mkdir()
    (seed,) = (paths.ROOT / "seeds").glob("002_*.txt")
    (one_doc / seed.name).write_bytes(seed.read_bytes())
    reused, fresh = tmp_path / "reused", tmp_path / "fresh"
    for corpus, out in ((paths.ROOT / "seeds", reused), (one_doc, reused), (one_doc, fresh)):
        proc = run_pipeline(corpus, out)
        assert proc.returncode == 0, failure(proc)
    for folder in ("build/tables", "figures"):
        assert digests(reused / folder) == digests(fresh / folder), folder
    report = (reused / "build" / "report.html").read_text(encoding="utf-8")
    assert "坪地 Pingdi" not in report and "平湖 Pinghu" not in report  # streets of the first corpus only


def test_a_corpus_of_unreadable_files_builds_a_report_that_says_so(tmp_path):
    # A folder with no file at all is refused before any notebook (issue 15, tests/test_inputs_pipeline.py); one whose
    # only files are unreadable builds, with no document, and says so.
    empty = tmp_path / "empty_corpus"
    empty.mkdir()
    (empty / "empty.txt").write_bytes(b"")
    (empty / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    proc = run_pipeline(empty, tmp_path / "out")
    assert proc.returncode == 0, failure(proc)
    report = (tmp_path / "out" / "build" / "report.html").read_text(encoding="utf-8")
    assert "<b>0</b> documents" in report and "No figure:" in report and "picture.txt" in report
    index = (tmp_path / "out" / "build" / "tables" / "figure_index.csv").read_text(encoding="utf-8-sig")
    assert ",True," not in index, "nothing can be drawn from an empty corpus"
