"""The reader's report: one self-contained HTML file (figures and a CJK font subset embedded, no external
script or stylesheet), assembled from the build tables; every corpus string is escaped on the way in."""
from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import paths

MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|>~-])")


def esc(value: object) -> str:
    """Corpus text made inert for both HTML and Markdown."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(str(value), quote=True))


def md(template: str, **values: object):
    """A Markdown display whose placeholders are filled with escaped values (numbers pass through)."""
    from IPython.display import Markdown

    safe = {k: (v if isinstance(v, (int, float)) else esc(v)) for k, v in values.items()}
    return Markdown(template.format(**safe))


def h(value: object) -> str:
    """HTML-escape any value for the report."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:.6g}"
    return html.escape(str(value), quote=True)


# ---------------------------------------------------------------- building blocks
def figure(name: str, caption: str, alt: str | None = None) -> str:
    """An embedded PNG drawn in this run (figure_index.csv says so), or the recorded reason it was not drawn."""
    from .outputs import FIGURE_INDEX, figure_status
    from .tables import read_table

    index = read_table(FIGURE_INDEX) if (paths.TABLES / f"{FIGURE_INDEX}.csv").exists() else pd.DataFrame()
    drawn, note = figure_status(index, name)
    path = paths.FIGURES / f"{name}.png"
    if not drawn or not path.exists():
        return f'<p class="note">(No figure: {h(note or "not enough data in this corpus")}.)</p>'
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{h(alt or caption)}">'
            f"<figcaption>{h(caption)}</figcaption></figure>")


