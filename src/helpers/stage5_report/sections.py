"""The report's sections, each built from the build tables with the building blocks of blocks.py."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from helpers.base import paths, schema
from helpers.base.chinese import sentences
from helpers.base.outputs import FIGURE_INDEX
from helpers.base.tables import PARQUET_MIN_BYTES, read_table, read_table_rows, row_count
from helpers.stage1_load.places import gazetteer
from helpers.stage3_framing import codebook
from helpers.stage3_framing.streets import supported_pairs
from helpers.stage4_quantities import reported as figures_reported
from helpers.stage5_report.bilingual import CEDICT_CREDIT, CONTEXT_NOTES, code_name, header, label, pinyin, translate
from helpers.stage5_report.blocks import (
    MAX_ROWS,
    Section,
    bullet_list,
    csv_link,
    escape_html,
    figure,
    table,
    with_english,
)

MAX_LEADS = 3  # meeting documents whose opening is quoted in the context section
DOUBTFUL_OUTCOMES = ("partial", "joined-possible-loss")  # edits after which the clean text may still lack something


# ---------------------------------------------------------------- the sections, from the tables
def load_tables() -> dict[str, pd.DataFrame]:
    """Every table the report reads (written by notebooks 01-04)."""
    names = [
        "documents",
        "segments",
        "cleaning_summary",
        "input_problems",
        "term_frequencies",
        "keyness",
        "keyness_summary",
        "framing",
        "street_framing",
        "street_profiles",
        "framing_evidence",
        "codebook_precision",
        "slogans",
        "similarity",
        "similarity_pairs",
        "metrics",
        "concept_frequencies",
        "figure_index",
    ]
    found = {n: read_table(n) for n in names if (paths.TABLES / f"{n}.csv").exists()}
    if (paths.TABLES / "cleaning_log.csv").exists():  # ~800,000 rows at 4,000 documents: only the doubtful ones are shown
        found["cleaning_log"] = read_table_rows("cleaning_log", "outcome", DOUBTFUL_OUTCOMES)
    # Figures may still be drawn beside the notebooks (see helpers.base.outputs): the tables are read, and the sections
    # built, while the last ones are drawn; blocks.write_report waits for them and embeds those that were still under
    # way. Tried before notebooks 03 and 04 released their dictionaries (codebook.release_dictionary,
    # reported.release_tagger: ~180 MB), reading first had raised the build's peak to 1,049-1,058 MB (the kernel's
    # 650 MB beside the worker's 303-310 MB).
    return found


def street_label(street: str) -> str:
    """平湖 → 平湖 Pinghu; a non-street group (district-wide, outside, unknown) as it is; '' → (none)."""
    return (gazetteer().label(street) or street) if street else "(none)"


def pooled_profiles(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The street profiles of the pooled stratum (genre 'all')."""
    profiles = t.get("street_profiles", pd.DataFrame())
    if profiles.empty:
        return profiles
    return profiles[profiles["genre"] == schema.ALL_GENRES]


def key_findings(t: dict[str, pd.DataFrame]) -> list[str]:
    """Findings read from the tables of this run (escaped HTML); each says how sure it is."""
    docs, segs = t["documents"], t["segments"]
    accepted = docs[docs["rejected"].astype(str) != "True"]
    copies = accepted[accepted["duplicate_of"].astype(str) != ""]
    scopes = segs.drop_duplicates("doc_id")["scope"].value_counts()
    in_area = segs[segs["scope"] == schema.IN_AREA]
    streets = sorted(s for s in in_area["street"].unique() if s)
    originals = accepted[(accepted["duplicate_of"].astype(str) == "") & (accepted["scope"] == schema.IN_AREA)]
    genres = originals["genre"].value_counts().sort_index()
    out = [
        f"The corpus holds <b>{len(accepted)}</b> documents ({int((docs['rejected'].astype(str) == 'True').sum())} rejected, "
        f"{len(copies)} copies of another left out): <b>{int(scopes.get(schema.IN_AREA, 0))}</b> from the study area, "
        f"{int(scopes.get(schema.OUTSIDE, 0))} from other districts and {int(scopes.get(schema.UNKNOWN, 0))} unplaced. "
        f"<b>{len(streets)}</b> streets have text of their own; the study area's documents by genre: "
        + (", ".join(f"{n} × {escape_html(g)}" for g, n in genres.items()) or "none")
        + "."
    ]
    profiles = pooled_profiles(t)
    street_rows = profiles[~profiles["group"].isin(schema.NON_STREET_GROUPS)] if len(profiles) else profiles
    if len(street_rows):
        lead = Counter(street_rows.loc[street_rows["frame_1"] != "", "frame_1"])
        if lead:
            frame, n = lead.most_common(1)[0]
            support = pd.to_numeric(street_rows["frame_order_support"], errors="coerce")
            sure = street_rows[(street_rows["frame_1"] == frame) & (support >= 0.9)]
            out.append(
                f"<b>{n}</b> of {len(street_rows)} streets put the <b>{escape_html(frame.lower())}</b> frame first; in "
                f"<b>{len(sure)}</b> of them it stays ahead of the second frame in at least 90% of bootstrap replicates "
                "(in the rest the order could swap with more text)."
            )
        tasks = Counter(street_rows.loc[street_rows["task_code"] != "", "showcased_task"])
        if tasks:
            task, m = tasks.most_common(1)[0]
            names = street_rows.loc[street_rows["showcased_task"] == task, "group"]
            out.append(
                f"The task most often showcased is <b>{escape_html(task.lower())}</b> ({m} streets: "
                + ", ".join(escape_html(street_label(s)) for s in names)
                + f"); {len(tasks)} different tasks are showcased in all."
            )
    summary = t.get("keyness_summary", pd.DataFrame())
    if len(summary):
        pooled = summary[summary["genre"] == schema.ALL_GENRES]
        none = pooled[pooled["distinctive"].astype(int) == 0]
        out.append(
            f"<b>{int((pooled['distinctive'].astype(int) > 0).sum())}</b> of {len(pooled)} streets have at least one term "
            "that sets them apart from the rest of the study area after a false-discovery correction"
            + (f"; for {', '.join(escape_html(street_label(g)) for g in none['group'])} the text is too short or too like the rest." if len(none) else ".")
        )
    pairs = t.get("similarity_pairs", pd.DataFrame())
    if len(pairs):
        supported = supported_pairs(pairs)
        out.append(
            "Streets that reliably speak alike (nearest neighbours in at least half of the bootstrap replicates): "
            + (
                "; ".join(
                    f"{escape_html(street_label(a))} – {escape_html(street_label(b))} ({float(c):.2f})"
                    for a, b, c in supported[["street_a", "street_b", "cosine"]].itertuples(index=False)
                )
                or "none"
            )
            + "."
        )
    metrics = t.get("metrics", pd.DataFrame())
    if len(metrics):
        per_genre = metrics.groupby("genre").size()
        chars = segs.groupby("genre")["n_chars"].sum()
        dense = schema.rate(per_genre, chars.reindex(per_genre.index)).sort_values(ascending=False)
        out.append(
            f"The documents report <b>{len(metrics)}</b> figures; they are densest in the "
            + ", ".join(f"{escape_html(g)} genre ({v:.1f} per 1,000 characters)" for g, v in dense.head(2).items())
            + ": the count of figures measures the genre more than the street. All are as reported, not verified."
        )
    return out


