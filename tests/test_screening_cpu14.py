"""Issue #19 (guard14): a screened payee name in Han characters costs less, with the same answers.

* ``SinoBound.at_most`` is never below ``name_similarity`` for a query in Han characters: the screener skips the
  entries it puts out of reach of close_match without changing a result.
* ``han_to_pinyin`` reads a text once (kept per text); its plain and family-name readings are as before.
"""

from __future__ import annotations

from finguard.screening.model.names import analyse_name, han_to_pinyin
from finguard.screening.service.similarity import SinoBound, name_similarity, prepare

QUERIES = ["余帅", "吴瑜超", "周勇", "欧阳修", "單雄信", "张伟", "李明", "王秀英", "曾国藩", "吕方"]
LISTED = [
    "周勇",
    "邵宇",
    "吴超",
    "ZHOU Yong",
    "Zhou, Yong",
    "WU Chao",
    "Yu Shuai",
    "SHUAI Yu",
    "Y. S. YU",
    "LEE Yu Jin",
    "KIM Yong Jin",
    "CHANG Hsiao-ping",
    "Ouyang Xiu",
    "Shan Xiongxin",
    "Zhang Wei",
    "ZHANG, Wei",
    "LI Ming",
    "李铭",
    "Wang Xiuying",
    "Zeng Guofan",
    "LU Fang",
    "محمد علي",
    "弗拉基米尔·普京",
    "Vladimir Putin",
    "Huawei Technologies Co., Ltd.",
]


def test_sino_bound_is_never_below_the_similarity() -> None:
    listed = [prepare(analyse_name(name, None).variants) for name in LISTED]
    bounded = 0
    for query in QUERIES:
        prepared = prepare(analyse_name(query, None).variants)
        if not SinoBound.applies(prepared):
            continue
        bound = SinoBound(prepared)
        for candidate in listed:
            tokens = tuple(dict.fromkeys(t for p in candidate for t in p.tokens))
            sim = name_similarity(prepared, candidate)[0]
            assert bound.at_most(tokens, candidate) >= sim - 1e-9, (query, candidate[0].tokens)
        bounded += 1
    assert bounded >= 5


def test_sino_bound_applies_to_han_and_pinyin_only() -> None:
    assert SinoBound.applies(prepare(analyse_name("余帅", None).variants))
    assert not SinoBound.applies(prepare(analyse_name("Zhang Wei", None).variants))
    assert not SinoBound.applies(prepare(analyse_name("김은정", None).variants))


def test_han_readings_are_as_before() -> None:
    assert han_to_pinyin("单雄信", surname=True) == ["shan", "xiong", "xin"]
    assert han_to_pinyin("单雄信") == ["dan", "xiong", "xin"]
    assert han_to_pinyin("欧阳修", surname=True) == ["ou", "yang", "xiu"]
    assert han_to_pinyin("習近平", tones=True) == ["xi2", "jin4", "ping2"]
    assert han_to_pinyin("吕方") == ["lu", "fang"]
    first = han_to_pinyin("曾国藩", surname=True)
    first.append("x")  # a caller's list is its own: what is kept is not changed
    assert han_to_pinyin("曾国藩", surname=True) == ["zeng", "guo", "fan"]
    assert han_to_pinyin("abc") == []
