"""Importing a list file: diff the parsed rows against the list, apply all changes at once.

An import is one transaction (a killed import leaves the previous state), idempotent (the same
file twice changes nothing), and applies only differences: new keys are added, changed
content is modified, and in ``sync`` mode keys missing from the file are delisted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from finguard.core.errors import FieldProblem, ImportRejected, InvalidInput
from finguard.lists.model.lists import ChangeOp, RiskList
from finguard.lists.service.importers import ParsedRow
from finguard.lists.service.importers.tabular import parse_csv, parse_jsonl
from finguard.lists.service.lists import EntryOp, ListService

MAX_REPORTED_PROBLEMS = 1000


class ImportMode(StrEnum):
    SYNC = "sync"  # the file is the whole list: entries missing from it are delisted
    APPEND = "append"  # the file adds and modifies only


@dataclass(frozen=True, slots=True)
class ImportReport:
    list_code: str
    rows: int
    added: int
    changed: int
    delisted: int
    unchanged: int
    rejected: tuple[FieldProblem, ...] = field(default_factory=tuple)
    first_seq: int | None = None
    last_seq: int | None = None
    held: int = 0  # changes that would lower outcomes, held for a second person's approval
    pending_change: int | None = None  # the pending change holding them


Progress = Callable[[int], None]
Hold = Callable[[RiskList, list[EntryOp]], list[EntryOp]]


def import_rows(
    service: ListService,
    list_code: str,
    rows: Iterable[ParsedRow],
    *,
    actor: str,
    mode: ImportMode = ImportMode.SYNC,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
    hold: Hold | None = None,
) -> ImportReport:
    """Diff and apply. Any bad row rejects the whole import unless ``skip_bad_rows``. ``hold``
    (given the list and the operations) returns the operations to apply now; it may keep some
    back for approval (``ListAuthority.hold_lowering``) or refuse the import."""
    lst = service.get_list(list_code)
    problems: list[FieldProblem] = []
    drafts = {}
    count = 0
    for row in rows:
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
        if row.problem is not None:
            problems.append(row.problem)
            continue
        assert row.draft is not None
        if row.draft.key in drafts:
            problems.append(FieldProblem("key", f"duplicate key {row.draft.key!r} in the file", row.line))
            continue
        drafts[row.draft.key] = row.draft
    if progress is not None:
        progress(count)
    if problems and not skip_bad_rows:
        shown = problems[:MAX_REPORTED_PROBLEMS]
        first = shown[0]
        raise ImportRejected(
            f"{len(problems)} bad row(s); nothing was imported. First: line {first.line}: {first.field}: {first.problem}",
            problems=shown,
        )
    if not drafts and mode is ImportMode.SYNC and count == 0:
        raise InvalidInput.for_field("file", "holds no rows; a sync import of an empty file would delist the whole list")

    states = service.store.entry_states(list_code)
    ops: list[EntryOp] = []
    unchanged = 0
    for key, draft in drafts.items():
        state = states.get(key)
        if state is None:
            ops.append(EntryOp(ChangeOp.ADD, key, draft))
            continue
        entry_id, content_hash, active = state
        if active and content_hash == draft.content_hash():
            unchanged += 1
            continue
        ops.append(EntryOp(ChangeOp.MODIFY, key, draft, entry_id=entry_id, reason="" if active else "relisted by import"))
    if mode is ImportMode.SYNC:
        for key, (entry_id, _hash, active) in states.items():
            if active and key not in drafts:
                ops.append(EntryOp(ChangeOp.DELIST, key, entry_id=entry_id, reason="no longer in the source file"))
    if hold is not None:
        ops = hold(lst, ops)
    changes = service.apply(lst, actor, ops) if ops else []
    return ImportReport(
        list_code=list_code,
        rows=count,
        added=sum(1 for o in ops if o.op is ChangeOp.ADD),
        changed=sum(1 for o in ops if o.op is ChangeOp.MODIFY),
        delisted=sum(1 for o in ops if o.op is ChangeOp.DELIST),
        unchanged=unchanged,
        rejected=tuple(problems[:MAX_REPORTED_PROBLEMS]),
        first_seq=changes[0].seq if changes else None,
        last_seq=changes[-1].seq if changes else None,
    )


class SourceFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    OFAC = "ofac"  # OFAC SDN legacy CSV: sdn.csv, with alt.csv / add.csv beside it
    UN = "un"  # UN Security Council consolidated list XML


def read_rows(fmt: str, path: Path) -> Iterator[ParsedRow]:
    """Rows of a list file in one of the supported formats. Unreadable files become a problem row."""
    try:
        kind = SourceFormat(fmt)
    except ValueError:
        raise InvalidInput.for_field("format", f"unknown format {fmt!r}; accepted: {', '.join(SourceFormat)}") from None
    if not path.exists():
        raise InvalidInput.for_field("file", f"{path} does not exist")
    try:
        if kind is SourceFormat.CSV:
            with path.open(newline="", encoding="utf-8-sig") as stream:
                yield from parse_csv(stream)
        elif kind is SourceFormat.JSONL:
            with path.open(encoding="utf-8-sig") as stream:
                yield from parse_jsonl(stream)
        elif kind is SourceFormat.OFAC:
            from finguard.lists.service.importers.ofac import parse_ofac

            sdn = path / "sdn.csv" if path.is_dir() else path
            alt, add = sdn.with_name("alt.csv"), sdn.with_name("add.csv")
            yield from parse_ofac(sdn, alt if alt.exists() else None, add if add.exists() else None)
        else:
            from finguard.lists.service.importers.un import parse_un

            yield from parse_un(path)
    except UnicodeDecodeError as exc:
        yield ParsedRow(0, problem=FieldProblem("file", f"is not UTF-8 text ({exc.reason} at byte {exc.start})", 0))