def outcome_counts(summary: pd.DataFrame) -> dict[str, int]:
    """Edits per outcome (repaired, partial, deleted, joined, joined-possible-loss …) over the whole corpus."""
    if "outcome" not in summary or not len(summary):
        return {}
    return {str(k): int(v) for k, v in summary.groupby("outcome")["edits"].sum().items()}


def cleaning_story(summary: pd.DataFrame) -> list[str]:
    """What cleaning did, told without claiming more than happened (plain sentences, numbers from the summary)."""
    if not len(summary):
        return ["No cleaning edits were needed."]
    lines = []
    moj = summary[summary["step"] == schema.STEP_MOJIBAKE]
    if len(moj):
        c = outcome_counts(moj)
        lines.append(
            f"GBK mojibake: {c.get('repaired', 0)} spans repaired in full, {c.get('partial', 0)} repaired only in part "
            f"(the repaired text still lacks the characters whose bytes were lost), {c.get('deleted', 0)} residue(s) "
            "deleted because nothing could be recovered."
        )
    dup = summary[summary["step"] == schema.STEP_DUPLICATES]
    if len(dup):
        copies = int(dup["copies_removed"].sum()) if "copies_removed" in dup else int(dup["edits"].sum())
        lines.append(
            f"Layout duplicates: {copies} repeated copies of earlier text removed ({int(dup['chars_removed'].sum()):,} "
            f"characters, {int(dup['edits'].sum())} place(s)); the first copy is kept."
        )
    joins = summary[summary["step"] == schema.STEP_PAGE_BREAKS]
    if len(joins):
        c = outcome_counts(joins)
        lines.append(
            f"Page breaks: {c.get('joined', 0)} joins where a word runs across the break (nothing was lost), "
            f"{c.get('joined-possible-loss', 0)} joins of a paragraph that stops mid-sentence to the next one, where "
            "text may have been lost between the two pages (listed below)."
        )
    return lines


def input_part(t: dict[str, pd.DataFrame]) -> str:
    """What was wrong with the manifest, which documents are copies of which, and what was unusual about a file."""
    problems = t.get("input_problems", pd.DataFrame())
    docs = t["documents"]
    copies = docs[docs["duplicate_of"].astype(str) != ""] if "duplicate_of" in docs else docs.head(0)
    out = "<h3>Copies counted once</h3>"
    if len(copies):
        cols = [c for c in ("doc_id", "duplicate_of", "duplicate_similarity", "duplicate_note") if c in copies]
        out += table(
            copies[cols],
            "copies",
            source="documents",
            takeaway=f"{len(copies)} document{'s' * (len(copies) > 1)} repeat{'s' * (len(copies) == 1)} another and "
            f"{'are' if len(copies) > 1 else 'is'} left out of every count (segments, words, keyness, frames, figures).",
            caption="Each copy, the document kept in its place, and the share of the smaller text's sampled 12-character "
            "passages found in the other (after cleaning, Traditional script converted; 1 = all of it).",
            cannot_show="which of the two the source published first, when neither the manifest nor the page says.",
        )
    else:
        out += "<p>None: no document repeats another.</p>"
    out += "<h3>Problems with the input, and what the build did</h3>"
    if len(problems):
        manifest = problems[problems["line"].astype(int) > 0]
        shown = problems.assign(line=problems["line"].map(lambda v: v if int(v) else ""))  # 0: the whole file
        out += table(
            shown[["file", "line", "problem", "action"]],
            "input_problems",
            source="input_problems",
            max_rows=MAX_ROWS,
            takeaway=f"{len(manifest)} problem{'s' * (len(manifest) != 1)} in the manifest, "
            f"{len(problems) - len(manifest)} note{'s' * (len(problems) - len(manifest) != 1)} on files.",
            caption="One line each: the file (and manifest line) it concerns, what was wrong or unusual, what the build did.",
            cannot_show="whether a manifest row meant another file: an unmatched row is ignored, not guessed.",
        )
    else:
        out += "<p>None: the manifest matches the files and every file is plain text.</p>"
    return out


