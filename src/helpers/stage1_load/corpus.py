"""Finding and decoding the corpus files: strict decoding, clear rejections, the manifest checked."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer

from helpers.base import schema
from helpers.base.chinese import HAN_CHAR, cjk_share, plausible_char
from helpers.stage1_load import pages
from helpers.stage1_load.inputs import (  # noqa: F401 - corpus.corpus_files and the manifest's names are used as corpus.*
    HTML_SUFFIXES,
    INPUT_PROBLEM_COLUMNS,
    MANIFEST_FIELDS,
    MANIFEST_NAME,
    MANIFEST_OPTIONAL,
    TEXT_SUFFIXES,
    CorpusUnusable,
    InputProblem,
    ManifestUnusable,
    check_corpus,
    corpus_files,
    manifest_rows,
)
from helpers.stage1_load.places import gazetteer

# Encodings a Chinese text file plausibly comes in; detection is restricted to these so that
# a GBK file is never "detected" as, say, Korean cp949 and decoded into nonsense without an error.
CANDIDATE_ENCODINGS = ["gb18030", "big5", "utf_16_le", "utf_16_be"]
# Is a decoding real Chinese? Measured on the seeds: correctly decoded they are 65–88% ideographs, 100% of them
# among the 3,500 common characters; the same bytes decoded with the wrong codec (GBK read as Big5, Big5 as GBK,
# UTF-8 as GBK) keep 38–89% ideographs but only 34–49% common ones. So the common share decides (0.6 sits between),
# and the ideograph share only rules out text that is hardly Chinese at all (a page of numbers and Latin).
MIN_CJK_SHARE = 0.2
MIN_COMMON_SHARE = 0.6
# Any even-length byte string decodes as UTF-16, so a BOM-less UTF-16 reading must pass a stricter bar (GBK bytes read
# as UTF-16 give 1–22% ideographs, 0–18% of them common).
MIN_UTF16_CJK_SHARE = 0.3
MIN_UTF16_COMMON_SHARE = 0.8


@dataclass(frozen=True)
class RawDocument:
    """One decoded corpus file."""

    doc_id: str
    path: Path
    text: str
    encoding: str
    n_bytes: int


@dataclass(frozen=True)
class Rejected:
    """A file that was not read, and why."""

    file: str
    reason: str


@dataclass
class Corpus:
    """What loading a folder produced: the documents read and the files refused."""

    documents: list[RawDocument] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


class DecodeError(ValueError):
    """A file that cannot be turned into text without guessing or losing characters."""


def chinese_plausibility(text: str) -> float:
    """Share of ideographs that are common Chinese characters: high for real text, low for a wrong decoding."""
    han = HAN_CHAR.findall(text)
    return sum(plausible_char(c) for c in han) / len(han) if han else 0.0


def _try_utf16(data: bytes) -> tuple[str, str] | None:
    """BOM-less UTF-16: accepted only if it reads as real Chinese (GBK bytes read as UTF-16 do not)."""
    if len(data) % 2:
        return None
    for name in ("utf_16_le", "utf_16_be"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if cjk_share(text) >= MIN_UTF16_CJK_SHARE and chinese_plausibility(text) >= MIN_UTF16_COMMON_SHARE and not re.search("[\x00-\x08\x0e-\x1f]", text):
            return text, name
    return None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode strictly (no replacement characters) and return (text, encoding) or raise DecodeError."""
    if not data.strip():
        raise DecodeError("empty file")
    for bom, name in ((codecs.BOM_UTF8, "utf_8_sig"), (codecs.BOM_UTF16_LE, "utf_16"), (codecs.BOM_UTF16_BE, "utf_16")):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise DecodeError(f"has a {name} byte-order mark but is not valid {name}: {exc.reason} at byte {exc.start}") from exc
    try:
        return data.decode("utf_8"), "utf_8"
    except UnicodeDecodeError:
        pass
    utf16 = _try_utf16(data)
    if utf16:
        return utf16
    if b"\x00" in data:
        raise DecodeError("binary file (contains NUL bytes and is not UTF-16 text)")
    best = charset_normalizer.from_bytes(data, cp_isolation=CANDIDATE_ENCODINGS[:2]).best()
    if best is None:
        raise DecodeError("not decodable as UTF-8, UTF-16, GB18030/GBK or Big5")
    text = data.decode(best.encoding)  # strict: charset-normalizer only proposes, Python decides
    if cjk_share(text) < MIN_CJK_SHARE or chinese_plausibility(text) < MIN_COMMON_SHARE:
        raise DecodeError(
            f"not decodable as Chinese text (best guess {best.encoding} gives {cjk_share(text):.0%} "
            f"ideographs, {chinese_plausibility(text):.0%} of them common)"
        )
    return text, best.encoding


