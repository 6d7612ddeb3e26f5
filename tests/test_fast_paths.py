"""Fast paths give exactly what the slow ones gave: one dictionary pass for tokens and names, lazily cut token
boundaries."""

from __future__ import annotations

import re
import sys

import jieba
import jieba.posseg
import pytest

from helpers.base import chinese, engine, paths, schema
from helpers.stage2_words import counting
from helpers.stage3_framing import codebook
from helpers.stage4_quantities import reported

SEEDS = sorted((paths.ROOT / "seeds").glob("*.txt"))
# Every path jieba and posseg treat apart: Windows line ends, lone letters and digits, a block holding - and %
# (jieba cuts it whole, posseg in pieces), decimals, a dictionary name head (李德 + 强), names before place suffixes.
ODD_TEXT = "a\r\nb党建\r\n\r\r\n工作 abc-12%党员李德强、王胜3.5%张 x2 龙腾三路至黄阁坑社区，王小明-李红说\t陈佩群\n"


def posseg_names(text: str) -> list[str]:
    """The names jieba's own part-of-speech tagger (HMM on, every run through the HMM) gives, read as names_among reads them."""
    tagger, domain = counting._name_tagger()
    full = jieba.posseg.POSTokenizer(chinese.tokenizer())
    full.word_tag_tab = dict(tagger.word_tag_tab)  # the user dictionary's tags, as the project's tagger has them
    pairs = [(p.word, p.flag) for p in full.lcut(text, HMM=True)]
    return counting.names_among([w for w, _ in pairs], [i for i, (w, f) in enumerate(pairs) if counting.is_name_guess(w, f, domain)])


def jieba_tokens(text: str) -> list[str]:
    """jieba's own cut with HMM off, white space dropped."""
    return [t for t in chinese.tokenizer().lcut(text, HMM=False) if t.strip()]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_one_pass_gives_jiebas_tokens_and_posseg_names_in_every_seed(seed):
    text = seed.read_text(encoding="utf-8")
    tokens, names = counting.read_text(text)
    assert tokens == jieba_tokens(text) == counting.segment_text(text)
    assert names == posseg_names(text) and names


def test_one_pass_follows_jieba_where_jieba_and_posseg_split_differently():
    tokens, names = counting.read_text(ODD_TEXT)
    assert tokens == jieba_tokens(ODD_TEXT) and "-" in tokens and "abc" in tokens
    assert names == posseg_names(ODD_TEXT)
    assert {"李德强", "陈佩群"} <= set(names) and not {"龙腾", "黄阁"} & set(names)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_dictionary_path_and_hmm_equal_jiebas_own_in_every_seed(seed):
    text = seed.read_text(encoding="utf-8")
    tok, viterbi = chinese.tokenizer(), sys.modules["jieba.posseg.viterbi"].viterbi
    for block in counting.JIEBA_BLOCK.findall(text):
        route: dict = {}
        tok.calc(block, tok.get_DAG(block), route)
        assert counting._route(block)[: len(block)] == [route[x][1] + 1 for x in range(len(block))]
    model = (jieba.posseg.char_state_tab_P, jieba.posseg.start_P, jieba.posseg.trans_P, jieba.posseg.emit_P)
    for stretch in jieba.posseg.re_han_detail.findall(text)[::7]:  # every 7th: jieba's own Viterbi is slow
        assert counting._hmm_states(stretch) == viterbi(stretch, *model)[1]


def test_speakers_named_after_their_title_are_found():
    # seed 000's speech headings, verbatim (grep '党工委书记 ' seeds/000*): each reads "<street>街道党工委书记 <name>"; checked by hand against the seed text
    text = "布吉街道党工委书记 李昆刚\n\n南湾街道党工委书记 宋逸阳\n\n园山街道党工委书记 桂军昌\n\n龙岗街道党工委书记 游宇"
    assert {"李昆刚", "宋逸阳", "桂军昌", "游宇"} <= set(counting.names_in_text(text))


def test_the_hmm_runs_only_where_a_name_can_start_or_is_read_after_one(monkeypatch):
    calls = []
    hmm_words = counting._hmm_words
    monkeypatch.setattr(counting, "_hmm_words", lambda chars: calls.append(chars) or hmm_words(chars))
    # 强说 has no surname: no HMM; 说王 has one only where no two-character name can start; 陈佩群 needs the HMM
    assert counting.names_in_text("强说，说王，陈佩群") == ["陈佩群"] and calls == ["陈佩群"]
    # a lone character after a two-character dictionary name is still taken with it (李德 + 强 before punctuation)
    assert "李德强" in counting.names_in_text("“三剑客”李德强、陈佩群")


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_masking_recuts_only_what_a_name_touches_and_gives_a_full_cut_in_every_seed(seed):
    text = seed.read_text(encoding="utf-8")
    names = counting.name_pattern(set(counting.names_in_text(text)) | {"龙岗", "党建", "a"})
    assert counting.masked_tokens(text, counting.segment_text(text), names) == jieba_tokens(counting.mask_names(text, names))
    assert counting.masked_tokens(ODD_TEXT, jieba_tokens(ODD_TEXT), names) == jieba_tokens(counting.mask_names(ODD_TEXT, names))


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
        (counting.read_text, paragraphs, False),
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


def test_the_taggers_take_the_word_tags_jieba_would_read_from_its_dictionary():
    """Both taggers are made by chinese.pos_tagger (tags from the entries already read): the same table as jieba's own."""
    jiebas = jieba.posseg.POSTokenizer(chinese.domain_tokenizer())
    jiebas.makesure_userdict_loaded()  # the user dictionary's tags, merged as posseg merges them on its first cut
    names_tagger, _ = counting._name_tagger()
    assert names_tagger.word_tag_tab == jiebas.word_tag_tab
    figures_tagger = reported._pos_tokenizer()
    figures_tagger.makesure_userdict_loaded()
    heads = set(reported.figure_categories()["head"])  # added with tag n, so that counted nouns come out whole
    assert isinstance(figures_tagger, reported.MemoPOSTokenizer)
    assert {w: t for w, t in figures_tagger.word_tag_tab.items() if w not in heads} == {w: t for w, t in jiebas.word_tag_tab.items() if w not in heads}


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
