"""Reading and writing the build tables: UTF-8 with BOM so Excel shows Chinese, stable bytes."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from helpers.base import paths

with warnings.catch_warnings():  # fastparquet reads a pandas option that pandas 3 deprecates at import: not ours to fix
    warnings.filterwarnings("ignore", message=".*future.infer_string.*")
    import fastparquet  # pandas' own to_parquet deprecates this engine: it is called directly

# A table of at least this many rows also gets a Parquet copy beside its CSV: beyond ~50,000 rows a CSV opens slowly in
# a spreadsheet (and past 1,048,576 not at all) and parses slowly in pandas or R, while Parquet reads typed columns in
# a fraction of the time. The seeds' tables stay far below (no Parquet written); 1,000 documents pass it.
PARQUET_MIN_ROWS = 50_000


def write_table(df: pd.DataFrame, name: str) -> Path:
    """Write build/tables/<name>.csv (UTF-8 BOM, LF line ends, no index) and return its path."""
    paths.ensure_dirs()
    path = paths.TABLES / f"{name}.csv"
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", float_format="%.6g")
    write_parquet_copy(df, name)
    return path


def write_parquet_copy(df: pd.DataFrame, name: str) -> Path | None:
    """build/tables/<name>.parquet for a table of PARQUET_MIN_ROWS rows or more (removed when the table is smaller, so no
    stale copy survives); returns its path or None."""
    path = paths.TABLES / f"{name}.parquet"
    if len(df) < PARQUET_MIN_ROWS:
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
