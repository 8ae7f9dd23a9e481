"""The payee check: look identifiers up in the hot index, confirm against the store, decide.

The name matcher is a Protocol: issue #3's fuzzy matcher replaces :class:`ExactNameMatcher`
without any change to callers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from finguard.domain.check import (
    CheckRequest,
    CheckResult,
    Hit,
    MatchKind,
    Outcome,
    ParsedRequest,
    decide,
    parse_request,
)
from finguard.domain.errors import InvalidInput
from finguard.domain.identifiers import identifier_key, mask
from finguard.domain.lists import Entry
from finguard.domain.names import name_key
from finguard.services.index import HotIndex

log = logging.getLogger(__name__)


class EntryReader(Protocol):
    def get_entries(self, entry_ids: Sequence[int]) -> list[Entry]: ...


class Freshness(Protocol):
    """Whether this process can confirm its index reflects every committed change."""

    seq: int

    def is_current(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class NameCandidate:
    entry_id: int
    score: float
    matched_name: str


class NameMatcher(Protocol):
    def match(self, name: str) -> list[NameCandidate]: ...


class ExactNameMatcher:
    """Equal names after :func:`name_key` (order, case, accents and punctuation ignored)."""

    def __init__(self, index: HotIndex) -> None:
        self.index = index

    def match(self, name: str) -> list[NameCandidate]:
        key = name_key(name)
        if not key:
            return []
        return [NameCandidate(entry_id, 1.0, name) for entry_id in self.index.lookup_name(key)]


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """One check, for the audit and abuse-review log. Identifiers are masked."""

    check_id: str
    at: datetime
    view: str
    client: str
    query: dict[str, str]
    outcome: str
    seq: int


class CheckLog(Protocol):
    def record(self, record: CheckRecord) -> None: ...


class NullCheckLog:
    def record(self, record: CheckRecord) -> None:
        return None


Clock = Callable[[], datetime]


class PayeeChecker:
    def __init__(
        self,
        entries: EntryReader,
        index: HotIndex,
        freshness: Freshness,
        clock: Clock,
        names: NameMatcher | None = None,
        check_log: CheckLog | None = None,
    ) -> None:
        self.entries = entries
        self.index = index
        self.freshness = freshness
        self.clock = clock
        self.names: NameMatcher = names or ExactNameMatcher(index)
        self.check_log: CheckLog = check_log or NullCheckLog()

    def check(self, request: CheckRequest, *, view: str = "staff", client: str = "library") -> CheckResult:
        """Check one payee. Raises InvalidInput for a malformed request; never raises for a fault."""
        parsed = parse_request(request)
        return self._finish([parsed], view=view, client=client)[0]

    def check_many(
        self, requests: Sequence[CheckRequest], *, view: str = "staff", client: str = "library"
    ) -> list[CheckResult | InvalidInput]:
        """Check a batch; a malformed item gets its own error and does not stop the others."""
        parsed: list[ParsedRequest | InvalidInput] = []
        for req in requests:
            try:
                parsed.append(parse_request(req))
            except InvalidInput as exc:
                parsed.append(exc)
        good = [p for p in parsed if isinstance(p, ParsedRequest)]
        results = iter(self._finish(good, view=view, client=client))
        return [p if isinstance(p, InvalidInput) else next(results) for p in parsed]

    def _finish(self, parsed: list[ParsedRequest], *, view: str, client: str) -> list[CheckResult]:
        now = self.clock()
        if not self.freshness.is_current():
            return [self._unavailable(p, now, view, client, "the risk lists cannot be confirmed current") for p in parsed]
        seq = self.freshness.seq
        keys = [identifier_key(probe.id_type, probe.value) for p in parsed for probe in p.probes]
        postings = self.index.lookup_many(keys) if len(keys) > 8 else [self.index.lookup(k) for k in keys]
        name_cands = [self.names.match(p.name) if p.name else [] for p in parsed]
        wanted = {e for ids in postings for e in ids} | {c.entry_id for cands in name_cands for c in cands}
        try:
            entries = {e.id: e for e in self.entries.get_entries(sorted(wanted))} if wanted else {}
        except Exception as exc:  # the store is down: the answer is 'unavailable', never 'pass'
            log.warning("payee check could not read entries: %s", exc)
            return [self._unavailable(p, now, view, client, "the risk list store cannot be read") for p in parsed]
        out: list[CheckResult] = []
        pos = 0
        for p, cands in zip(parsed, name_cands, strict=True):
            hits: list[Hit] = []
            for probe in p.probes:
                for entry_id in postings[pos]:
                    entry = entries.get(entry_id)
                    if entry is None or not entry.is_active(now):
                        continue
                    if not any(i.type == probe.id_type and i.value == probe.value for i in entry.draft.identifiers):
                        continue  # a 64-bit key collision, not a hit
                    hits.append(_hit(entry, probe.field, MatchKind.EXACT, probe.value, 1.0))
                pos += 1
            for cand in cands:
                entry = entries.get(cand.entry_id)
                if entry is not None and entry.is_active(now):
                    hits.append(_hit(entry, "name", MatchKind.NAME, cand.matched_name, cand.score))
            outcome, level, reasons = decide(hits)
            result = CheckResult(uuid.uuid4().hex, outcome, level, tuple(hits), seq, now, reasons)
            self._log(result, p, view, client)
            out.append(result)
        return out

    def _unavailable(self, p: ParsedRequest, now: datetime, view: str, client: str, why: str) -> CheckResult:
        result = CheckResult(uuid.uuid4().hex, Outcome.UNAVAILABLE, None, (), self.freshness.seq, now, (why,))
        self._log(result, p, view, client)
        return result

    def _log(self, result: CheckResult, p: ParsedRequest, view: str, client: str) -> None:
        query = {probe.field: mask(probe.id_type, probe.value) for probe in p.probes}
        if p.name:
            query["name"] = p.name[:1] + "*" * min(len(p.name) - 1, 8)
        try:
            self.check_log.record(CheckRecord(result.check_id, result.checked_at, view, client, query, result.outcome.value, result.seq))
        except Exception as exc:  # the audit log must not turn an answer into a crash
            log.error("check log failed: %s", exc)


def _hit(entry: Entry, field: str, match: MatchKind, value: str, score: float) -> Hit:
    d = entry.draft
    return Hit(
        list_code=entry.list_code,
        list_kind=entry.list_kind,
        entry_id=entry.id,
        entry_key=d.key,
        field=field,
        match=match,
        risk_level=entry.risk_level,
        reason=d.reason,
        source=d.source,
        evidence_ref=d.evidence_ref,
        listed_at=d.listed_at,
        matched_value=value,
        score=score,
    )