def table(df: pd.DataFrame, table_id: str = "", searchable: bool = False, max_rows: int | None = None, caption: str = "") -> str:
    """An escaped HTML table; searchable ones get a filter box and sortable headers (inline script, offline)."""
    shown = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{h(c)}</th>" for c in shown.columns)
    body = "\n".join("<tr>" + "".join(f"<td>{h(v)}</td>" for v in row) + "</tr>" for row in shown.itertuples(index=False))
    more = f'<p class="note">Showing {len(shown)} of {len(df)} rows; the full table is build/tables.</p>' if len(shown) < len(df) else ""
    search = (f'<input class="filter" type="search" placeholder="Filter {len(shown)} rows…" data-table="{h(table_id)}" '
              f'aria-label="Filter table">') if searchable else ""
    cap = f"<caption>{h(caption)}</caption>" if caption else ""
    sortable = ' class="sortable"' if searchable else ""
    return (f'{search}<div class="scroll"><table id="{h(table_id)}"{sortable}>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>\n{body}\n</tbody></table></div>{more}")


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
        return f'<section id="{h(self.anchor)}"><h2>{h(self.title)}</h2>\n' + "\n".join(self.parts) + "</section>"


# ---------------------------------------------------------------- the font
def font_face(text: str) -> str:
    """An @font-face rule with Noto Sans SC cut down to the characters the report uses (WOFF, base64)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from .plots import cjk_font_path

    chars = "".join(sorted({c for c in text if ord(c) > 0x2E7F}))
    key = hashlib.sha256(chars.encode("utf-8")).hexdigest()[:16]
    cached = paths.CACHE / f"font-{key}.woff"
    if not cached.exists():
        options = subset.Options()
        options.flavor, options.hinting, options.desubroutinize = "woff", False, True
        font = TTFont(str(cjk_font_path()), recalcTimestamp=False)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        paths.CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(buffer.getvalue())
    data = base64.b64encode(cached.read_bytes()).decode("ascii")
    return f'@font-face{{font-family:"Report CJK";src:url(data:font/woff;base64,{data}) format("woff");}}'


STYLE = """
body{font-family:"Report CJK","Noto Sans SC","Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1100px;margin:0 auto;padding:1.5rem 2rem 4rem;line-height:1.6;color:#222;background:#fff}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{border-bottom:2px solid #8b1a1a;padding-bottom:.2rem;margin-top:2.5rem}
h3{margin-top:1.6rem}.subtitle{color:#555;margin-top:0}
nav.toc{background:#f7f3f0;padding:.6rem 1.2rem;border-radius:6px}nav.toc ol{margin:.3rem 0}
.findings li{margin:.35rem 0}.note{color:#666;font-size:.9rem}.caveat{font-style:italic;color:#7a1f1f}
figure{margin:1rem 0;text-align:center}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88rem;color:#555}
.scroll{max-height:32rem;overflow:auto;border:1px solid #ddd;margin:.4rem 0 1rem}
table{border-collapse:collapse;font-size:.85rem;width:100%}th,td{border-bottom:1px solid #e5e5e5;padding:.25rem .45rem;
text-align:left;vertical-align:top}thead th{position:sticky;top:0;background:#f2ebe7;cursor:default}
table.sortable thead th{cursor:pointer}caption{text-align:left;font-weight:bold;padding:.3rem}
input.filter{width:60%;padding:.3rem .5rem;margin-top:.4rem;font:inherit}
dl{display:grid;grid-template-columns:9rem 1fr;gap:.15rem .8rem;margin:.3rem 0 1rem}dt{color:#666}dd{margin:0}
.doc{border-left:3px solid #8b1a1a;padding-left:.8rem;margin:1rem 0}mark{background:#ffe08a}.kw{font-weight:bold;color:#8b1a1a}
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


def page(title: str, subtitle: str, findings: list[str], sections: list[Section], embed_font: bool = True) -> str:
    """The whole HTML document."""
    toc = "".join(f'<li><a href="#{h(s.anchor)}">{h(s.title)}</a></li>' for s in sections)
    body = (f"<h1>{h(title)}</h1><p class=\"subtitle\">{h(subtitle)}</p>"
            f'<section id="findings"><h2>Key findings</h2><ol class="findings">{"".join(f"<li>{f}</li>" for f in findings)}</ol></section>'
            f'<nav class="toc"><strong>Contents</strong><ol>{toc}</ol></nav>' + "\n".join(s.html() for s in sections))
    font = font_face(re.sub(r"<[^>]+>|data:[^\"']+", "", body)) if embed_font else ""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{h(title)}</title>'
            f"<style>{font}{STYLE}</style></head><body>\n{body}\n<script>{SCRIPT}</script></body></html>\n")


def write_report(document: str, path: Path | None = None) -> Path:
    """Write build/report.html."""
    path = path or paths.REPORT_HTML
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the sections, from the tables
def load_tables() -> dict[str, pd.DataFrame]:
    """Every table the report reads (written by notebooks 01-04)."""
    from .tables import read_table

    names = ["documents", "segments", "cleaning_summary", "term_frequencies", "keyness", "keyness_summary", "framing",
             "street_framing", "street_profiles", "framing_evidence", "codebook_precision", "slogans", "similarity",
             "similarity_pairs", "metrics"]
    return {n: read_table(n) for n in names if (paths.TABLES / f"{n}.csv").exists()}


def street_label(street: str) -> str:
    """平湖 → 平湖 Pinghu; a non-street group (district-wide, outside, unknown) as it is; '' → (none)."""
    from .places import gazetteer

    return (gazetteer().label(street) or street) if street else "(none)"


def pooled_profiles(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The street profiles of the pooled stratum (genre 'all')."""
    from . import schema

    profiles = t.get("street_profiles", pd.DataFrame())
    if profiles.empty:
        return profiles
    return profiles[profiles["genre"] == schema.ALL_GENRES]


def key_findings(t: dict[str, pd.DataFrame]) -> list[str]:
    """Findings read from the tables of this run (escaped HTML); each says how sure it is."""
    from collections import Counter

    from . import schema

    docs, segs = t["documents"], t["segments"]
    accepted = docs[docs["rejected"].astype(str) != "True"]
    copies = accepted[accepted["duplicate_of"].astype(str) != ""]
    scopes = segs.drop_duplicates("doc_id")["scope"].value_counts()
    in_area = segs[segs["scope"] == schema.IN_AREA]
    streets = sorted(s for s in in_area["street"].unique() if s)
    originals = accepted[(accepted["duplicate_of"].astype(str) == "") & (accepted["scope"] == schema.IN_AREA)]
    genres = originals["genre"].value_counts().sort_index()
    out = [f"The corpus holds <b>{len(accepted)}</b> documents ({int((docs['rejected'].astype(str) == 'True').sum())} rejected, "
           f"{len(copies)} copies of another left out): <b>{int(scopes.get(schema.IN_AREA, 0))}</b> from the study area, "
           f"{int(scopes.get(schema.OUTSIDE, 0))} from other districts and {int(scopes.get(schema.UNKNOWN, 0))} unplaced. "
           f"<b>{len(streets)}</b> streets have text of their own; the study area's documents by genre: "
           + (", ".join(f"{n} × {h(g)}" for g, n in genres.items()) or "none") + "."]
    profiles = pooled_profiles(t)
    street_rows = profiles[~profiles["group"].isin(schema.NON_STREET_GROUPS)] if len(profiles) else profiles
    if len(street_rows):
        lead = Counter(street_rows.loc[street_rows["frame_1"] != "", "frame_1"])
        if lead:
            frame, n = lead.most_common(1)[0]
            support = pd.to_numeric(street_rows["frame_order_support"], errors="coerce")
            sure = street_rows[(street_rows["frame_1"] == frame) & (support >= 0.9)]
            out.append(f"<b>{n}</b> of {len(street_rows)} streets put the <b>{h(frame.lower())}</b> frame first; in "
                       f"<b>{len(sure)}</b> of them it stays ahead of the second frame in at least 90% of bootstrap replicates "
                       "(in the rest the order could swap with more text).")
        tasks = Counter(street_rows.loc[street_rows["task_code"] != "", "showcased_task"])
        if tasks:
            task, m = tasks.most_common(1)[0]
            names = street_rows.loc[street_rows["showcased_task"] == task, "group"]
            out.append(f"The task most often showcased is <b>{h(task.lower())}</b> ({m} streets: "
                       + ", ".join(h(street_label(s)) for s in names) + f"); {len(tasks)} different tasks are showcased in all.")
    summary = t.get("keyness_summary", pd.DataFrame())
    if len(summary):
        pooled = summary[summary["genre"] == schema.ALL_GENRES]
        none = pooled[pooled["distinctive"].astype(int) == 0]
        out.append(f"<b>{int((pooled['distinctive'].astype(int) > 0).sum())}</b> of {len(pooled)} streets have at least one term "
                   "that sets them apart from the rest of the study area after a false-discovery correction"
                   + (f"; for {', '.join(h(street_label(g)) for g in none['group'])} the text is too short or too like the rest."
                      if len(none) else "."))
    pairs = t.get("similarity_pairs", pd.DataFrame())
    if len(pairs):
        supported = pairs[pairs["nearest_support"].astype(float) >= 0.5]
        out.append("Streets that reliably speak alike (nearest neighbours in at least half of the bootstrap replicates): "
                   + ("; ".join(f"{h(street_label(a))} – {h(street_label(b))} ({float(c):.2f})" for a, b, c in
                                supported[["street_a", "street_b", "cosine"]].itertuples(index=False)) or "none") + ".")
    metrics = t.get("metrics", pd.DataFrame())
    if len(metrics):
        per_genre = metrics.groupby("genre").size()
        chars = segs.groupby("genre")["n_chars"].sum()
        dense = (per_genre / chars.reindex(per_genre.index) * 1000).sort_values(ascending=False)
        out.append(f"The documents report <b>{len(metrics)}</b> figures; they are densest in the "
                   + ", ".join(f"{h(g)} genre ({v:.1f} per 1,000 characters)" for g, v in dense.head(2).items())
                   + ": the count of figures measures the genre more than the street. All are as reported, not verified.")
    return out


def corpus_section(t: dict[str, pd.DataFrame]) -> Section:
    """Documents, rejected files, what cleaning did, segments per street."""
    docs = t["documents"]
    s = Section("corpus", "1. The corpus and its cleaning")
    accepted = docs[docs["rejected"].astype(str) != "True"]
    genres = accepted["genre"].value_counts()
    s.parts.append(f"<p>{len(accepted)} documents: " + ", ".join(f"{n} × {h(g)}" for g, n in genres.items()) +
                   ". Each was decoded strictly and cleaned by small logged steps; the provenance of each is in section 7.</p>")
    cols = ["doc_id", "title", "genre", "street", "date", "script", "raw_chars", "clean_chars", "metadata_source", "missing_metadata"]
    s.parts.append(table(docs[[c for c in cols if c in docs.columns]], "documents"))
    rejected = docs[docs["rejected"].astype(str) == "True"]
    s.parts.append("<h3>Rejected files</h3>" + (table(rejected[["file", "reason"]], "rejected") if len(rejected)
                                                 else "<p>None: every file decoded cleanly.</p>"))
    summary = t["cleaning_summary"]
    pivot = summary.pivot_table(index="reason", columns="doc_id", values="edits", aggfunc="sum", fill_value=0)
    pivot.columns = [c[:3] for c in pivot.columns]
    s.parts.append("<h3>What cleaning did</h3><p>Edits per kind and document. Replaying the log "
                   "(build/tables/cleaning_log.csv) on the raw text gives the clean text back exactly.</p>")
    s.parts.append(table(pivot.reset_index(), "cleaning"))
    examples = summary.drop_duplicates("reason")[["reason", "doc_id", "example"]]
    s.parts.append("<p>One example of each kind of edit (before → after):</p>" + table(examples, "cleaning_examples", searchable=True))
    segs = t["segments"]
    per = segs.assign(street=segs["street"].map(street_label)).groupby(["street", "genre", "attribution"]).agg(
        segments=("segment_id", "size"), characters=("n_chars", "sum")).reset_index()
    s.parts.append("<h3>Segments and streets</h3><p>Speeches are attributed to the speaker's street; the two "
                   "single-street documents to their street; a paragraph of a district document that names exactly one "
                   "street is a <i>mention</i>, profiled apart.</p>" + table(per, "segments_per_street"))
    return s


def words_section(t: dict[str, pd.DataFrame], gloss: dict[str, str]) -> Section:
    """Top terms, keyness by street with its test, clouds."""
    from . import schema

    s = Section("words", "2. Words")
    freqs = t["term_frequencies"]
    top = freqs[(freqs["scope"] == "ALL") & (freqs["is_place"].astype(str) != "True")].head(10)
    s.parts.append("<p>Segmentation by jieba with a domain dictionary; stopwords-iso plus a short project list removed. "
                   "The corpus is dominated by " + ", ".join(f"{h(w)} <span class=note>({h(gloss[w]) + ', ' if w in gloss else ''}{c})</span>"
                                                               for w, c in zip(top["term"], top["count"])) + ".</p>")
    s.parts.append(figure("top_terms_corpus", "The most frequent terms of the corpus (stopwords and place names left out)."))
    s.parts.append(figure("top_terms_by_street", "The most frequent terms of each street and group, per 10,000 tokens: mostly shared vocabulary."))
    s.parts.append(figure("wordcloud_corpus", "Word cloud of the corpus (frequency only; seeded, so identical on every build)."))
    s.parts.append("<h3>What each street says more than the rest</h3><p>Each study-area street against the rest of the study "
                   "area's text (outside and unplaced documents never enter): Fisher's exact test on the share of sentences "
                   "that use a term, Benjamini–Hochberg at a 5% false-discovery rate. Only terms that pass are shown, with "
                   "their counts; a street with no passing term has too little text, or says what the others say.</p>")
    s.parts.append(figure("keyness_streets", "Distinctive terms of each street (log ratio of sentence shares; × = occurrences)."))
    key, summary = t.get("keyness", pd.DataFrame()), t.get("keyness_summary", pd.DataFrame())
    if len(summary):
        pooled = summary[summary["genre"] == schema.ALL_GENRES]
        rows = []
        for r in pooled.itertuples():
            passing = key[(key["genre"] == schema.ALL_GENRES) & (key["group"] == r.group) & (key["distinctive"].astype(str) == "True")].head(6)
            terms = "; ".join(f"{x.term}{(' (' + gloss[x.term] + ')') if x.term in gloss else ''}: {x.sentences} of "
                              f"{x.group_sentences} sentences, q={float(x.q_value):.3f}" for x in passing.itertuples())
            rows.append({"street": street_label(r.group), "sentences": r.group_sentences,
                         "distinctive terms": terms or "none passes: too little text, or too like the rest"})
        s.parts.append(table(pd.DataFrame(rows), "keyness_table"))
    return s


def framing_section(t: dict[str, pd.DataFrame]) -> Section:
    """Street heatmaps and intervals, profiles with evidence, slogans, similarity with support, KWIC."""
    from . import schema

    s = Section("framing", "3. How the streets frame their practice")
    sf = t.get("street_framing", pd.DataFrame())
    if len(sf):
        kinds = sf.drop_duplicates("code")
        frames = kinds.loc[kinds["kind"] == "frame", "name"]
        units = sf[sf["genre"] == schema.ALL_GENRES].drop_duplicates("group")["ci_unit"].value_counts()
        s.parts.append(f"<p>A codebook of {len(frames)} frames ({h(', '.join(n.lower() for n in frames))}) and "
                       f"{int((kinds['kind'] == 'task').sum())} task domains, applied as coding rules. The street is the unit: "
                       "everything said by or about a street is pooled, genre kept as a stratum, and compared as hits per 1,000 "
                       "characters with a 95% bootstrap interval (resampling "
                       + ", ".join(f"{h(u)} for {n} groups" for u, n in units.items())
                       + "; documents where a group has five or more, since sentences of one document are not independent). "
                       "Overlapping intervals mean no difference is shown. Outside and unplaced documents are groups of their own.</p>")
    precision = t.get("codebook_precision", pd.DataFrame())
    if len(precision):
        judged = precision["judged"].astype(int)
        ok = precision[(judged >= 10)]
        low = ok[ok["precision"].astype(float) < 0.9]
        s.parts.append(f"<h3>How far to trust the codebook</h3><p>{int(judged.sum())} coded spans, drawn at random from the seeds and "
                       "from texts of other kinds written for validation, were read and judged. Precision per code "
                       f"(share of coded spans that mean what the code claims): {len(ok)} codes have enough judged spans, "
                       + (f"and {len(low)} of them fall below 0.9" if len(low) else "all at 0.9 or better")
                       + "; codes with fewer than ten judged spans make no claim. Recall is checked by a list of phrases "
                         "that must be coded. Precision on unseen kinds of text may be lower.</p>")
        shown = precision.assign(precision=[("too few judged" if str(f) == "True" else f"{float(p):.2f}")
                                            for p, f in zip(precision["precision"], precision["too_few_judged"])])
        s.parts.append(table(shown[["kind", "code", "name", "judged", "correct", "precision"]], "codebook_precision"))
    s.parts.append(figure("framing_heatmap_streets", "Frames by street, all genres pooled (colour: rate per 1,000 characters; number: hits)."))
    s.parts.append(figure("framing_intervals", "Frame rates with 95% bootstrap intervals: where lines overlap, the streets are not shown to differ."))
    s.parts.append(figure("tasks_heatmap_streets", "Task domains by street, all genres pooled."))
    s.parts.append(figure("framing_by_year", "Frames by street and year, where documents are dated."))
    profiles = pooled_profiles(t)
    if len(profiles):
        s.parts.append("<h3>Street profiles</h3><p>Each street's showcased task and its two strongest frames, with one line "
                       "of evidence. <i>Order holds</i> is the share of bootstrap replicates in which the first frame stays ahead "
                       "of the second; <i>thin</i> marks a profile resting on fewer than three hits.</p>")
        support = pd.to_numeric(profiles["frame_order_support"], errors="coerce")
        shown = profiles.assign(street=profiles["group"].map(street_label),
                                frames=profiles["frame_1"] + " (" + profiles["frame_1_hits"].astype(str) + "), " +
                                profiles["frame_2"] + " (" + profiles["frame_2_hits"].astype(str) + ")",
                                order=support.map(lambda v: "" if pd.isna(v) else f"{v:.0%}"),
                                task=profiles["showcased_task"] + " (" + profiles["task_terms"] + ")" +
                                profiles["task_tie"].map(lambda v: f" — tied: {v}" if v else ""),
                                thin=profiles["thin_evidence"].map(lambda v: "thin" if str(v) == "True" else ""))
        s.parts.append(table(shown[["street", "n_docs", "n_chars", "task", "frames", "order", "thin", "evidence"]], "profiles"))
    s.parts.append("<h3>Which streets speak alike</h3>" + figure(
        "similarity_streets", "Cosine similarity of the streets' vocabulary; * marks pairs that stay nearest neighbours in at "
                              "least half of the bootstrap replicates."))
    pairs = t.get("similarity_pairs", pd.DataFrame())
    if len(pairs):
        supported = pairs[pairs["nearest_support"].astype(float) >= 0.5]
        s.parts.append("<p>Supported pairs: " + ("; ".join(
            f"{h(street_label(a))} – {h(street_label(b))} (cosine {float(c):.2f}, support {float(p):.0%})"
            for a, b, c, p in supported[["street_a", "street_b", "cosine", "nearest_support"]].itertuples(index=False))
            or "none: no pair of streets is reliably alike in this corpus")
            + ". Similarity is shared vocabulary, mostly the vocabulary of the task. No clustering tree is drawn: "
              "a tree shows clusters whether or not the data support them.</p>")
    slogans = t.get("slogans", pd.DataFrame())
    if len(slogans):
        formulas = slogans[slogans["kind"] != "quoted slogan"]
        s.parts.append("<h3>Slogans and formulas</h3>" + table(formulas[["street", "doc_id", "kind", "slogan", "sentence"]], "slogans", searchable=True))
    evidence = t.get("framing_evidence", pd.DataFrame())
    if len(evidence):
        s.parts.append("<h3>Evidence: every coded span in context</h3><p>Filter by street, frame code or term.</p>")
        s.parts.append(table(evidence[["street", "segment_id", "kind", "code", "left", "keyword", "right"]], "kwic", searchable=True))
    return s


def metrics_section(t: dict[str, pd.DataFrame]) -> Section:
    """Charts and the searchable table of figures with their sentences."""
    s = Section("metrics", "4. Reported figures")
    s.parts.append('<p class="caveat">Every figure below is as reported by the source, not verified.</p>')
    for name, caption in (("metrics_by_street_category", "Reported figures by street and category."),
                          ("metrics_rates", "Rates (%) reported, each with what it measures."),
                          ("metrics_largest_counts", "The largest counts reported (log scale).")):
        s.parts.append(figure(name, caption + " As reported by the source, not verified."))
    metrics = t.get("metrics", pd.DataFrame())
    if len(metrics):
        s.parts.append("<p>Figures cannot be compared across rows: denominators, years and units differ, and a count of "
                       "figures measures the genre (long articles report numbers, speeches do not) rather than achievement.</p>")
        shown = metrics.assign(street=metrics["street"].map(lambda v: street_label(v) if v else ""))
        s.parts.append(table(shown[["street", "doc_id", "raw", "value", "unit", "qualifier", "subject", "category", "time_ref", "sentence"]],
                             "metrics_table", searchable=True))
    return s


def methods_section(t: dict[str, pd.DataFrame]) -> Section:
    """Methods and caveats."""
    s = Section("methods", "5. Methods and caveats")
    docs, segs = t["documents"], t["segments"]
    speeches = segs[segs["genre"] == "speech excerpt"]
    size = (f"{len(speeches)} speech excerpts of {int(speeches['n_chars'].min())}–{int(speeches['n_chars'].max())} characters"
            if len(speeches) else "no speeches")
    s.parts.append(bullet_list([
        f"<b>Small corpus.</b> {int((docs['rejected'].astype(str) != 'True').sum())} documents; the street comparison rests on "
        f"{size}, edited by a newspaper, some cut off mid-sentence (see the notes in section 7). Counts of two or three decide a profile.",
        "<b>Genres differ.</b> Speeches, a news report, a promotional feature, a signed article and an anonymised speech are "
        "profiled apart; the long single-street articles never decide what a street is about.",
        "<b>Figures are as reported</b> by the sources and not verified; they have different denominators and years.",
        "<b>004 is anonymised</b> (places replaced by ×): it names no street and its district is unknown; it was re-posted "
        "in Traditional characters with pinyin and mojibake, repaired where the repair is plausible Chinese and dropped (and logged) where not.",
        "<b>Frames count words, not stance.</b> The codebook reflects a close reading of these texts; the evidence tables show every hit.",
        "<b>Reproducible.</b> Pinned packages, PYTHONHASHSEED=0, seeded word clouds: two builds give byte-identical tables and figures.",
    ]))
    return s


def glossary_section(gloss_frame: pd.DataFrame) -> Section:
    """The key Chinese terms with English glosses."""
    s = Section("glossary", "6. Glossary")
    s.parts.append(table(gloss_frame.rename(columns={"term": "Chinese", "english": "English", "kind": "kind"}), "glossary", searchable=True))
    return s


def provenance_section(t: dict[str, pd.DataFrame]) -> Section:
    """Outlet, date, credits and notes of every document, one block each."""
    s = Section("provenance", "7. Provenance of the documents")
    s.parts.append("<p>Curated metadata from the corpus folder's manifest.csv where a document has a row; otherwise inferred "
                   "from the text (title lines, dates, 来源, credits), with the missing fields named.</p>")
    fields = ["title", "outlet", "date", "credits", "genre", "script", "street", "notes", "file", "encoding",
              "metadata_source", "missing_metadata", "reason"]
    for doc in t["documents"].to_dict("records"):
        rows = "".join(f"<dt>{h(f.replace('_', ' '))}</dt><dd>{h(doc.get(f, ''))}</dd>" for f in fields if str(doc.get(f, "")).strip())
        status = " — rejected" if str(doc.get("rejected")) == "True" else ""
        s.parts.append(f'<div class="doc"><h3>{h(doc["doc_id"])}{status}</h3><dl>{rows}</dl></div>')
    return s
