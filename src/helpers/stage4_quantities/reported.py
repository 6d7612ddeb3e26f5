"""Reported figures: every quantity in the clean text as a traceable row (value, unit, qualifier, subject, owner)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import cn2an
import jieba.posseg
import pandas as pd

from helpers.base import chinese, engine, paths, schema
from helpers.stage1_load.places import gazetteer

FIGURE_CATEGORIES = paths.RESOURCES / "figure_categories.csv"
SCOPE_MARKERS = paths.RESOURCES / "scope_markers.csv"

QUALIFIERS_BEFORE = ["将近", "大约", "超过", "达到", "多达", "高达", "长达", "累计", "总计", "合计", "不到", "不足", "近", "约", "超", "达", "逾", "共", "仅"]
QUALIFIERS_AFTER = ["以上", "以下", "左右", "之多"]
UNIT_ALIASES = {"平米": "平方米", "㎡": "平方米", "万平方米": "平方米"}
# Longest first, so that 平方公里 wins over 公里, 人次 over 人 and 大类 over 大.
UNITS = sorted(
    [
        "平方公里",
        "平方米",
        "平米",
        "㎡",
        "公里",
        "米",
        "亩",
        "亿元",
        "万元",
        "元",
        "个百分点",
        "百分点",
        "%",
        "成",
        "倍",
        "人次",
        "人口",
        "人",
        "名",
        "位",
        "户",
        "个多月",
        "个多小时",
        "个月",
        "个",
        "家",
        "所",
        "支",
        "宗",
        "起",
        "件",
        "次",
        "场",
        "项",
        "批",
        "栋",
        "台",
        "处",
        "条",
        "张",
        "座",
        "期",
        "大类",
        "年",
        "天",
        "小时",
        "周",
        "岁",
    ],
    key=lambda u: (-len(u), u),
)
# Units that measure (money, area, time, age, shares) decide the category themselves; counts (个, 名, 家 …) take it
# from what is counted, with the unit's category below only as a fallback.
CATEGORY_BY_UNIT = {
    "%": "shares",
    "个百分点": "rate changes",
    "百分点": "rate changes",
    "倍": "ratios",
    "平方公里": "area and length",
    "平方米": "area and length",
    "亩": "area and length",
    "公里": "area and length",
    "米": "area and length",
    "元": "money",
    "年": "durations",
    "个月": "durations",
    "天": "durations",
    "小时": "durations",
    "周": "durations",
    "岁": "ages",
}
MEASURE_UNITS = frozenset(CATEGORY_BY_UNIT)
COUNT_FALLBACK = {
    "人": "people",
    "名": "people",
    "位": "people",
    "户": "households",
    "人次": "people (visits)",
    "宗": "cases and issues",
    "起": "cases and issues",
    "件": "cases and issues",
    "次": "events and meetings",
    "场": "events and meetings",
    "期": "events and meetings",
    "项": "projects",
    "批": "batches",
    "栋": "buildings and facilities",
    "座": "buildings and facilities",
    "台": "buildings and facilities",
    "处": "buildings and facilities",
    "条": "buildings and facilities",
    "张": "documents and items",
}
RATE_HEADS = ("率", "度", "占比", "比例", "比重")  # a % whose subject ends so is a rate; other % are shares of something
TIME_UNITS = ("年", "个月", "天", "小时", "周")
CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
# A figure and its unit may be parted by a space (OCR, typesetting) but never by a line break: "篇章三" ending one
# line and "项目…" opening the next are a heading and a new paragraph, not "three items".
GAP = "[ \t\u3000]?"
NUMBER = re.compile(
    rf"(?P<pre>{'|'.join(QUALIFIERS_BEFORE)})?"
    rf"(?P<num>[一二三四五六七八九十]+分之[一二三四五六七八九十]+|百分之[{CN_DIGITS}]+|\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|[{CN_DIGITS}]+)"
    rf"(?:{GAP}(?P<range>[-~～至到]){GAP}(?P<num2>\d+(?:\.\d+)?|[{CN_DIGITS}]+))?"
    rf"(?P<mult>[万亿](?!元))?(?P<approx>多|余|来)?{GAP}"
    rf"(?P<unit>{'|'.join(re.escape(u) for u in UNITS)})?"
    rf"(?P<post>{'|'.join(QUALIFIERS_AFTER)}|多)?"
)
DATE = re.compile(r"(?:19|20)\d{2}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日|(?:今年|去年|明年)?\d{1,2}月(?:初|底|起|以来)?")
ORDINAL_AFTER = ("号线", "号", "届", "周年", "大", "级", "版", "号楼")
# Grammar of what is not a reported figure (general Chinese usage, not tied to any place or text).
ANAPHORA_BEFORE = ("这", "那", "该", "此", "上述", "前述")  # 这两个社区: refers back, counts nothing new
NAME_AFTER = ("行动计划", "行动方案", "计划", "规划", "攻坚行动", "专项行动", "纲要", "战略")  # 三年行动计划: a plan's name
PERIOD_AFTER = ("来", "以来", "前", "之前")  # 五年来, 3年前: a reference period
ROUND_THE_CLOCK = {("小时", 24), ("天", 365)}  # 24小时日夜蹲守: "around the clock"
WITHIN_AFTER = ("内", "以内", "之内")  # 24小时内办结 is a real deadline
ONE_COUNTS_BEFORE = ("仅用", "只用", "用了", "提前", "历时", "耗时", "花了", "短短", "为期", "用")  # 仅用一周, 提前一年
PHASE_NOUNS = ("工程", "项目", "建设", "改造", "工地")  # 二期工程: a phase, not a count of issues


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
    found = {word for word, (_, tag) in chinese.jieba_entries().items() if len(word) == 4 and tag in ("i", "l") and any(c in CN_DIGITS for c in word)}
    # and the Party's numbered formulas, quoted or not (四个意识: a slogan, not four of anything)
    return frozenset(
        found
        | {
            "三会一课",
            "两学一做",
            "三社联动",
            "四级联动",
            "五指发力",
            "一经多纬",
            "一核多元",
            "三方联动",
            "四个意识",
            "四个自信",
            "两个维护",
            "四个全面",
            "两个确立",
            "三个代表",
            "四个伟大",
            "五个坚持",
        }
    )


@lru_cache(maxsize=1)
def _idioms_by_length() -> tuple[tuple[int, frozenset[str]], ...]:
    lengths = sorted({len(i) for i in idioms()})
    return tuple((n, frozenset(i for i in idioms() if len(i) == n)) for n in lengths)


def contains_idiom(window: str) -> bool:
    """Whether one of idioms() occurs in window (each substring of an idiom's length looked up, not each idiom searched)."""
    return any(window[i : i + n] in group for n, group in _idioms_by_length() for i in range(len(window) - n + 1))


@lru_cache(maxsize=1)
def figure_categories() -> pd.DataFrame:
    """resources/figure_categories.csv: head word → category, English gloss and the unit a bare 万 count takes."""
    frame = pd.read_csv(FIGURE_CATEGORIES, encoding="utf-8", comment="#", keep_default_na=False, dtype=str)
    frame["length"] = frame["head"].str.len()
    return frame.sort_values(["length", "head"], ascending=[False, True]).reset_index(drop=True)


@lru_cache(maxsize=1)
def scope_markers() -> dict[str, str]:
    """resources/scope_markers.csv: words that make a sentence's figure the district's or the city's."""
    frame = pd.read_csv(SCOPE_MARKERS, encoding="utf-8", comment="#", keep_default_na=False, dtype=str)
    return dict(zip(frame["marker"], frame["scope"]))


@lru_cache(maxsize=1)
def _heads_by_length() -> tuple[tuple[int, dict[str, dict[str, str]]], ...]:
    """The mapping's rows by head word, grouped by the head's length, longest first (built once per process)."""
    by_length: dict[int, dict[str, dict[str, str]]] = {}
    for row in figure_categories().itertuples():
        by_length.setdefault(len(row.head), {}).setdefault(row.head, row._asdict())  # first row of a head wins
    return tuple(sorted(by_length.items(), reverse=True))


@lru_cache(maxsize=None)  # subjects repeat across a corpus; callers only read the row
def _head_entry_of(plain: str) -> dict[str, str] | None:
    # the longest head the subject ends with: one dictionary look-up per head length, not a scan of every row
    for length, heads in _heads_by_length():
        tail = plain[len(plain) - length :]
        if length <= len(plain) and tail in heads:
            return heads[tail]
    return None


def head_entry(subject: str) -> dict[str, str] | None:
    """The mapping row of the longest head word a subject ends with (or, failing that, contains)."""
    if not subject:
        return None
    return _head_entry_of(subject.replace("“", "").replace("”", ""))


@lru_cache(maxsize=4096)  # numerals repeat (一, 两, 三十): cn2an parses each once
def chinese_number(text: str) -> float:
    """A Chinese numeral as a number (两万 → 20000, 十一 → 11, 百 → 100)."""
    if text[0] in "十百千万亿":
        text = "一" + text
    return float(cn2an.cn2an(text, "smart"))


def adjacent_pair(num: str) -> tuple[float, float] | None:
    """(low, high) for two consecutive digits read as an estimate (七八次: "seven or eight times"), else None."""
    if re.fullmatch(r"[一二三四五六七八九]{2}", num) and chinese_number(num[1]) - chinese_number(num[0]) == 1:
        return chinese_number(num[0]), chinese_number(num[1])
    return None


def parse_number(num: str) -> tuple[float, str | None]:
    """(value, implied unit): percentages and fractions imply %, everything else no unit; 七八 reads as its low end
    (extract_figures keeps the high end)."""
    if pair := adjacent_pair(num):
        return pair[0], None
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


def names_a_list(text: str, start: int, num: str) -> bool:
    """巡访问事、民主议事、合力干事、公示监督四个环节: a spelled-out count of the items just listed names a rule's parts."""
    if num[0].isdigit():
        return False
    try:
        n = chinese_number(num)
    except ValueError:
        return False
    clause = re.split(r"[，。；：！？（(\n]", text[max(start - 60, 0) : start])[-1]
    return n >= 2 and clause.count("、") == n - 1


def rhetorical_or_name(text: str, m: re.Match[str], unit: str, value: float) -> bool:
    """Rhetoric (百分之百的真心, 24小时日夜蹲守), reference periods (五年来, 前3年), plan and slogan names
    (三年行动计划, 两个一百年, 四个环节 of a rule) and anaphora (这两个社区): quantities that report nothing."""
    end, num = m.end(), m.group("num")
    before, after = text[max(m.start() - 2, 0) : m.start()], text[end : end + 6]
    if num in ("百分之百", "百分百") and after.startswith("的"):
        return True
    if (unit, value) in ROUND_THE_CLOCK and not after.startswith(WITHIN_AFTER):
        return True
    if unit in TIME_UNITS and after.startswith(PERIOD_AFTER):
        return True
    if unit == "年" and before.endswith(("前", "过去")) and not before.endswith("提前"):
        return True
    if unit in TIME_UNITS and after.startswith(NAME_AFTER):
        return True
    if (before.endswith("个") and not num[0].isdigit()) or (unit == "个" and re.match(rf"[{CN_DIGITS}]", after)):
        return True  # 两个一百年: a numbered slogan
    if before.endswith(ANAPHORA_BEFORE) and not m.group("pre"):
        return True
    if unit in ("个", "项", "条", "大类") and names_a_list(text, m.start(), num):
        return True
    return False


def excluded(text: str, m: re.Match[str], unit: str | None) -> bool:
    """Dates, formulas, list numbers, ordinals, names, idioms and article-like 一 are not reported figures."""
    start, end, num = m.start("num"), m.end(), m.group("num")
    before, after = text[max(start - 1, 0) : start], text[end : end + 3]
    if unit is None or before == "×":
        return True  # no unit: a name or a list number (182创意设计园, 1.); ×: an anonymised number
    if not num[0].isdigit() and len(num) == 1 and num in "百千万亿" and not (num in "百千" and m.group("pre")):
        return True  # 万一, 百…; but 逾百次 counts
    if unit == "次" and after.startswith(("党代会", "全会", "会议", "代表大会")) or before == "届":
        return True  # 六届二次党代会: a session number
    ordinal_after = tuple(o for o in ORDINAL_AFTER if not (unit == "大类" and o == "大"))
    if before == "第" or text[m.end("num") :].startswith(ordinal_after) or after.startswith(ordinal_after):
        return True
    if unit == "期" and (
        after.startswith(("间", "限"))
        or (not num[0].isdigit() and re.match(r"[\u4e00-\u9fff]", after) and not after.startswith("的"))
        or after.startswith(PHASE_NOUNS)
    ):
        return True  # 期间, 二期工程: a period or a phase, not a count of issues or sessions
    if unit == "座" and after.startswith("谈"):
        return True  # 座谈会
    if (before and before in "+＋") or text[m.end("num") : m.end("num") + 1] in ("+", "＋"):
        return True  # numbered formula (3+3+6, 5+2)
    if unit == "年" and (re.fullmatch(r"\d{4}", num) or text[end : end + 1].isdigit()):
        return True  # a calendar year (2018年, 2018年6月), not a duration
    if unit in ("个", "项", "大", "条", "大类") and not num[0].isdigit() and in_quotes(text, start):
        return True  # numbered slogans (“四个引领”, “四条河”)
    if not num[0].isdigit():
        if num == "一" and not m.group("approx"):
            counts = unit in TIME_UNITS and (m.group("pre") in ("仅", "不到", "不足") or text[max(m.start() - 2, 0) : m.start()].endswith(ONE_COUNTS_BEFORE))
            if not counts or text[end : end + 1] == "半":
                return True  # 一个平台, 一批干部: an article; but 仅用一周, 提前一年 count
        if contains_idiom(text[max(start - 2, 0) : start + 4]):
            return True
        if text[start - 1 : start] in "统唯万之" and start > 0:
            return True  # 统一, 唯一, 万一
    return False


def implied_count_unit(text: str, end: int) -> str | None:
    """承载2.2万的居住人口: a bare 万/亿 count followed by 的 takes the unit of what follows, if the mapping knows it."""
    if text[end : end + 1] != "的":
        return None
    entry = head_entry(_after_phrase(_tokens(_clause_after(text, end + 1))))
    return entry["unit"] or None if entry else None


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
        raw_end = m.end()
        if unit is None and m.group("mult") and not m.group("post"):
            unit = implied_count_unit(text, m.end())
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
        if unit in ("个多月", "个多小时"):
            unit, approx = unit.replace("个多", "").replace("月", "个月"), "多"
        unit = UNIT_ALIASES.get(unit, unit)
        if rhetorical_or_name(text, m, unit, value * multiplier):
            continue
        pair = adjacent_pair(m.group("num"))
        high = pair[1] * multiplier if pair else None
        if m.group("num2"):
            try:
                high = parse_number(m.group("num2"))[0] * multiplier
            except ValueError:
                high = None
        qualifier = " ".join(q for q in (m.group("pre"), approx, m.group("post"), "range" if high else None) if q)
        raw = text[m.start() : raw_end].rstrip()
        figures.append(Figure(raw, round(value * multiplier, 4), high, unit, qualifier, m.start(), m.start() + len(raw)))
    return figures


# ---------------------------------------------------------------- subjects: what a figure counts


class Token(NamedTuple):
    """A word and its part of speech (quoted names count as nouns: “三小场所”)."""

    word: str
    flag: str


HMM_MEMO_SIZE = 20_000  # stretches of unknown characters remembered by the tagger (a few MB at most)


class MemoPOSTokenizer(jieba.posseg.POSTokenizer):
    """jieba's POS tagger, its HMM (viterbi) tagging of a stretch of unknown characters remembered: the result
    depends on the stretch alone, short stretches (个, 中有, 万) recur thousands of times, and viterbi over
    jieba's part-of-speech states is the slow part of tagging. Made by chinese.pos_tagger: the tags of jieba's own
    dictionary come from its entries, read once per process, not from dict.txt a second time."""

    def _POSTokenizer__cut(self, sentence: str):  # overrides POSTokenizer.__cut (name-mangled)
        memo = self.__dict__.setdefault("hmm_memo", {})
        if sentence not in memo:
            if len(memo) >= HMM_MEMO_SIZE:
                memo.clear()
            memo[sentence] = tuple(jieba.posseg.POSTokenizer._POSTokenizer__cut(self, sentence))
        return iter(memo[sentence])


@lru_cache(maxsize=1)
def _pos_tokenizer():
    """jieba POS tagging with the project user dictionary and the mapping's head words, loaded once."""
    instance = chinese.domain_tokenizer()
    for head in figure_categories()["head"]:
        if len(head) >= 2:
            instance.add_word(head, freq=None, tag="n")  # the counted nouns must come out whole (一把手, not 一 把手)
    return chinese.pos_tagger(MemoPOSTokenizer, instance)


def release_tagger() -> None:
    """Drop the part-of-speech tagger, its memo and the clause and sentence caches from this process (~110 MB at 1,000
    documents), with jieba's entries and tag table: for a notebook past its last figure extraction (notebook 04 at
    its end: the report needs none of them); a later call loads them again."""
    for loaded in (_pos_tokenizer, _fragment_tokens, _owner_markers):
        loaded.cache_clear()
    chinese.release_dictionaries()


@lru_cache(maxsize=1)
def _long_heads() -> tuple[str, ...]:
    """The mapping's head words of two characters or more."""
    return tuple(h for h in figure_categories()["head"] if len(h) >= 2)


@lru_cache(maxsize=1)
def _domain_nouns() -> frozenset[str]:
    """The user dictionary's terms and the mapping's head words: nouns whatever jieba tags them."""
    return frozenset(chinese.userdict_terms()) | frozenset(figure_categories()["head"]) | {"组织", "服务", "管理", "攻坚"}


NOUNISH = ("n", "vn", "j", "l", "nz", "nt", "ns", "nr", "an", "s")
NOT_SUBJECT = {
    "全脱产",
    "全部",
    "全面",
    "其中",
    "原",
    "各",
    "共",
    "总数",
    "数量",
    "预计",
    "时",
    "目前",
    "同时",
    "期间",
    "以来",
    "左右",
    "大家",
    "我们",
    "他们",
    "全区",
    "全市",
    "辖区",
    "年均",
    "每年",
    "总量",
}
HEAD_NOT_ALONE = {"总量", "总数", "数量"}  # 征拆总量: kept only after what they total
MODIFIER_FLAGS = ("b", "a", "v", "vn", "an", "nz", "f")
LINKS = {
    "达",
    "达到",
    "为",
    "有",
    "共",
    "约",
    "计",
    "共计",
    "合计",
    "累计",
    "是",
    "了",
    "的",
    "超过",
    "超",
    "近",
    "逾",
    "仅",
    "总数",
    "数量",
    "总计",
    "高达",
    "多达",
    "已",
    "年均",
    "中",
    "增加",
    "增长",
    "提高",
    "提升",
    "下降",
    "减少",
    "新增",
}
LABEL_SUFFIXES = ("类", "会")  # 土地整备类8个, 专题学习会213次: a suffix jieba leaves apart
VERB_MISTAGGED = {"选派", "选配", "走访", "召开", "开展", "完成"}  # verbs jieba tags as nouns before a count
ABSTRACT_AFTER = ("速度", "幅度", "规模", "水平", "力度", "程度")  # 以每年约3万人的速度增长: the verb after says what grows
QUOTED = re.compile(r"“[^”\n]{1,10}”")
CLAUSE_END = re.compile(r"[，。；：！？\n]")
COMPARISON = re.compile(r"较|同比|环比|相比|(?<![占对])比(?![例重率])")  # 较上届, 比去年: a comparison base; 占比 is not


def _tokens(fragment: str) -> list[Token]:
    """POS tokens of a fragment, short quotations kept whole as nouns."""
    return list(_fragment_tokens(fragment))


@lru_cache(maxsize=16_384)  # a clause is tagged once per process however often figures sit next to it (a few MB at most)
def _fragment_tokens(fragment: str) -> tuple[Token, ...]:
    out: list[Token] = []
    pos = 0
    for q in QUOTED.finditer(fragment):
        out += [Token(w.word, w.flag) for w in _pos_tokenizer().cut(fragment[pos : q.start()]) if w.word.strip()]
        out.append(Token(q.group(0), "nq"))
        pos = q.end()
    out += [Token(w.word, w.flag) for w in _pos_tokenizer().cut(fragment[pos:]) if w.word.strip()]
    return tuple(out)


def _nounish(token: Token) -> bool:
    """Whether a token can be part of what is counted (nouns, domain terms, quoted names; not ranks or fillers)."""
    if token.word in NOT_SUBJECT or token.word in VERB_MISTAGGED or token.flag in ("x", "m"):
        return False
    if token.word.endswith("级") and len(token.word) == 2:
        return False  # 处级, 科级: a rank modifies the noun after it
    return (
        token.flag == "nq" or token.flag.startswith(NOUNISH) and token.flag != "q" or token.word in _domain_nouns() or token.word.endswith(_long_heads())
    )  # 安全隐患 is tagged an idiom


def _clause_after(text: str, end: int) -> str:
    """The rest of the clause after a figure, a bracket right after it skipped (3.80万平方米（…）的占地)."""
    rest = text[end : end + 40]
    if rest.startswith(("（", "(")):
        close = re.search(r"[）)]", rest)
        rest = rest[close.end() :] if close else ""
    rest = re.split(r"[（(）)]", rest, maxsplit=1)[0]
    return CLAUSE_END.split(rest, maxsplit=1)[0][:20]


def _clause_before(text: str, start: int) -> str:
    """The clause before a figure, up to the previous clause mark (、 kept: 处级、科级)."""
    piece = text[max(start - 30, 0) : start]
    piece = CLAUSE_END.split(piece)[-1]
    return re.split(r"[（(）)]", piece)[-1]


def _after_phrase(tokens: list[Token]) -> str:
    """The noun phrase a figure counts when it stands before it: 140名[处级、科级干部], 80%以上的[创新、高科技企业]."""
    while tokens and tokens[0].word in ("的", "各类", "各", "个", "之"):
        tokens = tokens[1:]
    phrase: list[Token] = []
    seen_noun = False
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if (_nounish(tok) and not (seen_noun and tok.flag == "l")) or (tok.word in HEAD_NOT_ALONE and seen_noun):
            phrase.append(tok)
            seen_noun = True
        elif tok.word == "、" and phrase and nxt is not None and (_nounish(nxt) or nxt.flag.startswith(MODIFIER_FLAGS) or nxt.word.endswith("级")):
            phrase.append(tok)
        elif seen_noun and tok.flag in ("a", "d", "b") and nxt is not None and _nounish(nxt) and i + 2 < len(tokens) and _nounish(tokens[i + 2]):
            phrase.append(tok)  # 丹平快速隔音屏建设: a modifier inside a name (not 书记逐一上台)
        elif (
            not seen_noun
            and (tok.flag.startswith(MODIFIER_FLAGS) or tok.word.endswith("级"))
            and len(phrase) < 4
            and tok.word not in NOT_SUBJECT
            and tok.word not in VERB_MISTAGGED
            and tok.word not in LINKS
        ):
            phrase.append(tok)  # 征转地任务, 处级、科级干部, 在建重大产业项目
        else:
            break
    while phrase and (
        (not _nounish(phrase[-1]) and phrase[-1].word not in HEAD_NOT_ALONE)
        or (len(phrase) > 1 and phrase[-1].flag == "vn" and phrase[-1].word not in _domain_nouns())
    ):
        phrase.pop()  # 75个临时党支部冲锋在…: a verb after the noun is the predicate
    if not any(_nounish(t) for t in phrase):
        return ""
    return "".join(t.word for t in phrase)


VERB_TAKING_HEADS = ("总量", "面积", "任务", "率", "度", "人数", "金额", "总数", "工作", "资金", "人口")


def _before_phrase(tokens: list[Token]) -> str:
    """The label a figure stands after: 隐患信息2087宗, 土地整备类8个, 处置率达95.26%, 党员总数279人 → 党员."""
    words = list(tokens)
    skipped: list[str] = []
    while words and (words[-1].word in LINKS or words[-1].flag in ("d", "uj", "ul", "p", "t")) and len(skipped) < 3:
        skipped.append(words.pop().word)
    relative = "的" in skipped  # 参加…活动的有1195人: those who did it are counted
    phrase: list[Token] = []
    while words:
        tok = words[-1]
        if phrase and tok.word in LINKS:
            break  # 街道累计投入资金: the phrase starts after 累计
        if not phrase and tok.word in HEAD_NOT_ALONE:
            phrase.append(Token(tok.word, "n"))  # 征拆总量: kept with what it totals, dropped alone
        elif not phrase and tok.word in LABEL_SUFFIXES:
            phrase.append(Token(tok.word, "n"))  # 土地整备类8个: a label by kind
        elif _nounish(tok) or (phrase and tok.word in ("以上", "以下") and len(words) > 1 and _nounish(words[-2])):
            phrase.append(tok)
        elif tok.word == "、" and phrase and len(words) > 1 and (_nounish(words[-2]) or words[-2].flag.startswith(MODIFIER_FLAGS)):
            phrase.append(tok)
        elif phrase and tok.flag in ("v", "vn", "b") and len(tok.word) == 2 and "".join(t.word for t in reversed(phrase)).endswith(VERB_TAKING_HEADS):
            phrase.append(tok)  # 处置率, 征拆总量: a verb naming what the head measures
        elif phrase and (tok.flag == "b" or tok.word.endswith("级") and len(tok.word) == 2):
            phrase.append(tok)  # 下级, 处级
        elif phrase and tok.flag.startswith("v") and len(tok.word) == 2 and len(words) > 1 and words[-2].word in ("已", "已经", "被", "新"):
            phrase.append(tok)  # 已处置隐患, 新转入党员: the participle says which ones are counted
        elif not phrase and tok.flag == "v" and len(tok.word) == 2 and len(words) > 1 and _nounish(words[-2]):
            phrase.append(tok)  # 强弱电分离1.3万米: a nominalised verb measured by the figure
        else:
            break
        words.pop()
    while phrase and phrase[-1].word == "、":
        phrase.pop()
    while phrase and (
        phrase[-1].word in LINKS
        or not _nounish(phrase[-1])
        and phrase[-1].flag != "b"
        and not phrase[-1].word.endswith("级")
        and len(phrase) > 1
        and phrase[-1].flag not in ("v", "vn")
    ):
        phrase.pop()
    subject = "".join(t.word for t in reversed(phrase))
    rest = words
    if relative and subject and rest and rest[-1].flag.startswith("v") and rest[-1].word not in LINKS:
        return rest[-1].word + subject + "的"
    return "" if subject in HEAD_NOT_ALONE or subject in LABEL_SUFFIXES or not any(_nounish(t) for t in phrase) else subject


def subject_of(text: str, figure: Figure, previous: str = "") -> str:
    """What is counted: the noun phrase after the figure, or for rates, shares and labels the one before it;
    never a comparison base (较上届年轻4岁 → the previous figure's subject) or a denominator (占全区…的63.3%)."""
    if figure.raw.endswith("人口"):
        return "人口"
    start = figure.start
    if text[start - 1 : start] in ("（", "("):  # 三分之二的工业产值（约240亿元）: the subject stands before the bracket
        start -= 1
    after_text = _clause_after(text, figure.end)
    before_text = _clause_before(text, start)
    if COMPARISON.search(before_text) or re.search(r"从.*[至到]$", before_text):
        return previous  # 较上届年轻4岁, 从85%提升至96%: the comparison base is not what changes
    share_of = figure.unit == "%" and after_text.startswith("的")
    if re.search("占(?!比)", before_text) and figure.unit in ("%", "个百分点", "百分点"):
        # the numerator (or the previous figure's subject: 资金500万元，占全年预算的30%), never the denominator
        return _before_phrase(_tokens(re.split("占(?!比)", before_text)[0])) or previous
    after_text = after_text.removeprefix("之久").removeprefix("之多")
    if figure.unit in TIME_UNITS:  # a duration counts nothing; it may say what lasted (长达8年之久的联李东路征拆难题)
        return _after_phrase(_tokens(after_text[1:])) if after_text.startswith("的") else ""
    after_tokens = _tokens(after_text.removeprefix("的"))
    if after_tokens and after_tokens[0].word in ABSTRACT_AFTER:
        verb = next((t.word for t in after_tokens[1:] if t.flag.startswith("v")), "")
        return ("每年" if "每年" in before_text else "") + verb
    if figure.unit in ("%", "个百分点", "百分点", "倍"):
        before = _before_phrase(_tokens(before_text))
        if before.endswith(RATE_HEADS) or not share_of:  # 公众满意度100%的成绩: the rate's own noun
            return before or _after_phrase(after_tokens)
    if figure.unit in MEASURE_UNITS:  # 占地3.80万平方米（…）的产业园, 建筑面积近1万平方米: the measure's own name first
        label = _before_phrase(_tokens(before_text))
        entry = head_entry(label)
        if entry and entry["category"] == CATEGORY_BY_UNIT[figure.unit]:
            return label
    subject = _after_phrase(after_tokens)
    if not subject:
        subject = _before_phrase(_tokens(before_text))
        if previous and re.fullmatch(r"[\u4e00-\u9fff]{1,4}(?:区|街道|市|镇)", subject):
            return previous  # 全市共有志愿者200万人，其中龙岗区48万人: a breakdown by place of the same thing
    if subject.endswith("类") and previous[previous.rfind("类") + 1 :]:
        return subject + previous[previous.rfind("类") + 1 :]  # 重点项目20个，其中土地整备类8个: a kind of the total
    return subject


def category(unit: str, subject: str) -> str:
    """What kind of thing a figure counts: from the subject's head word (resources/figure_categories.csv) for counts,
    from the unit for measures (money, area, time, age); % is a rate only when its subject is one."""
    if unit == "%":
        return "rates" if subject.endswith(RATE_HEADS) else "shares"
    if unit in MEASURE_UNITS:
        return CATEGORY_BY_UNIT[unit]
    entry = head_entry(subject)
    if entry and entry["category"] not in ("rates", "ages"):
        return entry["category"]
    return COUNT_FALLBACK.get(unit, "other counts")


def english_of(subject: str, gloss: dict[str, str] | None = None) -> str:
    """An English gloss of a subject: the glossary's own entry, else the mapping's gloss of its head word."""
    plain = subject.replace("“", "").replace("”", "")
    if gloss and plain in gloss:
        return gloss[plain]
    entry = head_entry(subject)
    return entry["english"] if entry else ""


def time_reference(sentence: str) -> str:
    """The dates a sentence names (the time a figure refers to), joined."""
    return "; ".join(dict.fromkeys(m.group(0) for m in DATE.finditer(sentence) if re.search(r"\d", m.group(0))))


# ---------------------------------------------------------------- owner: whose figure it is

COMPARISON_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,4}?(?:第一|第二|第三|率先|首创|首个|最|前列|领先|排名|之最)")
COMPARISON_BEFORE = ("在", "占", "居", "列", "为")


