"""Cleaning as a sequence of small named steps; every change is an Edit, logged, so nothing is lost.

Each step is a function `text -> list[Edit]` over the output of the step before it. Applying the
logged edits to the raw text in order gives the clean text back exactly (tests/test_cleaning.py),
so the log answers "where did this text go?" for every character.
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pandas as pd

from helpers.base import engine, schema
from helpers.base.chinese import (
    CJK,
    HAN,
    SENTENCE_END,
    SPEAKER_HEADING,
    is_heading_like,
    jieba_dictionary,
    plausible_char,
    simplified,
)
from helpers.stage1_load import pages

# What an edit did, for a reader who must not be told more than happened (cleaning_log.csv `outcome`).
REPAIRED, PARTIAL, DELETED, REPLACED = "repaired", "partial", "deleted", "replaced"
JOINED, JOINED_POSSIBLE_LOSS = "joined", "joined-possible-loss"
OUTCOMES = (REPAIRED, PARTIAL, DELETED, REPLACED, JOINED, JOINED_POSSIBLE_LOSS)


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] by `after`; `note` says why (shown in the cleaning log); `outcome` what it achieved
    (empty: deleted when nothing is put back, else replaced); `copies` how many copies of earlier text it removed."""

    start: int
    end: int
    after: str = ""
    note: str = ""
    outcome: str = ""
    copies: int = 0

    def result(self) -> str:
        """The outcome, defaulting to deleted (nothing put back) or replaced."""
        return self.outcome or (DELETED if not self.after else REPLACED)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (any order) to text."""
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: e.start):
        if edit.start < cursor:
            raise ValueError(f"overlapping edits at {edit.start}")
        out += [text[cursor : edit.start], edit.after]
        cursor = edit.end
    return "".join(out) + text[cursor:]


def regex_edits(pattern: re.Pattern[str], text: str, replace: Callable[[re.Match[str]], str], note: str) -> list[Edit]:
    """One edit per match whose replacement differs from the match."""
    edits = []
    for m in pattern.finditer(text):
        after = replace(m)
        if after != m.group(0):
            edits.append(Edit(m.start(), m.end(), after, note))
    return edits


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the newline."""
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def remove_line(text: str, start: int, end: int, note: str) -> Edit:
    """An edit deleting a whole line together with its newline."""
    return Edit(start, min(end + 1, len(text)), "", note)


# ---------------------------------------------------------------- 0. saved web pages, stray tags and entities
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,9}|#[0-9]{2,7}|#[xX][0-9A-Fa-f]{2,6});")


def extract_web_page(text: str) -> list[Edit]:
    """A saved web page becomes its article text (pages.extract_page); in a text, stray tags go, entities are decoded."""
    if pages.is_web_page(text):
        page = pages.extract_page(text)
        return [Edit(0, len(text), page.text, f"{schema.REASON_WEB_PAGE}article text ({page.extractor}), its title, date and source → metadata", REPLACED)]
    code = [Edit(m.start(), m.end(), "", "stray script or style") for m in pages.CODE_ELEMENT.finditer(text)]
    inside = lambda i: any(c.start <= i < c.end for c in code)  # noqa: E731
    tags = code + [Edit(m.start(), m.end(), "", "stray HTML tag") for m in pages.HTML_TAG.finditer(text) if not inside(m.start())]
    entities = regex_edits(ENTITY, text, lambda m: html.unescape(m.group(0)), "HTML entity → character")
    return tags + [e for e in entities if not any(t.start <= e.start < t.end for t in tags)]


# ---------------------------------------------------------------- 1. line ends and invisible characters
INVISIBLE = re.compile("\r\n?|[\ufeff\u200b\u200c\u200d\u2060\u00ad]")


def normalise_line_ends(text: str) -> list[Edit]:
    """CRLF and CR become LF; byte-order marks, zero-width and soft-hyphen characters go."""
    return regex_edits(INVISIBLE, text, lambda m: "\n" if m.group(0).startswith("\r") else "", "line end / invisible")


# ---------------------------------------------------------------- 2. pinyin annotations
TONE_MARKED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
PINYIN = re.compile(rf"(?<=[{HAN}])\(([a-zü{TONE_MARKED}]{{1,7}})\)")


