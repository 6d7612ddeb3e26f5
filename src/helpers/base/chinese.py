"""Chinese text basics every stage shares: character classes, sentences, Traditional → Simplified, and jieba's
dictionary and tokenizer (loaded once per process, with the project's domain dictionary and codebook terms)."""

from __future__ import annotations

import hashlib
import marshal
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba
import opencc
import yaml

from helpers.base import paths

# ---------------------------------------------------------------- character classes
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs: extension A, the unified block, compatibility forms
CJK_PUNCT = "，。、；：！？（）《》〈〉「」『』【】“”‘’…—～·●"
CJK = HAN + CJK_PUNCT
HAN_CHAR = re.compile(f"[{HAN}]")
HAN_RUN = re.compile(f"[{HAN}]+")


def cjk_share(text: str) -> float:
    """Share of non-space characters that are CJK ideographs."""
    chars = [c for c in text if not c.isspace()]
    return sum(bool(HAN_CHAR.match(c)) for c in chars) / max(len(chars), 1)


# ---------------------------------------------------------------- sentences
# One definition of a sentence for every stage: it ends at a Chinese (or ASCII) full stop, question or exclamation
# mark, a semicolon (official prose strings clauses into one long sentence with ；) or a line break.
SENTENCE_END = "。！？；…"  # what ends a line of prose (cleaning tells headings from body lines with it)
SENTENCE_STOPS = "。！？；!?"
SENTENCE_BREAK = re.compile(f"[{SENTENCE_STOPS}]+|\n+")
SENTENCE = re.compile(f"[^{SENTENCE_STOPS}\n]+[{SENTENCE_STOPS}]*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text, its closing marks included, empty ones dropped."""
    spans, start = [], 0
    for m in SENTENCE_BREAK.finditer(text):
        if text[start : m.end()].strip():
            spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of text, stripped, empty ones dropped."""
    return [x.strip() for x in SENTENCE.findall(text) if x.strip()]


def sentence_at(text: str, position: int) -> str:
    """The sentence that contains position."""
    start = max(text.rfind(c, 0, position) for c in SENTENCE_STOPS + "\n") + 1
    ends = [i for i in (text.find(c, position) for c in SENTENCE_STOPS + "\n") if i >= 0]
    return text[start : (min(ends) + 1 if ends else len(text))].strip()


# ---------------------------------------------------------------- headings of official texts
# A speaker's heading in meeting coverage: "坪地街道党工委书记 刘鹏" (unit, role, name on one line). Cleaning keeps
# these lines (they are not captions) and segmentation cuts speeches at them.
SPEAKER_HEADING = re.compile(
    r"^\s*(?P<unit>[\u4e00-\u9fff]{2,8}?(?:街道|镇|社区|区委|区))"
    r"(?P<role>党工委(?:副)?书记|党委(?:副)?书记|(?:党工委)?(?:主任|副主任)|书记)"
    r"\s*(?P<name>[\u4e00-\u9fff·]{2,4})\s*$"
)
MIN_HEADINGS = 2  # two speaker headings make a document a run of speeches (one could be a byline)
MAX_HEADING_CHARS = 60  # longer than any headline or section heading in Chinese news and reports; body lines run on


def is_heading_like(line: str) -> bool:
    """A short line without sentence-final punctuation: a title, subtitle or section heading."""
    stripped = line.strip().lstrip("#").strip()
    return 0 < len(stripped) <= MAX_HEADING_CHARS and not re.search(f"[{SENTENCE_END}]", stripped[:-1] if stripped.endswith("”") else stripped)


def speaker_headings(text: str) -> int:
    """How many lines of text are speaker headings ('X街道党工委书记 Name')."""
    return sum(bool(SPEAKER_HEADING.match(line)) for line in text.split("\n"))


def heading_of(title: str, text: str) -> tuple[str, str, str]:
    """(unit, role, name) of a lone speech's heading, in its title or its first line; else ('', '', '')."""
    first = next((line for line in text.split("\n") if line.strip()), "")
    for line in (title, first):
        m = SPEAKER_HEADING.match(line.strip())
        if m:
            return m.group("unit"), m.group("role"), m.group("name")
    return "", "", ""


# ---------------------------------------------------------------- scripts
@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """text in Simplified characters (OpenCC t2s, character by character: same length)."""
    return _t2s().convert(text)


# ---------------------------------------------------------------- jieba's dictionary
JIEBA_DICT = Path(jieba.__file__).parent / "dict.txt"


def marshal_cached(name: str, build: Callable[[], Any], replaces: str = "", folder: Path | None = None) -> Any:
    """build()'s value, kept in folder (build/cache by default) under a name that says what it was built from, and
    read back from there. When it is built, the other files matching the glob `replaces` (older versions) are removed.

    Every process (notebook kernels, pool workers) needs jieba's dictionaries. jieba keeps its own prefix dictionary
    cache too, but reads it with marshal.load on the open file, which parses object by object: 1.5 s for its 9 MB,
    against 0.4 s to read the bytes whole and parse them with marshal.loads (measured)."""
    folder = folder or paths.CACHE
    path = folder / name
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):  # not built yet, or cut short by a killed process
        value = build()
        try:
            paths.write_whole(path, lambda partial: partial.write_bytes(marshal.dumps(value)), replaces)
        except OSError:  # a folder that cannot be written (a read-only checkout's .cache): the value is good, not kept
            pass
        return value


