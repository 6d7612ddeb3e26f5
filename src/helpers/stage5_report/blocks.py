"""HTML building blocks of the report: escaping, captions, figures, tables, the page shell, build facts.
Every corpus string is escaped on the way in (escape_html for HTML, escape_markdown for notebook Markdown)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from fontTools import subset
from fontTools.ttLib import TTFont
from IPython.display import Markdown
from PIL import Image

from helpers.base import engine, outputs, paths
from helpers.base.outputs import FIGURE_INDEX, figure_status
from helpers.base.tables import read_table
from helpers.stage5_report import charts
from helpers.stage5_report.bilingual import header, label, translate

MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|>~-])")


def escape_markdown(value: object) -> str:
    """Corpus text made inert for both HTML and Markdown."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(str(value), quote=True))


def md(template: str, **values: object):
    """A Markdown display whose placeholders are filled with escaped values (numbers pass through)."""
    safe = {k: (v if isinstance(v, (int, float)) else escape_markdown(v)) for k, v in values.items()}
    return Markdown(template.format(**safe))


def escape_html(value: object) -> str:
    """HTML-escape any value for the report."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:.6g}"
    return html.escape(str(value), quote=True)


# ---------------------------------------------------------------- building blocks
def caption_html(caption: str, takeaway: str = "", cannot_show: str = "") -> str:
    """A caption: the takeaway sentence (built from the tables by the caller) first, then what the view is, then
    what it cannot show. Arguments are plain text and escaped here."""
    lead = f'<span class="takeaway">{escape_html(takeaway)}</span> ' if takeaway else ""
    limits = f' <span class="limits">What it cannot show: {escape_html(cannot_show)}</span>' if cannot_show else ""
    return lead + escape_html(caption) + limits


HIGH_DENSITY_DPI = 180  # a PNG whose pHYs says at least this was drawn at twice the screen resolution (charts: 220)


def png_scale(image: Image.Image) -> int:
    """2 for a figure drawn at twice the screen resolution (its PNG says so in pHYs), else 1."""
    dpi = image.info.get("dpi", (0, 0))[0]
    return 2 if dpi and dpi >= HIGH_DENSITY_DPI else 1


def image_source(path: Path) -> str:
    """The start of an <img> tag embedding this PNG (data URI) at its design width (sharp on 2x screens)."""
    with Image.open(path) as image:
        width = image.width // png_scale(image)
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" width="{width}"'


# A figure still being drawn when its section is built (the report is built while the last charts are drawn): a tag
# write_report fills in with image_source once every drawing is done. Corpus text is escaped, so it cannot make one.
PENDING_FIGURE = re.compile(r'<img data-pending-figure="([^"<>]+)"')


def figure(name: str, caption: str, alt: str | None = None, takeaway: str = "", cannot_show: str = "") -> str:
    """An embedded PNG from figures/ (image_source; one still being drawn is embedded by write_report), or a note if
    the figure was not drawn in this run (figure_index.csv says why); the caption carries a data-built takeaway and
    what the figure cannot show."""
    index = read_table(FIGURE_INDEX) if (paths.TABLES / f"{FIGURE_INDEX}.csv").exists() else pd.DataFrame()
    drawn, note = figure_status(index, name)
    path = paths.FIGURES / f"{name}.png"
    pending = drawn and engine.being_made(path)
    if not drawn or not (pending or path.exists()):
        return f'<p class="note">(No figure: {escape_html(note or "not enough data in this corpus")}.)</p>'

    image = f'<img data-pending-figure="{escape_html(name)}"' if pending else image_source(path)
    return (
        f'<figure><div class="frame">{image} '
        f'alt="{escape_html(alt or takeaway or caption)}"></div>'
        f"<figcaption>{caption_html(caption, takeaway, cannot_show)}</figcaption></figure>"
    )


MAX_ROWS = 200  # a table longer than this shows its first rows and links to the full CSV: the report stays bounded

# Columns whose column names a table was shown with (tests check that each has an English header).
shown_columns: set[str] = set()


def csv_link(source: str) -> str:
    """A link to build/tables/<source>.csv, relative to build/report.html (the report and its tables travel as one
    folder; linking keeps the report small instead of duplicating ~1 MB of tables as data URIs)."""
    return f'<a class="csv" href="tables/{escape_html(source)}.csv" download>Download the data: tables/{escape_html(source)}.csv</a>'


def table(
    df: pd.DataFrame,
    table_id: str = "",
    searchable: bool = False,
    max_rows: int | None = None,
    caption: str = "",
    takeaway: str = "",
    cannot_show: str = "",
    source: str | None = None,
) -> str:
    """An escaped HTML table with English headers; searchable ones get a filter box and sortable headers (inline
    script, offline); long ones scroll on screen and print whole; `source` links the build table it was drawn from."""
    shown = df if max_rows is None else df.head(max_rows)
    shown_columns.update(str(c) for c in shown.columns)
    head = "".join(f'<th title="{escape_html(c)}">{escape_html(header(str(c)))}</th>' for c in shown.columns)
    body = "\n".join("<tr>" + "".join(f"<td>{escape_html(v)}</td>" for v in row) + "</tr>" for row in shown.itertuples(index=False))
    more = f'<p class="note">Showing {len(shown)} of {len(df)} rows; every row is in the CSV.</p>' if len(shown) < len(df) else ""
    search = (
        (f'<input class="filter" type="search" placeholder="Filter {len(shown)} rows…" data-table="{escape_html(table_id)}" aria-label="Filter table">')
        if searchable
        else ""
    )
    text = caption_html(caption, takeaway, cannot_show) if (caption or takeaway or cannot_show) else ""
    # The caption sits outside the scrolling box, so a phone shows it whole while the table scrolls sideways.
    cap = f'<p class="tcap" id="{escape_html(table_id)}-caption">{text}</p>' if text else ""
    described = f' aria-describedby="{escape_html(table_id)}-caption"' if text else ""
    sortable = ' class="sortable"' if searchable else ""
    long = " long" if len(shown) > 25 else ""  # only long tables scroll on screen; print shows every row
    link = f'<p class="data">{csv_link(source)}</p>' if source else ""
    return (
        f'{cap}{search}<div class="scroll{long}"><table id="{escape_html(table_id)}"{sortable}{described}><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>{more}{link}"
    )


def with_english(df: pd.DataFrame, terms: tuple[str, ...] = (), sentences: tuple[str, ...] = ()) -> pd.DataFrame:
    """Term columns shown as '征拆 zhēngchāi · land expropriation …'; each sentence column followed by `<col>_en`,
    its curated translation or '(not translated)'."""
    out = df.copy()
    for column in terms:
        if column in out:
            out[column] = out[column].map(lambda v: label(v) if str(v).strip() else "")
    for column in sentences:
        if column in out:
            out.insert(list(out.columns).index(column) + 1, f"{column}_en", out[column].map(translate))
    return out


def bullet_list(items: list[str]) -> str:
    """A <ul> of items that are already HTML (escaped where they hold corpus text)."""
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


@dataclass
class Section:
    """One titled part of the report."""

    anchor: str
    title: str
    parts: list[str] = field(default_factory=list)

    def html(self) -> str:
        """The section as HTML."""
        return (
            f'<section id="{escape_html(self.anchor)}"><h2>{escape_html(self.title)}</h2>\n'
            + "\n".join(self.parts)
            + '<p class="top"><a href="#contents">↑ Contents</a></p></section>'
        )


# ---------------------------------------------------------------- build facts: date, version, fingerprint, citation
def input_files(folder: Path | None = None) -> list[Path]:
    """The files a build reads from the corpus folder: every .txt and the manifest, in name order."""
    folder = folder or paths.CORPUS
    return (
        sorted((p for p in folder.iterdir() if p.is_file() and (p.suffix.lower() == ".txt" or p.name == "manifest.csv")), key=lambda p: p.name)
        if folder.is_dir()
        else []
    )


def corpus_fingerprint(folder: Path | None = None) -> str:
    """SHA-256 over the input files' names and bytes: the same corpus gives the same fingerprint on any machine."""
    digest = hashlib.sha256()
    for path in input_files(folder):
        digest.update(path.name.encode("utf-8") + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build_date(folder: Path | None = None) -> str:
    """The build date, never the clock (two builds stay byte-identical): SOURCE_DATE_EPOCH if set, else the
    newest input file's modification time (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        stamp = int(epoch)
    else:
        files = input_files(folder)
        stamp = int(max((p.stat().st_mtime for p in files), default=0))
    return dt.datetime.fromtimestamp(stamp, tz=dt.timezone.utc).strftime("%Y-%m-%d")


def project_version() -> str:
    """The version in pyproject.toml."""
    return tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


@dataclass(frozen=True)
class BuildInfo:
    """What a reader needs to cite and reproduce this report."""

    date: str
    version: str
    fingerprint: str
    n_files: int

    def citation(self, title: str) -> str:
        """A how-to-cite line (plain text)."""
        return (
            f"{title}. Report version {self.version}, built {self.date} from a corpus of {self.n_files} files "
            f"(fingerprint sha256:{self.fingerprint[:16]}). Longgang party-building project."
        )


def build_info(folder: Path | None = None) -> BuildInfo:
    """Date, version and fingerprint of this build."""
    return BuildInfo(build_date(folder), project_version(), corpus_fingerprint(folder), len(input_files(folder)))


# ---------------------------------------------------------------- the font
SUBSET_CUT = "woff,no-recalc-bounds:"  # part of a cached subset's key: change it when subset_font cuts differently


def font_face(text: str) -> str:
    """An @font-face rule with Noto Sans SC cut down to the characters the report uses (WOFF, base64)."""
    chars = "".join(sorted({c for c in text if ord(c) > 0x2E7F}))
    # The prefix names how the subset is cut (WOFF, font-wide bounds not recomputed: see subset_font), so a subset cached
    # by an older cut is never embedded in a new build: the same characters give the same bytes, whatever the cache held.
    key = hashlib.sha256((SUBSET_CUT + chars).encode("utf-8")).hexdigest()[:16]
    cached = paths.CACHE / f"font-{key}.woff"
    if not cached.exists():  # a warm build with the same characters reads the subset back (no fontTools, no charts)
        subset = subset_font(chars)
        paths.write_whole(cached, lambda partial: partial.write_bytes(subset), replaces="font-*.woff")
    data = base64.b64encode(cached.read_bytes()).decode("ascii")
    return f'@font-face{{font-family:"Report CJK";src:url(data:font/woff;base64,{data}) format("woff");}}'


def subset_font(chars: str) -> bytes:
    """Noto Sans SC cut down to these characters, as WOFF bytes (about 1 s of CPU for a report's characters)."""
    options = subset.Options()
    options.flavor, options.hinting, options.desubroutinize = "woff", False, True
    # recalcBBoxes=False, as pyftsubset does by default (--no-recalc-bounds): recomputing the font-wide bounding boxes
    # of head, hhea, vhea and CFF runs every kept glyph's outline three times, 40% of the subset's time (1.5 s → 0.9 s
    # at 1,000 bench documents), for values no browser lays text out by (line height comes from the unchanged
    # ascender and descender). The glyphs are the same.
    font = TTFont(str(paths.cjk_font_path()), recalcTimestamp=False, recalcBBoxes=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = options.flavor  # Options.flavor alone is ignored by TTFont.save: without this the bytes are OpenType, not WOFF
    font.save(buffer)
    return buffer.getvalue()


STYLE = """
body{font-family:"Report CJK","Noto Sans SC","Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1100px;margin:0 auto;padding:1.5rem 2rem 4rem;line-height:1.6;color:#222;background:#fff;overflow-wrap:break-word}
h1{font-size:1.8rem;line-height:1.25;margin-bottom:.2rem}h2{border-bottom:2px solid #8b1a1a;padding-bottom:.2rem;margin-top:2.5rem;line-height:1.3}
h3{margin-top:1.6rem}.subtitle{color:#555;margin-top:0}.meta{font-size:.85rem;color:#555;border-left:3px solid #ccc;padding-left:.7rem}
nav.toc{background:#f7f3f0;padding:.6rem 1.2rem;border-radius:6px;margin:1rem 0}nav.toc ol{margin:.3rem 0;padding-left:1.4rem}
nav.toc a{color:#5a1010}.top{text-align:right;font-size:.8rem;margin:.4rem 0 0}.top a{color:#888}
.findings li{margin:.35rem 0}.note{color:#666;font-size:.9rem}.caveat{font-style:italic;color:#7a1f1f}
figure{margin:1.2rem 0}figure .frame{overflow-x:auto;text-align:center}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption,caption,.tcap{font-size:.88rem;color:#444;text-align:left;caption-side:top;padding:.3rem 0}
.tcap{margin:.8rem 0 .2rem}
.takeaway{font-weight:bold;color:#222}.limits{display:block;color:#7a4a1f;font-style:italic}
.scroll{overflow-x:auto;border:1px solid #ddd;margin:.4rem 0 .3rem}.scroll.long{max-height:36rem;overflow:auto}
table{border-collapse:collapse;font-size:.85rem;width:100%}th,td{border-bottom:1px solid #e5e5e5;padding:.25rem .45rem;
text-align:left;vertical-align:top}thead th{position:sticky;top:0;background:#f2ebe7;cursor:default}
table.sortable thead th{cursor:pointer}caption{font-weight:normal}
p.data{margin:.1rem 0 1.2rem;font-size:.82rem}a.csv{color:#5a1010}
input.filter{width:60%;padding:.3rem .5rem;margin-top:.4rem;font:inherit}
dl{display:grid;grid-template-columns:9rem 1fr;gap:.15rem .8rem;margin:.3rem 0 1rem}dt{color:#666}dd{margin:0}
.doc{border-left:3px solid #8b1a1a;padding-left:.8rem;margin:1rem 0}mark{background:#ffe08a}.kw{font-weight:bold;color:#8b1a1a}
.en{color:#333}.zh{color:#555}blockquote{margin:.5rem 0 .8rem 0;padding:.3rem .8rem;border-left:3px solid #d9c7bd;background:#faf7f5}
/* Phone: text keeps a readable size; wide tables and figures scroll sideways instead of squeezing (no title is
   wrapped one character per line), figures keep their design width inside a scrolling frame. */
@media (max-width:700px){
body{padding:.8rem .8rem 3rem;font-size:15px}h1{font-size:1.4rem}h2{font-size:1.2rem}
.scroll table{min-width:720px}table{font-size:.8rem}td{min-width:4.5em}
figure img{max-width:none}figure .frame{text-align:left}
dl{grid-template-columns:1fr}dt{font-weight:bold;margin-top:.3rem}input.filter{width:100%}
.scroll.long{max-height:none;overflow-y:visible}}
/* Paper: every row printed, no scroll boxes or filters, figures kept whole on a page, headings kept with what follows. */
@media print{
@page{margin:1.6cm 1.4cm}
body{max-width:none;padding:0;font-size:10pt;line-height:1.45}
.scroll,.scroll.long{max-height:none;overflow:visible;border:0}thead th{position:static}
input.filter,.top{display:none}thead{display:table-header-group}tr,figure,blockquote,.doc{break-inside:avoid}.tcap{break-after:avoid}
figure img{max-width:100%!important;max-height:23cm;width:auto;height:auto}figure .frame{overflow:visible}
h2,h3{break-after:avoid}h2{break-before:page}#findings h2{break-before:auto}
nav.toc a::after{content:""}a.csv::after{content:" (beside report.html)"}a{color:#222;text-decoration:none}
table{font-size:8pt}tbody tr{display:table-row!important}}
"""

# Our own code, not corpus text: filter rows and sort by a clicked header. Works offline.
SCRIPT = """
document.querySelectorAll('input.filter').forEach(function(box){box.addEventListener('input',function(){
var q=box.value.toLowerCase();var rows=document.getElementById(box.dataset.table).tBodies[0].rows;
for(var i=0;i<rows.length;i++){rows[i].style.display=rows[i].textContent.toLowerCase().indexOf(q)>=0?'':'none';}});});
document.querySelectorAll('table.sortable').forEach(function(t){t.tHead.rows[0].querySelectorAll('th').forEach(function(th,col){
th.addEventListener('click',function(){var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
var asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';rows.sort(function(a,b){var x=a.cells[col].textContent,y=b.cells[col].textContent;
var nx=parseFloat(x.replace(/,/g,'')),ny=parseFloat(y.replace(/,/g,''));var r=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y,'zh');
return asc?r:-r;});rows.forEach(function(r){body.appendChild(r);});});});});
"""


def page(title: str, subtitle: str, findings: list[str], sections: list[Section], embed_font: bool = True, info: BuildInfo | None = None) -> str:
    """The whole HTML document: title, build facts and citation, contents, key findings, sections."""
    toc = '<li><a href="#findings">Key findings</a></li>' + "".join(f'<li><a href="#{escape_html(s.anchor)}">{escape_html(s.title)}</a></li>' for s in sections)
    meta = ""
    if info:
        meta = (
            f'<p class="meta">Built {escape_html(info.date)} · version {escape_html(info.version)} · corpus fingerprint '
            f'<code title="sha256 of the input files">{escape_html(info.fingerprint[:16])}</code> ({info.n_files} files)<br>'
            f"<b>How to cite:</b> {escape_html(info.citation(title))}</p>"
        )
    body = (
        f'<h1>{escape_html(title)}</h1><p class="subtitle">{escape_html(subtitle)}</p>{meta}'
        f'<nav class="toc" id="contents" aria-label="Contents"><strong>Contents</strong><ol>{toc}</ol></nav>'
        f'<section id="findings"><h2>Key findings</h2><ol class="findings">{"".join(f"<li>{f}</li>" for f in findings)}</ol></section>'
        + "\n".join(s.html() for s in sections)
    )
    font = font_face(re.sub(r"<[^>]+>|data:[^\"']+", "", body)) if embed_font else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape_html(title)}</title>'
        f"<style>{font}{STYLE}</style></head><body>\n{body}\n<script>{SCRIPT}</script></body></html>\n"
    )


def write_report(document: str, path: Path | None = None) -> Path:
    """Write build/report.html once every figure is drawn (outputs.wait_for_figures: a failed or lost drawing stops
    the report here), with the figures still being drawn when their sections were built embedded now, and the whole
    within REPORT_MAX_BYTES (within_budget)."""
    outputs.wait_for_figures()
    document = PENDING_FIGURE.sub(lambda m: image_source(paths.FIGURES / f"{html.unescape(m.group(1))}.png"), document)
    document = within_budget(document)
    path = path or paths.REPORT_HTML
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the report's size
# The report is at most this many bytes whatever the corpus (issue 14). Tables show their first MAX_ROWS rows, so what
# still grows with a corpus is its figures (four fifths of the report: 4.71 MB at 1,000 bench documents, 4.87 MB at
# 4,000, where a chart by year has more years and points). Past the bound, the largest figures drawn at twice the
# screen resolution are embedded at screen resolution, largest first, until the report fits: the same figure at the
# same size on the page, less sharp on a high-density screen or in print.
REPORT_MAX_BYTES = 5_000_000
EMBEDDED_PNG = re.compile(r'(<img src="data:image/png;base64,)([A-Za-z0-9+/=]+)(")')  # image_source's tags


def within_budget(document: str, limit: int = REPORT_MAX_BYTES) -> str:
    """The document unchanged if it is within limit bytes (UTF-8), else with its largest 2x figures embedded at screen
    resolution (screen_resolution), largest first, until it is; a line on stderr says how many and the final size."""
    size = len(document.encode("utf-8"))
    if size <= limit:
        return document
    parts = EMBEDDED_PNG.split(document)  # text, opening, data, closing, text, ...
    figures = sorted(range(2, len(parts), 4), key=lambda i: (-len(parts[i]), i))
    reduced = 0
    for i in figures:
        if size <= limit:
            break
        smaller = base64.b64encode(screen_resolution(base64.b64decode(parts[i]))).decode("ascii")
        if len(smaller) < len(parts[i]):
            size -= len(parts[i]) - len(smaller)
            parts[i], reduced = smaller, reduced + 1
    outcome = f"{size / 1e6:.2f} MB" if size <= limit else f"still {size / 1e6:.2f} MB: no figure left to reduce"
    print(f"report.html: {reduced} of {len(figures)} figures embedded at screen resolution to stay within {limit / 1e6:g} MB ({outcome})", file=sys.stderr)
    return "".join(parts)


def screen_resolution(png: bytes) -> bytes:
    """A figure drawn at twice the screen resolution (png_scale 2) as a PNG of half its pixels each way (a box filter)
    in a new palette, which png_scale reads as 1; any other PNG (or one Pillow cannot read) unchanged."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            if png_scale(image) != 2:
                return png
            dpi, rgb = image.info["dpi"][0], image.convert("RGB")
    except (OSError, ValueError):  # embedded as it was drawn: a figure left sharp is no reason to lose the report
        return png
    out = io.BytesIO()
    charts.write_png(charts.palette(rgb.reduce(2)), out, dpi / 2)
    return out.getvalue()
