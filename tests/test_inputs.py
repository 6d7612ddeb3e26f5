"""A corpus folder as a user hands it over: the manifest's problems each told in one line and worked around, and
the folders no build can start from refused in one line before any notebook starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError

from helpers import run_notebooks
from helpers.base import paths
from helpers.stage1_load import corpus, inputs

from conftest import SEEDS

HEADER = "doc_id,title,outlet,credits,date,genre,script,street,notes\n"
SEED_A, SEED_B = "003_14a957db2df99ca3", "002_9ef4c1d6e06a1596"


@pytest.fixture
def folder(tmp_path) -> Path:
    for name in (SEED_A, SEED_B):
        shutil.copy(SEEDS / f"{name}.txt", tmp_path)
    return tmp_path


def problems_of(folder: Path, manifest: str, encoding: str = "utf-8") -> tuple[dict, list[str]]:
    (folder / "manifest.csv").write_bytes(manifest.encode(encoding))
    rows, problems = corpus.check_manifest(folder)
    return rows, [p.text() for p in problems]


def test_a_good_manifest_has_no_problems(seeds_dir):
    rows, problems = corpus.check_manifest(seeds_dir)
    assert problems == [] and len(rows) == 5


def test_a_row_for_a_missing_file_is_told_and_ignored(folder):
    rows, lines = problems_of(folder, HEADER + f"{SEED_A},标题,,,2019-02-18,article,Simplified,南湾,\nmissing_doc,一篇,,,,,,,\n")
    assert set(rows) == {SEED_A}
    assert lines == ["manifest.csv line 3: row for missing_doc, but the folder has no file missing_doc.txt or .html; row ignored."]


def test_a_duplicated_row_keeps_the_first(folder):
    rows, lines = problems_of(folder, HEADER + f"{SEED_A},第一,,,,,,,\n{SEED_A},第二,,,,,,,\n")
    assert rows[SEED_A]["title"] == "第一"
    assert lines == [f"manifest.csv line 3: {SEED_A} is described again (first on line 2); this row ignored."]


def test_a_missing_column_is_read_from_the_text(folder):
    rows, lines = problems_of(folder, "doc_id,title,street\n" + f"{SEED_A},标题,南湾\n")
    assert rows[SEED_A]["street"] == "南湾"
    assert lines == ["manifest.csv line 1: lacks the columns outlet, credits, date, genre, script, notes; read from each text instead."]


def test_rows_without_an_id_and_unknown_values_are_told(folder):
    manifest = "doc_id,title,outlet,credits,date,genre,script,street,notes,scope,colour\n"
    manifest += f",无编号,,,,,,,,,\n{SEED_A},标题,,,,,,不存在,,,red\n{SEED_B},标题,,,,,,,,somewhere,\n\n"
    rows, lines = problems_of(folder, manifest)
    assert lines == [
        "manifest.csv line 1: has unknown column colour; ignored.",
        "manifest.csv line 2: row has no doc_id; row ignored.",
        "manifest.csv line 3: street '不存在' is not a street of places.csv; street read from the text.",
        "manifest.csv line 4: scope 'somewhere' is not one of longgang, outside, unknown; scope read from the text.",
    ]
    assert rows[SEED_A]["street"] == "" and rows[SEED_B]["scope"] == ""


def test_a_gbk_manifest_keyed_by_file_is_read(folder):
    rows, lines = problems_of(folder, "file,title,outlet,credits,date,genre,script,street,notes\n" + f"{SEED_B}.txt,龙城专题,,,,,,龙城,\n", "gbk")
    assert lines == [] and rows[SEED_B]["title"] == "龙城专题"


@pytest.mark.parametrize(
    "content, says",
    [
        (b"name,title\nx,y\n", "has no doc_id (or file) column"),
        (b"\x00\xff\xfe\x81" * 20, "neither UTF-8 nor GB18030"),
    ],
)
def test_an_unusable_manifest_stops_in_one_line(folder, content, says):
    (folder / "manifest.csv").write_bytes(content)
    with pytest.raises(inputs.ManifestUnusable) as caught:
        corpus.check_manifest(folder)
    assert says in str(caught.value) and "\n" not in str(caught.value) and str(folder / "manifest.csv") in str(caught.value)
    with pytest.raises(inputs.CorpusUnusable):
        inputs.check_corpus(folder)


def test_folders_no_build_can_start_from(tmp_path, folder):
    with pytest.raises(inputs.CorpusUnusable, match="does not exist"):
        inputs.check_corpus(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.md").write_text("党建", encoding="utf-8")
    with pytest.raises(inputs.CorpusUnusable, match="holds no .txt, .html or .htm file"):
        inputs.check_corpus(empty)
    inputs.check_corpus(folder)  # two seeds and no manifest: fine


def test_the_runner_refuses_before_any_notebook_and_removes_the_last_report(tmp_path, capsys):
    paths.REPORT_HTML.parent.mkdir(parents=True, exist_ok=True)
    paths.REPORT_HTML.write_text("<html>an earlier build</html>", encoding="utf-8")
    line = run_notebooks.preflight(tmp_path / "nowhere")
    assert line == f"cannot build: corpus folder {tmp_path / 'nowhere'} does not exist (make report CORPUS=path/to/folder)"
    assert not paths.REPORT_HTML.exists(), "a failed build leaves no report that looks current"
    assert run_notebooks.preflight(SEEDS) == ""


def test_a_failure_is_one_line_without_colour_codes(tmp_path):
    error = CellExecutionError("Traceback …", "KeyError", "\x1b[0;31m\"None of [Index(['file', 'reason'])] are in the [columns]\"\x1b[0m\nmore")
    line = run_notebooks.failure_line(Path("notebooks/05_report.ipynb"), error, 3, "t = load_tables()", tmp_path / "05_report.html")
    assert line == (
        "notebook 05 failed: KeyError: \"None of [Index(['file', 'reason'])] are in the [columns]\" "
        f"(cell 3 `t = load_tables()`); full log: {tmp_path / '05_report.html'}"
    )
    died = run_notebooks.failure_line(Path("02_words.ipynb"), RuntimeError("Kernel died\nnoise"), -1, "", tmp_path / "x.html")
    assert died.startswith("notebook 02 failed: RuntimeError: Kernel died (before the first cell)")
