"""Framing: a codebook as data, coded hits with evidence (KWIC), slogans and formulas, street similarity."""

from __future__ import annotations

import random
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jieba
import numpy as np
import pandas as pd

from helpers.base import engine, paths
from helpers.base.chinese import read_yaml, release_dictionaries, sentence_at, tokenizer
from helpers.stage1_load.cleaning import clean_text
from helpers.stage1_load.corpus import load_corpus

CODEBOOK = paths.RESOURCES / "codebook.yaml"


KINDS = ("name", "frame", "task")  # coding order: names first, so that no frame or task is coded inside a name


@dataclass(frozen=True)
class Code:
    """One name class, frame or task domain of the codebook."""

    kind: str
    code: str
    name: str
    definition: str
    terms: dict[str, str]
    patterns: dict[str, str]
    exclude: dict[str, str] = field(default_factory=dict)
    outcome_terms: dict[str, str] = field(default_factory=dict)

    def all_terms(self) -> list[str]:
        """Literal terms and outcome terms, longest first (computed once per code)."""
        return _all_terms(self.code, tuple(self.terms), tuple(self.outcome_terms))

    def exclusion(self) -> re.Pattern[str] | None:
        """One alternation of the contexts that cancel a hit of this code, or None (compiled once per code)."""
        return _exclusion(tuple(self.exclude))


@lru_cache(maxsize=512)
def _all_terms(code: str, terms: tuple[str, ...], outcomes: tuple[str, ...]) -> list[str]:
    return sorted(set(terms) | set(outcomes), key=lambda t: (-len(t), t))


