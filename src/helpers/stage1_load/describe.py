"""Describing the documents after cleaning: metadata the cleaning moved out, genre, place, year, copies (reposts
counted once) and the input problems the report lists; documents.csv is built here."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass

import pandas as pd

from helpers.base import engine, schema
from helpers.base.chinese import HAN_CHAR, MIN_HEADINGS, SPEAKER_HEADING, heading_of, speaker_headings
from helpers.stage1_load import pages
from helpers.stage1_load.corpus import Corpus, RawDocument
from helpers.stage1_load.inputs import (
    HTML_SUFFIXES,
    INPUT_PROBLEM_COLUMNS,
    MANIFEST_FIELDS,
    InputProblem,
)
from helpers.stage1_load.places import gazetteer

DATE = re.compile(r"((?:19|20)\d{2})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})\s*日?")
OUTLET_FROM_CREDIT = re.compile(r"^(.{2,10}?)(记者|通讯员)")
# A Simplified text has almost no characters OpenCC changes (0% in the four Simplified seeds); a Traditional
# text has a third (004: 34%). 5% calls a text Traditional and leaves room for a Simplified text quoting variants.
TRADITIONAL_SHARE = 0.05


def infer_genre(text: str, title: str = "") -> str:
    """A genre (schema.GENRES) for a document without a manifest row, from its title and opening."""
    head = text[:300]
    if re.search(r"工作报告|工作总结|述职报告", title + head[:60]):
        return schema.WORK_REPORT
    opens_as_speech = re.match(r"\s*(同志们|各位(领导|同志|代表))", head) or re.search(r"(讲话|发言)$", title)
    if SPEAKER_HEADING.match(title) or speaker_headings(text) >= MIN_HEADINGS or opens_as_speech:
        return schema.SPEECH
    if re.search(r"(记者|通讯员|讯[（(]|日电|报道)", head) or text.lstrip().startswith(("昨日", "近日", "日前")):
        return schema.NEWS
    return schema.ARTICLE


def iso_date(text: str) -> str:
    """The first date in text as YYYY-MM-DD, or ''."""
    m = DATE.search(text)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""


# Reasons of removed lines whose text documents.csv reads back as metadata.
MOVED_REASONS = (schema.REASON_TITLE, schema.REASON_CREDIT, schema.REASON_PUBLICATION)


@dataclass(frozen=True)
class CleaningFacts:
    """What describing a document reads from its cleaning log: a few numbers and lines instead of every edit, so the
    log (hundreds of rows per document) can be written out and dropped as it is made."""

    edits: int
    net_removed: int  # characters removed net of characters added
    simplified: int  # characters Traditional→Simplified replaced
    moved: tuple[tuple[str, str], ...]  # (reason, stripped line) of each line moved to metadata, in log order
    page_reason: str  # the reason of the edit that replaced a saved web page by its article ('' if none)
    web_page_step: bool  # whether the web-page step changed anything (a page, or stray tags and entities)

    @classmethod
    def from_log(cls, log: list[dict]) -> CleaningFacts:
        """The facts of one document's log rows (cleaning.clean_text)."""
        # the page's own edit, not an entity decoded in a plain text (&amp; → &: also "replaced", by one character)
        replaced = [r for r in log if r["step"] == schema.STEP_WEB_PAGE and r["reason"].startswith(schema.REASON_WEB_PAGE)]
        return cls(
            edits=len(log),
            net_removed=sum(r["chars_removed"] - r["chars_added"] for r in log),
            simplified=sum(r["chars_removed"] for r in log if r["step"] == schema.STEP_SIMPLIFIED),
            moved=tuple((r["reason"], r["before"].strip()) for r in log if r["reason"] in MOVED_REASONS),
            page_reason=replaced[0]["reason"] if replaced else "",
            web_page_step=any(r["step"] == schema.STEP_WEB_PAGE for r in log),
        )


