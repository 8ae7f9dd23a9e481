"""Candidate ranking's per-name loops (issue #16), compiled with mypyc (:mod:`finguard.compiled`).

What :meth:`~finguard.screening.service.matcher.NameScreener._ranked` does once per name the query's evidence reaches
(thousands for a query of common words): the best weight of each name over the query's spellings
(:func:`merge_best`), the names at least as heavy as a weight (:func:`heavier`), and the order of tied names
(:func:`tie_order`, :func:`~finguard.screening.service.matcher._tie_order`'s body). Pure functions of plain values: the
index's names are read through their attributes (``tie_tokens``, ``legal_forms``), so this module imports none of
the matcher's (its build stamp does not change when the matcher does), and the matcher's constants and hooks the
tests set are passed in by the caller. Pure Python and compiled give the same answers in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def merge_best(acc: dict[Any, Any], mine: dict[Any, Any]) -> None:
    """Each name's best weight: ``acc[name] = weight`` where ``acc`` has no weight for it or a lesser one.

    A name new to ``acc`` is added in ``mine``'s order; a name already there keeps its place (ties among candidates
    are broken by the order the names were first read). Values stay the objects they are (no float boxed again).
    """
    get = acc.get
    for name_id, weight in mine.items():
        old = get(name_id)
        if old is None or weight > old:
            acc[name_id] = weight


def heavier(acc: dict[Any, Any], least: Any) -> list[tuple[Any, Any]]:
    """``acc``'s items whose weight is at least ``least``, in the dict's order."""
    return [(name_id, weight) for name_id, weight in acc.items() if weight >= least]


def tie_order(
    names: Mapping[Any, Any],
    pool: list[Any],
    weight: dict[Any, Any],
    spelled: list[list[Any]],
    initials: set[str],
    legal: tuple[str, ...],
    same_legal_form: Callable[[tuple[str, ...], Any], bool],
) -> list[Any]:
    """:func:`~finguard.screening.service.matcher._tie_order` (its docstring says what the order is) over the index's
    ``names`` (a dict, or a snapshot's ``LayeredMap``: typed a mapping, as the compiled code checks a dict's type);
    ``spelled``: each spelling's groups (a group's third item its near tokens); ``same_legal_form``: the matcher's rule
    for two names' legal forms."""
    # each near token: the query tokens (groups, one bit each) it is near; a spelling's bits: all of its tokens
    where: dict[str, int] = {}
    full: list[int] = []
    bit = 1
    for groups in spelled:
        mask = 0
        for g in groups:
            near: dict[str, float] = g[2]
            for t in near:
                where[t] = where.get(t, 0) | bit
            mask |= bit
            bit <<= 1
        if mask:
            full.append(mask)
    # a query word of two letters may be a listed word cut short (AL-MA for AL-MASRI, Ch'un-yo' for Ch'un-yo'ng): the
    # query words a longer word begins with are the ones equal to its first two letters
    cut = {t: m for t, m in where.items() if len(t) == 2}
    # a name's word the query has no near spelling of is looked up once per call, and kept in where: 0, or the bits of
    # the words cut short it begins with and `flag` (above every query bit: such a word still counts as one the query
    # has nothing for; got may carry the flag, no spelling's mask has it)
    flag = bit
    rounded: dict[Any, Any] = {}  # the pool's few weights, rounded once each
    same_form: dict[tuple[str, ...], int] = {(): 1}  # a listed name's legal forms: 0 if the query's, else 1 (when legal)
    # (name ids and weights are kept as the objects they are: none unboxed to be boxed again for a lookup)
    far: Any = 1 << 20  # boxed once
    keys: list[tuple[Any, Any, int]] = []
    for name_id in pool:
        rec = names.get(name_id)
        x = weight.get(name_id, 0.0)
        w = rounded.get(x)
        if w is None:
            w = rounded[x] = -round(x, 6)
        if rec is None:  # a removed name stays in postings until compaction
            keys.append((w, far, 0))
            continue
        got = 0
        unaccounted = 1 << 20
        tie_tokens: tuple[tuple[str, ...], ...] = rec.tie_tokens
        for tokens in tie_tokens:  # a spelling repeated in another script's reading counts once: the same answer
            missing = 0
            used: set[str] | None = None  # the query's initials spent on this spelling's tokens
            for t in tokens:
                found = where.get(t)
                if found is None:
                    found = where[t] = cut[t[:2]] | flag if cut and len(t) > 2 and t[:2] in cut else 0
                mask = found
                if mask:
                    got |= mask
                    if mask >= flag:  # the query's word cut short accounted for, the name's counted as one it has nothing for
                        missing += 1
                elif t[0] in initials and (used is None or t[0] not in used):
                    used = {t[0]} if used is None else used | {t[0]}
                else:
                    missing += 1
            if missing < unaccounted:
                unaccounted = missing
        key: tuple[Any, Any, int] = (w, far, 0)
        for mask in full:
            if mask & got == mask:
                rank = 0
                if legal:
                    forms: Any = rec.legal_forms
                    form = same_form.get(forms)
                    if form is None:
                        form = same_form[forms] = 0 if same_legal_form(legal, forms) else 1
                    rank = form
                key = (w, unaccounted, rank)
                break
        keys.append(key)
    # sorted by key, stable: ties keep the pool's order (what sorted(pool, key=...) gives). By two stable sorts of plain
    # keys, the second place and third (0 or 1) as one int, then the weight: the same order as by the tuples (a
    # sort's last key the first), each comparison a float's or a small int's (the pool's weights are mostly equal, and
    # tuples that begin alike are compared item by item through the generic comparison)
    second = [k[1] * 2 + k[2] for k in keys]
    order = sorted(range(len(pool)), key=second.__getitem__)
    first = [keys[i][0] for i in order]
    order = [order[i] for i in sorted(range(len(order)), key=first.__getitem__)]
    return [pool[i] for i in order]


