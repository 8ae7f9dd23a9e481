"""The twelfth pass's CPU change changes no answer (issue #16): ``_tie_order`` against the code it replaced.

``_tie_order`` reads each tied name's distinct non-Han token tuples, kept once per listed name at index time
(``_Name.tie_tokens``); before, it walked every spelling of the name for every query, skipping the Han ones and
reading a spelling repeated by another reading again.
"""

from __future__ import annotations

import random

from finguard.lists.model.lists import EntryDraft, Party, SubjectKind
from finguard.screening.service import NameScreener, matcher

NAMES = [
    "李明",
    "毛泽东",
    "金正恩",
    "김정은",
    "Kim Jong Un",
    "山田太郎",
    "Владимир Путин",
    "MUHAMMAD JAMAL GROUP",
    "MUHAMMAD, Ali",
    "AHMED, A",
    "Ahmed, Karim A.",
    "محمد علي",
    "عبدالله عبده",
    "Ali Ali",
    "華為技術有限公司",
    "HUAWEI TECHNOLOGIES CO. LTD.",
]


def _old_tie_order(
    ix: matcher._Index, pool: list[int], weight: dict[int, float], spelled: list[list[matcher._Group]], initials: set[str]
) -> list[int]:
    """``_tie_order`` as it was: every spelling of each name read, Han ones skipped."""
    where: dict[str, int] = {}
    full: list[int] = []
    bit = 1
    for groups in spelled:
        mask = 0
        for g in groups:
            for t in g[2]:
                where[t] = where.get(t, 0) | bit
            mask |= bit
            bit <<= 1
        if mask:
            full.append(mask)

    def key(name_id: int) -> tuple[float, int]:
        rec = ix.names.get(name_id)
        w = -round(weight.get(name_id, 0.0), 6)
        if rec is None:
            return (w, 1 << 20)
        got = 0
        unaccounted = 1 << 20
        for p in rec.prepared:
            if p.kind == "han":
                continue
            missing = 0
            used: set[str] = set()
            for t in p.tokens:
                mask = where.get(t, 0)
                if mask:
                    got |= mask
                elif t[0] in initials and t[0] not in used:
                    used.add(t[0])
                else:
                    missing += 1
            unaccounted = min(unaccounted, missing)
        for mask in full:
            if mask & got == mask:
                return (w, unaccounted)
        return (w, 1 << 20)

    return sorted(pool, key=key)


def test_tie_tokens_are_the_distinct_non_han_spellings() -> None:
    s = NameScreener()
    for i, name in enumerate(NAMES):
        s.add(i, "x", EntryDraft(f"n{i}", SubjectKind.PERSON, (), Party(names=(name,))))
    for rec in s._ix.names.values():
        assert list(rec.tie_tokens) == list(dict.fromkeys(p.tokens for p in rec.prepared if p.kind != "han"))
        assert all(any(t is p.tokens for p in rec.prepared) for t in rec.tie_tokens)  # no copies kept


def test_tie_order_is_the_one_it_replaced() -> None:
    s = NameScreener()
    for i, name in enumerate(NAMES):
        s.add(i, "x", EntryDraft(f"n{i}", SubjectKind.PERSON, (), Party(names=(name,))))
    ix = s._ix
    tokens = sorted({t for rec in ix.names.values() for p in rec.prepared for t in p.tokens})
    rng = random.Random(12)
    pool = [*ix.names, 10_000]  # a removed name stays in postings until compaction
    for _ in range(300):
        spelled = [
            [(1, [], {t: 1.0 for t in rng.sample(tokens, rng.randint(1, 3))}, 1.0) for _ in range(rng.randint(1, 3))]
            for _ in range(rng.randint(1, 3))
        ]
        initials = set(rng.sample("akmjvsh", rng.randint(0, 2)))
        weight = {nid: rng.choice([1.0, 1.0, 2.0]) for nid in pool}
        rng.shuffle(pool)
        assert matcher._tie_order(ix, pool, weight, spelled, initials) == _old_tie_order(ix, pool, weight, spelled, initials)
