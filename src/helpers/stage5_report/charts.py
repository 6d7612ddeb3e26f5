"""Figures: a CJK font from requirements.txt, deterministic PNGs, charts labelled with their caveats."""

from __future__ import annotations

import functools
import glob
import hashlib
import inspect
import shutil
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import io

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.layout_engine import PlaceHolderLayoutEngine  # noqa: E402
from PIL import Image, ImageFont  # noqa: E402
from wordcloud import WordCloud
from wordcloud import wordcloud as wordcloud_module

from helpers.base import engine, paths, schema  # noqa: E402
from helpers.stage5_report.bilingual import label, pinyin

UNVERIFIED = "Figures as reported by the source, not verified."
DPI = 110  # design resolution: the report shows a figure at its pixel width at this DPI …
SCALE = 2  # … and draws it at twice that, so text stays sharp on 2x screens and when zoomed or printed
# One look for every chart: no box, readable sizes, white background (so PNG palettes stay small).
STYLE = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.edgecolor": "#888888",
}


@lru_cache(maxsize=1)
def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the default; return its family name."""
    path = paths.cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "svg.hashsalt": "longgang",
            # Laid out at the resolution it is drawn at: tight_layout's text measurements are then the ones the
            # drawing reuses (matplotlib caches them per renderer and DPI), not made twice. 0.7 s of the charts' 13 s
            # of CPU at 1,000 bench documents; the layout moves by a pixel here and there.
            "figure.dpi": DPI * SCALE,
            **STYLE,
        }
    )
    return family


def _fingerprint(value: object) -> str:
    """A stable text form of a drawing input (tables by content, dicts in key order)."""
    if isinstance(value, pd.DataFrame):
        return value.to_csv(lineterminator="\n")
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_fingerprint(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_fingerprint(v) for v in value) + "]"
    return repr(value)


def cached_figure(draw):
    """Skip redrawing figures/<name>.png when its inputs and this module's code are unchanged (warm builds).

    A drawn PNG is kept in build/cache/figures under its key; a later run with the same key copies it back into
    figures/. Each run starts with an empty figures/ (outputs.start_run), so only what this run asks for is there.
    A figure to draw is drawn beside the caller (engine.beside): the call returns its path at once, and the file is
    there once engine.wait_beside() returns (outputs.finish or outputs.wait_for_figures calls it)."""
    signature = inspect.signature(draw)

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        name = bound.arguments["name"]
        # The glossary is part of the drawing: chart labels carry its glosses.
        key = hashlib.sha256(
            (
                Path(__file__).read_text(encoding="utf-8")
                + draw.__name__
                + (paths.RESOURCES / "glossary.csv").read_text(encoding="utf-8")
                + _fingerprint(dict(bound.arguments))
            ).encode("utf-8")
        ).hexdigest()
        path, kept = paths.FIGURES / f"{name}.png", paths.CACHE / "figures" / f"{name}-{key[:24]}.png"
        paths.ensure_dirs()
        if kept.exists():
            shutil.copyfile(kept, path)
            return path
        use_cjk_font()  # here, in case the drawing pool forks now: its worker inherits the registered font
        # Drawn beside the notebook (engine.beside; outputs.finish, or the report, waits for it): matplotlib is
        # single-threaded Python, so two charts, or a chart and the notebook's next cell, use both cores.
        small = draw.__name__ in SMALL_DRAWINGS
        engine.beside(f"figure {name}", _draw_and_keep, draw.__name__, bound.args, bound.kwargs, name, kept, makes=path, small=small)
        return path

    return wrapper


# Drawings small enough for the kernel to draw while it waits for the worker (engine._SPARE): a word cloud is ~0.2 s
# of CPU and a 900x500 image, where a matplotlib chart is 1-3 s and up to 4,000x2,500 pixels held three times over.
SMALL_DRAWINGS = ("word_cloud",)


def start_drawing() -> None:
    """When drawings go on across notebooks (engine.draws_across_notebooks), fork the drawing worker now, before a
    corpus is loaded (see engine.start_beside), with the CJK font and pypinyin's dictionaries loaded first: the kernel
    loads them anyway for its labels, and loaded before the fork they are in memory once (~70 MB), not twice."""
    if engine.draws_across_notebooks():
        use_cjk_font()
        pinyin("党建")
        engine.start_beside(warm_up)


def warm_up() -> None:
    """The drawing worker's first job, run while the kernel reads and cleans the corpus: what its first chart would
    load on the way to the report (jieba's general dictionary, which groups the pinyin of labels of four or more
    characters, and matplotlib's text machinery for the CJK font), drawn into nothing. Measured: the first chart took
    0.91 s of CPU without it, 0.65-0.72 s after it; it takes ~0.3 s itself, while the kernel and the pool clean."""
    pinyin("党建引领基层治理")
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.set_title("党建引领 dǎngjiàn yǐnlǐng · party building", fontsize=10)
    ax.set_yticks([0], ["基层治理 1"])
    draw_cropped(fig)
    plt.close(fig)


def _draw_and_keep(chart: str, args: tuple, kwargs: dict, name: str, kept: Path) -> None:
    """Draw figures/<name>.png with this module's chart function of that name (by name: the decorated function is the
    one a worker can look up) and keep a copy under its cache key (the only kept drawing of that name)."""
    result = globals()[chart].__wrapped__(*args, **kwargs)
    if result != paths.FIGURES / f"{name}.png":
        raise RuntimeError(f"{chart} wrote {result}, not figures/{name}.png")
    paths.write_whole(kept, lambda partial: shutil.copyfile(result, partial), replaces=f"{glob.escape(name)}-*.png")


def save(fig: plt.Figure, name: str) -> Path:
    """Write figures/<name>.png at SCALE x DPI with stable bytes and close the figure. Charts have few colours, so a
    256-colour palette without dithering keeps every edge and letter while the file stays about as small as a 1x PNG."""
    paths.ensure_dirs()
    path = paths.FIGURES / f"{name}.png"
    # The figure's own Agg pixels, read in place: no PNG (or any file) encoded and decoded on the way to the palette.
    draw_cropped(fig)
    renderer = fig.canvas.renderer  # the renderer savefig drew the cropped figure with
    size = (int(renderer.width), int(renderer.height))
    pixels = renderer.buffer_rgba()
    if pixels.nbytes != 4 * size[0] * size[1]:
        raise RuntimeError(f"figure {name}: the Agg buffer is not the {size[0]}x{size[1]} figure savefig drew")
    rgb = Image.frombuffer("RGBA", size, pixels, "raw", "RGBA", 0, 1).convert("RGB")
    del pixels, renderer
    plt.close(fig)
    fig.canvas.renderer = None  # the buffer is copied: let it go before the palette is made
    quantised = palette(rgb)
    del rgb
    write_png(quantised, path, DPI * SCALE)
    return path


# zlib level 8: within 3% of optimize=True's level-9 bytes (the report is bounded) in a third of its time.
PNG_COMPRESS_LEVEL = 8


def palette(rgb: Image.Image) -> Image.Image:
    """A chart's RGB pixels in a 256-colour palette, the same on every build."""
    # Maximum coverage, no dithering: deterministic, and the flat colours (white, the bars) stay exact. Measured on a
    # 4043x2252 small-multiples chart (258 distinct colours) and a heatmap (397): no pixel off by more than 1 in any
    # channel, as with median cut, in half its time (0.36 s against 0.72 s).
    return rgb.quantize(colors=256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)