def corpus_section(t: dict[str, pd.DataFrame]) -> Section:
    """Documents, rejected files, what cleaning did (repairs, partial repairs, deletions and joins apart), segments."""
    docs = t["documents"]
    s = Section("corpus", "1. The corpus and its cleaning")
    accepted = docs[docs["rejected"].astype(str) != "True"]
    copies = int((accepted["duplicate_of"].astype(str) != "").sum()) if "duplicate_of" in accepted else 0
    genres = accepted.loc[accepted["duplicate_of"].astype(str) == "", "genre"].value_counts() if copies else accepted["genre"].value_counts()
    s.parts.append(
        f"<p>{len(accepted)} documents"
        + (f" ({copies} a copy of another, counted once)" if copies else "")
        + ": "
        + ", ".join(f"{n} × {escape_html(g)}" for g, n in genres.items())
        + ". Each was decoded strictly and cleaned by small logged steps; the provenance of each is in section 7.</p>"
    )
    cols = ["doc_id", "title", "genre", "street", "date", "script", "raw_chars", "clean_chars", "metadata_source", "missing_metadata"]
    shown = docs[[c for c in cols if c in docs.columns]].copy()
    shown["street"] = shown["street"].map(lambda v: street_label(v) if str(v).strip() else "")
    shown = with_english(shown, sentences=("title",))
    lost = (accepted["raw_chars"].astype(float) - accepted["clean_chars"].astype(float)) if len(accepted) else pd.Series(dtype=float)
    most = accepted.loc[lost.idxmax(), "doc_id"] if len(accepted) else ""
    s.parts.append(
        table(
            shown,
            "documents",
            source="documents",
            max_rows=MAX_ROWS,
            takeaway=(
                f"{len(accepted)} documents of {int(accepted['clean_chars'].astype(int).sum()):,} characters after cleaning; {most} lost the most in cleaning."
                if len(accepted)
                else "No document was read."
            ),
            caption="Each document with its size before and after cleaning and where its metadata came from.",
            cannot_show="whether the source itself printed the whole text: a newspaper may print only excerpts.",
        )
    )
    rejected = docs[docs["rejected"].astype(str) == "True"]
    s.parts.append(
        "<h3>Rejected files</h3>"
        + (table(rejected[["file", "reason"]], "rejected", source="documents") if len(rejected) else "<p>None: every file decoded cleanly.</p>")
    )
    s.parts.append(input_part(t))
    summary = t["cleaning_summary"]
    s.parts.append(
        "<h3>What cleaning did</h3>"
        + bullet_list([escape_html(line) for line in cleaning_story(summary)])
        + "<p>Replaying the log (tables/cleaning_log.csv) on the raw text gives the clean text back exactly.</p>"
    )
    if len(summary):
        index = ["step", "reason"] + (["outcome"] if "outcome" in summary else [])
        kinds = (
            summary.groupby(index, sort=False)
            .agg(edits=("edits", "sum"), documents=("doc_id", "nunique"), chars_removed=("chars_removed", "sum"))
            .reset_index()
        )
        heaviest = summary.sort_values(["edits", "doc_id"], ascending=[False, True], kind="stable").drop_duplicates(index)
        kinds = kinds.merge(heaviest[index + ["doc_id"]].rename(columns={"doc_id": "most_in"}), on=index, how="left")
        kinds = kinds.sort_values(["edits", "reason"], ascending=[False, True], kind="stable")
        s.parts.append(
            table(
                kinds,
                "cleaning",
                source="cleaning_summary",
                takeaway=f"{int(kinds['edits'].sum()):,} logged edits of {len(kinds)} kinds; the most frequent is "
                f"“{kinds['reason'].iloc[0]}” ({int(kinds['edits'].iloc[0]):,}).",
                caption="Edits per kind and outcome: how many, in how many documents, and the document with most.",
                cannot_show="how much each edit mattered: a punctuation swap and a deleted paragraph count one each.",
            )
        )
        flagged = t.get("cleaning_log", pd.DataFrame())
        if len(flagged) and "outcome" in flagged:
            doubtful = flagged[flagged["outcome"].isin(DOUBTFUL_OUTCOMES)]
            if len(doubtful):
                view = doubtful[["doc_id", "step", "outcome", "example"]]
                s.parts.append(
                    "<h4>Where the clean text may still lack something</h4>"
                    + table(
                        view,
                        "cleaning_doubts",
                        source="cleaning_log",
                        max_rows=MAX_ROWS,
                        takeaway=f"{len(doubtful)} edits leave text that may be incomplete: "
                        f"{int((doubtful['outcome'] == 'partial').sum())} partial repairs and "
                        f"{int((doubtful['outcome'] == 'joined-possible-loss').sum())} joins across a possible gap.",
                        caption="Each such edit in context (before → after; ¶ marks a line end).",
                        cannot_show="what the lost characters were.",
                    )
                )
        keys = ["reason", "outcome"] if "outcome" in summary else ["reason"]
        examples = summary.drop_duplicates(keys)[["doc_id", *keys, "example"]]
        s.parts.append(
            table(
                examples,
                "cleaning_examples",
                searchable=True,
                source="cleaning_log",
                caption="One example of each kind of edit (before → after; ¶ marks a line end).",
                takeaway=f"{len(examples)} kinds of edit, one example each.",
                cannot_show="every edit: the full log has one row per edit.",
            )
        )
    segs = t["segments"]
    per = (
        segs.assign(street=segs["street"].map(lambda v: street_label(v) if v else "(no one street)"))
        .groupby(["scope", "street", "genre", "attribution"])
        .agg(documents=("doc_id", "nunique"), segments=("segment_id", "size"), characters=("n_chars", "sum"))
        .reset_index()
    )
    named = per[per["street"] != "(no one street)"]
    s.parts.append(
        "<h3>Where each document belongs</h3><p>Each document is placed from the places it names (places.csv): "
        "a street of the study area, the district as a whole, another district (<i>outside</i>) or nowhere "
        "(<i>unknown</i>, e.g. an anonymised text). Its street comes from the manifest, a speaker heading, the "
        "street names it uses, or the communities it names; a paragraph of a district-wide document that names "
        "one street goes to that street (<i>mention</i>). Copies of an earlier document are not counted.</p>"
        + table(
            per,
            "segments_per_street",
            source="segments",
            max_rows=MAX_ROWS,
            takeaway=f"{len(segs)} segments, {int(named['segments'].sum()) if len(named) else 0} of them attributed to {named['street'].nunique()} streets.",
            caption="Documents, segments and characters per scope, street, genre and how the street was attributed.",
            cannot_show="how well the street is described: a mention may be one sentence.",
        )
    )
    return s