def owner_markers(sentence: str) -> list[tuple[int, str, str]]:
    """(end position, scope, street) of every owner a sentence names: a street (X街道) or a district/city word,
    leaving out comparisons (全区第一, 在全市率先, 占全区…的)."""
    return list(_owner_markers(sentence))


@lru_cache(maxsize=4096)  # a sentence with several figures is read once
def _owner_markers(sentence: str) -> tuple[tuple[int, str, str], ...]:
    found = []
    for m in gazetteer().mentions(sentence):  # same-named streets of other districts are already left out
        if m.place.area != "in":
            found.append((m.end, schema.FIGURE_OUTSIDE, ""))
        elif m.place.kind in ("street", "community"):
            found.append((m.end, schema.FIGURE_STREET, m.place.street))
    for marker, scope in scope_markers().items():
        at = sentence.find(marker)
        while at >= 0:  # each occurrence, not overlapping (as a regular expression of the marker finds them)
            end = at + len(marker)
            if not (COMPARISON_AFTER.match(sentence[end:]) or sentence[:at].endswith(COMPARISON_BEFORE)):
                found.append((end, scope, ""))
            at = sentence.find(marker, end)
    return tuple(sorted(found))


def figure_owner(sentence: str, position: int, segment_street: str, doc_scope: str) -> tuple[str, str]:
    """(scope, street) of a figure at position in its sentence: outside/unknown documents keep their scope; else the
    owner named nearest before the figure in its sentence, else the segment's street, else the district."""
    if doc_scope == schema.OUTSIDE:
        return schema.FIGURE_OUTSIDE, ""
    if doc_scope == schema.UNKNOWN:
        return schema.FIGURE_UNKNOWN, ""
    markers = owner_markers(sentence)
    before = [m for m in markers if m[0] <= position]
    chosen = before[-1] if before else None
    if chosen and chosen[1] == schema.FIGURE_STREET:
        clause = re.split(r"[，；：]", sentence[:position])[-1]
        if len({m[2] for m in before if m[1] == schema.FIGURE_STREET and sentence.find(clause) <= m[0] - 4}) > 1:
            return schema.FIGURE_STREET, ""  # 龙城街道、宝龙街道和园山街道共派出…: several streets' joint figure
    if chosen:
        return chosen[1], chosen[2]
    if segment_street:
        return schema.FIGURE_STREET, segment_street
    return schema.FIGURE_DISTRICT, ""


