"""Pinyin, glosses (curated glossary → codebook → CC-CEDICT), English headers and hash-keyed translations."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.stage3_framing.codebook import load_codebook
from helpers.stage5_report import bilingual


def test_label_carries_pinyin_and_curated_gloss():
    assert bilingual.label("征拆") == "征拆 zhēngchāi · land expropriation and demolition"
    assert bilingual.label("Pinghu") == "Pinghu", "text without Chinese passes unchanged"


def test_pinyin_marks_vowel_syllables_and_spaces_words():
    assert bilingual.pinyin("西安") == "xī'ān"
    assert bilingual.pinyin("党建引领") == "dǎngjiàn yǐnlǐng"
    assert bilingual.pinyin("急难险重") == "jí nàn xiǎn zhòng", "the curated reading wins (难 nàn, 重 zhòng)"


def test_gloss_fallback_order():
    # 群众 is in the glossary and in CC-CEDICT: the curated gloss wins.
    assert bilingual.gloss("群众").source == "glossary"
    assert bilingual.dictionary_gloss("群众"), "the dictionary knows it too, or this test proves nothing"
    # 作风 is glossed by the codebook, not by glossary.csv.
    assert "作风" not in bilingual.curated_glosses() and bilingual.gloss("作风").source == "codebook"
    # 住户 is in neither: CC-CEDICT, marked as a dictionary gloss.
    assert "住户" not in bilingual.curated_glosses() and "住户" not in bilingual.codebook_glosses()
    g = bilingual.gloss("住户")
    assert g.source == "CC-CEDICT" and "household" in g.english
    assert bilingual.english("住户").endswith(bilingual.DICTIONARY_MARK)
    assert bilingual.label("住户").endswith(bilingual.DICTIONARY_MARK)
    # Nothing knows a nonsense string: pinyin only, no English and no mark.
    unknown = bilingual.gloss("龘靐齉")
    assert unknown.source == "" and unknown.english == "" and bilingual.label("龘靐齉") == f"龘靐齉 {unknown.pinyin}"


def test_dictionary_senses_are_cleaned():
    # CC-CEDICT's 西安 sense holds a cross-reference '陝西省|陕西省[Shan3 xi1 Sheng3]' that a reader cannot use.
    assert "[" not in bilingual.dictionary_gloss("西安") and "Xi'an" in bilingual.dictionary_gloss("西安")


# The 25 most frequent non-place terms of the seed corpus, read by hand from build/tables/term_frequencies.csv
# (scope ALL, is_place False) after `make report` on seeds/.
SEED_TOP_25 = [
    "党建",
    "社区",
    "党员",
    "群众",
    "城市",
    "党支部",
    "党组织",
    "服务",
    "建设",
    "征拆",
    "党员干部",
    "基层党建",
    "园区",
    "一线",
    "干部",
    "党建引领",
    "发展",
    "社区党委",
    "组织",
    "党",
    "书记",
    "党工委",
    "基层",
    "创新",
    "花园小区",
]


def test_top_terms_of_the_seeds_have_curated_glosses():
    missing = [t for t in SEED_TOP_25 if t not in bilingual.curated_glosses()]
    assert not missing


def test_every_codebook_code_has_an_english_name():
    for code in load_codebook():
        assert code.name.strip() and bilingual.code_name(code.code) == code.name
    assert bilingual.code_name("no_such_code") == "no such code"


def test_headers_are_plain_english():
    assert bilingual.header("doc_id") == "Document" and bilingual.header("raw_chars") == "Characters received"
    assert bilingual.header("metadata_source") == "Metadata from" and bilingual.header("000") == "Doc 000"
    assert bilingual.unmapped(["doc_id", "street", "made_up_column"]) == ["made_up_column"]


LEAD = "昨日，龙岗区召开组织工作会议暨基层工作经验交流座谈会，全区11个街道党工委书记逐一上台，讲述基层一线党建引领各项急难险重工作的心得体会。"


def test_translation_is_keyed_by_the_exact_sentence():
    # The lead of seed 000 is curated in translations.csv.
    assert "Yesterday Longgang District" in bilingual.translate(LEAD)
    assert bilingual.translate("  " + LEAD + "\n") == bilingual.translate(LEAD), "outer whitespace does not matter"
    changed = LEAD.replace("11个", "12个")
    assert bilingual.sentence_key(changed) != bilingual.sentence_key(LEAD)
    assert bilingual.translate(changed) == bilingual.NOT_TRANSLATED, "a changed sentence loses its stale translation"
    assert bilingual.translate("") == "" and bilingual.translate("3+3+6") == "3+3+6"


def test_translation_file_invalidation(tmp_path, monkeypatch):
    sentence = "街道党工委成立临时党支部。"
    path = tmp_path / "translations.csv"
    pd.DataFrame(
        {"key": [bilingual.sentence_key(sentence)], "chinese": [sentence], "english": ["The street Party Working Committee set up a temporary Party branch."]}
    ).to_csv(path, index=False)
    monkeypatch.setattr(bilingual, "TRANSLATIONS", path)
    bilingual.translations.cache_clear()
    try:
        assert bilingual.translate(sentence).startswith("The street Party")
        assert bilingual.translate("街道党工委成立了临时党支部。") == bilingual.NOT_TRANSLATED
        todo = bilingual.translation_rows([sentence, "街道党工委成立了临时党支部。"])
        assert list(todo["chinese"]) == ["街道党工委成立了临时党支部。"]
    finally:
        bilingual.translations.cache_clear()


def test_curated_translations_match_their_keys():
    frame = pd.read_csv(bilingual.TRANSLATIONS, encoding="utf-8", keep_default_na=False, dtype=str)
    assert len(frame) >= 40
    for key, chinese, english in frame.itertuples(index=False):
        assert bilingual.sentence_key(chinese) == key, chinese
        assert english.strip(), chinese


@pytest.mark.parametrize("term", ["党建+X", "3+3+6", "<script>"])
def test_label_never_fails(term):
    assert bilingual.label(term).startswith(term)
