"""Reported figures: every quantity in the clean text as a traceable row (value, unit, qualifier, subject)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import cn2an
import pandas as pd

from .segmentation import sentence_at

QUALIFIERS_BEFORE = ["将近", "大约", "超过", "达到", "多达", "高达", "长达", "累计", "总计", "合计", "不到", "不足", "近", "约", "超", "达", "逾", "共", "仅"]
QUALIFIERS_AFTER = ["以上", "以下", "左右", "之多"]
UNIT_ALIASES = {"平米": "平方米", "㎡": "平方米", "万平方米": "平方米"}
# Longest first, so that 平方公里 wins over 公里 and 人次 over 人.
UNITS = sorted(["平方公里", "平方米", "平米", "㎡", "公里", "米", "亩", "亿元", "万元", "元", "个百分点", "百分点", "%", "成", "倍",
                "人次", "人口", "人", "名", "位", "户", "个多月", "个月", "个", "家", "所", "支", "宗", "起", "件", "次", "场", "项", "批",
                "栋", "台", "处", "条", "年", "天", "小时", "周", "岁"], key=lambda u: (-len(u), u))
CATEGORY_BY_UNIT = {
    "%": "rates", "成": "rates", "个百分点": "rates", "百分点": "rates", "倍": "ratios",
    "平方公里": "area and length", "平方米": "area and length", "亩": "area and length", "公里": "area and length", "米": "area and length",
    "元": "money", "万元": "money", "亿元": "money",
    "人": "people", "人口": "people", "名": "people", "位": "people", "户": "people", "人次": "people (visits)",
    "宗": "cases and events", "起": "cases and events", "件": "cases and events", "次": "cases and events", "场": "cases and events",
    "项": "projects", "批": "batches", "年": "durations", "个月": "durations", "天": "durations", "小时": "durations",
    "周": "durations", "岁": "ages", "栋": "buildings and objects", "台": "buildings and objects", "处": "buildings and objects",
    "条": "buildings and objects",
}
ORGANISATION_WORDS = ("党支部", "党委", "支部", "组织", "公司", "企业", "社区", "小区", "街道", "中心", "园区", "单位", "主体", "小组", "部门")
PROJECT_WORDS = ("项目", "工程", "任务")
CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
NUMBER = re.compile(
    rf"(?P<pre>{'|'.join(QUALIFIERS_BEFORE)})?"
    rf"(?P<num>[一二三四五六七八九十]+分之[一二三四五六七八九十]+|百分之[{CN_DIGITS}]+|\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|[{CN_DIGITS}]+)"
    rf"(?:\s?(?P<range>[-~～至到])\s?(?P<num2>\d+(?:\.\d+)?|[{CN_DIGITS}]+))?"
    rf"(?P<mult>[万亿](?!元))?(?P<approx>多|余|来)?\s?"
    rf"(?P<unit>{'|'.join(re.escape(u) for u in UNITS)})?"
    rf"(?P<post>{'|'.join(QUALIFIERS_AFTER)}|多)?"
)
DATE = re.compile(r"(?:19|20)\d{2}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日|(?:今年|去年|明年)?\d{1,2}月(?:初|底|起|以来)?")
ORDINAL_AFTER = ("号线", "号", "届", "周年", "大", "级", "期", "版", "号楼")


@dataclass(frozen=True)
class Figure:
    """One reported quantity."""
    raw: str
    value: float
    value_high: float | None
    unit: str
    qualifier: str
    start: int
    end: int


@lru_cache(maxsize=1)
def idioms() -> frozenset[str]:
    """Four-character idioms and set phrases of jieba's dictionary (三位一体, 千头万绪): their numerals count nothing."""
    from .cleaning import jieba_entries

    found = {word for word, (_, tag) in jieba_entries().items()
             if len(word) == 4 and tag in ("i", "l") and any(c in CN_DIGITS for c in word)}
    return frozenset(found | {"三会一课", "两学一做", "三社联动", "四级联动", "五指发力", "一经多纬", "一核多元", "三方联动"})


def chinese_number(text: str) -> float:
    """A Chinese numeral as a number (两万 → 20000, 十一 → 11, 百 → 100)."""
    if text[0] in "十百千万亿":
        text = "一" + text
    return float(cn2an.cn2an(text, "smart"))


