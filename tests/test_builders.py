"""Every table builder on a frame of a few rows, with the expected numbers worked out by hand in the comments.

Text is real where it matters (snippets of the seeds, cleaned); hits are placed by hand on the terms the codebook
lists, so a builder's arithmetic is checked apart from the coding rules (tested in test_framing.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.base import outputs, paths, schema, tables
from helpers.base.tables import read_table, write_table
from helpers.stage1_load import cleaning, corpus, pages, segmentation
from helpers.stage1_load.places import Attribution
from helpers.stage2_words import counting
from helpers.stage3_framing import codebook, street_words, streets
from helpers.stage5_report import bilingual

CODES = codebook.load_codebook()
KIND = {c.code: c.kind for c in CODES}
NAME = {c.code: c.name for c in CODES}

# Five documents, one segment each (cleaned snippets of the seeds; character counts are non-space characters,
# punctuation included, counted by hand):
#   a  平湖 speech 2019   合力攻坚冲锋陷阵。(9) 打好征拆硬仗。(7) 换来了群众对征拆工作的理解和支持。(17)   = 33, 3 sentences
#   b  布吉 speech 2019   党建引领攻坚，铸就棚改精神。(14)                                                 = 14, 1 sentence
#   c  平湖 article 2020  在征拆一线成立临时党支部。(13)                                                  = 13, 1 sentence
#   d  district-wide news report 2019  全区共成立65个临时党支部。(14)                                      = 14, 1 sentence
#   e  another district (龙华区 大浪), news report 2019  大浪街道党工委书记表示，要把支部建在项目上。(22)  = 22, 1 sentence
TEXTS = {
    "a": "合力攻坚冲锋陷阵。打好征拆硬仗。换来了群众对征拆工作的理解和支持。",
    "b": "党建引领攻坚，铸就棚改精神。",
    "c": "在征拆一线成立临时党支部。",
    "d": "全区共成立65个临时党支部。",
    "e": "大浪街道党工委书记表示，要把支部建在项目上。",
}
PLACES = {
    "a": ("平湖", schema.IN_AREA, schema.SPEECH, "2019"),
    "b": ("布吉", schema.IN_AREA, schema.SPEECH, "2019"),
    "c": ("平湖", schema.IN_AREA, schema.ARTICLE, "2020"),
    "d": ("", schema.IN_AREA, schema.NEWS, "2019"),
    "e": ("", schema.OUTSIDE, schema.NEWS, "2019"),
}
N_CHARS = {"a": 33, "b": 14, "c": 13, "d": 14, "e": 22}
# The coded terms of each text (codebook terms: 攻坚 冲锋陷阵 打好 硬仗 = battle; 群众 = mass line; 临时党支部
# 支部建在 = organisation; 征拆 = land; 棚改 = shanty), each hit at its first unused occurrence.
CODED = {
    "a": [("攻坚", "battle"), ("冲锋陷阵", "battle"), ("打好", "battle"), ("征拆", "land"), ("硬仗", "battle"), ("群众", "mass_line"), ("征拆", "land")],
    "b": [("攻坚", "battle"), ("棚改", "shanty")],
    "c": [("征拆", "land"), ("临时党支部", "organisation")],
    "d": [("临时党支部", "organisation")],
    "e": [("支部建在", "organisation")],
}


def tiny_segments() -> pd.DataFrame:
    rows = []
    for doc, text in TEXTS.items():
        street, scope, genre, year = PLACES[doc]
        rows.append(
            {"doc_id": doc, "segment_id": f"{doc}-01", "street": street, "scope": scope, "genre": genre, "year": year, "text": text, "n_chars": N_CHARS[doc]}
        )
    return pd.DataFrame(rows)


def tiny_hits() -> pd.DataFrame:
    rows = []
    for doc, coded in CODED.items():
        text, used = TEXTS[doc], set()
        for term, code in coded:
            start = text.index(term)
            while start in used:
                start = text.index(term, start + 1)
            used.add(start)
            left, keyword, right = codebook.kwic(text, start, start + len(term))
            rows.append(
                {
                    "doc_id": doc,
                    "segment_id": f"{doc}-01",
                    "street": PLACES[doc][0],
                    "kind": KIND[code],
                    "code": code,
                    "term": term,
                    "start": start,
                    "left": left,
                    "keyword": keyword,
                    "right": right,
                }
            )
    return pd.DataFrame(rows, columns=codebook.HIT_COLUMNS)


def test_the_tiny_corpus_is_what_the_comments_say():
    assert {d: sum(not c.isspace() for c in t) for d, t in TEXTS.items()} == N_CHARS
    by_code = {c.code: c for c in CODES}
    for doc, coded in CODED.items():
        assert all(term in by_code[code].all_terms() for term, code in coded), doc


@pytest.fixture(scope="module")
def street_tables():
    return streets.street_tables(tiny_segments(), tiny_hits(), CODES, n_boot=400)


def cell(table: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    (row,) = table[mask].to_dict("records")
    return pd.Series(row)


# ---------------------------------------------------------------- street_framing.csv
def test_street_framing_rates_by_hand(street_tables):
    framing, _ = street_tables
    # 平湖, all genres: documents a and c, 33 + 13 = 46 characters in 3 + 1 = 4 sentences; battle: 攻坚 冲锋陷阵 打好
    # 硬仗 = 4 hits → 1000 × 4 / 46 = 86.957; land: 征拆 ×3 → 65.217; organisation 1 → 21.739
    battle = cell(framing, group="平湖", genre=schema.ALL_GENRES, code="battle")
    assert (battle["hits"], battle["n_docs"], battle["n_segments"], battle["n_sentences"], battle["n_chars"]) == (4, 2, 2, 4, 46)
    assert battle["rate_per_1k"] == 86.957
    assert cell(framing, group="平湖", genre=schema.ALL_GENRES, code="land")["rate_per_1k"] == 65.217
    assert cell(framing, group="平湖", genre=schema.ALL_GENRES, code="organisation")["rate_per_1k"] == 21.739
    # 平湖, speech only: document a, 33 characters, battle 4 → 121.212; article only: c, 13 characters, organisation 1 → 76.923
    assert cell(framing, group="平湖", genre=schema.SPEECH, code="battle")[["hits", "n_chars", "rate_per_1k"]].tolist() == [4, 33, 121.212]
    assert cell(framing, group="平湖", genre=schema.ARTICLE, code="organisation")[["hits", "n_chars", "rate_per_1k"]].tolist() == [1, 13, 76.923]
    # 布吉: 攻坚 once in 14 characters → 71.429; district-wide: 临时党支部 once in 14 → 71.429; outside: 1 in 22 → 45.455
    assert cell(framing, group="布吉", genre=schema.ALL_GENRES, code="battle")["rate_per_1k"] == 71.429
    district = cell(framing, group=schema.GROUP_DISTRICT, genre=schema.ALL_GENRES, code="organisation")
    assert (district["street"], district["scope"], district["rate_per_1k"]) == ("", schema.IN_AREA, 71.429)
    outside = cell(framing, group=schema.GROUP_OUTSIDE, genre=schema.ALL_GENRES, code="organisation")
    assert (outside["street"], outside["scope"], outside["n_chars"], outside["rate_per_1k"]) == ("", schema.OUTSIDE, 22, 45.455)
    # the outside text never enters a street or the district
    assert cell(framing, group=schema.GROUP_DISTRICT, genre=schema.ALL_GENRES, code="organisation")["n_chars"] == 14


def test_street_framing_row_order_and_size(street_tables):
    framing, _ = street_tables
    compared = [c for c in CODES if c.kind in streets.COMPARED_KINDS]
    # strata: all, then speech, news report, article (schema order); groups: streets by name, then district-wide, outside
    assert list(dict.fromkeys(framing["genre"])) == [schema.ALL_GENRES, schema.SPEECH, schema.NEWS, schema.ARTICLE]
    pooled = framing[framing["genre"] == schema.ALL_GENRES]
    assert list(dict.fromkeys(pooled["group"])) == ["布吉", "平湖", schema.GROUP_DISTRICT, schema.GROUP_OUTSIDE]
    assert list(pooled[pooled["group"] == "平湖"]["code"]) == [c.code for c in compared]  # codebook order
    # rows: (4 groups in 'all') + (布吉, 平湖 in speech) + (district-wide, outside in news) + (平湖 in article) = 9 blocks
    assert len(framing) == 9 * len(compared)
    assert list(framing.columns) == streets.FRAMING_COLUMNS


def test_street_framing_intervals_contain_the_rate_and_are_ordered(street_tables):
    framing, _ = street_tables
    # 平湖's four sentences carry 2, 2, 0 and 0 battle hits: resampling them moves the rate both ways, so the 95%
    # interval lies strictly around 86.957 (low < rate < high) and is computed on sentences (two documents < 5).
    battle = cell(framing, group="平湖", genre=schema.ALL_GENRES, code="battle")
    assert battle["ci_low"] < battle["rate_per_1k"] < battle["ci_high"]
    assert battle["ci_unit"] == "sentences"
    assert (framing["ci_low"] <= framing["ci_high"]).all()
    hit = framing[framing["hits"] > 0]
    assert ((hit["ci_low"] <= hit["rate_per_1k"]) & (hit["rate_per_1k"] <= hit["ci_high"])).all()
    # a code never coded has a zero interval
    assert cell(framing, group="平湖", genre=schema.ALL_GENRES, code="sacrifice")[["hits", "ci_low", "ci_high"]].tolist() == [0, 0, 0]


def test_street_framing_marks_thin_evidence(street_tables):
    framing, _ = street_tables
    # thin = fewer than 3 hits: 平湖 battle (4) and land (3) are not thin; 平湖 organisation (1), 布吉 battle (1) are
    assert not cell(framing, group="平湖", genre=schema.ALL_GENRES, code="battle")["thin_evidence"]
    assert not cell(framing, group="平湖", genre=schema.ALL_GENRES, code="land")["thin_evidence"]
    assert cell(framing, group="平湖", genre=schema.ALL_GENRES, code="organisation")["thin_evidence"]
    assert cell(framing, group="布吉", genre=schema.ALL_GENRES, code="battle")["thin_evidence"]
    assert framing["thin_evidence"].tolist() == (framing["hits"] < streets.THIN_EVIDENCE).tolist()


# ---------------------------------------------------------------- street_profiles.csv
def test_street_profile_rows_by_hand(street_tables):
    _, profiles = street_tables
    assert list(profiles.columns) == streets.PROFILE_COLUMNS
    pinghu = cell(profiles, group="平湖", genre=schema.ALL_GENRES)
    # task: 征拆 three times (a twice, c once), no other task term → land, "征拆×3"
    assert (pinghu["task_code"], pinghu["task_hits"], pinghu["task_terms"], pinghu["task_tie"]) == ("land", 3, "征拆×3", "")
    # frames: battle 4 first; mass line (群众) and organisation (临时党支部) have one each, the tie goes to the code
    # name in order (mass_line < organisation) → frame 2 = mass line, 1 hit, 21.739 per 1,000 characters
    assert (pinghu["frame_1_code"], pinghu["frame_1_hits"], pinghu["frame_1_rate"]) == ("battle", 4, 86.957)
    assert (pinghu["frame_2_code"], pinghu["frame_2"], pinghu["frame_2_hits"], pinghu["frame_2_rate"]) == ("mass_line", NAME["mass_line"], 1, 21.739)
    low, high = (float(x) for x in pinghu["frame_1_ci"].split("–"))
    assert low < 86.957 < high
    # the second frame rests on one hit: thin
    assert pinghu["thin_evidence"]
    assert 0.5 < pinghu["frame_order_support"] <= 1  # battle (4 hits) stays ahead of mass line (1) in most replicates
    # evidence: the first land hit, 征拆 of 打好征拆硬仗 in a-01, in context
    assert pinghu["evidence_segment"] == "a-01" and pinghu["evidence"] == "…合力攻坚冲锋陷阵。打好【征拆】硬仗。换来了群众对征拆工作的理解和支…"
    assert (pinghu["n_docs"], pinghu["n_segments"], pinghu["n_chars"]) == (2, 2, 46)


def test_street_profile_with_one_frame(street_tables):
    _, profiles = street_tables
    buji = cell(profiles, group="布吉", genre=schema.ALL_GENRES)
    # 布吉: 攻坚 (battle) once, 棚改 (shanty) once: no second frame, thin
    assert (buji["task_code"], buji["task_terms"], buji["frame_1_code"], buji["frame_1_hits"]) == ("shanty", "棚改×1", "battle", 1)
    assert (buji["frame_2"], buji["frame_2_code"], buji["frame_2_hits"]) == ("", "", 0)
    assert buji["thin_evidence"] and buji["evidence"] == "…党建引领攻坚，铸就【棚改】精神。…"
    district = cell(profiles, group=schema.GROUP_DISTRICT, genre=schema.ALL_GENRES)
    assert (district["street"], district["task_code"], district["frame_1_code"], district["evidence_segment"]) == ("", "", "organisation", "d-01")
    assert (profiles["frame_1_code"] != profiles["frame_2_code"]).all()


def test_profile_that_is_not_thin():
    # a street with three task hits and two frames of three hits each is not thin; frame 2 is the other frame
    text = "攻坚克难。攻坚克难。攻坚克难。服务群众。服务群众。服务群众。征拆。征拆。征拆。"
    seg = pd.DataFrame([{"doc_id": "x", "segment_id": "x-01", "street": "平湖", "scope": schema.IN_AREA, "genre": schema.SPEECH, "year": "", "text": text}])
    rows = []
    for term, code in (("攻坚克难", "battle"), ("服务群众", "mass_line"), ("征拆", "land")):
        start = -1
        for _ in range(3):
            start = text.index(term, start + 1)
            rows.append({"doc_id": "x", "segment_id": "x-01", "street": "平湖", "kind": KIND[code], "code": code, "term": term, "start": start})
    hits = pd.DataFrame(rows).assign(left="", keyword="", right="")
    _, profiles = streets.street_tables(seg, hits, CODES, n_boot=50)
    row = cell(profiles, group="平湖", genre=schema.ALL_GENRES)
    assert (row["frame_1_code"], row["frame_2_code"], row["frame_1_hits"], row["frame_2_hits"], row["task_hits"]) == ("battle", "mass_line", 3, 3, 3)
    assert not row["thin_evidence"]


# ---------------------------------------------------------------- framing.csv and framing_by_year.csv
def test_framing_by_document_by_hand():
    table = streets.framing_by_document(tiny_segments(), tiny_hits(), CODES)
    compared = [c for c in CODES if c.kind in streets.COMPARED_KINDS]
    assert len(table) == 5 * len(compared) and list(dict.fromkeys(table["doc_id"])) == ["a", "b", "c", "d", "e"]
    a = table[table["doc_id"] == "a"].set_index("code")
    # document a: 33 characters; battle 4 → 121.212, land 2 → 60.606, mass line 1 → 30.303, water 0 → 0
    assert a.loc["battle", ["hits", "n_chars", "rate_per_1k"]].tolist() == [4, 33, 121.212]
    assert a.loc["land", "rate_per_1k"] == 60.606 and a.loc["mass_line", "rate_per_1k"] == 30.303 and a.loc["water", "hits"] == 0
    e = table[(table["doc_id"] == "e") & (table["code"] == "organisation")].iloc[0]
    assert (e["group"], e["scope"], e["hits"], e["rate_per_1k"]) == (schema.GROUP_OUTSIDE, schema.OUTSIDE, 1, 45.455)


def test_framing_by_year_by_hand():
    table = streets.framing_by_year(tiny_segments(), tiny_hits(), CODES)
    # dated study-area documents only (e is outside): groups and years in sort order
    blocks = list(dict.fromkeys(zip(table["group"], table["year"])))
    assert blocks == [(schema.GROUP_DISTRICT, "2019"), ("布吉", "2019"), ("平湖", "2019"), ("平湖", "2020")]
    row = cell(table, group="平湖", year="2020", code="organisation")
    assert (row["hits"], row["n_docs"], row["n_chars"], row["rate_per_1k"]) == (1, 1, 13, 76.923)  # c: 1 in 13
    assert cell(table, group="平湖", year="2019", code="battle")[["hits", "n_chars", "rate_per_1k"]].tolist() == [4, 33, 121.212]
    undated = tiny_segments().assign(year="")
    assert streets.framing_by_year(undated, tiny_hits(), CODES).empty


# ---------------------------------------------------------------- keyness.csv: the Benjamini–Hochberg step by hand
def keyness_input() -> tuple[pd.DataFrame, dict[str, list[str]]]:
    segments = pd.DataFrame(
        {
            "doc_id": ["a", "b"],
            "segment_id": ["a-01", "b-01"],
            "street": ["平湖", "布吉"],
            "scope": [schema.IN_AREA] * 2,
            "genre": [schema.SPEECH] * 2,
            "n_chars": [40, 60],
            "year": ["", ""],
        }
    )
    # 平湖: 4 sentences — 征拆 in 3, 干部 in 2, 群众 in 1; 布吉: 6 sentences — 群众 in 3, 干部 in 2, 征拆 in none.
    # 社区, 党员, 书记 are in fewer than 3 sentences of the comparison and are not tested: m = 3 terms.
    toks = {
        "a-01": ["征拆", "干部", "。", "征拆", "干部", "。", "征拆", "群众", "。", "社区", "。"],
        "b-01": ["群众", "干部", "。", "群众", "干部", "。", "群众", "。", "党员", "。", "书记", "。", "社区", "。"],
    }
    return segments, toks


def test_keyness_applies_benjamini_hochberg_by_hand():
    segments, toks = keyness_input()
    key, summary = street_words.keyness(segments, toks, lambda t: t != "。")
    pinghu = key[(key["genre"] == schema.ALL_GENRES) & (key["group"] == "平湖")].set_index("term")
    # one-sided Fisher (hypergeometric): 10 sentences, 平湖 draws 4
    #   征拆: 3 of 3 in 平湖 → p = C(3,3)C(7,1)/C(10,4) = 7/210 = 0.03333
    #   干部: 2 of 4 → p = 1 − [C(6,4) + C(4,1)C(6,3)]/C(10,4) = 1 − (15 + 80)/210 = 115/210 = 0.54762
    #   群众: 1 of 4 → p = 1 − C(6,4)/C(10,4) = 195/210 = 0.92857
    assert pinghu.loc["征拆", "p_value"] == pytest.approx(7 / 210, rel=1e-3)
    assert pinghu.loc["干部", "p_value"] == pytest.approx(115 / 210, rel=1e-3)
    assert pinghu.loc["群众", "p_value"] == pytest.approx(195 / 210, rel=1e-3)
    # BH over m = 3: q(rank 3) = 0.92857; q(rank 2) = min(0.54762 × 3/2, 0.92857) = 0.82143; q(rank 1) = min(0.03333 × 3, 0.82143) = 0.1
    assert pinghu.loc["征拆", "q_value"] == pytest.approx(0.1, rel=1e-3)
    assert pinghu.loc["干部", "q_value"] == pytest.approx(115 / 140, rel=1e-3)
    assert pinghu.loc["群众", "q_value"] == pytest.approx(195 / 210, rel=1e-3)
    # at a 5% false-discovery rate nothing passes (without the correction 征拆 would, p = 0.033)
    assert not pinghu["distinctive"].any()
    assert summary.set_index(["genre", "group"]).loc[(schema.ALL_GENRES, "平湖"), ["group_sentences", "terms_tested", "distinctive"]].tolist() == [4, 3, 0]
    # log ratio with +0.5 / +1 smoothing: ln[((3 + .5)/(4 + 1)) / ((0 + .5)/(6 + 1))] = ln 9.8 = 2.2824
    assert pinghu.loc["征拆", "log_ratio"] == round(math.log(9.8), 4)
    assert pinghu.loc["征拆", ["count", "sentences", "group_sentences", "rest_sentences", "sentences_rest"]].tolist() == [3, 3, 4, 6, 0]


def test_keyness_order_and_a_looser_rate():
    segments, toks = keyness_input()
    key, summary = street_words.keyness(segments, toks, lambda t: t != "。", fdr=0.2)
    pinghu = key[(key["genre"] == schema.ALL_GENRES) & (key["group"] == "平湖")]
    # at 20% 征拆 (q = 0.1) passes and comes first; then by q: 干部 (0.821), 群众 (0.929)
    assert pinghu["term"].tolist() == ["征拆", "干部", "群众"] and pinghu["distinctive"].tolist() == [True, False, False]
    assert list(dict.fromkeys(zip(key["genre"], key["group"]))) == [
        (schema.ALL_GENRES, "布吉"),
        (schema.ALL_GENRES, "平湖"),
        (schema.SPEECH, "布吉"),
        (schema.SPEECH, "平湖"),
    ]
    assert summary["distinctive"].tolist() == [0, 1, 0, 1]


# ---------------------------------------------------------------- similarity pairs
def test_supported_pairs_threshold_is_inclusive():
    pairs = pd.DataFrame(
        {"street_a": ["平湖", "布吉", "南湾"], "street_b": ["布吉", "南湾", "平湖"], "cosine": [0.9, 0.8, 0.7], "nearest_support": [0.5, 0.499, 1.0]}
    )
    assert streets.supported_pairs(pairs)["street_a"].tolist() == ["平湖", "南湾"]
    assert streets.supported_pairs(pairs, min_support=0.9)["street_a"].tolist() == ["南湾"]
    assert streets.supported_pairs(pairs.iloc[0:0]).empty


# ---------------------------------------------------------------- term_frequencies.csv, concept_frequencies.csv and the dictionary check
def test_term_frequencies_by_hand():
    segments = pd.DataFrame({"segment_id": ["a", "b", "c"], "street": ["平湖", "布吉", ""]})
    counted = {"a": ["征拆", "征拆", "群众"], "b": ["群众", "平湖"], "c": ["群众"]}
    freqs = counting.term_frequencies(segments, counted)
    # scopes: ALL, then streets by name (布吉 before 平湖); within a scope by count, then term
    assert list(zip(freqs["scope"], freqs["term"])) == [
        ("ALL", "群众"),
        ("ALL", "征拆"),
        ("ALL", "平湖"),
        ("布吉", "平湖"),
        ("布吉", "群众"),
        ("平湖", "征拆"),
        ("平湖", "群众"),
    ]
    rows = freqs.set_index(["scope", "term"])
    # ALL: 6 tokens; 群众 3 → 5,000 per 10,000 in 3 segments; 征拆 2 → 3,333.333; 平湖 1 → 1,666.667 and a place name
    assert rows.loc[("ALL", "群众"), ["count", "rate_per_10k", "n_segments", "scope_tokens"]].tolist() == [3, 5000, 3, 6]
    assert rows.loc[("ALL", "征拆"), "rate_per_10k"] == 3333.333 and rows.loc[("ALL", "平湖"), "rate_per_10k"] == 1666.667
    assert rows.loc[("ALL", "平湖"), "is_place"] and not rows.loc[("ALL", "征拆"), "is_place"]
    # 平湖: 3 tokens, 征拆 2 → 6,666.667 in one segment
    assert rows.loc[("平湖", "征拆"), ["count", "rate_per_10k", "n_segments", "scope_tokens"]].tolist() == [2, 6666.667, 1, 3]


def test_concept_frequencies_rate_and_forms_by_hand():
    segments = pd.DataFrame({"segment_id": ["a", "b"], "street": ["平湖", "平湖"]})
    counted = {"a": ["党建", "党建引领", "群众"], "b": ["基层党建", "群众", "群众", "征拆"]}
    concepts = counting.concept_frequencies(segments, counted).set_index(["scope", "concept"])
    # 党建 + 党建引领 + 基层党建 = 3 of 7 tokens → 4,285.714 per 10,000; 群众 3 → the same, in 2 segments
    row = concepts.loc[("平湖", "党建")]
    assert (row["count"], row["rate_per_10k"], row["n_segments"], row["terms"]) == (3, 4285.714, 2, "党建 1、党建引领 1、基层党建 1")
    assert concepts.loc[("ALL", "群众"), ["count", "n_segments", "terms"]].tolist() == [3, 2, "群众 3"]


def test_content_tokens_keep_only_counted_words():
    tokens = {"s": ["我们", "党建", "，", "3项", "党", "一名", "征拆", "工作"]}
    # stopwords (我们, 工作), punctuation, numbers, numeral-classifiers go; 党 is the kept single character
    assert counting.content_tokens(tokens) == {"s": ["党建", "党", "征拆"]}


def test_dictionary_check_by_hand():
    text = "平湖街道在一年多时间内完成4条河的治水提质房屋征拆工作，征拆一线。"
    segments = pd.DataFrame({"segment_id": ["s"], "text": [text]})
    # 征拆 occurs twice in the text, once as a whole token and once cut in two; 治水提质 once, whole
    tokens = {"s": ["平湖", "街道", "完成", "治水提质", "房屋", "征拆", "工作", "，", "征", "拆", "一线", "。"]}
    check = counting.dictionary_check(segments, tokens).set_index("term")
    assert check.loc["征拆", ["in_text", "whole_tokens", "split"]].tolist() == [2, 1, 1]
    assert check.loc["治水提质", ["in_text", "whole_tokens", "split"]].tolist() == [1, 1, 0]
    assert (check["in_text"] > 0).all() and check.index[0] == "征拆"  # most frequent first
    assert "临时党支部" not in check.index  # a dictionary term not in the text is not listed


def test_hmm_inventions_are_words_in_no_dictionary():
    # 中有 and 园以 are what jieba's HMM invented in 000 (HMM is off now); 党建 is in the dictionary, 征 is one character
    tokens = {"a": ["中有", "党建", "园以", "中有", "征"], "b": ["中有", "园以", "联李"]}
    table = counting.hmm_inventions(tokens, top=2)
    assert table.values.tolist() == [["中有", 3], ["园以", 2]]


# ---------------------------------------------------------------- slogans.csv
def test_slogan_table_on_seed_sentences():
    # cleaned sentences of 000 (平湖's and 园山's speeches)
    text = "全体党员干部充分发扬“5+2、白+黑、晴+雨”的工作精神，舍弃个人休息时间，进棚入户。积极探索“党建+”工作模式，发挥党建引领作用。"
    segments = pd.DataFrame([{"doc_id": "000", "segment_id": "000-03", "street": "平湖", "genre": schema.SPEECH, "text": text}])
    table = codebook.slogan_table(segments)
    assert table[["kind", "slogan"]].values.tolist() == [["numbered formula", "5+2、白+黑、晴+雨"], ["party-building-plus", "党建+"]]
    assert table["sentence"].tolist() == [
        "全体党员干部充分发扬“5+2、白+黑、晴+雨”的工作精神，舍弃个人休息时间，进棚入户。",
        "积极探索“党建+”工作模式，发挥党建引领作用。",
    ]
    assert set(table["street"]) == {"平湖"} and set(table["segment_id"]) == {"000-03"}
    assert codebook.slogan_table(segments.assign(text="平湖街道召开会议。")).empty


# ---------------------------------------------------------------- segments.csv: n_chars
def test_segment_n_chars_count_every_character_but_white_space():
    # 000 as printed, with OCR spaces: 平湖街道 (4) 在一年多 (4) 时间内完成 (5) 。 (1) = 14 characters that are not white space
    text = "平湖街道 在一年多 时间内完成。"
    place = Attribution(schema.IN_AREA, "龙岗区", "平湖", "manifest")
    (seg,) = segmentation.segment_document("x", text, schema.NEWS, place)
    assert seg.n_chars == 14
    documents = pd.DataFrame(
        [
            {
                "doc_id": "x",
                "rejected": False,
                "duplicate_of": "",
                "scope": schema.IN_AREA,
                "district": "龙岗区",
                "street": "平湖",
                "attribution": "manifest",
                "genre": schema.NEWS,
                "title": "",
                "year": "2019",
            }
        ]
    )
    segments = segmentation.segment_corpus(documents, {"x": "攻坚克难。\n\n打好征拆硬仗。"})
    # two paragraphs: 攻坚克难。 (5) and 打好征拆硬仗。 (7)
    assert segments["n_chars"].tolist() == [5, 7] and segments["segment_id"].tolist() == ["x-01", "x-02"]


def test_street_framing_characters_add_up_to_the_segments():
    framing, _ = streets.street_tables(tiny_segments(), tiny_hits(), CODES, n_boot=20)
    pooled = framing[framing["genre"] == schema.ALL_GENRES].drop_duplicates("group").set_index("group")["n_chars"]
    assert pooled.to_dict() == {"布吉": 14, "平湖": 46, schema.GROUP_DISTRICT: 14, schema.GROUP_OUTSIDE: 22}


# ---------------------------------------------------------------- cleaning_log.csv and cleaning_summary.csv
def test_log_frame_and_step_summary_by_hand():
    def edit(seq, step, reason, outcome, removed, added, example):
        return {
            "step": step,
            "seq": seq,
            "start": 0,
            "end": removed,
            "reason": reason,
            "outcome": outcome,
            "copies_removed": 2 if step == "duplicates" else 0,
            "chars_removed": removed,
            "chars_added": added,
            "before": "",
            "after": "",
            "example": example,
        }

    cleaned = {
        "b": ("", [{"doc_id": "b", **edit(1, "duplicates", "repeated paragraph", "deleted", 258, 0, "第一段")}]),
        "a": (
            "",
            [
                {"doc_id": "a", **edit(1, "ocr_spaces", "space inside a word", "repaired", 1, 0, "党建 指引")},
                {"doc_id": "a", **edit(2, "ocr_spaces", "space inside a word", "repaired", 1, 0, "街 道")},
                {"doc_id": "a", **edit(3, "page_breaks", "word across a page break", "joined", 2, 0, "各|街道")},
            ],
        ),
    }
    log = cleaning.log_frame(cleaned)
    # documents in name order, each document's edits in its order
    assert list(zip(log["doc_id"], log["seq"])) == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]
    assert list(log.columns)[:3] == ["doc_id", "step", "seq"]
    summary = cleaning.step_summary(log)
    # a: two OCR-space repairs (1 + 1 characters removed, first example kept), one join; b: one deletion of 2 copies
    spaces = cell(summary, doc_id="a", step="ocr_spaces")
    assert spaces[["edits", "chars_removed", "chars_added", "example", "outcome"]].tolist() == [2, 2, 0, "党建 指引", "repaired"]
    dup = cell(summary, doc_id="b", step="duplicates")
    assert dup[["edits", "copies_removed", "chars_removed"]].tolist() == [1, 2, 258]
    assert len(summary) == 3 and summary["edits"].sum() == len(log)
    # the notebook's views, one row per step (in the order the steps run) and per kind of edit (most removed first)
    steps = cleaning.step_totals(summary)
    assert steps.index.tolist() == ["ocr_spaces", "page_breaks", "duplicates"]
    assert steps.values.tolist() == [[1, 2, 2, 0], [1, 1, 2, 0], [1, 1, 258, 0]]
    kinds = cleaning.reason_totals(summary)
    assert kinds.values.tolist() == [
        ["duplicates", "repeated paragraph", 1, 1, 258],
        ["ocr_spaces", "space inside a word", 1, 2, 2],  # a tie at 2: by step
        ["page_breaks", "word across a page break", 1, 1, 2],
    ]


def test_log_digest_of_batches_is_the_whole_logs():
    raw = corpus.load_corpus(paths.ROOT / "seeds")
    cleaned = {d.doc_id: cleaning.clean_text(d.doc_id, d.text) for d in raw.documents}
    whole = cleaning.log_frame(cleaned)
    digest = cleaning.LogDigest()
    names = sorted(cleaned)
    for ids in (names[:2], names[2:3], names[3:]):  # documents in name order, as clean_in_batches gives them
        part = cleaning.log_frame({doc_id: cleaned[doc_id] for doc_id in ids})
        assert digest.add(part) is part
    assert tables.csv_text(digest.summary()) == tables.csv_text(cleaning.step_summary(whole)), "cleaning_summary.csv"
    key = whole[whole["step"].isin(cleaning.KEY_STEPS)]
    assert digest.key_edits == len(key) > cleaning.KEY_ROWS_SHOWN
    pd.testing.assert_frame_equal(digest.key_rows(), key.head(cleaning.KEY_ROWS_SHOWN).reset_index(drop=True))
    empty = cleaning.LogDigest()
    assert tables.csv_text(empty.summary()) == tables.csv_text(cleaning.step_summary(cleaning.log_frame({})))
    assert empty.key_rows().empty and empty.key_edits == 0


def test_clean_in_batches_gives_every_document_in_name_order(monkeypatch):
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    monkeypatch.setattr(cleaning, "BATCH_CHARS", 6_000)  # the seeds are 24,103 characters
    raw = {d.doc_id: d.text for d in corpus.load_corpus(paths.ROOT / "seeds").documents}
    texts = {doc_id: raw[doc_id] for doc_id in reversed(sorted(raw))}  # any order in, name order out
    batches = list(cleaning.clean_in_batches(texts))
    assert len(batches) >= 3 and [doc_id for batch in batches for doc_id in batch] == sorted(raw)
    assert {doc_id: result for batch in batches for doc_id, result in batch.items()} == {d: cleaning.clean_text(d, raw[d]) for d in raw}


# ---------------------------------------------------------------- figure_index.csv: every run starts clean
def test_start_run_and_finish_record_this_runs_figures(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "TABLES", tmp_path / "build" / "tables")
    monkeypatch.setattr(paths, "CACHE", tmp_path / "build" / "cache")
    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    monkeypatch.setattr(paths, "REPORT_HTML", tmp_path / "build" / "report.html")
    paths.ensure_dirs()
    (paths.FIGURES / "old.png").write_bytes(b"png")
    write_table(pd.DataFrame({"x": [1]}), "stale")
    paths.REPORT_HTML.write_text("old", encoding="utf-8")
    (paths.CACHE / "kept.txt").write_text("cache stays", encoding="utf-8")
    outputs.start_run()
    assert not (paths.FIGURES / "old.png").exists() and not (paths.TABLES / "stale.csv").exists() and not paths.REPORT_HTML.exists()
    assert (paths.CACHE / "kept.txt").exists()
    with pytest.raises(RuntimeError, match="did not write its tables"):
        outputs.finish("04_metrics", {})
    write_table(pd.DataFrame({"value": [65]}), "metrics")
    drawn = paths.FIGURES / "metrics_rates.png"
    drawn.write_bytes(b"png")
    with pytest.raises(RuntimeError, match="does not register"):
        outputs.finish("04_metrics", {"framing_heatmap_streets": drawn})
    index = outputs.finish("04_metrics", {"metrics_rates": drawn, "metrics_largest_counts": None, "metrics_by_street_category": "no street figures"})
    assert index[["figure", "drawn", "note"]].values.tolist() == [
        ["metrics_by_street_category", False, "no street figures"],
        ["metrics_largest_counts", False, "not enough data in this corpus"],
        ["metrics_rates", True, ""],
    ]
    # a re-run of the notebook replaces its rows; the report reads the index back
    outputs.finish("04_metrics", {"metrics_rates": "not drawn"})
    again = read_table(outputs.FIGURE_INDEX)
    assert again["figure"].tolist() == ["metrics_rates"]
    assert outputs.figure_status(again, "metrics_rates") == (False, "not drawn")
    assert outputs.registered("02_words", "wordcloud_平湖") and not outputs.registered("02_words", "metrics_rates")


def test_waiting_for_figures_fails_naming_a_figure_recorded_as_drawn_but_lost(tmp_path, monkeypatch):
    """A drawing queued by a kernel that died between notebooks dies with its worker: the index still says drawn."""
    monkeypatch.setattr(paths, "TABLES", tmp_path / "build" / "tables")
    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    paths.ensure_dirs()
    write_table(pd.DataFrame({"value": [65]}), "metrics")
    drawn, lost = paths.FIGURES / "metrics_rates.png", paths.FIGURES / "metrics_largest_counts.png"
    drawn.write_bytes(b"png")
    lost.write_bytes(b"png")
    outputs.finish("04_metrics", {"metrics_rates": drawn, "metrics_largest_counts": lost, "metrics_by_street_category": "no street figures"})
    outputs.wait_for_figures()  # all there
    lost.unlink()
    assert outputs.lost_figures() == ["metrics_largest_counts"]
    with pytest.raises(RuntimeError, match="recorded as drawn are missing: metrics_largest_counts "):
        outputs.wait_for_figures()


# ---------------------------------------------------------------- saved web pages (documents.csv reads .html too)
PAGE = (
    "<html><head><title> 南湾街道：党建引领\n 基层治理 </title><style>p{color:red}</style></head><body>"
    '<div class="nav">首页 | 新闻</div><p>南湾街道着力提升基层党建精细化水平。</p><script>var s="征拆";</script>\n\n'
    "<p>社区党委&amp;居委会<br>共建共治</p></body></html>"
)


def test_visible_text_of_a_page_drops_title_script_and_style():
    # the fallback reader (issue 15: trafilatura reads the article, the title goes to the metadata): one block per
    # paragraph, <br> a break too, script, style and <title> dropped, entities decoded; page furniture is cleaning's job
    assert pages.visible_text(PAGE) == "首页 | 新闻\n\n南湾街道着力提升基层党建精细化水平。\n\n社区党委&居委会\n\n共建共治"


def test_load_corpus_keeps_web_pages_whole_and_rejects_empty_ones(tmp_path):
    # issue 15: a page is kept whole until the cleaning's first step replaces it by its article, with a log row
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "blank.htm").write_text("<html><script>var s = 1;</script></html>", encoding="utf-8")
    loaded = corpus.load_corpus(tmp_path)
    assert [(d.doc_id, d.text) for d in loaded.documents] == [("page", PAGE)]
    assert [(r.file, r.reason) for r in loaded.rejected] == [("blank.htm", "web page with no visible text")]


def test_glossary_maps_terms_to_english():
    gloss = bilingual.glossary()
    assert gloss["党建"] == "party building" and all(term and english for term, english in gloss.items())
