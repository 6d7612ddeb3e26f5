"""Reposts: a seed re-posted by another site (re-wrapped, inside page furniture, with an editor credit, in Traditional
script) is found as a copy of the seed, with its similarity, and counted once; the kept copy is the one with the
manifest row, else the earlier dated one; different articles on one meeting are not copies."""

from __future__ import annotations

import itertools
import shutil
import textwrap

import opencc

from helpers.stage1_load import cleaning, corpus, describe, segmentation

from conftest import SEEDS, seed_text

NANWAN = "003_14a957db2df99ca3"


def repost_of(prefix: str, posted: str = "2019-03-02") -> str:
    """A seed as a district site re-posts it: lines re-wrapped, site header and footer, an editor, Traditional script."""
    wrapped = "\n".join(textwrap.fill(paragraph, 38) for paragraph in seed_text(prefix).split("\n"))
    page = (
        f"首页 > 新闻中心 > 基层动态\n发布时间：{posted} 来源：龙岗党建网\n【字体：大 中 小】 打印本页\n\n"
        + wrapped
        + "\n\n责任编辑：李明\n分享到：微信 微博\n版权所有：龙岗区委组织部 粤ICP备12345678号\n"
    )
    return opencc.OpenCC("s2t").convert(page)


def clean(text: str) -> str:
    return cleaning.clean_text("x", text)[0]


def test_the_repost_is_really_changed():
    repost = repost_of("003")
    assert repost != seed_text("003") and "黨建" in repost and "版权所有" not in repost and "版權所有" in repost


def test_a_repost_of_a_seed_is_found_with_its_similarity():
    copies = describe.find_copies({NANWAN: clean(seed_text("003")), "repost": clean(repost_of("003"))})
    assert set(copies) == {"repost"} and copies["repost"].original == NANWAN
    # measured: all 677 sampled shingles of the seed are in the cleaned repost (cleaning converts the script back and
    # drops the site's header, footer and credit), so the share is 1.0, well above COPY_SHARE
    assert copies["repost"].similarity >= describe.COPY_SHARE and copies["repost"].similarity == 1.0


def test_an_excerpt_is_a_copy():
    seed = clean(seed_text("003"))
    half = seed[: len(seed) // 2]
    copies = describe.find_copies({NANWAN: seed, "excerpt": half})
    assert copies["excerpt"].original == NANWAN and copies["excerpt"].similarity >= 0.95


def test_different_articles_are_not_copies_not_even_on_one_meeting():
    texts = {p.stem: clean(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))}
    assert describe.find_copies(texts) == {}
    # 000 and 001 report the same meeting: their measured share is 0.004, far below COPY_SHARE
    prints = {k: describe.fingerprint(v) for k, v in texts.items()}
    for a, b in itertools.combinations(sorted(prints), 2):
        assert len(prints[a] & prints[b]) / min(len(prints[a]), len(prints[b])) < 0.05, (a, b)


def described(folder, manifest):
    loaded = corpus.load_corpus(folder)
    cleaned = {d.doc_id: cleaning.clean_text(d.doc_id, d.text) for d in loaded.documents}
    return describe.describe_documents(loaded, cleaned, manifest), cleaned


def test_the_copy_with_the_manifest_row_is_kept_even_if_its_name_comes_later(tmp_path, seeds_dir):
    shutil.copy(SEEDS / f"{NANWAN}.txt", tmp_path)
    (tmp_path / "000_repost.txt").write_text(repost_of("003"), encoding="utf-8")  # sorts first, dated later
    documents, cleaned = described(tmp_path, {NANWAN: corpus.read_manifest(seeds_dir)[NANWAN]})
    row = documents.set_index("doc_id").loc["000_repost"]
    assert row["duplicate_of"] == NANWAN and row["duplicate_similarity"] == 1.0
    assert row["duplicate_note"] == f"{NANWAN} kept: it has the manifest row"
    segments = segmentation.segment_corpus(documents, {k: v[0] for k, v in cleaned.items()})
    assert set(segments["doc_id"]) == {NANWAN}, "the copy is not segmented, so no later count sees it"


def test_without_a_manifest_the_earlier_dated_copy_is_kept(tmp_path):
    (tmp_path / "a_late.txt").write_text(seed_text("003").replace("2019年02月18日", "2019年05月18日"), encoding="utf-8")
    (tmp_path / "b_early.txt").write_text(repost_of("003", posted="2019-02-18"), encoding="utf-8")
    documents, _ = described(tmp_path, {})
    rows = documents.set_index("doc_id")
    assert rows.loc["a_late", "date"] == "2019-05-18" and rows.loc["b_early", "date"] == "2019-02-18"
    assert rows.loc["a_late", "duplicate_of"] == "b_early" and rows.loc["b_early", "duplicate_of"] == ""
    assert rows.loc["a_late", "duplicate_note"].startswith("b_early kept: it is dated earlier")