def document_scopes(segments: pd.DataFrame) -> dict[str, str]:
    """Each document's scope: segments["scope"] where notebook 01 gives it; else in the area when the text names
    the district or one of its streets, unknown otherwise (an anonymised speech)."""
    if "scope" in segments:
        return {d: (s or schema.IN_AREA) for d, s in segments.groupby("doc_id", sort=False)["scope"].first().items()}
    return {d: gazetteer().attribute("".join(g)).scope for d, g in segments.groupby("doc_id", sort=False)["text"]}


# ---------------------------------------------------------------- the table

MAX_CHARTED_RATES = 40  # one row per rate: beyond this the rates chart stops being readable; every rate is in metrics.csv

COLUMNS = [
    "doc_id",
    "segment_id",
    "figure_id",
    "street",
    "scope",
    "genre",
    "raw",
    "value",
    "value_high",
    "unit",
    "qualifier",
    "subject",
    "subject_en",
    "category",
    "restates",
    "time_ref",
    "sentence",
]


def same_subject(a: str, b: str) -> bool:
    """Two subjects name the same thing: equal, or one the other with a qualifier before it (临时党支部 /
    河道整治临时党支部), quotation marks aside."""
    a, b = (x.replace("“", "").replace("”", "") for x in (a, b))
    short, long = sorted((a, b), key=len)
    return len(short) >= 2 and long.endswith(short)