def strip_pinyin(text: str) -> list[Edit]:
    """Drop '(fā)'-style readings after a character; parentheses holding words, names or numbers stay."""
    return regex_edits(PINYIN, text, lambda m: "" if set(m.group(1)) & set(TONE_MARKED) else m.group(0), "pinyin reading")


# ---------------------------------------------------------------- 3. GBK byte-shift mojibake
def shift_decode(garbled: str) -> str | None:
    """Re-read a GBK-misaligned span one byte later: encode it back, drop its first byte, decode.

    A lead byte left dangling at the end belongs to a character whose other half is lost; it is dropped.
    """
    try:
        data = garbled.encode("gb18030")
        return codecs.getincrementaldecoder("gb18030")().decode(data[1:], final=False)
    except UnicodeError:
        return None


# A lone ASCII '?' or '!' in running Chinese, optionally followed by the remains of a pinyin
# reading ("?yōu)"), marks where a decoder lost a byte; GBK trail bytes 0x40-0x7E show up
# as a single ASCII letter or symbol stuck inside Chinese ("秉h的", "裸y行", "屑~”").
GARBLE = re.compile(
    rf"(?P<lead>(?<=[{HAN}\u2e80-\u2fdf])[?!](?P<fragment>[a-zü{TONE_MARKED}]{{1,6}}\))?)?"
    rf"(?P<run>[{HAN}\u2e80-\u2fdf]*)"
    rf"(?:(?P<trail>[@-Z\[-`a-z{{-~]\s?)(?=[{CJK}])(?P<after>[{HAN}\u2e80-\u2fdf]*))?"
)


# A re-decoded run is a repair only if most of it (here 60%) comes out as common characters: wrong decodings come out
# 34–49% common (measured on the seeds read with the wrong codec), real text about 100%.
MIN_REPAIRED_SHARE = 0.6


def _repair_with_lead(m: re.Match[str]) -> Edit | None:
    """After a loss mark the whole run is shifted: re-decode it and drop what stays implausible."""
    unit = m.group("run") + (m.group("trail") or "").strip() + (m.group("after") or "")
    decoded = shift_decode(unit)
    if decoded is None:
        return None
    kept = "".join(c for c in decoded if plausible_char(c))
    if len(kept) < 2 or len(kept) < MIN_REPAIRED_SHARE * len(decoded):
        return None
    start = m.start("lead") + (m.group("lead")[0] == "!")  # a '!' may be real punctuation: keep it
    dropped = len(decoded) - len(kept)
    # A '?' (or a reading fragment) stood for a character whose bytes are gone: the repaired run still lacks it.
    lost_before = m.group("lead")[0] == "?" or bool(m.group("fragment"))
    return Edit(
        start,
        m.end(),
        kept,
        f"GBK shift repaired{f', {dropped} unrepairable char(s) dropped' if dropped else ''}",
        PARTIAL if dropped or lost_before else REPAIRED,
    )


def has_word(text: str, starting_before: int | None = None) -> bool:
    """Whether text (read as Simplified) holds a dictionary word of 2+ characters (starting before an index)."""
    plain, words = simplified(text), jieba_dictionary()
    last_start = len(plain) if starting_before is None else starting_before
    return any(plain[i : i + n] in words for n in (2, 3, 4) for i in range(min(last_start, len(plain) - n + 1)))


def _repair_trailing(m: re.Match[str]) -> Edit | None:
    """Without a loss mark, find where in the run the shift starts. The evidence must be strong: the
    run read as it is holds no word, and read one byte later it is common characters forming a word."""
    run, trail, after = m.group("run"), m.group("trail").strip(), m.group("after") or ""
    for i in range(len(run)):
        decoded = shift_decode(run[i:] + trail)
        if not decoded or not all(plausible_char(c) for c in decoded):
            continue
        if len(decoded) < 2 or has_word(run[i:]) or not has_word(decoded + after[:2], starting_before=len(decoded) - 1):
            continue
        return Edit(m.start("run") + i, m.start("trail") + len(m.group("trail")), decoded, "GBK shift repaired", REPAIRED)
    return None


