"""The house rules of the capability-first layout (#10), checked on the source itself.

import-linter (run by ./scripts/test) enforces the edges between and inside capabilities. These
tests add what it cannot see: no module outside ``finguard.core`` re-implements the clock, the
dialect switches or money parsing, and a newcomer finds each capability's room by its name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "finguard"
CAPABILITIES = ("access", "alerts", "lists", "screening", "guard", "ledger", "monitors", "loans", "identity", "credit", "robots")


def _sources_outside_core() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "core" not in p.relative_to(SRC).parts[:1] and "migrations" not in p.parts]


@pytest.mark.parametrize(
    ("pattern", "home"),
    [
        (r"datetime\.now\(", "finguard.core.clock.utcnow"),
        (r"\.dialect\.name", "finguard.core.db.is_sqlite / dialect_insert"),
        (r"dialects\.(sqlite|postgresql) import insert", "finguard.core.db.dialect_insert"),
        (r"def parse_money|MAX_MINOR\s*=", "finguard.core.money"),
        (r"def (format_money|format_yuan|fen_to_yuan)\b|:,\.2f\}", "finguard.core.money.format_money / format_yuan"),
        (r"^\s*def utcnow\(", "finguard.core.clock.utcnow"),
    ],
)
def test_only_core_implements_the_shared_kernels(pattern: str, home: str) -> None:
    offenders = [
        f"{p.relative_to(SRC)}:{i}"
        for p in _sources_outside_core()
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert not offenders, f"use {home} instead: {offenders}"


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_each_capability_has_its_room(capability: str) -> None:
    room = SRC / capability
    assert room.is_dir()
    assert any((room / part).exists() or (room / f"{part}.py").exists() for part in ("model", "service", "store"))


def test_page_titles_hold_no_markup() -> None:
    """A title block that swallowed a page's sections rendered them inside <title> (found in the
    guard's decision page after a merge); every title block is text and closes on its line."""
    bad = []
    for template in SRC.rglob("templates/*.html"):
        for i, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            if "{% block title %}" in line:
                title = line.split("{% block title %}", 1)[1]
                if "{% endblock %}" not in title or "<" in title.split("{% endblock %}", 1)[0]:
                    bad.append(f"{template.relative_to(SRC)}:{i}")
    assert not bad, bad
