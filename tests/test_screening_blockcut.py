"""Candidate generation (#16, screenblk): a word after the Arabic article cut to two or three letters.

``AL-AQ E.V.`` for ``AL-AQSA E.V.``, ``Mohammed AL-MA`` for ``Mohammed AL-MASRI``: the cut word is no listed word (or
another name's: ``Ma``), too short for the prefix keys, and the article ties with every al- name. Listed names are also
keyed by the first two and three letters of each word after the article (``matcher._compact_keys``), looked up for
such a query (``matcher._near_whole``). Each runs on the in-memory index and on a snapshot read back from its file.
"""

from __future__ import annotations

import random

from finguard.screening.service import NameScreener
from finguard.screening.service.matcher import ARTICLE_CUT_MAX, ARTICLE_MARK, _compact_keys
from tests.screening_helpers import Build, build_fixture, org, person

build = build_fixture()


def _words(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice("bdfghklnrstz") + rng.choice("aeiou") for _ in range(3)) for _ in range(n)]


def _crowd() -> list[tuple[int, object]]:
    """Hundreds of al- names of persons named Mohammed and of companies, and names with Ma and Aq as a word."""
    words = _words(1900)
    out: list[tuple[int, object]] = [(100 + i, person(f"p{i}", f"Mohammed AL-{w.upper()}")) for i, w in enumerate(words[:800])]
    out += [(1000 + i, org(f"o{i}", f"AL-{w.upper()} E.V.")) for i, w in enumerate(words[800:1600])]
    out += [(2000 + i, person(f"m{i}", f"Ma {w.title()}")) for i, w in enumerate(words[1600:1750])]
    out += [(3000 + i, person(f"a{i}", f"Aq {w.title()}")) for i, w in enumerate(words[1750:])]
    return out


def test_a_word_cut_short_after_the_article_finds_the_whole_word(build: Build) -> None:
    s = build([*_crowd(), (1, person("a", "Mohammed AL-MASRI")), (2, org("b", "AL-AQSA E.V.")), (3, org("c", "EL-QASR GROUP"))])
    assert 2 in s.candidate_entries("AL-AQ E.V.")  # two letters
    assert 2 in s.candidate_entries("AL-AQS E.V.")  # three
    assert 1 in s.candidate_entries("Mohammed AL-MA")  # a cut word that is another name's (Ma)
    assert 3 in s.candidate_entries("EL-QA GROUP")  # el- is the article too


def test_article_cut_keys_are_the_words_first_letters_after_the_article() -> None:
    s = NameScreener()
    s.add(1, "sdn", person("a", "Mohammed AL-MASRI"))
    s.add(2, "sdn", person("b", "AL ZA"))  # a word of two letters is no cut
    keys = _compact_keys(s._ix.names[0].prepared)
    assert {k for k in keys if k.startswith(ARTICLE_MARK)} == {ARTICLE_MARK + "ma", ARTICLE_MARK + "mas"}
    assert not any(k.startswith(ARTICLE_MARK) for k in _compact_keys(s._ix.names[1].prepared))


def test_a_common_cut_brings_only_names_sharing_another_word_and_at_most_the_cap() -> None:
    s = NameScreener()
    words = ["ma" + w for w in _words(3 * ARTICLE_CUT_MAX, seed=7)]
    for i, w in enumerate(words):
        s.add(i, "sdn", person(f"p{i}", f"{'Karim' if i % 2 else 'Omar'} AL-{w.upper()}"))
    found = s.candidate_entries("Yusuf AL-MA")  # no other word of the query on them: the article cut brings none
    assert len(found) <= 100
    karims = s.candidate_entries("Karim AL-MA")
    assert karims and all(eid % 2 for eid in karims)
    assert len(karims) >= min(ARTICLE_CUT_MAX, len(words) // 2)


def _arabic_crowd() -> list[tuple[int, object]]:
    """Hundreds of persons named Hassan, Abdul, Ali, Abdul Qadir ... and one word more (each ties with a query on its common word)."""
    words = _words(3000, seed=3)
    firsts = ("Hassan", "Abdul", "Ali", "Abdul Qadir", "Abdul Rahman", "Yasin")
    return [(100 + i, person(f"p{i}", f"{firsts[i % len(firsts)]} {w.title()}")) for i, w in enumerate(words)]


def test_arabic_article_spellings_reach_the_listed_name(build: Build) -> None:
    """The article written with a hamza (``ألبغدادي``), apart after عبد (``عبد ال رحمن``), or without its alif after
    عبد (``عبدلرحمن``, a defective spelling): each was read as no listed word, and the name tied with hundreds."""
    s = build(
        [
            *_arabic_crowd(),
            (1, person("a", "AL-BAGHDADI, Hassan")),
            (2, person("b", "YASIN, Abdul Rahman")),
            (3, person("c", "QADIR, Abdul")),
            (4, person("d", "ABD AL-RAHMAN, Atiyah")),
        ]
    )
    assert 1 in s.candidate_entries("حسن ألبغدادي")
    assert 2 in s.candidate_entries("عبد ال رحمن یاسین")
    assert 3 in s.candidate_entries("عبدلقادر")
    assert 4 in s.candidate_entries("عطية عبدلرحمن")


def test_arabic_article_spellings_are_read_as_the_article() -> None:
    from finguard.screening.model import scripts as sc
    from finguard.screening.model.names import analyse_name

    assert sc.arabic_prepare("عبدلرحمن") == sc.arabic_prepare("عبد الرحمن") == sc.arabic_prepare("عبد ال رحمن") == "عبدالرحمن"
    assert sc.arabic_prepare("عبدلي") == "عبدلي"  # Abdelli, a name of its own: no name after the article
    assert sc.arabic_hamza_article("حسن ألبغدادي") == "حسن ال بغدادي"
    # a name that opens with أل is read as written too (ألطاف, Altaf)
    readings = {v.tokens for v in analyse_name("ألطاف حسين").variants}
    assert ("ltaf", "hsyn") in readings and ("al", "taf", "hsyn") in readings


def test_many_names_under_a_cut_prefer_those_of_as_many_words(build: Build) -> None:
    """``AL-AQ E.V.``: hundreds of listed names open a word after al- with aq (AL-AQSA FOUNDATION ...), and the query
    has no other word: the ones of about as many words as the query are scored."""
    longer = [
        (100 + i, org(f"l{i}", f"AL-AQ{w.upper()} {v.upper()} FOUNDATION"))
        for i, (w, v) in enumerate(zip(_words(300), _words(300, 5), strict=True))
    ]
    s = build([*longer, (1, org("a", "AL-AQSA E.V."))])
    assert len(s._ix.compacts[ARTICLE_MARK + "aq"]) > ARTICLE_CUT_MAX
    assert 1 in s.candidate_entries("AL-AQ E.V.")
