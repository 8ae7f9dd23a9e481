"""Small builders shared by the screening tests: listed persons and organisations, and one entry's outcome."""

from __future__ import annotations

from pathlib import Path

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
