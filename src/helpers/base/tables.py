"""Reading and writing the build tables: UTF-8 with BOM so Excel shows Chinese, stable bytes, lossless cells."""

from __future__ import annotations

import codecs
import csv
import warnings
from collections.abc import Iterable, Sequence
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

# Every field is quoted: Python's csv writer quotes a field only when it holds the delimiter, the quote or a character
# of the line terminator ("\n" here), so a cell with a bare "\r" (a CRLF file's cleaning example) was written bare and
# split its row when read back. Quoted, any cell (\r, \n, quotes, commas, tabs, a BOM, long text) reads back whole.
QUOTING = csv.QUOTE_ALL


def write_table(df: pd.DataFrame, name: str) -> Path:
    """Write build/tables/<name>.csv (UTF-8 BOM, LF line ends, every field quoted, no index) and return its path."""
    paths.ensure_dirs()
    path = paths.TABLES / f"{name}.csv"
    write_table_file(df, path)
    write_parquet_copy(df, name, path.stat().st_size)
    return path


def write_table_file(df: pd.DataFrame, path: Path) -> Path:
    """Write one table to path in the build tables' dialect (the reader is read_table_file)."""
    path.write_bytes(codecs.BOM_UTF8 + csv_text(df).encode("utf-8"))
    return path


def csv_text(df: pd.DataFrame, header: bool = True) -> str:
    """The rows of df (and its header) as write_table_file writes them, without the file's byte-order mark."""
    return df.to_csv(None, index=False, header=header, lineterminator="\n", float_format="%.6g", quoting=QUOTING)


class TableWriter:
    """build/tables/<name>.csv written a part at a time, byte for byte what write_table writes for all the parts
    concatenated, with its Parquet copy (one row group per part) once the CSV reaches PARQUET_MIN_BYTES.

    For a table too large to hold in memory (the cleaning log: ~800,000 rows at 4,000 documents). Parts must have the
    given columns and the same types (a Parquet file has one type per column; fastparquet refuses a part that
    differs). Use as a context manager (an error inside removes the unfinished files); close() returns the CSV's path."""

    def __init__(self, name: str, columns: Sequence[str]) -> None:
        paths.ensure_dirs()
        self.path, self.parquet = paths.TABLES / f"{name}.csv", paths.TABLES / f"{name}.parquet"
        self.columns, self.rows, self.bytes = list(columns), 0, 0
        self.parquet.unlink(missing_ok=True)  # a copy from an earlier run must not be appended to
        self._pending: list[pd.DataFrame] = []  # parts held until the CSV is large enough to need a Parquet copy
        self._parquet_started = False
        self._file = self.path.open("wb")
        self._write(codecs.BOM_UTF8 + csv_text(pd.DataFrame(columns=self.columns)).encode("utf-8"))

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self.bytes += len(data)

    def write(self, part: pd.DataFrame) -> None:
        """Append the rows of one part."""
        if list(part.columns) != self.columns:
            raise ValueError(f"{self.path.name}: columns {list(part.columns)} are not {self.columns}")
        if not len(part):
            return
        self._write(csv_text(part, header=False).encode("utf-8"))
        self.rows += len(part)
        if self._parquet_started:
            fastparquet.write(str(self.parquet), parquet_ready(part), compression="ZSTD", write_index=False, append=True)
        else:
            self._pending.append(part)
            if self.bytes >= PARQUET_MIN_BYTES:
                fastparquet.write(str(self.parquet), parquet_ready(pd.concat(self._pending, ignore_index=True)), compression="ZSTD", write_index=False)
                self._pending, self._parquet_started = [], True

    def close(self) -> Path:
        """Finish the CSV (and the Parquet copy, written only if the CSV reached PARQUET_MIN_BYTES)."""
        if not self._file.closed:
            self._file.close()
            self._pending = []
        return self.path

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *rest: object) -> None:
        self.close()
        if error_type is not None:  # a table cut short must not look like a whole one
            self.path.unlink(missing_ok=True)
            self.parquet.unlink(missing_ok=True)


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


