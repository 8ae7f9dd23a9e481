"""Blocking of two held-out miss kinds, fifth pass (#16, screenblk5; bench ``blk5_dev.py``, dev stand-ins only).

* An Arab name with two words run together in Arabic letters: at an inner article (``إيادالنعيمي``: Iyad al-Nuaimi),
  or into a name of one consonant (``عليصالح``: Ali Saleh). A joined word that is another listed word's skeleton
  (``محمدحسين``: MOHAMMADHOSSEIN) stays one word: it is as often one Persian given name.
* A Chinese or North Korean firm's name in Han characters whose listed name is English with its generic words
  translated (``威海匯江貿易有限公司`` for WEIHAI HUIJIANG TRADE LIMITED, traditional characters; ``華信船務(香港)``
  for HUAXIN SHIPPING HONGKONG LTD; ``朝鲜泰丰贸易会社`` for KOREA TAIFENG TRADING CORPORATION): keyed by the
  distinctive part without the generic words (``matcher._firm_key``); a bare 会社 is a legal form, not a Japanese firm.

Each build-level check runs on the in-memory index and on a snapshot read back from its file.
"""

from __future__ import annotations

from finguard.screening.model.names import analyse_name, skeleton
from finguard.screening.service.matcher import FIRM_MARK, _article_inside, _firm_key, _one_consonant_cut
from tests.screening_helpers import Build, build_fixture, org, person

_GIVEN = ["Muhammad", "Mohammad", "Ali", "Ahmad", "Hasan", "Husain", "Saleh", "Iyad", "Zayd", "Issa"]
_FAMILY = ["AL-SAYED", "AL-HARBI", "AL-ZAHRANI", "KHAN", "AL-NAIMI", "SAEED", "RAZA", "HAMID", "AZIZ", "OSMAN"]
_PERSONS = [(100 + i, person(f"p{i}", f"{_FAMILY[i % 10]}, {_GIVEN[(i // 10) % 10]} {_GIVEN[(i // 3) % 10]}")) for i in range(300)]
_PLACES = ["DANDONG", "DALIAN", "SHENYANG", "QINGDAO", "NINGBO", "XIAMEN", "TIANJIN", "FUZHOU"]
_WORDS = ["TRADE", "TRADING", "SHIPPING", "INDUSTRY", "MACHINERY", "INTERNATIONAL"]
_FIRMS = [(1000 + i, org(f"f{i}", f"{_PLACES[i % 8]} {_PLACES[(i // 8) % 8]} {_WORDS[i % 6]} CO., LTD.")) for i in range(200)]

build = build_fixture([*_PERSONS, *_FIRMS])


def test_firm_key() -> None:
    assert _firm_key(("weihai", "huijiang", "trade")) == FIRM_MARK + "weihaihuijiang"
    assert _firm_key(("weihaihuijiang", "trading")) == FIRM_MARK + "weihaihuijiang"
    assert _firm_key(("huaxin", "shipping", "hong", "kong")) == FIRM_MARK + "huaxin"
    assert _firm_key(("hongyuan", "marine")) == FIRM_MARK + "hongyuan"
    assert _firm_key(("hong", "xiang", "marine")) == FIRM_MARK + "hongxiang"  # HONG alone is a syllable, not Hong Kong
    assert _firm_key(("huawei",)) is None  # no generic word
    assert _firm_key(("abc", "trading")) is None  # too short a rest


def test_a_bare_kaisha_is_a_form_and_the_name_is_translated() -> None:
    form = analyse_name("朝鮮泰豐貿易會社")
    assert form.legal_forms == ("会社",)
    assert ("korea", "taifeng", "trading") in {v.tokens for v in form.variants}
    assert analyse_name("朝鲜联合总会社").legal_forms == ("会社",)  # General Corporation
    # a Japanese form still keeps the name from its Mandarin reading (test_names)
    assert {v.tokens for v in analyse_name("合同会社吉田建設").variants} == {("吉田建设",), ("jitianjianshe",)}


def test_a_place_in_parentheses_is_read_with_the_name() -> None:
    form = analyse_name("華信船務(香港)有限公司")
    assert ("huaxin", "shipping", "hong", "kong") in {v.tokens for v in form.variants}


def test_han_firm_names_reach_their_english_listing(build: Build) -> None:
    s = build(
        [
            (1, org("a", "WEIHAI HUIJIANG TRADE LIMITED")),
            (2, org("b", "HUAXIN SHIPPING HONGKONG LTD")),
            (3, org("c", "KOREA TAIFENG TRADING CORPORATION")),
            (4, org("d", "DANDONG ZHICHENG METAL MATERIALS CO., LTD")),
        ]
    )
    for query, entry in (
        ("威海匯江貿易有限公司", 1),
        ("威海汇江贸易有限公司", 1),
        ("華信船務(香港)有限公司", 2),
        ("华信航运（香港）有限公司", 2),
        ("朝鮮泰豐貿易會社", 3),
        ("丹東至誠金屬材料有限公司", 4),
    ):
        assert entry in s.candidate_entries(query), query


def test_article_inside_and_one_consonant_cuts() -> None:
    skel = {"d": ["iyad"], "nm": ["nuaimi"], "l": ["ali"], "slh": ["saleh"], "s": ["issa"], skeleton("othman"): ["othman"]}
    assert _article_inside("yyadalnymy", "dlnm", skel) == [("yyad", "al", "nymy")]
    assert _article_inside("bdallhmd", "bdlhmd", {**skel, "lhmd": ["alhamid"]}) == []  # Abd al-Hamid: one name
    assert _one_consonant_cut("lysalh", skel) == [("ly", "salh")]
    assert _one_consonant_cut("hashd", {"h": ["ha"], "shd": ["shahid"]}) == []  # ha is no name of one consonant
    assert _one_consonant_cut("shadrwan", {"n": ["an"], "shdr": ["shadr"]}) == []  # nor the suffix -an
    assert _one_consonant_cut("thmanysa", skel) == [("thman", "ysa")]


def test_joined_arab_names_reach_scoring(build: Build) -> None:
    s = build(
        [
            (1, person("a", "AL-NAIMI, Muhammad Iyad")),
            (2, person("b", "HUSAIN, Ali Saleh")),
            (3, person("c", "OSMAN, Issa Othman")),
            (5, person("e", "MOHAMMADZADEH, Reza")),
        ]
    )
    for query, entry in (
        ("محمد إيادالنعيمي", 1),
        ("عليصالح حسين", 2),
        ("عيسى عثمانعيسى", 3),
        ("رضا محمدزاده", 5),  # the listed joined name still found
    ):
        assert entry in s.candidate_entries(query), query
