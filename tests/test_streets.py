"""The street as the unit: places, scope, pooling by street with genre strata, intervals, keyness and similarity,
on corpora made from the seeds (000 split into one file per speech, an articles-only folder, one document, an
article from another district)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.base import schema
from helpers.stage1_load import cleaning, corpus, describe, segmentation
from helpers.stage1_load.places import gazetteer
from helpers.stage2_words import counting
from helpers.stage3_framing import codebook, street_words, streets

from conftest import SEEDS, seed_text

CODES = codebook.load_codebook()
# A realistic article from a neighbouring district (written for this test): 龙华区 and its street 大浪.
LONGHUA_ARTICLE = (
    "大浪街道：党建引领城中村综合治理\n\n"
    "近日，龙华区大浪街道党工委在城中村综合治理一线成立临时党支部，组织党员干部冲锋在前，"
    "累计走访群众3200户。大浪街道党工委书记表示，要把支部建在项目上。\n\n"
    "龙华区委组织部有关负责人介绍，大浪街道的做法将在全区推广。\n"
)


def build(folder: Path) -> dict[str, pd.DataFrame]:
    """Notebooks 01 and 03 in process: documents, segments, coded hits, street tables."""
    raw = corpus.load_corpus(folder)
    cleaned = {d.doc_id: cleaning.clean_text(d.doc_id, d.text) for d in raw.documents}
    documents = describe.describe_documents(raw, cleaned, corpus.read_manifest(folder))
    segments = segmentation.segment_corpus(documents, {k: v[0] for k, v in cleaned.items()})
    hits = codebook.coded_segments(segments, CODES)
    street_framing, profiles = streets.street_tables(segments, hits, CODES, n_boot=200)
    return {"documents": documents, "segments": segments, "hits": hits, "street_framing": street_framing, "profiles": profiles}


def speech_counts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Hits per street and code in the speech stratum (streets only)."""
    sf = tables["street_framing"]
    sf = sf[(sf["genre"] == schema.SPEECH) & (sf["street"] != "")]
    return sf.set_index(["group", "code"])[["hits", "n_chars"]].sort_index()


@pytest.fixture(scope="module")
def seeds() -> dict[str, pd.DataFrame]:
    return build(SEEDS)


