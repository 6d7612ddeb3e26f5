"""The report's blocks: escaping of corpus text, captions, English headers, CSV links, build facts, the context
section, and cleaning told truthfully (repairs, partial repairs, deletions, copies and joins counted apart)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from helpers.base import paths
from helpers.stage1_load import cleaning
from helpers.stage5_report import bilingual, blocks, sections

from conftest import failure, seed_text

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
LIVE = ["<script>alert", "<img src=x"]


def assert_inert(html_text: str) -> None:
    for marker in LIVE:
        assert marker not in html_text
    assert "&lt;script&gt;" in html_text, "the payload must be shown, escaped"


# ---------------------------------------------------------------- escaping in every block
def test_table_escapes_cells_headers_and_captions():
    df = pd.DataFrame({PAYLOAD: [PAYLOAD], "sentence": ["坪地街道" + PAYLOAD]})
    out = blocks.table(df, "t", searchable=True, caption=PAYLOAD, takeaway=PAYLOAD, cannot_show=PAYLOAD, source="documents")
    assert_inert(out)
    assert 'href="tables/documents.csv"' in out


def test_caption_and_quote_escape():
    assert_inert(blocks.caption_html(PAYLOAD, PAYLOAD, PAYLOAD))
    assert_inert(sections.quote_html("党建" + PAYLOAD + "。", "000_x"))


def test_with_english_adds_translation_and_labels_safely():
    df = pd.DataFrame({"unit": ["个", ""], "sentence": ["党建" + PAYLOAD, ""]})
    out = blocks.with_english(df, terms=("unit",), sentences=("sentence",))
    assert list(out.columns) == ["unit", "sentence", "sentence_en"]
    assert out["unit"].iloc[0].startswith("个 gè") and out["unit"].iloc[1] == ""
    assert out["sentence_en"].iloc[0] == bilingual.NOT_TRANSLATED and out["sentence_en"].iloc[1] == ""
    assert_inert(blocks.table(out, "w"))


def hostile_tables() -> dict[str, pd.DataFrame]:
    """A minimal table set whose corpus strings are all payloads."""
    text = f"坪地街道党工委在征拆一线成立临时党支部，{PAYLOAD}。昨日，党工委书记逐一上台讲话。"
    docs = pd.DataFrame(
        [
            {
                "doc_id": "x01",
                "file": "x01.txt",
                "rejected": "False",
                "reason": "",
                "title": PAYLOAD,
                "outlet": PAYLOAD,
                "credits": PAYLOAD,
                "date": "2021",
                "genre": "speech",
                "script": "Simplified",
                "street": "坪地",
                "notes": PAYLOAD,
                "scope": "longgang",
                "district": "龙岗区",
                "attribution": "manifest",
                "year": "2021",
                "duplicate_of": "",
                "metadata_source": "inferred from text",
                "missing_metadata": "",
                "raw_chars": 100,
                "clean_chars": 90,
            }
        ]
    )
    segs = pd.DataFrame(
        [
            {
                "doc_id": "x01",
                "segment_id": "x01-01",
                "street": "",
                "scope": "longgang",
                "attribution": "",
                "genre": "news report",
                "speaker": "",
                "text": text,
                "n_chars": len(text),
            },
            *(
                {
                    "doc_id": "x01",
                    "segment_id": f"x01-0{i}",
                    "street": "坪地",
                    "scope": "longgang",
                    "attribution": "speaker",
                    "genre": "speech",
                    "speaker": f"张{i}",
                    "text": text,
                    "n_chars": len(text),
                }
                for i in (2, 3)
            ),
        ]
    )
    summary = pd.DataFrame(
        [
            {
                "doc_id": "x01",
                "step": "mojibake",
                "reason": PAYLOAD,
                "outcome": "partial",
                "edits": 1,
                "copies_removed": 0,
                "chars_removed": 3,
                "chars_added": 2,
                "example": PAYLOAD,
            }
        ]
    )
    log = pd.DataFrame([{"doc_id": "x01", "step": "mojibake", "outcome": "partial", "example": PAYLOAD}])
    return {"documents": docs, "segments": segs, "cleaning_summary": summary, "cleaning_log": log}


@pytest.mark.parametrize("build", [sections.corpus_section, sections.context_section, sections.provenance_section, sections.methods_section])
def test_sections_escape_corpus_text(build):
    html_text = build(hostile_tables()).html()
    for marker in LIVE:
        assert marker not in html_text


def test_context_notes_show_only_terms_the_corpus_contains():
    html_text = sections.context_section(hostile_tables()).html()
    assert "What the speakers were asked to do" in html_text, "two speeches after an opening: the opening is quoted"
    assert "temporary Party branch" in html_text and "街道" in html_text  # 临时党支部 and 街道 occur
    assert "Eastward Strategy" not in html_text, "东进战略 does not occur in this corpus, so its note is not shown"


def test_figure_shows_a_2x_png_at_its_design_width(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from helpers.base import outputs
    from helpers.base.tables import write_table
    from helpers.stage5_report import charts

    monkeypatch.setattr(paths, "FIGURES", tmp_path)
    monkeypatch.setattr(paths, "TABLES", tmp_path / "tables")
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.bar([0, 1], [1, 2])
    path = charts.save(fig, "t")
    write_table(pd.DataFrame([{"notebook": "test", "figure": "t", "drawn": True, "note": ""}]), outputs.FIGURE_INDEX)
    from PIL import Image

    with Image.open(path) as image:
        assert blocks.png_scale(image) == 2
        width = image.width
    out = blocks.figure("t", PAYLOAD, takeaway="Two bars.", cannot_show="anything else.")
    assert f'width="{width // 2}"' in out and "What it cannot show: anything else." in out and "<b>" not in out
    assert_inert(out)


def test_a_report_over_its_bound_embeds_its_largest_figures_at_screen_resolution(tmp_path, monkeypatch, capsys):
    """Within the bound the report is untouched; past it, the largest 2x figure first is embedded with half its pixels
    each way (the same width on the page), until it fits; a cloud (1x) and escaped corpus text are never touched."""
    import base64
    import io
    import re

    import matplotlib.pyplot as plt
    from PIL import Image

    from helpers.stage5_report import charts

    monkeypatch.setattr(paths, "FIGURES", tmp_path)
    charts.use_cjk_font()
    large, small = plt.subplots(figsize=(8, 4)), plt.subplots(figsize=(3, 2))
    for (fig, ax), n in ((large, 40), (small, 3)):
        ax.barh(range(n), range(1, n + 1), tick_label=[f"党建引领 {i}" for i in range(n)])
    big_png, small_png = charts.save(large[0], "large"), charts.save(small[0], "small")
    cloud = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(cloud, format="PNG")  # no pHYs: drawn at 1x, like a word cloud
    (tmp_path / "cloud.png").write_bytes(cloud.getvalue())
    forged = blocks.escape_html('<img src="data:image/png;base64,' + "A" * 40 + '"')
    document = "".join(f'<p>{forged}</p><figure>{blocks.image_source(tmp_path / f"{n}.png")} alt="x"></figure>' for n in ("large", "cloud", "small"))
    size = len(document.encode("utf-8"))
    assert blocks.within_budget(document, limit=size) == document and capsys.readouterr().err == ""

    def embedded(html: str) -> list[tuple[bytes, str]]:
        return [(base64.b64decode(data), width) for data, width in re.findall(r'base64,([A-Za-z0-9+/=]+)" width="(\d+)"', html)]

    fitted = blocks.within_budget(document, limit=size - 1)
    assert len(fitted.encode("utf-8")) <= size - 1 and fitted.count(forged) == 3
    (large_now, large_width), (cloud_now, _), (small_now, _) = embedded(fitted)
    (large_before, width_before), *_ = embedded(document)
    assert large_width == width_before and cloud_now == cloud.getvalue() and small_now == small_png.read_bytes()
    with Image.open(io.BytesIO(large_now)) as now, Image.open(big_png) as before:
        assert now.size == (-(-before.width // 2), -(-before.height // 2)) and blocks.png_scale(now) == 1  # rounded up
    assert "1 of 3 figures embedded at screen resolution" in capsys.readouterr().err
    everything = blocks.within_budget(document, limit=1000)  # more than the figures can give: both 2x figures reduced
    said = capsys.readouterr().err
    assert embedded(everything)[1][0] == cloud.getvalue() and "2 of 3 figures embedded" in said and "no figure left to reduce" in said
    assert blocks.screen_resolution(cloud.getvalue()) == cloud.getvalue()
    cut = big_png.read_bytes()[:200]  # a PNG Pillow cannot read is embedded as it was, not a reason to lose the report
    assert blocks.screen_resolution(cut) == cut and blocks.screen_resolution(b"not a png") == b"not a png"


def test_heatmap_labels_contrast_with_their_cells():
    from helpers.stage5_report.charts import text_colour

    assert text_colour((0.55, 0.0, 0.05, 1)) == "white", "dark red takes white text (the 0.24-on-dark-red case)"
    assert text_colour((1.0, 0.96, 0.94, 1)) == "black"


# ---------------------------------------------------------------- build facts
def test_build_date_and_fingerprint_are_reproducible(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("党建", encoding="utf-8")
    (tmp_path / "ignored.md").write_text("not an input", encoding="utf-8")
    import os

    os.utime(tmp_path / "a.txt", (86400 * 365, 86400 * 365))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert blocks.build_date(tmp_path) == "1971-01-01", "the newest input file's mtime, never the clock"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert blocks.build_date(tmp_path) == "1970-01-01"
    first = blocks.corpus_fingerprint(tmp_path)
    (tmp_path / "ignored.md").write_text("changed", encoding="utf-8")
    assert blocks.corpus_fingerprint(tmp_path) == first
    (tmp_path / "a.txt").write_text("党建。", encoding="utf-8")
    assert blocks.corpus_fingerprint(tmp_path) != first
    assert re.fullmatch(r"\d+\.\d+\.\d+", blocks.project_version())


# ---------------------------------------------------------------- cleaning told truthfully
def seed_log(prefix: str) -> list[dict]:
    return cleaning.clean_text(prefix, seed_text(prefix))[1]


def test_mojibake_repairs_partial_repairs_and_deletions_are_apart():
    # Read by hand in seed 004: 黨的建設 and 道德銀行 are whole repairs; 人民的幸(福)才能, (可)以這么理解, (為)“治理樞紐”
    # and (為)群眾服(務) still lack a character; the residue ?wù) is deleted.
    rows = [r for r in seed_log("004") if r["step"] == "mojibake"]
    outcomes = sorted(r["outcome"] for r in rows)
    assert outcomes == ["deleted", "partial", "partial", "partial", "partial", "repaired", "repaired"]
    assert {r["after"] for r in rows if r["outcome"] == "repaired"} == {"黨的建設", "道德銀行"}


def test_duplicates_count_copies_removed():
    # Seed 002 prints one paragraph three times: one span removed, holding two copies.
    rows = [r for r in seed_log("002") if r["step"] == "duplicates"]
    assert [(r["copies_removed"], r["outcome"]) for r in rows] == [(2, "deleted")]


def test_page_break_join_is_flagged_where_text_may_be_lost():
    (join,) = [r for r in seed_log("000") if r["step"] == "page_breaks"]
    assert join["outcome"] == "joined-possible-loss" and "运行[¶¶]关键时刻" in join["example"]  # 布吉: 运行|关键时刻
    joins = [r for r in seed_log("001") if r["step"] == "page_breaks"]
    assert [r["outcome"] for r in joins] == ["joined"] * 3  # 各|街道, 结合|起来, 干|部: a word runs across


def test_outcomes_keep_replay_exact():
    raw = seed_text("004")
    clean, log = cleaning.clean_text("004", raw)
    assert cleaning.replay(raw, log) == clean


def test_cleaning_story_counts_from_the_summary():
    log = pd.DataFrame([r for p in ("000", "002", "004") for r in seed_log(p)])
    story = " ".join(sections.cleaning_story(cleaning.step_summary(log)))
    assert "2 spans repaired in full, 4 repaired only in part" in story and "1 residue(s) deleted" in story
    assert "2 repeated copies of earlier text removed (516 characters" in story


# ---------------------------------------------------------------- a real build: links and headers
@pytest.fixture(scope="module")
def built(seeds_build) -> Path:
    out, proc = seeds_build
    assert proc.returncode == 0, failure(proc)
    return out / "build" / "report.html"


@pytest.mark.slow
def test_csv_links_resolve_to_files(built):
    html_text = built.read_text(encoding="utf-8")
    links = set(re.findall(r'href="(tables/[^"]+\.csv)"', html_text))
    assert len(links) >= 10
    assert all((built.parent / link).is_file() for link in links), links
    assert {f"tables/{p.name}" for p in (built.parent / "tables").glob("*.csv")} <= links, "every table is offered"


@pytest.mark.slow
def test_every_shown_column_has_an_english_header(built):
    html_text = built.read_text(encoding="utf-8")
    raw_columns = set(re.findall(r'<th title="([^"]*)">', html_text))
    assert {"doc_id", "raw_chars", "metadata_source"} <= raw_columns
    assert bilingual.unmapped(sorted(raw_columns)) == []


@pytest.mark.slow
def test_report_carries_build_facts_and_print_rules(built):
    html_text = built.read_text(encoding="utf-8")
    assert "How to cite:" in html_text and "corpus fingerprint" in html_text and "version 0.1.0" in html_text
    assert "@media print" in html_text and "@media (max-width:700px)" in html_text and 'id="contents"' in html_text
    assert "photographer as in 001" not in html_text and "钟致棠" in html_text and "钟致崇" in html_text
