"""Issue 15's folder, end to end: CRLF files, a saved web page, a repost of a seed and a manifest row for a missing
file beside the seeds build a report in which each is explained, nothing is counted twice and no markup reaches the
text; the three folders no build can start from are each refused in one line."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from helpers.base import tables
from test_copies import repost_of

from conftest import SEEDS, run_pipeline

pytestmark = pytest.mark.slow  # whole pipelines: `make test` runs them, `make unit` does not

MARKUP = re.compile(r"<[A-Za-z/!][^>]*>|&#?[A-Za-z0-9]+;")


def web_page_of(prefix: str) -> str:
    """A seed's article inside a news site's page: script, style, navigation, share buttons, entities, an editor."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    lines = [line.strip() for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    paras = "\n".join(f"<p>{html.escape(p, quote=False).replace('“', '&ldquo;').replace('”', '&rdquo;')}</p>" for p in lines[1:])
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>立足党建 把全区工作“拧成一股绳”_深圳侨报</title>'
        "<style>.nav{color:red}</style><script>var _hmt = _hmt || []; document.write('统计代码');</script></head><body>"
        '<div class="nav"><a href="/">首页</a> | <a href="/news">新闻</a> | <a href="/login">登录</a></div>'
        f'<div class="article"><h1>立足党建 把全区工作“拧成一股绳”</h1><div class="info">2019-08-31 08:10&nbsp;来源：深圳侨报</div>\n{paras}\n'
        '<p>（责任编辑：王晶晶）</p></div><div class="share">分享到：<a>微信</a><a>微博</a></div>'
        '<div class="footer">版权所有 &copy; 深圳侨报</div><script>alert("弹窗");</script></body></html>\n'
    )


@pytest.fixture(scope="module")
def mixed_build(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("mixed_corpus")
    for path in sorted(SEEDS.glob("*.txt")):
        if path.name.startswith("001_"):
            continue  # 001 comes as a saved web page instead
        data = path.read_bytes()
        if path.name.startswith(("000_", "002_")):
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # as saved on Windows
        (corpus / path.name).write_bytes(data)
    (corpus / "qiaobao_page.txt").write_text(web_page_of("001"), encoding="utf-8")
    (corpus / "repost_nanwan.txt").write_text(repost_of("003"), encoding="utf-8")
    manifest = (SEEDS / "manifest.csv").read_text(encoding="utf-8")
    (corpus / "manifest.csv").write_text(manifest + "missing_doc,不在文件夹里的文章,某报,,2020-01-01,news report,Simplified,,\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("mixed_build")
    proc = run_pipeline(corpus, out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out / "build"


def test_each_input_case_is_explained(mixed_build):
    lines = tables.read_table_file(mixed_build / "tables" / "input_problems.csv")["text"].tolist()
    assert "manifest.csv line 7: row for missing_doc, but the folder has no file missing_doc.txt or .html; row ignored." in lines
    assert any(line.startswith("000_7285d8b563205df3.txt: Windows line ends (CRLF") for line in lines)
    assert any(line.startswith("qiaobao_page.txt: web page saved as .txt; article text (trafilatura)") for line in lines)
    assert any(line.startswith("repost_nanwan.txt: copy of 003_14a957db2df99ca3") and "it has the manifest row" in line for line in lines)
    report = (mixed_build / "report.html").read_text(encoding="utf-8")
    for shown in ("Copies counted once", "repost_nanwan", "missing_doc", "Windows line ends", "web page saved as .txt"):
        assert shown in report, shown


def test_the_web_page_is_text_with_its_metadata_and_no_markup(mixed_build):
    documents = tables.read_table_file(mixed_build / "tables" / "documents.csv").set_index("doc_id")
    assert (documents.loc["qiaobao_page", "date"], documents.loc["qiaobao_page", "outlet"]) == ("2019-08-31", "深圳侨报")
    assert documents.loc["qiaobao_page", "title"].startswith("立足党建")
    segments = tables.read_table_file(mixed_build / "tables" / "segments.csv")
    text = "\n".join(segments["text"])
    assert "qiaobao_page" in set(segments["doc_id"])
    assert not MARKUP.search(text)
    for furniture in ("_hmt", "统计代码", "alert", "分享到", "版权所有", "责任编辑"):
        assert furniture not in text, furniture


def test_the_repost_is_counted_once(mixed_build):
    documents = tables.read_table_file(mixed_build / "tables" / "documents.csv").set_index("doc_id")
    assert documents.loc["repost_nanwan", "duplicate_of"] == "003_14a957db2df99ca3"
    for name in ("segments", "metrics", "framing"):
        frame = tables.read_table_file(mixed_build / "tables" / f"{name}.csv")
        assert "repost_nanwan" not in set(frame["doc_id"]), name
    segments = tables.read_table_file(mixed_build / "tables" / "segments.csv")
    # 南湾's text (keyness compares it with the rest) is its secretary's speech in 000 and the 003 article, once
    assert set(segments.loc[segments["street"] == "南湾", "doc_id"]) == {"000_7285d8b563205df3", "003_14a957db2df99ca3"}


@pytest.mark.parametrize("case", ["no folder", "no text file", "unusable manifest"])
def test_unusable_folders_are_refused_in_one_line(tmp_path, case):
    folder = tmp_path / "corpus"
    if case != "no folder":
        folder.mkdir()
        (folder / "readme.md").write_text("党建", encoding="utf-8")
    if case == "unusable manifest":
        (folder / "a.txt").write_text((SEEDS / "003_14a957db2df99ca3.txt").read_text(encoding="utf-8"), encoding="utf-8")
        (folder / "manifest.csv").write_text("name,title\na,标题\n", encoding="utf-8")
    proc = run_pipeline(folder, tmp_path / "out")
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("cannot build: ") and str(folder) in line and "\x1b" not in line