@lru_cache(maxsize=1)
def resource_version() -> str:
    """What the dictionaries derived here are built from: jieba's version and this module's source (a change to
    either rebuilds them)."""
    return hashlib.sha256(f"jieba {jieba.__version__}\n".encode() + Path(__file__).read_bytes()).hexdigest()[:12]


def resource_cached(name: str, build: Callable[[], Any]) -> Any:
    """build()'s value for a dictionary derived from the installed resources alone (no corpus): kept in the machine's
    resource cache (paths.RESOURCE_CACHE, shared by every build folder) under resource_version(), older versions
    removed. A build into a new folder then loads these dictionaries, as bare jieba loads its own cached one, instead
    of building them again (3-4 s of CPU)."""
    return marshal_cached(f"{name}-{resource_version()}.marshal", build, replaces=f"{name}-*.marshal", folder=paths.RESOURCE_CACHE)


def _read_jieba_entries() -> dict[str, tuple[int, str]]:
    """jieba's dict.txt parsed: word -> (frequency, part-of-speech tag)."""
    entries: dict[str, tuple[int, str]] = {}
    with open(JIEBA_DICT, encoding="utf-8") as handle:
        for line in handle:
            word, freq, tag = (line.rstrip("\n").split(" ") + [""])[:3]
            entries[word] = (int(freq), tag)
    return entries


@lru_cache(maxsize=1)
def jieba_entries() -> dict[str, tuple[int, str]]:
    """jieba's general dictionary: word -> (frequency, part-of-speech tag), read once per process."""
    return resource_cached("jieba-entries", _read_jieba_entries)


@lru_cache(maxsize=1)
def word_tags() -> dict[str, str]:
    """jieba's general dictionary: word -> part-of-speech tag (what jieba.posseg reads from dict.txt at start)."""
    return {word: tag for word, (_, tag) in jieba_entries().items()}


def release_dictionaries() -> None:
    """Drop the project tokenizer, jieba's entries and its tag table from this process (~150 MB): for a notebook past
    its last segmentation; a later call loads them again."""
    for loaded in (tokenizer, jieba_entries, word_tags):
        loaded.cache_clear()


def pos_tagger(cls: type, instance: jieba.Tokenizer):
    """cls(instance) for jieba.posseg.POSTokenizer or a subclass, with its tag table from word_tags() instead of
    re-reading dict.txt (0.5-1 s per process); jieba.posseg is imported by the stages that tag, not here."""
    tagger = cls.__new__(cls)
    tagger.tokenizer = instance
    tagger.word_tag_tab = dict(word_tags())  # its own copy: posseg adds the user dictionary's tags into it
    return tagger