def repair_mojibake(text: str) -> list[Edit]:
    """Repair GBK byte-shift mojibake where re-decoding gives plausible Chinese; log what cannot be."""
    edits = []
    for m in GARBLE.finditer(text):
        if not m.group(0) or not (m.group("lead") or m.group("trail")):
            continue
        if m.group("lead"):
            edit = _repair_with_lead(m) if m.group("run") else None
            if edit is None and m.group("fragment"):  # '?yōu)': a lost character and the remains of its reading
                start = m.start("lead") + (m.group("lead")[0] == "!")
                edit = Edit(start, m.end("lead"), "", "decoding residue (lost character) removed", DELETED)
        else:
            edit = _repair_trailing(m)
        if edit:
            edits.append(edit)
    return edits


# ---------------------------------------------------------------- 4. Traditional -> Simplified
# OpenCC keeps 著 (a valid Simplified character in 著名, 著作, 显著), so Traditional 著 as a verb or aspect particle
# (著力, 随著, 担负著) would stay beside Simplified 着. Simplified usage writes 着 everywhere except in the "notable /
# author" words below; this one rule turns every other 著 into 着, logged as its own edit.
ZHU_KEPT_BEFORE = set("名作称述者录书有")  # 著名 famous, 著作 work, 著称 renowned, 著述, 著者, 著录, 著书, 著有
ZHU_KEPT_AFTER = set("显卓土名专原巨译论遗合新所拙编昭")  # 显著, 卓著, 土著, 名著, 专著, 原著, 巨著, 译著, 编著, 昭著 …


def zhe_for_zhu(text: str) -> list[Edit]:
    """著 → 着 wherever Simplified usage has 着 (all but 著名, 著作, 显著 …), one logged edit per character."""
    return [
        Edit(i, i + 1, "着", "著→着 (Simplified usage: verb and aspect particle)")
        for i, char in enumerate(text)
        if char == "著" and text[i + 1 : i + 2] not in ZHU_KEPT_BEFORE and text[i - 1 : i] not in ZHU_KEPT_AFTER
    ]


def to_simplified(text: str) -> list[Edit]:
    """OpenCC t2s, logged as one edit per run of changed characters; then 著 → 着 where Simplified usage has 着."""
    converted = simplified(text)
    if converted == text:
        return zhe_for_zhu(text)
    if len(converted) != len(text):  # phrase conversions that change length: fall back to one edit per line
        old_lines, new_lines = text.split("\n"), converted.split("\n")
        new_lines = [apply_edits(line, zhe_for_zhu(line)) for line in new_lines]
        return [Edit(s, e, new, "Traditional→Simplified") for (s, e), old, new in zip(line_spans(text), old_lines, new_lines) if old != new]
    edits, i = [], 0
    while i < len(text):
        if text[i] == converted[i]:
            i += 1
            continue
        j = i
        while j < len(text) and text[j] != converted[j]:
            j += 1
        edits.append(Edit(i, j, converted[i:j], "Traditional→Simplified"))
        i = j
    return edits + zhe_for_zhu(converted)  # same length: a 著 left by OpenCC sits where it was in text


# ---------------------------------------------------------------- 5. width and punctuation
HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
NEAR_CJK_PUNCT = re.compile(rf"(?<=[{CJK}])\s?[,;:!?]|[,;:!?](?=\s?[{CJK}])")
PAREN_PAIR = re.compile(r"\(([^()\n]{0,60})\)")
STRAIGHT_QUOTES = re.compile(r'"([^"\n]{1,80})"')
FULLWIDTH_ASCII = re.compile("[\uff01-\uff5e\u3000\u00a0]")
KEEP_FULLWIDTH = set("，；：！？（）")


def normalise_width(text: str) -> list[Edit]:
    """Full-width letters, digits and symbols become ASCII; Chinese punctuation stays full-width."""

    def half(m: re.Match[str]) -> str:
        char = m.group(0)
        if char in KEEP_FULLWIDTH:
            return char
        return " " if char in "\u3000\u00a0" else unicodedata.normalize("NFKC", char)

    return regex_edits(FULLWIDTH_ASCII, text, half, "full-width → ASCII")


