"""What each notebook writes, so that every run starts clean and the report reads only this run's outputs.

Notebook 01 calls `start_run()`, which removes the tables, figures and report of an earlier run. Every notebook
ends with `finish(notebook, figures)`: figures still being drawn beside the notebook (engine.beside) are waited for,
each table it registers must have been written in this run (empty where the corpus has no data), and each figure it
registers is recorded in figure_index.csv as drawn or not, with the reason. The report embeds a figure only when the
index says it was drawn in this run. When run_notebooks runs every notebook in one kernel
(engine.draws_across_notebooks), a notebook's figures may still be drawn while the next notebook runs: the index counts
a figure under way as drawn (a drawing that fails stops the run, naming the figure), and `wait_for_figures()` (the
report's last step, blocks.write_report, once its sections are built, and the runner's) waits for them, then checks
that every figure recorded as drawn is there.
"""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path

import pandas as pd

from helpers.base import engine, paths
from helpers.base.tables import read_table, write_table

FIGURE_INDEX = "figure_index"
# notebook -> (tables it writes, figures it may draw; '*' stands for a street's name)
REGISTRY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "01_load_and_clean": (("documents", "cleaning_log", "cleaning_summary", "segments", "input_problems"), ()),
    "02_words": (
        ("dictionary_check", "term_frequencies", "concept_frequencies", "keyness", "keyness_summary"),
        ("top_terms_corpus", "top_terms_by_street", "wordcloud_corpus", "wordcloud_*", "keyness_streets"),
    ),
    "03_framing": (
        (
            "framing",
            "framing_evidence",
            "codebook_precision",
            "street_framing",
            "street_profiles",
            "framing_by_year",
            "slogans",
            "similarity",
            "similarity_pairs",
        ),
        ("framing_heatmap_streets", "tasks_heatmap_streets", "framing_intervals", "framing_by_year", "similarity_streets"),
    ),
    "04_metrics": (("metrics",), ("metrics_*",)),
    "05_report": ((), ()),
}


def start_run() -> None:
    """Remove every table, figure and report of an earlier run (caches keyed by their inputs stay: a cached figure is
    copied back only when this run asks for the same drawing of the same data)."""
    shutil.rmtree(paths.TABLES, ignore_errors=True)
    for png in paths.FIGURES.glob("*.png"):
        png.unlink()
    paths.REPORT_HTML.unlink(missing_ok=True)
    paths.ensure_dirs()


def registered(notebook: str, figure: str) -> bool:
    """Whether a figure name is one the notebook registers."""
    return any(fnmatch.fnmatchcase(figure, pattern) for pattern in REGISTRY[notebook][1])


def finish(notebook: str, figures: dict[str, Path | str | None]) -> pd.DataFrame:
    """Check the notebook's tables were written this run and record its figures: a path = drawn, a string = why not.

    Figures still being drawn beside the notebook (engine.beside) are waited for first, and a failed one stops here,
    unless the drawings go on across notebooks (see the module's note)."""
    _settle_figures()
    missing = [t for t in REGISTRY[notebook][0] if not (paths.TABLES / f"{t}.csv").exists()]
    if missing:
        raise RuntimeError(f"notebook {notebook} did not write its tables {missing}")
    unknown = [f for f in figures if not registered(notebook, f)]
    if unknown:
        raise RuntimeError(f"notebook {notebook} drew figures it does not register: {unknown} (add them to outputs.REGISTRY)")
    rows = [
        {
            "notebook": notebook,
            "figure": name,
            "drawn": isinstance(value, Path) and _drawn(value),
            "note": "" if isinstance(value, Path) else (value or "not enough data in this corpus"),
        }
        for name, value in sorted(figures.items())
    ]
    index = read_table(FIGURE_INDEX) if (paths.TABLES / f"{FIGURE_INDEX}.csv").exists() else pd.DataFrame()
    if len(index):
        index = index[index["notebook"] != notebook]
    index = pd.concat([index, pd.DataFrame(rows, columns=["notebook", "figure", "drawn", "note"])], ignore_index=True)
    write_table(index.sort_values(["notebook", "figure"], kind="stable"), FIGURE_INDEX)
    return index


def drawn_figures(names: tuple[str, ...], note: str) -> dict[str, Path | str]:
    """name -> figures/<name>.png if this run drew it (or is drawing it: see finish), else the note saying why not: for
    a notebook that draws a figure only when its data allow and does not keep the paths."""
    _settle_figures()
    figures = {name: paths.FIGURES / f"{name}.png" for name in names}
    return {name: path if _drawn(path) else note for name, path in figures.items()}


def _settle_figures() -> None:
    """At a notebook's end: wait for its figures, unless they are drawn across notebooks (see the module's note)."""
    if not engine.draws_across_notebooks():
        engine.wait_beside()


def _drawn(path: Path) -> bool:
    """Whether this run drew the figure, or is drawing it (see the module's note)."""
    return path.exists() or engine.being_made(path)


def wait_for_figures() -> None:
    """Wait for every figure still being drawn (see the module's note) and stop the drawing worker; raise naming those
    that failed, and those the index records as drawn whose file is missing (their drawing was lost: the kernel that
    queued it died between notebooks, and its drawing worker with it, while the runner went on in a new kernel)."""
    engine.wait_beside()
    lost = lost_figures()
    if lost:
        raise RuntimeError(
            f"figures recorded as drawn are missing: {', '.join(lost)} (their drawing was lost, e.g. with a kernel that "
            "died between notebooks: run the notebooks that draw them again)"
        )


def lost_figures() -> list[str]:
    """The figures figure_index.csv records as drawn in this run whose PNG is not in figures/."""
    if not (paths.TABLES / f"{FIGURE_INDEX}.csv").exists():
        return []
    index = read_table(FIGURE_INDEX)
    if index.empty:
        return []
    drawn = index[index["drawn"].astype(str) == "True"]["figure"]
    return sorted(name for name in drawn if not (paths.FIGURES / f"{name}.png").exists())


def figure_status(index: pd.DataFrame, name: str) -> tuple[bool, str]:
    """(drawn in this run, note) for a figure, from figure_index.csv."""
    if index.empty:
        return False, "not drawn in this run"
    row = index[index["figure"] == name]
    if row.empty:
        return False, "not drawn in this run"
    return str(row["drawn"].iloc[0]) == "True", str(row["note"].iloc[0])
