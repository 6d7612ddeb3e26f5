"""Words: jieba with a domain dictionary, stopwords, a token cache, term frequencies and keyness."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from bisect import bisect_left, bisect_right
from collections import Counter
from functools import lru_cache
from itertools import accumulate
from math import log

import jieba
import jieba.posseg
import pandas as pd
import stopwordsiso

from helpers.base import engine, paths, schema
from helpers.base.chinese import (
    HAN_CHAR,
    codebook_terms,
    jieba_entries,
    marshal_cached,
    pos_tagger,
    release_dictionaries,
    tokenizer,
    userdict_entries,
    userdict_terms,
)
from helpers.stage1_load.places import gazetteer

PROJECT_STOPWORDS = paths.RESOURCES / "stopwords_project.txt"
CONCEPTS = paths.RESOURCES / "concepts.csv"
TOKEN_CACHE = "tokens.sqlite"
SEGMENT_TOKENS = "segment-tokens"  # build/cache/segment-tokens-<key>.marshal: tokenize_segments' whole result
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


# ---------------------------------------------------------------- jieba's tokens, one dictionary pass per block
# jieba.cut splits a text into blocks, maximal runs of these characters, and cuts each block on its own along its
# best path through the dictionary (get_DAG and calc: most of its time); every other character is a token of its
# own, white space apart. posseg splits at the same characters less % and - (no dictionary word holds either, so
# a block without them has the same path in both).
JIEBA_BLOCK = jieba.re_han_default
POSSEG_BLOCK = jieba.posseg.re_han_internal
WHITESPACE = jieba.re_skip_default  # posseg's re_skip_internal is the same
ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")  # jieba.re_eng, one character


def _route(block: str) -> list[int]:
    """jieba's best path through one block (its get_DAG and calc, in one pass and without their per-position lists
    and tuples): for each position, where the path's word from there ends.

    Same arithmetic in the same order (a word scores log(frequency) - log(total) plus the best score after it, a
    character no word starts with scores log(1) - log(total)), and ties go to the longer word as in calc's max."""
    tok = tokenizer()
    tok.check_initialized()
    freq, logtotal, n = tok.FREQ, log(tok.total), len(block)
    score, ends = [0.0] * (n + 1), [0] * (n + 1)
    for k in range(n - 1, -1, -1):
        best, end, i = 0.0, -1, k
        while i < n:
            f = freq.get(block[k : i + 1])
            if f is None:  # no dictionary word starts with this: get_DAG stops here
                break
            if f:
                value = log(f) - logtotal + score[i + 1]
                if end < 0 or value >= best:
                    best, end = value, i + 1
            i += 1
        if end < 0:
            best, end = log(freq.get(block[k]) or 1) - logtotal + score[k + 1], k + 1
        score[k], ends[k] = best, end
    return ends


def _cut_block(block: str, ends: list[int], tokens: list[str]) -> None:
    """jieba.cut's tokens of a block with HMM off: the path's words, runs of lone letters and digits joined."""
    x, n, latin = 0, len(block), ""
    while x < n:
        y = ends[x]
        if y - x == 1 and block[x] in ALNUM:
            latin += block[x]
        else:
            if latin:
                tokens.append(latin)
                latin = ""
            tokens.append(block[x:y])
        x = y
    if latin:
        tokens.append(latin)


def segment_text(text: str) -> list[str]:
    """jieba's tokens with HMM off (the HMM invents fragments such as 中有, 园以, 联李), white space dropped: the
    tokens of tokenizer().lcut(text, HMM=False), cut by jieba's own steps on _route's path."""
    tokens: list[str] = []
    for block in JIEBA_BLOCK.split(text):
        if JIEBA_BLOCK.match(block):
            _cut_block(block, _route(block), tokens)
        else:
            tokens.extend(c for c in block if not c.isspace())
    return tokens