def normalise_punctuation(text: str) -> list[Edit]:
    """ASCII , ; : ! ? ( ) and straight quotes in Chinese context become Chinese punctuation."""
    edits = regex_edits(NEAR_CJK_PUNCT, text, lambda m: HALF_TO_FULL[m.group(0).strip()], "ASCII → Chinese punctuation")
    taken = {i for e in edits for i in range(e.start, e.end)}
    has_cjk = re.compile(f"[{CJK}]")

    def paren(m: re.Match[str]) -> str:
        context = text[max(m.start() - 1, 0) : m.end() + 1]
        return f"（{m.group(1)}）" if has_cjk.search(context) else m.group(0)

    def quote(m: re.Match[str]) -> str:
        return f"“{m.group(1)}”" if has_cjk.search(m.group(1)) else m.group(0)

    for pattern, fix in ((PAREN_PAIR, paren), (STRAIGHT_QUOTES, quote)):
        for e in regex_edits(pattern, text, fix, "ASCII → Chinese punctuation"):
            if not taken & set(range(e.start, e.end)):
                edits.append(e)
                taken |= set(range(e.start, e.end))
    return edits


# ---------------------------------------------------------------- 6. OCR damage
OCR_SPACE = re.compile(rf"(?<=[{CJK}])[ \t]+(?=\S)|(?<=\S)[ \t]+(?=[{CJK}])")
OCR_DASH = re.compile(rf"(?<=[{HAN}])-(?=[{HAN}])")


def is_body_line(line: str) -> bool:
    """Running text (long or with sentence punctuation) rather than a heading, name line or title."""
    return len(line) >= 40 or bool(re.search(r"[，。；！？、]", line))


def remove_ocr_spaces(text: str) -> list[Edit]:
    """Spaces beside Chinese characters in running text are OCR line-wrap debris; headings keep theirs."""
    edits = []
    for start, end in line_spans(text):
        line = text[start:end]
        if is_body_line(line):
            edits += [Edit(start + m.start(), start + m.end(), "", "OCR space inside Chinese") for m in OCR_SPACE.finditer(line)]
    return edits


def fix_ocr_dash(text: str) -> list[Edit]:
    """A hyphen between two Chinese characters is OCR's reading of 一 ('涌现出-批' → '涌现出一批')."""
    return [Edit(e.start, e.end, e.after, e.note, REPAIRED) for e in regex_edits(OCR_DASH, text, lambda m: "一", "OCR '-' read for '一'")]


# ---------------------------------------------------------------- 7. front matter, boilerplate, credits
BOILERPLATE = [
    ("site navigation", re.compile(r"^.{1,40}(>>|›|»|＞＞|>\s).{1,40}$")),
    ("share button", re.compile(r"(微信|微博|QQ).{0,8}(扫一扫|分享|关注)|^(分享到|扫一扫|打印本页|关闭窗口|返回顶部|【字号|【字体|字号[:：]|字体[:：])")),
    ("page footer", re.compile(r"^(相关热词搜索|相关阅读|相关新闻|热点文章阅读|热点文章|推荐阅读|上一篇|下一篇|延伸阅读|版权所有|免责声明|责任编辑)")),
    (
        schema.REASON_PUBLICATION,
        re.compile(
            r"^(发布时间|发表时间|更新时间|来源|点击|阅读|原标题)[:：]"
            r"|(发布时间|来源|点击)[:：].{0,30}$"
            r"|^\d{4}[-年]\d{1,2}[-月]\d{1,2}日?\s*\d{1,2}:\d{2}"
        ),
    ),
    (schema.REASON_CREDIT, re.compile(r"^[（(]?\s*(责编|责任编辑|编辑|美编|组版|校对|记者|通讯员|文|图|摄|摄影|制图|供图|撰文|作者)\s*[:：/]")),
    (schema.REASON_CREDIT, re.compile(r"^.{0,12}(记者|通讯员)\s*[\u4e00-\u9fff]{2,4}(\s*[/／]\s*[文图摄])?\s*$|^[\u4e00-\u9fff·]{2,4}\s*[/／]\s*[文图摄]\s*$")),
    (schema.REASON_CREDIT, re.compile(r"^(文|图)[:：][\u4e00-\u9fff]{2,4}(\s+(文|图|摄)[:：][\u4e00-\u9fff]{2,4})*$")),
]
AUTHOR_PARENS = re.compile(r"^[（(]\s*[\u4e00-\u9fff]{2,3}(?:[\s、，,]+[\u4e00-\u9fff]{2,3})*\s*[）)]$")


