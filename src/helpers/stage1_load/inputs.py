"""What a corpus folder must hold before any notebook starts, and the manifest's rows as written.

Light on purpose (standard library only): the runner calls check_corpus before starting a kernel, so that a missing
folder, a folder with nothing to read or an unusable manifest is told in one line, not in a notebook's traceback.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.csv"
MANIFEST_FIELDS = ["doc_id", "title", "outlet", "credits", "date", "genre", "script", "street", "notes"]
# Columns a manifest may add: the district a document belongs to, and its scope (schema.SCOPES) when the text
# cannot tell (an anonymised speech known to be from the study area, say).
MANIFEST_OPTIONAL = ["district", "scope"]
TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
# A manifest is small metadata: UTF-8 (with or without BOM) as the project writes it, or GB18030 as Excel saves it
# on a Chinese Windows; both are decoded strictly.
MANIFEST_ENCODINGS = ("utf_8_sig", "gb18030")


@dataclass(frozen=True)
class InputProblem:
    """Something in the input the build worked around, in one line: where, what, and what the build did."""

    file: str  # the file it is in (manifest.csv, or a corpus file)
    line: int  # the manifest line (1 = header), 0 for the whole file
    doc_id: str
    problem: str
    action: str

    def text(self) -> str:
        """The one line shown in the report and the notebook."""
        where = f"{self.file} line {self.line}" if self.line else self.file
        return f"{where}: {self.problem}; {self.action}."


INPUT_PROBLEM_COLUMNS = ["file", "line", "doc_id", "problem", "action"]


class CorpusUnusable(ValueError):
    """A corpus folder no build can start from (the message is the one line to show)."""


class ManifestUnusable(CorpusUnusable):
    """A manifest the build cannot use at all: unreadable, not CSV, or no doc_id/file column."""


def corpus_files(folder: Path) -> list[Path]:
    """The .txt and saved .html files of a corpus folder in a stable (name) order."""
    if not folder.is_dir():
        raise CorpusUnusable(f"corpus folder {folder} does not exist (make report CORPUS=path/to/folder)")
    suffixes = TEXT_SUFFIXES + HTML_SUFFIXES
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in suffixes and p.is_file()), key=lambda p: p.name)


def _decode_manifest(path: Path) -> str:
    """The manifest's text, or ManifestUnusable naming why it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ManifestUnusable(f"{path}: unusable manifest, it cannot be opened ({exc.strerror})") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf_16")
    for encoding in MANIFEST_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ManifestUnusable(f"{path}: unusable manifest, it is neither UTF-8 nor GB18030 text")


def manifest_rows(path: Path) -> tuple[str, list[str], list[tuple[int, dict[str, str]]]]:
    """(key column, header, [(line number, row)]) of a manifest; ManifestUnusable if it has no doc_id/file column."""
    reader = csv.DictReader(_decode_manifest(path).lstrip("\ufeff").splitlines(), skipinitialspace=True)
    try:
        header = [(name or "").strip() for name in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = [(reader.line_num, {k: (v if isinstance(v, str) else "").strip() for k, v in row.items() if k}) for row in reader]
    except csv.Error as exc:
        raise ManifestUnusable(f"{path}: unusable manifest, it is not valid CSV ({exc})") from exc
    key = "doc_id" if "doc_id" in header else "file" if "file" in header else ""
    if not key:
        raise ManifestUnusable(f"{path}: unusable manifest, it has no doc_id (or file) column naming the files it describes")
    return key, header, rows


def check_corpus(folder: Path) -> None:
    """Raise CorpusUnusable with one line if the folder is missing, holds no .txt/.html file or an unusable manifest."""
    if not corpus_files(folder):
        raise CorpusUnusable(f"corpus folder {folder} holds no .txt, .html or .htm file to analyse")
    if (folder / MANIFEST_NAME).exists():
        manifest_rows(folder / MANIFEST_NAME)
