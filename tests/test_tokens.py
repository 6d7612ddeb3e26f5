"""Words: dictionary terms come out whole, stopwords go, keyness matches a hand computation."""
from __future__ import annotations

import math
from collections import Counter

import pandas as pd
import pytest

from helpers import tokens


@pytest.mark.parametrize("sentence, term", [
    ("充分发挥临时党支部的战斗堡垒作用和党员干部的先锋模范作用", "临时党支部"),
    ("充分发挥临时党支部的战斗堡垒作用和党员干部的先锋模范作用", "战斗堡垒"),
    ("充分发挥临时党支部的战斗堡垒作用和党员干部的先锋模范作用", "先锋模范"),
    ("平湖街道在一年多时间内完成4条河的治水提质房屋征拆工作", "治水提质"),
    ("平湖街道在一年多时间内完成4条河的治水提质房屋征拆工作", "征拆"),
    ("完成了久拖未决的老太坑土地整备任务", "土地整备"),
    ("以加强花园小区党支部建设为着力点", "花园小区"),
    ("讲述基层一线党建引领各项急难险重工作的心得体会", "急难险重"),
    ("街道在党群服务中心设置党建书吧", "党群服务中心"),
    ("街道党工委迅速成立专项工作领导小组", "党工委"),
])
def test_dictionary_terms_come_out_whole(sentence, term):
    assert term in tokens.segment_text(sentence)


def test_stopwords_punctuation_numbers_and_single_characters_are_not_counted():
    toks = tokens.segment_text("我们进一步加强党建工作，坚持党对一切工作的领导，取得3项成效。")
    counted = [t for t in toks if tokens.is_content_token(t)]
    assert "党建" in counted and "党" in counted
    for dropped in ("我们", "进一步", "加强", "工作", "，", "3", "。", "的"):
        assert dropped not in counted


def test_stopword_sources():
    assert {"我们", "的"} <= tokens.stopwords()  # stopwords-iso
    assert "推进" in tokens.stopwords()  # project list
    assert "群众" not in tokens.stopwords() and "攻坚" not in tokens.stopwords()


def test_token_cache_is_reused(tmp_path, monkeypatch):
    from helpers import paths

    monkeypatch.setattr(paths, "CACHE", tmp_path)
    segments = pd.DataFrame({"segment_id": ["s1"], "text": ["充分发挥临时党支部的战斗堡垒作用"]})
    first = tokens.tokenize_segments(segments)
    assert (tmp_path / tokens.TOKEN_CACHE).exists()
    monkeypatch.setattr(tokens, "segment_text", lambda text: pytest.fail("segmented again"))
    assert tokens.tokenize_segments(segments) == first
