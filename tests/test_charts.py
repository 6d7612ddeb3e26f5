"""Figures: the CJK font comes from requirements.txt and draws every glyph; clouds are byte-identical."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pytest

from helpers.base import engine, paths
from helpers.stage5_report import charts


def drawn(path):
    """The figure's path once it is drawn (charts draw beside the caller; outputs.finish waits the same way)."""
    engine.wait_beside()
    return path


def test_cjk_font_is_the_packaged_one():
    path = paths.cjk_font_path()
    assert "site-packages" in str(path) and path.suffix in (".otf", ".ttf")


def test_chinese_draws_without_missing_glyphs(tmp_path):
    charts.use_cjk_font()
    fig, ax = plt.subplots()
    ax.set_title("党建引领攻坚克难 龙岗区平湖街道“5+2、白+黑”")
    ax.set_xlabel("临时党支部 战斗堡垒 先锋模范 征拆")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "glyphs.png")
    plt.close(fig)
    assert not [w for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]


def test_word_cloud_is_byte_identical(tmp_path, monkeypatch):
    frequencies = {"党建": 112, "群众": 52, "征拆": 35, "临时党支部": 15, "战斗堡垒": 9, "治水提质": 4, "花园小区": 16}
    outputs = []
    for run in ("one", "two"):
        monkeypatch.setattr(paths, "FIGURES", tmp_path / run)
        monkeypatch.setattr(paths, "CACHE", tmp_path / run / "cache")
        monkeypatch.setattr(paths, "TABLES", tmp_path / run / "tables")
        outputs.append(drawn(charts.word_cloud(frequencies, "cloud")).read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].startswith(b"\x89PNG")


def test_a_chart_drawn_beside_is_the_chart_drawn_here(tmp_path, monkeypatch):
    """A figure drawn in a forked child has the bytes of the one drawn in this process, and the call returns before the
    file exists only when it forks."""
    import pandas as pd

    table = pd.DataFrame({"战斗堡垒": [1.0, 2.0], "群众": [3.0, 0.0]}, index=["平湖", "布吉"])
    found = {}
    for mode in ("serial", "local"):
        monkeypatch.setenv("ENGINE", mode)
        monkeypatch.setattr(paths, "FIGURES", tmp_path / mode)
        monkeypatch.setattr(paths, "CACHE", tmp_path / mode / "cache")
        path = charts.heatmap(table, "框架", "beside_probe")
        assert path == tmp_path / mode / "beside_probe.png"
        if mode == "serial":
            assert path.exists(), "ENGINE=serial draws in this process, before the call returns"
        elif engine.runs_beside():
            assert "figure beside_probe" in engine._BESIDE, "the forked pool draws it"
        found[mode] = drawn(path).read_bytes()
    assert found["serial"] == found["local"] and found["local"].startswith(b"\x89PNG")