def write_parquet_copy(df: pd.DataFrame, name: str, csv_bytes: int) -> Path | None:
    """build/tables/<name>.parquet when the table's CSV has PARQUET_MIN_BYTES or more (removed when it is smaller, so no
    stale copy survives); returns its path or None."""
    path = paths.TABLES / f"{name}.parquet"
    if csv_bytes < PARQUET_MIN_BYTES:
        path.unlink(missing_ok=True)
        return None
    fastparquet.write(str(path), parquet_ready(df), compression="ZSTD", write_index=False)
    return path


def _parquet_rows(parquet: Path, column: str, wanted: list[str]) -> pd.DataFrame:
    """read_table_rows from a table's Parquet copy: the rows whose column holds a wanted value, every cell as the text
    the CSV holds (numbers printed as written, missing values empty)."""
    table = fastparquet.ParquetFile(str(parquet))
    if column not in table.columns:
        return pd.DataFrame(columns=table.columns, dtype=str)
    parts = [part[part[column].isin(wanted)] for part in table.iter_row_groups()]  # a row group at a time: bounded memory
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=table.columns)
    return pd.DataFrame({name: [_as_written(v) for v in rows[name]] for name in table.columns}, dtype=str)


def _as_written(value: object) -> str:
    """A cell as csv_text writes it: missing as empty, floats as %.6g (float_format), anything else as str() prints it."""
    if value is None or value != value:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def row_count(path: Path) -> int:
    """Data rows of a build table's CSV: from the footer of its Parquet copy where it has one (the large tables: the
    50 MB cleaning log of 1,000 documents takes ~0.5 s to stream through), else counted as the CSV streams by."""
    parquet = path.with_suffix(".parquet")
    if parquet.exists():  # written with the CSV, or removed with it (write_parquet_copy, TableWriter)
        return fastparquet.ParquetFile(str(parquet)).count()
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # a whole document's text may exceed the 128 KB default
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return max(sum(1 for row in csv.reader(handle) if row) - 1, 0)


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


def table_path(name: str) -> Path:
    """build/tables/<name>.csv, which an earlier notebook must have written."""
    path = paths.TABLES / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run the earlier notebooks first (make report).")
    return path


def read_table(name: str) -> pd.DataFrame:
    """Read a table written by an earlier notebook; empty cells stay empty strings."""
    return read_table_file(table_path(name))


READ_CHUNK_ROWS = 50_000  # rows parsed at a time by read_table_rows: ~10-20 MB of the cleaning log


def read_table_rows(name: str, column: str, values: Iterable[str]) -> pd.DataFrame:
    """The rows of a build table whose `column` holds one of `values`, in order, read in chunks so that a table of a
    million rows is never in memory whole (from its Parquet copy where it has one, a row group at a time); with no such
    column, no rows. Every cell stays text: read_table types a column only when all its rows print back exactly, which
    a chunk cannot tell (the text is what the CSV shows)."""
    path, wanted = table_path(name), list(values)
    parquet = path.with_suffix(".parquet")
    if parquet.exists():  # the same rows, typed and compressed: 0.3 s against the CSV's 0.95 s (1,000 documents' log)
        return _parquet_rows(parquet, column, wanted)
    options = {"encoding": "utf-8-sig", "keep_default_na": False, "quoting": csv.QUOTE_MINIMAL, "engine": "c", "dtype": str}
    try:
        header = pd.read_csv(path, nrows=0, **options)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    if column not in header:
        return header
    kept = [header]
    with pd.read_csv(path, chunksize=READ_CHUNK_ROWS, **options) as chunks:
        kept += [chunk[chunk[column].isin(wanted)] for chunk in chunks]
    return pd.concat(kept, ignore_index=True)