def boilerplate_kind(line: str, near_end: bool = False) -> str | None:
    """Which kind of non-text line this is (navigation, share button, footer, metadata, credit), if any."""
    stripped = line.strip()
    if not stripped or len(stripped) > 80:
        return None
    for kind, pattern in BOILERPLATE:
        if pattern.search(stripped):
            return kind
    if near_end and AUTHOR_PARENS.match(stripped):
        return schema.REASON_CREDIT
    return None


# Page furniture (credits, footers) sits in a page's first lines or its last fifth; in the body the same words
# (记者, 编辑) are ordinary text.
PAGE_TOP_LINES = 3
PAGE_END = 0.8


def strip_boilerplate(text: str) -> list[Edit]:
    """Remove navigation, share buttons, footers, publication metadata and credits (they go to metadata)."""
    spans = line_spans(text)
    edits = []
    for index, (start, end) in enumerate(spans):
        kind = boilerplate_kind(text[start:end], near_end=index >= PAGE_END * len(spans) or index < PAGE_TOP_LINES)
        if kind:
            edits.append(remove_line(text, start, end, kind))
    return edits


def strip_title_block(text: str) -> list[Edit]:
    """The headline lines at the top (before credits or body) are metadata, not the street's words."""
    edits, taken = [], 0
    for start, end in line_spans(text):
        line = text[start:end]
        if not line.strip():
            continue
        if boilerplate_kind(line, near_end=True):
            if taken:
                break
            continue
        if taken >= 3 or not is_heading_like(line) or (taken and is_body_line(line) and len(line) > 50):
            break
        edits.append(remove_line(text, start, end, schema.REASON_TITLE))
        taken += 1
    return edits


# ---------------------------------------------------------------- 8. photo captions
CAPTION_MARK = re.compile(r"^(图为|上图|下图|左图|右图|图[：:]|（图|\(图)|（(摄影?|供图)）$|(摄|供图)$")
HEADING_MARK = re.compile(r"^(#|●|■|◆|▲|★|【|篇章|第[一二三四五六七八九十]+|[一二三四五六七八九十]+、|\d+[.、])")


def strip_captions(text: str) -> list[Edit]:
    """Photo captions floated into the text: short lines set off by extra blank lines, or marked as captions."""
    spans = line_spans(text)
    edits = []
    for index, (start, end) in enumerate(spans):
        line = text[start:end].strip()
        if not line or SPEAKER_HEADING.match(line) or HEADING_MARK.match(line):
            continue
        blank_before = 0
        for prev in range(index - 1, -1, -1):
            if text[spans[prev][0] : spans[prev][1]].strip():
                break
            blank_before += 1
        short = len(line) <= 30 and not re.search(r"[，；！？]", line) and not re.search(f"[{SENTENCE_END}]", line[:-1])
        later_text = any(is_body_line(text[s:e]) for s, e in spans[index + 1 : index + 9])
        if (short and blank_before >= 2 and later_text and index > 0) or (len(line) <= 40 and CAPTION_MARK.search(line)):
            edits.append(remove_line(text, start, end, "photo caption"))
    return edits


# ---------------------------------------------------------------- 9. words split over page breaks, tidy blank lines
EXTRA_BLANKS = re.compile(r"[ \t]+(?=\n)|(?<=\n\n)\n+|^\n+|\n+$")
BREAK = re.compile(rf"(?<=[{HAN}“‘、，（])\n\s*\n(?=[{HAN}”’，。、）])")


def tidy_blank_lines(text: str) -> list[Edit]:
    """Trailing spaces go; runs of blank lines shrink to one; no blank lines at the ends."""
    return regex_edits(EXTRA_BLANKS, text, lambda m: "", "blank lines / trailing spaces")


