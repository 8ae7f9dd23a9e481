"""The case engine's use cases: work items from every capability's alerts, complaints and
special-service requests, worked by staff through the API, the pages and the CLI alike."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

from finguard.alerts.model import cases as m
from finguard.alerts.model.attachments import DEFAULT_MAX_BYTES, Attachment, Upload, check_upload
from finguard.alerts.model.cases import Case, CaseEvent, CaseFilter, Change, NewCase
from finguard.core.errors import Conflict, FinguardError, InvalidInput, NotFound, Unavailable

MAX_BULK = 1000
ADOPT_BATCH = 5000
EXPORT_PAGE = 5000
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header


class CaseStore(Protocol):
    def adopt_alerts(self, now: datetime, limit: int) -> int: ...
    def escalate_overdue(self, now: datetime) -> int: ...
    def get(self, case_id: int) -> Case | None: ...
    def by_reference(self, reference: str) -> Case | None: ...
    def find(self, f: CaseFilter, now: datetime) -> tuple[list[Case], int]: ...
    def scan(self, f: CaseFilter, now: datetime, after_id: int, limit: int) -> list[Case]: ...
    def events(self, case_id: int) -> list[CaseEvent]: ...
    def apply(self, case: Case, change: Change) -> Case: ...
    def append(self, event: CaseEvent) -> None: ...
    def create(self, new: NewCase, actor: str) -> Case: ...
    def create_once(self, new: NewCase, actor: str) -> tuple[Case, bool]: ...
    def open_counts(self, now: datetime) -> dict[tuple[int, str], int]: ...
    def closed_since(self, since: datetime) -> list[tuple[datetime, str]]: ...
    def add_attachment(self, case: Case, upload: Upload, event: CaseEvent) -> Attachment: ...
    def attachments(self, case_id: int) -> list[Attachment]: ...
    def attachment(self, case_id: int, attachment_id: int) -> tuple[Attachment, bytes] | None: ...


class CloseHandler(Protocol):
    """What another capability does when one of its cases closes (the seam: alerts never imports
    the capability; the capability registers this with ``CaseService.on_close``).

    ``check`` runs before a close is recorded or proposed and raises (``Conflict`` ...) when the
    record behind the case can no longer take that disposition; ``closed`` runs after the case is
    closed and writes the outcome back (it must be idempotent: a retry may call it again)."""

    def check(self, case: Case, disposition: str) -> None: ...
    def closed(self, case: Case, actor: str, proposed_by: str | None) -> None: ...


@dataclass(frozen=True, slots=True)
class BulkResult:
    """One case of a bulk action: ``state`` after it (a high-risk close stays open, ``pending``
    says it awaits its checker) or the error that stopped it."""

    case_id: int
    ok: bool
    error: str = ""
    state: str = ""
    pending: bool = False


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Open cases by age bucket (0: up to 1 day, 1: up to 3, 2: up to 7, 3: older) and SLA state;
    cases closed on each of the last 30 China days and their dispositions (most first)."""

    counts: dict[tuple[int, str], int]
    at: datetime
    closed_per_day: list[tuple[date, int]] = field(default_factory=list)
    dispositions: dict[str, int] = field(default_factory=dict)

    def bucket(self, age: int) -> dict[str, int]:
        return {s: self.counts.get((age, s), 0) for s in m.SLA_STATES}

    @property
    def breached(self) -> int:
        return sum(n for (_, s), n in self.counts.items() if s == "breached")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class CaseService:
    def __init__(self, store: CaseStore, clock: Callable[[], datetime], attachment_limit: int = DEFAULT_MAX_BYTES) -> None:
        self.store = store
        self.clock = clock
        self.attachment_limit = attachment_limit
        self._handlers: dict[str, CloseHandler] = {}

    def on_close(self, kind: m.CaseKind, handler: CloseHandler) -> None:
        """Register what closing a case of ``kind`` does to the record behind it."""
        self._handlers[kind.value] = handler

    def _handler(self, case: Case) -> CloseHandler | None:
        handler = self._handlers.get(case.kind.value)
        if handler is None and case.kind in m.HANDLED_KINDS:
            raise Unavailable(f"a {case.kind.value} case cannot be closed here: nothing in this process writes its outcome back")
        return handler

    def _after(self, case: Case, handler: CloseHandler | None, actor: str, before: Case) -> Case:
        if handler is not None and not case.open:
            handler.closed(case, actor, before.pending_by)
        return case

    # -- keeping the queue current -------------------------------------------------------------

    def sync(self) -> tuple[int, int]:
        """Adopt new alerts as cases and escalate every case past its SLA. Run on every read and
        by any job; both steps are idempotent, so two processes running it at once do no harm."""
        now = self.clock()
        adopted = 0
        while (n := self.store.adopt_alerts(now, ADOPT_BATCH)) > 0:
            adopted += n
            if n < ADOPT_BATCH:
                break
        return adopted, self.store.escalate_overdue(now)

    # -- reading -------------------------------------------------------------------------------

    def find(self, f: CaseFilter) -> tuple[list[Case], int]:
        m.check_filter(f)
        self.sync()
        return self.store.find(f, self.clock())

    def get(self, case_id: int) -> Case:
        found = self.store.get(case_id)
        if found is None:
            raise NotFound(f"no case {case_id}")
        return found

    def show(self, case_id: int) -> tuple[Case, list[CaseEvent]]:
        self.sync()
        case = self.get(case_id)
        return case, self.store.events(case_id)

    def by_confirmation(self, text: str) -> Case:
        raw = m.parse_confirmation(text)
        found = self.store.by_reference(raw) if raw else None
        if found is None:
            raise NotFound("no case with that confirmation number")
        return found

    def dashboard(self) -> Dashboard:
        self.sync()
        now = self.clock()
        last = m.china_today(now)
        closed = self.store.closed_since(m.since_day(last))
        per_day = m.per_day([t for t, _ in closed], last)
        dispositions = dict(Counter(d for _, d in closed).most_common())
        return Dashboard(self.store.open_counts(now), now, per_day, dispositions)

    def export_csv(self, f: CaseFilter) -> Iterator[str]:
        """CSV of every case the filter selects in id order (its limit and offset ignored), 5,000
        rows at a time. The filter is checked here, before the first row: a streamed response
        has sent its headers by the time its body is read, too late to answer 422."""
        m.check_filter(f)
        self.sync()
        return self._csv_pages(f)

    def _csv_pages(self, f: CaseFilter) -> Iterator[str]:
        now = self.clock()
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(m.CSV_COLUMNS)
        after = 0
        while True:
            page = self.store.scan(f, now, after, EXPORT_PAGE)
            for case in page:
                writer.writerow(m.csv_row(case))
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
            if len(page) < EXPORT_PAGE:
                return
            after = page[-1].id

    def export_xlsx(self, f: CaseFilter) -> bytes:
        """The same rows as :meth:`export_csv` as an XLSX workbook (one sheet, text cells through
        ``core.exports.safe_cell``, times as ISO 8601 text). Written in write-only mode, page by
        page; a selection past one worksheet's rows is refused, asking for a narrower filter."""
        from openpyxl import Workbook  # loaded when a workbook is written

        m.check_filter(f)
        self.sync()
        now = self.clock()
        _, total = self.store.find(replace(f, limit=1, offset=0), now)
        if total > XLSX_MAX_ROWS:
            raise InvalidInput.for_field("filter", f"selects {total} cases, more than a worksheet holds; narrow it or export CSV")
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("cases")
        ws.append(list(m.CSV_COLUMNS))
        after = 0
        while True:
            page = self.store.scan(f, now, after, EXPORT_PAGE)
            for case in page:
                ws.append([case.id, *m.csv_row(case)[1:]])
            if len(page) < EXPORT_PAGE:
                break
            after = page[-1].id
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    # -- working a case ------------------------------------------------------------------------

    def assign(self, case_id: int, assignee: str, actor: str, queue: str | None = None) -> Case:
        return self.store.apply(c := self.get(case_id), m.assign(c, assignee, actor, self.clock(), queue))

    def review(self, case_id: int, actor: str) -> Case:
        return self.store.apply(c := self.get(case_id), m.start_review(c, actor, self.clock()))

    def escalate(self, case_id: int, actor: str, reason: str) -> Case:
        return self.store.apply(c := self.get(case_id), m.escalate(c, actor, self.clock(), reason))

    def comment(self, case_id: int, actor: str, text: str) -> CaseEvent:
        event = m.comment(self.get(case_id), actor, self.clock(), text)
        self.store.append(event)
        return event

    def close(self, case_id: int, actor: str, disposition: str, reason: str) -> Case:
        """Closes, or for a high/critical case records the proposal a second person confirms.
        A kind with a registered handler checks the record first and writes the outcome back."""
        c = self.get(case_id)
        change = m.close(c, actor, self.clock(), disposition, reason)
        handler = self._handler(c)
        if handler is not None:
            handler.check(c, disposition)
        return self._after(self.store.apply(c, change), handler, actor, c)

    def confirm(self, case_id: int, actor: str, approve: bool = True, reason: str = "") -> Case:
        c = self.get(case_id)
        change = m.confirm(c, actor, self.clock(), approve, reason)
        handler = self._handler(c) if approve else None
        if handler is not None and c.pending_disposition is not None:
            handler.check(c, c.pending_disposition)
        return self._after(self.store.apply(c, change), handler, actor, c)

    def _bulk(self, ids: list[int], act: Callable[[int], Case]) -> list[BulkResult]:
        if not 1 <= len(ids) <= MAX_BULK:
            raise InvalidInput.for_field("ids", f"give between 1 and {MAX_BULK} case ids")
        out = []
        for case_id in dict.fromkeys(ids):
            try:
                case = act(case_id)
                out.append(BulkResult(case_id, True, state=case.state.value, pending=case.pending_disposition is not None))
            except FinguardError as exc:
                out.append(BulkResult(case_id, False, exc.message))
        return out

    def bulk_assign(self, ids: list[int], assignee: str, actor: str) -> list[BulkResult]:
        """Each case on its own: one closed or missing case does not stop the others; each says why."""
        if not assignee.strip():
            raise InvalidInput.for_field("assignee", "is required")
        return self._bulk(ids, lambda i: self.assign(i, assignee, actor))

    def bulk_close(self, ids: list[int], actor: str, disposition: str, reason: str) -> list[BulkResult]:
        if not reason.strip():
            raise InvalidInput.for_field("reason", "is required")
        return self._bulk(ids, lambda i: self.close(i, actor, disposition, reason))

    # -- evidence ------------------------------------------------------------------------------

    def attach(self, case_id: int, actor: str, name: str, data: bytes) -> Attachment:
        """Store a file on an open case after its size and content checks; the upload is a line
        of the audit trail (name, type, size, SHA-256). A refused file stores nothing."""
        case = self.get(case_id)
        if not case.open:
            raise Conflict(f"case {case_id} is closed; evidence can no longer be added")
        upload = check_upload(name, data, self.attachment_limit)
        event = m.CaseEvent(case.id, self.clock(), actor, "attach", case.state.value, case.state.value, upload.name,
                            {"sha256": upload.sha256, "size": upload.size, "media_type": upload.media_type})
        return self.store.add_attachment(case, upload, event)

    def attachments(self, case_id: int) -> list[Attachment]:
        self.get(case_id)
        return self.store.attachments(case_id)

    def download(self, case_id: int, attachment_id: int, actor: str) -> tuple[Attachment, bytes]:
        """The file, after its download is written to the case's audit trail."""
        case = self.get(case_id)
        found = self.store.attachment(case_id, attachment_id)
        if found is None:
            raise NotFound(f"case {case_id} has no attachment {attachment_id}")
        att, content = found
        self.store.append(m.CaseEvent(case.id, self.clock(), actor, "download", case.state.value, case.state.value,
                                      att.name, {"attachment_id": att.id, "sha256": att.sha256}))
        return att, content

    # -- opening cases -------------------------------------------------------------------------

    def file_complaint(self, *, category: str, customer: str, text: str, contact: str, branch: str = "",
                       channel: str = "staff", filed_by: str) -> Case:
        new = m.complaint(category=category, customer=customer, text=text, contact=contact, branch=branch,
                          channel=channel, filed_by=filed_by, at=self.clock())
        return self.store.create(new, filed_by)

    def request_service(self, *, service_type: str, customer: str, text: str, contact: str, branch: str,
                        slot_start: datetime | None, slot_end: datetime | None, filed_by: str) -> Case:
        new = m.service_request(service_type=service_type, customer=customer, text=text, contact=contact,
                                branch=branch, slot_start=slot_start, slot_end=slot_end, filed_by=filed_by,
                                at=self.clock())
        return self.store.create(new, filed_by)

    def open_once(self, new: NewCase, actor: str) -> tuple[Case, bool]:
        """Open a case under its fixed reference, or return the one already open under it (two
        openers at once make one case). ``True`` when this call opened it."""
        if new.reference is None:
            raise InvalidInput.for_field("reference", "is required to open a case once")
        found = self.store.by_reference(new.reference)
        if found is not None:
            return found, False
        return self.store.create_once(new, actor)
