"""Every report section and page block on a minimal set of tables: the section renders under its English title,
states the numbers of its tables (worked out by hand in the comments), and shows hostile corpus text escaped."""

from __future__ import annotations

import base64
import hashlib
import io
import re

import pandas as pd
import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image

from helpers.base import outputs, paths, schema
from helpers.base.tables import write_table
from helpers.stage5_report import bilingual, blocks, sections

PAYLOAD = '<script>alert("x")</script>'


def assert_inert(html_text: str) -> None:
    assert "<script>alert" not in html_text and "&lt;script&gt;alert" in html_text


def header_cell(column: str) -> str:
    """How a table shows a column: its English header, the raw name as a tooltip."""
    return f'<th title="{column}">{blocks.escape_html(bilingual.header(column))}</th>'


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """Build folders in tmp_path; every figure a section asks for drawn (a small 2x PNG) and indexed as drawn."""
    monkeypatch.setattr(paths, "TABLES", tmp_path / "build" / "tables")
    monkeypatch.setattr(paths, "CACHE", tmp_path / "build" / "cache")
    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    paths.ensure_dirs()
    names = [
        "top_terms_corpus",
        "top_terms_by_street",
        "keyness_streets",
        "wordcloud_corpus",
        "wordcloud_平湖",
        "framing_heatmap_streets",
        "framing_intervals",
        "tasks_heatmap_streets",
        "framing_by_year",
        "similarity_streets",
        "metrics_by_street_category",
        "metrics_rates",
        "metrics_largest_counts",
    ]
    for name in names:
        Image.new("RGB", (40, 20), "white").save(paths.FIGURES / f"{name}.png", dpi=(220, 220))
    write_table(pd.DataFrame({"notebook": "test", "figure": names, "drawn": True, "note": ""}), outputs.FIGURE_INDEX)
    return tmp_path


# ---------------------------------------------------------------- escaping blocks
def test_esc_makes_text_inert_for_html_and_markdown():
    assert blocks.escape_markdown("<b>*党建*</b> [x](y)") == r"&lt;b&gt;\*党建\*&lt;/b&gt; \[x\]\(y\)"


def test_md_escapes_text_and_passes_numbers():
    out = blocks.md("{street}: {n} hits, {rate} per 1,000", street="平湖" + PAYLOAD, n=4, rate=86.957)
    assert out.data.startswith("平湖&lt;script&gt;") and out.data.endswith(": 4 hits, 86.957 per 1,000")


def test_h_formats_numbers_and_escapes_text():
    assert blocks.escape_html(1234.5) == "1,234.5" and blocks.escape_html(2.0) == "2" and blocks.escape_html(0.125) == "0.12"
    assert blocks.escape_html(None) == "" and blocks.escape_html(float("nan")) == "" and blocks.escape_html(7) == "7"
    assert blocks.escape_html('"<平湖>"') == "&quot;&lt;平湖&gt;&quot;"


