"""Wiring of the name screener, with a snapshot on disk so a process is ready in seconds.

Analysing every listed name (pinyin, transliterations, sound keys) takes seconds per 10,000
names; a process would pay it at every start. The screener is therefore saved as a snapshot
after it is built, keyed by the database, the screening code and the thresholds, and tagged
with the change-log sequence it reflects. The next process loads the snapshot and replays only
the changes after that sequence. When the change log has moved far past a snapshot (more than
``REBUILD_AFTER`` changes), the screener is rebuilt from the entries and the snapshot replaced.

A snapshot is an SQLite file in the per-user data folder (``FINGUARD_HOME``), read in place
(:mod:`finguard.screening.store.snapshot`): opening it costs the same for 27,000 names as for a
million; whoever can write that folder can already change the database beside it. A snapshot
that cannot be read, or that was made from another database or another version of the code, is
ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from finguard.lists.model.lists import Change, EntryDraft
from finguard.screening.service.matcher import NameScreener, Thresholds
from finguard.screening.store import snapshot

log = logging.getLogger(__name__)
REBUILD_AFTER = 50_000
FORMAT = snapshot.FORMAT
CODE = Path(__file__).parent


class EntrySource(Protocol):
    def iter_party_entries(self) -> Iterator[tuple[int, str, EntryDraft]]: ...
    def changes_since(self, seq: int, limit: int) -> list[Change]: ...


@dataclass(frozen=True, slots=True)
class _Tag:
    seq: int
    at: str  # the time of the change at ``seq``: a snapshot of another database will not agree


def _fingerprint(database: str, per_list: dict[str, Thresholds]) -> str:
    """Database, screening code and data (nicknames) and thresholds: a snapshot of any other combination is not reused."""
    h = hashlib.sha256(f"{FORMAT}|{database}|{sorted((k, repr(v)) for k, v in per_list.items())}".encode())
    for src in sorted([*CODE.rglob("*.py"), *(CODE / "data").glob("*.csv"), CODE.parent / "core" / "text.py"]):
        h.update(src.read_bytes())
    return h.hexdigest()[:20]


def _tag(source: EntrySource, seq: int) -> _Tag:
    if seq <= 0:
        return _Tag(0, "")
    found = source.changes_since(seq - 1, 1)
    return _Tag(seq, found[0].at.isoformat() if found and found[0].seq == seq else "")


def _replay(screener: NameScreener, source: EntrySource, since: int, limit: int | None = None) -> int | None:
    """Apply the changes after ``since``; the last sequence applied, or None past ``limit``."""
    seen = 0
    while batch := source.changes_since(since, 5000):
        screener.apply(batch)
        since = batch[-1].seq
        seen += len(batch)
        if limit is not None and seen > limit:
            return None
    return since


def _load(path: Path, source: EntrySource) -> NameScreener | None:
    try:
        tag, screener = snapshot.load(path)
    except (OSError, sqlite3.Error, EOFError, ValueError, TypeError, KeyError, AttributeError, ImportError) as exc:
        log.warning("name snapshot %s unreadable (%s): rebuilding", path, exc)
        return None
    if not isinstance(tag, _Tag) or _tag(source, tag.seq) != tag:
        log.info("name snapshot %s is of another change log: rebuilding", path)
        return None
    last = _replay(screener, source, tag.seq, REBUILD_AFTER)
    if last is None:
        log.info("change log moved more than %d changes past the name snapshot: rebuilding", REBUILD_AFTER)
        return None
    screener.seq = max(screener.seq, last)
    return screener


def _save(path: Path, screener: NameScreener, tag: _Tag) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        snapshot.save(path, tag, screener)
    except (OSError, sqlite3.Error) as exc:  # a read-only folder costs the next start time, nothing else
        log.warning("could not save the name snapshot %s: %s", path, exc)
        for tmp in path.parent.glob(f"{path.stem}.tmp*"):
            tmp.unlink(missing_ok=True)


def build_screener(
    source: EntrySource, since: int, per_list: dict[str, Thresholds], *, snapshot_dir: Path | None = None, database: str = ""
) -> NameScreener:
    """The screener of every active party entry, current at least to sequence ``since``."""
    path = snapshot_dir / f"names-{_fingerprint(database, per_list)}.sqlite" if snapshot_dir else None
    if path is not None and path.is_file():
        loaded = _load(path, source)
        if loaded is not None:
            return loaded  # its seq: the snapshot's, or the last change replayed (_load)
    screener = NameScreener(per_list=per_list)
    for entry_id, list_code, draft in source.iter_party_entries():
        screener.add(entry_id, list_code, draft)
    # A change committed while the entries were read may be missing from them; replaying it is
    # harmless (the screener keeps the newest version of an entry).
    last = _replay(screener, source, since) or since
    screener.seq = max(screener.seq, last)
    if path is not None:
        _save(path, screener, _tag(source, last))
    return screener
