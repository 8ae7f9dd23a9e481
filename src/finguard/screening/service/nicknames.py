"""Given-name nicknames and diminutives: ``Bill`` / ``William``, ``Ted`` / ``Theodore``, ``Sasha`` / ``Aleksandr``.

Two open lists in ``screening/data`` (see its PROVENANCE.md), read once on first use: the
``nicknames`` package's English dataset (Apache-2.0, copied verbatim) and a short list of Russian
and Ukrainian diminutives. Tokens are compared as the screener holds them: folded ASCII, lower case.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

FILES = ("nicknames.csv", "diminutives.csv")


@lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[str]]:
    pairs: dict[str, set[str]] = {}
    data = resources.files("finguard.screening").joinpath("data")
    for name in FILES:
        for row in csv.DictReader(io.StringIO(data.joinpath(name).read_text(encoding="utf-8"))):
            a, b = row["name1"].strip().lower(), row["name2"].strip().lower()
            if a and b and a != b and a.isalpha() and b.isalpha():
                pairs.setdefault(a, set()).add(b)
                pairs.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in pairs.items()}


def table() -> dict[str, frozenset[str]]:
    """Every given name in the lists and the names it is nickname-related to."""
    return _table()


def partners(token: str) -> frozenset[str]:
    """The given names ``token`` is a nickname of, and the nicknames of ``token``."""
    return _table().get(token, frozenset())


def related(a: str, b: str) -> bool:
    """``bill`` and ``william`` (either way round); a name is not its own nickname."""
    return a != b and b in _table().get(a, ())