# ---------------------------------------------------------------- key findings
def findings_tables() -> dict[str, pd.DataFrame]:
    docs = pd.DataFrame(
        [
            # x1 a speech meeting (平湖 and 布吉 speak), x2 a district news report, x3 a copy of x1, x4 rejected, x5 outside
            {"doc_id": "x1", "rejected": "False", "duplicate_of": "", "scope": schema.IN_AREA, "genre": schema.SPEECH},
            {"doc_id": "x2", "rejected": "False", "duplicate_of": "", "scope": schema.IN_AREA, "genre": schema.NEWS},
            {"doc_id": "x3", "rejected": "False", "duplicate_of": "x1", "scope": schema.IN_AREA, "genre": schema.SPEECH},
            {"doc_id": "x4", "rejected": "True", "duplicate_of": "", "scope": "", "genre": ""},
            {"doc_id": "x5", "rejected": "False", "duplicate_of": "", "scope": schema.OUTSIDE, "genre": schema.NEWS},
        ]
    )
    segs = pd.DataFrame(
        [
            {"doc_id": "x1", "segment_id": "x1-01", "street": "平湖", "scope": schema.IN_AREA, "genre": schema.SPEECH, "n_chars": 100},
            {"doc_id": "x1", "segment_id": "x1-02", "street": "布吉", "scope": schema.IN_AREA, "genre": schema.SPEECH, "n_chars": 50},
            {"doc_id": "x2", "segment_id": "x2-01", "street": "", "scope": schema.IN_AREA, "genre": schema.NEWS, "n_chars": 200},
            {"doc_id": "x5", "segment_id": "x5-01", "street": "", "scope": schema.OUTSIDE, "genre": schema.NEWS, "n_chars": 300},
        ]
    )
    profiles = pd.DataFrame(
        [
            {"group": g, "genre": genre, "frame_1": f, "frame_order_support": s, "task_code": tc, "showcased_task": task}
            for g, genre, f, s, tc, task in [
                ("平湖", schema.ALL_GENRES, "Battle and attack", 0.95, "land", PAYLOAD),
                ("布吉", schema.ALL_GENRES, "Battle and attack", 0.6, "land", PAYLOAD),
                ("南湾", schema.ALL_GENRES, "Mass line and service", 0.99, "water", "Water governance"),
                (schema.GROUP_DISTRICT, schema.ALL_GENRES, "Organisation at the front line", 1.0, "", ""),
                ("南湾", schema.SPEECH, "Battle and attack", 1.0, "land", "Land expropriation and demolition"),
            ]
        ]
    )
    summary = pd.DataFrame(
        {
            "genre": [schema.ALL_GENRES, schema.ALL_GENRES, schema.SPEECH],
            "group": ["平湖", "布吉", "平湖"],
            "group_sentences": [4, 6, 4],
            "distinctive": [2, 0, 1],
        }
    )
    pairs = pd.DataFrame({"street_a": ["平湖", "平湖"], "street_b": ["布吉", "南湾"], "cosine": [0.8123, 0.5], "nearest_support": [0.7, 0.2]})
    metrics = pd.DataFrame({"genre": [schema.SPEECH, schema.SPEECH, schema.NEWS]})
    return {"documents": docs, "segments": segs, "street_profiles": profiles, "keyness_summary": summary, "similarity_pairs": pairs, "metrics": metrics}


def test_key_findings_state_the_tables_numbers():
    findings = sections.key_findings(findings_tables())
    label = sections.street_label
    # 4 accepted documents (x1, x2, x3, x5), 1 rejected, 1 copy; by first segment: x1, x2 in the area, x5 outside;
    # streets with text: 平湖, 布吉; originals in the area by genre: x2 news report, x1 speech (genre order)
    assert findings[0] == (
        "The corpus holds <b>4</b> documents (1 rejected, 1 copies of another left out): <b>2</b> from the study area, "
        "1 from other districts and 0 unplaced. <b>2</b> streets have text of their own; the study area's documents by "
        "genre: 1 × news report, 1 × speech."
    )
    # pooled profiles of the three streets (district-wide left out): battle first in 2 (平湖 0.95, 布吉 0.6): 1 sure
    assert findings[1].startswith("<b>2</b> of 3 streets put the <b>battle and attack</b> frame first; in <b>1</b> of them it stays ahead")
    # the showcased task: the hostile task name of 平湖 and 布吉, escaped; 2 different tasks in all
    assert findings[2] == (
        f"The task most often showcased is <b>{blocks.escape_html(PAYLOAD.lower())}</b> (2 streets: {label('平湖')}, {label('布吉')}); "
        "2 different tasks are showcased in all."
    )
    # keyness: 平湖 has 2 distinctive terms, 布吉 none
    assert findings[3] == (
        f"<b>1</b> of 2 streets have at least one term that sets them apart from the rest of the study area after a "
        f"false-discovery correction; for {label('布吉')} the text is too short or too like the rest."
    )
    # similarity: only 平湖–布吉 has support ≥ 0.5
    assert (
        findings[4]
        == f"Streets that reliably speak alike (nearest neighbours in at least half of the bootstrap replicates): {label('平湖')} – {label('布吉')} (0.81)."
    )
    # figures: speech 2 in 100 + 50 characters = 13.3 per 1,000; news report 1 in 200 + 300 = 2.0 per 1,000
    assert findings[5].startswith(
        "The documents report <b>3</b> figures; they are densest in the speech genre (13.3 per 1,000 characters), news report genre (2.0 per 1,000 characters)"
    )
    assert_inert(" ".join(findings))


def test_pooled_profiles_are_the_all_genres_rows():
    pooled = sections.pooled_profiles(findings_tables())
    assert set(pooled["genre"]) == {schema.ALL_GENRES} and len(pooled) == 4
    assert sections.pooled_profiles({}).empty


