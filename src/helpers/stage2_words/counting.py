"""Words: jieba with a domain dictionary, stopwords, a token cache, term frequencies and keyness."""

from __future__ import annotations

import re
import sys
from collections import Counter
from functools import lru_cache

import jieba
import jieba.posseg
import pandas as pd
import stopwordsiso

from helpers.base import engine, paths, schema
from helpers.base.chinese import HAN_CHAR, codebook_terms, jieba_entries, tokenizer, userdict_entries, userdict_terms
from helpers.stage1_load.places import gazetteer

PROJECT_STOPWORDS = paths.RESOURCES / "stopwords_project.txt"
CONCEPTS = paths.RESOURCES / "concepts.csv"
TOKEN_CACHE = "tokens.sqlite"
KEEP_SINGLE = {"党"}  # "the Party" on its own carries meaning; every other single character is left out
# The ~100 commonest Chinese surnames: a jieba 'nr' guess that does not start with one (铁娘子, 三剑客, 智多星 —
# nicknames in quotes) is not taken for a person's name.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤桂游初房巫骆欧温"
)
# Numeral + classifier tokens (一名, 一家, 一次次, 一支): counting words, not content.
NUMERAL_CLASSIFIER = re.compile(r"[一二三四五六七八九十两几每]+[个名家项支份次批些套处条件位种只群户栋间]+")


def _userdict_places() -> set[str]:
    """Places tagged 'ns' in the user dictionary (木连龙, 怡翠路, 沙湾河 …): counted, but not shown as content."""
    return {e[0] for e in userdict_entries() if len(e) >= 3 and e[2] == "ns"}


# Place names are counted but kept out of charts and keyness: a street naming itself is not a finding.
PLACE_NAMES = gazetteer().names() | {"全区", "辖区", "本区", "我区"} | _userdict_places()


def segment_text(text: str) -> list[str]:
    """jieba's tokens with HMM off (the HMM invents fragments such as 中有, 园以, 联李), white space dropped."""
    return [t for t in tokenizer().lcut(text, HMM=False) if t.strip()]


class SurnameGatedTagger(jieba.posseg.POSTokenizer):
    """jieba's part-of-speech tagger that runs its slow HMM (a Viterbi over words × tags, ~80% of posseg's time) only
    on the runs of unknown characters that contain a common surname: it finds exactly the names posseg finds.

    posseg cuts text with the dictionary and hands each run of two or more single characters to the HMM. A run
    without a surname character cannot hold a name that names_in_text keeps (a name starts with a surname); its
    Chinese stretches come out whole and untagged instead. names_in_text also looks at the two words after a
    two-character name (is the first a lone character, the second not Chinese?): the HMM returns a lone character
    exactly when the stretch is one character long, and the word after it is the same either way, so the answer
    is the same."""

    def _POSTokenizer__cut_detail(self, sentence: str):  # overrides posseg's private per-run HMM step
        if SURNAMES.isdisjoint(sentence):
            return self._untagged_detail(sentence)
        return super()._POSTokenizer__cut_detail(sentence)

    @staticmethod
    def _untagged_detail(sentence: str):
        """posseg's own split of a run into Chinese stretches and numbers or Latin words, without the HMM."""
        for block in jieba.posseg.re_han_detail.split(sentence):
            if jieba.posseg.re_han_detail.match(block):
                yield jieba.posseg.pair(block, "x")
                continue
            for part in jieba.posseg.re_skip_detail.split(block):
                if not part:
                    continue
                if jieba.posseg.re_num.match(part):
                    yield jieba.posseg.pair(part, "m")
                elif jieba.posseg.re_eng.match(part):
                    yield jieba.posseg.pair(part, "eng")
                else:
                    yield jieba.posseg.pair(part, "x")


