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


# ---------------------------------------------------------------- a table written in parts, a table read in chunks
def test_table_writer_writes_the_bytes_of_write_table(monkeypatch):
    frame = hostile_frame()
    expected = tables.write_table_file(frame, paths.TABLES / "whole.csv").read_bytes()
    # parts of 5, 0, 1 and the rest rows (an empty part writes nothing; the header is written once)
    with tables.TableWriter("parts", list(frame.columns)) as writer:
        for start, end in ((0, 5), (5, 5), (5, 6), (6, len(frame))):
            writer.write(frame.iloc[start:end])
    assert writer.rows == len(frame) and writer.bytes == len(expected)
    assert (paths.TABLES / "parts.csv").read_bytes() == expected
    with tables.TableWriter("no_rows", ["a", "b"]):
        pass
    assert (paths.TABLES / "no_rows.csv").read_bytes() == tables.write_table_file(pd.DataFrame(columns=["a", "b"]), paths.TABLES / "e.csv").read_bytes()
    with pytest.raises(ValueError, match="columns"), tables.TableWriter("wrong", ["a"]) as writer:
        writer.write(pd.DataFrame({"a": [1]}))
        writer.write(pd.DataFrame({"b": [1]}))
    assert not (paths.TABLES / "wrong.csv").exists(), "a table cut short by an error is not left behind"


def test_table_writer_writes_the_parquet_copy_once_the_csv_is_large(monkeypatch):
    frame = pd.DataFrame({"doc_id": [f"{i:03d}" for i in range(30)], "n": range(30), "text": ["党建引领"] * 29 + [""]})
    whole = len(tables.csv_text(frame).encode("utf-8")) + 3
    monkeypatch.setattr(tables, "PARQUET_MIN_BYTES", whole // 2)  # reached within the second half of the rows
    with tables.TableWriter("parted", list(frame.columns)) as writer:
        for start in range(0, 30, 4):
            writer.write(frame.iloc[start : start + 4])
    parquet = paths.TABLES / "parted.parquet"
    back = tables.fastparquet.ParquetFile(str(parquet))
    assert len(back.row_groups) > 1, "the parts after the threshold are appended as row groups"
    pd.testing.assert_frame_equal(back.to_pandas(), tables.parquet_ready(frame), check_dtype=False)
    assert dict(back.dtypes) == {"doc_id": "object", "n": "int64", "text": "object"}, "the types write_table's copy has"
    monkeypatch.setattr(tables, "PARQUET_MIN_BYTES", whole + 1)  # too small now: the stale copy goes
    with tables.TableWriter("parted", list(frame.columns)) as writer:
        writer.write(frame)
    assert not parquet.exists()


def test_read_table_rows_keeps_the_matching_rows_of_every_chunk(monkeypatch):
    monkeypatch.setattr(tables, "READ_CHUNK_ROWS", 2)
    frame = hostile_frame().assign(outcome=["partial", "repaired", "joined-possible-loss", "deleted"] * 4)
    tables.write_table(frame, "chunked")
    kept = tables.read_table_rows("chunked", "outcome", ["partial", "joined-possible-loss"])
    assert kept["text"].tolist() == [HOSTILE[i] for i in range(len(HOSTILE)) if i % 4 in (0, 2)]
    assert kept["n"].tolist() == [str(i) for i in range(len(HOSTILE)) if i % 4 in (0, 2)], "cells stay text"
    assert list(kept.columns) == list(frame.columns)
    none = tables.read_table_rows("chunked", "no_such_column", ["partial"])
    assert none.empty and list(none.columns) == list(frame.columns)
    tables.write_table(pd.DataFrame(columns=["outcome"]), "header_only")
    assert tables.read_table_rows("header_only", "outcome", ["partial"]).empty
    with pytest.raises(FileNotFoundError, match="run the earlier notebooks"):
        tables.read_table_rows("never_written", "outcome", ["partial"])


def test_read_table_rows_from_the_parquet_copy_gives_the_csvs_text(monkeypatch):
    monkeypatch.setattr(tables, "PARQUET_MIN_BYTES", 1)  # every table gets its Parquet copy
    frame = hostile_frame().assign(outcome=["partial", "repaired", "joined-possible-loss", "deleted"] * 4)
    frame["share"] = frame["share"] * 1_234_567.0  # %.6g on writing: 1.23457e+06, not Python's repr
    frame.loc[3, "text"] = None
    with tables.TableWriter("both_copies", list(frame.columns)) as writer:  # in parts, as the cleaning log is written
        writer.write(frame.head(9))
        writer.write(frame.iloc[9:])
    parquet = paths.TABLES / "both_copies.parquet"
    assert parquet.exists()
    from_parquet = tables.read_table_rows("both_copies", "outcome", ["partial", "joined-possible-loss"])
    parquet.unlink()
    from_csv = tables.read_table_rows("both_copies", "outcome", ["partial", "joined-possible-loss"])
    assert len(from_csv) == 8 and "1.23457e+06" in set(from_csv["share"])
    pd.testing.assert_frame_equal(from_parquet, from_csv)