def spans_a_word(left: str, right: str) -> bool:
    """Whether a dictionary word runs across the join of left and right ('公' + '司')."""
    words = jieba_dictionary()
    return any(left[-a:] + right[:b] in words for a in (1, 2, 3) for b in (1, 2, 3) if len(left) >= a and len(right) >= b)


def rejoin_page_breaks(text: str) -> list[Edit]:
    """Join a paragraph that stops mid-sentence to the next one that continues it (公\\n\\n司 → 公司).

    The paragraph before must be long running text, or running text whose last characters form
    a dictionary word with the next paragraph's first ones; headings never join.
    """
    edits = []
    for m in BREAK.finditer(text):
        before = text[: m.start()].rsplit("\n", 1)[-1]
        after = text[m.end() :].split("\n", 1)[0]
        continues = len(before) >= 50 or (is_body_line(before) and spans_a_word(before, after))
        if (
            continues
            and (is_body_line(after) or after.rstrip().endswith(tuple(SENTENCE_END + "”")))
            and not SPEAKER_HEADING.match(after)
            and not HEADING_MARK.match(after)
        ):
            # Only a word running across the break (公|司) shows that nothing stood between the two pages; a join
            # found only because the paragraph stops mid-sentence may close over lost text (运行|关键时刻).
            outcome = JOINED if spans_a_word(before, after) else JOINED_POSSIBLE_LOSS
            edits.append(Edit(m.start(), m.end(), "", "word split over page break rejoined", outcome))
    return edits


# ---------------------------------------------------------------- 10. layout duplicates
def repeated_spans(text: str, k: int = 40, gap: int = 12) -> list[tuple[int, int]]:
    """Spans (start, end) whose every k-character window already occurred earlier, merged over small gaps."""
    first_seen: dict[str, int] = {}
    marked = bytearray(len(text))
    for i in range(len(text) - k + 1):
        window = text[i : i + k]
        if window.strip() == "":
            continue
        j = first_seen.setdefault(window, i)
        if j != i and i - j >= k:
            marked[i : i + k] = b"\x01" * k
    spans: list[list[int]] = []
    for i, flag in enumerate(marked):
        if not flag:
            continue
        if spans and i - spans[-1][1] <= gap:
            spans[-1][1] = i + 1
        else:
            spans.append([i, i + 1])
    return [(s, e) for s, e in spans]


def copies_in_span(text: str, start: int, end: int, k: int = 40) -> int:
    """How many copies of earlier text a repeated span holds: its length over the distance back to the first copy
    (a paragraph printed three times is one span of two copies)."""
    first = text.find(text[start : start + k])
    period = start - first if 0 <= first < start else end - start
    return max(1, round((end - start) / max(period, 1)))


def remove_layout_duplicates(text: str) -> list[Edit]:
    """Text printed twice by the layout (exact or near-exact repeats of 40+ characters): keep the first."""
    return [Edit(s, e, "", "layout duplicate (repeat of earlier text)", DELETED, copies_in_span(text, s, e)) for s, e in repeated_spans(text)]


# ---------------------------------------------------------------- 11. markup
MARKUP = re.compile(r"^(#{1,6}\s*|[-*]\s+)", re.M)


def strip_markup(text: str) -> list[Edit]:
    """Markdown heading and list markers are layout, not text."""
    return regex_edits(MARKUP, text, lambda m: "", "markup")


STEPS: list[tuple[str, Callable[[str], list[Edit]]]] = [
    (schema.STEP_WEB_PAGE, extract_web_page),
    (schema.STEP_LINE_ENDS, normalise_line_ends),
    (schema.STEP_PINYIN, strip_pinyin),
    (schema.STEP_MOJIBAKE, repair_mojibake),
    (schema.STEP_SIMPLIFIED, to_simplified),
    (schema.STEP_WIDTH, normalise_width),
    (schema.STEP_PUNCTUATION, normalise_punctuation),
    (schema.STEP_OCR_SPACES, remove_ocr_spaces),
    (schema.STEP_OCR_DASH, fix_ocr_dash),
    (schema.STEP_TITLE, strip_title_block),
    (schema.STEP_BOILERPLATE, strip_boilerplate),
    (schema.STEP_CAPTIONS, strip_captions),
    (schema.STEP_TIDY_FIRST, tidy_blank_lines),
    (schema.STEP_PAGE_BREAKS, rejoin_page_breaks),
    (schema.STEP_DUPLICATES, remove_layout_duplicates),
    (schema.STEP_MARKUP, strip_markup),
    (schema.STEP_TIDY_LAST, tidy_blank_lines),
]


