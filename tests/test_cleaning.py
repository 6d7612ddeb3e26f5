"""Every cleaning step on real snippets from the seeds, and the accounting: raw = kept + logged."""

from __future__ import annotations

import pytest

from helpers.base import chinese
from helpers.stage1_load import cleaning

from conftest import run_step, seed_text


# ---- pinyin
def test_pinyin_readings_are_stripped():
    assert run_step(cleaning.strip_pinyin, "發(fā)布時間:2020-10-22") == "發布時間:2020-10-22"
    assert run_step(cleaning.strip_pinyin, "已經(jīng)講了七八次了") == "已經講了七八次了"


@pytest.mark.parametrize("text", ["(责编:谢倩、秦华)", "地铁14号线(龙城段)、16号线(龙城段)", "“3+ 4”协商议事规则(固定时间)", "见附件(a)"])
def test_real_parentheses_survive_pinyin_stripping(text):
    assert run_step(cleaning.strip_pinyin, text) == text


# ---- mojibake
@pytest.mark.parametrize(
    "garbled, repaired",
    [
        ("雷鳴之前!秉h的建設,首先", "雷鳴之前!黨的建設,首先"),
        ("核心要義!暗赖裸y行”項目", "核心要義!道德銀行”項目"),
        ("有效路徑?梢赃@么理解,在城市", "有效路徑以這么理解,在城市"),
        ("逐步轉變?yōu)椤爸卫順屑~”。", "逐步轉變“治理樞紐”。"),
    ],
)
def test_gbk_byte_shift_is_repaired(garbled, repaired):
    assert run_step(cleaning.repair_mojibake, garbled) == repaired


def test_unrepairable_mojibake_leaves_the_text_and_is_logged():
    text = "風展紅旗如畫!寥嗣竦男腋V笖才能芝麻開花節節高。"
    edits = cleaning.repair_mojibake(text)
    out = cleaning.apply_edits(text, edits)
    assert "竀" not in out and "笖" not in out and "V" not in out
    assert out.startswith("風展紅旗如畫!人民的幸")
    assert "unrepairable" in edits[0].note


@pytest.mark.parametrize(
    "text",
    [
        "党建工作如何进行?龙城街道在进行全面摸排",
        "纳入A股市场",
        "利用Python进行分析",
        "“党建+X”模式",
        "地铁14号线",
        "A股和B股",
    ],
)
def test_clean_text_is_not_taken_for_mojibake(text):
    assert run_step(cleaning.repair_mojibake, text) == text


# ---- Traditional -> Simplified, width, punctuation
def test_traditional_becomes_simplified():
    assert run_step(cleaning.to_simplified, "城市基層黨建工作座談會上的講話") == "城市基层党建工作座谈会上的讲话"


def test_full_width_digits_and_letters_become_ascii():
    assert run_step(cleaning.normalise_width, "满意度达９５％以上，ＡＢ") == "满意度达95%以上，AB"


def test_chinese_punctuation_policy():
    text = '位,越需要把党建工作与实际工作紧密结合起来。涌现出"铁娘子"王胜;(龙城段)'
    assert run_step(cleaning.normalise_punctuation, text) == "位，越需要把党建工作与实际工作紧密结合起来。涌现出“铁娘子”王胜；（龙城段）"


def test_numbers_keep_their_ascii_separators():
    assert run_step(cleaning.normalise_punctuation, "2019年02月18日09:04 共1,195人") == "2019年02月18日09:04 共1,195人"


# ---- OCR
def test_ocr_spaces_inside_chinese_are_removed():
    text = "布吉街 道棚改工作的快速推进，得益于党组织战斗 堡垒作用的充分发挥，成立11 个工作小组"
    assert run_step(cleaning.remove_ocr_spaces, text) == "布吉街道棚改工作的快速推进，得益于党组织战斗堡垒作用的充分发挥，成立11个工作小组"


def test_ocr_spaces_keep_latin_words_numbers_and_headings():
    text = "平湖街道党工委书记 张志华\n全市推广 the Party building model，共 2 087 宗，继续推进工作。"
    out = run_step(cleaning.remove_ocr_spaces, text)
    assert out.split("\n")[0] == "平湖街道党工委书记 张志华"
    assert "the Party building model" in out and "2 087" in out