def facts_of(log: list[dict] | CleaningFacts) -> CleaningFacts:
    """A document's cleaning facts, from its log rows or as already reduced."""
    return log if isinstance(log, CleaningFacts) else CleaningFacts.from_log(log)


def infer_metadata(raw: str, clean: str, log: list[dict] | CleaningFacts) -> dict[str, str]:
    """Metadata read off a document itself: title lines, credits, dates and sources the cleaning moved out, and for a
    saved web page the title, date and source printed around its article (pages.extract_page)."""
    facts = facts_of(log)

    def moved(reason: str) -> list[str]:
        return [line for kind, line in facts.moved if kind == reason]

    titles, credits, meta = moved(schema.REASON_TITLE), moved(schema.REASON_CREDIT), moved(schema.REASON_PUBLICATION)
    han = len(HAN_CHAR.findall(raw))
    converted = facts.simplified
    sources = [m.group(1) for line in meta for m in [pages.SOURCE.search(line)] if m]
    outlets = [m.group(1).strip() for line in credits for m in [OUTLET_FROM_CREDIT.match(line)] if m]
    title = " — ".join(t.lstrip("#").strip() for t in titles)
    date = iso_date(" ".join(meta))
    if facts.page_reason:
        page = pages.extract_page(raw)  # the page's own title, date and source come before what its article repeats
        title, date = page.title.lstrip("#").strip() or title, page.date or date
        sources = [page.source] if page.source else sources
    return {
        "title": title,
        "outlet": "; ".join(dict.fromkeys(sources + outlets)),
        "credits": "; ".join(credits),
        "date": date or iso_date(raw[:400]),
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
# Why this and not MinHash (datasketch): a repost is the same article inside new page furniture (a site header, a
# footer, an editor's credit), so the question is how much of the smaller text the other contains, not the Jaccard
# similarity of the two, which the added furniture lowers. A content-defined sample of shingles answers it exactly for
# the sampled shingles, deterministically (crc32, no random permutations), and an inverted index over the samples
# keeps the cost near linear in the corpus, which is what MinHash-LSH would have bought.
SHINGLE = 12  # characters per shingle: long enough that shared shingles mean shared sentences
SAMPLE_EVERY = 8  # keep the shingles whose hash is 0 mod 8: a fixed, content-defined sample (no pairwise scan)
COMMON_SHINGLE = 50  # a sampled shingle in more texts than this is boilerplate, not evidence of copying
MIN_SAMPLED = 5  # a text with fewer sampled shingles (under ~100 characters) is too short to call a copy
# The smaller text's sampled shingles found in the other: at least this share is a copy (a repost, an excerpt).
# Measured (tests/test_copies.py): a repost of seed 003 re-wrapped, in a web page's header and footer, with an editor
# credit and converted to Traditional script keeps 0.9+ of them after cleaning (the Traditional→Simplified round trip
# changes a few characters, each breaking the 12 shingles across it); two different reports of one meeting (seeds 000
# and 001) share quotes and figures yet under 0.05, so 0.8 sits far from both.
COPY_SHARE = 0.8


@dataclass(frozen=True)
class Copy:
    """A document that copies another: the one kept, and the share of the copy's sampled shingles found in it."""

    original: str
    similarity: float


def fingerprint(text: str) -> frozenset[int]:
    """A content-defined sample of a text's character shingles, punctuation and spaces ignored."""
    core = re.sub(r"[^\w]", "", text)
    hashes = (zlib.crc32(core[i : i + SHINGLE].encode("utf-8")) for i in range(max(len(core) - SHINGLE + 1, 0)))
    return frozenset(h for h in hashes if h % SAMPLE_EVERY == 0)


def find_copies(texts: dict[str, str], order: list[str] | None = None) -> dict[str, Copy]:
    """doc_id -> Copy: the same text (after cleaning and Traditional→Simplified) or most of it, as another.

    Documents are taken in `order` (the one to keep first; default: name order) and each is compared only with the
    documents kept before it that share sampled shingles (an inverted index), so the cost grows with the corpus,
    not with its square."""
    index: dict[int, list[str]] = defaultdict(list)
    # one fingerprint per text through the engine: both cores, and kept in build/cache (about 1.5 s at 1,000 documents)
    prints = dict(zip(texts, engine.map_documents(fingerprint, list(texts.values()), stage="copy fingerprints")))
    exact: dict[str, str] = {}
    copies: dict[str, Copy] = {}
    for doc_id in order if order is not None else sorted(texts):
        digest = hashlib.sha256(re.sub(r"[^\w]", "", texts[doc_id]).encode("utf-8")).hexdigest()
        if digest in exact:
            copies[doc_id] = Copy(exact[digest], 1.0)
            continue
        exact[digest] = doc_id
        mine = prints[doc_id]
        shared: Counter[str] = Counter()
        for h in mine:
            holders = index.get(h)
            if holders and len(holders) <= COMMON_SHINGLE:
                shared.update(holders)  # counted in C, a list at a time (the pairs run to millions in a large corpus)
        for other, n in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0])):
            smaller = min(len(mine), len(prints[other]))
            if smaller >= MIN_SAMPLED and n / smaller >= COPY_SHARE:
                copies[doc_id] = Copy(other, round(n / smaller, 3))
                break
        if doc_id not in copies:
            for h in mine:
                index[h].append(doc_id)
    return copies