@pytest.mark.skipif(not engine.FORK, reason="jobs run beside only where fork is safe (Linux)")
def test_a_failed_drawing_beside_is_raised_naming_the_figure(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.setenv("ENGINE", "local")
    monkeypatch.setattr(engine, "n_workers", lambda: 2)
    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    charts.heatmap(pd.DataFrame({"a": [1.0]}), "t", "broken_probe", fmt="{:q}")  # the format fails in the child
    with pytest.raises(RuntimeError, match=r"figure broken_probe: ValueError: .*format code 'q'"):
        engine.wait_beside()
    assert not (tmp_path / "figures" / "broken_probe.png").exists() and not list((tmp_path / "cache").rglob("broken_probe-*"))


def test_word_cloud_colours_are_readable_on_white():
    from helpers.stage5_report import charts

    assert all(charts.contrast_on_white(c) >= 4.5 for c in charts.CLOUD_COLOURS)
    assert charts.contrast_on_white("#ffffff") == pytest.approx(1.0)
    assert charts.contrast_on_white("#000000") == pytest.approx(21.0)


def test_the_figure_cache_redraws_when_its_data_changes(tmp_path, monkeypatch):
    """Same name, same code: a changed table must give a new PNG; an unchanged one is not redrawn."""
    import pandas as pd

    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(paths, "TABLES", tmp_path / "tables")
    first = pd.DataFrame({"战斗": [1.0, 2.0], "群众": [3.0, 0.0]}, index=["平湖", "布吉"])
    path = drawn(charts.heatmap(first, "t", "cache_probe"))
    before = path.read_bytes()
    (kept,) = (tmp_path / "cache" / "figures").glob("cache_probe-*.png")
    stamp = kept.stat().st_mtime_ns
    path.unlink()  # a new run starts with an empty figures/: the kept drawing is copied back, not redrawn
    assert drawn(charts.heatmap(first, "t", "cache_probe")).read_bytes() == before and kept.stat().st_mtime_ns == stamp
    after = drawn(charts.heatmap(first * 3 + 1, "t", "cache_probe")).read_bytes()
    assert after != before, "changed data must redraw the figure"
    assert len(list((tmp_path / "cache" / "figures").glob("cache_probe-*.png"))) == 1, "one kept drawing per figure"


def test_save_writes_the_cropped_figure_on_a_palette(tmp_path, monkeypatch):
    """save() reads the Agg pixels in place: the PNG has the size savefig's own PNG has, a palette, and exact white."""
    from PIL import Image

    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(paths, "TABLES", tmp_path / "tables")

    def drawing() -> plt.Figure:
        charts.use_cjk_font()
        fig, ax = plt.subplots(figsize=(4, 2))
        charts.barh(ax, ["征拆", "群众"], [3.0, 1.0])
        charts.caveat(fig)  # below the axes: only a tight crop keeps it
        return fig

    reference = drawing()
    reference.savefig(tmp_path / "reference.png", dpi=charts.DPI * charts.SCALE, bbox_inches="tight")
    plt.close(reference)
    path = charts.save(drawing(), "probe")
    with Image.open(path) as image, Image.open(tmp_path / "reference.png") as expected:
        assert image.size == expected.size and image.mode == "P"
        assert round(image.info["dpi"][0]) == charts.DPI * charts.SCALE
        assert image.convert("RGB").getpixel((0, 0)) == (255, 255, 255)
    assert charts.save(drawing(), "probe").read_bytes() == path.read_bytes()


def test_clouds_with_fonts_loaded_once_are_the_same_pixels():
    from wordcloud import WordCloud
    from wordcloud import wordcloud as wordcloud_module

    frequencies = {"党建": 112, "群众": 52, "征拆": 35, "临时党支部": 15, "战斗堡垒": 9, "治水提质": 4, "花园小区": 16}

    def cloud() -> bytes:
        made = WordCloud(font_path=str(paths.cjk_font_path()), width=300, height=160, random_state=7, prefer_horizontal=1.0)
        return made.generate_from_frequencies(frequencies).to_image().tobytes()

    original = wordcloud_module.ImageFont
    with charts._fonts_loaded_once():
        assert wordcloud_module.ImageFont is not original
        cached = cloud()
    assert wordcloud_module.ImageFont is original  # PIL's own module again after the cloud
    assert cached == cloud()


@pytest.mark.skipif(not engine.FORK, reason="jobs run beside only where fork is safe (Linux)")
def test_drawings_go_on_across_notebooks_only_when_the_runner_waits_for_them(tmp_path, monkeypatch):
    """Standing alone, a notebook's finish waits for its figures; run by run_notebooks (the environment variable), it
    records a figure being drawn as drawn and leaves the worker drawing until wait_for_figures (the report's last
    step)."""
    import gc

    import pandas as pd

    from helpers.base import outputs

    monkeypatch.setenv("ENGINE", "local")
    monkeypatch.setattr(engine, "n_workers", lambda: 2)
    monkeypatch.setitem(outputs.REGISTRY, "99_probe", ((), ("probe_*",)))
    table = pd.DataFrame({"战斗堡垒": [1.0, 2.0], "群众": [3.0, 0.0]}, index=["平湖", "布吉"])
    for across in (False, True):
        folder = tmp_path / str(across)
        for name, sub in (("FIGURES", "figures"), ("CACHE", "cache"), ("TABLES", "tables")):
            monkeypatch.setattr(paths, name, folder / sub)
        if across:
            monkeypatch.setenv(engine.DRAW_ACROSS_NOTEBOOKS, "1")
        assert engine.draws_across_notebooks() is across
        charts.start_drawing()
        assert bool(engine._BESIDE_POOL) is across, "forked up front only for drawings across notebooks"
        path = charts.heatmap(table, "框架", "probe_heatmap")
        index = outputs.finish("99_probe", {"probe_heatmap": path})
        assert index.set_index("figure").loc["probe_heatmap", "drawn"]
        if across:
            assert engine._BESIDE_POOL, "the worker outlives the notebook"
            outputs.wait_for_figures()
            gc.unfreeze()  # start_drawing froze this test process's objects (see engine.start_beside)
        assert not engine._BESIDE and not engine._BESIDE_POOL and path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(not engine.FORK, reason="jobs run beside only where fork is safe (Linux)")
def test_the_report_embeds_a_figure_still_being_drawn_once_it_is_drawn(tmp_path, monkeypatch):
    """The report's sections are built while the last charts are drawn: a figure under way is a placeholder that
    write_report fills in after waiting, byte for byte what the section would have held had it waited first; corpus
    text cannot forge a placeholder (it is escaped)."""
    import gc

    import pandas as pd

    from helpers.base import outputs
    from helpers.stage5_report import blocks

    monkeypatch.setenv("ENGINE", "local")
    monkeypatch.setenv(engine.DRAW_ACROSS_NOTEBOOKS, "1")
    monkeypatch.setattr(engine, "n_workers", lambda: 2)
    monkeypatch.setitem(outputs.REGISTRY, "99_probe", ((), ("probe_*",)))
    for name, sub in (("FIGURES", "figures"), ("CACHE", "cache"), ("TABLES", "tables")):
        monkeypatch.setattr(paths, name, tmp_path / sub)
    charts.start_drawing()
    path = charts.heatmap(pd.DataFrame({"战斗堡垒": [1.0, 2.0]}, index=["平湖", "布吉"]), "框架", "probe_pending")
    outputs.finish("99_probe", {"probe_pending": path})
    pending = blocks.figure("probe_pending", "框架 by street")
    assert 'data-pending-figure="probe_pending"' in pending and "base64" not in pending
    forged = blocks.escape_html('<img data-pending-figure="probe_pending"')
    report = blocks.write_report(f"<p>{pending}</p><p>{forged}</p>", tmp_path / "report.html")
    gc.unfreeze()  # start_drawing froze this test process's objects (see engine.start_beside)
    assert not engine._BESIDE and path.exists()
    drawn = blocks.figure("probe_pending", "框架 by street")
    assert "data:image/png;base64," in drawn
    assert report.read_text(encoding="utf-8") == f"<p>{drawn}</p><p>{forged}</p>"


def test_drawn_once_and_cropped_as_savefig_tight_crops():
    """draw_cropped skips savefig's first, pixel-less draw, yet gives the pixels of bbox_inches="tight": a laid-out
    chart with a title above and a caveat below the axes (outside the figure, as the heatmaps' note is). A figure with
    a constrained layout, laid out only in that first draw, is cropped as savefig crops it."""
    charts.use_cjk_font()

    def laid_out(fig: plt.Figure, ax) -> plt.Figure:
        fig.suptitle("党建引领 · party building")
        ax.barh(["战斗堡垒 zhàndòu bǎolěi", "群众 qúnzhòng"], [3, 5])
        return fig

    def tight_chart() -> plt.Figure:
        fig = laid_out(*plt.subplots(figsize=(4, 2.5)))
        fig.tight_layout()
        fig.text(0.01, -0.02, charts.UNVERIFIED, fontsize=8, ha="left", va="top")
        return fig

    def constrained_chart() -> plt.Figure:
        return laid_out(*plt.subplots(figsize=(4, 2.5), layout="constrained"))

    def drawn_pixels(chart, draw) -> tuple[int, tuple[int, int], bytes]:
        fig, draws = chart(), []
        real_draw = fig.draw
        fig.draw = lambda renderer: (draws.append(renderer), real_draw(renderer))  # savefig's draws, pixel-less or not
        draw(fig)
        renderer = fig.canvas.renderer
        plt.close(fig)
        return len(draws), (int(renderer.width), int(renderer.height)), bytes(renderer.buffer_rgba())

    def tight(fig: plt.Figure) -> None:
        fig.savefig(charts._Discard(), dpi=charts.DPI * charts.SCALE, bbox_inches="tight", format="raw")

    ours, theirs = drawn_pixels(tight_chart, charts.draw_cropped), drawn_pixels(tight_chart, tight)
    assert (ours[0], theirs[0]) == (1, 2)
    assert ours[1:] == theirs[1:] and ours[1][0] > 400
    assert drawn_pixels(constrained_chart, charts.draw_cropped)[1:] == drawn_pixels(constrained_chart, tight)[1:]
