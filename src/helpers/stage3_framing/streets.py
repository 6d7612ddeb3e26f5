"""The street as the unit of comparison: pooled framing rates with bootstrap intervals, street profiles and vocabulary
similarity with bootstrap support (keyness, the words distinctive of a street, is in street_words.py).

Every segment belongs to one comparison group: its study-area street, or 'district-wide' (study-area text about no
one street), 'outside' (another district) or 'unknown' (anonymised). Outside and unknown text is shown as its own
group and never pooled into a street, the district or the "rest" of a comparison. Genre is a stratum: each group
has one row per genre and a pooled row with genre 'all'. Copies of a document were dropped before segmentation.
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_right
from collections import Counter

import numpy as np
import pandas as pd
from scipy import sparse

from helpers.base import schema
from helpers.base.chinese import SENTENCE_STOPS, sentence_spans
from helpers.stage3_framing.codebook import Code, read_codebook, showcased_task

SENTENCE_TOKENS = frozenset(SENTENCE_STOPS)
WHITE_SPACE = re.compile(r"\s+")
N_BOOT = 1000  # bootstrap replicates for a rate interval (percentile method)
N_BOOT_SIMILARITY = 200  # replicates for similarity support (each recomputes every street's TF-IDF)
MIN_DOCS_FOR_DOC_BOOTSTRAP = 5  # with fewer documents a document bootstrap has too few distinct resamples
THIN_EVIDENCE = 3  # fewer hits than this: shown, but marked as thin
COMPARED_KINDS = ("frame", "task")  # names (党群服务中心, 领导小组) are coded so that no frame hides in them, not compared
MIN_GROUPS = 2  # a comparison needs at least two groups


# ---------------------------------------------------------------- groups
def group_of(scope: str, street: str) -> str:
    """The comparison group of a segment: its street, or district-wide / outside / unknown."""
    if scope == schema.OUTSIDE:
        return schema.GROUP_OUTSIDE
    if scope == schema.UNKNOWN or not scope:
        return schema.GROUP_UNKNOWN
    return street or schema.GROUP_DISTRICT


def with_groups(segments: pd.DataFrame) -> pd.DataFrame:
    """segments with a `group` column."""
    groups = [group_of(sc, st) for sc, st in zip(segments["scope"], segments["street"])]
    return segments.assign(group=pd.Series(groups, index=segments.index, dtype=object))


def group_order(groups: pd.Series | list[str]) -> list[str]:
    """Streets in name order, then district-wide, outside, unknown."""
    present = set(groups)
    streets = sorted(g for g in present if g not in schema.NON_STREET_GROUPS)
    return streets + [g for g in schema.NON_STREET_GROUPS if g in present]


def strata(segments: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(genre, segments) for the pooled stratum 'all' and then each genre present."""
    out = [(schema.ALL_GENRES, segments)]
    for genre in [g for g in schema.GENRES if g in set(segments["genre"])] + sorted(set(segments["genre"]) - set(schema.GENRES)):
        out.append((genre, segments[segments["genre"] == genre]))
    return out


