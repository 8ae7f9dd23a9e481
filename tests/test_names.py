"""Name normalisation steps (issue #3), each with real names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finguard.screening.model.names import (
    analyse_name,
    cantonese_surname,
    clean_text,
    fold,
    han_to_pinyin,
    looks_chinese,
    name_key,
    phonetic_key,
    segment_pinyin,
    skeleton,
    split_han_name,
    strip_legal_forms,
    strip_tone_numbers,
    swap_comma_order,
    to_simplified,
    transliterate,
    wade_giles_to_pinyin,
)


def tokens(name: str, kind: str | None = None) -> set[tuple[str, ...]]:
    return {v.tokens for v in analyse_name(name, kind).variants}


def test_name_key_is_unchanged() -> None:
    assert name_key("MADURO MOROS, Nicolás") == name_key("Nicolas Maduro Moros") == "maduro moros nicolas"
    assert name_key("!!!") == ""


def test_clean_text_full_width_and_invisible_characters() -> None:
    assert clean_text("ＨＵＡＷＥＩ　ＴＥＣＨ") == "HUAWEI TECH"
    assert clean_text("Osama\u200b bin\tLaden\x00") == "Osama bin Laden"
    assert clean_text("\u202eKIM\u202c Jong\nUn") == "KIM Jong Un"


def test_fold_case_and_accents() -> None:
    assert fold("MADURO MOROS, Nicolás") == "maduro moros, nicolas"
    assert fold("Xí Jìnpíng") == "xi jinping"
    assert fold("Straße Łódź") == "strasse lodz"


def test_traditional_to_simplified() -> None:
    assert to_simplified("華為技術有限公司") == "华为技术有限公司"
    assert to_simplified("張偉") == "张伟"
    assert to_simplified("Huawei") == "Huawei"


def test_pinyin_with_and_without_tones() -> None:
    assert han_to_pinyin("习近平") == ["xi", "jin", "ping"]
    assert han_to_pinyin("習近平", tones=True) == ["xi2", "jin4", "ping2"]
    assert han_to_pinyin("吕") == ["lu"]  # ü written u, as lists do


@pytest.mark.parametrize(
    ("name", "reading"),
    [("单雄信", "shan"), ("曾国藩", "zeng"), ("解缙", "xie"), ("仇英", "qiu"), ("区永", "ou"), ("朴正熙", "piao")],
)
def test_family_names_with_special_readings(name: str, reading: str) -> None:
    assert han_to_pinyin(name, surname=True)[0] == reading
    assert han_to_pinyin(name)[0] != reading  # the everyday reading differs


def test_compound_family_names() -> None:
    assert split_han_name("欧阳修") == ("欧阳", "修")
    assert split_han_name("诸葛亮") == ("诸葛", "亮")
    assert split_han_name("张伟") == ("张", "伟")
    assert ("ouyang", "xiu") in tokens("欧阳修")


def test_han_name_variants() -> None:
    assert ("xi", "jinping") in tokens("习近平")
    assert ("zhang", "wei") in tokens("張偉")
    # 单 as a family name is shan; the everyday reading is kept as a second variant
    assert {("shan", "xiongxin"), ("dan", "xiongxin")} <= tokens("单雄信")


def test_transliteration_of_other_scripts() -> None:
    assert transliterate("Владимир Путин") == "Vladimir Putin"
    assert fold(transliterate("Αλέξανδρος")) == "alexandros"
    assert transliterate("김정은").split() == ["Gim", "Jeong", "Eun"]
    # Cyrillic in the common romanisations: anyascii, ICAO 9303, BGN/PCGN, Wikipedia, GOST (#16)
    assert tokens("Дмитрий Медведев") == {("dmitriy", "medvedev"), ("dmitrii", "medvedev"), ("dmitry", "medvedev"), ("dmitrij", "medvedev")}
    # Arabic comes out as a consonant skeleton and is compared as one
    form = analyse_name("محمد علي")
    assert form.variants[0].kind == "skeleton"
    assert skeleton("mohamed") == skeleton("mhmd") == skeleton("muhammad") == "mhmd"


def test_comma_order() -> None:
    assert swap_comma_order("MADURO MOROS, Nicolas") == "Nicolas MADURO MOROS"
    assert swap_comma_order("Smith, Ibarra and Parks, Inc") == "Smith, Ibarra and Parks, Inc"
    assert tokens("MADURO MOROS, Nicolás") == {("nicolas", "maduro", "moros")}


@pytest.mark.parametrize(
    ("name", "rest", "forms"),
    [
        ("huawei technologies co., ltd.", "huawei technologies", ("company", "limited")),
        ("siemens gmbh", "siemens", ("gmbh",)),
        ("acme l.l.c.", "acme", ("llc",)),
        ("ooo romashka", "romashka", ("llc",)),
        ("华为技术有限公司", "华为技术", ("有限公司",)),
        ("中国石油天然气股份有限公司", "中国石油天然气", ("股份有限公司",)),
        ("北京某某有限责任公司", "北京某某", ("有限责任公司",)),
        ("海航集团", "海航", ("集团",)),
        ("limited", "limited", ()),
    ],
)
def test_legal_forms_removed_and_kept(name: str, rest: str, forms: tuple[str, ...]) -> None:
    assert strip_legal_forms(name) == (rest, forms)


def test_legal_forms_kept_as_feature_in_analysis() -> None:
    form = analyse_name("華為技術有限公司")
    assert form.legal_forms == ("有限公司",)
    assert ("华为技术",) in {v.tokens for v in form.variants}
    assert analyse_name("Siemens AG", "person").legal_forms == ()  # a person has no legal form


def test_tone_numbers_and_pinyin_segmentation() -> None:
    assert strip_tone_numbers("xi2") == "xi"
    assert strip_tone_numbers("jin4ping2") == "jinping"
    assert strip_tone_numbers("r2d2") == "r2d2"
    assert segment_pinyin("xijinping") == ("xi", "jin", "ping")
    assert segment_pinyin("xian") == ("xian",)
    assert segment_pinyin("smith") is None
    assert ("xi", "jinping") in tokens("xi2 jin4ping2")
    assert ("xi", "jinping") in tokens("Xijinping")
    assert ("zhang", "xiuying") in tokens("Zhang Xiu Ying")


def test_wade_giles_and_cantonese() -> None:
    assert [wade_giles_to_pinyin(s) for s in ("tse", "tung", "hsiao", "chiang", "chih")] == ["ze", "dong", "xiao", "jiang", "zhi"]
    assert ("mao", "zedong") in tokens("Mao Tse-tung")
    assert ("deng", "xiaobing") in tokens("Teng Hsiao-ping")
    assert cantonese_surname("chan") == "chen"
    assert ("chen", "tai", "man") in tokens("Chan Tai Man")


def test_sound_keys() -> None:
    assert phonetic_key("mohamed") == phonetic_key("muhammad") == phonetic_key("mohammed")
    assert phonetic_key("hassan") == phonetic_key("hasan")
    assert looks_chinese(("zhang", "wei"))
    assert not looks_chinese(("maria", "lopez"))


@pytest.mark.parametrize("name", ["", "   ", "...", "😀😀", "\x00\x01", "—", "\u200b"])
def test_unusable_names_have_no_variants(name: str) -> None:
    assert not analyse_name(name).usable


def test_mixed_scripts() -> None:
    assert ("li", "ming") in tokens("Li 明")
    assert tokens("Putin Владимир") == {("putin", "vladimir")}


def test_very_long_name_is_bounded() -> None:
    form = analyse_name("Ab " * 5000)
    assert form.usable
    assert all(len(v.tokens) <= 24 for v in form.variants)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_analyse_is_total(text: str) -> None:
    form = analyse_name(text)
    for variant in form.variants:
        assert variant.tokens
        assert all(t for t in variant.tokens)