EXAMPLE_SPAN = 120  # an edited span longer than this (a whole web page, a repeated paragraph) is shown by its ends


def context_example(text: str, edit: Edit, width: int = 8) -> str:
    """'…before[old]after… → …before[new]after…' for the log; line ends shown as ¶ (and a CR as ␍)."""
    left, right = text[max(edit.start - width, 0) : edit.start], text[edit.end : edit.end + width]

    def show(s: str) -> str:
        if len(s) > EXAMPLE_SPAN:  # the full text is in the log's before/after columns
            s = f"{s[: EXAMPLE_SPAN // 2]}…({len(s) - EXAMPLE_SPAN:,} characters)…{s[-EXAMPLE_SPAN // 2 :]}"
        if "\n" in s or "\r" in s:  # line ends must stay visible in a table cell (most spans have none)
            s = s.replace("\r", "␍").replace("\n", "¶")
        return s

    return f"…{show(left)}[{show(text[edit.start : edit.end])}]{show(right)}… → …{show(left)}[{show(edit.after)}]{show(right)}…"


def clean_text(doc_id: str, text: str) -> tuple[str, list[dict]]:
    """Run every step; return the clean text and one log row per edit."""
    log: list[dict] = []
    for step, function in STEPS:
        edits = sorted(function(text), key=lambda e: e.start)
        for seq, edit in enumerate(edits):
            log.append(
                {
                    "doc_id": doc_id,
                    "step": step,
                    "seq": seq,
                    "start": edit.start,
                    "end": edit.end,
                    "before": text[edit.start : edit.end],
                    "after": edit.after,
                    "chars_removed": edit.end - edit.start,
                    "chars_added": len(edit.after),
                    "reason": edit.note,
                    "outcome": edit.result(),
                    "copies_removed": edit.copies,
                    "example": context_example(text, edit),
                }
            )
        text = apply_edits(text, edits)
    return text, log


def replay(raw: str, log: list[dict]) -> str:
    """Rebuild the clean text from the raw text and the log alone (the accounting check)."""
    text = raw
    for step, _ in STEPS:
        rows = [r for r in log if r["step"] == step]
        text = apply_edits(text, [Edit(int(r["start"]), int(r["end"]), r["after"]) for r in rows])
    return text


LOG_COLUMNS = ["doc_id", "step", "seq", "start", "end", "reason", "outcome", "copies_removed", "chars_removed", "chars_added", "before", "after", "example"]


def log_frame(cleaned: dict[str, tuple[str, list[dict]]]) -> pd.DataFrame:
    """cleaning_log.csv: one row per edit, documents in order."""
    rows = [row for doc_id in sorted(cleaned) for row in cleaned[doc_id][1]]
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