# ---------------------------------------------------------------- 2. Words
def words_tables() -> dict[str, pd.DataFrame]:
    concepts = pd.DataFrame(
        {
            "scope": ["ALL", "ALL", "ALL", "ALL"],
            "concept": ["平湖", "党建", "群众", PAYLOAD],
            "count": [20, 12, 5, 1],
            "is_place": [True, False, False, False],
        }
    )
    key = pd.DataFrame(
        {
            "genre": [schema.ALL_GENRES, schema.ALL_GENRES, schema.ALL_GENRES],
            "group": ["平湖", "平湖", "布吉"],
            "term": ["征拆", PAYLOAD, "群众"],
            "sentences": [3, 2, 3],
            "group_sentences": [4, 4, 6],
            "q_value": [0.1, 0.04, 1.0],
            "distinctive": [True, True, False],
        }
    )
    summary = pd.DataFrame({"genre": [schema.ALL_GENRES, schema.ALL_GENRES], "group": ["平湖", "布吉"], "group_sentences": [4, 6], "distinctive": [2, 0]})
    index = pd.DataFrame({"notebook": "02_words", "figure": ["wordcloud_corpus", "wordcloud_平湖"], "drawn": True, "note": ""})
    return {
        "term_frequencies": concepts.rename(columns={"concept": "term"}),
        "concept_frequencies": concepts,
        "keyness": key,
        "keyness_summary": summary,
        outputs.FIGURE_INDEX: index,
    }


def test_words_section_states_the_tests_and_escapes(scratch):
    html_text = sections.words_section(words_tables(), {}).html()
    assert '<section id="words"><h2>2. Words</h2>' in html_text
    # the top concepts: place names left out (平湖, 20), the others with their counts
    assert "The corpus is dominated by " + blocks.escape_html(bilingual.label("党建", max_english=30)) + " (12)" in html_text and "(20)" not in html_text
    # 平湖: two distinctive terms (征拆 3 of 4 sentences, q = 0.100, and the payload); 布吉: none passes
    assert blocks.escape_html(f"{bilingual.label('征拆', max_english=40)}: 3 of 4 sentences, q=0.100") in html_text
    assert "none passes: too little text, or too like the rest" in html_text
    assert "1 of 2 streets have at least one distinctive term." in html_text and "1 of 2 streets have terms that pass the test." in html_text
    assert "Word cloud: corpus (seeded" in html_text and "Word cloud: 平湖" in html_text
    assert header_cell("distinctive terms") in html_text and header_cell("sentences") in html_text
    assert_inert(html_text)


# ---------------------------------------------------------------- 3. Framing
def framing_tables() -> dict[str, pd.DataFrame]:
    def rate(group, kind, code, name, hits, value, low, high):
        return {
            "group": group,
            "genre": schema.ALL_GENRES,
            "kind": kind,
            "code": code,
            "name": name,
            "hits": hits,
            "rate_per_1k": value,
            "ci_low": low,
            "ci_high": high,
            "ci_unit": "sentences",
        }

    street_framing = pd.DataFrame(
        [
            rate("平湖", "frame", "battle", "Battle and attack", 4, 86.957, 40.0, 130.5),
            rate("平湖", "frame", "mass_line", "Mass line and service", 1, 21.739, 0.0, 60.0),
            rate("平湖", "task", "land", "Land expropriation and demolition", 3, 65.217, 20.0, 110.0),
            rate("布吉", "frame", "battle", "Battle and attack", 1, 71.429, 71.429, 71.429),
            rate("布吉", "frame", "mass_line", "Mass line and service", 0, 0.0, 0.0, 0.0),
            rate("布吉", "task", "land", "Land expropriation and demolition", 0, 0.0, 0.0, 0.0),
        ]
    )
    precision = pd.DataFrame(
        {
            "kind": ["frame", "task"],
            "code": ["battle", "land"],
            "name": ["Battle and attack", "Land expropriation and demolition"],
            "judged": [20, 4],
            "correct": [17, 4],
            "precision": [0.85, 1.0],
            "too_few_judged": [False, True],
        }
    )
    profiles = pd.DataFrame(
        [
            {
                "group": "平湖",
                "genre": schema.ALL_GENRES,
                "n_docs": 2,
                "n_chars": 46,
                "task_code": "land",
                "task_terms": "征拆×3",
                "task_tie": "",
                "frame_1": "Battle and attack",
                "frame_1_hits": 4,
                "frame_2": "Mass line and service",
                "frame_2_hits": 1,
                "frame_order_support": 0.95,
                "thin_evidence": True,
                "evidence": "…打好【征拆】硬仗" + PAYLOAD + "…",
            },
            {
                "group": "布吉",
                "genre": schema.ALL_GENRES,
                "n_docs": 1,
                "n_chars": 14,
                "task_code": "",
                "task_terms": "",
                "task_tie": "",
                "frame_1": "Battle and attack",
                "frame_1_hits": 1,
                "frame_2": "",
                "frame_2_hits": 0,
                "frame_order_support": 0.6,
                "thin_evidence": False,
                "evidence": "",
            },
        ]
    )
    pairs = pd.DataFrame({"street_a": ["平湖"], "street_b": ["布吉"], "cosine": [0.8123], "nearest_support": [0.7]})
    slogans = pd.DataFrame(
        {
            "street": ["平湖", "平湖"],
            "doc_id": ["000", "000"],
            "kind": ["numbered formula", "quoted slogan"],
            "slogan": ["5+2、白+黑、晴+雨", "拆迁路上没有钉子户"],
            "sentence": ["全体党员干部充分发扬“5+2、白+黑、晴+雨”的工作精神" + PAYLOAD, "“拆迁路上没有钉子户”"],
        }
    )
    evidence = pd.DataFrame(
        {
            "street": ["平湖", "布吉"],
            "segment_id": ["000-03", "000-04"],
            "kind": ["frame", "task"],
            "code": ["battle", "shanty"],
            "left": [PAYLOAD, "党建引领攻坚，铸就"],
            "keyword": ["攻坚", "棚改"],
            "right": ["冲锋陷阵", "精神。"],
        }
    )
    return {
        "street_framing": street_framing,
        "codebook_precision": precision,
        "street_profiles": profiles,
        "similarity_pairs": pairs,
        "slogans": slogans,
        "framing_evidence": evidence,
    }