@lru_cache(maxsize=512)
def _exclusion(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


@dataclass(frozen=True)
class Codebook:
    """The codes plus the setting that is not a code (lines never coded)."""

    codes: list[Code]
    skip_lines: dict[str, str]


class CodebookError(ValueError):
    """A codebook that would give wrong counts (empty code, duplicated term, broken pattern)."""


def _mapping(entry: dict, key: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in (entry.get(key) or {}).items()}


def read_codebook(path: Path = CODEBOOK) -> Codebook:
    """Read and validate the whole codebook: names, frames, tasks in file order, and skip_lines."""
    data = read_yaml(path) or {}
    codes = []
    for kind in KINDS:
        for entry in data.get(f"{kind}s") or []:
            codes.append(
                Code(
                    kind,
                    entry["code"],
                    entry["name"],
                    entry.get("definition", ""),
                    _mapping(entry, "terms"),
                    _mapping(entry, "patterns"),
                    _mapping(entry, "exclude"),
                    _mapping(entry, "outcome_terms"),
                )
            )
    skip = _mapping(data, "skip_lines")
    validate(codes, set((data.get("shared_terms") or {}).keys()))
    for pattern in skip:
        _compile(pattern, "skip_lines")
    return Codebook(codes, skip)


def load_codebook(path: Path = CODEBOOK) -> list[Code]:
    """The codes of the codebook: names, then frames, then tasks, in file order."""
    return read_codebook(path).codes


def _compile(pattern: str, owner: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise CodebookError(f"{owner}: pattern {pattern!r} does not compile: {exc}") from exc


def validate(codes: list[Code], shared: set[str]) -> None:
    """No empty code, no code defined twice, every pattern compiles, no term in two codes of one kind unless shared."""
    seen_codes, owner = set(), {}
    for code in codes:
        if not code.terms and not code.patterns and not code.outcome_terms:
            raise CodebookError(f"{code.kind} '{code.code}' has no terms or patterns")
        if code.code in seen_codes:
            raise CodebookError(f"code '{code.code}' is defined twice")
        seen_codes.add(code.code)
        for pattern in list(code.patterns) + list(code.exclude):
            _compile(pattern, code.code)
        for term in code.all_terms():
            other = owner.get((code.kind, term))
            if other and term not in shared:
                raise CodebookError(f"term '{term}' is in both {other} and {code.code}; list it under shared_terms if intended")
            owner[(code.kind, term)] = code.code


@dataclass(frozen=True)
class Hit:
    """One coded span of a text."""

    kind: str
    code: str
    start: int
    end: int
    term: str


def token_boundaries(text: str) -> set[int]:
    """Offsets where a jieba token of the project tokenizer (HMM off) starts or ends."""
    bounds = {0, len(text)}
    for _, start, end in tokenizer().tokenize(text, HMM=False):
        bounds.update((start, end))
    return bounds


@lru_cache(maxsize=1)
def _dictionary() -> tuple[dict[str, int], int]:
    """The project tokenizer's prefix dictionary (every word and every prefix of one, prefixes at 0) and its longest word."""
    freq = tokenizer().FREQ
    return freq, max(map(len, freq))


@lru_cache(maxsize=16_384)  # runs repeat across a corpus (set phrases, boilerplate); bounded, so memory stays flat
def _run_offsets(run: str) -> frozenset[int]:
    """Offsets (from the run's start) where a token of jieba's cut of one run ends."""
    offsets, at = set(), 0
    for word in tokenizer().cut(run, HMM=False):
        at += len(word)
        offsets.add(at)
    return frozenset(offsets)


def release_dictionary() -> None:
    """Drop the project tokenizer and its prefix dictionary from this process (~50 MB at 1,000 documents): for a
    notebook past its last coding (notebook 03 at its end: the report needs neither); a later call loads them again."""
    _dictionary.cache_clear()
    _run_offsets.cache_clear()
    release_dictionaries()


ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")  # jieba's re_eng


def forced_boundary(text: str, start: int, end: int, offset: int) -> bool:
    """Whether offset (inside the run text[start:end]) is a boundary whatever route jieba picks: no dictionary word
    of the run crosses it, and it does not part two Latin letters or digits (jieba joins such single-character tokens).

    jieba's route is a chain of dictionary words (frequency > 0) and single characters. A dictionary word comes with
    every prefix of it (frequency 0 for a bare prefix), so a word text[i:j] with i < offset < j exists only if
    text[i:offset + 1] is in the dictionary; it is then extended, as jieba's get_DAG does, while it stays there."""
    if text[offset - 1] in ASCII_ALNUM and text[offset] in ASCII_ALNUM:
        return False
    freq, longest = _dictionary()
    for i in range(max(start, offset - longest + 1), offset):
        j = offset + 1
        while j <= end and (frag := text[i:j]) in freq:
            if freq[frag]:
                return False
            j += 1
    return True


class TokenBoundaries:
    """The same offsets as token_boundaries(text), but jieba cuts a stretch of text only when a match asks about it.

    jieba cuts each maximal run of Chinese characters, letters and digits (its re_han_default) on its own, and yields
    every other character (and each \\r\\n) as a token of its own: so an offset outside such a run is always a
    boundary, and one inside it needs only that run cut, and not even that where no dictionary word crosses it
    (forced_boundary). Most runs hold no candidate match and are never cut; a run is cut once per process."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.runs = [(m.start(), m.end()) for m in jieba.re_han_default.finditer(text)]
        self.starts = [start for start, _ in self.runs]
        self.known: dict[int, bool] = {}  # an offset is asked about once per text (a match's end is the next one's start)

    def __contains__(self, offset: int) -> bool:
        if offset not in self.known:
            self.known[offset] = self._boundary(offset)
        return self.known[offset]

    def _boundary(self, offset: int) -> bool:
        index = bisect_right(self.starts, offset) - 1
        if index >= 0 and self.runs[index][0] < offset < self.runs[index][1]:
            start, end = self.runs[index]
            return forced_boundary(self.text, start, end, offset) or offset - start in _run_offsets(self.text[start:end])
        if offset > 0 and self.text[offset - 1 : offset + 1] == "\r\n":
            return False  # jieba keeps \r\n as one token
        return 0 <= offset <= len(self.text)


def skipped_spans(text: str, skip_lines: dict[str, str]) -> list[tuple[int, int]]:
    """The lines matched by a skip_lines rule (web-page furniture), as (start, end) spans."""
    spans, offset = [], 0
    rules = [re.compile(p) for p in skip_lines]
    for line in text.split("\n"):
        if any(rule.search(line) for rule in rules):
            spans.append((offset, offset + len(line)))
        offset += len(line) + 1
    return spans


def candidate_matches(text: str, code: Code, bounds: set[int]) -> list[tuple[int, int, str]]:
    """Every match of a code's terms and patterns that starts and ends on token boundaries and is not excluded.

    Literal terms are searched one by one (overlapping occurrences included), so that a miss at a word boundary
    cannot hide a good match next to it; a pattern's match is taken as regex finds it."""
    return _search([code]).matches(text, bounds)[0]


def _trie_pattern(terms: list[str]) -> str:
    """One regular expression of the terms as a trie (shared prefixes once), longer continuations tried first: it
    matches the longest term that starts where it matches."""
    trie: dict = {}
    for term in terms:
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[""] = {}  # the end of a term

    def alternation(node: dict) -> str:
        branches = [re.escape(char) + alternation(child) for char, child in sorted(node.items()) if char]
        branches += [""] if "" in node else []  # ending here is the last resort: longer terms first
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return alternation(trie)


class CodeSearch:
    """Every code's candidate matches in one pass over a text: all literal terms of all codes are found together
    (a trie of the terms finds the longest term at each position; the shorter terms there are its prefixes), and each
    code's patterns and exclusions are compiled once."""

    def __init__(self, codes: list[Code]) -> None:
        self.codes = list(codes)
        owners: dict[str, list[int]] = {}
        for index, code in enumerate(self.codes):
            for term in code.all_terms():
                owners.setdefault(term, []).append(index)
        terms = sorted(owners, key=lambda t: (-len(t), t))
        self.finder = re.compile(_trie_pattern(terms)) if terms else None
        # the (code, term) pairs to record where a term is the longest at a position: every term it starts with
        self.within = {longest: [(i, t) for t in terms if longest.startswith(t) for i in owners[t]] for longest in terms}
        self.patterns = [[re.compile(p) for p in code.patterns] for code in self.codes]
        self.exclusions = [code.exclusion() for code in self.codes]

    def matches(self, text: str, bounds: set[int]) -> list[list[tuple[int, int, str]]]:
        """Per code (in the order given), candidate_matches(text, code, bounds)."""
        return [[(s, e, t) for s, e, t in found if self.on_boundaries(index, s, e, t, bounds)] for index, found in enumerate(self.unchecked(text))]

    def on_boundaries(self, index: int, start: int, end: int, term: str, bounds: set[int]) -> bool:
        """Whether a match of code number index starts and ends on token boundaries (a name's pattern need not)."""
        code = self.codes[index]
        return code.kind == "name" and term not in code.terms or (start in bounds and end in bounds)

    def unchecked(self, text: str) -> list[list[tuple[int, int, str]]]:
        """Per code, its matches that no exclusion cancels, before the boundary test (the costly one: it may cut a run)."""
        found: list[list[tuple[int, int, str]]] = [[] for _ in self.codes]
        if self.finder is not None:
            at, search = 0, self.finder.search
            while m := search(text, at):
                start = m.start()
                for index, term in self.within[m.group()]:
                    found[index].append((start, start + len(term), term))
                at = start + 1
        for index, patterns in enumerate(self.patterns):
            for pattern in patterns:
                found[index] += [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text) if m.end() > m.start()]
        for index, blocker in enumerate(self.exclusions):
            if found[index] and blocker is not None:
                excluded = [(m.start(), m.end()) for m in blocker.finditer(text)]
                found[index] = [(s, e, t) for s, e, t in found[index] if not any(es <= s and e <= ee for es, ee in excluded)]
        return found


def _code_key(code: Code) -> tuple:
    return (code.kind, code.code, tuple(code.terms), tuple(code.patterns), tuple(code.exclude), tuple(code.outcome_terms))


@lru_cache(maxsize=8)
def _search_for(key: tuple) -> CodeSearch:
    return CodeSearch(
        [
            Code(kind, code, "", "", dict.fromkeys(terms, ""), dict.fromkeys(patterns, ""), dict.fromkeys(exclude, ""), dict.fromkeys(outcomes, ""))
            for kind, code, terms, patterns, exclude, outcomes in key
        ]
    )


_LAST_SEARCH: list = [(), None]  # (codes, their search): the same list of codes is asked for once per text


def _search(codes: list[Code]) -> CodeSearch:
    """The compiled search of a list of codes (built once per process for a given codebook)."""
    last, search = _LAST_SEARCH
    if len(last) != len(codes) or any(a is not b for a, b in zip(last, codes)):  # the codes are held, so ids stay theirs
        search = _search_for(tuple(_code_key(c) for c in codes))
        _LAST_SEARCH[:] = [tuple(codes), search]
    return search


def code_hits(text: str, codes: list[Code], skip_lines: dict[str, str] | None = None) -> list[Hit]:
    """Coded spans of text on word boundaries; names first; within a kind, overlaps go to the longest (then the earlier code).

    Name patterns (meetings, service facilities) may start inside a token: they only block, and a name that starts
    one character early blocks nothing of substance."""
    if skip_lines is None:
        skip_lines = _default_skip_lines()
    bounds = TokenBoundaries(text)
    blocked = np.zeros(len(text) + 1, dtype=bool)
    for start, end in skipped_spans(text, skip_lines):
        blocked[start:end] = True
    names_mask = blocked.copy()
    search = _search(codes)
    found = search.unchecked(text)
    hits = []
    for kind in KINDS:
        candidates = [(s, e, code.code, term, order) for order, code in enumerate(codes) if code.kind == kind for s, e, term in found[order]]
        candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0], c[4]))
        taken = names_mask.copy()
        for start, end, code, term, order in candidates:
            # a match off the token boundaries is no candidate at all, but it only matters where it would be taken:
            # the boundary test runs only for matches that nothing taken overlaps
            if not taken[start:end].any() and search.on_boundaries(order, start, end, term, bounds):
                taken[start:end] = True
                hits.append(Hit(kind, code, start, end, term))
        if kind == "name":
            names_mask = taken
    return sorted(hits, key=lambda h: (h.start, KINDS.index(h.kind)))