@pytest.fixture(scope="module")
def split_000(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """000 cut at its speaker headings into one file per speech (the heading kept at the top of each)."""
    folder = tmp_path_factory.mktemp("split_000")
    text = seed_text("000")
    heading = re.compile(r"^\s*[\u4e00-\u9fff]{2}\s*街道党工委书记\s*[\u4e00-\u9fff ]{2,6}$", re.M)
    starts = [m.start() for m in heading.finditer(cleaning.clean_text("000", text)[0])]
    assert len(starts) == 11
    clean = cleaning.clean_text("000", text)[0]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(clean)
        speech = clean[start:end].strip()
        (folder / f"speech_{i:02d}.txt").write_text(speech + "\n", encoding="utf-8")
    return build(folder)


def test_places_are_data_with_sources():
    places = gazetteer().places
    assert len([p for p in places if p.kind == "street" and p.area == "in"]) == 11
    assert all(p.source for p in places)
    assert {p.district for p in places if p.area == "outside"} >= {"龙华区", "坪山区", "罗湖区", "盐田区"}
    assert gazetteer().study_district == "龙岗区"


@pytest.mark.parametrize(
    "text, scope, street",
    [
        ("深圳市龙岗区南湾街道着力提升基层党建精细化水平。南湾街道党工委牢固树立“四个意识”。", schema.IN_AREA, "南湾"),
        ("龙岗区高度重视基层党建，龙岗区委书记多次指示。", schema.IN_AREA, ""),
        (LONGHUA_ARTICLE, schema.OUTSIDE, ""),
        ("江苏省常州市武进区龙城街道召开会议。常州市武进区龙城街道成立党支部。", schema.UNKNOWN, ""),
        ("回龙埔社区党委开展“书记项目”，回龙埔社区居民踊跃参加。", schema.IN_AREA, "龙城"),  # a community names its street
        ("×区×街道召开城市基层党建工作座谈会。", schema.UNKNOWN, ""),  # anonymised
        ("平湖街道完成征拆。布吉街道推进棚改。吉华街道创新治理。", schema.IN_AREA, ""),  # no dominant street
    ],
)
def test_attribution_of_a_text(text, scope, street):
    found = gazetteer().attribute(text)
    assert (found.scope, found.street) == (scope, street)


def test_outside_article_is_its_own_group_never_a_street(tmp_path):
    shutil.copy(next(SEEDS.glob("003_*.txt")), tmp_path / "nanwan.txt")
    (tmp_path / "longhua.txt").write_text(LONGHUA_ARTICLE, encoding="utf-8")
    tables = build(tmp_path)
    docs = tables["documents"].set_index("file")
    assert docs.loc["longhua.txt", "scope"] == schema.OUTSIDE and docs.loc["longhua.txt", "district"] == "龙华区"
    assert docs.loc["nanwan.txt", "street"] == "南湾"
    groups = set(tables["street_framing"]["group"])
    assert groups == {"南湾", schema.GROUP_OUTSIDE}
    outside = tables["street_framing"][tables["street_framing"]["group"] == schema.GROUP_OUTSIDE]
    assert (outside["street"] == "").all() and (outside["scope"] == schema.OUTSIDE).all()
    # the outside text's hits are counted in its own group only
    nanwan_alone = build_single(tmp_path / "nanwan.txt", tmp_path / "alone")
    mine = tables["street_framing"].query("group == '南湾' and genre == 'all'").set_index("code")["hits"]
    assert mine.equals(nanwan_alone["street_framing"].query("group == '南湾' and genre == 'all'").set_index("code")["hits"])


def build_single(path: Path, folder: Path) -> dict[str, pd.DataFrame]:
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    return build(folder)


def test_000_split_into_eleven_files_gives_the_same_speech_counts(seeds, split_000):
    whole, split = speech_counts(seeds), speech_counts(split_000)
    assert set(whole.index.get_level_values("group")) == set(gazetteer().streets)
    assert whole["hits"].equals(split["hits"]) and whole["n_chars"].equals(split["n_chars"])
    assert split_000["documents"]["street"].nunique() == 11  # each file is its street's, from its heading


def test_articles_only_corpus_pools_by_street(tmp_path):
    shutil.copy(next(SEEDS.glob("002_*.txt")), tmp_path / "longcheng_feature.txt")
    shutil.copy(next(SEEDS.glob("003_*.txt")), tmp_path / "nanwan_article.txt")
    clean_001 = cleaning.clean_text("001", seed_text("001"))[0]
    for i, para in enumerate(p for p in segmentation.paragraphs(clean_001) if "街道" in p):
        (tmp_path / f"news_{i:02d}.txt").write_text(para + "\n", encoding="utf-8")
    tables = build(tmp_path)
    pooled = tables["street_framing"].query("genre == 'all' and code == 'battle'").set_index("group")
    # one row per street, each street's documents pooled (平湖 has a news paragraph of its own)
    assert pooled.index.is_unique
    assert {"龙城", "南湾", "平湖", "宝龙", "吉华"} <= set(pooled.index)
    by_doc = tables["documents"].set_index("file")
    assert by_doc.loc["longcheng_feature.txt", "street"] == "龙城" and by_doc.loc["nanwan_article.txt", "street"] == "南湾"
    assert int(pooled.loc["龙城", "n_docs"]) >= 1 and pooled["n_chars"].sum() == tables["segments"]["n_chars"].sum()


def test_one_document_corpus(tmp_path):
    tables = build_single(next(SEEDS.glob("002_*.txt")), tmp_path / "one")
    assert set(tables["street_framing"]["group"]) == {"龙城"}
    assert (tables["street_framing"]["ci_unit"] == "sentences").all()
    seg = tables["segments"]
    key, summary = street_words.keyness(seg, counting.tokenize_segments(seg), counting.is_content_token)
    assert key.empty and summary.empty  # one group: nothing to compare it with


def test_copies_are_kept_as_rows_and_not_counted(tmp_path):
    import opencc

    original = next(SEEDS.glob("003_*.txt"))
    shutil.copy(original, tmp_path / "a_original.txt")
    repost = opencc.OpenCC("s2t").convert(original.read_text(encoding="utf-8"))
    (tmp_path / "b_repost_traditional.txt").write_text(repost, encoding="utf-8")
    tables = build(tmp_path)
    docs = tables["documents"].set_index("file")
    assert docs.loc["b_repost_traditional.txt", "duplicate_of"] == "a_original"
    assert set(tables["segments"]["doc_id"]) == {"a_original"}


def test_seed_street_rates_and_intervals_by_hand(seeds):
    sf = seeds["street_framing"]
    # 平湖's speech in 000: 417 non-space characters; battle terms 攻坚/硬仗/打赢… counted 5 times in framing_evidence (test_seed_pins checks them by hand)
    row = sf.query("group == '平湖' and genre == 'speech' and code == 'battle'").iloc[0]
    evidence = seeds["hits"].merge(seeds["segments"][["segment_id", "genre"]], on="segment_id")
    n = int(((evidence["street"] == "平湖") & (evidence["genre"] == schema.SPEECH) & (evidence["code"] == "battle")).sum())
    assert row["hits"] == n and row["n_chars"] == 417
    assert row["rate_per_1k"] == round(1000 * n / 417, 3)
    assert row["ci_low"] <= row["rate_per_1k"] <= row["ci_high"] and row["ci_unit"] == "sentences"
    # pooled rows add up the strata
    for group, frame in sf[sf["code"] == "battle"].groupby("group"):
        strata = frame[frame["genre"] != schema.ALL_GENRES]
        assert frame.loc[frame["genre"] == schema.ALL_GENRES, "hits"].item() == strata["hits"].sum(), group


def test_district_outside_and_unknown_never_enter_a_street(seeds):
    sf = seeds["street_framing"]
    assert set(sf.loc[sf["street"] == "", "group"]) <= set(schema.NON_STREET_GROUPS)
    assert seeds["documents"].set_index("doc_id").filter(like="004", axis=0)["scope"].item() == schema.UNKNOWN
    profiles = seeds["profiles"].query("genre == 'speech'").set_index("group")
    assert profiles.loc["平湖", "task_code"] == "land" and profiles.loc["平湖", "task_terms"].startswith("征拆×5")
    assert schema.GROUP_UNKNOWN in profiles.index and "平湖" in profiles.index


def test_bootstrap_is_seeded_and_order_independent():
    hits = np.array([[1, 0], [0, 2], [3, 1]], dtype=float)
    chars = np.array([100.0, 50.0, 80.0])
    a = streets.bootstrap_rates(hits, chars, streets.stable_seed("平湖", "all"), 300)
    b = streets.bootstrap_rates(hits, chars, streets.stable_seed("平湖", "all"), 300)
    assert np.array_equal(a, b) and a.shape == (300, 2)
    assert np.isclose(a.mean(axis=0), 1000 * hits.sum(axis=0) / chars.sum(), rtol=0.15).all()


def test_keyness_exact_test_by_hand():
    # street A: 4 sentences, 3 with 征拆; rest: 6 sentences, 0 with 征拆 → p = C(3,3)C(7,1)/C(10,4) = 7/210
    segments = pd.DataFrame(
        {
            "doc_id": ["a", "b"],
            "segment_id": ["a-01", "b-01"],
            "street": ["平湖", "布吉"],
            "scope": [schema.IN_AREA] * 2,
            "genre": [schema.SPEECH] * 2,
            "n_chars": [40, 60],
            "year": ["", ""],
        }
    )
    toks = {
        "a-01": ["征拆", "干部", "。", "征拆", "。", "征拆", "群众", "。", "群众", "。"],
        "b-01": ["群众", "。", "干部", "。", "群众", "。", "干部", "。", "群众", "。", "干部", "。"],
    }
    key, summary = street_words.keyness(segments, toks, lambda t: t not in "。")
    row = key.query("genre == 'all' and group == '平湖' and term == '征拆'").iloc[0]
    assert row["sentences"] == 3 and row["group_sentences"] == 4 and row["sentences_rest"] == 0
    assert row["p_value"] == pytest.approx(7 / 210, rel=1e-3)


def test_sentence_presence_counts_a_term_once_per_sentence():
    # 平湖: "征拆 征拆 干部。" + "征拆" (no closing stop: still a sentence) + "。。" (empty: no sentence) = 2 sentences
    segments = pd.DataFrame(
        {
            "segment_id": ["a-01", "b-01", "c-01"],
            "group": ["平湖", "布吉", "平湖"],
            "genre": [schema.SPEECH, schema.SPEECH, schema.ARTICLE],
        }
    )
    toks = {"a-01": ["征拆", "征拆", "干部", "。", "征拆", "。", "。"], "b-01": ["干部", "！", "群众"], "c-01": ["征拆", "的", "。"]}
    cells, vocab, n_sentences, present, counted = street_words.sentence_presence(segments, toks, lambda t: t not in "。！的")
    assert cells == [("平湖", schema.SPEECH), ("布吉", schema.SPEECH), ("平湖", schema.ARTICLE)]
    assert vocab == ["征拆", "干部", "群众"] and n_sentences.tolist() == [2, 2, 1]
    assert present.tolist() == [[2, 1, 0], [0, 1, 1], [1, 0, 0]]  # sentences using each term
    assert counted.tolist() == [[3, 1, 0], [0, 1, 1], [1, 0, 0]]  # occurrences


def test_keyness_tests_every_street_in_every_stratum():
    # Two streets in two genres: the pooled stratum and each genre compare both; a term in fewer than
    # MIN_TERM_SENTENCES sentences of a comparison is not tested.
    segments = pd.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d"],
            "segment_id": ["a-01", "b-01", "c-01", "d-01"],
            "street": ["平湖", "布吉", "平湖", "布吉"],
            "scope": [schema.IN_AREA] * 4,
            "genre": [schema.SPEECH, schema.SPEECH, schema.ARTICLE, schema.ARTICLE],
        }
    )
    toks = {
        "a-01": ["征拆", "。", "征拆", "。", "群众", "。"],
        "b-01": ["群众", "。", "干部", "。"],
        "c-01": ["征拆", "。", "干部", "。"],
        "d-01": ["群众", "。", "群众", "干部", "。"],
    }
    key, summary = street_words.keyness(segments, toks, lambda t: t not in "。")
    assert summary[["genre", "group", "group_sentences", "terms_tested"]].values.tolist() == [
        [schema.ALL_GENRES, "布吉", 4, 3],
        [schema.ALL_GENRES, "平湖", 5, 3],
        [schema.SPEECH, "布吉", 2, 0],  # no term in three speech sentences
        [schema.SPEECH, "平湖", 3, 0],
        [schema.ARTICLE, "布吉", 2, 0],
        [schema.ARTICLE, "平湖", 2, 0],
    ]
    row = key.query("genre == 'all' and group == '平湖' and term == '征拆'").iloc[0]
    # 平湖 has 征拆 in 3 of its 5 sentences, the rest in 0 of 4: p = C(5,3)C(4,0)/C(9,3) = 10/84
    assert (row["sentences"], row["sentences_rest"], row["count"]) == (3, 0, 3)
    assert row["p_value"] == pytest.approx(10 / 84, rel=1e-3)
    assert set(key["genre"]) == {schema.ALL_GENRES}


