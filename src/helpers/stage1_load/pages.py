"""Saved web pages: telling a page from a text, and keeping only its article (trafilatura), with its metadata.

A page may come as .html/.htm or as a .txt file that holds HTML (a browser's "save as text" of the source, a
scraper's output). Either way the cleaning's first step (cleaning.extract_web_page) replaces the markup by the
article text that trafilatura finds, so no tag, entity, script or navigation reaches the segments, and the edit is
logged like every other; the page's title, date and source go to documents.csv through page_metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

import trafilatura

# A page names itself (<!DOCTYPE html>, <html>, an XML prolog before <html>) ...
PAGE_START = re.compile(r"\A[\s\ufeff]*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
# ... or is mostly markup: tags of the HTML vocabulary (not any <…>: Chinese text uses 《》 and math uses <).
HTML_TAG = re.compile(
    r"</?(?:html|head|body|meta|link|title|script|style|div|span|p|a|br|hr|img|ul|ol|li|table|tbody|thead|tr|td|th|"
    r"h[1-6]|section|article|header|footer|nav|aside|main|form|input|button|iframe|strong|em|b|i|font|center|label|"
    r"select|option|noscript)\b[^<>]*>",
    re.I,
)
# Code never belongs to a text: a script or style element left in a text goes whole, content included.
CODE_ELEMENT = re.compile(r"<(script|style)\b[^<>]*>.*?(?:</\1\s*>|\Z)", re.I | re.S)
# Tags that lay a page out (not <script>, <img> or <iframe>, which a hostile or odd text may hold on their own).
LAYOUT_TAG = re.compile(r"</?(?:html|head|body|div|span|p|br|li|ul|ol|table|tr|td|h[1-6]|section|article|header|footer|nav|a)\b[^<>]*>", re.I)
MIN_TAGS = 5  # a text quoting a tag or two (a how-to, a code sample) is still a text ...
MIN_TAG_SHARE = 0.05  # ... a page spends at least 5% of its characters on tags (the saved pages tried: 20-60%)
# A date, a source line: what a Chinese news page prints under its headline.
SOURCE = re.compile(r"来源[:：]\s*([^\s<>|｜，,。]{2,30})")
# trafilatura's defaults otherwise; the date search must not depend on today's date, so that builds repeat.
DATE_PARAMS = {"extensive_search": True, "original_date": True, "max_date": "2100-12-31"}


@dataclass(frozen=True)
class Page:
    """What a saved web page holds: its article text and the metadata printed around it ('' where absent)."""

    text: str
    title: str
    date: str
    source: str
    extractor: str  # "trafilatura", or "visible text" where trafilatura finds no article (a very short page)


def is_web_page(text: str) -> bool:
    """Whether decoded text is an HTML page rather than a text: it starts as one, or layout tags are a large share of it."""
    if PAGE_START.match(text):
        return True
    if len(LAYOUT_TAG.findall(text)) < MIN_TAGS:
        return False
    return sum(map(len, HTML_TAG.findall(text))) >= MIN_TAG_SHARE * max(len(text), 1)


class _TextOfPage(HTMLParser):
    """The visible text of a page, one line per block element; scripts, styles and the head dropped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer"}
    BLOCKS |= {"nav", "table", "ul", "ol", "blockquote", "figcaption", "title"}
    HIDDEN = {"script", "style", "noscript", "template", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.hidden += tag in self.HIDDEN
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(markup: str) -> str:
    """Every visible line of a page (no article detection): the fallback, and the place to look for a source line."""
    parser = _TextOfPage()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n\n".join(line for line in lines if line)


def _article_lines(text: str) -> str:
    """trafilatura's lines as paragraphs (blank line between), spaces inside a line collapsed."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n\n".join(line for line in lines if line)


@lru_cache(maxsize=64)
def extract_page(markup: str) -> Page:
    """The article of a saved page and its title, date (YYYY-MM-DD) and source; visible text if no article is found."""
    found = trafilatura.bare_extraction(
        markup,
        with_metadata=True,
        include_comments=False,  # readers' comments are not the document
        include_tables=True,
        include_images=False,
        include_links=False,
        date_extraction_params=DATE_PARAMS,
    )
    visible = visible_text(markup)
    source = SOURCE.search(visible)
    if found is None or not (found.text or "").strip():
        return Page(visible + "\n" if visible else "", "", "", source.group(1) if source else "", "visible text")
    return Page(
        _article_lines(found.text) + "\n",
        " ".join((found.title or "").split()),
        found.date or "",
        source.group(1) if source else " ".join((found.sitename or "").split()),
        "trafilatura",
    )
