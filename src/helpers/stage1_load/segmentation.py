"""Analysis units: documents split into segments (speeches or paragraphs), each with its scope, street and genre.

Attribution follows one order (see places.py): manifest override, speaker heading, explicit street names,
community names. A document about one street gives it to every paragraph; a district-wide document gives a
paragraph the one street it names (attribution 'mention') or whose communities it names ('community').
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.base import schema
from helpers.base.chinese import MIN_HEADINGS, SPEAKER_HEADING, heading_of, is_heading_like, speaker_headings
from helpers.stage1_load.places import Attribution, gazetteer

SEGMENT_COLUMNS = ["doc_id", "segment_id", "street", "district", "scope", "attribution", "genre", "year", "speaker", "role", "text", "n_chars"]


@dataclass(frozen=True)
class Segment:
    """One analysis unit of a document."""

    doc_id: str
    segment_id: str
    street: str
    district: str
    scope: str
    attribution: str
    genre: str
    speaker: str
    role: str
    text: str

    @property
    def n_chars(self) -> int:
        """Characters other than white space."""
        return sum(not c.isspace() for c in self.text)


def paragraphs(text: str) -> list[str]:
    """Paragraphs of a clean text, short headings glued to the paragraph they introduce."""
    out, pending = [], []
    for block in (b.strip() for b in text.split("\n")):
        if not block:
            continue
        if is_heading_like(block) and len(block) <= 30:
            pending.append(block)
            continue
        out.append("\n".join(pending + [block]))
        pending = []
    if pending:
        out.append("\n".join(pending))
    return out


def speech_segments(doc_id: str, text: str, place: Attribution) -> list[Segment]:
    """Split a run of speeches at the 'X街道党工委书记 Name' headings; the text before the first is a news lead."""
    segments, current, lines = [], None, []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if not body:
            return
        segment_id = f"{doc_id}-{len(segments) + 1:02d}"
        if current is None:
            segments.append(Segment(doc_id, segment_id, place.street, place.district, place.scope, place.how, schema.NEWS, "", "", body))
            return
        unit = current.group("unit")
        manifest = place.how == "manifest" and place.street
        own = place if manifest else (gazetteer().heading_place(unit) or place)
        segments.append(
            Segment(doc_id, segment_id, own.street, own.district, own.scope, own.how, schema.SPEECH, current.group("name"), unit + current.group("role"), body)
        )

    for line in text.split("\n"):
        heading = SPEAKER_HEADING.match(line)
        if heading:
            flush()
            current, lines = heading, []
        else:
            lines.append(line)
    flush()
    return segments


def segment_document(doc_id: str, text: str, genre: str, place: Attribution, title: str = "") -> list[Segment]:
    """Speeches by heading; other documents by paragraph, attributed to the document's street or, in a
    district-wide document, to the one street a paragraph names ('mention') or whose communities it names.
    A lone speech under its heading (in the title or first line) keeps its speaker."""
    if speaker_headings(text) >= MIN_HEADINGS:
        return speech_segments(doc_id, text, place)
    unit, role, speaker = heading_of(title, text) if genre == schema.SPEECH else ("", "", "")
    segments = []
    for n, para in enumerate(paragraphs(text), start=1):
        street, how = place.street, place.how
        if not street and place.scope == schema.IN_AREA:
            street, how = gazetteer().paragraph_street(para)
        segments.append(Segment(doc_id, f"{doc_id}-{n:02d}", street, place.district, place.scope, how, genre, speaker, unit + role, para))
    return segments


def segment_corpus(documents: pd.DataFrame, clean_texts: dict[str, str]) -> pd.DataFrame:
    """segments.csv: every accepted document that is not a copy of another, split into segments in document order."""
    rows = []
    usable = documents[~documents["rejected"].astype(bool) & (documents["duplicate_of"].fillna("") == "")]
    for doc in usable.itertuples():
        place = Attribution(doc.scope, doc.district, doc.street, doc.attribution)
        for seg in segment_document(doc.doc_id, clean_texts[doc.doc_id], doc.genre, place, doc.title):
            rows.append(
                {
                    "doc_id": seg.doc_id,
                    "segment_id": seg.segment_id,
                    "street": seg.street,
                    "district": seg.district,
                    "scope": seg.scope,
                    "attribution": seg.attribution,
                    "genre": seg.genre,
                    "year": doc.year,
                    "speaker": seg.speaker,
                    "role": seg.role,
                    "text": seg.text,
                    "n_chars": seg.n_chars,
                }
            )
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