@lru_cache(maxsize=1)
def _name_tagger() -> tuple[jieba.posseg.POSTokenizer, frozenset[str]]:
    """jieba's part-of-speech tagger on the project dictionary, and the domain terms that are never names (once per process)."""
    return SurnameGatedTagger(tokenizer()), frozenset(userdict_terms()) | frozenset(codebook_terms())


# A word jieba's own dictionary lists is not a new person's name even when tagged nr there: those entries are
# mostly common words and places the dictionary mis-tags (龙岗, 高素质, 高水平, 向心力). A word followed by a
# place or organisation suffix names that place (李朗社区, 黄阁坑社区, 龙腾三路, 欧景花园, 李朗股份合作公司).
PLACE_AFTER = re.compile(r"^[一二三四五六七八九十\d]*(社区|街道|村|路|街|区|镇|河|山|湖|坑|花园|小区|片区|大道|股份|公司)")


def is_person_name(word: str, following: str = "") -> bool:
    """Whether a tagger's nr guess is a person: not a place, not a dictionary word, not followed by a place suffix."""
    return word not in PLACE_NAMES and word not in jieba_entries() and not PLACE_AFTER.match(following)


def names_in_text(text: str) -> list[str]:
    """People's names in one text: jieba's HMM guesses tagged 'nr' that start with a common surname (the per-text
    task the engine runs in its pool and caches).

    jieba's dictionary holds some name heads (李德 of 李德强): a two-character guess followed by a lone character and
    then punctuation is taken with that character."""
    tagger, domain = _name_tagger()
    pairs = [(p.word, p.flag) for p in tagger.lcut(text, HMM=True)]
    names = []
    for i, (word, flag) in enumerate(pairs):
        if not flag.startswith("nr") or word[0] not in SURNAMES or not 2 <= len(word) <= 3 or word in domain:
            continue
        after = [w for w, _ in pairs[i + 1 : i + 3]]
        if len(word) == 2 and len(after) >= 1 and len(after[0]) == 1 and HAN_CHAR.match(after[0]) and (len(after) == 1 or not HAN_CHAR.match(after[1])):
            word, after = word + after[0], after[1:]
        if is_person_name(word, "".join(after)):
            names.append(word)
    return sorted(set(names))


def person_names(texts: list[str], known: set[str] = frozenset()) -> set[str]:
    """People's names in the texts (each text through the engine's pool and cache), plus the known names (speakers)."""
    found = engine.map_documents(names_in_text, texts, stage="person names")
    return {n for n in known if n} | {n for names in found for n in names}


def name_pattern(names: set[str]) -> re.Pattern[str] | None:
    """One alternation of the names, longest first (compiled once for a whole corpus), or None."""
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))) if names else None


def mask_names(text: str, names: set[str] | re.Pattern[str] | None) -> str:
    """The text with every listed name replaced by a line break, so that no token is made of a name or its parts."""
    pattern = names if isinstance(names, re.Pattern) or names is None else name_pattern(names)
    return pattern.sub("\n", text) if pattern is not None else text


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """stopwords-iso Chinese (MIT) plus the project's short list of generic official-prose words."""
    return frozenset(stopwordsiso.stopwords("zh")) | frozenset(project_stopwords())


def project_stopwords() -> dict[str, str]:
    """The project's officialese stopwords, word -> the one-line reason it is not counted."""
    entries = {}
    for line in PROJECT_STOPWORDS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, reason = line.partition("#")
        entries[word.strip()] = reason.strip()
    return entries


@lru_cache(maxsize=None)  # decided once per distinct token, not once per occurrence
def is_content_token(token: str) -> bool:
    """A token worth counting: Chinese, not a stopword or a numeral-classifier, two characters or more (or a kept single)."""
    if token in KEEP_SINGLE:
        return True
    return (
        len(token) >= 2
        and bool(HAN_CHAR.search(token))
        and token not in stopwords()
        and not any(c.isdigit() for c in token)
        and not NUMERAL_CLASSIFIER.fullmatch(token)
    )