def words_section(t: dict[str, pd.DataFrame], gloss: dict[str, str]) -> Section:
    """Top concepts, each street's distinctive terms with their test, word clouds of the streets with enough text."""
    s = Section("words", "2. Words")
    concepts = t.get("concept_frequencies", t["term_frequencies"].rename(columns={"term": "concept"}))
    top = concepts[(concepts["scope"] == schema.WHOLE_CORPUS) & (concepts["is_place"].astype(str) != "True")].head(10)
    s.parts.append(
        "<p>Segmentation by jieba with a domain dictionary (its guessing of unknown words turned off, people's "
        "names taken out); stopwords-iso plus a project list of generic officialese removed; word forms of one "
        "idea counted as one concept (党建, 党建引领, 基层党建 → 党建).</p>"
    )
    s.parts.append(
        figure(
            "top_terms_corpus",
            "The most frequent concepts of the corpus (stopwords and place names left out).",
            takeaway=("The corpus is dominated by " + ", ".join(f"{label(w, max_english=30)} ({c})" for w, c in zip(top["concept"], top["count"])) + ".")
            if len(top)
            else "",
            cannot_show="what is distinctive: the most frequent words are shared by every street.",
        )
    )
    s.parts.append(
        figure(
            "top_terms_by_street",
            "The most frequent concepts of each street and group, per 10,000 tokens.",
            takeaway="Each street's most frequent words are mostly the shared vocabulary of party building.",
            cannot_show="differences between streets: for those, see the tested terms below.",
        )
    )
    s.parts.append(
        "<h3>What each street says more than the rest</h3><p>Each study-area street against the rest of the study "
        "area's text (outside and unplaced documents never enter): Fisher's exact test on the share of sentences "
        "that use a term, Benjamini–Hochberg at a 5% false-discovery rate. Only terms that pass are shown, with "
        "their counts; a street with no passing term has too little text, or says what the others say.</p>"
    )
    key, summary = t.get("keyness", pd.DataFrame()), t.get("keyness_summary", pd.DataFrame())
    pooled = summary[summary["genre"] == schema.ALL_GENRES] if len(summary) else summary
    passing = pooled[pooled["distinctive"].astype(int) > 0] if len(pooled) else pooled
    s.parts.append(
        figure(
            "keyness_streets",
            "Distinctive terms of each street (log ratio of the share of its sentences using the term to the rest's share).",
            takeaway=(f"{len(passing)} of {len(pooled)} streets have terms that pass the test." if len(pooled) else ""),
            cannot_show="why a term is distinctive: read it in its sentences (framing evidence below).",
        )
    )
    if len(pooled):
        rows = []
        for r in pooled.itertuples():
            terms = key[(key["genre"] == schema.ALL_GENRES) & (key["group"] == r.group) & (key["distinctive"].astype(str) == "True")].head(6)
            text = "; ".join(
                f"{label(x.term, max_english=40)}: {x.sentences} of {x.group_sentences} sentences, q={float(x.q_value):.3f}" for x in terms.itertuples()
            )
            rows.append(
                {
                    "street": street_label(r.group),
                    "sentences": r.group_sentences,
                    "distinctive terms": text or "none passes: too little text, or too like the rest",
                }
            )
        s.parts.append(
            table(
                pd.DataFrame(rows),
                "keyness_table",
                source="keyness",
                takeaway=f"{len(passing)} of {len(pooled)} streets have at least one distinctive term.",
                caption="Each street's distinctive terms (at most six), with the sentences that use them and the false-discovery-adjusted q-value.",
                cannot_show="terms a street uses as often as the others, however central to it.",
            )
        )
    index = t.get(FIGURE_INDEX, pd.DataFrame())
    clouds = [f for f in index["figure"] if str(f).startswith("wordcloud_")] if len(index) else []
    if clouds:
        s.parts.append(
            "<h3>Word clouds</h3><p>The corpus, then each street or group with at least 150 counted tokens. Size is "
            "frequency only; the tested terms above are the guide to what is distinctive.</p>"
        )
        for name in ["wordcloud_corpus"] + sorted(c for c in clouds if c != "wordcloud_corpus"):
            s.parts.append(
                figure(
                    name,
                    f"Word cloud: {name.removeprefix('wordcloud_').replace('_', ' ')} (seeded: identical on every build).",
                    cannot_show="distinctiveness or context.",
                )
            )
    return s