def restatements(rows: list[dict]) -> list[str]:
    """For each row, the figure_id of the first row of the same document with the same value, unit and subject
    (same_subject); empty for a first mention and for rows without a subject."""
    seen: dict[tuple, list[dict]] = {}  # earlier first mentions by (document, value, unit): linear, not quadratic
    out = []
    for row in rows:
        key = (row["doc_id"], row["value"], row["unit"])
        match = next((r["figure_id"] for r in seen.get(key, ()) if same_subject(r["subject"], row["subject"])), "")
        out.append(match)
        if not match and row["subject"]:
            seen.setdefault(key, []).append(row)
    return out


def segment_figures(segment_id: str, text: str, street: str, doc_scope: str) -> list[dict]:
    """The reported figures of one segment (the per-segment task the engine runs in its pool and caches): value,
    unit, qualifier, subject, owner, category and sentence; glosses and restatements are added across segments."""
    rows, previous_sentence, previous_subject = [], "", ""
    for n, fig in enumerate(extract_figures(text), start=1):
        sentence = chinese.sentence_at(text, fig.start)
        if sentence != previous_sentence:
            previous_subject = ""
        subject = subject_of(text, fig, previous_subject)
        previous_sentence, previous_subject = sentence, subject
        sentence_start = text.find(sentence, max(fig.start - len(sentence), 0))
        scope, owner = figure_owner(sentence, fig.start - max(sentence_start, 0), street, doc_scope)
        rows.append(
            {
                "figure_id": f"{segment_id}#{n}",
                "street": owner,
                "scope": scope,
                "raw": fig.raw,
                "value": fig.value,
                "value_high": fig.value_high,
                "unit": fig.unit,
                "qualifier": fig.qualifier,
                "subject": subject,
                "category": category(fig.unit, subject),
                "time_ref": time_reference(sentence),
                "sentence": sentence,
            }
        )
    return rows


