"""Words: jieba with a domain dictionary, stopwords, a token cache, term frequencies and keyness."""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from functools import lru_cache
from importlib.metadata import version

import jieba
import pandas as pd
import stopwordsiso

from . import paths
from .segmentation import LONGGANG_STREETS

USERDICT = paths.RESOURCES / "userdict.txt"
PROJECT_STOPWORDS = paths.RESOURCES / "stopwords_project.txt"
GLOSSARY = paths.RESOURCES / "glossary.csv"
TOKEN_CACHE = "tokens.sqlite"
KEEP_SINGLE = {"党"}  # "the Party" on its own carries meaning; every other single character is left out
HAN = re.compile(r"[\u4e00-\u9fff]")
PLACE_NAMES = set(LONGGANG_STREETS) | {f"{s}街道" for s in LONGGANG_STREETS} | {"龙岗区", "深圳", "深圳市", "龙岗", "全区", "辖区"}


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
    """segment_id -> jieba tokens; texts cut in the engine's process pool, cached per text in build/cache."""
    import sys

    from . import engine

    texts = list(segments["text"])
    cut = engine.map_documents(segment_text, texts, stage="jieba tokenisation", code=[sys.modules[__name__]],
                               cache_file=paths.CACHE / TOKEN_CACHE)
    return dict(zip(segments["segment_id"], cut))


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


def log_odds_dirichlet(group: Counter, rest: Counter, prior: Counter, prior_size: float) -> pd.DataFrame:
    """Monroe, Colaresi & Quinn (2008) log-odds ratio with informative Dirichlet prior, group vs rest.

    alpha_w = prior_size * prior share of w; delta_w = log-odds(w | group) - log-odds(w | rest);
    z = delta / sqrt(1/(y_gw + alpha_w) + 1/(y_rw + alpha_w)).
    """
    prior_total = sum(prior.values())
    n_group, n_rest = sum(group.values()), sum(rest.values())
    rows = []
    for term in sorted(set(group) | set(rest)):
        alpha = prior_size * prior[term] / prior_total
        if alpha <= 0:
            continue
        y_g, y_r = group[term], rest[term]
        log_odds_g = math.log((y_g + alpha) / (n_group + prior_size - y_g - alpha))
        log_odds_r = math.log((y_r + alpha) / (n_rest + prior_size - y_r - alpha))
        delta = log_odds_g - log_odds_r
        z = delta / math.sqrt(1 / (y_g + alpha) + 1 / (y_r + alpha))
        rows.append({"term": term, "count": y_g, "count_rest": y_r, "delta": delta, "z": z})
    return pd.DataFrame(rows, columns=["term", "count", "count_rest", "delta", "z"])


def keyness(segments: pd.DataFrame, counted: dict[str, list[str]], groups: dict[str, list[str]], comparison: str,
            prior_ids: list[str], min_count: int = 2, prior_size: float = 500.0) -> pd.DataFrame:
    """Each group (label -> segment ids) against the other groups of the same comparison; places left out."""
    prior = Counter(t for sid in prior_ids for t in counted[sid] if t not in PLACE_NAMES)
    bags = {label: Counter(t for sid in ids for t in counted[sid] if t not in PLACE_NAMES) for label, ids in groups.items()}
    frames = []
    for label, bag in bags.items():
        rest = sum((b for other, b in bags.items() if other != label), Counter())
        scored = log_odds_dirichlet(bag, rest, prior, prior_size)
        scored = scored[scored["count"] >= min_count].assign(comparison=comparison, group=label)
        frames.append(scored)
    columns = ["comparison", "group", "term", "count", "count_rest", "delta", "z"]
    if not frames:
        return pd.DataFrame(columns=columns)
    result = pd.concat(frames)[columns]
    result["delta"], result["z"] = result["delta"].round(4), result["z"].round(3)
    return result.sort_values(["comparison", "group", "z", "term"], ascending=[True, True, False, True]).reset_index(drop=True)


def glossary() -> dict[str, str]:
    """Chinese term -> English gloss, for the terms this project explains."""
    frame = pd.read_csv(GLOSSARY, encoding="utf-8", keep_default_na=False)
    return dict(zip(frame["term"], frame["english"]))
