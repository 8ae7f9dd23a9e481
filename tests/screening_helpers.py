"""Small builders shared by the screening tests: listed persons and organisations, and one entry's outcome."""

from __future__ import annotations

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
