"""Importing a list file: diff the parsed rows against the list, apply all changes at once.

An import is one transaction (a killed import leaves the previous state), idempotent (the same
file twice changes nothing), and applies only differences: new keys are added, changed
content is modified, and in ``sync`` mode keys missing from the file are delisted.

Three guards keep a wrong file from wiping a list, whatever the caller asked for:

* a problem with the file itself (wrong header, wrong XML root, text that stops parsing) refuses
  the whole import, even with ``skip_bad_rows``;
* more than ``max_bad_share`` of the rows bad refuses it whole, even with ``skip_bad_rows``
  (a file of the wrong format is mostly bad rows);
* a ``sync`` import that would delist more than ``max_delist_share`` of the list's active
  entries is refused unless ``allow_mass_delist``; a file with no good row imports nothing and
  is an error, never a report of success.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from finguard.core.errors import FieldProblem, ImportRejected, InvalidInput
from finguard.lists.model.lists import ChangeOp, RiskList
from finguard.lists.service.importers import ParsedRow
from finguard.lists.service.importers.tabular import parse_csv, parse_jsonl
from finguard.lists.service.lists import EntryOp, ListService

MAX_REPORTED_PROBLEMS = 1000
DEFAULT_MAX_BAD_SHARE = 0.10
DEFAULT_MAX_DELIST_SHARE = 0.20


class ImportMode(StrEnum):
    SYNC = "sync"  # the file is the whole list: entries missing from it are delisted
    APPEND = "append"  # the file adds and modifies only

    @classmethod
    def of(cls, mode: str) -> ImportMode:
        """The mode a caller named; anything else is refused naming the field ``mode`` (not a ValueError)."""
        try:
            return cls(mode)
        except ValueError:
            raise InvalidInput.for_field("mode", f"must be one of {', '.join(m.value for m in cls)}, not {mode!r}") from None


@dataclass(frozen=True, slots=True)
class ImportGuards:
    """How much damage an import may do before it is refused (shares between 0 and 1)."""

    max_bad_share: float = DEFAULT_MAX_BAD_SHARE
    max_delist_share: float = DEFAULT_MAX_DELIST_SHARE
    allow_mass_delist: bool = False

    def __post_init__(self) -> None:
        for name in ("max_bad_share", "max_delist_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise InvalidInput.for_field(name, f"must be a share between 0 and 1, not {value}")


class MassDelistRefused(ImportRejected):
    """A sync import would delist more of the list than allowed; nothing was applied."""

    code = "mass_delist_refused"


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
    guards: ImportGuards | None = None,
    fmt: str = "",
    source: str = "",
    source_date: datetime | None = None,
) -> ImportReport:
    """Diff and apply. Any bad row rejects the whole import unless ``skip_bad_rows``; see the guards above.
    ``hold`` (given the list and the operations) returns the operations to apply now; it may keep some
    back for approval (``ListAuthority.hold_lowering``) or refuse the import. ``source_date`` is the
    publication date the source file carries (kept in ``import_run``, shown as the list's source date)."""
    guards = guards or ImportGuards()
    lst = service.get_list(list_code)
    started = service.clock()
    problems: list[FieldProblem] = []
    drafts = {}
    count = 0
    for row in rows:
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
        if row.problem is not None:
            if row.fatal:
                p = row.problem
                raise ImportRejected(f"the file cannot be read as a list ({p.field}: {p.problem}); nothing was imported", problems=[p])
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
    if count == 0:
        raise InvalidInput.for_field("file", "holds no rows; nothing was imported")
    if problems and len(problems) > guards.max_bad_share * count:
        shown = problems[:MAX_REPORTED_PROBLEMS]
        raise ImportRejected(
            f"{len(problems)} of {count} rows are bad, more than the {guards.max_bad_share:.0%} an import may skip; "
            f"nothing was imported (is it the right file and format?). First: line {shown[0].line}: {shown[0].field}: {shown[0].problem}",
            problems=shown,
        )
    if not drafts:
        raise InvalidInput.for_field("file", f"none of its {count} rows is usable; nothing was imported")

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
        delists = [
            EntryOp(ChangeOp.DELIST, key, entry_id=entry_id, reason="no longer in the source file")
            for key, (entry_id, _hash, active) in states.items()
            if active and key not in drafts
        ]
        active_count = sum(1 for _id, _hash, active in states.values() if active)
        if len(delists) > guards.max_delist_share * active_count and not guards.allow_mass_delist:
            raise MassDelistRefused(
                f"this sync import would delist {len(delists)} of the list's {active_count} active entries, more than "
                f"{guards.max_delist_share:.0%}; nothing was imported. If the file really is the whole list, "
                "import again allowing a mass delisting (--allow-mass-delist, or allow_mass_delist=true)",
                problems=[FieldProblem("mode", f"sync would delist {len(delists)} of {active_count} entries")],
            )
        ops.extend(delists)
    if hold is not None:
        ops = hold(lst, ops)
    changes = service.apply(lst, actor, ops) if ops else []
    report = ImportReport(
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
    service.record_import(
        {
            "list_code": list_code,
            "format": fmt[:32],
            "source": source[:500],
            "actor": actor[:200],
            "started_at": started,
            "finished_at": service.clock(),
            "added": report.added,
            "changed": report.changed,
            "delisted": report.delisted,
            "rejected": len(problems),
            "unchanged": unchanged,
            "first_seq": report.first_seq,
            "last_seq": report.last_seq,
            "source_date": source_date,
        }
    )
    return report


class SourceFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    OFAC = "ofac"  # OFAC SDN legacy CSV: sdn.csv, with alt.csv / add.csv beside it
    UN = "un"  # UN Security Council consolidated list XML
    EU = "eu"  # EU financial sanctions consolidated list, FSF XML
    UK = "uk"  # UK OFSI consolidated list, ConList.csv


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
        elif kind is SourceFormat.EU:
            from finguard.lists.service.importers.eu import parse_eu

            yield from parse_eu(path)
        elif kind is SourceFormat.UK:
            from finguard.lists.service.importers.uk import parse_uk

            yield from parse_uk(path)
        else:
            from finguard.lists.service.importers.un import parse_un

            yield from parse_un(path)
    except UnicodeDecodeError as exc:
        yield ParsedRow(0, problem=FieldProblem("file", f"is not UTF-8 text ({exc.reason} at byte {exc.start})", 0), fatal=True)
    except InvalidInput as exc:  # a reader that cannot go on (the OFAC files: a line that is not CSV)
        problem = exc.problems[0] if exc.problems else FieldProblem("file", exc.message, 0)
        yield ParsedRow(problem.line or 0, problem=problem, fatal=True)


_UN_DATE = re.compile(rb"<CONSOLIDATED_LIST\b[^>]*\bdateGenerated=\"([^\"]+)\"")


def source_date(fmt: str, path: Path) -> datetime | None:
    """The publication date a list file carries, when its format has one: the UN list's
    ``dateGenerated``, the EU file's ``generationDate``, the UK list's ``Last Updated``. OFAC's
    legacy CSV, and our own CSV and JSON Lines, carry none (None)."""
    try:
        if fmt == SourceFormat.UN:
            with path.open("rb") as stream:
                found = _UN_DATE.search(stream.read(4096))
            if found is None:
                return None
            value = datetime.fromisoformat(found.group(1).decode("ascii", "replace").replace("Z", "+00:00"))
            return value if value.tzinfo else None
        if fmt == SourceFormat.EU:
            from finguard.lists.service.importers.eu import eu_source_date

            return eu_source_date(path)
        if fmt == SourceFormat.UK:
            from finguard.lists.service.importers.uk import uk_source_date

            return uk_source_date(path)
    except (OSError, ValueError):
        return None
    return None