def test_similarity_support_for_pairs(seeds):
    seg = seeds["segments"]
    keep = lambda t: counting.is_content_token(t) and t not in counting.PLACE_NAMES  # noqa: E731
    matrix, pairs = streets.similarity(seg, counting.tokenize_segments(seg), keep, n_boot=50)
    assert list(matrix.index) == sorted(gazetteer().streets)
    assert pairs["nearest_support"].between(0, 1).all()
    assert len(pairs) == 11 * 10 // 2


# ---------------------------------------------------------------- pins checked by hand against the seed text
def test_pinned_profile_rows(seeds):
    """Read in 000: 坪地's speech says 征拆 five times (打好征拆硬仗 …) and no other task term; its frames are battle
    (硬仗, 攻坚 …) ahead of leadership. 园山's speech is about work safety (安全生产 six times) and rests on one
    organisation hit, so its profile is thin; so are 坪地's and 平湖's (two hits for their second frame). Frame 2 is
    never frame 1."""
    profiles = seeds["profiles"].query("genre == 'speech'").set_index("group")
    pingdi = profiles.loc["坪地"]
    assert (pingdi["task_code"], pingdi["task_terms"], pingdi["frame_1_code"]) == ("land", "征拆×5", "battle")
    assert pingdi["frame_2_code"] != pingdi["frame_1_code"] and pingdi["frame_2_hits"] <= pingdi["frame_1_hits"]
    yuanshan = profiles.loc["园山"]
    assert yuanshan["task_code"] == "safety" and yuanshan["task_terms"].startswith("安全生产×6")
    assert profiles["thin_evidence"].astype(bool).to_dict() == {g: g in {"园山", "坪地", "平湖"} for g in profiles.index}
    assert (profiles["frame_1_code"] != profiles["frame_2_code"]).all()


