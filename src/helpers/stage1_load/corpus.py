"""Finding, decoding and describing the corpus files: strict decoding, clear rejections, a manifest."""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import charset_normalizer
import pandas as pd

from helpers.base import schema
from helpers.base.chinese import HAN_CHAR, cjk_share, plausible_char
from helpers.stage1_load.places import gazetteer
from helpers.stage1_load.segmentation import heading_of, infer_genre

MANIFEST_NAME = "manifest.csv"
MANIFEST_FIELDS = ["doc_id", "title", "outlet", "credits", "date", "genre", "script", "street", "notes"]
# Columns a manifest may add: the district a document belongs to, and its scope (schema.SCOPES) when the text
# cannot tell (an anonymised speech known to be from the study area, say).
MANIFEST_OPTIONAL = ["district", "scope"]
TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
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


def corpus_files(folder: Path) -> list[Path]:
    """The .txt and saved .html files of a corpus folder in a stable (name) order."""
    if not folder.is_dir():
        raise FileNotFoundError(f"corpus folder {folder} does not exist")
    suffixes = TEXT_SUFFIXES + HTML_SUFFIXES
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in suffixes and p.is_file()), key=lambda p: p.name)


class _TextOfPage(HTMLParser):
    """The visible text of a saved web page: the <title> first, one line per block element, scripts dropped."""

    BLOCKS = {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "table",
        "ul",
        "ol",
        "blockquote",
        "figcaption",
        "title",
    }
    HIDDEN = {"script", "style", "noscript", "template", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.hidden = 0
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.in_title = self.in_title or tag == "title"
        self.hidden += tag in self.HIDDEN and tag != "head"
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in self.HIDDEN and tag != "head":
            self.hidden = max(self.hidden - 1, 0)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.hidden:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The text of a saved web page (title line first), with blank lines between blocks collapsed."""
    parser = _TextOfPage()
    parser.feed(markup)
    parser.close()
    body = re.sub(r"[ \t\u00a0]*\n[\s]*\n+", "\n\n", "".join(parser.parts))
    title = " ".join("".join(parser.title).split())
    return ((title + "\n\n") if title else "") + body.strip() + "\n"


def load_corpus(folder: Path) -> Corpus:
    """Read every .txt and .html file; undecodable ones are listed as rejected, never half-read."""
    corpus = Corpus()
    for path in corpus_files(folder):
        data = path.read_bytes()
        try:
            text, encoding = decode_bytes(data)
            if path.suffix.lower() in HTML_SUFFIXES:
                text = html_text(text)
                if not text.strip():
                    raise DecodeError("web page with no visible text")
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
    for row in rows:
        scope = (row.get("scope") or "").strip()
        if scope and scope not in schema.SCOPES:
            raise ValueError(f"{path}: row {row['doc_id']} has scope {scope!r}; expected one of {', '.join(schema.SCOPES)}")
    return {row["doc_id"]: {k: (v or "").strip() for k, v in row.items() if k} for row in rows}


DATE = re.compile(r"((?:19|20)\d{2})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})\s*日?")
SOURCE = re.compile(r"来源[:：]\s*([^\s]+)")
OUTLET_FROM_CREDIT = re.compile(r"^(.{2,10}?)(记者|通讯员)")
# A Simplified text has almost no characters OpenCC changes (0% in the four Simplified seeds); a Traditional
# text has a third (004: 34%). 5% calls a text Traditional and leaves room for a Simplified text quoting variants.
TRADITIONAL_SHARE = 0.05


def iso_date(text: str) -> str:
    """The first date in text as YYYY-MM-DD, or ''."""
    m = DATE.search(text)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""


def infer_metadata(raw: str, clean: str, log: list[dict]) -> dict[str, str]:
    """Metadata read off a document itself: title lines, credits, dates and sources the cleaning moved out."""

    def moved(reason: str) -> list[str]:
        return [r["before"].strip() for r in log if r["reason"] == reason]

    titles, credits, meta = moved("title → metadata"), moved("credit"), moved("publication metadata")
    han = sum("\u4e00" <= c <= "\u9fff" for c in raw)
    converted = sum(r["chars_removed"] for r in log if r["step"] == "simplified")
    sources = [m.group(1) for line in meta for m in [SOURCE.search(line)] if m]
    outlets = [m.group(1).strip() for line in credits for m in [OUTLET_FROM_CREDIT.match(line)] if m]
    title = " — ".join(t.lstrip("#").strip() for t in titles)
    return {
        "title": title,
        "outlet": "; ".join(dict.fromkeys(sources + outlets)),
        "credits": "; ".join(credits),
        "date": iso_date(" ".join(meta)) or iso_date(raw[:400]),
        "genre": infer_genre(clean, title),
        "script": "Traditional" if converted > TRADITIONAL_SHARE * max(han, 1) else "Simplified",
        "street": "",
        "notes": "",
    }


def year_of(date: str) -> str:
    """The first four-digit year of a date field ('2019 (meeting reported as 昨日…)' → '2019'), else ''."""
    m = re.search(r"(?:19|20)\d{2}", date or "")
    return m.group(0) if m else ""


def place_of(title: str, clean: str, curated: dict[str, str]) -> dict[str, str]:
    """scope, district, street and how they were decided: the manifest first, then the places the text names."""
    found = gazetteer().attribute(title + "\n" + clean)
    unit = heading_of(title, clean)[0]
    heading = gazetteer().heading_place(unit) if unit else None
    if heading is not None:  # one speech under its speaker's heading: the speaker's unit decides
        found = heading
    street = curated.get("street", "")
    if street:
        if street not in gazetteer().streets:
            raise ValueError(f"manifest row {curated.get('doc_id')}: street {street!r} is not a street of places.csv")
        return {"scope": schema.IN_AREA, "district": gazetteer().study_district, "street": street, "attribution": "manifest"}
    scope = curated.get("scope") or found.scope
    district = curated.get("district") or (found.district if scope == found.scope else "")
    if scope == schema.IN_AREA and not district:
        district = gazetteer().study_district
    how = "manifest" if curated.get("scope") or curated.get("district") else found.how
    return {"scope": scope, "district": district, "street": found.street if scope == schema.IN_AREA else "", "attribution": how}


# ---------------------------------------------------------------- copies of one text (reposts, re-prints)
SHINGLE = 12  # characters per shingle: long enough that shared shingles mean shared sentences
SAMPLE_EVERY = 8  # keep the shingles whose hash is 0 mod 8: a fixed, content-defined sample (no pairwise scan)
COMMON_SHINGLE = 50  # a sampled shingle in more texts than this is boilerplate, not evidence of copying
COPY_SHARE = 0.8  # the smaller text's sampled shingles found in the other: a copy (a repost, an excerpt)


def fingerprint(text: str) -> frozenset[int]:
    """A content-defined sample of a text's character shingles, punctuation and spaces ignored."""
    core = re.sub(r"[^\w]", "", text)
    hashes = (zlib.crc32(core[i : i + SHINGLE].encode("utf-8")) for i in range(max(len(core) - SHINGLE + 1, 0)))
    return frozenset(h for h in hashes if h % SAMPLE_EVERY == 0)


def find_copies(texts: dict[str, str]) -> dict[str, str]:
    """doc_id -> the doc_id it copies: the same text (after cleaning and Traditional→Simplified) or most of it.

    Each text is compared only with earlier texts sharing sampled shingles (an inverted index), so the cost grows
    with the corpus, not with its square. The earlier document in name order is kept as the original."""
    index: dict[int, list[str]] = defaultdict(list)
    prints = {doc_id: fingerprint(text) for doc_id, text in texts.items()}
    exact: dict[str, str] = {}
    copies: dict[str, str] = {}
    for doc_id in sorted(texts):
        digest = hashlib.sha256(re.sub(r"[^\w]", "", texts[doc_id]).encode("utf-8")).hexdigest()
        if digest in exact:
            copies[doc_id] = exact[digest]
            continue
        exact[digest] = doc_id
        mine = prints[doc_id]
        shared = Counter(other for h in mine for other in index.get(h, ()) if len(index[h]) <= COMMON_SHINGLE)
        for other, n in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0])):
            smaller = min(len(mine), len(prints[other]))
            if smaller >= 5 and n / smaller >= COPY_SHARE:
                copies[doc_id] = copies.get(other, other)
                break
        if doc_id not in copies:
            for h in mine:
                index[h].append(doc_id)
    return copies