def write_png(image: Image.Image, target: Path | io.BytesIO, dpi: float) -> None:
    """Save a chart's palette image as every chart PNG is saved: zlib at PNG_COMPRESS_LEVEL, its resolution in pHYs."""
    image.save(target, format="PNG", compress_level=PNG_COMPRESS_LEVEL, dpi=(dpi, dpi))


def draw_cropped(fig: plt.Figure) -> None:
    """Draw the figure into its Agg buffer at SCALE x DPI, cropped to its ink as savefig's bbox_inches="tight" crops.

    Given "tight" (or a layout engine, and tight_layout leaves a placeholder one), savefig first draws the whole figure
    without pixels to find its extent: a Python walk over every artist, a seventh of a chart's time. For a figure laid
    out already (tight_layout, or fixed margins) the extent is measured here without that walk, at the saving
    resolution as savefig would, and the placeholder is dropped, so the figure is drawn once. Measured on the charts of
    1,000 bench documents: the same bytes, 11.7 s of CPU against 13.0 s. A figure with a real layout engine
    (constrained) is laid out in that first draw, so its extent is known only after it: savefig crops it itself."""
    layout = fig.get_layout_engine()
    if layout is not None and not isinstance(layout, PlaceHolderLayoutEngine):
        fig.savefig(_Discard(), dpi=DPI * SCALE, bbox_inches="tight", format="raw")
        return
    fig.set_layout_engine(None)
    fig.dpi = DPI * SCALE
    extent = fig.get_tightbbox(fig.canvas.get_renderer()).padded(matplotlib.rcParams["savefig.pad_inches"])
    fig.savefig(_Discard(), dpi=DPI * SCALE, bbox_inches=extent, format="raw")