def framing_section(t: dict[str, pd.DataFrame]) -> Section:
    """Street heatmaps and intervals, profiles with evidence, slogans, similarity with support, KWIC."""
    s = Section("framing", "3. How the streets frame their practice")
    sf = t.get("street_framing", pd.DataFrame())
    pooled_rates = sf[(sf["genre"] == schema.ALL_GENRES) & (sf["kind"] == "frame")] if len(sf) else sf
    if len(sf):
        kinds = sf.drop_duplicates("code")
        frames = kinds.loc[kinds["kind"] == "frame", "name"]
        units = sf[sf["genre"] == schema.ALL_GENRES].drop_duplicates("group")["ci_unit"].value_counts()
        s.parts.append(
            f"<p>A codebook of {len(frames)} frames ({escape_html(', '.join(n.lower() for n in frames))}) and "
            f"{int((kinds['kind'] == 'task').sum())} task domains, applied as coding rules. The street is the unit: "
            "everything said by or about a street is pooled, genre kept as a stratum, and compared as hits per 1,000 "
            "characters with a 95% bootstrap interval (resampling "
            + ", ".join(f"{escape_html(u)} for {n} groups" for u, n in units.items())
            + "; documents where a group has five or more, since sentences of one document are not independent). "
            "Overlapping intervals mean no difference is shown. Outside and unplaced documents are groups of their own.</p>"
        )
    precision = t.get("codebook_precision", pd.DataFrame())
    if len(precision):
        judged = precision["judged"].astype(int)
        ok = precision[(judged >= 10)]
        low = ok[ok["precision"].astype(float) < 0.9]
        shown = precision.assign(
            precision=[("too few judged" if str(f) == "True" else f"{float(p):.2f}") for p, f in zip(precision["precision"], precision["too_few_judged"])]
        )
        s.parts.append(
            "<h3>How far to trust the codebook</h3>"
            + table(
                shown[["kind", "code", "name", "judged", "correct", "precision"]],
                "codebook_precision",
                source="codebook_precision",
                takeaway=f"{int(judged.sum())} coded spans were read and judged; {len(ok)} codes have enough judged spans, "
                + (f"and {len(low)} of them fall below 0.9." if len(low) else "all at 0.9 or better."),
                caption="Precision per code (share of coded spans that mean what the code claims), on spans drawn at random from the "
                "seeds and from texts of other kinds written for validation; under ten judged spans, no claim is made.",
                cannot_show="recall (checked separately by a list of phrases that must be coded) or precision on kinds of text unlike the sample.",
            )
        )
    if len(pooled_rates):
        top = pooled_rates.sort_values(["rate_per_1k", "group"], ascending=[False, True], kind="stable").iloc[0]
        takeaway = (
            f"The highest frame rate is {street_label(top['group'])}'s {top['name'].lower()} ({float(top['rate_per_1k']):.1f} "
            f"per 1,000 characters, 95% interval {float(top['ci_low']):.1f}–{float(top['ci_high']):.1f}, {int(top['hits'])} hits)."
        )
    else:
        takeaway = ""
    s.parts.append(
        figure(
            "framing_heatmap_streets",
            "Frames by street, all genres pooled (colour: rate per 1,000 characters; number: hits).",
            takeaway=takeaway,
            cannot_show="how sure each cell is: see the intervals below.",
        )
    )
    s.parts.append(
        figure(
            "framing_intervals",
            "Frame rates with 95% bootstrap intervals (number = hits).",
            takeaway="Where two streets' lines overlap, the data do not show that they differ.",
            cannot_show="stance: a frame counts words, not whether the text endorses them.",
        )
    )
    s.parts.append(
        figure(
            "tasks_heatmap_streets",
            "Task domains by street, all genres pooled.",
            cannot_show="which task matters most to a street beyond what its texts chose to showcase.",
        )
    )
    s.parts.append(figure("framing_by_year", "Frames by street and year, where documents are dated.", cannot_show="a trend from a single document per year."))
    profiles = pooled_profiles(t)
    if len(profiles):
        s.parts.append("<h3>Street profiles</h3>")
        support = pd.to_numeric(profiles["frame_order_support"], errors="coerce")
        shown = profiles.assign(
            street=profiles["group"].map(street_label),
            frames=profiles["frame_1"]
            + " ("
            + profiles["frame_1_hits"].astype(str)
            + "), "
            + profiles["frame_2"]
            + " ("
            + profiles["frame_2_hits"].astype(str)
            + ")",
            order=support.map(lambda v: "" if pd.isna(v) else f"{v:.0%}"),
            task=[
                f"{code_name(c)} ({terms})" + (f" — tied: {tie}" if tie else "") if c else "no coded task"
                for c, terms, tie in zip(profiles["task_code"], profiles["task_terms"], profiles["task_tie"])
            ],
            thin=profiles["thin_evidence"].map(lambda v: "thin" if str(v) == "True" else ""),
        )
        sure = int((support >= 0.9).sum())
        s.parts.append(
            table(
                with_english(shown[["street", "n_docs", "n_chars", "task", "frames", "order", "thin", "evidence"]], sentences=("evidence",)),
                "profiles",
                source="street_profiles",
                takeaway=f"{len(profiles)} groups profiled; in {sure} the first frame stays ahead of the second in at least 90% of bootstrap replicates.",
                caption="Each street's showcased task (task terms decide; a tie is named) and two strongest frames, "
                "with one line of evidence; 'order holds' is the share of replicates in which the first frame "
                "stays ahead; 'thin' marks fewer than three hits.",
                cannot_show="what a street does: these are the words its texts chose.",
            )
        )
    s.parts.append("<h3>Which streets speak alike</h3>")
    pairs = t.get("similarity_pairs", pd.DataFrame())
    supported = supported_pairs(pairs)
    s.parts.append(
        figure(
            "similarity_streets",
            "Cosine similarity of the streets' vocabulary; * marks pairs that stay nearest neighbours in at least half of the bootstrap replicates.",
            takeaway=(
                "Supported pairs: "
                + "; ".join(
                    f"{street_label(a)} – {street_label(b)} (cosine {float(c):.2f}, support {float(p):.0%})"
                    for a, b, c, p in supported[["street_a", "street_b", "cosine", "nearest_support"]].itertuples(index=False)
                )
                + "."
            )
            if len(supported)
            else ("No pair of streets is reliably alike." if len(pairs) else ""),
            cannot_show="clusters: no tree is drawn, because a tree shows clusters whether or not the data support them; "
            "similarity is shared vocabulary, mostly that of the task.",
        )
    )
    slogans = t.get("slogans", pd.DataFrame())
    if len(slogans):
        formulas = slogans[slogans["kind"] != codebook.SLOGAN_QUOTED]
        view = with_english(
            formulas.assign(street=formulas["street"].map(lambda v: street_label(v) if v else ""))[["street", "doc_id", "kind", "slogan", "sentence"]].head(
                MAX_ROWS
            ),
            terms=("slogan",),
            sentences=("sentence",),
        )
        s.parts.append(
            "<h3>Slogans and formulas</h3>"
            + table(
                view,
                "slogans",
                searchable=True,
                source="slogans",
                max_rows=MAX_ROWS,
                takeaway=f"{len(formulas)} numbered formulas, 党建+X patterns and numbered phrases in {formulas['doc_id'].nunique()} documents"
                + (f" (the first {MAX_ROWS} shown)." if len(formulas) > MAX_ROWS else "."),
                caption="Each slogan or formula with its sentence.",
                cannot_show="how often a slogan is used elsewhere in the district.",
            )
        )
    evidence = t.get("framing_evidence", pd.DataFrame())
    if len(evidence):
        view = evidence.assign(code=evidence["code"].map(code_name), street=evidence["street"].map(lambda v: street_label(v) if v else ""))
        view = with_english(view[["street", "segment_id", "kind", "code", "left", "keyword", "right"]].head(MAX_ROWS), terms=("keyword",))
        s.parts.append(
            "<h3>Evidence: coded spans in context</h3>"
            + table(
                view,
                "kwic",
                searchable=True,
                source="framing_evidence",
                max_rows=MAX_ROWS,
                takeaway=f"{len(evidence)} coded spans"
                + (f" (the first {MAX_ROWS} shown; all are in the CSV)" if len(evidence) > MAX_ROWS else "")
                + "; filter by street, code or term.",
                caption="Every count above can be checked here: each coded span with the text before and after it.",
                cannot_show="more than eighteen characters of context: the segment id leads to the full text in segments.csv.",
            )
        )
    return s


