"""Fast paths give exactly what the slow ones gave: the surname-gated name tagger, lazily cut token boundaries."""

from __future__ import annotations

import re

import jieba
import jieba.posseg
import pytest

from helpers.base import chinese, engine, paths, schema
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


def test_forced_boundaries_need_no_cut_where_no_dictionary_word_crosses():
    # 党员|群众: no word of the dictionary spans 员|群, so the offset between them is a boundary without cutting
    assert codebook.forced_boundary("党员群众", 0, 4, 2)
    # 协调|解决: 调解 (a codebook term) spans offset 2, so only the cut can tell (it is a boundary), and 协调 spans 1
    assert not codebook.forced_boundary("协调解决", 0, 4, 2) and 2 in codebook.token_boundaries("协调解决")
    assert not codebook.forced_boundary("协调解决", 0, 4, 1)
    # two Latin letters or digits: jieba joins single-character tokens of them, so never forced
    assert not codebook.forced_boundary("ab", 0, 2, 1)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_every_forced_boundary_is_a_boundary_of_the_full_cut(seed):
    text = seed.read_text(encoding="utf-8")
    full = codebook.token_boundaries(text)
    forced = [
        offset
        for m in jieba.re_han_default.finditer(text)
        for offset in range(m.start() + 1, m.end())
        if codebook.forced_boundary(text, m.start(), m.end(), offset)
    ]
    assert forced and set(forced) <= full


def naive_matches(text: str, code: codebook.Code, bounds) -> list[tuple[int, int, str]]:
    """The codebook's first matcher, one str.find loop per term and code: what CodeSearch must reproduce."""
    found = []
    for term in code.all_terms():
        at = text.find(term)
        while at >= 0:
            found.append((at, at + len(term), term))
            at = text.find(term, at + 1)
    for pattern in code.patterns:
        found += [(m.start(), m.end(), m.group(0)) for m in re.finditer(pattern, text) if m.end() > m.start()]
    kept = [(s, e, t) for s, e, t in found if code.kind == "name" and t not in code.terms or (s in bounds and e in bounds)]
    blocker = code.exclusion()
    excluded = [(m.start(), m.end()) for m in blocker.finditer(text)] if blocker else []
    return [(s, e, t) for s, e, t in kept if not any(es <= s and e <= ee for es, ee in excluded)]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_one_pass_search_finds_what_a_search_per_term_finds_in_every_seed(seed):
    text = seed.read_text(encoding="utf-8")
    codes = list(codebook.default_codes())
    bounds = codebook.token_boundaries(text)
    found = codebook.CodeSearch(codes).matches(text, bounds)
    for code, matches in zip(codes, found):
        assert sorted(matches) == sorted(naive_matches(text, code, bounds)), code.code


def test_the_trie_finds_the_longest_term_and_its_prefixes_overlapping():
    code = codebook.Code("frame", "x", "x", "", {"人民": "", "人民群众": "", "群众": ""}, {})
    text = "人民群众和人民"
    # 人民群众 at 0 holds 人民 (its prefix) and 群众 (overlapping, at 2); 人民 again at 5
    assert sorted(codebook.CodeSearch([code]).matches(text, set(range(8)))[0]) == [(0, 2, "人民"), (0, 4, "人民群众"), (2, 4, "群众"), (5, 7, "人民")]


def test_idiom_lookup_equals_a_search_for_every_idiom():
    text = "".join(seed.read_text(encoding="utf-8") for seed in SEEDS)
    windows = [text[i : i + 6] for i in range(0, len(text), 3)]
    assert [reported.contains_idiom(w) for w in windows] == [any(i in w for i in reported.idioms()) for w in windows]
    assert reported.contains_idiom("三位一体的") and not reported.contains_idiom("三个社区")  # 三位一体: an idiom of jieba's


def test_memoised_hmm_tags_as_jieba_does():
    text = "".join(seed.read_text(encoding="utf-8") for seed in SEEDS[:3])
    memo = reported._pos_tokenizer()
    plain = jieba.posseg.POSTokenizer(memo.tokenizer)
    plain.word_tag_tab = memo.word_tag_tab  # the user dictionary's tags went to the first tagger built on the tokenizer
    expected = [(p.word, p.flag) for p in plain.cut(text)]
    assert [(p.word, p.flag) for p in memo.cut(text)] == expected
    assert [(p.word, p.flag) for p in memo.cut(text)] == expected  # again, from the memo
    assert memo.hmm_memo  # unknown stretches were tagged by the HMM and remembered


def test_the_tagger_takes_the_word_tags_jieba_would_read_from_its_dictionary():
    tokenizer = chinese.domain_tokenizer()
    assert reported.MemoPOSTokenizer(tokenizer).word_tag_tab == jieba.posseg.POSTokenizer(tokenizer).word_tag_tab


def regex_scope_markers(sentence: str) -> list[tuple[int, str]]:
    """The district and city words as owner_markers first found them: one regular expression per marker."""
    found = []
    for marker, scope in reported.scope_markers().items():
        for m in re.finditer(re.escape(marker), sentence):
            if not (reported.COMPARISON_AFTER.match(sentence[m.end() :]) or sentence[: m.start()].endswith(reported.COMPARISON_BEFORE)):
                found.append((m.end(), scope))
    return sorted(found)


def test_owner_markers_find_each_scope_word_as_a_regular_expression_did():
    text = "".join(seed.read_text(encoding="utf-8") for seed in SEEDS)
    sentences = chinese.sentences(text)
    found = [sorted((end, scope) for end, scope, street in reported.owner_markers(s) if not street and scope != schema.FIGURE_OUTSIDE) for s in sentences]
    expected = [regex_scope_markers(s) for s in sentences]
    assert found == expected and sum(map(len, found)) > 20
    # 全区第一 is a comparison, 全区 alone the district's: checked by hand
    assert [scope for _, scope, _ in reported.owner_markers("全区共有党员100名，居全区第一")] == ["district"]
