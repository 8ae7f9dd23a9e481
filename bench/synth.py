"""Synthetic identifiers for the benchmark: deterministic, unique, already normalised and valid.

Mix (by ``i % 10``): accounts 40 %, Luhn-valid cards 30 %, +86 mobiles 20 %, resident ID numbers
with valid GB 11643 check digits 10 %. ``value(i)`` for ``i >= n`` gives identifiers of the same
shapes that are not on the list (misses), from a disjoint range.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from finguard.core.identifiers import IdType
from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind

KINDS = (IdType.ACCOUNT,) * 4 + (IdType.CARD,) * 3 + (IdType.PHONE,) * 2 + (IdType.ID_NUMBER,)
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"
_EPOCH = date(1950, 1, 1)
_DAYS = 365 * 50


def luhn_check_digit(body: str) -> str:
    total = 0
    for pos, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if pos % 2 == 0:  # doubled: these positions become odd once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def ric_check_digit(body17: str) -> str:
    return _RIC_CHECK[sum(int(c) * w for c, w in zip(body17, _RIC_WEIGHTS, strict=True)) % 11]


def value(i: int) -> tuple[IdType, str]:
    """The i-th identifier (unique over i)."""
    kind = KINDS[i % 10]
    j = i // 10  # unique within a kind
    if kind is IdType.ACCOUNT:
        return kind, f"62{(i // 10) * 4 + i % 10:014d}"
    if kind is IdType.CARD:
        body = f"4{j * 3 + i % 10 - 4:014d}"
        return kind, body + luhn_check_digit(body)
    if kind is IdType.PHONE:
        n = j * 2 + i % 10 - 7  # 0 .. 2*N/10; 8 digits hold 100M
        prefix = ("138", "139", "150", "186", "135")[n // 100_000_000]
        return kind, f"+86{prefix}{n % 100_000_000:08d}"
    seq = j % 1000
    born = _EPOCH + timedelta(days=(j // 1000) % _DAYS)
    area = ("110105", "310101", "440106", "510104", "330106", "420102")[(j // (1000 * _DAYS)) % 6]
    body = f"{area}{born:%Y%m%d}{seq:03d}"
    return kind, body + ric_check_digit(body)


def draft(i: int) -> EntryDraft:
    kind, v = value(i)
    return EntryDraft(f"{kind.value}:{v}", SubjectKind.IDENTIFIER, (Identifier(kind, v),), reason="synthetic benchmark entry")


def drafts(n: int, start: int = 0) -> Iterator[EntryDraft]:
    for i in range(start, start + n):
        yield draft(i)
