"""Cases: the work items staff work down (alerts, complaints, special-service requests).

Pure rules, no I/O: the states and the moves between them, SLA deadlines, who may confirm a
close, the complaint categories and the confirmation number. The service applies them; the store
keeps every move in an append-only event log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from finguard.core.errors import Conflict, FieldProblem, Forbidden, InvalidInput
from finguard.core.exports import safe_cell


class CaseKind(StrEnum):
    ALERT = "alert"
    COMPLAINT = "complaint"
    SERVICE = "service"
    LOAN_APPROVAL = "loan_approval"  # a credit application that needs a person's approval (#14)
    DUE_DILIGENCE = "due_diligence"  # a counterparty's due-diligence screening found a hit to review


class State(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_REVIEW = "in_review"
    ESCALATED = "escalated"
    CLOSED = "closed"


OPEN_STATES = (State.NEW, State.ASSIGNED, State.IN_REVIEW, State.ESCALATED)
SEVERITIES = ("low", "medium", "high", "critical")
# Closing these takes two people: one proposes the disposition, another confirms it.
MAKER_CHECKER = frozenset({"high", "critical"})

# The eight rights of the financial consumer in the PBOC Measures for the Implementation of
# Financial Consumer Protection (中国人民银行金融消费者权益保护实施办法, PBOC Order [2020] No. 5).
COMPLAINT_CATEGORIES = (
    "property_safety",  # 财产安全权
    "information",  # 知情权
    "free_choice",  # 自主选择权
    "fair_trade",  # 公平交易权
    "compensation",  # 依法求偿权
    "education",  # 受教育权
    "respect",  # 受尊重权
    "information_security",  # 信息安全权
)
# The statutory reply deadline for a complaint: 15 days from receipt (PBOC Order [2020] No. 5,
# the complaint-handling article of chapter 5: a decision within 15 days; complex cases may be
# extended, at most to 60 days, with written reasons). Extensions are not modelled yet.
COMPLAINT_REPLY_DAYS = 15

DUE_SOON = timedelta(hours=24)
SLA_STATES = ("breached", "due_soon", "ok")
# The dashboard's age buckets of open cases: up to 1 day, 3 days, 7 days, older.
AGE_BUCKETS = (timedelta(days=1), timedelta(days=3), timedelta(days=7))
# The list's age filter, one value per bucket (the time since the case was opened).
AGE_FILTERS = ("lt1d", "1to3d", "3to7d", "gt7d")

# The dashboard's days are China days (the branches' calendar), as the settlement report's.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
CLOSED_DAYS = 30


def per_day(times: list[datetime], last_day: date, days: int = CLOSED_DAYS) -> list[tuple[date, int]]:
    """How many of ``times`` fall on each China day of the ``days`` ending with ``last_day``."""
    first = last_day - timedelta(days=days - 1)
    counts = dict.fromkeys((first + timedelta(days=i) for i in range(days)), 0)
    for t in times:
        d = t.astimezone(CHINA).date()
        if d in counts:
            counts[d] += 1
    return list(counts.items())


def china_today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def since_day(last_day: date, days: int = CLOSED_DAYS) -> datetime:
    """The start (UTC) of the first China day of the ``days`` ending with ``last_day``."""
    first = last_day - timedelta(days=days - 1)
    return datetime(first.year, first.month, first.day, tzinfo=CHINA)


SERVICE_TYPES = ("home_visit", "accessible_service", "urgent_handling")

DISPOSITIONS: dict[CaseKind, tuple[str, ...]] = {
    CaseKind.ALERT: ("true_positive", "false_positive", "duplicate", "no_action_needed"),
    CaseKind.COMPLAINT: ("upheld", "partly_upheld", "not_upheld", "withdrawn"),
    CaseKind.SERVICE: ("completed", "cancelled", "no_show"),
    CaseKind.LOAN_APPROVAL: ("approved", "refused"),
    # an alert's dispositions, or: the counterparty needs enhanced due diligence before going ahead
    CaseKind.DUE_DILIGENCE: ("true_positive", "false_positive", "duplicate", "no_action_needed", "enhanced_due_diligence"),
}
# Kinds whose close acts on another capability's record (a loan approval writes the decision back
# to the credit application): the capability that opens them registers a ``CloseHandler`` with the
# case service, and without one such a case cannot be closed (the record would not follow).
HANDLED_KINDS = frozenset({CaseKind.LOAN_APPROVAL})
# A loan approval's reference: "LA" and the application id; unique, so one case per application.
# The confirmation alphabet has no L, so no customer lookup ever finds it.
LOAN_APPROVAL_PREFIX = "LA"

# SLA of an alert by severity: the time from raising to closing before it escalates.
ALERT_SLA = {
    "critical": timedelta(hours=4),
    "high": timedelta(hours=24),
    "medium": timedelta(days=3),
    "low": timedelta(days=7),
}
SERVICE_SLA = {
    "urgent_handling": timedelta(hours=24),
    "home_visit": timedelta(days=5),
    "accessible_service": timedelta(days=3),
}

# Confirmation numbers: read out over the phone, so no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V pairs.
CONFIRMATION_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
CONFIRMATION_LENGTH = 8


def new_confirmation() -> str:
    """8 symbols of a 23-letter alphabet: 23**8 ~ 7.8e10 numbers, so guessing one is hopeless."""
    return "".join(secrets.choice(CONFIRMATION_ALPHABET) for _ in range(CONFIRMATION_LENGTH))


def format_confirmation(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:]}"


def parse_confirmation(text: str) -> str | None:
    """What a customer types or reads back ("acde-fghj", "ACDE FGHJ") as the stored number."""
    raw = "".join(c for c in text.upper() if c not in " -")
    if len(raw) != CONFIRMATION_LENGTH or any(c not in CONFIRMATION_ALPHABET for c in raw):
        return None
    return raw


def case_kind_of_alert(alert_kind: str) -> CaseKind:
    """The work item an alert becomes: a due-diligence screening hit is a due-diligence review
    (the counterparty, before a contract, onboarding, purchase or hire); every other alert an alert."""
    return CaseKind.DUE_DILIGENCE if alert_kind == "screening_hit" else CaseKind.ALERT


def alert_queue(alert_kind: str) -> str:
    """The queue an alert lands in: the capability that raised it (the kind's first word)."""
    head = alert_kind.split("_", 1)[0].split(".", 1)[0].lower()
    return {"screening": "screening", "guard": "guard", "monitor": "monitors", "monitors": "monitors",
            "robot": "robots"}.get(head, "alerts")


def due_at(kind: CaseKind, severity: str, created: datetime, service_type: str | None = None,
           slot_start: datetime | None = None) -> datetime:
    if kind is CaseKind.COMPLAINT:
        return created + timedelta(days=COMPLAINT_REPLY_DAYS)
    if kind is CaseKind.SERVICE:
        if slot_start is not None:
            return slot_start
        return created + SERVICE_SLA.get(service_type or "", timedelta(days=3))
    return created + ALERT_SLA.get(severity, ALERT_SLA["medium"])


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    kind: CaseKind
    state: State
    severity: str
    queue: str
    subject: str
    summary: str
    details: dict[str, Any]
    created_at: datetime
    due_at: datetime
    version: int
    assignee: str | None = None
    alert_id: int | None = None
    reference: str | None = None
    category: str | None = None
    branch: str | None = None
    slot_start: datetime | None = None
    slot_end: datetime | None = None
    contact: str | None = None
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    disposition: str | None = None
    close_reason: str | None = None
    pending_disposition: str | None = None
    pending_reason: str | None = None
    pending_by: str | None = None

    @property
    def open(self) -> bool:
        return self.state is not State.CLOSED

    def sla_state(self, now: datetime) -> str:
        """``closed``, ``breached`` (past due), ``due_soon`` (due within a day) or ``ok``."""
        if not self.open:
            return "closed"
        if now >= self.due_at:
            return "breached"
        return "due_soon" if self.due_at - now <= DUE_SOON else "ok"

    @property
    def needs_checker(self) -> bool:
        return self.severity in MAKER_CHECKER


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One line of a case's audit trail: who did what, when, from which state to which."""

    case_id: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """The new values of a case's mutable columns, with the event that records the move."""

    values: dict[str, Any]
    event: CaseEvent


def _event(case: Case, at: datetime, actor: str, action: str, to: State, reason: str = "", **data: Any) -> CaseEvent:
    return CaseEvent(case.id, at, actor, action, case.state.value, to.value, reason, data)


def _require_open(case: Case) -> None:
    if not case.open:
        raise Conflict(f"case {case.id} is closed")


def _text(field_name: str, value: str, limit: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput.for_field(field_name, "is required")
    if len(value) > limit:
        raise InvalidInput.for_field(field_name, f"is longer than {limit} characters")
    return value


def assign(case: Case, assignee: str, actor: str, at: datetime, queue: str | None = None) -> Change:
    _require_open(case)
    who = _text("assignee", assignee, 100)
    values: dict[str, Any] = {"assignee": who}
    if queue is not None:
        values["queue"] = _text("queue", queue, 64)
    # An escalated case keeps its state: the escalation stays visible until the case closes.
    to = State.ESCALATED if case.state is State.ESCALATED else State.ASSIGNED
    values["state"] = to.value
    return Change(values, _event(case, at, actor, "assign", to, assignee=who, previous=case.assignee))


def start_review(case: Case, actor: str, at: datetime) -> Change:
    _require_open(case)
    if case.state not in (State.ASSIGNED, State.NEW):
        raise Conflict(f"case {case.id} is {case.state.value}; only a new or assigned case goes into review")
    values: dict[str, Any] = {"state": State.IN_REVIEW.value}
    if case.assignee is None:
        values["assignee"] = actor
    return Change(values, _event(case, at, actor, "review", State.IN_REVIEW))


def escalate(case: Case, actor: str, at: datetime, reason: str) -> Change:
    _require_open(case)
    if case.state is State.ESCALATED:
        raise Conflict(f"case {case.id} is already escalated")
    why = _text("reason", reason, 2000)
    return Change({"state": State.ESCALATED.value, "escalated_at": at}, _event(case, at, actor, "escalate", State.ESCALATED, why))


def comment(case: Case, actor: str, at: datetime, text: str) -> CaseEvent:
    body = _text("text", text, 4000)
    return CaseEvent(case.id, at, actor, "comment", case.state.value, case.state.value, body)


def _check_disposition(case: Case, disposition: str, reason: str) -> tuple[str, str]:
    allowed = DISPOSITIONS[case.kind]
    problems = []
    if disposition not in allowed:
        problems.append(FieldProblem("disposition", f"must be one of {', '.join(allowed)}"))
    if not reason.strip():
        problems.append(FieldProblem("reason", "is required"))
    elif len(reason.strip()) > 2000:
        problems.append(FieldProblem("reason", "is longer than 2000 characters"))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    return disposition, reason.strip()


def close(case: Case, actor: str, at: datetime, disposition: str, reason: str) -> Change:
    """Close at once, or, for a high or critical case, propose the close for a second person."""
    _require_open(case)
    disposition, reason = _check_disposition(case, disposition, reason)
    if case.needs_checker:
        values = {"pending_disposition": disposition, "pending_reason": reason, "pending_by": actor}
        return Change(values, _event(case, at, actor, "close_proposed", case.state, reason, disposition=disposition))
    return _closed(case, actor, at, disposition, reason)


def _closed(case: Case, actor: str, at: datetime, disposition: str, reason: str, **data: Any) -> Change:
    values = {
        "state": State.CLOSED.value,
        "closed_at": at,
        "disposition": disposition,
        "close_reason": reason,
        "pending_disposition": None,
        "pending_reason": None,
        "pending_by": None,
    }
    return Change(values, _event(case, at, actor, "close", State.CLOSED, reason, disposition=disposition, **data))


def same_person(actor: str, other: str) -> bool:
    """Actors are "kind:name" (key:li.na, user:li.na, os:li.na): one person may hold a key and an
    account under one name, and either counts as the same person (as ``access.model.Principal``)."""
    return actor == other or actor.split(":", 1)[-1] == other.split(":", 1)[-1]


def confirm(case: Case, actor: str, at: datetime, approve: bool = True, reason: str = "") -> Change:
    """The checker's answer to a proposed close: a different person confirms (closes) or rejects it."""
    _require_open(case)
    if case.pending_disposition is None or case.pending_by is None:
        raise Conflict(f"case {case.id} has no close waiting for confirmation")
    if same_person(actor, case.pending_by):
        raise Forbidden("the person who proposed a close cannot confirm it (maker-checker)")
    if approve:
        return _closed(case, actor, at, case.pending_disposition, case.pending_reason or "", proposed_by=case.pending_by)
    why = _text("reason", reason, 2000)
    values = {"pending_disposition": None, "pending_reason": None, "pending_by": None}
    return Change(values, _event(case, at, actor, "close_rejected", case.state, why, proposed_by=case.pending_by))


def breach(case: Case, at: datetime) -> Change | None:
    """The SLA escalation: an open case past its deadline that is not yet escalated."""
    if not case.open or case.state is State.ESCALATED or at < case.due_at:
        return None
    values = {"state": State.ESCALATED.value, "escalated_at": at}
    return Change(values, _event(case, at, "system", "escalate", State.ESCALATED, "sla_breached"))


CSV_COLUMNS = (
    "id", "kind", "state", "severity", "queue", "assignee", "subject", "summary", "reference", "category",
    "created_at", "due_at", "closed_at", "disposition", "close_reason",
)


def csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run (``core.exports.safe_cell``: text starting with = + - @
    tab or CR gets a leading apostrophe); times as ISO 8601 text, nothing as an empty cell."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return str(safe_cell(text))


def csv_row(case: Case) -> list[str]:
    return [csv_cell(getattr(case, name)) for name in CSV_COLUMNS]


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case to open (a complaint or a service request; alerts are adopted from the alert table)."""

    kind: CaseKind
    severity: str
    queue: str
    subject: str
    summary: str
    details: dict[str, Any]
    created_at: datetime
    due_at: datetime
    reference: str | None = None
    category: str | None = None
    branch: str | None = None
    slot_start: datetime | None = None
    slot_end: datetime | None = None
    contact: str | None = None


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """What a list, an export or a bulk action selects. ``state`` "open" means every open state."""

    state: str | None = "open"
    kind: str | None = None
    severity: str | None = None
    queue: str | None = None
    assignee: str | None = None
    sla: str | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0
    age: str | None = None


FILTER_STATES = ("open", "all", *(s.value for s in State))


def check_filter(f: CaseFilter) -> CaseFilter:
    problems = []
    if f.state is not None and f.state not in FILTER_STATES:
        problems.append(FieldProblem("state", f"must be one of {', '.join(FILTER_STATES)}"))
    if f.kind is not None and f.kind not in {k.value for k in CaseKind}:
        problems.append(FieldProblem("kind", f"must be one of {', '.join(k.value for k in CaseKind)}"))
    if f.severity is not None and f.severity not in SEVERITIES:
        problems.append(FieldProblem("severity", f"must be one of {', '.join(SEVERITIES)}"))
    if f.sla is not None and f.sla not in SLA_STATES:
        problems.append(FieldProblem("sla", f"must be one of {', '.join(SLA_STATES)}"))
    if f.age is not None and f.age not in AGE_FILTERS:
        problems.append(FieldProblem("age", f"must be one of {', '.join(AGE_FILTERS)}"))
    if f.q is not None and len(f.q) > 200:
        problems.append(FieldProblem("q", "is longer than 200 characters"))
    if not 1 <= f.limit <= 10_000:
        problems.append(FieldProblem("limit", "must be between 1 and 10000"))
    if not 0 <= f.offset <= 10_000_000:
        problems.append(FieldProblem("offset", "must be between 0 and 10000000"))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    return f


def _collect(problems: list[FieldProblem], name: str, value: str, limit: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        problems.append(FieldProblem(name, "is required"))
    elif len(value) > limit:
        problems.append(FieldProblem(name, f"is longer than {limit} characters"))
    return value


def _raise(problems: list[FieldProblem]) -> None:
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)


def complaint(*, category: str, customer: str, text: str, contact: str, branch: str, channel: str,
              filed_by: str, at: datetime) -> NewCase:
    """A complaint as filed by staff or by a customer on the public page; every bad field at once."""
    problems: list[FieldProblem] = []
    if category not in COMPLAINT_CATEGORIES:
        problems.append(FieldProblem("category", f"must be one of {', '.join(COMPLAINT_CATEGORIES)}"))
    customer = _collect(problems, "customer", customer, 200)
    text = _collect(problems, "text", text, 4000)
    contact = _collect(problems, "contact", contact, 200)
    branch = _collect(problems, "branch", branch, 100, required=False)
    _raise(problems)
    return NewCase(
        kind=CaseKind.COMPLAINT, severity="medium", queue="complaints", subject=customer, summary=text,
        details={"channel": channel, "filed_by": filed_by}, created_at=at,
        due_at=due_at(CaseKind.COMPLAINT, "medium", at), reference=new_confirmation(), category=category,
        branch=branch or None, contact=contact,
    )


MAX_SLOT = timedelta(hours=8)


def service_request(*, service_type: str, customer: str, text: str, contact: str, branch: str,
                    slot_start: datetime | None, slot_end: datetime | None, filed_by: str, at: datetime) -> NewCase:
    """A special-service request: a home visit, accessible service or urgent handling, at a branch."""
    problems: list[FieldProblem] = []
    if service_type not in SERVICE_TYPES:
        problems.append(FieldProblem("service_type", f"must be one of {', '.join(SERVICE_TYPES)}"))
    customer = _collect(problems, "customer", customer, 200)
    text = _collect(problems, "text", text, 4000, required=False)
    contact = _collect(problems, "contact", contact, 200)
    branch = _collect(problems, "branch", branch, 100)
    if (slot_start is None) != (slot_end is None):
        problems.append(FieldProblem("slot_end" if slot_end is None else "slot_start", "give both ends of the slot or neither"))
    elif slot_start is not None and slot_end is not None:
        if slot_start.tzinfo is None or slot_end.tzinfo is None:
            problems.append(FieldProblem("slot_start", "must carry a time zone"))
        elif not slot_start < slot_end <= slot_start + MAX_SLOT:
            problems.append(FieldProblem("slot_end", "must be after slot_start and at most 8 hours later"))
        elif slot_start < at:
            problems.append(FieldProblem("slot_start", "is in the past"))
    _raise(problems)
    return NewCase(
        kind=CaseKind.SERVICE, severity="medium", queue="service", subject=customer, summary=text or service_type,
        details={"service_type": service_type, "filed_by": filed_by}, created_at=at,
        due_at=due_at(CaseKind.SERVICE, "medium", at, service_type, slot_start), reference=new_confirmation(),
        category=service_type, branch=branch, slot_start=slot_start, slot_end=slot_end, contact=contact,
    )


def loan_approval(*, application_id: int, subject: str, summary: str, severity: str, details: dict[str, Any],
                  created_at: datetime, due: datetime) -> NewCase:
    """A credit application waiting for a person: approve or refuse it from the case. The due time
    comes from the opener (credit's approval-timeliness target); ``high`` or ``critical`` severity
    makes the approval a maker-checker one."""
    problems: list[FieldProblem] = []
    if application_id < 1:
        problems.append(FieldProblem("application_id", "must be a positive whole number"))
    if severity not in SEVERITIES:
        problems.append(FieldProblem("severity", f"must be one of {', '.join(SEVERITIES)}"))
    subject = _collect(problems, "subject", subject, 300)
    summary = _collect(problems, "summary", summary, 4000)
    if due <= created_at:
        problems.append(FieldProblem("due", "must be after the case is opened"))
    _raise(problems)
    return NewCase(
        kind=CaseKind.LOAN_APPROVAL, severity=severity, queue="credit", subject=subject, summary=summary,
        details={**details, "application_id": application_id}, created_at=created_at, due_at=due,
        reference=f"{LOAN_APPROVAL_PREFIX}{application_id}",
    )