@lru_cache(maxsize=1)
def _default_skip_lines() -> dict[str, str]:
    return read_codebook().skip_lines


def kwic(text: str, start: int, end: int, width: int = 18) -> tuple[str, str, str]:
    """Keyword in context: (left, keyword, right), newlines shown as spaces."""
    flat = lambda s: s.replace("\n", " ")  # noqa: E731
    return flat(text[max(start - width, 0) : start]), text[start:end], flat(text[end : end + width])


@lru_cache(maxsize=1)
def default_codes() -> tuple[Code, ...]:
    """The project codebook, read once per process (a pool worker reads it once)."""
    return tuple(load_codebook())


def segment_hits(text: str) -> list[tuple[str, str, int, int, str]]:
    """(kind, code, start, end, term) of every hit of the project codebook in one text: the per-segment task the
    engine runs in its pool and caches by text and code version."""
    return [(h.kind, h.code, h.start, h.end, h.term) for h in code_hits(text, list(default_codes()))]


HIT_COLUMNS = ["doc_id", "segment_id", "street", "kind", "code", "term", "start", "left", "keyword", "right"]


CODING_STAGE = "framing codes"  # the engine stage (and cache) of segment_hits


def code_ahead(segments: pd.DataFrame) -> bool:
    """Start finding the project codebook's hits in these segments' texts ahead of coded_segments, on a core the
    pipeline leaves idle (engine.work_ahead); True if started."""
    return engine.work_ahead(segment_hits, segments["text"], stage=CODING_STAGE)