# ---------------------------------------------------------------- sentences: the unit of resampling
def sentence_units(segments: pd.DataFrame, hits: pd.DataFrame, codes: list[Code]) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per sentence (doc, segment, group, genre, characters) and its hit counts per code (sentences × codes)."""
    code_index = {c.code: i for i, c in enumerate(codes)}
    rows, starts = [], {}
    for seg in segments.itertuples():
        spans = sentence_spans(seg.text)
        starts[seg.segment_id] = (len(rows), [s for s, _ in spans])
        for s, e in spans:  # characters that are not white space (\s is str.isspace, character for character)
            rows.append((seg.doc_id, seg.segment_id, seg.group, seg.genre, str(seg.year), e - s - sum(map(len, WHITE_SPACE.findall(seg.text, s, e)))))
    units = pd.DataFrame(rows, columns=["doc_id", "segment_id", "group", "genre", "year", "n_chars"])
    counts = np.zeros((len(units), len(codes)), dtype=np.int32)
    for segment_id, code, start in zip(hits["segment_id"].tolist(), hits["code"].tolist(), hits["start"].tolist()):
        if segment_id in starts and code in code_index:
            first, seg_starts = starts[segment_id]
            counts[first + max(bisect_right(seg_starts, start) - 1, 0), code_index[code]] += 1
    return units, counts


# ---------------------------------------------------------------- bootstrap
def stable_seed(*parts: str) -> int:
    """A seed that depends only on the names given (so a group's interval does not depend on the others)."""
    return zlib.crc32("\x1f".join(parts).encode("utf-8"))


def bootstrap_rates(hits: np.ndarray, chars: np.ndarray, seed: int, n_boot: int = N_BOOT) -> np.ndarray:
    """Replicates (n_boot × codes) of the pooled rate per 1,000 characters, resampling the rows (units) with
    replacement: multinomial weights, so each replicate is a resample of the same size."""
    n = len(chars)
    if n == 0:
        return np.zeros((n_boot, hits.shape[1]))
    rng = np.random.default_rng(seed)
    out = np.empty((n_boot, hits.shape[1]))
    for first in range(0, n_boot, 100):  # blocks of 100 keep memory bounded for long texts
        weights = rng.multinomial(n, np.full(n, 1 / n), size=min(100, n_boot - first)).astype(float)
        out[first : first + len(weights)] = schema.PER_CHARS * (weights @ hits) / np.maximum(weights @ chars, 1)[:, None]
    return out


def resampling_units(units: pd.DataFrame, counts: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
    """('documents' | 'sentences', hits per unit, characters per unit): documents when there are enough of them,
    because sentences of one document are not independent; else sentences, the next-best unit."""
    n_docs = units["doc_id"].nunique()
    if n_docs >= MIN_DOCS_FOR_DOC_BOOTSTRAP:
        codes = units["doc_id"].astype("category").cat.codes.to_numpy()
        per_doc = np.zeros((n_docs, counts.shape[1]))
        np.add.at(per_doc, codes, counts)
        chars = np.bincount(codes, weights=units["n_chars"].to_numpy(), minlength=n_docs)
        return "documents", per_doc, chars
    return "sentences", counts.astype(float), units["n_chars"].to_numpy(dtype=float)


# ---------------------------------------------------------------- street framing and profiles
FRAMING_COLUMNS = [
    "group",
    "street",
    "scope",
    "genre",
    "kind",
    "code",
    "name",
    "hits",
    "n_docs",
    "n_segments",
    "n_sentences",
    "n_chars",
    "rate_per_1k",
    "ci_low",
    "ci_high",
    "ci_unit",
    "thin_evidence",
]
PROFILE_COLUMNS = [
    "group",
    "street",
    "scope",
    "genre",
    "n_docs",
    "n_segments",
    "n_chars",
    "showcased_task",
    "task_code",
    "task_hits",
    "task_terms",
    "task_tie",
    "frame_1",
    "frame_1_code",
    "frame_1_hits",
    "frame_1_rate",
    "frame_1_ci",
    "frame_2",
    "frame_2_code",
    "frame_2_hits",
    "frame_2_rate",
    "frame_2_ci",
    "frame_order_support",
    "thin_evidence",
    "evidence",
    "evidence_segment",
]


def scope_of_group(group: str) -> str:
    """The scope a group stands for."""
    return {schema.GROUP_OUTSIDE: schema.OUTSIDE, schema.GROUP_UNKNOWN: schema.UNKNOWN}.get(group, schema.IN_AREA)


def quote(hit: pd.Series) -> str:
    """A coded span in context: …left【keyword】right…"""
    return f"…{hit['left']}【{hit['keyword']}】{hit['right']}…"


def street_tables(segments: pd.DataFrame, hits: pd.DataFrame, codes: list[Code], n_boot: int = N_BOOT) -> tuple[pd.DataFrame, pd.DataFrame]:
    """street_framing.csv and street_profiles.csv: every group × genre stratum (and 'all') × code, with intervals."""
    codes = [c for c in codes if c.kind in COMPARED_KINDS]
    book = read_codebook()
    segments = with_groups(segments)
    units, counts = sentence_units(segments, hits, codes)
    hits = hits.merge(segments[["segment_id", "group", "genre"]], on="segment_id", how="inner")
    hits_by_group = dict(tuple(hits.groupby("group", sort=False)))  # split once, not compared row by row per stratum
    frame_idx = [i for i, c in enumerate(codes) if c.kind == "frame"]
    framing_rows, profile_rows = [], []
    for genre, _ in strata(segments):
        in_genre = units if genre == schema.ALL_GENRES else units[units["genre"] == genre]
        for group in group_order(in_genre["group"]):
            mask = (in_genre["group"] == group).to_numpy()
            sub, sub_counts = in_genre[mask], counts[in_genre.index[mask]]
            ci_unit, unit_hits, unit_chars = resampling_units(sub, sub_counts)
            reps = bootstrap_rates(unit_hits, unit_chars, stable_seed(group, genre), n_boot)
            total_chars = int(sub["n_chars"].sum())
            observed = schema.rate(sub_counts.sum(axis=0), total_chars)
            low, high = np.percentile(reps, [2.5, 97.5], axis=0)
            seg_ids = set(sub["segment_id"])
            common = {
                "group": group,
                "street": "" if group in schema.NON_STREET_GROUPS else group,
                "scope": scope_of_group(group),
                "genre": genre,
                "n_docs": sub["doc_id"].nunique(),
                "n_segments": len(seg_ids),
                "n_chars": total_chars,
            }
            for i, code in enumerate(codes):
                n = int(sub_counts[:, i].sum())
                framing_rows.append(
                    {
                        **common,
                        "kind": code.kind,
                        "code": code.code,
                        "name": code.name,
                        "hits": n,
                        "n_sentences": len(sub),
                        "rate_per_1k": round(float(observed[i]), 3),
                        "ci_low": round(float(low[i]), 3),
                        "ci_high": round(float(high[i]), 3),
                        "ci_unit": ci_unit,
                        "thin_evidence": n < THIN_EVIDENCE,
                    }
                )
            group_hits = hits_by_group.get(group, hits.iloc[:0])
            group_hits = group_hits[group_hits["segment_id"].isin(seg_ids)]
            profile_rows.append(profile(common, group_hits, sub_counts, observed, low, high, reps, codes, frame_idx, book))
    framing = pd.DataFrame(framing_rows, columns=FRAMING_COLUMNS)
    profiles = pd.DataFrame(profile_rows, columns=PROFILE_COLUMNS)
    return framing, profiles


def profile(
    common: dict,
    group_hits: pd.DataFrame,
    counts: np.ndarray,
    observed: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    reps: np.ndarray,
    codes: list[Code],
    frame_idx: list[int],
    book,
) -> dict:
    """One street_profiles row: showcased task (task terms decide, outcomes only break ties, a tie is named), two
    strongest frames with intervals and how sure their order is."""
    task = showcased_task(group_hits[group_hits["kind"] == "task"], book)
    task_code = task["code"]
    totals = counts.sum(axis=0)
    ranked = sorted(frame_idx, key=lambda i: (-totals[i], codes[i].code))
    first, second = (ranked + [None, None])[:2]

    def frame_fields(i: int | None, label: str) -> dict:
        if i is None or totals[i] == 0:
            return {f"{label}": "", f"{label}_code": "", f"{label}_hits": 0, f"{label}_rate": 0.0, f"{label}_ci": ""}
        return {
            label: codes[i].name,
            f"{label}_code": codes[i].code,
            f"{label}_hits": int(totals[i]),
            f"{label}_rate": round(float(observed[i]), 3),
            f"{label}_ci": f"{low[i]:.2f}–{high[i]:.2f}",
        }

    support = float(np.mean(reps[:, first] > reps[:, second])) if first is not None and second is not None and totals[first] else float("nan")
    shown = group_hits[group_hits["code"] == task_code] if task_code else group_hits[group_hits["code"] == (codes[first].code if first is not None else "")]
    example = shown.iloc[0] if len(shown) else None
    row = {
        **common,
        "showcased_task": task["name"],
        "task_code": task_code,
        "task_hits": task["hits"],
        "task_terms": task["terms"],
        "task_tie": task["tied_codes"],
        **frame_fields(first, "frame_1"),
        **frame_fields(second, "frame_2"),
        "frame_order_support": round(support, 3),
        "thin_evidence": bool(task["hits"] < THIN_EVIDENCE or (second is None) or totals[second] < THIN_EVIDENCE),
        "evidence": quote(example) if example is not None else "",
        "evidence_segment": example["segment_id"] if example is not None else "",
    }
    return row


def rate_grid(table: pd.DataFrame, codes: list[Code], kind: str, value: str, groups: list[str]) -> pd.DataFrame:
    """A groups × code-names matrix of one column of street_framing (for heatmaps), codes in codebook order."""
    sub = table[table["kind"] == kind]
    names = [c.name for c in codes if c.kind == kind]
    return sub.pivot(index="group", columns="name", values=value).reindex(index=groups, columns=names)


def framing_by_document(segments: pd.DataFrame, hits: pd.DataFrame, codes: list[Code]) -> pd.DataFrame:
    """framing.csv: per document (and its street, scope, genre) and code, hits and rate per 1,000 characters."""
    codes = [c for c in codes if c.kind in COMPARED_KINDS]
    segments = with_groups(segments)
    per_doc = (
        segments.groupby(["doc_id", "group", "street", "scope", "genre"], sort=True)
        .agg(n_segments=("segment_id", "size"), n_chars=("n_chars", "sum"))
        .reset_index()
    )
    counted = (
        hits.merge(segments[["segment_id", "group", "street", "genre"]].rename(columns={"street": "seg_street"}), on="segment_id")
        .groupby(["doc_id", "group", "genre", "code"])
        .size()
        .to_dict()  # a dict look-up per document and code, not a MultiIndex one
    )
    rows = []
    for doc in per_doc.itertuples():
        for code in codes:
            n = int(counted.get((doc.doc_id, doc.group, doc.genre, code.code), 0))
            rows.append(
                {
                    "doc_id": doc.doc_id,
                    "group": doc.group,
                    "street": doc.street,
                    "scope": doc.scope,
                    "genre": doc.genre,
                    "kind": code.kind,
                    "code": code.code,
                    "name": code.name,
                    "hits": n,
                    "n_segments": doc.n_segments,
                    "n_chars": int(doc.n_chars),
                    "rate_per_1k": round(schema.rate(n, doc.n_chars), 3),
                }
            )
    return pd.DataFrame(rows, columns=["doc_id", "group", "street", "scope", "genre", "kind", "code", "name", "hits", "n_segments", "n_chars", "rate_per_1k"])


# ---------------------------------------------------------------- similarity with bootstrap support
def tfidf_rows(counts: sparse.csr_matrix) -> np.ndarray:
    """TF-IDF (count × (log(N / df) + 1)), rows L2-normalised, as a dense groups × terms array."""
    dense = counts.toarray()
    df = (dense > 0).sum(axis=0)
    weights = dense * (np.log(len(dense) / np.maximum(df, 1)) + 1)
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return weights / np.where(norms == 0, 1, norms)


def similarity(segments: pd.DataFrame, tokens: dict[str, list[str]], keep, n_boot: int = N_BOOT_SIMILARITY) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(matrix, pairs): cosine similarity of the study-area streets' pooled TF-IDF vocabulary; for each pair its
    support — the share of bootstrap replicates (sentences resampled within each street) in which one is the
    other's nearest street."""
    segments = with_groups(segments)
    inside = segments[(segments["scope"] == schema.IN_AREA) & ~segments["group"].isin(schema.NON_STREET_GROUPS)]
    streets = group_order(inside["group"])
    if len(streets) < 3:
        return pd.DataFrame(), pd.DataFrame(columns=["street_a", "street_b", "cosine", "nearest_support"])
    vocab: dict[str, int] = {}
    data, rows_i, cols_j, owner = [], [], [], []
    for seg in inside.itertuples():
        for bag_tokens in sentences_of(tokens.get(seg.segment_id, []), keep):
            row = len(owner)
            owner.append(streets.index(seg.group))
            for term, n in Counter(bag_tokens).items():
                rows_i.append(row)
                cols_j.append(vocab.setdefault(term, len(vocab)))
                data.append(n)
    matrix = sparse.csr_matrix((data, (rows_i, cols_j)), shape=(len(owner), len(vocab)), dtype=float)
    owner = np.array(owner)
    membership = sparse.csr_matrix((np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(len(streets), len(owner)))
    observed = tfidf_rows(membership @ matrix)
    sims = observed @ observed.T
    rng = np.random.default_rng(stable_seed("similarity", *streets))
    boot = np.empty((n_boot, len(streets), len(streets)))
    members = [np.flatnonzero(owner == s) for s in range(len(streets))]
    for b in range(n_boot):
        weights = np.zeros(len(owner))
        for rows_of_street in members:  # resample each street's sentences within the street
            size = len(rows_of_street)
            weights[rows_of_street] = rng.multinomial(size, np.full(size, 1 / size)) if size else 0
        rep = tfidf_rows(membership @ sparse.diags(weights) @ matrix)
        boot[b] = rep @ rep.T
    # Resampling shrinks every cosine (a resample repeats some sentences and drops others), so the replicates'
    # levels are biased; what they can tell is which street stays nearest, so support is a share of replicates.
    np.einsum("bii->bi", boot)[:] = -np.inf
    nearest = boot.argmax(axis=2)
    pairs = []
    for a in range(len(streets)):
        for c in range(a + 1, len(streets)):
            support = np.mean((nearest[:, a] == c) | (nearest[:, c] == a))
            pairs.append({"street_a": streets[a], "street_b": streets[c], "cosine": round(float(sims[a, c]), 4), "nearest_support": round(float(support), 3)})
    pair_table = pd.DataFrame(pairs).sort_values(["cosine", "street_a", "street_b"], ascending=[False, True, True], kind="stable")
    return pd.DataFrame(np.round(sims, 4), index=streets, columns=streets), pair_table.reset_index(drop=True)


def sentences_of(tokens: list[str], keep) -> list[list[str]]:
    """The counted tokens of each sentence (with repeats), sentences ending at 。！？； tokens."""
    out, current = [], []
    for t in tokens:
        if t in SENTENCE_TOKENS:
            if current:
                out.append(current)
            current = []
        elif keep(t):
            current.append(t)
    if current:
        out.append(current)
    return out


MIN_PAIR_SUPPORT = 0.5  # a pair is "alike" when one is the other's nearest street in at least half of the replicates


def supported_pairs(pairs: pd.DataFrame, min_support: float = MIN_PAIR_SUPPORT) -> pd.DataFrame:
    """Pairs in which one street is the other's nearest in at least half of the replicates."""
    return pairs[pairs["nearest_support"].astype(float) >= min_support] if len(pairs) else pairs


# ---------------------------------------------------------------- time
def framing_by_year(segments: pd.DataFrame, hits: pd.DataFrame, codes: list[Code]) -> pd.DataFrame:
    """Frame rates per street and year (dated study-area documents only): street, year, code, hits, n_chars, rate."""
    codes = [c for c in codes if c.kind in COMPARED_KINDS]
    segments = with_groups(segments)
    dated = segments[(segments["scope"] == schema.IN_AREA) & (segments["year"].astype(str).str.fullmatch(r"\d{4}"))]
    if dated.empty:
        return pd.DataFrame(columns=["group", "year", "kind", "code", "name", "hits", "n_docs", "n_chars", "rate_per_1k"])
    dated = dated.assign(year=dated["year"].astype(str))
    sizes = dated.groupby(["group", "year"]).agg(n_chars=("n_chars", "sum"), n_docs=("doc_id", "nunique"))
    counted = hits.merge(dated[["segment_id", "group", "year"]], on="segment_id").groupby(["group", "year", "code"]).size().to_dict()
    rows = []
    for (group, year), size in sizes.iterrows():
        for code in codes:
            n = int(counted.get((group, year, code.code), 0))
            rows.append(
                {
                    "group": group,
                    "year": year,
                    "kind": code.kind,
                    "code": code.code,
                    "name": code.name,
                    "hits": n,
                    "n_docs": int(size["n_docs"]),
                    "n_chars": int(size["n_chars"]),
                    "rate_per_1k": round(schema.rate(n, size["n_chars"]), 3),
                }
            )
    return pd.DataFrame(rows)
