"""Issue #19 (guard14): a screened payee name in Han characters costs less, with the same answers.

* ``SinoBound.at_most`` is never below ``name_similarity`` for a query in Han characters: the screener skips the
  entries it puts out of reach of close_match without changing a result.
* ``han_to_pinyin`` reads a text once (kept per text); its plain and family-name readings are as before.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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


# Han characters of common surnames and given names (several with more than one reading: 单 曾 乐 朴 解)
HAN = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "单乐朴解伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉鑫宇帅瑜铭"
)
SYLLABLES = [
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu", "hu", "guo",
    "he", "gao", "lin", "luo", "zheng", "liang", "xie", "song", "tang", "han", "feng", "deng", "cao", "peng", "zeng",
    "yu", "shuai", "ming", "wei", "fang", "na", "xiu", "min", "jing", "qiang", "lei", "jun", "yong", "jie", "chao",
    "shan", "dan", "xiong", "xin", "ou", "le", "yue", "piao", "pu", "xie", "jie", "kim", "lee", "park", "ying", "hua",
]  # fmt: skip


def _han_name() -> st.SearchStrategy[str]:
    return st.text(alphabet=HAN, min_size=2, max_size=4)


def _listed_name() -> st.SearchStrategy[str]:
    latin = st.lists(st.sampled_from(SYLLABLES), min_size=2, max_size=4).flatmap(
        lambda s: st.sampled_from(
            [
                " ".join(x.capitalize() for x in s),
                f"{s[0].upper()}, {''.join(s[1:]).capitalize()}",
                f"{s[0].upper()} {'-'.join(x.capitalize() for x in s[1:])}",
                " ".join(x[0].upper() + "." for x in s[1:]) + " " + s[0].upper(),
            ]
        )
    )
    return st.one_of(_han_name(), latin)


def _near(query: str, data: st.DataObject) -> str:
    """A listed name near the query: its reading with a syllable changed, dropped, joined or reordered, in a list's
    usual layouts, or Han characters with one changed (so the pairs reach close_match, not only the random far ones)."""
    if data.draw(st.booleans()) and all("\u4e00" <= ch <= "\u9fff" for ch in query):
        i = data.draw(st.integers(0, len(query) - 1))
        return query[:i] + data.draw(st.sampled_from(HAN)) + query[i + 1 :]
    syl = han_to_pinyin(query) if all("\u4e00" <= ch <= "\u9fff" for ch in query) else query.split()
    syl = list(syl)
    edit = data.draw(st.sampled_from(["same", "change", "drop", "swap"]))
    i = data.draw(st.integers(0, len(syl) - 1))
    if edit == "change":
        syl[i] = data.draw(st.sampled_from(SYLLABLES))
    elif edit == "drop" and len(syl) > 1:
        del syl[i]
    elif edit == "swap" and len(syl) > 1:
        syl = syl[1:] + syl[:1]
    layout = data.draw(st.integers(0, 3))
    if layout == 0:
        return " ".join(x.capitalize() for x in syl)
    if layout == 1:
        return f"{syl[0].upper()}, {''.join(syl[1:]).capitalize() or syl[0]}"
    if layout == 2:
        return f"{syl[0].upper()} {'-'.join(x.capitalize() for x in syl[1:])}"
    return "".join(syl).capitalize() + " " + syl[-1].upper()


@settings(max_examples=500, deadline=None)
@given(
    query=st.one_of(_han_name(), st.lists(st.sampled_from(SYLLABLES), min_size=2, max_size=3).map(" ".join)),
    far=_listed_name(),
    data=st.data(),
)
def test_sino_bound_is_never_below_the_similarity_on_random_pairs(query: str, far: str, data: st.DataObject) -> None:
    """The ceiling the screener skips by must hold for any pair, not only the examples above: a bound below the real
    similarity would drop a listed name silently. Pairs far apart and pairs near (the query's own reading, perturbed)."""
    prepared = prepare(analyse_name(query, None).variants)
    if not SinoBound.applies(prepared):
        return
    bound = SinoBound(prepared)
    for listed in (far, _near(query, data)):
        candidate = prepare(analyse_name(listed, None).variants)
        tokens = tuple(dict.fromkeys(t for p in candidate for t in p.tokens))
        assert bound.at_most(tokens, candidate) >= name_similarity(prepared, candidate)[0] - 1e-9, listed
