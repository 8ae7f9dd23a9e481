"""Counterparty due diligence: screen parties, keep their hits, record analyst decisions, alert.

Delta screening: when lists change, only parties whose names are near the changed entries'
names are screened again. Parties are kept in a second name index (the same matcher, run the
other way round) so finding the affected parties never scans them all.
"""

from __future__ import annotations

import csv
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Protocol

from finguard.alerts.model import Alert, AlertDraft
from finguard.core import jsonsafe
from finguard.core.csvheader import dict_reader, header_problem, known_case, line_reached, no_data_rows
from finguard.core.errors import FieldProblem, InvalidInput, NotFound, Unavailable
from finguard.lists.model.lists import Change, ChangeOp, EntryDraft, Party, SubjectKind, draft_from_dict
from finguard.lists.service.checking import EntryReader, Freshness
from finguard.screening.model.diligence import (
    Counterparty,
    Decision,
    DecisionKind,
    PartyKind,
    ScreenOutcome,
    counterparty_from_record,
)
from finguard.screening.service.matcher import NameScreener, ScreenHit, ScreenQuery

log = logging.getLogger(__name__)
MAX_HITS = 20


@dataclass(frozen=True, slots=True)
class PartyHit:
    hit: ScreenHit
    entry_version: int
    decision: Decision | None = None  # the latest analyst decision on this pair, if any
    suppressed: bool = False  # a false-positive decision that still applies