def test_paragraph_breaks_survive_ocr_space_removal():
    text = "完成了这几乎不可能完成的任务。\n\n我认为党建工作是有血有肉、以真心换真心的工作。"
    assert run_step(cleaning.remove_ocr_spaces, text) == text


def test_ocr_dash_between_chinese_is_yi():
    assert run_step(cleaning.fix_ocr_dash, "南湾街道涌现出-批迎难而上") == "南湾街道涌现出一批迎难而上"
    assert run_step(cleaning.fix_ocr_dash, "2018-2019年，COVID-19") == "2018-2019年，COVID-19"


# ---- page breaks, duplicates, captions, boilerplate
def test_words_split_over_page_breaks_are_rejoined():
    text = "花园小区党支部在小区事务中有担当有作为，构建起“花园小区党支部+业主委员会+物业管理公\n\n司”三位一体、三方联动的城市花园小区现代治理和服务体系。"
    assert "物业管理公司”三位一体" in run_step(cleaning.rejoin_page_breaks, text)


def test_headings_are_not_joined_to_their_paragraphs():
    text = "在抓好街道党建方面，党工委始终聚焦主责主业\n\n南湾街道党工委牢固树立“四个意识”，坚定“四个自信”。"
    assert run_step(cleaning.rejoin_page_breaks, text) == text
    speech = "不少党员干部24小时连轴转，才切切实实赢得劳资纠纷处置攻坚战的全\n\n横岗街道党工委书记 李坚\n\n木连龙清拆工作涉及方方面面。"
    assert run_step(cleaning.rejoin_page_breaks, speech) == speech


def test_layout_duplicates_keep_one_copy():
    raw = seed_text("002")
    clean, _ = cleaning.clean_text("002", raw)
    assert raw.count("选派了71位优秀党员干部") == 3
    assert clean.count("选派了71位优秀党员干部") == 1
    assert clean.count("物业管理公司") == 2  # the 工作衔接制度 sentence and the 三位一体 sentence, once each


def test_near_exact_repeats_are_removed():
    sentence = "街道新成立了17个“两新”组织党支部，持续提升“两新”组织党建“两个覆盖”质量，成效明显。"
    text = sentence + "后来又说，" + sentence.replace("成效明显", "成效显著")
    out = run_step(cleaning.remove_layout_duplicates, text)
    assert out.count("持续提升“两新”组织党建") == 1


def test_photo_captions_are_removed():
    text = (
        "今年3月初，该街道召开加快怡翠路拆迁包干工作动员会，举全街道之力推进拆迁补偿工作。“断\n\n\n\n"
        "怡翠路拆迁临时党支部宣动员\n\n头十年，这次一定要想方设法啃下这块‘硬骨头’。”土地整备中心作为指导部门。"
    )
    out = run_step(cleaning.strip_captions, text)
    assert "宣动员" not in out
    out = run_step(cleaning.rejoin_page_breaks, run_step(cleaning.tidy_blank_lines, out))
    assert "“断头十年" in out


def test_section_headings_are_not_captions():
    text = "龙城街道党务知识竞赛\n\n●花园小区党建模式见成效\n\n地处龙岗中心区的龙城街道遍布着新兴的花园小区，街道根据现状谋划布局。"
    assert "●花园小区党建模式见成效" in run_step(cleaning.strip_captions, text)
    heading = "\n\n篇章一\n\n全面提升创新党建品牌建设\n\n龙城街道在今年开年举行的动员部署会上提出，以党建引领开篇、点题。"
    assert "篇章一" in run_step(cleaning.strip_captions, heading)


