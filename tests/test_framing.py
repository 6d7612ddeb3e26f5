"""Framing: the codebook validates, KWIC windows are right, slogans and formulas come out of real sentences."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import framing


def test_codebook_loads_and_is_valid():
    codes = framing.load_codebook()
    frames = [c for c in codes if c.kind == "frame"]
    assert {c.code for c in frames} == {"battle", "organisation", "mass_line", "leadership", "innovation", "sacrifice"}
    assert all(c.terms or c.patterns for c in codes)
    assert all(all(g for g in c.terms.values()) for c in codes), "every term has an English gloss"


@pytest.mark.parametrize("yaml_text, message", [
    ("frames:\n  - code: a\n    name: A\n    terms: {}\n    patterns: {}\n", "no terms"),
    ("frames:\n  - code: a\n    name: A\n    terms: {攻坚: x}\n  - code: b\n    name: B\n    terms: {攻坚: y}\n", "both"),
    ("frames:\n  - code: a\n    name: A\n    patterns: {'(unclosed': x}\n", "does not compile"),
])
def test_bad_codebooks_are_refused(tmp_path, yaml_text, message):
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(framing.CodebookError, match=message):
        framing.load_codebook(path)


def test_shared_terms_are_allowed_when_listed(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text("shared_terms: {攻坚: both}\nframes:\n  - code: a\n    name: A\n    terms: {攻坚: x}\n"
                    "  - code: b\n    name: B\n    terms: {攻坚: y}\n", encoding="utf-8")
    assert len(framing.load_codebook(path)) == 2


def test_longest_match_wins_and_counts_once():
    codes = framing.load_codebook()
    hits = framing.code_hits("充分发挥临时党支部的战斗堡垒作用，全体党员干部充分发扬“5+2、白+黑、晴+雨”的工作精神", codes)
    frames = [(h.code, h.term) for h in hits if h.kind == "frame"]
    assert ("battle", "战斗堡垒") in frames and ("battle", "堡垒") not in frames
    assert ("sacrifice", "5+2、白+黑、晴+雨") in frames
    assert not any(code == "innovation" for code, _ in frames)


def test_kwic_window():
    text = "坂田充分发挥街道党工委的领导核心作用，集中力量，全力攻坚"
    start = text.index("攻坚")
    assert framing.kwic(text, start, start + 2, width=4) == ("量，全力", "攻坚", "")
    left, keyword, right = framing.kwic("党建引领\n攻坚克难", 5, 9, width=3)
    assert (left, keyword, right) == ("引领 ", "攻坚克难", "")


def test_kwic_rows_point_back_to_the_text():
    segments = pd.DataFrame({"doc_id": ["d"], "segment_id": ["d-01"], "street": ["横岗"], "genre": ["speech excerpt"],
                             "attribution": ["speaker"], "n_chars": [40],
                             "text": ["在攻坚关键阶段更需啃骨头、拔钉子、涉险滩，打造一支勇立潮头的铁军"]})
    hits = framing.coded_segments(segments, framing.load_codebook())
    battle = hits[hits["code"] == "battle"]
    assert list(battle["term"]) == ["攻坚", "啃骨头", "拔钉子", "涉险滩", "铁军"]
    row = battle.iloc[-1]
    assert (row["left"] + row["keyword"] + row["right"]).endswith("打造一支勇立潮头的铁军")


@pytest.mark.parametrize("sentence, expected", [
    ("“3+3+6”模式实施一年半以来，吉华街道党员干部的事情变多了", [("numbered formula", "3+3+6")]),
    ("全体党员干部充分发扬“5+2、白+黑、晴+雨”的工作精神", [("numbered formula", "5+2、白+黑、晴+雨")]),
    ("建立“1+8”小区多元协商制度（党支部+八类协商主体），完善“3+ 4”协商议事规则", [("numbered formula", "1+8"), ("numbered formula", "3+4")]),
    ("宝龙街道党工委积极探索“党建+征拆”的新模式", [("party-building-plus", "党建+征拆")]),
    ("以党建引领、创新引领、品质引领、作风引领“四个引领”开篇、点题", [("numbered phrase", "四个引领")]),
    ("探索“一核多元”花园小区治理新模式", [("one-core formula", "一核多元")]),
    ("充分阐释了“拆迁路上没有钉子户”的深刻涵义", [("quoted slogan", "拆迁路上没有钉子户")]),
    ("平湖街道在一年多时间内完成4条河的治水提质房屋征拆工作", []),
])
def test_slogans_and_formulas(sentence, expected):
    assert [(k, s) for k, s, _ in framing.find_slogans(sentence)] == expected


def test_tfidf_similarity():
    tfidf = framing.tfidf_matrix({"a": ["征拆", "征拆", "群众"], "b": ["征拆", "群众"], "c": ["安全生产", "排查"]})
    sims = framing.cosine_similarity(tfidf)
    assert sims.loc["a", "a"] == pytest.approx(1)
    assert sims.loc["a", "b"] > sims.loc["a", "c"] == 0
    assert framing.shared_terms(tfidf, "a", "b")[0] == "征拆"
