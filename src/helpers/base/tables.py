"""Reading and writing the build tables: UTF-8 with BOM so Excel shows Chinese, stable bytes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.base import paths


def write_table(df: pd.DataFrame, name: str) -> Path:
    """Write build/tables/<name>.csv (UTF-8 BOM, LF line ends, no index) and return its path."""
    paths.ensure_dirs()
    path = paths.TABLES / f"{name}.csv"
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", float_format="%.6g")
    return path


def read_table(name: str) -> pd.DataFrame:
    """Read a table written by an earlier notebook; empty cells stay empty strings."""
    path = paths.TABLES / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run the earlier notebooks first (make report).")
    try:
        return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    except pd.errors.EmptyDataError:  # a table with no rows and no columns (e.g. no speeches in this corpus)
        return pd.DataFrame()