def keep_order(rows: list[dict]) -> list[str]:
    """Which of two copies is kept: the one with a manifest row, then the earlier date, then the earlier file name."""

    def key(row: dict) -> tuple[int, str, str]:
        date = iso_date(row["date"]) or (year_of(row["date"]) + "-99-99" if year_of(row["date"]) else "9999")
        return (row["metadata_source"] != "manifest", date, row["doc_id"])

    return [row["doc_id"] for row in sorted(rows, key=key)]


def kept_because(copy: dict, original: dict) -> str:
    """Why the original, not the copy, is the one counted (documents.csv `duplicate_note`)."""
    if original["metadata_source"] == "manifest" and copy["metadata_source"] != "manifest":
        reason = "it has the manifest row"
    elif keep_order([copy, original])[0] == original["doc_id"] and iso_date(original["date"]) != iso_date(copy["date"]):
        reason = f"it is dated earlier ({original['date'] or '?'} vs {copy['date'] or 'no date'})"
    else:
        reason = "its file name comes first"
    return f"{original['doc_id']} kept: {reason}"


def input_notes(doc: RawDocument, log: list[dict] | CleaningFacts) -> list[tuple[str, str]]:
    """(what was unusual about a file's form, what cleaning did about it): documents.csv `input_notes`."""
    notes, facts = [], facts_of(log)
    if facts.page_reason:
        kind = "saved web page" if doc.path.suffix.lower() in HTML_SUFFIXES else f"web page saved as {doc.path.suffix or 'a file'}"
        notes.append((kind, facts.page_reason.removeprefix(schema.REASON_WEB_PAGE)))
    elif facts.web_page_step:
        notes.append(("HTML tags or entities in the text", "removed or decoded by cleaning"))
    crlf = doc.text.count("\r\n")
    if crlf:
        notes.append((f"Windows line ends (CRLF, {crlf:,} lines)", "turned into LF by cleaning"))
    elif "\r" in doc.text:
        notes.append(("old Mac line ends (CR)", "turned into LF by cleaning"))
    return notes


# What describing reads of the cleaning: doc_id -> (clean text, its log rows or their CleaningFacts).
Cleaned = dict[str, tuple[str, list[dict] | CleaningFacts]]


