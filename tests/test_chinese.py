"""base/chinese.py: jieba's dictionaries read from our marshal cache give exactly what jieba itself loads."""

from __future__ import annotations

import marshal

import jieba
import jieba.posseg
import pytest
import yaml

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


def test_resource_cache_is_shared_by_build_folders_and_keeps_one_version(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESOURCE_CACHE", tmp_path / "resources")
    monkeypatch.setattr(paths, "CACHE", tmp_path / "first" / "cache")
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "probe-000000000000.marshal").write_bytes(marshal.dumps("an older version"))
    assert chinese.resource_cached("probe", lambda: {"党建": (3, "n")}) == {"党建": (3, "n")}
    monkeypatch.setattr(paths, "CACHE", tmp_path / "second" / "cache")  # another build folder: the value is not built again
    assert chinese.resource_cached("probe", lambda: "not built again") == {"党建": (3, "n")}
    assert [p.name for p in (tmp_path / "resources").iterdir()] == [f"probe-{chinese.resource_version()}.marshal"]
    assert not (tmp_path / "first").exists() and not (tmp_path / "second").exists(), "nothing of it in a build folder"


def test_a_file_written_whole_is_the_old_one_or_the_new_one_never_half(tmp_path):
    path = tmp_path / "cache" / "probe-2.bin"
    paths.write_whole(path, lambda partial: partial.write_bytes(b"old"))

    def broken(partial):
        partial.write_bytes(b"ha")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        paths.write_whole(path, broken)
    assert path.read_bytes() == b"old" and [p.name for p in path.parent.iterdir()] == ["probe-2.bin"], "no partial file left"
    (path.parent / "probe-1.bin").write_bytes(b"older")
    paths.write_whole(path, lambda partial: partial.write_bytes(b"new"), replaces="probe-*.bin")
    assert [p.name for p in path.parent.iterdir()] == ["probe-2.bin"] and path.read_bytes() == b"new"


def test_a_resource_cache_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    (tmp_path / "a file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(paths, "RESOURCE_CACHE", tmp_path / "a file" / "cache")  # mkdir fails: a file stands there
    assert chinese.resource_cached("probe", lambda: {"党建": (3, "n")}) == {"党建": (3, "n")}
    assert chinese.resource_cached("probe", lambda: "built again") == "built again", "nothing was kept"


def test_the_codebook_reads_the_same_with_libyamls_parser():
    assert yaml.__with_libyaml__, "PyYAML's wheel ships libyaml: read_yaml would fall back to the slow parser"
    assert chinese.read_yaml(chinese.CODEBOOK) == yaml.safe_load(chinese.CODEBOOK.read_text(encoding="utf-8"))


def test_pos_tagger_has_posseg_tags_and_tags_alike():
    ours = chinese.pos_tagger(jieba.posseg.POSTokenizer, chinese.domain_tokenizer())
    theirs = jieba.posseg.POSTokenizer(chinese.domain_tokenizer())
    assert ours.word_tag_tab == theirs.word_tag_tab
    assert ours.word_tag_tab["龙岗"] == "nr", "jieba's own (mis)tag, which counting.is_person_name must overrule"
    text = seed_text("001")[:2000]
    assert [tuple(p) for p in ours.lcut(text)] == [tuple(p) for p in theirs.lcut(text)]