def metrics_section(t: dict[str, pd.DataFrame]) -> Section:
    """Charts and the searchable table of figures with their sentences, captions built from the metrics table."""
    s = Section("metrics", "4. Reported figures")
    s.parts.append('<p class="caveat">Every figure below is as reported by the source, not verified.</p>')

    metrics = t.get("metrics", pd.DataFrame())
    charted = figures_reported.charted(metrics) if len(metrics) else metrics
    by_street = charted[charted["street"].astype(str) != ""].groupby("street").size().sort_values(ascending=False) if len(charted) else pd.Series(dtype=int)
    rates = figures_reported.real_rates(charted) if len(charted) else charted
    percentages = charted[charted["unit"].astype(str) == "%"] if len(charted) else charted
    counts = charted[~charted["unit"].isin(figures_reported.CHART_EXCLUDED_UNITS)] if len(charted) else charted
    largest = counts.loc[counts["value"].astype(float).idxmax()] if len(counts) else None
    left_out = len(metrics) - len(charted)
    takeaways = {
        "metrics_by_street_category": (
            f"{street_label(by_street.index[0])} carries the most reported figures ({int(by_street.iloc[0])} of "
            f"{len(charted)} charted); {len(by_street)} streets carry any."
            if len(by_street)
            else ""
        ),
        "metrics_rates": (
            f"{len(rates)} of the {len(percentages)} percentages are rates of something named (处置率, 满意度 …); "
            "the others are shares or rhetoric and are not charted."
            if len(percentages)
            else ""
        ),
        "metrics_largest_counts": (
            f"The largest count reported is {largest['raw']} = {float(largest['value']):,.0f} "
            f"{label(largest['unit'], max_english=30)} ({label(largest['subject'], max_english=40) or 'no subject named'}, "
            f"document {largest['doc_id']}); each panel has one unit."
            if largest is not None
            else ""
        ),
    }
    limits = {
        "metrics_by_street_category": "achievement: a count of figures measures the genre (long articles report numbers, speeches do not).",
        "metrics_rates": "whether rates are comparable: each has its own denominator and year (read it with its sentence below).",
        "metrics_largest_counts": "comparisons across panels: units differ (yuan, square metres, persons).",
    }
    if left_out:
        s.parts.append(
            f"<p>The charts count each fact once and only the study area's own figures: {left_out} rows of the table "
            "are restatements of an earlier figure or figures of documents from outside or unplaced.</p>"
        )
    for name, caption in (
        ("metrics_by_street_category", "Reported figures by street and category."),
        ("metrics_rates", "Percentages reported, each with what it measures."),
        ("metrics_largest_counts", "The largest figures reported, one panel per unit."),
    ):
        s.parts.append(figure(name, caption + " As reported by the source, not verified.", takeaway=takeaways[name], cannot_show=limits[name]))
    if len(metrics):
        s.parts.append(
            "<p>Figures cannot be compared across rows: denominators, years and units differ, and a count of "
            "figures measures the genre (long articles report numbers, speeches do not) rather than achievement.</p>"
        )
        shown = metrics.assign(street=metrics["street"].map(lambda v: street_label(v) if v else ""), doc_id=metrics["doc_id"].astype(str))
        shown = with_english(
            shown[["street", "scope", "doc_id", "raw", "value", "unit", "qualifier", "subject", "category", "restates", "time_ref", "sentence"]],
            terms=("unit", "qualifier", "subject"),
            sentences=("sentence",),
        )
        s.parts.append(
            table(
                shown,
                "metrics_table",
                searchable=True,
                source="metrics",
                max_rows=MAX_ROWS,
                takeaway=f"{len(metrics)} figures from {metrics['doc_id'].nunique()} documents, each with the sentence it comes from.",
                caption="Every reported figure: as printed, its value and unit, what it counts, and its sentence.",
                cannot_show="whether a figure is true, or what it is a share of when the sentence does not say.",
            )
        )
    return s