def _prefix_dictionary() -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary (every word and word prefix -> frequency) and the total frequency, built from dict.txt."""
    with open(JIEBA_DICT, "rb") as handle:
        return jieba.Tokenizer.gen_pfdict(handle)


def new_tokenizer() -> jieba.Tokenizer:
    """A new jieba tokenizer with the general dictionary loaded (from the resource cache: a third of jieba's own load)."""
    jieba.setLogLevel(60)
    instance = jieba.Tokenizer()
    instance.tmp_dir = str(paths.RESOURCE_CACHE)  # were jieba to build its own cache, it would go here, not in /tmp
    instance.FREQ, instance.total = resource_cached("jieba-prefix", _prefix_dictionary)
    instance.initialized = True
    return instance


@lru_cache(maxsize=1)
def jieba_dictionary() -> dict[str, int]:
    """jieba's general dictionary: word -> frequency (a list of real Chinese words to test text against)."""
    return {word: freq for word, (freq, _) in jieba_entries().items()}


# 3,500 is the size of the 现代汉语常用字表 (2,500 common + 1,000 next-most-common characters), the national list
# of characters in everyday use; weighting characters by jieba's word frequencies gives about the same set.
COMMON_CHARACTERS = 3500


@lru_cache(maxsize=1)
def common_characters(top_n: int = COMMON_CHARACTERS) -> frozenset[str]:
    """The top_n most frequent Simplified characters, weighted by jieba's dictionary word frequencies (kept in
    the resource cache: weighing jieba's 350,000 words takes a second and needs the dictionary loaded)."""
    return frozenset(resource_cached(f"jieba-common-{top_n}", lambda: _ranked_characters(top_n)))


def _ranked_characters(top_n: int) -> list[str]:
    """The top_n characters of jieba's dictionary, most frequent first (ties in character order)."""
    weights: dict[str, int] = {}
    for word, freq in jieba_dictionary().items():
        for char in word:
            weights[char] = weights.get(char, 0) + freq
    return sorted(weights, key=lambda c: (-weights[c], c))[:top_n]


def plausible_char(char: str) -> bool:
    """A common Chinese character (in either script) or Chinese punctuation."""
    return char in CJK_PUNCT or simplified(char) in common_characters()


# ---------------------------------------------------------------- the project's tokenizer
USERDICT = paths.RESOURCES / "userdict.txt"
CODEBOOK = paths.RESOURCES / "codebook.yaml"


@lru_cache(maxsize=1)
def userdict_entries() -> tuple[tuple[str, ...], ...]:
    """The user dictionary's lines split into (word, frequency, tag), read once per process."""
    return tuple(tuple(line.split()) for line in USERDICT.read_text(encoding="utf-8").splitlines() if line.strip())


def userdict_terms() -> list[str]:
    """The domain terms of the user dictionary, in file order."""
    return [entry[0] for entry in userdict_entries()]


def read_yaml(path: Path) -> Any:
    """A YAML resource (the codebook), parsed by libyaml's C parser where PyYAML has it: the same values in a ninth of
    the pure-Python parser's time (0.01 s against 0.09 s for the codebook, read several times a run)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def codebook_terms() -> list[str]:
    """The literal Chinese terms of the framing codebook (frames, tasks, names), sorted: they must come out whole."""
    data = read_yaml(CODEBOOK) or {}
    terms = {
        str(term)
        for kind in ("frames", "tasks", "names")
        for entry in data.get(kind) or []
        for group in ("terms", "outcome_terms")
        for term in (entry.get(group) or {})
    }
    return sorted(t for t in terms if HAN_RUN.fullmatch(t) and len(t) >= 2)


@lru_cache(maxsize=1)
def general_tokenizer() -> jieba.Tokenizer:
    """jieba with its general dictionary only (pinyin is grouped by everyday words, not the project's long terms)."""
    return new_tokenizer()


def domain_tokenizer() -> jieba.Tokenizer:
    """A new jieba tokenizer with the project's user dictionary loaded (its own instance: no global state)."""
    instance = new_tokenizer()
    instance.load_userdict(str(USERDICT))
    return instance


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """A jieba tokenizer with the domain dictionary and the codebook's terms loaded (its own instance: no global state).

    A codebook term jieba already knows keeps jieba's frequency: forcing a known short word (调解) to win would cut
    it out of the words it straddles (协调|解决 → 协|调解|决). Unknown terms are added so they come out whole."""
    instance = domain_tokenizer()
    for term in codebook_terms():
        if not instance.FREQ.get(term):
            instance.add_word(term, 100_000 if len(term) >= 3 else instance.suggest_freq(term, tune=False))
    return instance
