"""`make bench`: the whole pipeline on perturbed corpora of about 20, 200 and 1,000 documents, against bare jieba.

A benchmark, not a test: it prints a table (documents, characters, wall time, characters per second, the ratio to
bare jieba cutting the same text in one process in the same run, peak memory, report size, seconds per notebook),
then how the time grows between the two largest corpora and its split into a part fixed per build and a multiple of
bare jieba's time (what each further document costs), with the corpus size from which the build is within 3 × jieba.
Corpora are windows of consecutive lines of the seed texts with every line perturbed from a seeded RNG (digits
redrawn, a common word inserted after a random punctuation mark), so no cache ever hits; each run writes into a
fresh temporary build folder; the machine's resource cache (dictionaries, no corpus) is built first.
Usage: python -m helpers.bench [--sizes 20 200 1000] [--keep DIR] [--add 10]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from helpers.base import paths, tables
from helpers.stage1_load import corpus

DOC_CHARS = (1_000, 3_000)  # each synthetic document is a run of seed lines of about this many characters
FILLERS = ["进一步", "持续", "切实", "全面", "不断", "扎实", "积极", "认真", "着力", "大力", "深入", "有效"]
PUNCT = re.compile(r"[，。；,;]")
NOTEBOOK_TIME = re.compile(r"^\s+(\d\d_\S+?)\.ipynb\s+([\d.]+) s$", re.M)


def seed_lines(folder: Path) -> list[list[str]]:
    """The non-empty lines of every decodable seed text, one list per document."""
    return [[line for line in doc.text.splitlines() if line.strip()] for doc in corpus.load_corpus(folder).documents]


def perturb_line(line: str, rng: random.Random) -> str:
    """The line with every digit redrawn and a common word inserted after one punctuation mark (headings without
    punctuation keep their words, so speaker headings still name their street)."""
    line = re.sub(r"\d", lambda m: str(rng.randrange(10)), line)
    marks = [m.end() for m in PUNCT.finditer(line)]
    if marks:
        at = rng.choice(marks)
        line = line[:at] + rng.choice(FILLERS) + line[at:]
    return line


def make_corpus(folder: Path, n_docs: int, seeds: list[list[str]], seed: int = 14) -> int:
    """Write n_docs perturbed documents into folder; return their total characters.

    Each document opens with the lines of one seed (so its street is still named) and continues with lines drawn from
    every seed: two documents share a few lines by chance, not a run of them, so the copy detector (which counts a
    document whose text is 80% inside another's once) keeps them all and every stage does the whole corpus's work."""
    rng = random.Random(f"{seed}-{n_docs}")
    folder.mkdir(parents=True, exist_ok=True)
    pool = [line for lines in seeds for line in lines]
    total = 0
    for i in range(n_docs):
        lines = seeds[rng.randrange(len(seeds))]
        want = rng.randint(*DOC_CHARS)
        start = rng.randrange(len(lines))
        chosen = [perturb_line(line, rng) for line in lines[start : start + 3]]
        size = sum(map(len, chosen))
        while size < want:
            chosen.append(perturb_line(rng.choice(pool), rng))
            size += len(chosen[-1])
        text = "\n\n".join(chosen) + "\n"
        (folder / f"doc_{i:05d}.txt").write_text(text, encoding="utf-8")
        total += len(text)
    return total


# Reading a process's PSS makes the system walk its page tables: ~15 ms of CPU for a 600 MB process (measured), so
# sampling the build's four processes every 0.2 s took about a third of a core from a two-core machine and slowed
# the run it measured. The build's peaks last seconds (the report's assembly, a pool stage beside the kernel).
SAMPLE_SECONDS = 0.5


class TreeMemory:
    """Peak memory of this process's children and their descendants, sampled every SAMPLE_SECONDS: the sum of their
    proportional set sizes (PSS, where the platform has it), since the engine's forked workers share most of their
    pages with the kernel and a sum of resident sizes would count those pages once per process."""

    def __init__(self) -> None:
        self.me, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            total = 0
            for child in self.me.children(recursive=True):
                try:
                    total += getattr(child.memory_full_info(), "pss", 0) or child.memory_info().rss
                except psutil.Error:  # a process that ended between listing and reading
                    continue
            self.peak = max(self.peak, total)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


BARE_JIEBA = """
import sys, time, pathlib, jieba
jieba.setLogLevel(60)
texts = [p.read_text(encoding="utf-8") for p in sorted(pathlib.Path(sys.argv[1]).glob("*.txt"))]
jieba.initialize()
start, cpu = time.perf_counter(), time.process_time()
n = sum(len(jieba.lcut(t, HMM=True)) for t in texts)
print(time.perf_counter() - start, time.process_time() - cpu, n)
"""


WARM_RESOURCES = """
from helpers.base import chinese
from helpers.stage5_report import bilingual
chinese.new_tokenizer(), chinese.jieba_entries(), chinese.common_characters(), bilingual.cedict_entries("党建")
"""


def warm_resource_cache() -> float:
    """Build the machine's resource cache (jieba's dictionaries, CC-CEDICT's table: no corpus in them) if it is cold,
    as any earlier build on the machine would have; seconds taken. Bare jieba's timer too starts with its dictionary
    loaded, from its own cache."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", WARM_RESOURCES], check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def bare_jieba_seconds(folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds bare jieba (default dictionary, precise mode, one process, dictionary loaded) takes."""
    out = subprocess.run([sys.executable, "-c", BARE_JIEBA, str(folder)], check=True, capture_output=True, text=True)
    wall, cpu, _ = out.stdout.split()
    return float(wall), float(cpu)


@dataclass
class Run:
    documents: int
    characters: int
    wall: float = 0.0
    cpu: float = 0.0  # user + system seconds of the pipeline's processes (less sensitive to a busy machine)
    jieba: float = 0.0
    jieba_cpu: float = 0.0
    tree_peak: int = 0
    largest_process: int = 0
    report_bytes: int = 0
    notebooks: dict[str, float] = field(default_factory=dict)
    ok: bool = True
    note: str = ""


def children_cpu() -> float:
    """User + system seconds of every finished child process (and their waited-for descendants)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_pipeline(corpus_dir: Path, out: Path) -> tuple[float, int, str, bool]:
    """make report's runner on corpus_dir into out/ (build, figures): seconds, peak tree bytes, stdout, success."""
    env = {
        **os.environ,
        "CORPUS": str(corpus_dir),
        "BUILD_DIR": str(out / "build"),
        "FIGURES_DIR": str(out / "figures"),
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "ENGINE_PROGRESS": os.environ.get("ENGINE_PROGRESS", "off"),
    }
    notebooks = sorted(str(p) for p in (paths.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    start = time.perf_counter()
    with TreeMemory() as memory:
        proc = subprocess.run(
            [sys.executable, "-m", "helpers.run_notebooks", str(out / "build" / "notebooks"), *notebooks], env=env, capture_output=True, text=True
        )
    return time.perf_counter() - start, memory.peak, proc.stdout + proc.stderr[-2000:], proc.returncode == 0


def copies_note(out: Path) -> str:
    """', N copies counted once' when the copy detector set documents aside (they are not analysed past cleaning)."""
    table = out / "build" / "tables" / "documents.csv"
    if not table.exists():
        return ""
    copies = int(tables.read_table_file(table)["duplicate_of"].astype(str).ne("").sum())
    return f", {copies} copies counted once" if copies else ""


def measure(n_docs: int, seeds: list[list[str]], work: Path, add: int) -> list[Run]:
    """One cold run on a fresh corpus of n_docs documents (then, with add > 0, a run after adding `add` more)."""
    corpus_dir, out = work / f"corpus_{n_docs}", work / f"out_{n_docs}"
    chars = make_corpus(corpus_dir, n_docs, seeds)
    runs = []
    for label in ("cold", "added") if add else ("cold",):
        if label == "added":
            extra = work / f"extra_{n_docs}"
            chars += make_corpus(extra, add, seeds, seed=15)
            for path in sorted(extra.glob("*.txt")):
                shutil.copy(path, corpus_dir / f"added_{path.name}")
        run = Run(len(list(corpus_dir.glob("*.txt"))), chars)
        cpu_before = children_cpu()
        run.wall, run.tree_peak, log, run.ok = run_pipeline(corpus_dir, out)
        run.cpu = children_cpu() - cpu_before
        run.largest_process = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # max over children so far
        run.notebooks = {name: float(s) for name, s in NOTEBOOK_TIME.findall(log)}
        report = out / "build" / "report.html"
        run.report_bytes = report.stat().st_size if report.exists() else 0
        run.jieba, run.jieba_cpu = bare_jieba_seconds(corpus_dir)
        run.note = (label + copies_note(out)) if run.ok else f"{label} FAILED: " + " ".join(log.strip().splitlines()[-1:])
        runs.append(run)
        print(row(run), flush=True)
    return runs


HEADER = (
    "documents",
    "characters",
    "wall s",
    "chars/s",
    "jieba s",
    "× jieba",
    "CPU s",
    "CPU × jieba CPU",
    "peak tree MiB",
    "max proc MiB",
    "report MB",  # decimal megabytes, as the bound on the report (5 MB) is read
    "01 / 02 / 03 / 04 / 05 s",
    "note",
)


def row(run: Run) -> str:
    """One table line."""
    per_nb = " / ".join(f"{run.notebooks[k]:.0f}" for k in sorted(run.notebooks)) or "-"
    cells = (
        f"{run.documents:,}",
        f"{run.characters:,}",
        f"{run.wall:.1f}",
        f"{run.characters / run.wall:,.0f}",
        f"{run.jieba:.1f}",
        f"{run.wall / run.jieba:.1f}" if run.jieba else "-",
        f"{run.cpu:.0f}",
        f"{run.cpu / run.jieba_cpu:.1f}" if run.jieba_cpu else "-",
        f"{run.tree_peak / 2**20:,.0f}",
        f"{run.largest_process / 2**20:,.0f}",
        f"{run.report_bytes / 1e6:.2f}",
        per_nb,
        run.note,
    )
    return "| " + " | ".join(cells) + " |"


def cold_runs(runs: list[Run]) -> list[Run]:
    """The runs that succeeded on a cold build cache, smallest corpus first (a note such as ', 4 copies counted once'
    may follow 'cold'; 'added' runs are warm)."""
    return sorted((r for r in runs if r.ok and r.note.startswith("cold")), key=lambda r: r.characters)


def growth_line(runs: list[Run]) -> str:
    """How the wall time grows between the two largest cold runs, or '' with fewer than two."""
    cold = cold_runs(runs)
    if len(cold) < 2:
        return ""
    a, b = cold[-2], cold[-1]
    growth = (b.wall / a.wall) / (b.characters / a.characters)
    return f"time grows {b.wall / a.wall:.1f}× for {b.characters / a.characters:.1f}× the characters ({growth:.2f}× linear) between the two largest corpora"


TARGET_RATIO = 3.0  # issue 14: make report within this many times bare jieba's time on the same text


def cost_split(runs: list[Run]) -> tuple[float, float] | None:
    """(fixed seconds, marginal × jieba) of the wall time, from the two largest cold runs: wall ≈ fixed + marginal ×
    bare jieba's seconds. The marginal ratio is what each further document costs against bare jieba cutting it; the
    fixed part is what a build costs whatever the corpus (the kernel's start and imports, the figures' drawing, the
    report). None with fewer than two cold runs, bare jieba not timed on both, or no growth in its time between them."""
    cold = cold_runs(runs)
    if len(cold) < 2 or not 0 < cold[-2].jieba < cold[-1].jieba:
        return None
    a, b = cold[-2], cold[-1]
    marginal = (b.wall - a.wall) / (b.jieba - a.jieba)
    return b.wall - marginal * b.jieba, marginal


def cost_line(runs: list[Run], target: float = TARGET_RATIO) -> str:
    """The wall time split as cost_split splits it, the corpus sizes at which a build is within `target` times bare
    jieba, and for each cold run slower than that, how small the fixed part would have to be; '' when it cannot be
    split."""
    split = cost_split(runs)
    if split is None:
        return ""
    fixed, marginal = split
    cold, within = cold_runs(runs), f"within {target:g} × bare jieba"
    line = f"wall ≈ {fixed:.1f} s fixed {'+' if marginal >= 0 else '-'} {abs(marginal):.2f} × bare jieba's time (from the two largest corpora): "
    largest, gap = cold[-1], target - marginal  # within target × jieba wherever fixed <= gap × jieba
    if fixed <= 0 and gap >= 0:
        return line + f"{within} at every size"
    if fixed >= 0 and gap <= 0:
        return line + f"each further document costs {target:g} × jieba or more, so no corpus size is {within}"
    reached = fixed / (gap * largest.jieba / largest.characters)  # characters
    documents = reached * largest.documents / largest.characters
    size = f"{reached / 1e6:.1f}M characters (~{documents:,.0f} documents of this size)"
    if gap < 0:  # a negative fixed part and a marginal cost above the target: small corpora only
        return line + f"{within} only below about {size}"
    line += f"{within} from about {size}"
    slower = [r for r in cold if r.wall > target * r.jieba]
    if slower:
        needs = ", ".join(f"{gap * r.jieba:.1f} s at {r.documents:,} documents" for r in slower)
        line += f"; {within} it would need a fixed part under {needs}"
    return line


def main(argv: list[str] | None = None) -> int:
    """Build the corpora, run each, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 1000])
    parser.add_argument("--add", type=int, default=0, help="after each cold run, add this many documents and re-run")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    seeds = [lines for lines in seed_lines(paths.ROOT / "seeds") if lines]
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_"))
    work.mkdir(parents=True, exist_ok=True)
    resources_ready = warm_resource_cache()
    print(
        f"engine {os.environ.get('ENGINE', 'local')}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} (other work on the machine slows wall times; CPU times less so), "
        f"work folder {work}; resource cache {paths.RESOURCE_CACHE} ready in {resources_ready:.1f} s "
        "(the runs share it, as builds on one machine do; their build caches start empty)",
        flush=True,
    )
    print("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER), flush=True)
    try:
        runs = [r for n in args.sizes for r in measure(n, seeds, work, args.add)]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for line in (growth_line(runs), cost_line(runs)):
        if line:
            print(line)
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