# ---------------------------------------------------------------- people's names, from the same pass
@lru_cache(maxsize=1)
def _name_tagger() -> tuple[jieba.posseg.POSTokenizer, frozenset[str]]:
    """jieba's part-of-speech tagger on the project dictionary, and the domain terms that are never names (once per process)."""
    tagger = pos_tagger(jieba.posseg.POSTokenizer, tokenizer())
    tagger.makesure_userdict_loaded()  # the user dictionary's tags (posseg merges them on its first cut)
    return tagger, frozenset(userdict_terms()) | frozenset(codebook_terms())


def is_name_guess(word: str, flag: str, domain: frozenset[str]) -> bool:
    """A tagger's word worth a closer look as a person's name: tagged nr, two or three characters, a common surname
    first, not a domain term."""
    return flag.startswith("nr") and 2 <= len(word) <= 3 and word[0] in SURNAMES and word not in domain


@lru_cache(maxsize=1)
def _name_words() -> frozenset[str]:
    """The dictionary words posseg would tag as name guesses (tested against a set: no tag lookup per word)."""
    tagger, domain = _name_tagger()
    return frozenset(w for w, tag in tagger.word_tag_tab.items() if w and is_name_guess(w, tag, domain))


# A word jieba's own dictionary lists is not a new person's name even when tagged nr there: those entries are
# mostly common words and places the dictionary mis-tags (龙岗, 高素质, 高水平, 向心力). A word followed by a
# place or organisation suffix names that place (李朗社区, 黄阁坑社区, 龙腾三路, 欧景花园, 李朗股份合作公司).
PLACE_AFTER = re.compile(r"^[一二三四五六七八九十\d]*(社区|街道|村|路|街|区|镇|河|山|湖|坑|花园|小区|片区|大道|股份|公司)")


def is_person_name(word: str, following: str = "") -> bool:
    """Whether a tagger's nr guess is a person: not a place, not a dictionary word, not followed by a place suffix."""
    return word not in PLACE_NAMES and word not in jieba_entries() and not PLACE_AFTER.match(following)


def names_among(words: list[str], guesses: list[int]) -> list[str]:
    """The people's names among a text's tagged words (all of them, in order, white space included), given the
    positions of the name guesses (is_name_guess).

    jieba's dictionary holds some name heads (李德 of 李德强): a two-character guess followed by a lone character and
    then punctuation is taken with that character."""
    names = []
    for i in guesses:
        word, after = words[i], words[i + 1 : i + 3]
        if len(word) == 2 and len(after) >= 1 and len(after[0]) == 1 and HAN_CHAR.match(after[0]) and (len(after) == 1 or not HAN_CHAR.match(after[1])):
            word, after = word + after[0], after[1:]
        if is_person_name(word, "".join(after)):
            names.append(word)
    return sorted(set(names))


def _tag_block(block: str, ends: list[int], words: list[str], guesses: list[int]) -> None:
    """posseg's words of a block with HMM on (its __cut_DAG), on jieba's path; name guesses noted as they come."""
    name_words = _name_words()
    x, n, run = 0, len(block), -1  # run: where the current run of one-character words started
    while x < n:
        y = ends[x]
        if y - x == 1:
            if run < 0:
                run = x
        else:
            if run >= 0:
                _tag_run(block[run:x], words, guesses)
                run = -1
            word = block[x:y]
            if word in name_words:
                guesses.append(len(words))
            words.append(word)
        x = y
    if run >= 0:
        _tag_run(block[run:], words, guesses)


HMM_UNSEEN = -3.14e100  # jieba.posseg's viterbi scores a character a state never emitted with this (its MIN_FLOAT)


@lru_cache(maxsize=1)
def _transitions_into() -> dict[tuple[str, str], dict[tuple[str, str], float]]:
    """posseg's HMM transitions turned round: state -> {previous state: log probability}."""
    into: dict[tuple[str, str], dict[tuple[str, str], float]] = {}
    for before, nexts in jieba.posseg.trans_P.items():
        for state, p in nexts.items():
            into.setdefault(state, {})[before] = p
    return into


