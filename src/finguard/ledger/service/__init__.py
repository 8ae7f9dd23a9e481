"""The fund-flow ledger (#5): the storage it needs and the import use case.

An import is all-or-nothing: the rows are written as they are parsed, in batches of
``IMPORT_BATCH`` inside one transaction opened with the first batch, and any bad row rolls the
transaction back (nothing is written; the rest of the file is still read to count and list its
bad rows) unless the caller asks
to skip bad rows, in which case each skipped row is reported with its line. Memory is bounded by
one batch plus the file's transfer ids (to refuse a repeated one), not by the file. The same file
twice adds nothing: a transfer already stored under the same ``(source, external_id)`` counts as a
duplicate.

Self-transfers (the same account on both sides, which AMLworld has) move no money between
accounts: they are not stored, and the report counts them (``self_transfers``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, Protocol

from finguard.core.errors import FieldProblem, ImportRejected, InvalidInput, NotFound
from finguard.ledger.model import Account, AccountDraft, AccountKind, Method, Trace, TraceParams, Transfer, TransferDraft

MAX_REPORTED_PROBLEMS = 1000
Progress = Callable[[int], None]
# A position in time order: (time, transfer id). Ties in time are broken by id.
Key = tuple[datetime, int]
Side = Literal["out", "in"]


@dataclass(frozen=True, slots=True)
class ParsedTransfer:
    """One source row: a transfer (with what it says about its accounts), accounts alone, or the
    problem that made the row unusable."""

    line: int
    draft: TransferDraft | None = None
    accounts: tuple[AccountDraft, ...] = ()
    problem: FieldProblem | None = None
    skipped: str | None = None  # not a transaction (a total or footer line ...): why, reported


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What storing a batch did: new transfers, ones already stored by this source, ones already
    stored from the other account's statement (one transfer seen from both sides; see
    ``store.repo.pair_other_side``), and rows that could be more than one stored transfer
    (``(external_id, why)``; stored apart, never guessed)."""

    inserted: int
    duplicates: int
    paired: int = 0
    ambiguous: tuple[tuple[str, str], ...] = ()


# Stores a batch in the writer's open transaction.
BatchWrite = Callable[[Sequence[TransferDraft], Sequence[AccountDraft]], BatchResult]


class LedgerWriter(Protocol):
    def batches(self, source: str) -> AbstractContextManager[BatchWrite]:
        """One transaction taking batches of transfers of ``source``: committed when the block
        ends, rolled back when it raises."""
        ...


class LedgerReader(Protocol):
    def get_transfer(self, transfer_id: int) -> Transfer | None: ...

    def accounts(self, names: Collection[str]) -> dict[str, Account]: ...

    def window(
        self,
        account: str,
        side: Side,
        *,
        after: Key | None,
        before: Key | None,
        currency: str | None,
        limit: int,
        descending: bool,
    ) -> list[Transfer]:
        """Transfers leaving (``out``) or reaching (``in``) the account strictly between the two
        keys, in time order (or reverse), at most ``limit``."""
        ...

    def balance_before(self, account: str, before: Key, currency: str) -> int:
        """What the account held just before ``before``, as far as the ledger knows: the last
        balance a statement of the account showed (its 余额) plus the account's transfers since;
        without one, the account's earlier transfers in minus out. Never below zero."""
        ...

    def observed(self, account: str) -> bool:
        """Whether the ledger holds the account's own history: a statement of it, or a payment out
        of it from a source that is not a statement (the bank's own records, a data set); the
        other account's statement shows one payment, not the account's history."""
        ...


@dataclass(frozen=True, slots=True)
class AccountHistory:
    """One page of an account's transfers, newest first; ``account_info`` is None when the
    ledger holds transfers of the account but nothing about the account itself."""

    account: str
    account_info: Account | None
    transfers: tuple[Transfer, ...]
    more: bool


@dataclass(frozen=True, slots=True)
class LedgerImportReport:
    source: str
    rows: int
    inserted: int
    duplicates: int
    self_transfers: int
    accounts: int
    rejected: tuple[FieldProblem, ...] = field(default_factory=tuple)
    skipped: tuple[FieldProblem, ...] = field(default_factory=tuple)  # rows that are no transaction, and why
    paired: int = 0  # transfers already stored from the other account's statement (one transfer, both sides)
    ambiguous: tuple[FieldProblem, ...] = field(default_factory=tuple)  # rows that could pair with more than one
    note: str | None = None  # what the reader found (a statement's layout and account)


