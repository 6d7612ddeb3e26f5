"""The words distinctive of a street (notebook 02): each study-area street's sentences against the rest of the
study area's, one exact test per term, Benjamini–Hochberg corrected, per genre and pooled.

Kept apart from streets.py because it needs scipy.stats (about 0.8 s and 60 MB to import): notebooks 03 and 05,
which read the streets' framing, do not load it. Even here it is imported by `keyness`, not at the top: notebook 02
imports this module before its first chart can be drawn, and everything the kernel does before that chart delays the
drawing worker, whose charts decide when the report can start (at 1,000 documents the kernel meets the report seconds
before the last chart is drawn, so a second's work after the first chart costs no time).
"""

from __future__ import annotations

from array import array

import numpy as np
import pandas as pd

from helpers.base import schema
from helpers.stage3_framing.streets import MIN_GROUPS, SENTENCE_TOKENS, group_order, strata, with_groups

FDR = 0.05  # Benjamini–Hochberg false-discovery rate for keyness
MIN_TERM_SENTENCES = 3  # a term must occur in this many sentences of a comparison to be tested at all


# ---------------------------------------------------------------- keyness: an exact test on sentences, BH-corrected
KEYNESS_COLUMNS = [
    "genre",
    "group",
    "term",
    "count",
    "sentences",
    "group_sentences",
    "rest_sentences",
    "sentences_rest",
    "log_ratio",
    "p_value",
    "q_value",
    "distinctive",
]


def sentence_presence(
    segments: pd.DataFrame, tokens: dict[str, list[str]], keep
) -> tuple[list[tuple[str, str]], list[str], np.ndarray, np.ndarray, np.ndarray]:
    """One pass over the text: the (group, genre) cells of the segments, the terms kept, and per cell its number of
    sentences, how many of them contain each term (cells × terms) and how often each term occurs (cells × terms)."""
    cells: dict[tuple[str, str], int] = {}
    vocab: dict[str, int] = {}
    kept: dict[str, bool] = {}  # keep() decided once per distinct token
    n_sentences: list[int] = []
    present_at, counted_at = array("q"), array("q")  # cell × vocabulary position, one entry per sentence use / per token
    for segment_id, group, genre in zip(segments["segment_id"], segments["group"], segments["genre"]):
        cell = cells.setdefault((group, genre), len(cells))
        if cell == len(n_sentences):
            n_sentences.append(0)
        sentence: list[int] = []
        for t in [*tokens.get(segment_id, []), "。"]:  # a closing stop ends the last sentence
            if t in SENTENCE_TOKENS:
                if sentence:
                    n_sentences[cell] += 1
                    counted_at.extend(sentence)
                    present_at.extend(set(sentence))
                sentence = []
                continue
            use = kept.get(t)
            if use is None:
                use = kept[t] = bool(keep(t))
            if use:
                sentence.append(cell << 32 | vocab.setdefault(t, len(vocab)))
    shape = (len(cells), len(vocab))

    def grid(at: array) -> np.ndarray:
        codes = np.frombuffer(at, dtype=np.int64) if len(at) else np.zeros(0, dtype=np.int64)
        return np.bincount((codes >> 32) * shape[1] + (codes & 0xFFFFFFFF), minlength=shape[0] * shape[1]).reshape(shape)

    return list(cells), list(vocab), np.array(n_sentences, dtype=np.int64), grid(present_at), grid(counted_at)