def methods_section(t: dict[str, pd.DataFrame]) -> Section:
    """Methods and caveats."""
    s = Section("methods", "5. Methods and caveats")
    docs, segs = t["documents"], t["segments"]
    speeches = segs[segs["genre"].map(schema.normalise_genre).eq(schema.SPEECH) & (segs["street"].astype(str) != "")]
    size = (
        f"{len(speeches)} speech excerpts of {int(speeches['n_chars'].min())}–{int(speeches['n_chars'].max())} characters" if len(speeches) else "no speeches"
    )
    s.parts.append(
        bullet_list(
            [
                f"<b>Small corpus.</b> {int((docs['rejected'].astype(str) != 'True').sum())} documents; the street comparison rests on "
                f"{escape_html(size)}, edited by a newspaper, some cut off mid-sentence (see the notes in section 7). Counts of two or three decide a profile.",
                "<b>Genres differ.</b> Speeches, news reports, features and articles are profiled apart; the long single-street "
                "articles never decide what a street is about.",
                "<b>Figures are as reported</b> by the sources and not verified; they have different denominators and years.",
                "<b>Anonymised or unplaced documents</b> (places replaced by ×) name no street; they are kept, but never attributed to one.",
                "<b>Frames count words, not stance.</b> The codebook reflects a close reading of these texts; the evidence tables show every hit.",
                "<b>English.</b> Terms carry pinyin and an English gloss from the project's glossary or codebook; where neither has "
                f"the term, the first senses of {escape_html(CEDICT_CREDIT)} are shown and marked “(dict.)”: a dictionary sense, not checked "
                "against the context. Quotes are translated by hand from a curated file keyed by a hash of the exact sentence, so a "
                "sentence that changes loses its translation and shows “(not translated)” until a translator checks it.",
                "<b>Reproducible.</b> Pinned packages, PYTHONHASHSEED=0, seeded word clouds: two builds give byte-identical tables and figures.",
            ]
        )
    )
    return s


def glossary_section(gloss_frame: pd.DataFrame) -> Section:
    """The key Chinese terms with pinyin and English glosses."""
    s = Section("glossary", "6. Glossary")
    frame = gloss_frame[["term", "english", "kind"]].copy()
    frame.insert(1, "pinyin", frame["term"].map(pinyin))
    s.parts.append(
        table(
            frame,
            "glossary",
            searchable=True,
            takeaway=f"{len(frame)} curated terms with pinyin and English.",
            caption="The project's glossary (resources/glossary.csv); terms not in it are glossed from the codebook or CC-CEDICT where they appear.",
            cannot_show="every sense of a term: each gloss is the sense these texts use.",
        )
    )
    return s


def provenance_section(t: dict[str, pd.DataFrame]) -> Section:
    """Outlet, date, credits and notes of every document, one block each."""
    s = Section("provenance", "7. Provenance of the documents")
    s.parts.append(
        "<p>Curated metadata from the corpus folder's manifest.csv where a document has a row; otherwise inferred "
        "from the text (title lines, dates, 来源, credits), with the missing fields named.</p>"
    )
    fields = [
        "title",
        "title_en",
        "outlet",
        "date",
        "credits",
        "genre",
        "script",
        "scope",
        "district",
        "street",
        "attribution",
        "duplicate_of",
        "notes",
        "file",
        "encoding",
        "metadata_source",
        "missing_metadata",
        "reason",
    ]

    documents = t["documents"]
    if len(documents) > MAX_ROWS:
        s.parts.append(f'<p class="note">The first {MAX_ROWS} of {len(documents)} documents; every row is in {csv_link("documents")}.</p>')
    for doc in documents.head(MAX_ROWS).to_dict("records"):
        doc = {**doc, "title_en": translate(doc.get("title", ""))}
        rows = "".join(
            f"<dt>{escape_html(header(f) if f != 'title_en' else 'Title (English)')}</dt><dd>{escape_html(doc.get(f, ''))}</dd>"
            for f in fields
            if str(doc.get(f, "")).strip()
        )
        status = " — rejected" if str(doc.get("rejected")) == "True" else ""
        s.parts.append(f'<div class="doc"><h3>{escape_html(doc["doc_id"])}{status}</h3><dl>{rows}</dl></div>')
    return s


# ---------------------------------------------------------------- context: what the documents are, from the data


def sentences_with(text: str, term: str) -> list[str]:
    """The sentences of a text that contain a term."""
    return [x for x in sentences(text) if term in x]


def context_notes() -> pd.DataFrame:
    """The curated notes: term, title, note (general knowledge, never a fact about one seed)."""
    return pd.read_csv(CONTEXT_NOTES, encoding="utf-8", keep_default_na=False, dtype=str)


