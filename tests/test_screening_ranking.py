"""Candidate ranking's per-name loops moved to ``ranking.py`` (compiled; issue #16) give what the matcher's code did.

Each function against the expression it replaced in ``matcher._ranked`` / ``_tie_order``, on random weights with many
ties (the case they are for), in whichever form this process runs: compiled when a current build is there, else pure
Python (``FINGUARD_PURE_PYTHON=1`` runs these on the pure one). ``tie_order`` is also checked, through
``matcher._tie_order``, against the order before stop 12 by ``tests/test_screening_cpu12.py``.
"""

from __future__ import annotations

import random

from finguard.screening.service import ranking
from finguard.screening.service.matcher import NameScreener, _own_floor


def _weights(rng: random.Random, n: int) -> dict[int, float]:
    levels = [0.5, 1.25, 2.0000000001, 2.0, 3.7]  # few distinct weights: ties
    ids = rng.sample(range(10 * n), n)
    return {i: rng.choice(levels) * rng.choice((1.0, 1.0, 0.9)) for i in ids}


def test_merge_best_is_the_loop_it_replaced() -> None:
    rng = random.Random(16)
    for _ in range(200):
        acc, mine = _weights(rng, rng.randint(0, 60)), _weights(rng, rng.randint(0, 60))
        want = dict(acc)
        for name_id, weight in mine.items():
            old = want.get(name_id)
            if old is None or weight > old:
                want[name_id] = weight
        ranking.merge_best(acc, mine)
        assert list(acc.items()) == list(want.items())  # the same weights in the same order


def test_heavier_is_the_comprehension_it_replaced() -> None:
    rng = random.Random(17)
    for _ in range(200):
        acc = _weights(rng, rng.randint(1, 80))
        least = rng.choice(list(acc.values()))
        assert ranking.heavier(acc, least) == [kv for kv in acc.items() if kv[1] >= least]


def test_the_initials_bonus_order_and_choice_are_the_code_they_replaced() -> None:
    screener = NameScreener()
    names = ["HEATH, Nigel Thomas", "HEATH, Tom", "HEATH, Anne", "Nora HEATH", "N T HEATH LTD", "HEATH, Nicola Tamsin"]
    for i, listed in enumerate(names * 20):
        screener.add(i + 1, "UN", _draft(listed))
    ix = screener._ix
    rng = random.Random(18)
    ids = list(ix.names)
    for _ in range(100):
        initials = set(rng.sample(["n", "t", "a", "h"], rng.randint(1, 3)))
        top = [(nid, rng.choice([1.0, 1.0, 1.5, 0.99999999999])) for nid in rng.sample(ids, rng.randint(40, len(ids)))]
        top.append((10**9, 1.0))  # a removed name: no bonus
        want_bonus = {nid: _old_bonus(ix.names.get(nid), initials) for nid, _ in top}
        bonus = ranking.initials_bonus(ix.names, top, initials)
        assert bonus == want_bonus
        want_top = sorted(top, key=lambda kv: -(kv[1] + want_bonus[kv[0]]))
        ranking.by_bonus(top, bonus)
        assert top == want_top
        last = top[39][1] + bonus[top[39][0]]
        floor = rng.choice([0.0, 1.0, 1.2])
        own = [({nid: w for nid, w in top[::3]}, 2.0)]
        want = {nid: w + want_bonus[nid] for nid, w in top if w + want_bonus[nid] >= last - 1e-9 and (w >= floor or _own_floor(nid, own))}
        got = ranking.chosen_with_bonus(top, bonus, last, floor, own, _own_floor)
        assert list(got.items()) == list(want.items())


def _old_bonus(name: object, initials: set[str]) -> float:
    if name is None or not name.prepared:  # type: ignore[attr-defined]
        return 0.0
    return 0.01 * len(initials.intersection([x[0] for x in name.prepared[0].tokens]))  # type: ignore[attr-defined]


def _draft(name: str):  # type: ignore[no-untyped-def]
    from finguard.lists.model.lists import draft_from_dict

    kind = "organisation" if name.endswith("LTD") else "person"
    return draft_from_dict({"key": name, "subject": kind, "party": {"names": [name]}})
