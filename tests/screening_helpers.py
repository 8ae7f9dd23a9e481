"""Small builders shared by the screening tests: listed persons and organisations, and one entry's outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from finguard.lists.model.lists import EntryDraft, Party, SubjectKind
from finguard.screening.service import NameScreener, ScreenQuery


def person(key: str, *names: str) -> EntryDraft:
    return EntryDraft(key=key, subject=SubjectKind.PERSON, party=Party(names=tuple(names)))


def org(key: str, *names: str) -> EntryDraft:
    return EntryDraft(key=key, subject=SubjectKind.ORGANISATION, party=Party(names=tuple(names)))


def outcome(s: NameScreener, query: str, entry: int) -> str | None:
    """The outcome of ``entry`` among the query's hits, or None when it is not a hit."""
    hit = next((h for h in s.screen(ScreenQuery(query)) if h.entry_id == entry), None)
    return hit.outcome if hit else None


def blocked(listed: str, query: str, other: str = "Someone Else") -> bool:
    """Whether a listed person ``listed`` (beside one ``other``) reaches scoring for ``query`` (blocking alone)."""
    s = NameScreener()
    s.add(1, "x", person("k", listed))
    s.add(2, "x", person("o", other))
    return 1 in s.candidate_entries(query)


def built(entries: list[tuple[int, EntryDraft]], store: str, tmp_path: Path) -> NameScreener:
    """A screener of ``entries`` (list code ``sdn``) as the index holds them (``memory``) or as a saved and loaded
    snapshot (``snapshot``): the two stores a blocking or reading test runs on."""
    from finguard.screening.store import snapshot

    s = NameScreener()
    for eid, draft in entries:
        s.add(eid, "sdn", draft)
    if store == "memory":
        return s
    path = tmp_path / "names.sqlite"
    snapshot.save(path, "t", s)
    return snapshot.load(path)[1]


Build = Callable[[list[tuple[int, EntryDraft]]], NameScreener]


def build_fixture(others: Sequence[tuple[int, EntryDraft]] = ()) -> Any:
    """A ``build`` fixture for a module: ``build(entries)`` gives a screener of ``entries`` plus ``others``, once on the
    in-memory index and once on a snapshot read back from its file (:func:`built`). Assign it: ``build = build_fixture()``."""

    @pytest.fixture(params=["memory", "snapshot"])
    def build(request: pytest.FixtureRequest, tmp_path: Path) -> Build:
        def make(entries: list[tuple[int, EntryDraft]]) -> NameScreener:
            return built([*entries, *others], request.param, tmp_path)

        return make

    return build
