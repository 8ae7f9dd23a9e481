"""The payee check: look identifiers up in the hot index, confirm against the store, decide.

The name matcher is a Protocol: issue #3's fuzzy matcher replaces :class:`ExactNameMatcher`
without any change to callers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

import numpy as np

from finguard.core.errors import InvalidIdentifier, InvalidInput
from finguard.core.identifiers import IdType, identifier_key, mask, normalize
from finguard.core.text import name_key
from finguard.lists.model.check import (
    CHECK_FIELDS,
    MAX_NAME_LENGTH,
    CheckRequest,
    CheckResult,
    Hit,
    MatchKind,
    Outcome,
    ParsedRequest,
    decide,
    parse_request,
)
from finguard.lists.model.lists import Entry
from finguard.lists.service.index import HotIndex

log = logging.getLogger(__name__)
PUBLIC_NEEDS_IDENTIFIER = "give an account, card or phone number; a name is checked only beside one"


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
    matched_name: str  # the listed name (or alias) that matched
    outcome: str = "match"  # "match" or "close_match"


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


class CheckRecord(NamedTuple):
    """One check, for the audit and abuse-review log. Identifiers are masked.

    A NamedTuple (immutable like the frozen dataclass it replaces, and ~5x cheaper to build:
    one is made for every check).
    """

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


# The hot path's own form of a parsed request: (probes, name), probes as (field, type, value).
_Probe = tuple[str, IdType, str]
_Parsed = tuple[tuple[_Probe, ...], str | None]
_KEY_PREFIX: dict[IdType, bytes] = {t: f"{t}:".encode() for t in IdType}
_ENTRY_CACHE_MAX = 100_000


def _key_digest(id_type: IdType, value: str) -> bytes:
    """The 8 little-endian bytes of :func:`identifier_key` (same BLAKE2b input, prefix pre-encoded)."""
    return hashlib.blake2b(_KEY_PREFIX[id_type] + value.encode(), digest_size=8).digest()


def _fast_key(id_type: IdType, value: str) -> int:
    return int.from_bytes(_key_digest(id_type, value), "little", signed=True)


assert all(_fast_key(t, "0123456789") == identifier_key(t, "0123456789") for t in IdType)


def _plain_digits(raw: object, shortest: int, longest: int) -> bool:
    """An identifier already in normal form: ASCII digits only (NFKC, stripping and separator
    removal would leave it as it is), of a length its kind can have."""
    return isinstance(raw, str) and raw.isascii() and raw.isdigit() and shortest <= len(raw) <= longest


def _quick_parse(req: CheckRequest) -> _Parsed | None:
    """Parse the common request (identifiers only, all valid) without the general machinery.

    Returns the same probes and name as :func:`parse_request`, or None to fall back to it: for an
    amount, or any invalid field (so errors are always reported by the one general parser).
    A plain ASCII-digit account needs no normalisation: NFKC, stripping and separator removal
    leave it unchanged. (The guard's payee, already normalised by its event parser, takes this
    path with its name: #19.)
    """
    if req.amount is not None:
        return None
    payee_name: str | None = None
    if req.name is not None:
        if not isinstance(req.name, str) or len(stripped := req.name.strip()) > MAX_NAME_LENGTH:
            return None
        payee_name = stripped or None
    raw = req.account
    if (
        raw is not None
        and req.card is None
        and req.phone is None
        and req.id_number is None
        and req.uscc is None
        and req.email is None
        and req.device is None
        and req.ip is None
        and _plain_digits(raw, 6, 34)
    ):
        return (("account", IdType.ACCOUNT, raw),), payee_name  # the commonest request of all
    probes: list[_Probe] = []
    for name, id_type in CHECK_FIELDS:
        raw = getattr(req, name)
        if raw is None:
            continue
        if id_type is IdType.ACCOUNT and _plain_digits(raw, 6, 34):
            probes.append((name, id_type, raw))
            continue
        if isinstance(raw, str) and not raw.strip():
            continue
        try:
            probes.append((name, id_type, normalize(id_type, raw, name)))
        except InvalidIdentifier:
            return None
    if not probes and payee_name is None:
        return None
    return tuple(probes), payee_name


def _from_parsed(p: ParsedRequest) -> _Parsed:
    return tuple((probe.field, probe.id_type, probe.value) for probe in p.probes), p.name


class _CheckIds:
    """Random 128-bit check ids (32 hex digits, like uuid4().hex), drawn from a pool of urandom.

    One ``os.urandom`` call per 4096 ids instead of a uuid4 per check. Thread-safe: list iterators
    hand out each item once under the GIL, and a refill race only wastes a pool.
    """

    POOL = 4096

    def __init__(self) -> None:
        self._it: Iterator[str] = iter(())

    def _refill(self, n: int) -> list[str]:
        raw = os.urandom(16 * n).hex()
        return [raw[i : i + 32] for i in range(0, 32 * n, 32)]

    def next(self) -> str:
        for check_id in self._it:
            return check_id
        ids = self._refill(self.POOL)
        self._it = iter(ids[1:])
        return ids[0]

    def many(self, n: int) -> list[str]:
        return self._refill(n) if n else []


class _NeedsStore(Exception):
    """Raised inside :meth:`PayeeChecker.check_in_memory` when the answer needs a store read."""


class PayeeChecker:
    """The payee check.

    Hot path: identifiers are hashed with a pre-encoded type prefix, looked up in the hot index
    (one vectorised search for a batch), and confirmed against the stored entry. Entries are
    cached by id and reused only while the index has applied no newer change to that entry
    (:meth:`HotIndex.changed_seq`), so a cached entry is never older than the index.
    """

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
        # "is None", not "or": an empty screener has len() 0 and is falsy, yet it is the matcher to use.
        self.names: NameMatcher = names if names is not None else ExactNameMatcher(index)
        self.check_log: CheckLog = check_log or NullCheckLog()
        self._ids = _CheckIds()
        self._cache: dict[int, Entry] = {}
        self._cache_lock = threading.Lock()

    def check(self, request: CheckRequest, *, view: str = "staff", client: str = "library") -> CheckResult:
        """Check one payee. Raises InvalidInput for a malformed request; never raises for a fault."""
        parsed = _quick_parse(request)
        if parsed is None:
            parsed = _from_parsed(parse_request(request))
        return self._answer(parsed, view, client)

    def check_normalised(
        self, account: str | None, card: str | None, name: str | None, *, view: str = "staff", client: str = "library"
    ) -> CheckResult:
        """:meth:`check` of a payee already normalised by the caller's own parser (the guard's event
        parser: ``core.identifiers.normalize`` for the account and the card, the name stripped and at
        most :data:`MAX_NAME_LENGTH`), without parsing it again (#19): a card's Luhn digit, which that
        parser checked, is not computed a second time. A value not in normal form (spaces, full-width
        digits, an untrimmed name: a payee built by hand) goes through :meth:`check` instead."""
        probes: list[_Probe] = []
        if account is not None:
            if not _plain_digits(account, 6, 34):
                return self.check(CheckRequest(account=account, card=card, name=name), view=view, client=client)
            probes.append(("account", IdType.ACCOUNT, account))
        if card is not None:
            if not _plain_digits(card, 13, 19):
                return self.check(CheckRequest(account=account, card=card, name=name), view=view, client=client)
            probes.append(("card", IdType.CARD, card))
        if name is not None and (not isinstance(name, str) or not name or name != name.strip() or len(name) > MAX_NAME_LENGTH):
            return self.check(CheckRequest(account=account, card=card, name=name), view=view, client=client)
        if not probes and name is None:
            return self.check(CheckRequest(), view=view, client=client)  # the parser's own refusal
        return self._answer((tuple(probes), name), view, client)

    def _answer(self, parsed: _Parsed, view: str, client: str) -> CheckResult:
        if view == "public" and not parsed[0]:
            # A name alone would let anyone ask whether a name is on any list, private ones included.
            raise InvalidInput.for_field("payee", PUBLIC_NEEDS_IDENTIFIER)
        if parsed[1] is None and len(parsed[0]) == 1:
            return self._check_one(parsed, view, client)
        return self._finish([parsed], view=view, client=client)[0]

    def check_in_memory(self, request: CheckRequest, *, view: str = "staff", client: str = "library") -> CheckResult | None:
        """:meth:`check`, answered only if it needs neither the store nor the name matcher: one
        identifier whose listed entries (if any) are all cached and current. ``None`` otherwise,
        and nothing was recorded: the caller then runs :meth:`check` where blocking is allowed.

        An event loop may call this inline (microseconds, no I/O) and send the rest to a worker
        thread, instead of paying a thread hand-off on every check."""
        parsed = _quick_parse(request)
        if parsed is None or parsed[1] is not None or len(parsed[0]) != 1:
            return None
        try:
            return self._check_one(parsed, view, client, store=False)
        except _NeedsStore:
            return None

    def check_many(
        self, requests: Sequence[CheckRequest], *, view: str = "staff", client: str = "library"
    ) -> list[CheckResult | InvalidInput]:
        """Check a batch; a malformed item gets its own error and does not stop the others."""
        parsed: list[_Parsed | InvalidInput] = []
        for req in requests:
            quick = _quick_parse(req)
            if quick is not None:
                parsed.append(quick)
                continue
            try:
                parsed.append(_from_parsed(parse_request(req)))
            except InvalidInput as exc:
                parsed.append(exc)
        good = [p for p in parsed if not isinstance(p, InvalidInput)]
        results = iter(self._finish(good, view=view, client=client))
        return [p if isinstance(p, InvalidInput) else next(results) for p in parsed]

    # -- internals -------------------------------------------------------------------------

    def _postings(self, parsed: list[_Parsed]) -> list[list[int]]:
        probes = [probe for p in parsed for probe in p[0]]
        if len(probes) <= 8:
            lookup = self.index.lookup
            return [lookup(_fast_key(t, v)) for _f, t, v in probes]
        digests = b"".join([_key_digest(t, v) for _f, t, v in probes])
        return self.index.lookup_many(np.frombuffer(digests, dtype="<i8").astype(np.int64))

    def _read_entries(self, wanted: set[int], store: bool = True) -> dict[int, Entry]:
        """The wanted entries, from the cache where the index confirms it is not stale. With
        ``store=False`` a missing or stale entry raises :class:`_NeedsStore` instead of a read."""
        found: dict[int, Entry] = {}
        missing: list[int] = []
        cache, changed_seq = self._cache, self.index.changed_seq
        for entry_id in wanted:
            entry = cache.get(entry_id)
            if entry is not None and changed_seq(entry_id) <= entry.updated_seq:
                found[entry_id] = entry
            else:
                missing.append(entry_id)
        if missing and not store:
            raise _NeedsStore
        if missing:
            fetched = self.entries.get_entries(sorted(missing))
            with self._cache_lock:
                if len(cache) + len(fetched) > _ENTRY_CACHE_MAX:
                    cache.clear()
                for entry in fetched:
                    found[entry.id] = entry
                    cache[entry.id] = entry
        return found

    def _check_one(self, parsed: _Parsed, view: str, client: str, store: bool = True) -> CheckResult:
        """:meth:`_finish` for the commonest request, one identifier and no name, without its batch
        plumbing. ``store=False``: raise :class:`_NeedsStore` rather than read the store."""
        now = self.clock()
        if not self.freshness.is_current():
            return self._unavailable(parsed, now, view, client, "the risk lists cannot be confirmed current")
        seq = self.freshness.seq
        field, id_type, value = parsed[0][0]
        posting = self.index.lookup(_fast_key(id_type, value))
        hits: list[Hit] = []
        if posting:
            try:
                entries = self._read_entries(set(posting), store)
            except _NeedsStore:
                raise
            except Exception as exc:  # the store is down: the answer is 'unavailable', never 'pass'
                log.warning("payee check could not read entries: %s", exc)
                return self._unavailable(parsed, now, view, client, "the risk list store cannot be read")
            for entry_id in posting:
                entry = entries.get(entry_id)
                if entry is None or not entry.is_active(now):
                    continue
                if not any(i.type == id_type and i.value == value for i in entry.draft.identifiers):
                    continue  # a 64-bit key collision, not a hit
                hits.append(_hit(entry, field, MatchKind.EXACT, value, 1.0))
        outcome, level, reasons = decide(hits)
        result = CheckResult(self._ids.next(), outcome, level, tuple(hits), seq, now, reasons)
        self._log(result, parsed, view, client)
        return result

    def _finish(self, parsed: list[_Parsed], *, view: str, client: str) -> list[CheckResult]:
        now = self.clock()
        if not self.freshness.is_current():
            return [self._unavailable(p, now, view, client, "the risk lists cannot be confirmed current") for p in parsed]
        seq = self.freshness.seq
        postings = self._postings(parsed)
        name_cands = [self.names.match(p[1]) if p[1] else [] for p in parsed]
        wanted = {e for ids in postings if ids for e in ids} | {c.entry_id for cands in name_cands if cands for c in cands}
        try:
            entries = self._read_entries(wanted) if wanted else {}
        except Exception as exc:  # the store is down: the answer is 'unavailable', never 'pass'
            log.warning("payee check could not read entries: %s", exc)
            return [self._unavailable(p, now, view, client, "the risk list store cannot be read") for p in parsed]
        check_ids = [self._ids.next()] if len(parsed) == 1 else self._ids.many(len(parsed))
        out: list[CheckResult] = []
        pos = 0
        record = self._log
        for p, cands, check_id in zip(parsed, name_cands, check_ids, strict=True):
            hits: list[Hit] = []
            for field, id_type, value in p[0]:
                for entry_id in postings[pos]:
                    entry = entries.get(entry_id)
                    if entry is None or not entry.is_active(now):
                        continue
                    if not any(i.type == id_type and i.value == value for i in entry.draft.identifiers):
                        continue  # a 64-bit key collision, not a hit
                    hits.append(_hit(entry, field, MatchKind.EXACT, value, 1.0))
                pos += 1
            name_outcome = None if not p[1] else "no_match"
            for cand in cands:
                entry = entries.get(cand.entry_id)
                if entry is not None and entry.is_active(now):
                    hits.append(_hit(entry, "name", MatchKind.NAME, cand.matched_name, cand.score))
                    if name_outcome != "match":
                        name_outcome = cand.outcome
            outcome, level, reasons = decide(hits)
            result = CheckResult(check_id, outcome, level, tuple(hits), seq, now, reasons, name_outcome)
            record(result, p, view, client)
            out.append(result)
        return out

    def _unavailable(self, p: _Parsed, now: datetime, view: str, client: str, why: str) -> CheckResult:
        result = CheckResult(self._ids.next(), Outcome.UNAVAILABLE, None, (), self.freshness.seq, now, (why,))
        self._log(result, p, view, client)
        return result

    def _log(self, result: CheckResult, p: _Parsed, view: str, client: str) -> None:
        query = {field: mask(id_type, value) for field, id_type, value in p[0]}
        name = p[1]
        if name:
            query["name"] = name[:1] + "*" * min(len(name) - 1, 8)
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
