"""Analysis units: documents split into segments (speeches or paragraphs) with street and genre."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .cleaning import SPEAKER_HEADING, is_heading_like

LONGGANG_STREETS = ("平湖", "布吉", "吉华", "坂田", "南湾", "横岗", "园山", "龙岗", "龙城", "宝龙", "坪地")
STREET_ENGLISH = {"平湖": "Pinghu", "布吉": "Buji", "吉华": "Jihua", "坂田": "Bantian", "南湾": "Nanwan", "横岗": "Henggang",
                  "园山": "Yuanshan", "龙岗": "Longgang", "龙城": "Longcheng", "宝龙": "Baolong", "坪地": "Pingdi"}
OTHER_SHENZHEN_DISTRICTS = ("罗湖", "福田", "南山", "宝安", "龙华", "坪山", "光明", "盐田", "大鹏", "深汕")
# Only the full name "X街道" counts: bare 龙岗 is usually the district (龙岗区), and a street of the same
# name preceded by another district or city ("龙华区…", "常州市…区") is not a Longgang street.
STREET_MENTION = re.compile(rf"(?P<prefix>(?:[\u4e00-\u9fff]{{2,4}}市)?[\u4e00-\u9fff]{{2}}区)?(?P<street>{'|'.join(LONGGANG_STREETS)})街道")
DOMINANT_SHARE = 0.7
GENRE_LABELS = {"speech excerpt", "news lead", "news report", "feature", "signed article", "speech", "article"}


@dataclass(frozen=True)
class Segment:
    """One analysis unit of a document."""
    doc_id: str
    segment_id: str
    street: str
    attribution: str
    genre: str
    speaker: str
    role: str
    text: str

    @property
    def n_chars(self) -> int:
        """Characters other than white space."""
        return sum(not c.isspace() for c in self.text)


def street_mentions(text: str) -> list[str]:
    """Every Longgang street named as 'X街道', in order, leaving out same-named streets of other districts."""
    found = []
    for m in STREET_MENTION.finditer(text):
        prefix = m.group("prefix") or ""
        city = prefix.split("市")[0] if "市" in prefix else ""
        district = prefix[:-1][-2:]
        if (city and city != "深圳") or district in OTHER_SHENZHEN_DISTRICTS:
            continue
        found.append(m.group("street"))
    return found


def dominant_street(text: str) -> str:
    """The street a text is about: named at least twice and in most street mentions; else ''."""
    counts = Counter(street_mentions(text))
    if not counts:
        return ""
    street, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return street if n >= 2 and n / sum(counts.values()) >= DOMINANT_SHARE else ""


def single_street(text: str) -> str:
    """The one street a paragraph names, if it names exactly one; else ''."""
    streets = set(street_mentions(text))
    return streets.pop() if len(streets) == 1 else ""


def sentence_at(text: str, position: int) -> str:
    """The sentence (between 。！？；or line breaks) that contains position."""
    start = max(text.rfind(c, 0, position) for c in "。！？；\n") + 1
    ends = [i for i in (text.find(c, position) for c in "。！？；\n") if i >= 0]
    return text[start:(min(ends) + 1 if ends else len(text))].strip()


def infer_genre(text: str) -> str:
    """A genre guess for a document without a manifest row."""
    head = text[:300]
    if sum(bool(SPEAKER_HEADING.match(line)) for line in text.split("\n")) >= 2:
        return "speech excerpts"
    if re.match(r"\s*(同志们|各位(领导|同志|代表))", head):
        return "speech"
    if re.search(r"(记者|通讯员|讯[（(]|日电|报道)", head) or text.lstrip().startswith(("昨日", "近日", "日前")):
        return "news report"
    return "article"


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


def speech_segments(doc_id: str, text: str) -> list[Segment]:
    """Split a document of consecutive speeches at the 'X街道党工委书记 Name' headings."""
    segments, current, lines = [], None, []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if not body:
            return
        n = len(segments) + 1
        if current is None:
            segments.append(Segment(doc_id, f"{doc_id}-{n:02d}", "", "", "news lead", "", "", body))
        else:
            street = current.group("unit").removesuffix("街道") if current.group("unit").endswith("街道") else ""
            street = street if street in LONGGANG_STREETS else ""
            segments.append(Segment(doc_id, f"{doc_id}-{n:02d}", street, "speaker" if street else "", "speech excerpt",
                                    current.group("name"), current.group("unit") + current.group("role"), body))

    for line in text.split("\n"):
        heading = SPEAKER_HEADING.match(line)
        if heading:
            flush()
            current, lines = heading, []
        else:
            lines.append(line)
    flush()
    return segments


def segment_document(doc_id: str, text: str, genre: str, street: str) -> list[Segment]:
    """Speeches by heading; other documents by paragraph, attributed to the document's street or,
    in a document about no single street, to the one street a paragraph names (attribution 'mention')."""
    if sum(bool(SPEAKER_HEADING.match(line)) for line in text.split("\n")) >= 2:
        return speech_segments(doc_id, text)
    segments = []
    for n, para in enumerate(paragraphs(text), start=1):
        if street:
            seg_street, attribution = street, "document"
        else:
            seg_street = single_street(para)
            attribution = "mention" if seg_street else ""
        segments.append(Segment(doc_id, f"{doc_id}-{n:02d}", seg_street, attribution, genre, "", "", para))
    return segments


def segment_corpus(documents: "pd.DataFrame", clean_texts: dict[str, str]) -> "pd.DataFrame":
    """segments.csv: every accepted document split into segments, in document order."""
    import pandas as pd

    rows = []
    for doc in documents[~documents["rejected"]].itertuples():
        for seg in segment_document(doc.doc_id, clean_texts[doc.doc_id], doc.genre, doc.street):
            rows.append({"doc_id": seg.doc_id, "segment_id": seg.segment_id, "street": seg.street,
                         "attribution": seg.attribution, "genre": seg.genre, "speaker": seg.speaker,
                         "role": seg.role, "text": seg.text, "n_chars": seg.n_chars})
    columns = ["doc_id", "segment_id", "street", "attribution", "genre", "speaker", "role", "text", "n_chars"]
    return pd.DataFrame(rows, columns=columns)