def tokenize_segments(segments: pd.DataFrame) -> dict[str, list[str]]:
    """segment_id -> jieba tokens (people's names masked first); texts cut in the engine's process pool, cached per
    text in build/cache."""
    speakers = set(segments["speaker"].fillna("").astype(str)) if "speaker" in segments else set()
    names = person_names(list(segments["text"]), speakers) if len(segments) else set()
    pattern = name_pattern(names)
    texts = [mask_names(text, pattern) for text in segments["text"]]
    cut = engine.map_documents(segment_text, texts, stage="jieba tokenisation", code=[sys.modules[__name__]], cache_file=paths.CACHE / TOKEN_CACHE)
    return dict(zip(segments["segment_id"], cut))


def is_compared_token(token: str) -> bool:
    """A token that enters keyness and similarity: counted, and not a place name (a street naming itself is no finding)."""
    return is_content_token(token) and token not in PLACE_NAMES


def content_tokens(tokens: dict[str, list[str]]) -> dict[str, list[str]]:
    """The counted tokens of every segment."""
    return {sid: [t for t in toks if is_content_token(t)] for sid, toks in tokens.items()}


def dictionary_check(segments: pd.DataFrame, tokens: dict[str, list[str]]) -> pd.DataFrame:
    """For each dictionary term: occurrences in the text and how many came out of jieba whole."""
    text = "\n".join(segments["text"])
    whole = Counter(t for toks in tokens.values() for t in toks)
    rows = [{"term": term, "in_text": text.count(term), "whole_tokens": whole[term]} for term in userdict_terms()]
    frame = pd.DataFrame(rows)
    frame["split"] = frame["in_text"] - frame["whole_tokens"]
    return frame[frame["in_text"] > 0].sort_values(["in_text", "term"], ascending=[False, True]).reset_index(drop=True)


def hmm_inventions(tokens: dict[str, list[str]], top: int = 20) -> pd.DataFrame:
    """The most frequent multi-character tokens found in no dictionary: words jieba's HMM made up."""
    known = tokenizer().FREQ
    counts = Counter(t for toks in tokens.values() for t in toks if len(t) >= 2 and HAN_CHAR.search(t) and t not in known)
    return pd.DataFrame(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top], columns=["token", "count"])


def release_segmenter() -> None:
    """Drop jieba's dictionaries, the name tagger and jieba's word list from this process (about 150 MB at the
    start of a notebook's counting): a notebook calls this after its last segmentation; a later call loads them again."""
    for loaded in (tokenizer, _name_tagger, jieba_entries):
        loaded.cache_clear()  # the last references: freed at once (no cycles, so no gc pass over the token lists)


@lru_cache(maxsize=1)
def concepts() -> dict[str, str]:
    """term -> concept (党建引领, 基层党建, 党建+ -> 党建), from resources/concepts.csv; a term not listed is its own concept."""
    frame = pd.read_csv(CONCEPTS, encoding="utf-8", keep_default_na=False, comment="#")
    return dict(zip(frame["term"], frame["concept"]))


def concept_of(term: str) -> str:
    """The concept a counted term belongs to (itself when it is in no family)."""
    return concepts().get(term, term)


def frequency_scopes(segments: pd.DataFrame) -> dict[str, list[str]]:
    """The scopes of the frequency tables: ALL (every segment), then each street in name order -> its segment ids."""
    scopes = {schema.WHOLE_CORPUS: list(segments["segment_id"])}
    for street, ids in sorted(segments.groupby("street", sort=False)["segment_id"]):
        if street:
            scopes[street] = list(ids)
    return scopes


