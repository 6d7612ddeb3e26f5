"""Loading: strict decoding of every encoding a Chinese text file comes in, and clear rejections."""

from __future__ import annotations

import codecs

import pandas as pd
import pytest

from helpers.stage1_load import corpus, describe

SNIPPET = "平湖街道在一年多时间内完成4条河的治水提质房屋征拆工作，最关键的是在党建指引下，党员干部发挥了重要作用。\n"


@pytest.mark.parametrize(
    "encoding, prefix",
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("gb18030", b""),
        ("gbk", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),
        ("big5", b""),
    ],
)
def test_decodes_each_encoding_exactly(tmp_path, encoding, prefix):
    text = SNIPPET if encoding != "big5" else "發布時間：2020年10月22日，城市基層黨建工作座談會在區委召開，各街道黨工委書記參加會議並發言。\n"
    (tmp_path / "doc.txt").write_bytes(prefix + text.encode(encoding))
    loaded = corpus.load_corpus(tmp_path)
    assert not loaded.rejected
    assert loaded.documents[0].text.lstrip("\ufeff") == text


def test_crlf_is_kept_for_cleaning_to_normalise(tmp_path):
    (tmp_path / "a.txt").write_bytes(SNIPPET.replace("\n", "\r\n").encode("utf-8"))
    assert "\r\n" in corpus.load_corpus(tmp_path).documents[0].text


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (bytes(range(256)) * 4, "binary"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
        (b"\xff\xfe\x00\xd8", "byte-order mark"),
        (b"\x81\x30\x81\x30" * 3 + b"\xff\xff\xff", "not decodable"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(tmp_path, content, reason):
    (tmp_path / "good.txt").write_text(SNIPPET, encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(content)
    loaded = corpus.load_corpus(tmp_path)
    assert [d.doc_id for d in loaded.documents] == ["good"]
    assert loaded.rejected[0].file == "bad.txt"
    assert reason in loaded.rejected[0].reason


def test_files_load_in_name_order_and_only_txt(tmp_path):
    for name in ("b.txt", "a.txt", "c.md"):
        (tmp_path / name).write_text(SNIPPET, encoding="utf-8")
    assert [d.doc_id for d in corpus.load_corpus(tmp_path).documents] == ["a", "b"]


def test_seeds_all_load(seeds_dir):
    loaded = corpus.load_corpus(seeds_dir)
    assert len(loaded.documents) == 5 and not loaded.rejected


def test_manifest_covers_the_seeds(seeds_dir):
    manifest = corpus.read_manifest(seeds_dir)
    assert sorted(manifest) == sorted(p.stem for p in corpus.corpus_files(seeds_dir))
    assert manifest["002_9ef4c1d6e06a1596"]["street"] == "龙城"


def test_metadata_is_inferred_without_a_manifest(seeds_dir):
    from helpers.stage1_load import cleaning

    raw = (seeds_dir / "003_14a957db2df99ca3.txt").read_text(encoding="utf-8")
    clean, log = cleaning.clean_text("003", raw)
    meta = describe.infer_metadata(raw, clean, log)
    assert meta["date"] == "2019-02-18"
    assert meta["outlet"] == "学习时报"
    assert meta["title"].startswith("让党的旗帜在基层阵地高高飘扬")
    place = describe.place_of(meta["title"], clean, {})
    assert (place["scope"], place["street"], place["attribution"]) == ("longgang", "南湾", "street name")
    raw4 = (seeds_dir / "004_b7cbf4910d0459e1.txt").read_text(encoding="utf-8")
    meta4 = describe.infer_metadata(raw4, *cleaning.clean_text("004", raw4))
    assert meta4["script"] == "Traditional" and meta4["genre"] == "speech" and meta4["date"] == "2020-10-22"


def test_describing_reads_a_few_facts_of_the_log(seeds_dir):
    from helpers.stage1_load import cleaning

    # a Traditional title line (18 characters with its newline) and a source line (9) moved to metadata, 8 characters
    # converted to Simplified in four runs (龍崗區 黨 會 開會議), two blank lines tidied: 8 edits, 29 characters removed net
    text = "龍崗區平湖街道黨工委居委會召開會議\n来源：龙岗新闻网\n\n平湖街道党工委书记在会上强调，要坚持党建引领，推动基层治理。\n"
    clean, log = cleaning.clean_text("x", text)
    facts = describe.CleaningFacts.from_log(log)
    assert (facts.edits, facts.net_removed, facts.simplified) == (8, 29, 8)
    assert facts.moved == (("title → metadata", "龙岗区平湖街道党工委居委会召开会议"), ("publication metadata", "来源：龙岗新闻网"))
    assert (facts.page_reason, facts.web_page_step) == ("", False)
    assert describe.infer_metadata(text, clean, facts) == describe.infer_metadata(text, clean, log)
    assert describe.infer_metadata(text, clean, facts)["outlet"] == "龙岗新闻网"
    # the seeds described from their facts, as notebook 01 does, or from their whole logs: the same tables
    raw = corpus.load_corpus(seeds_dir)
    cleaned = {d.doc_id: cleaning.clean_text(d.doc_id, d.text) for d in raw.documents}
    reduced = {doc_id: (clean, describe.CleaningFacts.from_log(log)) for doc_id, (clean, log) in cleaned.items()}
    manifest = corpus.read_manifest(seeds_dir)
    documents = describe.describe_documents(raw, cleaned, manifest)
    pd.testing.assert_frame_equal(describe.describe_documents(raw, reduced, manifest), documents)
    pd.testing.assert_frame_equal(describe.input_problems(raw, reduced, documents, []), describe.input_problems(raw, cleaned, documents, []))
