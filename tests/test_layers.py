"""The folder tree is the pipeline: a module imports only from base/ and from its own or earlier stages, at its top."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers.base import paths

PACKAGE = paths.ROOT / "src" / "helpers"
# Imported inside a function, each for a measured reason: Dask only when ENGINE=dask asks for it (a second of start-up
# otherwise); scipy.stats (0.8 s) only when keyness runs, after notebook 02's first chart (see street_words).
LAZY_ALLOWED = ("distributed", "scipy.stats")


def rank(module: str) -> int:
    """0 for base (and the package itself), N for stageN_*; entry points (run_notebooks, bench) rank after every stage."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] == "base":
        return 0
    if parts[1].startswith("stage"):
        return int(parts[1][len("stage")])
    return 99


def module_level(tree: ast.Module) -> set[int]:
    """ids of the statements that run at import: the module body and the body of its top-level `with` blocks (an import
    wrapped in warnings.catch_warnings())."""
    return {id(node) for node in tree.body} | {id(inner) for node in tree.body if isinstance(node, ast.With) for inner in node.body}


def helper_imports(path: Path) -> list[tuple[str, bool]]:
    """(imported helpers module, imported at module level) for every import of the package in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = module_level(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("helpers"):
            found.append((node.module, id(node) in top))
        elif isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names if alias.name.startswith("helpers")]
    return found


def modules() -> list[tuple[str, Path]]:
    return [(".".join(("helpers", *p.relative_to(PACKAGE).with_suffix("").parts)), p) for p in sorted(PACKAGE.rglob("*.py"))]


def test_no_stage_imports_a_later_stage():
    late = [(name, imported) for name, path in modules() for imported, _ in helper_imports(path) if rank(imported) > rank(name)]
    assert late == []


def test_base_imports_nothing_from_the_stages():
    assert [(n, i) for n, p in modules() if rank(n) == 0 for i, _ in helper_imports(p) if rank(i) > 0] == []


def test_imports_sit_at_the_top_of_each_module():
    inner = []
    for name, path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = module_level(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                if not any((module or "") == m or (module or "").startswith(m + ".") for m in LAZY_ALLOWED):
                    inner.append((name, module, node.lineno))
    assert inner == []


def test_the_rank_rule_reads_stage_numbers():
    assert rank("helpers.base.chinese") == 0 and rank("helpers.stage3_framing.streets") == 3 and rank("helpers.run_notebooks") == 99
