"""Stop 25: a firm's words joined in the query (``Rt`` for listed ``R & T``) before a word cut short never raises.

``matcher._firm_words_differ`` reads a query word as listed when it is a listed word or a run of listed words joined;
the place of a joined run was looked up with ``tuple.index``, which raised ``ValueError`` for it (found by the held-out
negatives of pass 17, seed 3131, with the loose screener the peer's candidate pool uses).
"""

from __future__ import annotations

from finguard.core.errors import InvalidInput
from finguard.screening.service import NameScreener, ScreenQuery, Thresholds
from tests.screening_helpers import org


def _screener(thresholds: Thresholds) -> NameScreener:
    s = NameScreener(thresholds)
    s.add(1, "x", org("a", "AB CD TRADING LLC"))
    s.add(2, "x", org("b", "R & T MARINE SERVICES LTD"))
    return s


def test_a_joined_run_before_a_word_cut_short_is_screened() -> None:
    s = _screener(Thresholds(match=0.5, close_match=0.5))
    for query, listed in (("Abcd Tradin", "AB CD TRADING LLC"), ("Rt Marin", "R & T MARINE SERVICES LTD")):
        hits = s.screen(ScreenQuery(query))
        assert hits and hits[0].listed_name == listed  # the run's place is its last word: the cut word comes after it


def test_the_default_thresholds_answer_the_same_queries() -> None:
    s = _screener(Thresholds())
    for query in ("Abcd Tradin", "Rt Marin", "RT Mar"):
        s.screen(ScreenQuery(query))  # answered, whatever the outcome


_WORDS = ("ab", "cd", "r", "&", "t", "trading", "marine", "services", "llc", "ltd", "al", "noor", "co")


def test_queries_made_of_listed_words_joined_and_cut_are_answered() -> None:
    """Hypothesis: a query of listed words, some joined, some cut short, with or without a legal form, is answered
    (never raises, but a name with no letters refused as such) by a loose and a default screener."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    screeners = [_screener(Thresholds(match=0.5, close_match=0.5)), _screener(Thresholds())]
    for s in screeners:
        s.add(3, "x", org("c", "AL NOOR TRADING CO"))

    word = st.sampled_from(_WORDS).flatmap(lambda w: st.sampled_from([w, w[: max(1, len(w) - 2)], w.upper()]))
    joined = st.lists(word, min_size=1, max_size=3).map("".join)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(word, joined), min_size=1, max_size=4))
    def run(words: list[str]) -> None:
        q = " ".join(words)
        for s in screeners:
            try:
                s.screen(ScreenQuery(q))
            except InvalidInput as exc:  # "&" alone: no letters, refused by name, as it should be
                assert [p.field for p in exc.problems] == ["name"]

    run()