def _hmm_states(chars: str) -> list[tuple[str, str]]:
    """posseg's Viterbi path (jieba.posseg.viterbi's route: a (B/M/E/S, tag) state per character), computed the same
    way but looking only at the transitions that exist (most of a state's predecessors cannot precede it, and the
    generic max over all of them is what made the HMM posseg's slowest step).

    Same arithmetic in the same order; a predecessor without a transition scores minus infinity there, so leaving it
    out changes nothing unless nothing else is finite, and then the generic max decides as in jieba."""
    table, start, trans, emit = jieba.posseg.char_state_tab_P, jieba.posseg.start_P, jieba.posseg.trans_P, jieba.posseg.emit_P
    into, everything = _transitions_into(), trans.keys()
    low, never = HMM_UNSEEN, float("-inf")
    scores = {y: start[y] + emit[y].get(chars[0], low) for y in table.get(chars[0], everything)}
    paths: list[dict[tuple[str, str], tuple[str, str] | str]] = [dict.fromkeys(scores, "")]
    for char in chars[1:]:
        live = [y0 for y0 in scores if trans[y0]]
        expected = {y for y0 in live for y in trans[y0]}
        candidates = set(table.get(char, everything)) & expected or expected or set(everything)
        now, back = {}, {}
        for y in candidates:
            e, sources = emit[y].get(char, low), into.get(y, {})
            best, state = never, None
            for y0 in sources if len(sources) < len(live) else live:  # the shorter list
                p = sources.get(y0)
                if p is None or y0 not in scores:  # no transition, or not a state of the last character
                    continue
                value = scores[y0] + p + e
                if state is None or value > best or (value == best and y0 > state):
                    best, state = value, y0
            if state is None or best == never:
                best, state = max((scores[y0] + trans[y0].get(y, never) + e, y0) for y0 in live)
            now[y], back[y] = best, state
        scores = now
        paths.append(back)
    _, state = max((score, y) for y, score in scores.items())
    route = [state] * len(chars)
    for i in range(len(chars) - 1, -1, -1):
        route[i] = state
        state = paths[i][state]
    return route


def _hmm_words(chars: str) -> list[tuple[str, str]]:
    """posseg's (word, tag) pairs of a Chinese stretch from its HMM (its private __cut, on _hmm_states)."""
    states = _hmm_states(chars)
    words, begin, rest = [], 0, 0
    for i, (position, tag) in enumerate(states):
        if position == "B":
            begin = i
        elif position == "E":
            words.append((chars[begin : i + 1], tag))
            rest = i + 1
        elif position == "S":
            words.append((chars[i], tag))
            rest = i + 1
    if rest < len(chars):
        words.append((chars[rest:], states[rest][1]))
    return words


def _tag_run(run: str, words: list[str], guesses: list[int]) -> None:
    """posseg's words of a run of one-character words: a lone character or a dictionary word stays as it is, any
    other run goes to the HMM (a Viterbi over characters × tags, posseg's slowest step), Chinese stretch by stretch.

    The HMM runs only where its answer can change the names found: on a stretch where a name (two or three
    characters, a surname first) can start, or whose first words are among the two names_among reads after a guess;
    elsewhere the stretch stays whole. A run without any surname never went to the HMM and still does not (a lone
    character comes out alone either way, and a longer stretch is no lone character whether whole or cut)."""
    if len(run) == 1:
        words.append(run)
    elif tokenizer().FREQ.get(run):
        words.extend(run)
    else:
        hmm = not SURNAMES.isdisjoint(run)
        domain = _name_tagger()[1]
        for part in jieba.posseg.re_han_detail.split(run):
            if not part:
                continue
            if not jieba.posseg.re_han_detail.match(part):
                words.extend(p for p in jieba.posseg.re_skip_detail.split(part) if p)
            elif hmm and (not SURNAMES.isdisjoint(part[:-1]) or (guesses and guesses[-1] >= len(words) - 2)):
                for word, tag in _hmm_words(part):
                    if is_name_guess(word, tag, domain):
                        guesses.append(len(words))
                    words.append(word)
            else:
                words.append(part)


