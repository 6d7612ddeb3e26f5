"""Words: dictionary terms come out whole, stopwords go, keyness matches a hand computation."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.base import chinese, schema
from helpers.stage2_words import counting


@pytest.mark.parametrize(
    "sentence, term",
    [
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
    ],
)
def test_dictionary_terms_come_out_whole(sentence, term):
    assert term in counting.segment_text(sentence)


def test_stopwords_punctuation_numbers_and_single_characters_are_not_counted():
    toks = counting.segment_text("我们进一步加强党建工作，坚持党对一切工作的领导，取得3项成效。")
    counted = [t for t in toks if counting.is_content_token(t)]
    assert "党建" in counted and "党" in counted
    for dropped in ("我们", "进一步", "加强", "工作", "，", "3", "。", "的"):
        assert dropped not in counted


def test_stopword_sources():
    assert {"我们", "的"} <= counting.stopwords()  # stopwords-iso
    assert "推进" in counting.stopwords()  # project list
    assert "群众" not in counting.stopwords() and "攻坚" not in counting.stopwords()


def test_token_cache_is_reused(tmp_path, monkeypatch):
    from helpers.base import paths

    monkeypatch.setattr(paths, "CACHE", tmp_path)
    segments = pd.DataFrame({"segment_id": ["s1"], "text": ["充分发挥临时党支部的战斗堡垒作用"]})
    first = counting.tokenize_segments(segments)
    assert (tmp_path / counting.TOKEN_CACHE).exists()
    monkeypatch.setattr(counting, "read_text", lambda text: pytest.fail("read again"))  # the per-text task
    monkeypatch.setattr(counting, "segment_text", lambda text: pytest.fail("segmented again"))
    assert counting.tokenize_segments(segments) == first


def test_the_segments_tokens_are_kept_whole_for_the_next_notebook(tmp_path, monkeypatch):
    """Notebook 03 reads notebook 02's masked tokens; other segments are tokenized anew, and one result is kept."""
    from helpers.base import paths

    monkeypatch.setattr(paths, "CACHE", tmp_path)
    # 000 平湖: the speaker's name and a name in the text are masked
    segments = pd.DataFrame({"segment_id": ["s1", "s2"], "speaker": ["龙云", ""], "text": ["龙云说，“三剑客”李德强带头攻坚", "群众 满意"]})
    first = counting.tokenize_segments(segments)
    assert "龙云" not in first["s1"] and "攻坚" in first["s1"] and first["s2"] == ["群众", "满意"]
    (kept,) = tmp_path.glob(f"{counting.SEGMENT_TOKENS}-*.marshal")
    with monkeypatch.context() as patched:
        patched.setattr(counting, "read_texts", lambda texts: pytest.fail("read again"))
        assert counting.tokenize_segments(segments) == first
    other = counting.tokenize_segments(segments.assign(text=[segments["text"][0], "群众满意，党建引领"]))
    assert other["s1"] == first["s1"] and other["s2"] == ["群众满意", "，", "党建引领"]
    assert list(tmp_path.glob(f"{counting.SEGMENT_TOKENS}-*.marshal")) != [kept] and len(list(tmp_path.glob(f"{counting.SEGMENT_TOKENS}-*"))) == 1


# ---------------------------------------------------------------- issue 10: concepts, names, HMM, stopwords
def test_hmm_is_off_for_counting_so_fragments_are_not_invented():
    # 000 平湖: with jieba's HMM on, 李德强 gave the fragment 李德 and runs like 中有 / 园以 were invented
    toks = counting.segment_text("“三剑客”李德强、陈佩群、任杰良，“智多星”李晓鹏等一批优秀干部")
    assert "中有" not in toks and "李晓鹏" not in toks
    known = counting.tokenizer().FREQ
    assert all(known.get(t) or len(t) == 1 or not chinese.HAN_CHAR.search(t) for t in toks)


def test_codebook_terms_come_out_whole():
    for sentence, term in [
        ("全街道要立即进入战时状态", "战时状态"),
        ("带领全街道党员干部打好征拆硬仗", "征拆"),
        ("把准方向、攻克难关、开创新局", "攻克难关"),
        ("木连龙片区窝棚清拆的有力推进", "清拆"),
    ]:
        assert term in counting.segment_text(sentence)
    assert "codebook" not in chinese.codebook_terms() and "战时状态" in chinese.codebook_terms()


def test_person_names_from_headings_and_text_are_found_and_masked():
    text = "街道涌现出“铁娘子”王胜，“女汉子”房秀华，“三剑客”李德强、陈佩群、任杰良，“智多星”李晓鹏等一批优秀干部"
    names = counting.person_names([text], {"张志华"})
    assert {"王胜", "房秀华", "李德强", "陈佩群", "任杰良", "李晓鹏", "张志华"} <= names
    assert not names & {"铁娘子", "三剑客", "智多星", "女汉子"}  # nicknames, not names
    masked = counting.segment_text(counting.mask_names(text, names))
    assert not {"李德", "王胜", "房秀华", "李晓鹏", "德强"} & set(masked)
    assert "铁娘子" in masked