@pytest.mark.parametrize(
    "line, kind",
    [
        ("中国共产党新闻网>>党建", "site navigation"),
        ("微信“扫一扫”添加“学习大国”", "share button"),
        ("2019年02月18日09:04    来源：学习时报", "publication metadata"),
        ("发布时间：2020-10-22 来源： 心得体会 点击：", "publication metadata"),
        ("相关热词搜索：党建工作 座谈会上 基层 讲话 城市", "page footer"),
        ("热点文章阅读", "page footer"),
        ("责编：徐鹏 美编\\组版：张喻", "credit"),
        ("文：张鹏 图：钟致棠", "credit"),
        ("深圳侨报记者 王晶晶/文", "credit"),
        ("钟致崇/图", "credit"),
        ("文/李薇 李剑飞", "credit"),
        ("制图：温亮", "credit"),
        ("(责编：谢倩、秦华)", "credit"),
    ],
)
def test_boilerplate_lines_are_recognised(line, kind):
    assert cleaning.boilerplate_kind(line) == kind


def test_author_parentheses_only_at_the_ends():
    assert cleaning.boilerplate_kind("（仲崇富 谢志强）", near_end=True) == "credit"
    assert cleaning.boilerplate_kind("（仲崇富 谢志强）", near_end=False) is None


def test_body_sentences_mentioning_sources_stay():
    line = "区委专门制定了《龙岗区“作风建设提升年”行动实施方案》，资金来源：区财政和社会捐赠，成立了以张勇为组长的领导小组，全面推进各项工作落实。"
    assert cleaning.boilerplate_kind(line) is None


# ---- the whole pipeline on each seed
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_nothing_is_lost(prefix):
    raw = seed_text(prefix)
    clean, log = cleaning.clean_text(prefix, raw)
    assert cleaning.replay(raw, log) == clean
    removed = sum(r["chars_removed"] for r in log) - sum(r["chars_added"] for r in log)
    assert len(raw) - removed == len(clean)
    assert all(r["reason"] for r in log)


@pytest.mark.parametrize(
    "prefix, absent",
    [
        ("000", ["布吉街 道", "战斗 堡垒", "责编", "美编", "-批"]),
        ("001", ["记者 王晶晶", "###", "会议现场。"]),
        ("002", ["公\n\n司", "宣动员", "大家谈", "公益义诊", "文/李薇", "制图"]),
        ("003", ["扫一扫", ">>", "来源：", "责编", "原标题", "仲崇富"]),
        ("004", ["(fā)", "秉h", "裸y", "?yōu)", "發", "熱點文章", "相关热词"]),
    ],
)
def test_clean_seeds_show_none_of_the_defects(prefix, absent):
    clean, _ = cleaning.clean_text(prefix, seed_text(prefix))
    for defect in absent:
        assert defect not in clean, defect


def test_clean_004_reads_as_simplified_chinese():
    clean, _ = cleaning.clean_text("004", seed_text("004"))
    assert "党的建设，首先是从思想上建党" in clean
    assert "道德银行”项目通过党建引领" in clean
    assert chinese.cjk_share(clean) > 0.85
    assert not any(c.isascii() and c.isalpha() for c in clean)


def test_zhu_becomes_zhe_where_simplified_usage_has_zhe():
    from helpers.stage1_load import cleaning

    text = "隨著改革深入，我們著力推進，肩上擔負著光榮使命；他是著名作家，成績顯著，著有多部著作"
    edits = cleaning.to_simplified(text)
    out = cleaning.apply_edits(text, edits)
    assert out == "随着改革深入，我们着力推进，肩上担负着光荣使命；他是著名作家，成绩显著，著有多部著作"
    assert sum(e.note.startswith("著→着") for e in edits) == 3  # each change logged as its own edit
    assert cleaning.apply_edits("随著", cleaning.to_simplified("随著")) == "随着"  # also in a Simplified text


def test_a_log_that_does_not_replay_stops_the_document_where_it_is_cleaned(monkeypatch):
    """clean_checked (what the pool runs) gives clean_text's result, and refuses a clean text its log does not give."""
    raw = seed_text("002")
    assert cleaning.clean_checked("002", raw) == cleaning.clean_text("002", raw)
    real = cleaning.clean_text
    monkeypatch.setattr(cleaning, "clean_text", lambda doc_id, text: (real(doc_id, text)[0].replace("党建", "党", 1), real(doc_id, text)[1]))
    with pytest.raises(AssertionError, match="002: the cleaning log does not account for every change"):
        cleaning.clean_checked("002", raw)