def read_text(text: str) -> tuple[list[str], list[str]]:
    """(segment_text(text), the people's names in it) from one dictionary pass per jieba block (the per-text task the
    engine runs in its pool and caches).

    People's names are jieba's part-of-speech guesses tagged nr that start with a common surname (names_among); the
    tagger's words come from the same path through the dictionary as the tokens."""
    tokens: list[str] = []
    words: list[str] = []  # posseg's words, in order, white space included (names_among reads the words after a guess)
    guesses: list[int] = []
    for block in JIEBA_BLOCK.split(text):
        if not block:
            continue
        if not JIEBA_BLOCK.match(block):
            for part in WHITESPACE.split(block):
                if WHITESPACE.match(part):
                    words.append(part)
                else:
                    words.extend(part)
                    tokens.extend(c for c in part if not c.isspace())
            continue
        ends = _route(block)
        _cut_block(block, ends, tokens)
        if "%" in block or "-" in block:  # posseg cuts the pieces between them on their own
            for part in POSSEG_BLOCK.split(block):
                if POSSEG_BLOCK.match(part):
                    _tag_block(part, _route(part), words, guesses)
                else:
                    words.extend(part)
        else:
            _tag_block(block, ends, words, guesses)
    return tokens, names_among(words, guesses)


def names_in_text(text: str) -> list[str]:
    """People's names in one text (read_text's)."""
    return read_text(text)[1]


def packed(tokens: list[str]) -> str:
    """Tokens joined by spaces (no token holds white space): the form the pool sends back and the caches keep, read
    back in half the time of a pickled list of short strings."""
    return " ".join(tokens)


def unpacked(joined: str, shared: dict[str, str]) -> list[str]:
    """The tokens of a packed string, each repeated word one string object (see shared_tokens)."""
    return shared_tokens(joined.split(" "), shared) if joined else []


def _read_packed(text: str) -> tuple[str, list[str]]:
    """read_text with its tokens packed (the per-text task the pool runs and the cache keeps)."""
    tokens, names = read_text(text)
    return packed(tokens), names


def read_texts(texts: list[str]) -> list[tuple[list[str], list[str]]]:
    """read_text of every text, through the engine's pool and cached per text in build/cache."""
    results = engine.map_documents(
        _read_packed,
        texts,
        stage="jieba tokens and names",
        code=[sys.modules[__name__]],
        cache_file=paths.CACHE / TOKEN_CACHE,
    )
    shared: dict[str, str] = {}  # one string object per distinct token (see shared_tokens)
    return [(unpacked(joined, shared), names) for joined, names in results]


def shared_tokens(tokens: list[str], shared: dict[str, str]) -> list[str]:
    """The tokens with every repeated word the same string object: a corpus's millions of tokens are a few tens of
    thousands of words, so the token lists (kept by notebooks 02 and 03) hold pointers instead of ~60-byte strings
    (measured: ~75 MB less at 1,000 documents)."""
    return [shared.setdefault(token, token) for token in tokens]


def person_names(texts: list[str], known: set[str] = frozenset()) -> set[str]:
    """People's names in the texts (each text through the engine's pool and cache), plus the known names (speakers)."""
    return {n for n in known if n} | {n for _, names in read_texts(texts) for n in names}


def name_pattern(names: set[str]) -> re.Pattern[str] | None:
    """One alternation of the names, longest first (compiled once for a whole corpus), or None."""
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))) if names else None