def merge_account(old: AccountDraft | None, new: AccountDraft) -> AccountDraft:
    """What two statements about one account add up to: a terminal kind beats ``customer``,
    the first name and bank stay, a fraud label beats none."""
    if old is None:
        return new
    kind = old.kind if old.kind is not AccountKind.CUSTOMER else new.kind
    label = old.label_fraud
    if new.label_fraud is not None:
        label = bool(old.label_fraud) or new.label_fraud
    return AccountDraft(old.account, kind, old.name or new.name, old.bank or new.bank, label)


IMPORT_BATCH = 50_000


@dataclass
class _Tally:
    """What an import has read so far, and the batch not yet written."""

    skip_bad_rows: bool
    progress: Progress | None
    rows: int = 0
    self_transfers: int = 0
    inserted: int = 0
    duplicates: int = 0
    paired: int = 0
    ambiguous: list[FieldProblem] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # the batch's transfer ids and their lines
    problems: list[FieldProblem] = field(default_factory=list)
    skipped: list[FieldProblem] = field(default_factory=list)
    taken: int = 0  # rows that gave a transfer or an account
    seen: set[str] = field(default_factory=set)
    account_names: set[str] = field(default_factory=set)
    drafts: list[TransferDraft] = field(default_factory=list)
    accounts: dict[str, AccountDraft] = field(default_factory=dict)

    def take(self, row: ParsedTransfer) -> None:
        self.rows += 1
        if self.progress is not None and self.rows % 5000 == 0:
            self.progress(self.rows)
        if row.problem is not None:
            self.problems.append(row.problem)
            return
        if row.skipped is not None:
            self.skipped.append(FieldProblem("row", row.skipped, row.line))
            return
        draft = row.draft
        if draft is not None:
            if draft.external_id in self.seen:
                self.problems.append(FieldProblem("row", f"repeats transfer {draft.external_id!r} of this file", row.line))
                return
            self.seen.add(draft.external_id)
        if self.problems and not self.skip_bad_rows:
            return  # the import is rejected: only the bad rows are still of interest
        if draft is not None or row.accounts:
            self.taken += 1
        for acct in row.accounts:
            self.account_names.add(acct.account)
            self.accounts[acct.account] = merge_account(self.accounts.get(acct.account), acct)
        if draft is None:
            return
        if draft.src_account == draft.dst_account:
            self.self_transfers += 1
            return
        self.drafts.append(draft)
        self.lines[draft.external_id] = row.line

    @property
    def rejected(self) -> bool:
        return bool(self.problems) and not self.skip_bad_rows

    @property
    def pending(self) -> int:
        return len(self.drafts) + len(self.accounts)

    def flush(self, write: BatchWrite) -> None:
        result = write(self.drafts, list(self.accounts.values()))
        self.inserted += result.inserted
        self.duplicates += result.duplicates
        self.paired += result.paired
        self.ambiguous += [FieldProblem("row", why, self.lines.get(ext)) for ext, why in result.ambiguous]
        self.lines = {}
        self.drafts = []
        self.accounts = {}


class _Rejected(Exception):
    """Leaves the import's transaction so that it rolls back."""