def metrics_table(segments: pd.DataFrame, gloss: dict[str, str] | None = None) -> pd.DataFrame:
    """metrics.csv: every reported figure with its segment, owner (street, scope), value, unit, qualifier, subject,
    category, the first row it restates, and its sentence."""
    scopes = document_scopes(segments)
    work = [(seg.segment_id, seg.text, seg.street, scopes.get(seg.doc_id, schema.IN_AREA)) for seg in segments.itertuples()]
    found = engine.map_documents(segment_figures, work, stage="reported figures", star=True)
    rows = []
    for seg, figures in zip(segments.itertuples(), found):
        for fig in figures:
            rows.append({"doc_id": seg.doc_id, "segment_id": seg.segment_id, "genre": seg.genre, **fig, "subject_en": english_of(fig["subject"], gloss)})
    for row, first in zip(rows, restatements(rows)):
        row["restates"] = first
    return pd.DataFrame(rows, columns=COLUMNS)


def qualifier_marker(qualifier: str) -> str:
    """The chart marker of a figure's qualifier: '>' at least (以上, 超过, 逾), 'D' about (约, 近), 'o' exact."""
    if any(w in qualifier for w in ("以上", "超过", "逾")):
        return ">"
    return "D" if any(w in qualifier for w in ("约", "近")) else "o"