def coded_segments(segments: pd.DataFrame, codes: list[Code]) -> pd.DataFrame:
    """One row per hit, with its segment, street and KWIC evidence (the project codebook through the engine's pool
    and cache; any other list of codes in this process)."""
    texts = list(segments["text"])
    if list(codes) == list(default_codes()):
        found = engine.map_documents(segment_hits, texts, stage=CODING_STAGE)
    else:
        found = [[(h.kind, h.code, h.start, h.end, h.term) for h in code_hits(text, codes)] for text in texts]
    rows = []
    for seg, seg_hits in zip(segments.itertuples(), found):
        for kind, code, start, end, term in seg_hits:
            left, keyword, right = kwic(seg.text, start, end)
            rows.append(
                {
                    "doc_id": seg.doc_id,
                    "segment_id": seg.segment_id,
                    "street": seg.street,
                    "kind": kind,
                    "code": code,
                    "term": term,
                    "start": start,
                    "left": left,
                    "keyword": keyword,
                    "right": right,
                }
            )
    return pd.DataFrame(rows, columns=HIT_COLUMNS)


def showcased_task(task_hits: pd.DataFrame, book: Codebook | None = None) -> dict:
    """The task a text is about, from its task hits (columns code, term); a tie is reported as a tie.

    Tasks are ranked on their task terms; outcome terms (cadres tempered in 征拆, work style improved: what a task
    produced, listed under `outcome_terms`) only break a tie, so a by-product never outranks the task itself.
    Returns code and name (the first tied code in codebook order), hits (task terms), outcome_hits, terms of the
    chosen code (征拆×5、拆迁×1), tie and tied_codes."""
    book = book or read_codebook()
    order = [c.code for c in book.codes if c.kind == "task"]
    names = {c.code: c.name for c in book.codes}
    outcomes = {(c.code, t) for c in book.codes for t in c.outcome_terms}
    result = {"code": "", "name": "", "hits": 0, "outcome_hits": 0, "terms": "", "tie": False, "tied_codes": ""}
    if task_hits is None or not len(task_hits):
        return result
    hits = task_hits[task_hits["code"].isin(order)]
    if not len(hits):
        return result
    core, extra = Counter(), Counter()
    for code, term in zip(hits["code"].tolist(), hits["term"].tolist()):
        (extra if (code, term) in outcomes else core)[code] += 1
    rank = {code: (core[code], extra[code]) for code in set(core) | set(extra)}
    best = max(rank.values())
    tied = sorted((c for c, r in rank.items() if r == best), key=order.index)
    top = tied[0]
    counts = Counter(hits.loc[hits["code"] == top, "term"])
    terms = "、".join(f"{t}×{n}" for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return {
        "code": top,
        "name": names[top],
        "hits": core[top],
        "outcome_hits": extra[top],
        "terms": terms,
        "tie": len(tied) > 1,
        "tied_codes": "、".join(tied) if len(tied) > 1 else "",
    }


# ---------------------------------------------------------------- slogans and formulas
SLOGAN_QUOTED = "quoted slogan"  # slogans.csv `kind` of a phrase in quotation marks (the report sets them apart)
SLOGAN_PATTERNS = [
    ("numbered formula", re.compile(r"(?<![\d.+])\d+(?:\s*[+＋]\s*\d+)+(?:\s*[、，]\s*[\u4e00-\u9fff][+＋][\u4e00-\u9fff])*(?![\d.])")),
    ("numbered formula", re.compile(r"[\u4e00-\u9fff][+＋][\u4e00-\u9fff](?:、[\u4e00-\u9fff][+＋][\u4e00-\u9fff])+")),
    ("party-building-plus", re.compile(r"党建\s*[+＋]\s*[\u4e00-\u9fff]{0,8}")),
    (
        "numbered phrase",
        re.compile(
            r"(?<=“)[一二三四五六七八九十两]+(?:个|项|大|种|化|双)[\u4e00-\u9fff]{1,4}(?=”)"
            r"|[一二三四五六七八九十两](?:个|项|大)(?:引领|意识|自信|维护|覆盖|高地|保障|改革|权力|环节)"
        ),
    ),
    ("one-core formula", re.compile(r"一(?![年个些点次天月周倍半直])[\u4e00-\u9fff]多[\u4e00-\u9fff](?![时来])")),
    (SLOGAN_QUOTED, re.compile(r"(?<=“)[^“”\n]{2,24}(?=”)")),
]


def find_slogans(text: str) -> list[tuple[str, str, int]]:
    """(kind, slogan, position) for numbered formulas, 党建+X, numbered phrases and quoted slogans.

    A quoted span that is itself a formula is reported once, as the formula."""
    found, covered = [], []
    for kind, pattern in SLOGAN_PATTERNS:
        for m in pattern.finditer(text):
            span = (m.start(), m.end())
            if any(s <= span[0] and span[1] <= e for s, e in covered):
                continue  # part of a formula already found (白+黑 inside 5+2、白+黑、晴+雨)
            if kind == SLOGAN_QUOTED and re.fullmatch(r"[\d\s+＋、]+", m.group(0)):
                continue
            covered.append(span)
            found.append((kind, re.sub(r"\s+", "", m.group(0)), m.start()))
    return sorted(found, key=lambda f: (f[2], f[0]))


def slogan_table(segments: pd.DataFrame) -> pd.DataFrame:
    """slogans.csv: every slogan or formula with its segment, street and sentence."""
    rows = [
        {
            "doc_id": seg.doc_id,
            "segment_id": seg.segment_id,
            "street": seg.street,
            "genre": seg.genre,
            "kind": kind,
            "slogan": slogan,
            "sentence": sentence_at(seg.text, pos),
        }
        for seg in segments.itertuples()
        for kind, slogan, pos in find_slogans(seg.text)
    ]
    return pd.DataFrame(rows, columns=["doc_id", "segment_id", "street", "genre", "kind", "slogan", "sentence"])


# ---------------------------------------------------------------- validation
VALIDATION = paths.RESOURCES / "codebook_validation.csv"
VALIDATION_TEXTS = paths.ROOT / "tests" / "fixtures" / "validation"
VALIDATION_COLUMNS = ["span_id", "source", "doc", "kind", "code", "term", "left", "keyword", "right", "correct", "reason"]
MIN_JUDGED = 10  # a code with fewer judged spans gets no precision claim, only "too few judged"


def validation_texts(folder: Path = VALIDATION_TEXTS) -> dict[str, str]:
    """The texts written for validation (tests/fixtures/validation/*.txt), by file stem."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def spans_to_judge(
    texts: dict[str, str],
    codes: list[Code] | None = None,
    per_code: int = 12,
    seed: int = 10,
    source: str = "",
    kinds: tuple[str, ...] = ("frame", "task"),
    show: bool = True,
) -> pd.DataFrame:
    """A seeded random sample of coded spans (at most per_code per code) to read and judge; printed as KWIC lines.

    The `correct` and `reason` columns are left empty for the judge to fill in."""
    codes = codes or load_codebook()
    rows = []
    for doc, text in texts.items():
        for hit in code_hits(text, codes):
            if hit.kind in kinds:
                left, keyword, right = kwic(text, hit.start, hit.end, width=20)
                rows.append(
                    {
                        "source": source,
                        "doc": doc,
                        "kind": hit.kind,
                        "code": hit.code,
                        "term": hit.term,
                        "start": hit.start,
                        "left": left,
                        "keyword": keyword,
                        "right": right,
                    }
                )
    rng = random.Random(seed)
    drawn = []
    for code in codes:
        pool = [r for r in rows if r["code"] == code.code]
        drawn += sorted(rng.sample(pool, min(per_code, len(pool))), key=lambda r: (r["doc"], r["start"]))
    frame = pd.DataFrame(drawn, columns=["source", "doc", "kind", "code", "term", "start", "left", "keyword", "right"])
    frame.insert(0, "span_id", [f"{source or 'x'}-{code}-{doc[:12]}-{start}" for code, doc, start in zip(frame["code"], frame["doc"], frame["start"])])
    frame = frame.drop(columns="start").assign(correct="", reason="")
    if show:
        for row in frame.itertuples():
            print(f"{row.span_id}\t{row.code}\t…{row.left}【{row.keyword}】{row.right}…")
    return frame[VALIDATION_COLUMNS]


def read_validation(path: Path = VALIDATION) -> pd.DataFrame:
    """The judged validation sample (one row per coded span, correct 1/0 with a reason)."""
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype={"correct": int})


def validation_precision(judged: pd.DataFrame, codes: list[Code] | None = None, min_judged: int = MIN_JUDGED) -> pd.DataFrame:
    """Precision per code on the judged sample: judged, correct, precision, and a `too_few_judged` flag."""
    codes = codes or load_codebook()
    rows = []
    for code in (c for c in codes if c.kind in ("frame", "task")):
        sub = judged[judged["code"] == code.code]
        n, ok = len(sub), int(sub["correct"].astype(int).sum()) if len(sub) else 0
        rows.append(
            {
                "kind": code.kind,
                "code": code.code,
                "name": code.name,
                "judged": n,
                "correct": ok,
                "precision": round(ok / n, 3) if n else float("nan"),
                "too_few_judged": n < min_judged,
                "by_source": "; ".join(f"{s} {int(g['correct'].astype(int).sum())}/{len(g)}" for s, g in sub.groupby("source", sort=True)),
            }
        )
    return pd.DataFrame(rows)


VALIDATION_DRAW = {"seeds": 16, "written": 12, "seed": 10}  # spans per code from each source, and the random seed


def cleaned_seed_texts(folder: Path = paths.ROOT / "seeds") -> dict[str, str]:
    """The seed documents as cleaned text (notebook 01's cleaning), by file stem: the texts the sample was drawn from."""
    corpus = load_corpus(folder)
    return {doc.doc_id: clean_text(doc.doc_id, doc.text)[0] for doc in corpus.documents}


def draw_validation_sample(seed_texts: dict[str, str] | None = None, show: bool = False) -> pd.DataFrame:
    """Redraw the validation sample with the project's settings (to judge again after a codebook change)."""
    seed_texts = cleaned_seed_texts() if seed_texts is None else seed_texts
    settings = VALIDATION_DRAW
    drawn = [
        spans_to_judge(seed_texts, per_code=settings["seeds"], seed=settings["seed"], source="seeds", show=show),
        spans_to_judge(validation_texts(), per_code=settings["written"], seed=settings["seed"], source="written", show=show),
    ]
    return pd.concat(drawn, ignore_index=True)


def unjudged_spans(sample: pd.DataFrame, judged: pd.DataFrame) -> pd.DataFrame:
    """Spans of a fresh draw that the judged file lacks (same span_id and the same context): these need judging."""
    key = lambda f: f["span_id"] + "|" + f["left"] + f["keyword"] + f["right"]  # noqa: E731
    return sample[~key(sample).isin(set(key(judged)))]


def must_code(path: Path = CODEBOOK) -> list[dict[str, str]]:
    """The recall list of the codebook: phrases that must be coded, with their code and a real example sentence."""
    data = read_yaml(path) or {}
    return [{k: str(v) for k, v in row.items()} for row in data.get("must_code") or []]


def recall_misses(codes: list[Code] | None = None) -> list[dict[str, str]]:
    """The must-code phrases that their example sentence does not code with their code (empty when recall holds)."""
    codes = codes or load_codebook()
    misses = []
    for row in must_code():
        hits = code_hits(row["example"], codes)
        if not any(h.code == row["code"] and row["phrase"] in row["example"][h.start : h.end] for h in hits):
            misses.append(row)
    return misses