def import_transfers(
    writer: LedgerWriter,
    source: str,
    rows: Iterable[ParsedTransfer],
    *,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
    batch: int = IMPORT_BATCH,
) -> LedgerImportReport:
    """Write the rows as they are parsed, ``batch`` at a time, in one transaction. Any bad row
    rejects the whole import (rolled back) unless ``skip_bad_rows``."""
    if not source or len(source) > 200:
        raise InvalidInput.for_field("source", "must be 1 to 200 characters")
    if batch < 1:
        raise InvalidInput.for_field("batch", "must be at least 1")
    tally = _Tally(skip_bad_rows, progress)
    stream = iter(rows)
    try:
        # The transaction opens with the first batch to write: a file of less than one batch
        # is parsed whole first, so the database is locked only while it is written.
        with ExitStack() as stack:
            write: BatchWrite | None = None
            for row in stream:
                tally.take(row)
                if tally.rejected:
                    raise _Rejected
                if tally.pending >= batch:
                    write = write or stack.enter_context(writer.batches(source))
                    tally.flush(write)
            if tally.rows == 0:
                raise InvalidInput.for_field("file", "holds no rows")
            if tally.pending:
                tally.flush(write or stack.enter_context(writer.batches(source)))
    except _Rejected:
        for row in stream:  # outside the rolled-back transaction: count and list the bad rows
            tally.take(row)
    if progress is not None:
        progress(tally.rows)
    if tally.rejected:
        first = tally.problems[0]
        raise ImportRejected(
            f"{len(tally.problems)} bad row(s); nothing was imported. First: line {first.line}: {first.field}: {first.problem}",
            problems=tally.problems[:MAX_REPORTED_PROBLEMS],
        )
    if tally.taken == 0:
        # An import that imports nothing is no success, even when every bad row was skipped.
        what = f"{len(tally.problems)} bad row(s) skipped" if tally.problems else "no transaction rows"
        raise ImportRejected(
            f"nothing was imported: {tally.rows} row(s), {what}, {len(tally.skipped)} non-transaction row(s)",
            problems=(tally.problems or tally.skipped or [FieldProblem("file", "holds no transaction rows")])[:MAX_REPORTED_PROBLEMS],
        )
    return LedgerImportReport(
        source=source,
        rows=tally.rows,
        inserted=tally.inserted,
        duplicates=tally.duplicates,
        self_transfers=tally.self_transfers,
        accounts=len(tally.account_names),
        rejected=tuple(tally.problems[:MAX_REPORTED_PROBLEMS]),
        skipped=tuple(tally.skipped[:MAX_REPORTED_PROBLEMS]),
        paired=tally.paired,
        ambiguous=tuple(tally.ambiguous[:MAX_REPORTED_PROBLEMS]),
    )


class LedgerService:
    """The ledger's use cases, over one store that reads and writes."""

    def __init__(self, store: LedgerStore) -> None:
        self.store = store

    def import_rows(
        self, source: str, rows: Iterable[ParsedTransfer], *, skip_bad_rows: bool = False, progress: Progress | None = None
    ) -> LedgerImportReport:
        return import_transfers(self.store, source, rows, skip_bad_rows=skip_bad_rows, progress=progress)

    def account_transfers(
        self,
        account: str,
        side: Side,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[Transfer]:
        if not 1 <= limit <= 10_000:
            raise InvalidInput.for_field("limit", "must be between 1 and 10,000")
        after = (since, -1) if since else None
        before = (until, 2**63 - 1) if until else None
        return self.store.window(account, side, after=after, before=before, currency=None, limit=limit, descending=False)

    def accounts(self, names: Collection[str]) -> dict[str, Account]:
        """What the ledger knows of these accounts (kind, name, bank); unknown ones are left out."""
        return self.store.accounts(names)

    def history(self, account: str, *, before: int | None = None, limit: int = 50) -> AccountHistory:
        """An account's transfers in and out, newest first, ``limit`` at a time. The next page
        starts after the last transfer of this one: pass its id as ``before``."""
        if not 1 <= limit <= 1000:
            raise InvalidInput.for_field("limit", "must be between 1 and 1,000")
        with self.store.snapshot() as r:
            info = r.accounts([account]).get(account)
            key: Key | None = None
            if before is not None:
                last = r.get_transfer(before)
                if last is None or account not in (last.src, last.dst):
                    raise InvalidInput.for_field("before", f"transfer {before} is not a transfer of account {account!r}")
                key = (last.at, last.id)
            found = [
                t
                for side in ("out", "in")
                for t in r.window(account, side, after=None, before=key, currency=None, limit=limit + 1, descending=True)
            ]
        if info is None and not found and before is None:
            raise NotFound(f"account {account!r} is not in the ledger", problems=[FieldProblem("account", "is not in the ledger")])
        # Each side's newest limit + 1 before the key hold the newest limit + 1 of both together.
        found.sort(key=lambda t: (t.at, t.id), reverse=True)
        return AccountHistory(account, info, tuple(found[:limit]), more=len(found) > limit)

    def trace(self, params: TraceParams) -> Trace:
        from finguard.ledger.service.trace import run_trace

        with self.store.snapshot() as reader:
            return run_trace(reader, params)

    def compare(self, params: TraceParams) -> dict[Method, Trace]:
        """The same trace under every attribution method (FIFO, LIFO, proportional), read in one snapshot."""
        from finguard.ledger.service.trace import run_trace

        with self.store.snapshot() as reader:
            return {m: run_trace(reader, replace(params, method=m)) for m in Method}


class LedgerStore(LedgerWriter, LedgerReader, Protocol):
    """Reads and writes: what the service needs."""

    def snapshot(self) -> AbstractContextManager[LedgerReader]:
        """A reader that sees one consistent state (a whole trace reads through one)."""
        ...
