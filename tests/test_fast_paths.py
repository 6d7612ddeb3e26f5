"""Fast paths give exactly what the slow ones gave: the surname-gated name tagger, lazily cut token boundaries."""

from __future__ import annotations

import jieba.posseg
import pytest

from helpers.base import chinese, engine, paths
from helpers.stage2_words import counting
from helpers.stage3_framing import codebook
from helpers.stage4_quantities import reported

SEEDS = sorted((paths.ROOT / "seeds").glob("*.txt"))


def names_with(tagger: jieba.posseg.POSTokenizer, text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """names_in_text with the given tagger in place of the project's."""
    domain = counting._name_tagger()[1]
    monkeypatch.setattr(counting, "_name_tagger", lambda: (tagger, domain))
    try:
        return counting.names_in_text(text)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_gated_tagger_finds_what_full_posseg_finds_in_every_seed(seed, monkeypatch):
    text = seed.read_text(encoding="utf-8")
    full = names_with(jieba.posseg.POSTokenizer(chinese.tokenizer()), text, monkeypatch)
    assert counting.names_in_text(text) == full


def test_speakers_named_after_their_title_are_found():
    # seed 000's speech headings, verbatim (grep '党工委书记 ' seeds/000*): each reads "<street>街道党工委书记 <name>"; checked by hand against the seed text
    text = "布吉街道党工委书记 李昆刚\n\n南湾街道党工委书记 宋逸阳\n\n园山街道党工委书记 桂军昌\n\n龙岗街道党工委书记 游宇"
    assert {"李昆刚", "宋逸阳", "桂军昌", "游宇"} <= set(counting.names_in_text(text))


def test_runs_without_a_surname_skip_the_hmm_but_keep_their_split():
    tagger = counting._name_tagger()[0]
    # no surname character: posseg's own split into Chinese stretches and numbers, untagged, without the HMM
    assert [(p.word, p.flag) for p in tagger._untagged_detail("强说3.5abc")] == [("强说", "x"), ("3.5", "m"), ("abc", "eng")]
    # a lone character after a two-character dictionary name is still taken with it (李德 + 强 before punctuation)
    assert "李德强" in counting.names_in_text("“三剑客”李德强、陈佩群")


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_lazy_token_boundaries_equal_a_full_cut_on_every_seed(seed):
    text = seed.read_text(encoding="utf-8")
    full, lazy = codebook.token_boundaries(text), codebook.TokenBoundaries(text)
    assert [p for p in range(len(text) + 1) if p in lazy] == sorted(full)


def test_lazy_token_boundaries_keep_windows_line_ends_and_latin_runs_whole():
    text = "a\r\nb党建\r\n\r\r\n工作 abc-12%党员"
    full, lazy = codebook.token_boundaries(text), codebook.TokenBoundaries(text)
    assert [p for p in range(len(text) + 1) if p in lazy] == sorted(full)
    assert 2 not in lazy  # inside \r\n


@pytest.mark.slow
def test_fast_per_text_tasks_give_the_same_results_in_a_process_pool(monkeypatch):
    monkeypatch.setenv("ENGINE_PROGRESS", "off")
    paragraphs = [p.strip() for seed in SEEDS for p in seed.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    figures = [(f"s{i}", p, "", "in") for i, p in enumerate(paragraphs)]
    for func, items, star in (
        (counting.names_in_text, paragraphs, False),
        (codebook.segment_hits, paragraphs, False),
        (reported.segment_figures, figures, True),
    ):
        runs = [engine.map_documents(func, items, stage="fast", engine=name, star=star, cache=False, serial_below=0) for name in ("serial", "local")]
        assert runs[0] == runs[1] and any(runs[0])
