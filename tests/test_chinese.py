"""base/chinese.py: jieba's dictionaries read from our marshal cache give exactly what jieba itself loads."""

from __future__ import annotations

import jieba
import jieba.posseg

from helpers.base import chinese, paths

from conftest import seed_text


def test_prefix_dictionary_from_our_cache_is_jiebas_own(tmp_path):
    ours = chinese.new_tokenizer()
    theirs = jieba.Tokenizer()
    theirs.tmp_dir = str(tmp_path)
    theirs.initialize()
    assert ours.initialized and ours.total == theirs.total and ours.FREQ == theirs.FREQ
    text = seed_text("000")[:3000]
    assert ours.lcut(text, HMM=False) == theirs.lcut(text, HMM=False)


def test_cache_file_is_rebuilt_when_broken():
    name = "test-broken.marshal"
    (paths.CACHE / name).parent.mkdir(parents=True, exist_ok=True)
    (paths.CACHE / name).write_bytes(b"\x00 not marshal")
    assert chinese.marshal_cached(name, lambda: {"党建": (3, "n")}) == {"党建": (3, "n")}
    assert chinese.marshal_cached(name, lambda: "not called again") == {"党建": (3, "n")}, "read back from the file"


def test_pos_tagger_has_posseg_tags_and_tags_alike():
    ours = chinese.pos_tagger(jieba.posseg.POSTokenizer, chinese.domain_tokenizer())
    theirs = jieba.posseg.POSTokenizer(chinese.domain_tokenizer())
    assert ours.word_tag_tab == theirs.word_tag_tab
    assert ours.word_tag_tab["龙岗"] == "nr", "jieba's own (mis)tag, which counting.is_person_name must overrule"
    text = seed_text("001")[:2000]
    assert [tuple(p) for p in ours.lcut(text)] == [tuple(p) for p in theirs.lcut(text)]