def concept_frequencies(segments: pd.DataFrame, counted: dict[str, list[str]]) -> pd.DataFrame:
    """Like term_frequencies, one row per concept, with `terms` listing the counted forms (党建 41、党建引领 12)."""
    family = concepts()
    as_concepts = {sid: [family.get(t, t) for t in toks] for sid, toks in counted.items()}
    table = term_frequencies(segments, as_concepts).drop(columns=["concept", "concept_count"]).rename(columns={"term": "concept"})
    del as_concepts  # as long as the token lists: not kept past the counting
    forms: dict[tuple[str, str], dict[str, int]] = {}
    for scope, ids in frequency_scopes(segments).items():
        counts: Counter = Counter()
        for sid in ids:
            counts.update(counted[sid])
        for term, n in counts.items():
            forms.setdefault((scope, family.get(term, term)), {})[term] = n
    table["terms"] = [
        "、".join(f"{t} {n}" for t, n in sorted(forms[(s, c)].items(), key=lambda kv: (-kv[1], kv[0]))) for s, c in zip(table["scope"], table["concept"])
    ]
    return table


def _tally(ids: list[str], counted: dict[str, list[str]]) -> tuple[Counter, Counter]:
    """(occurrences, segments using it) of each term over these segments."""
    counts: Counter = Counter()
    spread: Counter = Counter()
    for sid in ids:
        counts.update(counted[sid])
        spread.update(set(counted[sid]))
    return counts, spread


def term_frequencies(segments: pd.DataFrame, counted: dict[str, list[str]]) -> pd.DataFrame:
    """term_frequencies.csv: per scope (ALL, then each street) the count, rate per 10,000 tokens, segments, and the
    term's concept with the concept's count in the scope (党建引领 → 党建, counted with 党建, 基层党建, 党建+)."""
    scopes = frequency_scopes(segments)
    family = concepts()
    tallies = {scope: _tally(ids, counted) for scope, ids in scopes.items() if scope != schema.WHOLE_CORPUS}
    in_streets = {sid for scope, ids in scopes.items() if scope != schema.WHOLE_CORPUS for sid in ids}
    # The corpus is its streets plus the segments in none: added up, not counted a second time.
    whole = _tally([sid for sid in scopes[schema.WHOLE_CORPUS] if sid not in in_streets], counted)
    for counts, spread in tallies.values():
        whole[0].update(counts)
        whole[1].update(spread)
    tallies = {schema.WHOLE_CORPUS: whole, **tallies}
    rows = []
    for scope, (counts, spread) in tallies.items():
        total = sum(counts.values())
        for term, count in counts.items():
            rows.append(
                {
                    "scope": scope,
                    "term": term,
                    "count": count,
                    "rate_per_10k": round(schema.rate(count, total, schema.PER_TOKENS), 3),
                    "n_segments": spread[term],
                    "scope_tokens": total,
                    "is_place": term in PLACE_NAMES,
                    "concept": family.get(term, term),
                }
            )
    columns = ["scope", "term", "count", "rate_per_10k", "n_segments", "scope_tokens", "is_place", "concept", "concept_count"]
    frame = pd.DataFrame(rows, columns=columns[:-1]).astype({"is_place": bool})  # boolean even when empty (filters)
    frame["concept_count"] = frame.groupby(["scope", "concept"])["count"].transform("sum") if len(frame) else 0
    order = {scope: i for i, scope in enumerate(scopes)}
    return frame.sort_values(["scope", "count", "term"], key=lambda c: c.map(order) if c.name == "scope" else c, ascending=[True, False, True]).reset_index(
        drop=True
    )


MIN_CLOUD_TOKENS = 150  # about one speech: below this a cloud shows only a handful of words


def cloud_groups(freqs: pd.DataFrame, order: list[str], min_tokens: int = MIN_CLOUD_TOKENS) -> list[str]:
    """The groups (scopes of a frequency table) with enough counted tokens for a word cloud, in the order given."""
    sizes = freqs[freqs["scope"] != schema.WHOLE_CORPUS].groupby("scope")["scope_tokens"].first()
    return [g for g in order if sizes.get(g, 0) >= min_tokens]