def quote_html(sentence: str, doc: str) -> str:
    """A Chinese sentence with its curated translation (or '(not translated)') and its document."""
    return (
        f'<blockquote><span class="zh" lang="zh">{escape_html(sentence)}</span> <span class="note">({escape_html(doc)})</span><br>'
        f'<span class="en">{escape_html(translate(sentence))}</span></blockquote>'
    )


def context_section(t: dict[str, pd.DataFrame]) -> Section:
    """What the documents are and the terms a reader needs, each note shown only where the corpus contains its term."""
    s = Section("context", "Context: what the documents are")
    docs, segs = t["documents"], t["segments"]
    accepted = docs[docs["rejected"].astype(str) != "True"]
    rows = accepted[["doc_id", "genre", "date", "outlet", "title"]]
    s.parts.append(
        table(
            with_english(rows, sentences=("title",)),
            "context_documents",
            source="documents",
            max_rows=MAX_ROWS,
            takeaway=f"{len(rows)} documents: " + ", ".join(f"{n} {g}" for g, n in accepted["genre"].value_counts().items()) + ".",
            caption="Each document as its manifest (or its own text) describes it.",
            cannot_show="how representative these documents are of what the streets say elsewhere.",
        )
    )
    # A document holding several speeches opens with a lead that says what the speakers were asked to do.
    speech_like = segs[segs["genre"] == schema.SPEECH]
    quoted: set[str] = set()
    shown_leads = 0
    for doc_id, group in speech_like.groupby("doc_id", sort=True):
        if group["speaker"].astype(str).str.strip().ne("").sum() < 2 or shown_leads >= MAX_LEADS:
            continue
        shown_leads += 1
        first = segs.index[segs["segment_id"] == group["segment_id"].iloc[0]][0]
        lead = segs.loc[: first - 1]
        lead = lead[(lead["doc_id"] == doc_id)]
        if len(lead):
            quoted |= {x for text in lead["text"] for x in sentences(text)}
            s.parts.append(
                f"<h3>What the speakers were asked to do</h3><p>Document {escape_html(doc_id)} prints "
                f"{group['speaker'].astype(str).str.strip().ne('').sum()} speeches; its opening says:</p>"
                + "".join(quote_html(x, doc_id) for text in lead["text"] for x in sentences(text))
            )
    notes = context_notes()
    texts = dict(zip(segs["segment_id"], segs["text"]))
    blocks = []

    for note in notes.to_dict("records"):
        hits = segs[segs["text"].str.contains(note["term"], regex=False)]
        if not len(hits):
            continue  # a note is shown only where the corpus contains its term
        # The first sentence using the term that the section has not quoted already.
        uses = [(x, d) for sid, d in zip(hits["segment_id"], hits["doc_id"]) for x in sentences_with(texts[sid], note["term"])]
        fresh = [(x, d) for x, d in uses if x not in quoted] or uses[:1]
        quoted.add(fresh[0][0])
        blocks.append(
            f'<div class="doc"><h3>{escape_html(note["term"])} {escape_html(pinyin(note["term"]))} — {escape_html(note["title"])}</h3>'
            f"<p>{escape_html(note['note'])}</p>"
            f'<p class="note">In this corpus: {int(hits["doc_id"].nunique())} document(s), {len(hits)} segment(s); for example:</p>'
            + quote_html(*fresh[0])
            + "</div>"
        )
    if blocks:
        s.parts.append("<h3>Terms a reader needs</h3>" + "".join(blocks))
    return s


# ---------------------------------------------------------------- the data behind the report
TABLE_NOTES = {
    "documents": "one row per file: metadata, sizes, rejection reason",
    "segments": "one row per analysis unit with its street, genre, speaker and cleaned text",
    "cleaning_log": "one row per cleaning edit (with outcome and copies removed); replaying it rebuilds the clean text",
    "cleaning_summary": "edits per document, step, reason and outcome",
    "input_problems": "each manifest problem, copy, web page and unusual file, in one line, with what the build did",
    "term_frequencies": "term counts per scope",
    "dictionary_check": "whether the domain terms are kept whole by the word segmenter",
    "keyness": "distinctive terms per street or document (log-odds, z)",
    "framing": "frame and task hits per unit",
    "street_profiles": "each street's showcased task, strongest frames and evidence",
    "framing_evidence": "every coded span in context",
    "slogans": "slogans and formulas with their sentences",
    "similarity": "cosine similarity of the speeches' vocabulary",
    "metrics": "every reported figure with its sentence",
}


def data_section() -> Section:
    """Every table of the build, linked (with its Parquet copy where the table is large), with how to keep the links
    working."""
    s = Section("data", "8. The data")
    files = sorted(paths.TABLES.glob("*.csv"))
    s.parts.append(
        "<p>Every table this report draws on is a CSV (UTF-8 with BOM, so Excel shows the Chinese) in "
        "<code>tables/</code> beside this file. The links are relative: keep <code>report.html</code> and "
        "<code>tables/</code> together (send the whole <code>build</code> folder, zipped), and they work offline. "
        f"A table whose CSV reaches {PARQUET_MIN_BYTES / 1e6:.0f} MB also comes as Parquet (typed columns, read in a "
        "fraction of the time by pandas <code>read_parquet</code>, R's arrow or DuckDB).</p>"
    )
    rows = []
    for path in files:
        parquet = path.with_suffix(".parquet")
        also = (
            f' · <a class="csv" href="tables/{escape_html(parquet.name)}" download>Parquet: tables/{escape_html(parquet.name)}</a>' if parquet.exists() else ""
        )
        note = escape_html(TABLE_NOTES.get(path.stem, ""))
        rows.append(f'<li>{csv_link(path.stem)}{also} <span class="note">— {note} ({row_count(path):,} rows)</span></li>')
    s.parts.append("<ul>" + "".join(rows) + "</ul>")
    return s
