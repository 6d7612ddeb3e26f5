"""Finding, decoding and describing the corpus files: strict decoding, clear rejections, a manifest."""
from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer

MANIFEST_NAME = "manifest.csv"
MANIFEST_FIELDS = ["doc_id", "title", "outlet", "credits", "date", "genre", "script", "street", "notes"]
# Encodings a Chinese text file plausibly comes in; detection is restricted to these so that
# a GBK file is never "detected" as, say, Korean cp949 and decoded into nonsense without an error.
CANDIDATE_ENCODINGS = ["gb18030", "big5", "utf_16_le", "utf_16_be"]
MIN_CJK_SHARE = 0.2


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


def cjk_share(text: str) -> float:
    """Share of non-space characters that are CJK ideographs."""
    chars = [c for c in text if not c.isspace()]
    return sum("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in chars) / max(len(chars), 1)


def chinese_plausibility(text: str) -> float:
    """Share of ideographs that are common Chinese characters: high for real text, low for a wrong decoding."""
    from .cleaning import plausible_char

    han = [c for c in text if "\u3400" <= c <= "\u9fff"]
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
        if cjk_share(text) >= 0.3 and chinese_plausibility(text) >= 0.8 and not re.search("[\x00-\x08\x0e-\x1f]", text):
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
    if cjk_share(text) < MIN_CJK_SHARE or chinese_plausibility(text) < 0.6:
        raise DecodeError(f"not decodable as Chinese text (best guess {best.encoding} gives {cjk_share(text):.0%} "
                          f"ideographs, {chinese_plausibility(text):.0%} of them common)")
    return text, best.encoding


def corpus_files(folder: Path) -> list[Path]:
    """The .txt files of a corpus folder in a stable (name) order."""
    if not folder.is_dir():
        raise FileNotFoundError(f"corpus folder {folder} does not exist")
    return sorted((p for p in folder.iterdir() if p.suffix.lower() == ".txt" and p.is_file()), key=lambda p: p.name)


def load_corpus(folder: Path) -> Corpus:
    """Read every .txt file; undecodable ones are listed as rejected, never half-read."""
    corpus = Corpus()
    for path in corpus_files(folder):
        data = path.read_bytes()
        try:
            text, encoding = decode_bytes(data)
        except DecodeError as exc:
            corpus.rejected.append(Rejected(path.name, str(exc)))
            continue
        corpus.documents.append(RawDocument(path.stem, path, text, encoding, len(data)))
    return corpus


def read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    """The curated metadata rows of a corpus folder, keyed by doc_id (empty if there is no manifest)."""
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = [f for f in MANIFEST_FIELDS if rows and f not in rows[0]]
    if missing:
        raise ValueError(f"{path}: manifest lacks the columns {missing}")
    return {row["doc_id"]: {k: (v or "").strip() for k, v in row.items()} for row in rows}


DATE = re.compile(r"((?:19|20)\d{2})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})\s*日?")
SOURCE = re.compile(r"来源[:：]\s*([^\s]+)")
OUTLET_FROM_CREDIT = re.compile(r"^(.{2,10}?)(记者|通讯员)")
TRADITIONAL_SHARE = 0.05


def iso_date(text: str) -> str:
    """The first date in text as YYYY-MM-DD, or ''."""
    m = DATE.search(text)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""


def infer_metadata(raw: str, clean: str, log: list[dict]) -> dict[str, str]:
    """Metadata read off a document itself: title lines, credits, dates and sources the cleaning moved out."""
    from .segmentation import dominant_street, infer_genre

    def moved(reason: str) -> list[str]:
        return [r["before"].strip() for r in log if r["reason"] == reason]

    titles, credits, meta = moved("title → metadata"), moved("credit"), moved("publication metadata")
    han = sum("\u4e00" <= c <= "\u9fff" for c in raw)
    converted = sum(r["chars_removed"] for r in log if r["step"] == "simplified")
    sources = [m.group(1) for line in meta for m in [SOURCE.search(line)] if m]
    outlets = [m.group(1).strip() for line in credits for m in [OUTLET_FROM_CREDIT.match(line)] if m]
    return {
        "title": " — ".join(t.lstrip("#").strip() for t in titles),
        "outlet": "; ".join(dict.fromkeys(sources + outlets)),
        "credits": "; ".join(credits),
        "date": iso_date(" ".join(meta)) or iso_date(raw[:400]),
        "genre": infer_genre(clean),
        "script": "Traditional" if converted > TRADITIONAL_SHARE * max(han, 1) else "Simplified",
        "street": dominant_street(" ".join(titles) + "\n" + clean),
        "notes": "",
    }


def describe_documents(corpus: Corpus, cleaned: dict[str, tuple[str, list[dict]]],
                       manifest: dict[str, dict[str, str]]) -> "pd.DataFrame":
    """documents.csv: manifest metadata where curated, inferred metadata otherwise, gaps named; rejected files too."""
    import pandas as pd

    rows = []
    for doc in corpus.documents:
        clean, log = cleaned[doc.doc_id]
        inferred = infer_metadata(doc.text, clean, log)
        curated = manifest.get(doc.doc_id, {})
        row = {"doc_id": doc.doc_id, "file": doc.path.name, "encoding": doc.encoding, "rejected": False, "reason": ""}
        for field_name in MANIFEST_FIELDS[1:]:
            row[field_name] = curated.get(field_name) or inferred[field_name]
        row["metadata_source"] = "manifest" if curated else "inferred from text"
        row["missing_metadata"] = ", ".join(f for f in ("title", "outlet", "date", "credits") if not row[f])
        row.update({"raw_bytes": doc.n_bytes, "raw_chars": len(doc.text), "clean_chars": len(clean),
                    "edits": len(log), "chars_removed": sum(r["chars_removed"] - r["chars_added"] for r in log)})
        rows.append(row)
    for bad in corpus.rejected:
        rows.append({"doc_id": bad.file.rsplit(".", 1)[0], "file": bad.file, "encoding": "", "rejected": True,
                     "reason": bad.reason, "metadata_source": "", "missing_metadata": "all"})
    frame = pd.DataFrame(rows)
    columns = ["doc_id", "file", "encoding", "rejected", "reason", *MANIFEST_FIELDS[1:], "metadata_source",
               "missing_metadata", "raw_bytes", "raw_chars", "clean_chars", "edits", "chars_removed"]
    return frame.reindex(columns=columns).sort_values("doc_id", kind="stable").reset_index(drop=True)
