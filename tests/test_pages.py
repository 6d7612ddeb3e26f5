"""Saved web pages: told from texts, reduced to their article by trafilatura in a logged cleaning step, with their
title, date and source moved to the metadata; no tag, entity, script or page furniture reaches the clean text."""

from __future__ import annotations

import html
import re

import pytest

from helpers.base import schema
from helpers.stage1_load import cleaning, corpus, describe, pages

from conftest import SEEDS, seed_text

MARKUP = re.compile(r"<[A-Za-z/!][^>]*>|&#?[A-Za-z0-9]+;")


def saved_page(prefix: str = "003", paragraphs: int = 8) -> str:
    """A news site's page holding the first paragraphs of a seed's article, as a browser saves it."""
    lines = [line.strip() for line in seed_text(prefix).split("\n") if line.strip()]
    body = [line for line in lines if len(line) > 60][:paragraphs]
    paras = "\n".join(f"<p>{html.escape(p, quote=False).replace('“', '&ldquo;').replace('”', '&rdquo;')}</p>" for p in body)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>让党的旗帜在基层阵地高高飘扬--党建-人民网</title>
<style>.nav {{ color: red }} .share a {{ margin: 2px }}</style>
<script type="text/javascript">var _hmt = _hmt || []; document.write("统计代码加载中");</script>
</head><body>
<div class="nav"><a href="/">首页</a> | <a href="/dj">党建</a> | <a href="/login">登录</a> | <a href="/reg">注册</a></div>
<div class="crumb">中国共产党新闻网&gt;&gt;党建</div>
<div class="article"><h1>让党的旗帜在基层阵地高高飘扬</h1>
<div class="info">2019年02月18日09:04&nbsp;&nbsp;来源：<a href="http://paper.example/">学习时报</a></div>
{paras}
<p class="editor">（责编：谢倩、秦华）</p></div>
<div class="share">分享到：<a>微信</a><a>微博</a><a>QQ空间</a></div>
<div class="footer">人民网版权所有，未经书面授权禁止使用 Copyright &copy; 1997-2019</div>
<script>window.onload = function () {{ alert("弹出广告&amp;"); }};</script>
</body></html>
"""


def test_seed_texts_are_not_web_pages():
    # 003 is a web page's text as copied from a browser (breadcrumb, share buttons): text, not markup
    assert not any(pages.is_web_page(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt")))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<!DOCTYPE html><html><body><p>党建</p></body></html>", True),
        ("\ufeff  <html lang='zh'><p>党建</p></html>", True),
        ("<div><p>一</p><p>二</p><p>三</p><br><br></div>", True),  # mostly markup, no doctype: a fragment
        ("党建工作<script>alert(1)</script>", False),  # a text with a stray script: cleaned as a text, below
        ("成立临时党支部，<script>a()</script>，<img src=x>，<iframe></iframe>，<script>b()</script>。", False),  # no layout
        ("文中提到<br>标签一次，其余都是正文。" + "龙岗区以基层党建引领各项工作。" * 40 + "<p>再提一次。", False),  # quoting a tag
        ("《龙岗》a<b 与 c>d 的比较", False),  # angle brackets that are not tags
    ],
)
def test_web_pages_are_told_from_texts(text, expected):
    assert pages.is_web_page(text) is expected


def test_saved_page_keeps_the_article_and_its_metadata():
    page = pages.extract_page(saved_page())
    assert page.extractor == "trafilatura"
    assert page.title == "让党的旗帜在基层阵地高高飘扬"
    assert page.date == "2019-02-18" and page.source == "学习时报"
    assert "广东省深圳市龙岗区南湾街道作为原关内外交界区域" in page.text  # the article's first paragraph, whole
    assert "“四个意识”" in page.text, "entities decoded"
    for furniture in ("统计代码", "alert", "_hmt", "color", "首页", "登录", "分享到", "微博", "版权所有", "Copyright"):
        assert furniture not in page.text, furniture
    assert not MARKUP.search(page.text)


@pytest.mark.parametrize("suffix", [".txt", ".html", ".htm"])
def test_a_saved_page_is_cleaned_by_a_logged_step_and_described(tmp_path, suffix):
    raw_page = saved_page()
    (tmp_path / f"page{suffix}").write_text(raw_page, encoding="utf-8")
    loaded = corpus.load_corpus(tmp_path)
    (doc,) = loaded.documents
    assert doc.text == raw_page, "the page is kept whole until cleaning, so the log accounts for every character"
    clean, log = cleaning.clean_text(doc.doc_id, doc.text)
    assert log[0]["step"] == schema.STEP_WEB_PAGE and log[0]["outcome"] == "replaced"
    assert cleaning.replay(doc.text, log) == clean
    assert not MARKUP.search(clean)
    for furniture in ("统计代码", "alert", "分享到", "版权所有", "责编"):  # the editor credit goes to the metadata
        assert furniture not in clean, furniture
    documents = describe.describe_documents(loaded, {doc.doc_id: (clean, log)}, {})
    row = documents.iloc[0]
    assert (row["title"], row["date"], row["outlet"]) == ("让党的旗帜在基层阵地高高飘扬", "2019-02-18", "学习时报")
    assert row["scope"] == "longgang" and row["street"] == "南湾"
    assert "web page" in row["input_notes"]


def test_a_page_with_no_text_is_rejected(tmp_path):
    (tmp_path / "empty.html").write_text("<!DOCTYPE html><html><head><script>var a=1;</script></head><body></body></html>", encoding="utf-8")
    (tmp_path / "good.txt").write_text(seed_text("001"), encoding="utf-8")
    loaded = corpus.load_corpus(tmp_path)
    assert [r.file for r in loaded.rejected] == ["empty.html"] and "no visible text" in loaded.rejected[0].reason


def test_stray_tags_and_entities_in_a_text_are_cleaned_and_logged():
    lead = max(seed_text("003").split("\n"), key=len)  # a paragraph of a seed, so that no line is taken for a title
    text = lead + "\n\n龙城街道&ldquo;城市新客厅&rdquo;建设，<br>\n党群服务中心&nbsp;全覆盖，服务群众超过一万人次。\n"
    clean, log = cleaning.clean_text("x", text)
    assert "<br>" not in clean and "&" not in clean and "“城市新客厅”" in clean
    assert {r["reason"] for r in log if r["step"] == schema.STEP_WEB_PAGE} == {"stray HTML tag", "HTML entity → character"}
    assert cleaning.replay(text, log) == clean


def test_a_stray_script_in_a_text_goes_whole_with_its_code():
    lead = max(seed_text("003").split("\n"), key=len)
    text = lead + '\n\n坪地街道成立临时党支部，<script>alert("corpus")</script>，党员干部发挥作用。<style>p{color:red}\n'
    clean, log = cleaning.clean_text("x", text)
    assert "alert" not in clean and "color" not in clean and "坪地街道成立临时党支部" in clean
    assert [r["reason"] for r in log if r["step"] == schema.STEP_WEB_PAGE] == ["stray script or style"] * 2
    assert cleaning.replay(text, log) == clean


def test_a_very_short_page_falls_back_to_its_visible_text():
    page = pages.extract_page("<html><head><title>t</title><style>p{}</style></head><body><p>党建引领基层治理。</p></body></html>")
    assert page.text.strip() == "党建引领基层治理。" or page.extractor == "trafilatura"
    assert not MARKUP.search(page.text) and "p{}" not in page.text


def test_an_entity_in_a_plain_text_is_decoded_not_taken_for_a_web_page(tmp_path):
    """&amp; in a text is one decoded character (outcome "replaced", like a page's edit): the file is still a text, its
    metadata is read from its own lines and its note says entities were decoded."""
    raw = "龙岗区召开党建工作会议\n\n党建引领&amp;基层治理，平湖街道作了交流发言。\n"
    path = tmp_path / "notice.txt"
    path.write_text(raw, encoding="utf-8")
    clean, log = cleaning.clean_text("notice", raw)
    assert "党建引领&基层治理" in clean
    entity = [r for r in log if r["step"] == schema.STEP_WEB_PAGE]
    assert [(r["before"], r["after"], r["outcome"]) for r in entity] == [("&amp;", "&", "replaced")]
    doc = corpus.RawDocument("notice", path, raw, "utf-8", len(raw.encode()))
    facts = describe.CleaningFacts.from_log(log)
    assert facts.page_reason == "" and facts.web_page_step
    assert describe.input_notes(doc, log) == [("HTML tags or entities in the text", "removed or decoded by cleaning")]