def test_term_rate_by_hand():
    """term_frequencies: a rate per 10,000 counted tokens (2 of 8 tokens → 2,500)."""
    segments = pd.DataFrame({"segment_id": ["a", "b"], "street": ["平湖", ""]})
    counted = {"a": ["征拆", "征拆", "群众", "干部"], "b": ["群众", "服务", "社区", "党员"]}
    freqs = counting.term_frequencies(segments, counted).set_index(["scope", "term"])
    assert freqs.loc[(schema.WHOLE_CORPUS, "征拆"), "rate_per_10k"] == 2500
    assert freqs.loc[("平湖", "征拆"), "rate_per_10k"] == 5000 and freqs.loc[("平湖", "征拆"), "count"] == 2


def test_rate_grid_and_cloud_groups():
    frames = [c for c in CODES if c.kind == "frame"]
    table = pd.DataFrame(
        {"group": ["平湖", "平湖", "布吉", "布吉"], "kind": ["frame"] * 4, "name": [frames[1].name, frames[0].name] * 2, "rate_per_1k": [1.0, 2.0, 3.0, 4.0]}
    )
    grid = streets.rate_grid(table, CODES, "frame", "rate_per_1k", ["布吉", "平湖"])
    assert list(grid.index) == ["布吉", "平湖"] and list(grid.columns) == [c.name for c in frames]
    assert grid.loc["平湖", frames[0].name] == 2.0 and grid.loc["布吉", frames[1].name] == 3.0
    freqs = pd.DataFrame({"scope": [schema.WHOLE_CORPUS, "平湖", "布吉"], "scope_tokens": [400, 150, 149]})
    assert counting.cloud_groups(freqs, ["布吉", "平湖"]) == ["平湖"]
