"""Pytudes-style pins on the five seeds: numbers of the build tables checked by hand against the seed text, each
with how it was checked. test_streets.py pins 平湖's speech length (417) and 坪地's profile; these add a framing
rate, a whole profile row, the number of reported figures, a keyness score and a term count."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.base import schema
from helpers.stage1_load import cleaning, corpus, describe, segmentation
from helpers.stage2_words import counting
from helpers.stage3_framing import codebook, street_words, streets
from helpers.stage4_quantities import reported

from conftest import SEEDS

CODES = codebook.load_codebook()


@pytest.fixture(scope="module")
def seed_tables() -> dict[str, pd.DataFrame]:
    """Notebooks 01-04 in process on seeds/ (the tables the pins read)."""
    raw = corpus.load_corpus(SEEDS)
    cleaned = {d.doc_id: cleaning.clean_text(d.doc_id, d.text) for d in raw.documents}
    documents = describe.describe_documents(raw, cleaned, corpus.read_manifest(SEEDS))
    segments = segmentation.segment_corpus(documents, {k: v[0] for k, v in cleaned.items()})
    hits = codebook.coded_segments(segments, CODES)
    framing, profiles = streets.street_tables(segments, hits, CODES, n_boot=200)
    tokens = counting.tokenize_segments(segments)
    keyness, keyness_summary = street_words.keyness(segments, tokens, counting.is_compared_token)
    return {
        "segments": segments,
        "street_framing": framing,
        "street_profiles": profiles,
        "keyness": keyness,
        "keyness_summary": keyness_summary,
        "term_frequencies": counting.term_frequencies(segments, counting.content_tokens(tokens)),
        "metrics": reported.metrics_table(segments[segments["doc_id"].str.startswith("000")]),  # the figures pin reads 000
    }


def one(table: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    (row,) = table[mask].to_dict("records")
    return pd.Series(row)


def test_pinned_framing_rate_pinghu_battle(seed_tables):
    # Read in 000, 平湖's speech (417 characters, pinned in test_streets): the battle terms are 钉子户 (拆迁路上没有
    # 钉子户), 排头兵, 突破重围, 攻坚 (合力攻坚) and 冲锋陷阵 — 5; 攻坚 inside 东进战略攻坚年 is a campaign's name and is
    # not coded. 1000 × 5 / 417 = 11.990 per 1,000 characters.
    row = one(seed_tables["street_framing"], group="平湖", genre=schema.SPEECH, code="battle")
    assert (row["hits"], row["n_chars"], row["rate_per_1k"]) == (5, 417, 11.99)
    assert row["ci_low"] < row["rate_per_1k"] < row["ci_high"] and row["ci_unit"] == "sentences"
    assert not row["thin_evidence"]


def test_pinned_profile_row_buji_speech(seed_tables):
    # Read in 000, 布吉's speech (470 non-space characters): 棚改 three times (铸就棚改精神, 布吉街道棚改工作,
    # 棚改工作的实施) and no other task more often (征收 once) → shanty, 棚改×3. Mass line: 群众 six times, 群众工作,
    # 耐心, 谈心, 居民 = 10 → 1000 × 10 / 470 = 21.277. Battle: 攻坚 ×2, 战斗堡垒, 作战服, 打好硬仗, 战斗力 ×2, 打赢,
    # 硬仗 = 9 → 19.149. Three task hits and nine for the second frame: not thin.
    row = one(seed_tables["street_profiles"], group="布吉", genre=schema.SPEECH)
    assert (row["n_docs"], row["n_segments"], row["n_chars"]) == (1, 1, 470)
    assert (row["task_code"], row["task_hits"], row["task_terms"], row["task_tie"]) == ("shanty", 3, "棚改×3", "")
    assert (row["frame_1_code"], row["frame_1_hits"], row["frame_1_rate"]) == ("mass_line", 10, 21.277)
    assert (row["frame_2_code"], row["frame_2_hits"], row["frame_2_rate"]) == ("battle", 9, 19.149)
    assert not row["thin_evidence"]
    assert row["evidence"] == "…党建引领攻坚，铸就【棚改】精神。布吉街道棚改工作的快速推进，得…"


def test_pinned_number_of_reported_figures_in_000(seed_tables):
    # Every number in 000 read by hand (digits with grep, Chinese numerals by reading): 11个 (the lead's eleven
    # secretaries), 4条 (河, 平湖), 20多天 (布吉), 11个 (工作小组, 横岗), 5个月, 11个 again (the same working groups:
    # a restatement), 5次 (龙城) = 7 rows, 6 facts. Not figures: 24小时 twice (around the clock), 3+3+6 and 5+2
    # (formulas), 一年多 / 近一年 / 一年半以来 (periods), 一次次, 一名, 一支, 一项 (counting words in set phrases).
    figures = seed_tables["metrics"]
    mine = figures[figures["doc_id"].str.startswith("000")]
    assert mine["raw"].tolist() == ["11个", "4条", "20多天", "11个", "5个月", "11个", "5次"]
    assert (mine["restates"] != "").sum() == 1


def test_pinned_keyness_score_pinghu_fangwu(seed_tables):
    # 平湖's text (all genres): its speech in 000 (5 sentences) and 001's paragraph on 平湖 (3 sentences) = 8
    # sentences. 房屋 is in 4 of them (治水提质房屋征拆 three times in the speech, 房屋征拆 once in 001) and in no other
    # sentence of the study area (001's 房屋信息 is one word). The study area has 250 sentences (the group_sentences
    # of keyness_summary), so the rest has 242. One-sided Fisher: all 4 sentences with the term fall in 平湖's 8:
    # p = C(8,4) / C(250,4) = 70 / 158,882,750 = 4.406e-7; log ratio = ln[((4 + .5)/(8 + 1)) / ((0 + .5)/(242 + 1))] = ln 243.
    row = one(seed_tables["keyness"], genre=schema.ALL_GENRES, group="平湖", term="房屋")
    assert (row["sentences"], row["group_sentences"], row["sentences_rest"], row["rest_sentences"]) == (4, 8, 0, 242)
    assert row["p_value"] == pytest.approx(math.comb(8, 4) / math.comb(250, 4), rel=1e-3)
    assert row["log_ratio"] == round(math.log(243), 4)
    # Benjamini–Hochberg: 房屋 has the smallest p of the terms tested for 平湖 (治水提质 is next, 1.5e-5), so its q is
    # p × m / 1 with m the number of terms tested (keyness_summary) — far below 5%: distinctive
    tested = one(seed_tables["keyness_summary"], genre=schema.ALL_GENRES, group="平湖")["terms_tested"]
    assert row["q_value"] == pytest.approx(row["p_value"] * tested, rel=1e-3) and row["q_value"] > 100 * row["p_value"]
    assert row["distinctive"] and row["q_value"] <= street_words.FDR


def test_pinned_term_count_zhengchai(seed_tables):
    # grep: 征拆 occurs 35 times in the cleaned segments; twice it is inside 土地征拆 (002: 土地征拆是“天下第一难”,
    # 土地征拆协议), a word of its own in the dictionary → 33 tokens of 征拆 in the corpus.
    assert sum(text.count("征拆") for text in seed_tables["segments"]["text"]) == 35
    row = one(seed_tables["term_frequencies"], scope="ALL", term="征拆")
    assert row["count"] == 33
    assert row["rate_per_10k"] == round(10_000 * 33 / row["scope_tokens"], 3)
    assert one(seed_tables["term_frequencies"], scope="ALL", term="土地征拆")["count"] == 2
