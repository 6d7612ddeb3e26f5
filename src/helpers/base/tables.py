"""Reading and writing the build tables: UTF-8 with BOM so Excel shows Chinese, stable bytes, lossless cells."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from helpers.base import paths

# Every field is quoted: Python's csv writer quotes a field only when it holds the delimiter, the quote or a character
# of the line terminator ("\n" here), so a cell with a bare "\r" (a CRLF file's cleaning example) was written bare and
# split its row when read back. Quoted, any cell (\r, \n, quotes, commas, tabs, a BOM, long text) reads back whole.
QUOTING = csv.QUOTE_ALL


def write_table(df: pd.DataFrame, name: str) -> Path:
    """Write build/tables/<name>.csv (UTF-8 BOM, LF line ends, every field quoted, no index) and return its path."""
    paths.ensure_dirs()
    path = paths.TABLES / f"{name}.csv"
    write_table_file(df, path)
    return path


def write_table_file(df: pd.DataFrame, path: Path) -> Path:
    """Write one table to path in the build tables' dialect (the reader is read_table_file)."""
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", float_format="%.6g", quoting=QUOTING)
    return path


def exactly_typed(inferred: pd.Series, text: pd.Series) -> pd.Series:
    """pandas' numbers or booleans for a column only where printing them gives back exactly the text read, else the text.

    So '001' (a file named 001.txt) or '1.50' stay text while 7, 0.125 and True come back as written; float_format's
    rounding (%.6g) is the one loss, made on writing."""
    if pd.api.types.is_bool_dtype(inferred):
        printed = inferred.map(str)
    elif pd.api.types.is_integer_dtype(inferred):
        printed = inferred.astype(str)
    else:
        printed = inferred.map(lambda x: f"{x:.6g}")
    return inferred if (printed == text).all() else text


def read_table_file(path: Path) -> pd.DataFrame:
    """Read a table written by write_table_file: every cell whole, as text unless it is exactly a printed number."""
    options = {"encoding": "utf-8-sig", "keep_default_na": False, "quoting": csv.QUOTE_MINIMAL, "engine": "c"}
    try:
        frame = pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:  # a table with no rows and no columns (e.g. no speeches in this corpus)
        return pd.DataFrame()
    typed = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])]
    if typed and len(frame):  # pandas infers types from the text alone: check the numbers print back as read
        text = pd.read_csv(path, usecols=typed, dtype=str, **options)
        for column in typed:
            frame[column] = exactly_typed(frame[column], text[column])
    return frame


def read_table(name: str) -> pd.DataFrame:
    """Read a table written by an earlier notebook; empty cells stay empty strings."""
    path = paths.TABLES / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run the earlier notebooks first (make report).")
    return read_table_file(path)