def test_framing_section_states_rates_profiles_and_support(scratch):
    html_text = sections.framing_section(framing_tables()).html()
    assert '<section id="framing"><h2>3. How the streets frame their practice</h2>' in html_text
    # codebook: 2 frames, 1 task domain; intervals resample sentences for both groups
    assert "A codebook of 2 frames (battle and attack, mass line and service) and 1 task domains" in html_text
    assert "resampling sentences for 2 groups" in html_text
    # precision: 20 + 4 = 24 judged; only battle has ten or more, and 0.85 < 0.9
    assert "24 coded spans were read and judged; 1 codes have enough judged spans, and 1 of them fall below 0.9." in html_text
    assert "<td>0.85</td>" in html_text and "<td>too few judged</td>" in html_text
    # the highest pooled frame rate: 平湖's battle, 86.957 → 87.0, interval 40.0–130.5, 4 hits
    pinghu = sections.street_label("平湖")
    assert (
        blocks.escape_html(f"The highest frame rate is {pinghu}'s battle and attack (87.0 per 1,000 characters, 95% interval 40.0–130.5, 4 hits).") in html_text
    )
    # profiles: frames with hits, order support as a share, thin marked, task with its terms
    assert "<td>Battle and attack (4), Mass line and service (1)</td>" in html_text and "<td>95%</td>" in html_text
    assert f"<td>{bilingual.code_name('land')} (征拆×3)</td>" in html_text and "<td>thin</td>" in html_text and "<td>no coded task</td>" in html_text
    assert "2 groups profiled; in 1 the first frame stays ahead of the second in at least 90% of bootstrap replicates." in html_text
    for column in ("frames", "order", "thin", "task", "evidence", "evidence_en", "n_docs"):
        assert header_cell(column) in html_text, column
    # similarity: 平湖–布吉 at cosine 0.81, support 70%
    assert f"Supported pairs: {pinghu} – {sections.street_label('布吉')} (cosine 0.81, support 70%)." in html_text
    # slogans: the quoted slogan is not a formula; evidence: two coded spans
    assert "1 numbered formulas, 党建+X patterns and numbered phrases in 1 documents." in html_text and "拆迁路上没有钉子户" not in html_text
    assert "2 coded spans; filter by street, code or term." in html_text
    assert_inert(html_text)


def test_framing_section_without_tables_says_so(scratch):
    html_text = sections.framing_section({}).html()
    assert "<h2>3. How the streets frame their practice</h2>" in html_text and "Street profiles" not in html_text