def charted(table: pd.DataFrame) -> pd.DataFrame:
    """The figures charts count: the study area's own (street, district, city), each fact once."""
    keep = table["scope"].isin([schema.FIGURE_STREET, schema.FIGURE_DISTRICT, schema.FIGURE_CITY]) & (table["restates"] == "")
    return table[keep]


# ---------------------------------------------------------------- charts: labels and panels

UNIT_FAMILIES = {
    "人": "persons",
    "名": "persons",
    "位": "persons",
    "人次": "person-times",
    "户": "households",
    "平方米": "square metres",
    "平方公里": "square kilometres",
    "亩": "mu",
    "米": "metres",
    "公里": "kilometres",
    "元": "yuan",
}
CHART_EXCLUDED_UNITS = ("%", "个百分点", "百分点", "倍", "岁") + TIME_UNITS


def unit_family(unit: str) -> str:
    """The unit a chart axis shows: 人, 名 and 位 all count persons; measures keep their unit; the other measure words
    (个, 家, 项 …) all give a number of what the category names."""
    return UNIT_FAMILIES.get(unit, unit if unit in MEASURE_UNITS else "number")


def owner_label(street: str, scope: str) -> str:
    """Who a figure belongs to, for chart labels: the street (Chinese and English) or the scope in brackets."""
    if street:
        return gazetteer().label(street)
    return "(several streets)" if scope == schema.FIGURE_STREET else f"({scope})"