def load_corpus(folder: Path) -> Corpus:
    """Read every .txt and .html file; undecodable ones are listed as rejected, never half-read."""
    corpus = Corpus()
    for path in corpus_files(folder):
        data = path.read_bytes()
        try:
            text, encoding = decode_bytes(data)
            # a page is kept whole: the cleaning's first step replaces it by its article, with a log row
            if (path.suffix.lower() in HTML_SUFFIXES or pages.is_web_page(text)) and not pages.extract_page(text).text.strip():
                raise DecodeError("web page with no visible text")
        except DecodeError as exc:
            corpus.rejected.append(Rejected(path.name, str(exc)))
            continue
        corpus.documents.append(RawDocument(path.stem, path, text, encoding, len(data)))
    return corpus


def check_manifest(folder: Path) -> tuple[dict[str, dict[str, str]], list[InputProblem]]:
    """The usable rows of a folder's manifest by doc_id, and one InputProblem per thing wrong with it.

    A missing column, a row without a doc_id, a doc_id naming no file of the folder, a repeated doc_id, a scope or
    street the project does not know: each is reported and worked around (the field is read from the text instead).
    Only a manifest the build cannot use at all raises ManifestUnusable."""
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}, []
    key, header, rows = manifest_rows(path)
    name = path.name
    problems: list[InputProblem] = []
    missing = [f for f in MANIFEST_FIELDS[1:] if f not in header]
    if missing:
        problems.append(InputProblem(name, 1, "", f"lacks the column{'s' * (len(missing) > 1)} {', '.join(missing)}", "read from each text instead"))
    unknown = [c for c in header if c and c not in MANIFEST_FIELDS + MANIFEST_OPTIONAL + ["file"]]
    if unknown:
        problems.append(InputProblem(name, 1, "", f"has unknown column{'s' * (len(unknown) > 1)} {', '.join(unknown)}", "ignored"))
    files = {p.stem: p for p in corpus_files(folder)}
    usable: dict[str, dict[str, str]] = {}
    first_line: dict[str, int] = {}
    for line, row in rows:
        doc_id = Path(row.get(key, "")).stem if key == "file" else row.get(key, "")
        if not any(row.values()):
            continue  # a blank line
        if not doc_id:
            problems.append(InputProblem(name, line, "", f"row has no {key}", "row ignored"))
            continue
        if doc_id in first_line:
            problems.append(InputProblem(name, line, doc_id, f"{doc_id} is described again (first on line {first_line[doc_id]})", "this row ignored"))
            continue
        first_line[doc_id] = line
        if doc_id not in files:
            problems.append(InputProblem(name, line, doc_id, f"row for {doc_id}, but the folder has no file {doc_id}.txt or .html", "row ignored"))
            continue
        scope = row.get("scope", "")
        if scope and scope not in schema.SCOPES:
            problems.append(InputProblem(name, line, doc_id, f"scope {scope!r} is not one of {', '.join(schema.SCOPES)}", "scope read from the text"))
            row["scope"] = ""
        street = row.get("street", "")
        if street and street not in gazetteer().streets:
            problems.append(InputProblem(name, line, doc_id, f"street {street!r} is not a street of places.csv", "street read from the text"))
            row["street"] = ""
        usable[doc_id] = {**row, "doc_id": doc_id}
    return usable, problems


def read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    """The usable curated metadata rows of a corpus folder, keyed by doc_id (empty if there is no manifest)."""
    return check_manifest(folder)[0]
