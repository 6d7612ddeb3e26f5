"""Words: jieba with a domain dictionary, stopwords, a token cache, term frequencies and keyness."""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from functools import lru_cache
from importlib.metadata import version

import jieba
import pandas as pd
import stopwordsiso

from . import paths
from .places import gazetteer

USERDICT = paths.RESOURCES / "userdict.txt"
PROJECT_STOPWORDS = paths.RESOURCES / "stopwords_project.txt"
GLOSSARY = paths.RESOURCES / "glossary.csv"
TOKEN_CACHE = "tokens.json"
KEEP_SINGLE = {"党"}  # "the Party" on its own carries meaning; every other single character is left out
HAN = re.compile(r"[\u4e00-\u9fff]")
# Place names are counted but kept out of charts and keyness: a street naming itself is not a finding.
PLACE_NAMES = gazetteer().names() | {"全区", "辖区", "本区", "我区"}


def userdict_terms() -> list[str]:
    """The domain terms of the user dictionary, in file order."""
    return [line.split()[0] for line in USERDICT.read_text(encoding="utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """A jieba tokenizer with the domain dictionary loaded (its own instance: no global state)."""
    jieba.setLogLevel(60)
    instance = jieba.Tokenizer()
    instance.tmp_dir = str(paths.CACHE)
    paths.CACHE.mkdir(parents=True, exist_ok=True)
    instance.load_userdict(str(USERDICT))
    return instance


def dictionary_version() -> str:
    """Changes whenever the tokens could change: jieba's version or the user dictionary."""
    return hashlib.sha256((version("jieba") + USERDICT.read_text(encoding="utf-8")).encode()).hexdigest()[:16]


def segment_text(text: str) -> list[str]:
    """jieba's tokens (HMM on for unknown names), white space dropped."""
    return [t for t in tokenizer().lcut(text, HMM=True) if t.strip()]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """stopwords-iso Chinese (MIT) plus the project's short list of generic official-prose words."""
    project = {w.strip() for w in PROJECT_STOPWORDS.read_text(encoding="utf-8").splitlines() if w.strip() and not w.startswith("#")}
    return frozenset(stopwordsiso.stopwords("zh")) | project


def is_content_token(token: str) -> bool:
    """A token worth counting: Chinese, not a stopword, two characters or more (or a kept single)."""
    if token in KEEP_SINGLE:
        return True
    return len(token) >= 2 and bool(HAN.search(token)) and token not in stopwords() and not any(c.isdigit() for c in token)


def tokenize_segments(segments: pd.DataFrame) -> dict[str, list[str]]:
    """segment_id -> jieba tokens, read from build/cache when text and dictionary are unchanged."""
    cache_path = paths.CACHE / TOKEN_CACHE
    stamp = dictionary_version()
    cache = json.loads(cache_path.read_text(encoding="utf-8")) if cache_path.exists() else {}
    cached = cache.get(stamp, {})
    result, fresh = {}, {}
    for row in segments.itertuples():
        key = hashlib.sha256(row.text.encode("utf-8")).hexdigest()[:20]
        tokens = cached.get(key)
        if tokens is None:
            tokens = segment_text(row.text)
        fresh[key] = tokens
        result[row.segment_id] = tokens
    if fresh != cached:
        paths.CACHE.mkdir(parents=True, exist_ok=True)
        cache_path.write_text(json.dumps({stamp: dict(sorted(fresh.items()))}, ensure_ascii=False), encoding="utf-8")
    return result


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
    counts = Counter(t for toks in tokens.values() for t in toks if len(t) >= 2 and HAN.search(t) and t not in known)
    return pd.DataFrame(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top], columns=["token", "count"])


def term_frequencies(segments: pd.DataFrame, counted: dict[str, list[str]]) -> pd.DataFrame:
    """term_frequencies.csv: per scope (ALL, then each street) the count, rate per 10,000 tokens and segments."""
    scopes = {"ALL": list(segments["segment_id"])}
    for street in sorted(s for s in segments["street"].unique() if s):
        scopes[street] = list(segments.loc[segments["street"] == street, "segment_id"])
    rows = []
    for scope, ids in scopes.items():
        counts = Counter(t for sid in ids for t in counted[sid])
        spread = Counter(t for sid in ids for t in set(counted[sid]))
        total = sum(counts.values())
        for term, count in counts.items():
            rows.append({"scope": scope, "term": term, "count": count, "rate_per_10k": round(10_000 * count / total, 3),
                         "n_segments": spread[term], "scope_tokens": total, "is_place": term in PLACE_NAMES})
    columns = ["scope", "term", "count", "rate_per_10k", "n_segments", "scope_tokens", "is_place"]
    frame = pd.DataFrame(rows, columns=columns)
    order = {scope: i for i, scope in enumerate(scopes)}
    return frame.sort_values(["scope", "count", "term"], key=lambda c: c.map(order) if c.name == "scope" else c,
                             ascending=[True, False, True]).reset_index(drop=True)


def glossary() -> dict[str, str]:
    """Chinese term -> English gloss, for the terms this project explains."""
    frame = pd.read_csv(GLOSSARY, encoding="utf-8", keep_default_na=False)
    return dict(zip(frame["term"], frame["english"]))