def test_tokenize_segments_leaves_speakers_and_names_out(tmp_path, monkeypatch):
    from helpers.base import paths

    monkeypatch.setattr(paths, "CACHE", tmp_path)
    segments = pd.DataFrame({"segment_id": ["s1"], "speaker": ["龙云"], "text": ["龙云说，“三剑客”李德强、陈佩群带头攻坚，吉华街道党员干部的事情变多了"]})
    toks = counting.tokenize_segments(segments)["s1"]
    assert "龙云" not in toks and "李德" not in toks and "攻坚" in toks


def test_concepts_group_word_forms():
    assert {counting.concept_of(t) for t in ("党建", "党建引领", "基层党建", "党建+")} == {"党建"}
    assert {counting.concept_of(t) for t in ("支部", "党支部", "临时党支部")} == {"党支部"}
    assert counting.concept_of("初心使命") == "初心" and counting.concept_of("东进战略攻坚年") == "东进战略"
    assert counting.concept_of("攻坚") == "攻坚" and counting.concept_of("群众") == "群众"


def test_term_frequencies_carry_the_concept_and_its_count():
    segments = pd.DataFrame({"segment_id": ["a", "b"], "street": ["平湖", "布吉"]})
    counted = {"a": ["党建", "党建引领", "党建引领", "临时党支部"], "b": ["党建", "支部", "群众"]}
    freqs = counting.term_frequencies(segments, counted)
    row = freqs[(freqs["scope"] == schema.WHOLE_CORPUS) & (freqs["term"] == "党建引领")].iloc[0]
    assert (row["concept"], row["count"], row["concept_count"]) == ("党建", 2, 4)
    concepts = counting.concept_frequencies(segments, counted)
    top = concepts[concepts["scope"] == schema.WHOLE_CORPUS].iloc[0]
    assert (top["concept"], top["count"], top["terms"]) == ("党建", 4, "党建 2、党建引领 2")  # ties by term
    assert concepts[(concepts["scope"] == schema.WHOLE_CORPUS) & (concepts["concept"] == "党支部")]["count"].item() == 2


def test_frequency_scopes_are_the_corpus_then_each_street_by_name():
    segments = pd.DataFrame({"segment_id": ["a", "b", "c", "d"], "street": ["平湖", "", "布吉", "平湖"]})
    scopes = counting.frequency_scopes(segments)
    assert list(scopes) == [schema.WHOLE_CORPUS, "布吉", "平湖"]  # 布 (U+5E03) sorts before 平 (U+5E73)
    assert scopes == {schema.WHOLE_CORPUS: ["a", "b", "c", "d"], "布吉": ["c"], "平湖": ["a", "d"]}


def test_officialese_stopwords_each_have_a_reason():
    listed = counting.project_stopwords()
    assert {"建设", "发展", "问题", "保障", "任务", "三是", "二要"} <= set(listed)
    assert all(reason for reason in listed.values())
    assert not {"党建", "群众", "攻坚", "一线", "服务", "党"} & set(listed)  # framing words stay countable


def test_concepts_resource_is_well_formed():
    frame = pd.read_csv(counting.CONCEPTS, encoding="utf-8", keep_default_na=False, comment="#")
    assert list(frame.columns) == ["term", "concept", "reason"] and frame["term"].is_unique
    assert (frame["reason"].str.len() > 0).all()


def test_compared_tokens_leave_out_places_and_stopwords():
    assert counting.is_compared_token("征拆") and counting.is_compared_token("临时党支部")
    assert not counting.is_compared_token("平湖街道") and not counting.is_compared_token("龙岗区") and not counting.is_compared_token("南湾")
    assert not counting.is_compared_token("工作")  # officialese stopword


def test_places_and_dictionary_words_are_not_taken_for_names():
    # jieba's dictionary tags 龙岗, 高素质 and 向心力 as nr, and its HMM reads 黄阁(坑社区) and 龙腾(三路) as names:
    # none of them is a person, so none is masked out of the counts. The speaker's name stays a name.
    text = "龙岗区委组织部召开会议，打造高素质干部队伍，增强向心力。8.舞动君悦(黄阁坑社区君悦华庭花园)。龙腾三路至龙岗大道段。坪地街道党工委书记张鹏发言。"
    names = counting.names_in_text(text)
    assert names == ["张鹏"], names
    assert not counting.is_person_name("龙岗") and counting.is_person_name("张鹏", "发言")


def test_release_segmenter_drops_the_dictionaries_and_they_load_again():
    from helpers.base import chinese

    assert counting.segment_text("临时党支部战斗堡垒") == ["临时党支部", "战斗堡垒"]
    counting.release_segmenter()
    assert chinese.tokenizer.cache_info().currsize == 0 and counting._name_tagger.cache_info().currsize == 0
    assert chinese.jieba_entries.cache_info().currsize == 0
    assert counting.segment_text("临时党支部战斗堡垒") == ["临时党支部", "战斗堡垒"]  # loaded again on demand


def test_repeated_tokens_share_one_string_object():
    """The token lists keep one object per distinct word (memory), and the tokens themselves are unchanged."""
    words = "".join(["党建", "引领"]) + " " + "".join(["党建", "工作"])  # built at run time: no two literals shared
    first, second = words.split(" ")
    shared: dict[str, str] = {}
    a = counting.shared_tokens([first[:2], first[2:]], shared)
    b = counting.shared_tokens([second[:2], second[2:]], shared)
    assert a == ["党建", "引领"] and b == ["党建", "工作"]
    assert a[0] is b[0], "one 党建 object for both lists"
    assert first[:2] is not second[:2], "the input held two objects"