@dataclass(frozen=True, slots=True)
class Screening:
    party: Counterparty
    outcome: ScreenOutcome
    hits: tuple[PartyHit, ...]
    seq: int
    screened_at: datetime
    alerts: tuple[int, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class StoredHit:
    entry_id: int
    list_code: str
    listed_name: str
    score: float
    outcome: str
    features: list[dict[str, Any]]
    entry_version: int


class DiligenceStore(Protocol):
    def save_party(self, party: Counterparty, now: datetime) -> int: ...
    def get_party(self, key: str) -> tuple[int, Counterparty] | None: ...
    def parties_by_ids(self, ids: Sequence[int]) -> list[tuple[int, Counterparty]]: ...
    def all_parties(self) -> Iterable[tuple[int, Counterparty]]: ...
    def save_screening(self, party_id: int, outcome: str, hits: Sequence[StoredHit], seq: int, now: datetime) -> list[int]: ...
    def latest_decisions(self, party_id: int) -> dict[int, Decision]: ...
    def add_decision(self, party_id: int, decision: Decision) -> None: ...
    def decisions(self, party_id: int) -> list[Decision]: ...
    def add_alerts(self, alerts: Sequence[AlertDraft], now: datetime) -> list[int]: ...
    def alerts(self, status: str | None, limit: int, offset: int) -> list[Alert]: ...
    def cursor(self, name: str) -> int: ...
    def set_cursor(self, name: str, seq: int) -> None: ...


class ChangeFeed(Protocol):
    def changes_since(self, seq: int, limit: int) -> list[Change]: ...
    def head_seq(self) -> int: ...


Clock = Callable[[], datetime]
_RANK = {ScreenOutcome.MATCH.value: 2, ScreenOutcome.CLOSE_MATCH.value: 1}


def _party_draft(party_id: int, party: Counterparty) -> EntryDraft:
    """A party as a draft, so the same matcher can index parties for delta screening."""
    return EntryDraft(
        key=f"party-{party_id}",
        subject=SubjectKind.ORGANISATION if party.kind is PartyKind.ORGANISATION else SubjectKind.PERSON,
        identifiers=party.identifiers,
        party=Party(names=(party.name,) if party.name else (), birth_dates=(party.birth_date,) if party.birth_date else ()),
    )


class DiligenceService:
    def __init__(
        self,
        store: DiligenceStore,
        entries: EntryReader,
        screener: NameScreener,
        freshness: Freshness,
        feed: ChangeFeed,
        clock: Clock,
    ) -> None:
        self.store = store
        self.entries = entries
        self.screener = screener
        self.freshness = freshness
        self.feed = feed
        self.clock = clock
        self._parties: NameScreener | None = None
        # One delta run at a time in a process (the background thread and an API call).
        self._delta_lock = threading.Lock()

    # -- screening -----------------------------------------------------------------------

    def screen_name(self, query: ScreenQuery, limit: int = 10) -> list[ScreenHit]:
        return screen_name(self.screener, self.freshness, query, limit)

    def screen(self, party: Counterparty, *, persist: bool = True) -> Screening:
        """Screen one counterparty against every list; store it and alert on new hits."""
        if not self.freshness.is_current():
            raise Unavailable("the risk lists cannot be confirmed current; screening is unavailable")
        seq = self.freshness.seq
        query = ScreenQuery(party.name, party.kind.value, party.birth_date, party.country, party.gender, party.identifiers)
        raw_hits = self.screener.screen(query, limit=MAX_HITS)
        versions = {e.id: e.version for e in self.entries.get_entries([h.entry_id for h in raw_hits])} if raw_hits else {}
        now = self.clock()
        if not persist:
            hits = tuple(PartyHit(h, versions.get(h.entry_id, 0)) for h in raw_hits)
            return Screening(party, _overall(hits), hits, seq, now)
        party_id = self.store.save_party(party, now)
        self._index_party(party_id, party)
        decisions = self.store.latest_decisions(party_id)
        digest = party.data_hash()
        hits_list: list[PartyHit] = []
        for h in raw_hits:
            version = versions.get(h.entry_id, 0)
            d = decisions.get(h.entry_id)
            suppressed = d is not None and d.decision is DecisionKind.FALSE_POSITIVE and d.still_applies(digest, version)
            hits_list.append(PartyHit(h, version, d, suppressed))
        hits = tuple(hits_list)
        outcome = _overall(hits)
        stored = [
            StoredHit(
                p.hit.entry_id,
                p.hit.list_code,
                p.hit.listed_name,
                p.hit.score,
                p.hit.outcome,
                [{"name": f.name, "value": f.value, "contribution": f.contribution, "explanation": f.explanation} for f in p.hit.features],
                p.entry_version,
            )
            for p in hits
            if not p.suppressed
        ]
        new_entries = set(self.store.save_screening(party_id, outcome.value, stored, seq, now))
        drafts = [
            AlertDraft(
                kind="screening_hit",
                subject=f"party:{party.key}",
                severity="high" if p.hit.outcome == ScreenOutcome.MATCH.value else "medium",
                summary=(
                    f"{party.name} ({party.purpose.value}) {p.hit.outcome} {p.hit.listed_name} "
                    f"on {p.hit.list_code}, score {p.hit.score:.2f}"
                ),
                details={
                    "party_key": party.key,
                    "purpose": party.purpose.value,
                    "entry_id": p.hit.entry_id,
                    "list_code": p.hit.list_code,
                    "listed_name": p.hit.listed_name,
                    "score": p.hit.score,
                    "outcome": p.hit.outcome,
                },
                source_seq=seq,
            )
            for p in hits
            if not p.suppressed and p.hit.entry_id in new_entries
        ]
        alert_ids = self.store.add_alerts(drafts, now) if drafts else []
        return Screening(party, outcome, hits, seq, now, tuple(alert_ids))

    def screen_records(
        self, records: Iterable[tuple[int, dict[str, Any]]], *, default_purpose: str, progress: Callable[[int], None] | None = None
    ) -> tuple[list[Screening], list[FieldProblem]]:
        """Screen a batch of (line, record). Bad rows are reported by line; the rest are screened."""
        results: list[Screening] = []
        problems: list[FieldProblem] = []
        for n, (line, record) in enumerate(records, start=1):
            if "__problem__" in record:
                problems.append(record["__problem__"])
                continue
            try:
                party = counterparty_from_record(record, default_purpose=default_purpose)
            except InvalidInput as exc:
                problems.extend(FieldProblem(p.field, p.problem, line) for p in exc.problems)
                continue
            try:
                results.append(self.screen(party))
            except InvalidInput as exc:
                problems.extend(FieldProblem(p.field, p.problem, line) for p in exc.problems)
            if progress is not None:
                progress(n)
        return results, problems

    # -- decisions -------------------------------------------------------------------------

    def decide(self, party_key: str, entry_id: int, decision: str, reason: str, actor: str) -> Decision:
        found = self.store.get_party(party_key)
        if found is None:
            raise NotFound(f"no screened party with key {party_key!r}")
        party_id, party = found
        try:
            kind = DecisionKind(decision)
        except ValueError:
            raise InvalidInput.for_field("decision", "must be false_positive or confirmed") from None
        if not reason or not reason.strip():
            raise InvalidInput.for_field("reason", "a decision needs a reason")
        entries = self.entries.get_entries([entry_id])
        if not entries:
            raise NotFound(f"no list entry with id {entry_id}")
        made = Decision(party_key, entry_id, kind, reason.strip(), actor, self.clock(), party.data_hash(), entries[0].version)
        self.store.add_decision(party_id, made)
        return made

    def party(self, key: str) -> tuple[Counterparty, list[Decision]]:
        found = self.store.get_party(key)
        if found is None:
            raise NotFound(f"no screened party with key {key!r}")
        return found[1], self.store.decisions(found[0])

    def alerts(self, status: str | None = "open", limit: int = 100, offset: int = 0) -> list[Alert]:
        if status not in (None, "open", "closed"):
            raise InvalidInput.for_field("status", "must be open or closed")
        if not 1 <= limit <= 1000:
            raise InvalidInput.for_field("limit", "must be between 1 and 1000")
        return self.store.alerts(status, limit, max(offset, 0))

    # -- delta screening -------------------------------------------------------------------

    def _party_index(self) -> NameScreener:
        if self._parties is None:
            index = NameScreener()
            for party_id, party in self.store.all_parties():
                index.add(party_id, "parties", _party_draft(party_id, party))
            self._parties = index
        return self._parties

    def _index_party(self, party_id: int, party: Counterparty) -> None:
        if self._parties is not None:
            self._parties.remove(party_id)
            self._parties.add(party_id, "parties", _party_draft(party_id, party))

    def affected_parties(self, changes: Iterable[Change]) -> set[int]:
        """Parties whose names or identifiers come near an added or modified list entry."""
        index = self._party_index()
        affected: set[int] = set()
        for change in changes:
            if change.op is ChangeOp.DELIST or change.snapshot.get("delisted_at"):
                continue
            draft = draft_from_dict(change.snapshot["draft"])
            names = draft.party.names if draft.party else ()
            for name in names:
                affected.update(c.entry_id for c in index.match(name))
            for ident in draft.identifiers:
                query = ScreenQuery(name=names[0] if names else ident.value, identifiers=(ident,))
                try:
                    affected.update(h.entry_id for h in index.screen(query, limit=50))
                except InvalidInput:
                    continue
        return affected

    def rescreen_pending(self, batch: int = 5000) -> list[int]:
        """Re-screen the parties affected by list changes since the last run; return new alert ids."""
        with self._delta_lock:
            return self._rescreen_pending(batch)

    def _rescreen_pending(self, batch: int) -> list[int]:
        start = self.store.cursor("delta_screening")
        alerts: list[int] = []
        seq = start
        while True:
            changes = self.feed.changes_since(seq, batch)
            if not changes:
                break
            for _party_id, party in self.store.parties_by_ids(sorted(self.affected_parties(changes))):
                alerts.extend(self.screen(party).alerts)
            seq = changes[-1].seq
            self.store.set_cursor("delta_screening", seq)
            if len(changes) < batch:
                break
        return alerts

    def mark_current(self) -> None:
        """Start delta screening from now (parties screened from now on are screened in full)."""
        self.store.set_cursor("delta_screening", self.feed.head_seq())


def name_outcome(hits: Sequence[ScreenHit]) -> ScreenOutcome:
    """The outcome of a name screening: its best hit's, or no match."""
    best = max((_RANK.get(h.outcome, 0) for h in hits), default=0)
    return ScreenOutcome.MATCH if best == 2 else ScreenOutcome.CLOSE_MATCH if best == 1 else ScreenOutcome.NO_MATCH


def _overall(hits: Sequence[PartyHit]) -> ScreenOutcome:
    best = max((_RANK.get(p.hit.outcome, 0) for p in hits if not p.suppressed), default=0)
    return ScreenOutcome.MATCH if best == 2 else ScreenOutcome.CLOSE_MATCH if best == 1 else ScreenOutcome.NO_MATCH


PARTY_COLUMNS = ("key", "kind", "name", "purpose", "birth_date", "country", "gender", "id_type", "id_value")


def read_party_records(fmt: str, stream: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, record) pairs from a CSV (header: PARTY_COLUMNS) or JSON Lines batch file.

    A line that cannot be read at all becomes a record with ``__problem__`` so the batch
    reports it by line number with the others.
    """
    if fmt == "csv":
        reader = dict_reader(stream, PARTY_COLUMNS)  # a comma, or the semicolon / tab a spreadsheet used
        if (problem := header_problem(reader)) is not None:  # e.g. a bare carriage return: unreadable past it
            yield 1, {"__problem__": problem}
            return
        known_case(reader, PARTY_COLUMNS)  # "Name" or " NAME " is the name column
        fieldnames = reader.fieldnames
        unknown = [c for c in fieldnames or () if c not in PARTY_COLUMNS]
        if fieldnames is None or unknown or not {"name", "id_value"} & set(fieldnames):
            why = f"unknown column {unknown[0]!r}" if unknown else "a header row with a name or id_value column is required"
            yield 1, {"__problem__": FieldProblem("header", f"{why}; accepted: {', '.join(PARTY_COLUMNS)}", 1)}
            return
        try:
            for record in reader:
                if None in record:
                    yield reader.line_num, {"__problem__": FieldProblem("row", "has more fields than the header", reader.line_num)}
                    continue
                yield reader.line_num, {k: v for k, v in record.items() if v not in (None, "")}
        except csv.Error as exc:
            at = line_reached(reader)
            yield at, {"__problem__": FieldProblem("row", f"is not valid CSV ({exc}); the rest of the file was not read", at)}
    elif fmt == "jsonl":
        for line_no, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = jsonsafe.loads(line, "row", exact=False)
            except InvalidInput as exc:
                yield line_no, {"__problem__": FieldProblem("row", exc.problems[0].problem, line_no)}
                continue
            if not isinstance(record, dict):
                yield line_no, {"__problem__": FieldProblem("row", "must be a JSON object", line_no)}
                continue
            yield line_no, record
    else:
        raise InvalidInput.for_field("format", "must be csv or jsonl")


def read_party_batch(fmt: str, stream: IO[str], field: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    """Every (line, record) of a batch file (:func:`read_party_records`), refusing a file whose
    header cannot be read or that has no data row (nothing would be screened)."""
    records = list(read_party_records(fmt, stream))
    if not records:
        raise no_data_rows(field, name, "nothing was screened")
    first = records[0][1].get("__problem__")
    if isinstance(first, FieldProblem) and first.field == "header":
        raise InvalidInput(f"header: {first.problem}", problems=[first])
    return records


def screen_name(screener: NameScreener, freshness: Freshness, query: ScreenQuery, limit: int = 10) -> list[ScreenHit]:
    """Ad-hoc name screening (nothing stored). Unavailable when the lists are not confirmed current."""
    if not freshness.is_current():
        raise Unavailable("the risk lists cannot be confirmed current; screening is unavailable")
    if not 1 <= limit <= 100:
        raise InvalidInput.for_field("limit", "must be between 1 and 100")
    return screener.screen(query, limit=limit)