# ---------------------------------------------------------------- 4. Reported figures
def metrics_tables() -> dict[str, pd.DataFrame]:
    rows = [
        # doc, figure, street, scope, raw, value, unit, subject, category, restates
        ("001", "001-03#1", "", schema.FIGURE_DISTRICT, "65个", 65.0, "个", "临时党支部", "organisation", ""),
        ("003", "003-01#1", "南湾", schema.FIGURE_STREET, "32宗", 32.0, "宗", "案件", "cases", ""),
        ("003", "003-01#2", "南湾", schema.FIGURE_STREET, "95%", 95.0, "%", "满意度", "rates", ""),
        ("003", "003-02#1", "南湾", schema.FIGURE_STREET, "32宗", 32.0, "宗", "案件", "cases", "003-01#1"),
        ("004", "004-01#1", "", schema.FIGURE_UNKNOWN, "七八次", 7.0, "次", "", "other", ""),
    ]
    table = pd.DataFrame(rows, columns=["doc_id", "figure_id", "street", "scope", "raw", "value", "unit", "subject", "category", "restates"])
    return {
        "metrics": table.assign(
            genre=schema.NEWS, qualifier="", value_high="", subject_en="", time_ref="", sentence=["全区共成立65个临时党支部" + PAYLOAD, "s2", "s3", "s4", "s5"]
        )
    }


def test_metrics_section_states_the_figures(scratch):
    html_text = sections.metrics_section(metrics_tables()).html()
    assert '<section id="metrics"><h2>4. Reported figures</h2>' in html_text and "as reported by the source, not verified" in html_text
    # charted: rows 1-3 (row 4 restates row 2, row 5 is unplaced) → 2 left out; 南湾 carries 2 of the 3
    assert "2 rows of the table are restatements" in html_text
    assert f"{sections.street_label('南湾')} carries the most reported figures (2 of 3 charted); 1 streets carry any." in html_text
    # one percentage, a rate (满意度); the largest count is 65个 (the % is not a count)
    assert "1 of the 1 percentages are rates of something named" in html_text
    assert "The largest count reported is 65个 = 65 " in html_text and "document 001); each panel has one unit." in html_text
    assert "5 figures from 3 documents, each with the sentence it comes from." in html_text
    assert header_cell("raw") in html_text and header_cell("sentence_en") in html_text
    assert_inert(html_text)


# ---------------------------------------------------------------- 6. Glossary, 8. Data
def test_glossary_section_adds_pinyin_and_escapes():
    frame = pd.DataFrame({"term": ["征拆", "棚改"], "english": ["land expropriation and demolition", PAYLOAD], "kind": ["task", "task"]})
    html_text = sections.glossary_section(frame).html()
    assert "<h2>6. Glossary</h2>" in html_text and "2 curated terms with pinyin and English." in html_text
    assert "<td>征拆</td><td>zhēngchāi</td><td>land expropriation and demolition</td>" in html_text
    assert header_cell("pinyin") in html_text and header_cell("english") in html_text
    assert_inert(html_text)


def test_data_section_links_every_table_with_its_size(scratch):
    write_table(pd.DataFrame({"doc_id": ["000", "001"]}), "documents")
    write_table(pd.DataFrame({"value": [65.0]}), "metrics")
    html_text = sections.data_section().html()
    assert "<h2>8. The data</h2>" in html_text
    assert f'{blocks.csv_link("documents")} <span class="note">— one row per file: metadata, sizes, rejection reason (2 rows)</span>' in html_text
    assert f'{blocks.csv_link("metrics")} <span class="note">— every reported figure with its sentence (1 rows)</span>' in html_text
    assert blocks.csv_link(outputs.FIGURE_INDEX) in html_text  # the scratch index is a table of the build too


def test_load_tables_reads_the_report_tables_only(scratch):
    write_table(pd.DataFrame({"doc_id": ["000"], "street": [""]}), "documents")
    write_table(pd.DataFrame({"term": ["征拆"]}), "dictionary_check")  # not a report table
    tables = sections.load_tables()
    assert set(tables) == {"documents", outputs.FIGURE_INDEX}
    assert tables["documents"]["street"].tolist() == [""]  # empty cells stay empty strings


# ---------------------------------------------------------------- the page
def test_page_has_title_facts_contents_findings_and_sections():
    info = blocks.BuildInfo(date="2019-02-18", version="0.1.0", fingerprint="ab" * 32, n_files=5)
    parts = [blocks.Section("corpus", "1. The corpus", ["<p>body one</p>"]), blocks.Section("words", "2. Words", ["<p>body two</p>"])]
    document = blocks.page("Streets " + PAYLOAD, "sub", ["Finding <b>1</b>"], parts, embed_font=False, info=info)
    assert document.startswith("<!DOCTYPE html>") and '<html lang="en">' in document
    assert_inert(document)
    assert document.count("<script>") == 1  # the report's own filter-and-sort script, nothing else
    assert '<li><a href="#corpus">1. The corpus</a></li><li><a href="#words">2. Words</a></li>' in document
    assert '<ol class="findings"><li>Finding <b>1</b></li></ol>' in document
    assert "Built 2019-02-18 · version 0.1.0 · corpus fingerprint" in document and ">abababababababab</code> (5 files)" in document
    assert blocks.escape_html(info.citation("Streets " + PAYLOAD)) in document
    assert document.index("body one") < document.index("body two")
    assert "@font-face" not in document