def keyness(segments: pd.DataFrame, tokens: dict[str, list[str]], keep, fdr: float = FDR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(keyness.csv, keyness_summary.csv): each study-area street against the rest of the study area's text.

    Test: Fisher's exact test (one-sided, hypergeometric) on the number of the street's sentences that contain the
    term, against the other sentences — sentences, not tokens, so a term repeated in one sentence counts once.
    Terms in fewer than MIN_TERM_SENTENCES sentences of the comparison are not tested (a filter blind to the
    street, so it keeps the correction valid); Benjamini–Hochberg over the terms tested for each street.

    The text is read once (sentence_presence); each stratum adds up its cells, and each street's "rest" is the
    stratum's total minus the street. Every test of every street runs in one vectorised call."""
    from scipy.stats import false_discovery_control, hypergeom  # here, not at the top: see the module's note

    segments = with_groups(segments)
    inside = segments[segments["scope"] == schema.IN_AREA]
    cells, vocab, n_sentences, present, counted = sentence_presence(inside, tokens, keep)
    by_term = np.argsort(np.array(vocab, dtype=object), kind="stable") if vocab else np.zeros(0, dtype=np.int64)
    blocks, summary = [], []  # blocks: one per street and stratum (genre, street, n_group, rest, term positions, k, n_term, count)
    for genre, part in strata(inside):
        groups = group_order(part["group"])
        streets = [g for g in groups if g not in schema.NON_STREET_GROUPS]
        if len(groups) < MIN_GROUPS or not streets:
            continue
        members = {g: [i for i, (group, cell_genre) in enumerate(cells) if group == g and genre in (schema.ALL_GENRES, cell_genre)] for g in groups}
        everywhere = present[[i for rows in members.values() for i in rows]].sum(axis=0)
        total = int(n_sentences[[i for rows in members.values() for i in rows]].sum())
        tested = by_term[everywhere[by_term] >= MIN_TERM_SENTENCES]  # vocabulary positions in term order
        for street in streets:
            n_group = int(n_sentences[members[street]].sum())
            if not len(tested) or n_group == 0:
                summary.append({"genre": genre, "group": street, "group_sentences": n_group, "terms_tested": 0, "distinctive": 0})
                continue
            k = present[members[street]][:, tested].sum(axis=0)
            count = counted[members[street]][:, tested].sum(axis=0)
            blocks.append((genre, street, n_group, total - n_group, tested, k, everywhere[tested], count))
            summary.append({"genre": genre, "group": street, "group_sentences": n_group, "terms_tested": len(tested), "distinctive": 0})
    # One call for every test, each distinct (k, total, n_term, n_group) once: rare terms share their counts, and
    # the survival function is elementwise, so these are the numbers of one call per street.
    tests = np.stack(
        [
            np.concatenate([b[5] for b in blocks]) - 1,
            np.concatenate([np.full(len(b[5]), b[2] + b[3]) for b in blocks]),
            np.concatenate([b[6] for b in blocks]),
            np.concatenate([np.full(len(b[5]), b[2]) for b in blocks]),
        ]
        if blocks
        else np.zeros((4, 0), dtype=np.int64),
        axis=1,
    )
    distinct, where = np.unique(tests, axis=0, return_inverse=True)
    p_all = hypergeom.sf(*distinct.T)[where.reshape(-1)] if len(distinct) else np.zeros(0)
    columns: dict[str, list] = {c: [] for c in KEYNESS_COLUMNS}
    distinctive_of: dict[tuple[str, str], int] = {}
    start = 0
    for genre, street, n_group, rest, tested, k, n_term, count in blocks:
        p = p_all[start : start + len(k)]
        start += len(k)
        q = false_discovery_control(np.clip(p, 0, 1), method="bh")
        log_ratio = np.log(((k + 0.5) / (n_group + 1)) / ((n_term - k + 0.5) / (rest + 1)))
        distinctive = (q <= fdr) & (log_ratio > 0)
        distinctive_of[(genre, street)] = int(distinctive.sum())
        shown = np.flatnonzero(k > 0)
        columns["genre"] += [genre] * len(shown)
        columns["group"] += [street] * len(shown)
        columns["term"] += [vocab[i] for i in tested[shown]]
        columns["count"] += count[shown].tolist()
        columns["sentences"] += k[shown].tolist()
        columns["group_sentences"] += [n_group] * len(shown)
        columns["rest_sentences"] += [rest] * len(shown)
        columns["sentences_rest"] += (n_term[shown] - k[shown]).tolist()
        columns["log_ratio"] += [round(float(v), 4) for v in log_ratio[shown]]
        columns["p_value"] += [float(f"{v:.4g}") for v in p[shown]]
        columns["q_value"] += [float(f"{v:.4g}") for v in q[shown]]
        columns["distinctive"] += distinctive[shown].tolist()
    for row in summary:
        row["distinctive"] = distinctive_of.get((row["genre"], row["group"]), 0)
    table = pd.DataFrame(columns, columns=KEYNESS_COLUMNS).astype({"distinctive": bool})
    table = table.sort_values(
        ["genre", "group", "distinctive", "q_value", "log_ratio", "term"], ascending=[True, True, False, True, False, True], kind="stable"
    ).reset_index(drop=True)
    return table, pd.DataFrame(summary, columns=["genre", "group", "group_sentences", "terms_tested", "distinctive"])