def describe_documents(corpus: Corpus, cleaned: dict[str, tuple[str, list[dict]]], manifest: dict[str, dict[str, str]]) -> pd.DataFrame:
    """documents.csv: manifest metadata where curated, inferred otherwise, gaps named; place, year, copies, rejects."""
    copies = find_copies({doc_id: clean for doc_id, (clean, _) in cleaned.items()})
    rows = []
    for doc in corpus.documents:
        clean, log = cleaned[doc.doc_id]
        inferred = infer_metadata(doc.text, clean, log)
        curated = manifest.get(doc.doc_id, {})
        row = {"doc_id": doc.doc_id, "file": doc.path.name, "encoding": doc.encoding, "rejected": False, "reason": ""}
        for field_name in MANIFEST_FIELDS[1:]:
            row[field_name] = curated.get(field_name) or inferred[field_name]
        row["genre"] = schema.normalise_genre(row["genre"]) or inferred["genre"]
        row.update(place_of(inferred["title"] or row["title"], clean, curated))
        row["year"] = year_of(row["date"])
        row["duplicate_of"] = copies.get(doc.doc_id, "")
        row["metadata_source"] = "manifest" if curated else "inferred from text"
        row["missing_metadata"] = ", ".join(f for f in ("title", "outlet", "date", "credits") if not row[f])
        row.update(
            {
                "raw_bytes": doc.n_bytes,
                "raw_chars": len(doc.text),
                "clean_chars": len(clean),
                "edits": len(log),
                "chars_removed": sum(r["chars_removed"] - r["chars_added"] for r in log),
            }
        )
        rows.append(row)
    for bad in corpus.rejected:
        rows.append(
            {
                "doc_id": bad.file.rsplit(".", 1)[0],
                "file": bad.file,
                "encoding": "",
                "rejected": True,
                "reason": bad.reason,
                "duplicate_of": "",
                "metadata_source": "",
                "missing_metadata": "all",
            }
        )
    frame = pd.DataFrame(rows)
    columns = [
        "doc_id",
        "file",
        "encoding",
        "rejected",
        "reason",
        *MANIFEST_FIELDS[1:],
        "scope",
        "district",
        "attribution",
        "year",
        "duplicate_of",
        "metadata_source",
        "missing_metadata",
        "raw_bytes",
        "raw_chars",
        "clean_chars",
        "edits",
        "chars_removed",
    ]
    frame = frame.reindex(columns=columns)
    text_columns = [c for c in columns if c not in ("rejected", "raw_bytes", "raw_chars", "clean_chars", "edits", "chars_removed")]
    frame[text_columns] = frame[text_columns].fillna("")
    frame = frame.astype({"rejected": bool})  # an empty corpus still has a boolean column to filter on
    return frame.sort_values("doc_id", kind="stable").reset_index(drop=True)