def input_problems(corpus: Corpus, cleaned: Cleaned, documents: pd.DataFrame, manifest_problems: list[InputProblem]) -> pd.DataFrame:
    """input_problems.csv: each manifest problem, rejected file, copy and unusual file form in one line (`text`)."""
    rows = list(manifest_problems)
    docs = documents.set_index("doc_id")
    for bad in corpus.rejected:
        rows.append(InputProblem(bad.file, 0, bad.file.rsplit(".", 1)[0], f"not read: {bad.reason}", "left out"))
    for doc in corpus.documents:
        row = docs.loc[doc.doc_id]
        if row["duplicate_of"]:
            shared = f"{float(row['duplicate_similarity']):.0%} of the smaller text's sampled shingles shared"
            rows.append(InputProblem(doc.path.name, 0, doc.doc_id, f"copy of {row['duplicate_of']} ({shared})", f"counted once: {row['duplicate_note']}"))
        rows += [InputProblem(doc.path.name, 0, doc.doc_id, problem, action) for problem, action in input_notes(doc, cleaned[doc.doc_id][1])]
    frame = pd.DataFrame([{c: getattr(p, c) for c in INPUT_PROBLEM_COLUMNS} for p in rows], columns=INPUT_PROBLEM_COLUMNS)
    return frame.assign(text=[p.text() for p in rows])


def describe_documents(corpus: Corpus, cleaned: Cleaned, manifest: dict[str, dict[str, str]]) -> pd.DataFrame:
    """documents.csv: manifest metadata where curated, inferred otherwise, gaps named; place, year, copies, rejects."""
    rows = []
    for doc in corpus.documents:
        clean, log = cleaned[doc.doc_id][0], facts_of(cleaned[doc.doc_id][1])
        inferred = infer_metadata(doc.text, clean, log)
        curated = manifest.get(doc.doc_id, {})
        row = {"doc_id": doc.doc_id, "file": doc.path.name, "encoding": doc.encoding, "rejected": False, "reason": ""}
        for field_name in MANIFEST_FIELDS[1:]:
            row[field_name] = curated.get(field_name) or inferred[field_name]
        row["genre"] = schema.normalise_genre(row["genre"]) or inferred["genre"]
        row.update(place_of(inferred["title"] or row["title"], clean, curated))
        row["year"] = year_of(row["date"])
        row["metadata_source"] = "manifest" if curated else "inferred from text"
        row["input_notes"] = "; ".join(f"{problem} → {action}" for problem, action in input_notes(doc, log))
        row["missing_metadata"] = ", ".join(f for f in ("title", "outlet", "date", "credits") if not row[f])
        row.update(
            {
                "raw_bytes": doc.n_bytes,
                "raw_chars": len(doc.text),
                "clean_chars": len(clean),
                "edits": log.edits,
                "chars_removed": log.net_removed,
            }
        )
        rows.append(row)
    copies = find_copies({doc_id: clean for doc_id, (clean, _) in cleaned.items()}, keep_order(rows))
    by_id = {row["doc_id"]: row for row in rows}
    for row in rows:
        copy = copies.get(row["doc_id"])
        if copy:
            row["duplicate_of"], row["duplicate_similarity"] = copy.original, copy.similarity
            row["duplicate_note"] = kept_because(row, by_id[copy.original])
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
        "duplicate_similarity",
        "duplicate_note",
        "metadata_source",
        "missing_metadata",
        "input_notes",
        "raw_bytes",
        "raw_chars",
        "clean_chars",
        "edits",
        "chars_removed",
    ]
    frame = frame.reindex(columns=columns)
    numbers = ("rejected", "duplicate_similarity", "raw_bytes", "raw_chars", "clean_chars", "edits", "chars_removed")
    text_columns = [c for c in columns if c not in numbers]
    frame[text_columns] = frame[text_columns].astype(object).fillna("")
    frame = frame.astype({"rejected": bool})  # an empty corpus still has a boolean column to filter on
    return frame.sort_values("doc_id", kind="stable").reset_index(drop=True)