def initials_bonus(names: Mapping[Any, Any], top: list[tuple[Any, float]], initials: set[str]) -> dict[Any, float]:
    """Each of ``top``'s names' bonus for the query's written initials its words begin with (0.01 each; 0.0 for a
    name removed from the index, whose id stays in postings until compaction)."""
    bonus: dict[Any, float] = {}
    for name_id, _weight in top:
        name = names.get(name_id)
        if name is None or not name.prepared:
            bonus[name_id] = 0.0
            continue
        tokens: Any = name.prepared[0].tokens
        bonus[name_id] = 0.01 * len(initials.intersection([x[0] for x in tokens]))
    return bonus


def by_bonus(top: list[tuple[Any, float]], bonus: dict[Any, float]) -> None:
    """Sort ``top`` in place by weight plus bonus, heaviest first (stable: ``top.sort(key=lambda kv: -(kv[1] + bonus[kv[0]]))``)."""
    keys = [-(weight + bonus[name_id]) for name_id, weight in top]
    order = sorted(range(len(top)), key=keys.__getitem__)
    top[:] = [top[i] for i in order]


def chosen_with_bonus(
    top: list[tuple[Any, float]],
    bonus: dict[Any, float],
    last: float,
    floor: float,
    own: list[tuple[dict[int, float], float]],
    own_floor: Callable[[Any, list[tuple[dict[int, float], float]]], bool],
) -> dict[Any, float]:
    """The names of ``top`` whose weight plus bonus reach ``last`` (within 1e-9) and whose weight the query's floor,
    or ``own_floor`` says their own spelling's (:func:`~finguard.screening.service.matcher._own_floor`), with weight
    plus bonus, in ``top``'s order."""
    chosen: dict[Any, float] = {}
    least = last - 1e-9
    for name_id, weight in top:
        got = weight + bonus[name_id]
        if got >= least and (weight >= floor or own_floor(name_id, own)):
            chosen[name_id] = got
    return chosen