def test_build_info_and_citation(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("党建", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("doc_id\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an input", encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    info = blocks.build_info(tmp_path)
    assert (info.date, info.n_files, info.version) == ("1970-01-01", 2, blocks.project_version())
    assert info.fingerprint == blocks.corpus_fingerprint(tmp_path) and re.fullmatch(r"[0-9a-f]{64}", info.fingerprint)
    assert info.citation("T") == (
        f"T. Report version {info.version}, built 1970-01-01 from a corpus of 2 files (fingerprint sha256:{info.fingerprint[:16]}). "
        "Longgang party-building project."
    )


def test_font_face_embeds_a_cached_subset(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    rule = blocks.font_face("党建 abc 党建")
    assert rule.startswith('@font-face{font-family:"Report CJK";src:url(data:font/woff;base64,') and rule.endswith('format("woff");}')
    (cached,) = (tmp_path / "cache").glob("font-*.woff")
    assert cached.read_bytes()[:4] == b"wOFF"
    stamp = cached.stat().st_mtime_ns
    assert blocks.font_face("建党") == rule and cached.stat().st_mtime_ns == stamp  # the same characters: the cached subset


def test_a_subset_cached_by_an_older_cut_is_not_embedded(tmp_path, monkeypatch):
    """Same characters, same bytes, whatever the cache holds: a subset cached under the key of the cut before (WOFF
    with recomputed bounds, key prefix "woff:") must not stand in for this cut's."""
    monkeypatch.setattr(paths, "CACHE", tmp_path)
    chars = "党建"
    stale = tmp_path / f"font-{hashlib.sha256(('woff:' + chars).encode('utf-8')).hexdigest()[:16]}.woff"
    stale.write_bytes(b"wOFF stale subset")
    rule = blocks.font_face(f"<p>{chars}</p>")
    embedded = base64.b64decode(re.search(r"base64,([^)]+)\)", rule).group(1))
    assert embedded == blocks.subset_font(chars) != b"wOFF stale subset"
    assert not stale.exists(), "the new cut replaces the cached subsets of the old one"


def test_the_font_subset_keeps_the_asked_characters_with_the_full_fonts_outlines_and_line_metrics():
    """The subset is cut without recomputing font-wide bounding boxes: each kept glyph must still be the full font's
    glyph (same advance, same outline bounds), and the line metrics browsers use must be the full font's."""
    data = blocks.subset_font("党建引领")
    assert data[:4] == b"wOFF" and len(data) < 20_000
    small, full = TTFont(io.BytesIO(data)), TTFont(str(paths.cjk_font_path()))
    assert set(small.getBestCmap()) >= {ord(c) for c in "党建引领"} and not {ord(c) for c in "平湖"} & set(small.getBestCmap())
    for char in "党建引领":
        mine, theirs = small.getBestCmap()[ord(char)], full.getBestCmap()[ord(char)]
        assert small["hmtx"][mine][0] == full["hmtx"][theirs][0]
        bounds = []
        for font, glyph in ((small, mine), (full, theirs)):
            pen = BoundsPen(font.getGlyphSet())
            font.getGlyphSet()[glyph].draw(pen)
            bounds.append(pen.bounds)
        assert bounds[0] == bounds[1] and bounds[0] is not None, char
    for table, field in (("hhea", "ascent"), ("hhea", "descent"), ("OS/2", "sTypoAscender"), ("OS/2", "usWinAscent")):
        assert getattr(small[table], field) == getattr(full[table], field), (table, field)


def test_write_report(tmp_path, monkeypatch):
    for name in ("TABLES", "FIGURES"):  # no figure index or figures of another test: nothing to wait for or embed
        monkeypatch.setattr(paths, name, tmp_path / name.lower())
    path = blocks.write_report("<!DOCTYPE html>\n<p>平湖</p>\n", tmp_path / "out" / "report.html")
    assert path.read_text(encoding="utf-8") == "<!DOCTYPE html>\n<p>平湖</p>\n"
