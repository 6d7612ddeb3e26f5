"""Reading and writing the build tables: UTF-8 with BOM so Excel shows Chinese, stable bytes."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from helpers.base import paths

with warnings.catch_warnings():  # fastparquet reads a pandas option that pandas 3 deprecates at import: not ours to fix
    warnings.filterwarnings("ignore", message=".*future.infer_string.*")
    import fastparquet  # pandas' own to_parquet deprecates this engine: it is called directly

# A table whose CSV reaches this size also gets a Parquet copy beside it: a CSV of several MB takes seconds to parse in
# pandas or R and opens slowly in a spreadsheet (past 1,048,576 rows not at all), while Parquet (typed, compressed
# columns) reads in a fraction of that. The seeds' largest table is ~0.5 MB (no Parquet written); at 1,000 documents
# the per-row tables (cleaning_log, framing_evidence, slogans, segments, metrics) pass it.
PARQUET_MIN_BYTES = 2_000_000


def write_table(df: pd.DataFrame, name: str) -> Path:
    """Write build/tables/<name>.csv (UTF-8 BOM, LF line ends, no index) and return its path."""
    paths.ensure_dirs()
    path = paths.TABLES / f"{name}.csv"
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", float_format="%.6g")
    write_parquet_copy(df, name, path.stat().st_size)
    return path


def write_parquet_copy(df: pd.DataFrame, name: str, csv_bytes: int) -> Path | None:
    """build/tables/<name>.parquet when the table's CSV has PARQUET_MIN_BYTES or more (removed when it is smaller, so no
    stale copy survives); returns its path or None."""
    path = paths.TABLES / f"{name}.parquet"
    if csv_bytes < PARQUET_MIN_BYTES:
        path.unlink(missing_ok=True)
        return None
    fastparquet.write(str(path), parquet_ready(df), compression="ZSTD", write_index=False)
    return path


def parquet_ready(df: pd.DataFrame) -> pd.DataFrame:
    """The table with text column names and each column of one type (Parquet requires it): a column mixing text with
    numbers or booleans becomes text, missing values stay missing."""
    out = df.rename(columns=str)  # copy-on-write: columns are copied only where replaced below
    for column in [c for c in out.columns if pd.api.types.is_object_dtype(out[c])]:  # text columns have one type
        values = out[column]
        kinds = set(values.dropna().map(type))
        if len(kinds) > 1:
            out[column] = values.map(lambda v: v if v is None or v != v else str(v))
    return out


def read_table(name: str) -> pd.DataFrame:
    """Read a table written by an earlier notebook; empty cells stay empty strings."""
    path = paths.TABLES / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run the earlier notebooks first (make report).")
    try:
        return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    except pd.errors.EmptyDataError:  # a table with no rows and no columns (e.g. no speeches in this corpus)
        return pd.DataFrame()