def parse_number(num: str) -> tuple[float, str | None]:
    """(value, implied unit): percentages and fractions imply %, everything else no unit."""
    if re.fullmatch(r"[一二三四五六七八九]{2}", num) and chinese_number(num[1]) - chinese_number(num[0]) == 1:
        return chinese_number(num[0]), None  # 七八次: "seven or eight"; the high end is read in extract_figures
    if "分之" in num:
        denominator, numerator = num.split("分之")
        if denominator == "百":
            return chinese_number(numerator), "%"
        return round(100 * chinese_number(numerator) / chinese_number(denominator), 2), "%"
    if num[0].isdigit():
        return float(num.replace(",", "")), None
    return chinese_number(num), None


def in_quotes(text: str, start: int) -> bool:
    """Whether position start lies inside a “…” quotation on its line."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    return before.count("“") > before.count("”")


def excluded(text: str, m: re.Match[str], unit: str | None) -> bool:
    """Dates, formulas, list numbers, ordinals, names, idioms and article-like 一 are not reported figures."""
    start, end, num = m.start("num"), m.end(), m.group("num")
    before, after = text[max(start - 1, 0):start], text[end:end + 3]
    if unit is None or before == "×":
        return True  # no unit: a name or a list number (182创意设计园, 1.); ×: an anonymised number
    if not num[0].isdigit() and len(num) == 1 and num in "百千万亿":
        return True
    if unit == "次" and after.startswith(("党代会", "全会", "会议", "代表大会")) or before == "届":
        return True  # 六届二次党代会: a session number
    if before == "第" or text[m.end("num"):].startswith(ORDINAL_AFTER) or after.startswith(ORDINAL_AFTER):
        return True
    if before in "+＋" or text[m.end("num"):m.end("num") + 1] in ("+", "＋"):
        return True  # numbered formula (3+3+6, 5+2)
    if unit == "年" and (re.fullmatch(r"\d{4}", num) or text[end:end + 1].isdigit()):
        return True  # a calendar year (2018年, 2018年6月), not a duration
    if unit in ("个", "项", "大", "条") and not num[0].isdigit() and in_quotes(text, start):
        return True  # numbered slogans (“四个引领”, “四条河”)
    if not num[0].isdigit():
        if num == "一" and not m.group("approx"):
            return True  # 一个平台, 一批干部, 一名网格员: an article, not a count
        window = text[max(start - 2, 0):start + 4]
        if any(idiom in window for idiom in idioms()):
            return True
        if text[start - 1:start] in "统唯万之" and start > 0:
            return True  # 统一, 唯一, 万一
    return False


def extract_figures(text: str) -> list[Figure]:
    """Every reported quantity of a text, in order."""
    figures = []
    for m in NUMBER.finditer(text):
        if not m.group("num"):
            continue
        try:
            value, implied = parse_number(m.group("num"))
        except ValueError:
            continue
        unit = m.group("unit") or implied
        if m.group("num").startswith("百分之") or "分之" in m.group("num"):
            unit = "%"
        if excluded(text, m, unit):
            continue
        multiplier = {"万": 1e4, "亿": 1e8}.get(m.group("mult") or "", 1)
        if unit in ("万元", "亿元"):
            multiplier *= 1e4 if unit == "万元" else 1e8
            unit = "元"
        if unit == "成":
            value, unit = value * 10, "%"
        if unit == "人口":
            unit = "人"
        approx = m.group("approx")
        if unit == "个多月":
            unit, approx = "个月", "多"
        unit = UNIT_ALIASES.get(unit, unit)
        high = None
        pair = m.group("num")
        if re.fullmatch(r"[一二三四五六七八九]{2}", pair) and chinese_number(pair[1]) - chinese_number(pair[0]) == 1:
            high = chinese_number(pair[1]) * multiplier
        if m.group("num2"):
            try:
                high = parse_number(m.group("num2"))[0] * multiplier
            except ValueError:
                high = None
        qualifier = " ".join(q for q in (m.group("pre"), approx, m.group("post"), "range" if high else None) if q)
        raw = m.group(0).rstrip()
        figures.append(Figure(raw, round(value * multiplier, 4), high, unit, qualifier, m.start(), m.start() + len(raw)))
    return figures


@lru_cache(maxsize=1)
def _pos_tokenizer():
    import jieba.posseg

    from .tokens import tokenizer

    return jieba.posseg.POSTokenizer(tokenizer())


NOUNISH = ("n", "vn", "j", "l", "nz", "nt", "ns", "nr", "an", "s")
SKIP_BEFORE_NOUN = ("r", "b", "a", "d", "f", "m", "q", "uj", "c", "p")
NOT_SUBJECT = {"全部", "全面", "其中", "原", "各", "共", "总数", "数量"}
CLAUSE_END = re.compile(r"[，。；：、！？（）\n]")


def _noun_phrase(fragment: str, from_end: bool) -> str:
    """The first noun phrase of a fragment (or the last, from_end), domain terms counting as nouns."""
    from .tokens import userdict_terms

    domain = set(userdict_terms()) | {"组织", "服务", "管理", "攻坚", "率"}
    words = [w for w in _pos_tokenizer().cut(fragment.replace("“", "").replace("”", "")) if w.word.strip()]
    if from_end:
        words = words[::-1]
    phrase: list[str] = []
    skipped = 0
    for word in words:
        nounish = (word.flag.startswith(NOUNISH) or word.word in domain) and word.word not in NOT_SUBJECT
        if nounish:
            phrase.append(word.word)
        elif phrase:
            if from_end and word.flag in ("v", "vn") and len(phrase) == 1 and len(word.word) == 2:
                phrase.append(word.word)  # 处置 + 率 → 处置率
            break
        elif not from_end and (word.flag not in SKIP_BEFORE_NOUN and word.flag != "v" or skipped >= 2):
            break
        else:
            skipped += 1
    return "".join(phrase[::-1] if from_end else phrase)


def subject_of(text: str, figure: Figure) -> str:
    """What is counted: the noun phrase after the figure, or for rates and bare counts the one before it."""
    if figure.raw.endswith("人口"):
        return "人口"
    start = figure.start
    if text[start - 1:start] == "（":  # 三分之二的工业产值（约240亿元）: the subject stands before the bracket
        start -= 1
    after = CLAUSE_END.split(text[figure.end:figure.end + 16], maxsplit=1)[0]
    before = CLAUSE_END.split(text[max(start - 16, 0):start][::-1], maxsplit=1)[0][::-1]
    before_first = figure.unit in ("%", "个百分点", "百分点", "倍") and not ("分之" in figure.raw and after.startswith("的"))
    if before_first:
        return _noun_phrase(before, from_end=True) or _noun_phrase(after.removeprefix("的"), from_end=False)
    return _noun_phrase(after.removeprefix("的"), from_end=False) or _noun_phrase(before, from_end=True)


def category(unit: str, subject: str) -> str:
    """A coarse kind of figure, from its unit and, for 个/家/所/支, from what is counted."""
    if unit in CATEGORY_BY_UNIT:
        return CATEGORY_BY_UNIT[unit]
    if any(w in subject for w in ORGANISATION_WORDS):
        return "organisations"
    if any(w in subject for w in PROJECT_WORDS):
        return "projects"
    return "other counts"


def time_reference(sentence: str) -> str:
    """The dates a sentence names (the time a figure refers to), joined."""
    return "; ".join(dict.fromkeys(m.group(0) for m in DATE.finditer(sentence) if re.search(r"\d", m.group(0))))


def metrics_table(segments: pd.DataFrame) -> pd.DataFrame:
    """metrics.csv: every reported figure with its segment, street, value, unit, qualifier, subject and sentence."""
    rows = []
    for seg in segments.itertuples():
        for fig in extract_figures(seg.text):
            subject = subject_of(seg.text, fig)
            sentence = sentence_at(seg.text, fig.start)
            rows.append({"doc_id": seg.doc_id, "segment_id": seg.segment_id, "street": seg.street, "genre": seg.genre,
                         "raw": fig.raw, "value": fig.value, "value_high": fig.value_high, "unit": fig.unit,
                         "qualifier": fig.qualifier, "subject": subject, "category": category(fig.unit, subject),
                         "time_ref": time_reference(sentence), "sentence": sentence})
    columns = ["doc_id", "segment_id", "street", "genre", "raw", "value", "value_high", "unit", "qualifier", "subject",
               "category", "time_ref", "sentence"]
    return pd.DataFrame(rows, columns=columns)