def chart_label(row: pd.Series) -> str:
    """owner · subject (English gloss) · raw figure, e.g. 南湾 Nanwan · 党员 (Party members) · 652人."""
    subject = row["subject"] or "(unstated)"
    gloss = f" ({row['subject_en']})" if row.get("subject_en") else ""
    return f"{owner_label(row['street'], row['scope'])} · {subject}{gloss} · {row['raw']}"


def largest_panels(table: pd.DataFrame, per_panel: int = 6, max_panels: int = 6) -> dict[str, tuple[list[str], list[float]]]:
    """The largest counts and measures, one panel per category and unit (persons, yuan, square metres …): never two
    units on one axis; the panels with the most figures first."""
    counts = table[~table["unit"].isin(CHART_EXCLUDED_UNITS)].assign(family=lambda t: t["unit"].map(unit_family))
    if counts.empty:
        return {}
    groups = counts.groupby(["category", "family"], sort=True)
    order = sorted(groups.groups, key=lambda key: (-len(groups.get_group(key)), key))[:max_panels]
    panels = {}
    for key in order:
        top = groups.get_group(key).sort_values(["value", "figure_id"], ascending=[False, True], kind="stable").head(per_panel)
        panels[f"{key[0]} · {key[1]}"] = ([chart_label(r) for _, r in top.iterrows()], [float(v) for v in top["value"]])
    return panels


def real_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Percentages whose subject is a rate (处置率, 满意度, 占比), not shares of something (90%的项目) nor rhetoric."""
    return table[(table["unit"] == "%") & (table["category"] == "rates")]
