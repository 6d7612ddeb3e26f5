"""Segments and streets: 000's eleven speeches, document and paragraph attribution, the street detector."""

from __future__ import annotations

import pytest

from helpers.base import schema
from helpers.stage1_load import cleaning, describe, segmentation
from helpers.stage1_load.places import Attribution, gazetteer

from conftest import seed_text

DISTRICT = Attribution(schema.IN_AREA, "龙岗区", "", "")


def clean(prefix: str) -> str:
    return cleaning.clean_text(prefix, seed_text(prefix))[0]


def test_000_splits_into_eleven_speeches_with_street_and_speaker():
    segments = segmentation.segment_document("000", clean("000"), schema.SPEECH, DISTRICT)
    speeches = [s for s in segments if s.genre == schema.SPEECH]
    assert [s.street for s in speeches] == ["平湖", "布吉", "吉华", "坂田", "南湾", "横岗", "园山", "龙岗", "龙城", "宝龙", "坪地"]
    assert speeches[0].speaker == "张志华" and speeches[-1].speaker == "曾宪旺"
    assert speeches[0].text.startswith("平湖街道在一年多时间内完成4条河的治水提质房屋征拆工作")
    assert "横岗街道党工委书记" not in speeches[4].text  # 南湾's excerpt stops where the next heading starts
    assert segments[0].genre == schema.NEWS and segments[0].street == ""
    assert all(s.attribution == "speaker" and s.scope == schema.IN_AREA for s in speeches)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("龙岗区龙城街道积极探索新时代党建工作。龙城街道辖区有8688家企业。", "龙城"),
        ("深圳市龙岗区南湾街道着力提升基层党建精细化水平。南湾街道党工委牢固树立“四个意识”。", "南湾"),
        ("龙岗区高度重视基层党建，龙岗区委书记张勇多次指示。", ""),  # the district is not 龙岗街道
        ("龙岗街道作为一个老街道，也是全区面积最大的街道。龙岗街道将继续紧抓党建。", "龙岗"),
        ("龙华区大浪街道党工委推进党建引领。大浪街道成立临时党支部。", ""),  # a street of another district
        ("龙华区龙城街道开展活动。龙华区龙城街道成立党支部。", ""),  # same name, other district
        ("江苏省常州市武进区龙城街道召开会议。常州市武进区龙城街道成立党支部。", ""),
        ("平湖街道完成征拆。布吉街道推进棚改。吉华街道创新治理。", ""),  # no dominant street
    ],
)
def test_dominant_street(text, expected):
    assert gazetteer().attribute(text).street == expected


def test_street_mentions_need_the_full_name():
    assert gazetteer().streets_named("在龙城，哪里有急难险重，哪里就有临时党支部。龙岗区委") == []
    assert gazetteer().streets_named("来自全区11个街道的党工委书记，如平湖街道") == ["平湖"]


def test_district_paragraph_naming_one_street_is_a_mention():
    segments = segmentation.segment_document("001", clean("001"), schema.NEWS, DISTRICT)
    by_street = {s.street: s for s in segments if s.street}
    assert set(by_street) == {"宝龙", "平湖", "吉华"}
    assert all(s.attribution == "mention" for s in by_street.values())
    assert "4条河道的征拆总量" in by_street["平湖"].text


def test_single_street_document_gives_its_street_to_every_paragraph():
    place = Attribution(schema.IN_AREA, "龙岗区", "龙城", "street name")
    segments = segmentation.segment_document("002", clean("002"), schema.FEATURE, place)
    assert segments and all(s.street == "龙城" and s.attribution == "street name" for s in segments)


def test_004_names_no_street():
    text = clean("004")
    assert gazetteer().attribute(text).scope == schema.UNKNOWN
    unknown = Attribution(schema.UNKNOWN, "", "", "")
    assert all(s.street == "" and s.scope == schema.UNKNOWN for s in segmentation.segment_document("004", text, schema.SPEECH, unknown))


@pytest.mark.parametrize("prefix, genre", [("000", schema.SPEECH), ("001", schema.NEWS), ("004", schema.SPEECH)])
def test_genre_is_inferred(prefix, genre):
    assert describe.infer_genre(clean(prefix)) == genre


def test_headings_are_glued_to_their_paragraph():
    paras = segmentation.paragraphs("篇章一\n全面提升创新党建品牌建设\n●落实党群服务中心错时服务\n龙城街道在今年开年举行的动员会上提出，以党建引领开篇。")
    assert len(paras) == 1 and paras[0].startswith("篇章一\n")
