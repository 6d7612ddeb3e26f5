"""Reported figures on real sentences from the seeds, and every exclusion."""
from __future__ import annotations

import pytest

from helpers import metrics


def figures(text: str) -> list[tuple[str, float, str, str]]:
    return [(f.raw, f.value, f.unit, f.qualifier) for f in metrics.extract_figures(text)]


@pytest.mark.parametrize("sentence, raw, value, unit, qualifier", [
    ("辖区25.06平方公里面积承载了近52万人口和5000多家各类商事主体", "近52万人口", 520000, "人", "近"),
    ("辖区25.06平方公里面积承载了近52万人口和5000多家各类商事主体", "25.06平方公里", 25.06, "平方公里", ""),
    ("辖区25.06平方公里面积承载了近52万人口和5000多家各类商事主体", "5000多家", 5000, "家", "多"),
    ("提前一年完成沙湾河综合整治工程49万平米的征转地任务及1.07万平米征拆任务", "1.07万平米", 10700, "平方米", ""),
    ("集中了辖区三分之二的工业产值（约240亿元）、90%的在建重大产业项目", "约240亿元", 24_000_000_000, "元", "约"),
    ("集中了辖区三分之二的工业产值（约240亿元）、90%的在建重大产业项目", "三分之二", 66.67, "%", ""),
    ("厦村社区新“三会”成员大专以上学历占比达到7成以上，较上一届提高44个百分点", "达到7成以上", 70, "%", "达到 以上"),
    ("共采集隐患信息2087宗，其中已处置隐患为1988宗，处置率达95.26%。", "达95.26%", 95.26, "%", "达"),
    ("选派抽调优秀干部充实到临时党支部，累计参与党员干部600多名。", "600多名", 600, "名", "多"),
    ("终于在一个月的时间里签下近两万平方米土地征拆协议", "近两万平方米", 20000, "平方米", "近"),
    ("实际参加“我当网格员”主题党日活动的有1195人 其中区领导22人，处级领导591人", "1195人", 1195, "人", ""),
    ("实际参加“我当网格员”主题党日活动的有1195人 其中区领导22人，处级领导591人", "22人", 22, "人", ""),
    ("群众办事不用专门请假，时间顺了事也办好了，满意度达95%以上。", "达95%以上", 95, "%", "达 以上"),
    ("先后分三批选派140名处级、科级干部，到全区11个街道全脱产三个月", "三批", 3, "批", ""),
    ("先后分三批选派140名处级、科级干部，到全区11个街道全脱产三个月", "三个月", 3, "个月", ""),
    ("成立了65个临时党支部", "65个", 65, "个", ""),
    ("横岗街道党工委组织广大党员干部成立11 个工作小组", "11 个", 11, "个", ""),
    ("共采集隐患信息2,087宗", "2,087宗", 2087, "宗", ""),
    ("已经讲了七八次了", "七八次", 7, "次", "range"),
    ("支部党员分组包户，大家两个多月没有休息", "两个多月", 2, "个月", "多"),
    ("辖区注册义工数量达到21000余名", "达到21000余名", 21000, "名", "达到 余"),
])
def test_figures_in_seed_sentences(sentence, raw, value, unit, qualifier):
    found = {f[0]: f for f in figures(sentence)}
    assert raw in found, found
    _, got_value, got_unit, got_qualifier = found[raw]
    assert got_value == pytest.approx(value) and got_unit == unit and got_qualifier == qualifier


@pytest.mark.parametrize("sentence", [
    "今年8月20日，张勇来到位于宝龙街道的三棵松水治理工作临时党支部",  # date
    "2018年以来，在地铁14号线、平南铁路货场等重大项目中",  # year, line number
    "“3+3+6”模式实施一年半以来",  # formula (and 一年半 is a duration: tested below)
    "龙城街道机关第十七党支部做好了充分的准备",  # ordinal
    "以习近平新时代中国特色社会主义思想和党的十九大精神为指导",  # congress number
    "庆祝建党98周年之际",  # anniversary
    "区委六届二次党代会将今年确定为“作风建设提升年”",  # session number
    "街道领导班子进一步统一思想认识，奋斗在征拆一线的党员干部，一把手，一批优秀干部",  # 统一, 一线, 一把手, 一批
    "基层工作千头万绪、千难万难，构建起三位一体、三方联动的治理体系",  # idioms
    "1.“零距离·顺景花园党群之家”——课业加油站",  # list numbering
    "182创意设计园以“党建+创意设计”汇聚青年才智",  # a name
    "最大的×社区已超×万人，与之对应的社区工作人员只有×名左右",  # anonymised
    "以党建引领、创新引领、品质引领、作风引领“四个引领”开篇",  # numbered slogan
])
def test_not_figures(sentence):
    kept = [f for f in figures(sentence) if f[2] != "个月" and not (f[2] == "年" and f[0].startswith("一年"))]
    assert kept == [], kept


def test_durations_are_figures():
    assert ("一年半", 1, "年", "") not in figures("一年半以来")  # 一 alone is an article
    assert figures("面对“天下第一难”的征拆攻坚任务，长达8年之久的联李东路征拆难题")[0][:3] == ("长达8年", 8, "年")
    assert figures("特别是最后的20多天，街道党员、干部顶着高温")[0][:3] == ("20多天", 20, "天")


def test_subjects_and_categories():
    text = "目前辖区花园小区支部达到30个，党员652人；两新党委12个，党员515人，党的工作覆盖率达到100%。"
    rows = {f.raw: (metrics.subject_of(text, f), metrics.category(f.unit, metrics.subject_of(text, f))) for f in metrics.extract_figures(text)}
    assert rows["达到100%"] == ("工作覆盖率", "rates")
    assert rows["652人"][1] == "people"
    assert rows["达到30个"][1] == "organisations"


def test_time_reference():
    assert metrics.time_reference("2018年以来，在地铁14号线等重大项目中累计完成土地整备122万平方米") == "2018年"
