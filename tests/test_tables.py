"""Build tables read back exactly as written, whatever a cell holds (the CRLF bug of issue 15: a bare \\r in the
cleaning log's example text was written unquoted and split its row when read back)."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.base import outputs, paths, tables
from helpers.stage1_load import cleaning

from conftest import seed_text

HOSTILE = [
    "bare\rreturn",
    "line\nfeed",
    "windows\r\nline",
    'quote " and ""double""',
    "comma, and; semicolon",
    "tab\there",
    "\ufeffa BOM first",
    "trailing BOM\ufeff",
    "  spaces kept  ",
    "",
    "nan",
    "NA",
    "None",
    "=1+1",
    "党建引领“拧成一股绳”，\r\n《龙岗》",
    "长" * 200_000,  # longer than any CSV field limit of the csv module's default (131,072)
]


def hostile_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": HOSTILE,
            "n": range(len(HOSTILE)),
            "share": [i / 8 for i in range(len(HOSTILE))],
            "flag": [i % 2 == 0 for i in range(len(HOSTILE))],
            "doc_id": [f"{i:03d}_x" for i in range(len(HOSTILE))],
        }
    )


def test_write_table_and_read_table_round_trip_any_cell():
    frame = hostile_frame()
    tables.write_table(frame, "roundtrip_test")
    back = tables.read_table("roundtrip_test")
    assert back["text"].tolist() == HOSTILE
    assert back["n"].tolist() == list(frame["n"]) and back["flag"].tolist() == list(frame["flag"])
    assert back["share"].tolist() == list(frame["share"])  # eighths print exactly with %.6g
    assert back["doc_id"].tolist() == list(frame["doc_id"])
    assert (paths.TABLES / "roundtrip_test.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_write_table_file_and_read_table_file_round_trip(tmp_path):
    frame = hostile_frame()
    back = tables.read_table_file(tables.write_table_file(frame, tmp_path / "t.csv"))
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    # the same input gives the same bytes
    first = (tmp_path / "t.csv").read_bytes()
    tables.write_table_file(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == first


def test_empty_tables_read_back_empty(tmp_path):
    assert tables.read_table_file(tables.write_table_file(pd.DataFrame(), tmp_path / "e.csv")).empty
    back = tables.read_table_file(tables.write_table_file(pd.DataFrame(columns=["a", "b"]), tmp_path / "c.csv"))
    assert back.empty and list(back.columns) == ["a", "b"]


@pytest.mark.parametrize("line_end", ["\r\n", "\r"])
def test_cleaning_log_of_a_windows_file_reads_back_whole(line_end):
    # A CRLF (or CR) copy of seed 001: its cleaning log's examples hold carriage returns.
    raw = seed_text("001").replace("\n", line_end)
    clean, log_rows = cleaning.clean_text("001", raw)
    log = cleaning.log_frame({"001": (clean, log_rows)})
    summary = cleaning.step_summary(log)
    assert log["before"].str.contains("\r").any()
    for name, frame in {"cleaning_log": log, "cleaning_summary": summary}.items():
        tables.write_table(frame, name)
        back = tables.read_table(name)
        assert len(back) == len(frame), name
        pd.testing.assert_frame_equal(back, frame.reset_index(drop=True), check_dtype=False)
    back = tables.read_table("cleaning_log")
    assert cleaning.replay(raw, back.to_dict("records")) == clean, "the log read back still replays to the clean text"


def test_cleaning_examples_show_a_carriage_return():
    clean, log_rows = cleaning.clean_text("x", "平湖街道\r\n党工委\r\n")
    examples = [r["example"] for r in log_rows if r["step"] == "line_ends"]
    assert examples and all("\r" not in e and "␍¶" in e for e in examples)


def test_figure_index_round_trips_through_the_tables(tmp_path):
    outputs.start_run()
    for name in outputs.REGISTRY["05_report"][0]:
        tables.write_table(pd.DataFrame(), name)
    index = outputs.finish("05_report", {})
    assert list(index.columns) == ["notebook", "figure", "drawn", "note"]