def step_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Edits, copies and characters removed/added per document, step, reason and outcome, with one example each."""
    if "outcome" not in log:  # a log written before outcomes were recorded
        log = log.assign(outcome="", copies_removed=0)
    grouped = log.groupby(["doc_id", "step", "reason", "outcome"], sort=False)
    return grouped.agg(
        edits=("seq", "size"),
        copies_removed=("copies_removed", "sum"),
        chars_removed=("chars_removed", "sum"),
        chars_added=("chars_added", "sum"),
        example=("example", "first"),
    ).reset_index()


# ---------------------------------------------------------------- a corpus, streamed
# The log is ~25 times the size of the text it describes (a row per edit, each with its context): at 4,000 documents
# ~800,000 rows, 180 MB of CSV and several times that as Python objects. Documents are cleaned and their log written
# out in batches of about this many characters (a few tens of MB of log rows in memory at a time).
BATCH_CHARS = 250_000
KEY_STEPS = (schema.STEP_MOJIBAKE, schema.STEP_PAGE_BREAKS, schema.STEP_DUPLICATES, schema.STEP_CAPTIONS)
KEY_ROWS_SHOWN = 30  # rows of the key steps notebook 01 shows (all of them are in cleaning_log.csv)


def clean_checked(doc_id: str, text: str) -> tuple[str, list[dict]]:
    """clean_text, its accounting checked: replaying the log on the raw text must give the clean text, character for
    character (done where the document is cleaned, so in the pool, and cached with the result)."""
    clean, log = clean_text(doc_id, text)
    if replay(text, log) != clean:
        raise AssertionError(f"{doc_id}: the cleaning log does not account for every change")
    return clean, log


def clean_in_batches(texts: dict[str, str]) -> Iterator[dict[str, tuple[str, list[dict]]]]:
    """clean_checked over every document, in batches of documents in name order (the log's order): doc_id -> (clean
    text, log rows), through the engine (pool, cache and progress bar for the whole corpus)."""
    ids = sorted(texts)
    done = 0
    batches = engine.map_batches(clean_checked, [(doc_id, texts[doc_id]) for doc_id in ids], stage="cleaning", star=True, batch_chars=BATCH_CHARS)
    for results in batches:
        yield dict(zip(ids[done : done + len(results)], results))
        done += len(results)


class LogDigest:
    """What notebook 01 keeps of the cleaning log as it streams past a batch at a time: cleaning_summary's rows and
    the first rows of the key steps. The log itself goes to cleaning_log.csv and is dropped."""

    def __init__(self) -> None:
        self._summaries: list[pd.DataFrame] = []
        self._key_rows: list[pd.DataFrame] = []
        self.key_edits = 0  # rows of the key steps in the whole log

    def add(self, log: pd.DataFrame) -> pd.DataFrame:
        """Take in one batch of the log (whole documents, after the batches before it); return it unchanged."""
        summary = step_summary(log)
        if len(summary):  # an empty part would turn the numbers' columns into objects when concatenated
            self._summaries.append(summary)
        key = log[log["step"].isin(KEY_STEPS)]
        self.key_edits += len(key)
        missing = KEY_ROWS_SHOWN - sum(map(len, self._key_rows))
        if missing > 0 and len(key):
            self._key_rows.append(key.head(missing))
        return log

    def summary(self) -> pd.DataFrame:
        """cleaning_summary.csv: step_summary of the whole log (its groups are within a document, so the batches'
        summaries in order are the whole log's)."""
        return pd.concat(self._summaries, ignore_index=True) if self._summaries else step_summary(log_frame({}))

    def key_rows(self) -> pd.DataFrame:
        """The first KEY_ROWS_SHOWN rows of the key steps (mojibake, page-break joins, layout duplicates, captions)."""
        return pd.concat(self._key_rows, ignore_index=True) if self._key_rows else log_frame({})


# ---------------------------------------------------------------- views of the summary, bounded by the steps
def step_totals(summary: pd.DataFrame) -> pd.DataFrame:
    """Per step, in the order the steps run: documents it changed, edits, characters removed and added."""
    totals = summary.groupby("step", sort=False).agg(
        documents=("doc_id", "nunique"), edits=("edits", "sum"), chars_removed=("chars_removed", "sum"), chars_added=("chars_added", "sum")
    )
    return totals.reindex([step for step, _ in STEPS if step in totals.index])


def reason_totals(summary: pd.DataFrame) -> pd.DataFrame:
    """Per kind of edit (step and reason): documents, edits and characters removed net of characters added, largest
    first."""
    totals = (
        summary.assign(net_removed=summary["chars_removed"] - summary["chars_added"])
        .groupby(["step", "reason"], sort=False)
        .agg(documents=("doc_id", "nunique"), edits=("edits", "sum"), net_removed=("net_removed", "sum"))
        .reset_index()
    )
    return totals.sort_values(["net_removed", "step", "reason"], ascending=[False, True, True], kind="stable").reset_index(drop=True)