def mask_names(text: str, names: set[str] | re.Pattern[str] | None) -> str:
    """The text with every listed name replaced by a line break, so that no token is made of a name or its parts."""
    pattern = names if isinstance(names, re.Pattern) or names is None else name_pattern(names)
    return pattern.sub("\n", text) if pattern is not None else text


def masked_tokens(text: str, tokens: list[str], names: re.Pattern[str] | None) -> list[str]:
    """segment_text(mask_names(text, names)), given tokens = segment_text(text): only the jieba blocks a name touches
    are cut again (a line break ends a block, and jieba cuts every block on its own)."""
    spans = [m.span() for m in names.finditer(text)] if names is not None else []
    if not spans:
        return tokens
    blocks = [m.span() for m in JIEBA_BLOCK.finditer(text)]
    firsts = [start for start, _ in blocks]

    def widened(offset: int, side: int) -> int:
        """The start (side 0) or end (side 1) of the block an offset falls inside, else the offset itself."""
        i = bisect_right(firsts, offset) - 1
        return blocks[i][side] if i >= 0 and blocks[i][0] < offset < blocks[i][1] else offset

    windows: list[tuple[int, int, list[tuple[int, int]]]] = []  # (start, end, the names' spans in it), whole blocks
    for span in spans:
        start, end = widened(span[0], 0), widened(span[1], 1)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]), windows[-1][2] + [span])
        else:
            windows.append((start, end, [span]))
    # tokens are the text less its white space, in order: a window's first token is found by counting characters
    before = [0, *accumulate(map(len, tokens))]
    out: list[str] = []
    done, solid, i = 0, 0, 0  # text[:done] is handled: `solid` characters of it that are not white space, tokens[:i]
    for start, end, names_in in windows:
        solid += len("".join(text[done:start].split()))
        j = bisect_left(before, solid)
        out += tokens[i:j]
        pieces, last = [], start
        for s, e in names_in:
            pieces += [text[last:s], "\n"]
            last = e
        out += segment_text("".join(pieces) + text[last:end])
        solid += len("".join(text[start:end].split()))
        done, i = end, bisect_left(before, solid)
    return out + tokens[i:]


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
    """segment_id -> jieba tokens, people's names masked (the speakers and every name found in any text); each text
    read once (tokens and names) in the engine's process pool, cached per text in build/cache.

    The whole result is kept too (marshal_cached, named by the segments' ids, texts and speakers and this code's
    version; one such file), so notebook 03 reads what notebook 02 made: masking asks for every text's names and re-cuts
    the blocks they touch, about 3 s at 1,000 documents."""
    ids, texts = list(segments["segment_id"]), list(segments["text"])
    speakers = sorted(set(segments["speaker"].fillna("").astype(str))) if "speaker" in segments else []
    key = hashlib.sha256(json.dumps([ids, texts, speakers, engine.code_version(sys.modules[__name__])], ensure_ascii=False).encode("utf-8"))
    made: dict[str, list[str]] = {}  # filled only when the kept result is built in this call

    def build() -> dict[str, str]:
        read = read_texts(texts)
        pattern = name_pattern({n for n in speakers if n} | {n for _, names in read for n in names})
        made.update((sid, masked_tokens(text, toks, pattern)) for sid, text, (toks, _) in zip(ids, texts, read))
        return {sid: packed(toks) for sid, toks in made.items()}

    kept = marshal_cached(f"{SEGMENT_TOKENS}-{key.hexdigest()[:24]}.marshal", build, replaces=f"{SEGMENT_TOKENS}-*.marshal")
    shared: dict[str, str] = {}
    if made:
        return {sid: shared_tokens(toks, shared) for sid, toks in made.items()}
    return {sid: unpacked(joined, shared) for sid, joined in kept.items()}


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
    _name_tagger.cache_clear()  # the last references: freed at once (no cycles, so no gc pass over the token lists)
    _name_words.cache_clear()
    release_dictionaries()


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