class _Discard(io.RawIOBase):
    """A write-only sink: savefig draws into the Agg buffer, and its copy of the bytes is not needed."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return len(memoryview(data))


def text_colour(rgba: tuple[float, ...]) -> str:
    """Black or white, whichever reads better on a cell of this colour (relative luminance, WCAG weights)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgba[:3])
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # Contrast with white is 1.05/(L+0.05), with black (L+0.05)/0.05: pick the larger.
    return "white" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else "black"


def barh(ax: plt.Axes, labels: list[str], values: list[float], color: str = "#b22222") -> None:
    """Horizontal bars, largest at the top, values printed at the bar ends."""
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color=color)
    ax.set_yticks(y, labels)
    for yi, v in zip(y, values):
        ax.text(v, yi, f" {v:g}", va="center", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)


@cached_figure
def top_terms_chart(freqs: pd.DataFrame, gloss: dict[str, str], n: int = 25, name: str = "top_terms_corpus") -> Path:
    """The corpus's most frequent content terms (places left out), glossed where a gloss exists."""
    use_cjk_font()

    top = freqs[(freqs["scope"] == schema.WHOLE_CORPUS) & ~freqs["is_place"]].head(n)
    # Every term with pinyin and English: the gloss passed in first, then the project's fallbacks (marked "(dict.)").
    labels = [f"{t} {pinyin(t)} · {gloss[t]}" if t in gloss else label(t) for t in top["term"]]
    fig, ax = plt.subplots(figsize=(8.5, 0.28 * n + 1))
    barh(ax, [lab if len(lab) < 52 else lab[:50] + "…" for lab in labels], list(top["count"]))
    ax.set_xlabel("occurrences in the cleaned corpus")
    ax.set_title(f"The {n} most frequent terms of the corpus (stopwords and place names left out)", fontsize=10)
    return save(fig, name)


@cached_figure
def small_multiples(frames: dict[str, pd.DataFrame], value: str, title: str, name: str, n: int = 8, ncols: int = 4, xlabel: str = "") -> Path:
    """One small bar chart per street (label -> frame with 'term' and the value column)."""
    use_cjk_font()
    labels = list(frames)
    nrows = max(1, -(-len(labels) // ncols))
    # Wider panels than the Chinese alone needs: each term carries pinyin and a short English gloss.
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 2.6 * nrows), squeeze=False)
    for ax, group in zip(axes.flat, labels):
        top = frames[group].head(n)
        barh(ax, [label(t, max_english=18) for t in top["term"]], [round(v, 1) for v in top[value]], color="#8b1a1a")
        ax.set_title(group, fontsize=10)
        ax.tick_params(labelsize=8)
        ax.set_xlabel(xlabel, fontsize=7)
    for ax in list(axes.flat)[len(labels) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return save(fig, name)


@cached_figure
def word_cloud(frequencies: dict[str, int], name: str, width: int = 900, height: int = 500) -> Path:
    """A seeded word cloud (same PNG bytes on every build) in the CJK font."""
    ordered = dict(sorted(frequencies.items(), key=lambda kv: (-kv[1], kv[0])))
    colour = lambda *args, random_state=None, **kwargs: CLOUD_COLOURS[random_state.randint(0, len(CLOUD_COLOURS) - 1)]  # noqa: E731
    # The layout runs on a canvas CLOUD_SCALE times smaller and the words are drawn at full size (WordCloud's own
    # `scale`): placing a word scans the canvas for room, once per font size tried, so this is most of the work. A word
    # that finds no room is tried two points smaller, not one (font_step): half the tries, about 0.15 s of layout a
    # cloud instead of 0.25-0.30 s (a street's 120 words at 1,000 documents, measured), and as legible.
    with _fonts_loaded_once():
        cloud = WordCloud(
            font_path=str(paths.cjk_font_path()),
            width=width // CLOUD_SCALE,
            height=height // CLOUD_SCALE,
            scale=CLOUD_SCALE,
            background_color="white",
            random_state=42,
            prefer_horizontal=1.0,
            max_words=120,
            color_func=colour,
            collocations=False,
            font_step=2,
        ).generate_from_frequencies(ordered)
        drawn = cloud.to_image()
    paths.ensure_dirs()
    path = paths.FIGURES / f"{name}.png"
    # A cloud is a few dark colours and their anti-aliased edges: 64 palette colours keep every letter at about a
    # third of the bytes (the report embeds one cloud per street); median cut without dithering is deterministic.
    image = drawn.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(path, format="PNG", optimize=False)
    return path


@contextmanager
def _fonts_loaded_once():
    """While a cloud is made, WordCloud's ImageFont.truetype(path, size) returns one loaded font per size.

    WordCloud loads the font file anew for every size it tries while placing a word (hundreds of loads per cloud,
    ~0.5 ms each for the 8 MB CJK font: a third of a cloud's time). A loaded size takes about 1 MB, so the most
    recently used sizes are kept, not all; the fonts are the same either way, and so are the pixels."""
    truetype = lru_cache(maxsize=FONT_SIZES_KEPT)(ImageFont.truetype)
    original = wordcloud_module.ImageFont
    wordcloud_module.ImageFont = SimpleNamespace(truetype=truetype, TransposedFont=ImageFont.TransposedFont)
    try:
        yield
    finally:
        wordcloud_module.ImageFont = original


FONT_SIZES_KEPT = 8  # loaded font sizes kept while a cloud is made (about 1 MB each; more do not help)
CLOUD_SCALE = 2  # a cloud is laid out at half its size and drawn at full size
# Word-cloud colours: dark tones only, each at least 4.5:1 against white (WCAG AA for text), so that small words
# stay readable; the pale end of a sequential colour map (copper, the old choice) was not.
CLOUD_COLOURS = ("#7a1f0a", "#9c3a10", "#8b4513", "#5b3a29", "#1f4e79", "#2f4f4f", "#6b2d5c", "#8a1538")


def contrast_on_white(hex_colour: str) -> float:
    """WCAG contrast ratio of a colour against white."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 1.05 / (luminance + 0.05)


@cached_figure
def heatmap(
    matrix: pd.DataFrame,
    title: str,
    name: str,
    fmt: str = "{:.1f}",
    annotations: pd.DataFrame | None = None,
    cmap: str = "Reds",
    xlabel: str = "",
    ylabel: str = "",
) -> Path:
    """A labelled heatmap; annotations (same shape) can print counts in the cells instead of the values."""
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(1.0 * matrix.shape[1] + 2.5, 0.45 * matrix.shape[0] + 1.8))
    image = ax.imshow(matrix.to_numpy(dtype=float), cmap=cmap, aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(matrix.shape[0]), matrix.index, fontsize=9)
    shown = annotations if annotations is not None else matrix
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            value = shown.iat[i, j]
            text = fmt.format(value) if isinstance(value, (int, float, np.number)) else str(value)
            cell = image.cmap(image.norm(float(matrix.iat[i, j]))) if pd.notna(matrix.iat[i, j]) else (1, 1, 1, 1)
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color=text_colour(cell))
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return save(fig, name)


def caveat(fig: plt.Figure, text: str = UNVERIFIED) -> None:
    """The footnote every chart of reported figures carries."""
    fig.text(0.01, -0.02, text, fontsize=8, style="italic", color="#555555", ha="left", va="top")


@cached_figure
def stacked_counts(table: pd.DataFrame, title: str, name: str, xlabel: str) -> Path:
    """Rows stacked by column (e.g. streets × categories), with the row totals printed."""
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(table) + 1.6))
    left = np.zeros(len(table))
    colors = plt.get_cmap("tab20")(np.linspace(0, 1, max(len(table.columns), 2)))
    y = np.arange(len(table))[::-1]
    for color, column in zip(colors, table.columns):
        ax.barh(y, table[column].to_numpy(), left=left, color=color, label=column)
        left += table[column].to_numpy()
    for yi, total in zip(y, left):
        ax.text(total, yi, f" {int(total)}", va="center", fontsize=8)
    ax.set_yticks(y, table.index)
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=7, ncol=2, loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=10)
    caveat(fig)
    fig.tight_layout()
    return save(fig, name)


@cached_figure
def dot_chart(labels: list[str], values: list[float], markers: list[str], title: str, name: str, xlabel: str) -> Path:
    """One dot per value (a rate), its label on the left; markers show qualifiers (> at least, ~ about)."""
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(8.5, 0.3 * len(labels) + 1.6))
    y = np.arange(len(labels))[::-1]
    # One artist per kind of mark (all the stems, the dots of each marker), not one per row: the same pixels (checked
    # byte for byte) in less time (1.22 → 1.11 s for the 40 rates of 1,000 bench documents); the stems' caps are those
    # of a plotted line.
    ax.hlines(y, 0, values, color="#dddddd", lw=1, zorder=1, capstyle="projecting")
    for marker in dict.fromkeys(markers):
        mine = [i for i, m in enumerate(markers) if m == marker]
        ax.scatter([values[i] for i in mine], y[mine], marker=marker, color="#8b1a1a", zorder=2, s=30)
    for yi, value in zip(y, values):
        ax.text(value, yi, f"  {value:g}", va="center", fontsize=7)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, max(values + [100]) * 1.12)
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=10)
    caveat(fig, UNVERIFIED + "  ▶ = 'at least' (以上, 超过), ◆ = 'about' (约, 近), ● = as stated.")
    fig.tight_layout()
    return save(fig, name)


@cached_figure
def largest_figures(panels: dict[str, tuple[list[str], list[float]]], title: str, name: str, ncols: int = 2) -> Path:
    """The largest figures, one panel per unit (never two units on one axis), each labelled with what it counts."""
    use_cjk_font()
    panels = {unit: pair for unit, pair in panels.items() if pair[0]}
    n = max(len(panels), 1)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    tallest = max((len(labels) for labels, _ in panels.values()), default=1)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.5 * ncols, (0.32 * tallest + 1.2) * nrows), squeeze=False)
    for ax, (unit, (labels, values)) in zip(axes.flat, panels.items()):
        barh(ax, labels, values, color="#5b3a29")
        ax.tick_params(axis="y", labelsize=8)
        if min(values) > 0 and max(values) / min(values) > 100:
            ax.set_xscale("log")  # one unit, but spanning orders of magnitude
        ax.set_xlabel(unit)
        ax.set_title(unit, fontsize=9)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    caveat(fig)
    fig.tight_layout()
    return save(fig, name)


@cached_figure
def interval_panels(table: pd.DataFrame, title: str, name: str, ncols: int = 3, xlabel: str = "hits per 1,000 characters") -> Path:
    """One panel per code: each group's rate as a dot with its 95% interval as a line (table: panel, label, rate,
    ci_low, ci_high, hits), groups in the order given, so that overlapping intervals are seen as such."""
    use_cjk_font()
    panels = list(dict.fromkeys(table["panel"]))
    labels = list(dict.fromkeys(table["label"]))
    nrows = max(1, -(-len(panels) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 0.32 * len(labels) * nrows + 1.4 * nrows), squeeze=False, sharey=True)
    y = {label: i for i, label in enumerate(labels[::-1])}
    for ax, panel in zip(axes.flat, panels):
        rows = table[table["panel"] == panel]
        at = [y[label] for label in rows["label"]]
        # One artist for the panel's intervals and one for its dots, not two per row: the same pixels (checked byte for
        # byte) in less time (1.45 → 1.12 s for the 78 rows of 1,000 bench documents).
        ax.hlines(at, rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy(), color="#c9a3a3", lw=2.2, capstyle="butt")
        ax.scatter(rows["rate"].to_numpy(), at, color="#8b1a1a", s=16, zorder=3)
        for yi, right, hits in zip(at, np.maximum(rows["ci_high"], rows["rate"]), rows["hits"]):
            ax.text(right, yi, f"  {int(hits)}", va="center", fontsize=6.5, color="#444444")
        ax.set_title(panel, fontsize=9)
        ax.set_yticks(list(y.values()), list(y.keys()), fontsize=8)
        ax.set_xlabel(xlabel, fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlim(left=0)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save(fig, name)
