"""Robots: the jobs, their schedules, their runs and what each one decides. Pure, no I/O.

A robot is a named job (``ROBOTS``) with a schedule (daily at a China-time hour and minute, or
every so many minutes). ``robot_job`` keeps each job's next due time and its lease (who holds it,
until when); ``robot_run`` keeps every run: who started it (a schedule or a person), when, how far
it got, what it counted and how it ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidIdentifier, InvalidInput, NotFound
from finguard.core.identifiers import IdType, normalize

# The branches' clock: daily robots run and daily reports cut at China-time midnight.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

# A run holds its job's lease this long past its last sign of life; a run that stops sending them
# (a killed process) loses the job, and the next claim marks it ``crashed``.
LEASE = timedelta(minutes=10)
# After a failed scheduled run: retry after 5, 10, 20 minutes, then wait for the next slot.
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20))


class Outcome(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    CRASHED = "crashed"  # the process died (or lost its lease) before the run ended


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Schedule:
    """Daily at ``at`` (China time), or every ``every_minutes`` minutes."""

    at: time | None = None
    every_minutes: int | None = None

    def __post_init__(self) -> None:
        if (self.at is None) == (self.every_minutes is None):
            raise ValueError("a schedule is daily at a time or every so many minutes, one of the two")

    def next_after(self, now: datetime) -> datetime:
        """The first slot strictly after ``now`` (missed slots are not made up one by one)."""
        if self.every_minutes is not None:
            step = timedelta(minutes=self.every_minutes)
            return now + step
        assert self.at is not None
        local = now.astimezone(CHINA)
        slot = datetime.combine(local.date(), self.at, tzinfo=CHINA)
        if slot <= local:
            slot += timedelta(days=1)
        return slot

    def describe(self) -> dict[str, Any]:
        if self.every_minutes is not None:
            return {"every_minutes": self.every_minutes}
        assert self.at is not None
        return {"daily_at": self.at.strftime("%H:%M"), "zone": "Asia/Shanghai"}


@dataclass(frozen=True, slots=True)
class RobotSpec:
    name: str
    schedule: Schedule


NEW_LISTINGS = "new_listings"
LIST_FRESHNESS = "list_freshness"
SETTLEMENT_REPORT = "settlement_report"
CASE_SLA = "case_sla"
LIST_REFRESH = "list_refresh"

ROBOTS: dict[str, RobotSpec] = {
    r.name: r
    for r in (
        # Bank-card due diligence: stored accounts and cards against what the lists added since.
        RobotSpec(NEW_LISTINGS, Schedule(at=time(1, 0))),
        RobotSpec(LIST_FRESHNESS, Schedule(every_minutes=60)),
        # Fetch the configured official list files; apply what changed as a diff.
        RobotSpec(LIST_REFRESH, Schedule(every_minutes=180)),
        # Yesterday's report (China time), written once the day is over.
        RobotSpec(SETTLEMENT_REPORT, Schedule(at=time(2, 0))),
        # Adopt new alerts as cases and escalate cases past their SLA.
        RobotSpec(CASE_SLA, Schedule(every_minutes=15)),
    )
}


def robot(name: str) -> RobotSpec:
    found = ROBOTS.get(name)
    if found is None:
        raise NotFound(f"no robot {name!r}; robots: {', '.join(ROBOTS)}")
    return found


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    enabled: bool
    next_due_at: datetime
    failures: int
    lock_owner: str | None
    lock_until: datetime | None
    last_run_id: int | None

    def locked(self, now: datetime) -> bool:
        return self.lock_owner is not None and self.lock_until is not None and self.lock_until > now

    def due(self, now: datetime) -> bool:
        return self.enabled and self.next_due_at <= now and not self.locked(now)


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    robot: str
    trigger: Trigger
    actor: str
    owner: str
    started_at: datetime
    outcome: Outcome
    heartbeat_at: datetime
    finished_at: datetime | None = None
    stage: str = ""
    done: int = 0
    total: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None


def after_run(spec: RobotSpec, job: Job, trigger: Trigger, ok: bool, now: datetime) -> tuple[datetime, int]:
    """The job's next due time and failure count after a run. A manual run leaves the schedule as
    it was; a failed scheduled run is retried after 5, 10, 20 minutes, then waits for its next slot."""
    if trigger is Trigger.MANUAL:
        return job.next_due_at, job.failures
    if ok:
        return spec.schedule.next_after(now), 0
    failures = job.failures + 1
    if failures <= len(RETRY_DELAYS):
        return now + RETRY_DELAYS[failures - 1], failures
    return spec.schedule.next_after(now), failures


# -- due diligence: stored accounts and cards against the lists ------------------------------------

SEVERITY_OF_LEVEL = {1: "low", 2: "medium", 3: "high", 4: "critical"}
LISTED_ALERT = "robot_new_listing"
STALE_ALERT = "robot_list_stale"
REFUSED_ALERT = "robot_list_refresh_refused"


def severity(risk_level: int) -> str:
    return SEVERITY_OF_LEVEL.get(int(risk_level), "high")


# -- list freshness --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Freshness:
    """A list's "as of" (its last change, import or confirmed refresh, else its creation), the
    source's own date (the publication date the file carries, else the server's Last-Modified),
    the period within which it must be refreshed, and whether it is past it. A list whose last
    refresh from its source failed is stale too: it cannot be confirmed current."""

    list_code: str
    name: str
    kind: str
    as_of: datetime
    max_age: timedelta
    last_import: datetime | None
    now: datetime
    source_date: datetime | None = None
    refresh_error: str | None = None  # the last refresh from the configured source failed
    refresh_failed_at: datetime | None = None

    @property
    def age(self) -> timedelta:
        return self.now - self.as_of

    @property
    def stale(self) -> bool:
        return self.age > self.max_age or self.refresh_error is not None

    @property
    def stale_since(self) -> datetime | None:
        """When it went stale: past its period, or its refresh failing, whichever came first."""
        if not self.stale:
            return None
        since = [t for t in (self.refresh_failed_at if self.refresh_error else None,
                             self.as_of + self.max_age if self.age > self.max_age else None) if t is not None]
        return min(since)


# The kinds of list the public page dates (never internal or allow lists).
PUBLIC_KINDS = ("fraud_account", "mule_account", "dishonest_debtor", "sanctions")


def public_list_dates(rows: list[Freshness], kinds: tuple[str, ...] = PUBLIC_KINDS) -> list[dict[str, Any]]:
    """One row per kind of list for the public page: the oldest "as of" among that kind's lists,
    the oldest date their source files carry (a file checked today may be years old), and whether
    any of them is stale. No list code or name: the public page must not say which lists the bank
    holds."""
    out: dict[str, dict[str, Any]] = {}
    for f in rows:
        if f.kind not in kinds:
            continue
        row = out.setdefault(f.kind, {"kind": f.kind, "as_of": f.as_of, "stale": False, "source_date": None})
        row["as_of"] = min(row["as_of"], f.as_of)
        row["stale"] = row["stale"] or f.stale
        if f.source_date is not None:
            row["source_date"] = f.source_date if row["source_date"] is None else min(row["source_date"], f.source_date)
    return [out[k] for k in kinds if k in out]


MAX_PERIOD_HOURS = 24 * 366


def check_period(hours: float) -> timedelta:
    if not 1 <= hours <= MAX_PERIOD_HOURS:
        raise InvalidInput.for_field("max_age_hours", f"must be between 1 and {MAX_PERIOD_HOURS}")
    return timedelta(hours=hours)


# -- the settlement report -------------------------------------------------------------------------

REPORT_COLUMNS = ("day", "section", "group", "count")
CASE_COLUMNS = ("id", "kind", "severity", "queue", "state", "subject", "created_at", "due_at", "closed_at",
                "disposition", "opened_on_day", "closed_on_day", "breached_on_day")


def china_day(day: date) -> tuple[datetime, datetime]:
    """A China-time day as a UTC-comparable half-open interval."""
    start = datetime.combine(day, time(0, 0), tzinfo=CHINA)
    return start, start + timedelta(days=1)


def today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def parse_day(raw: str, field_name: str = "day") -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise InvalidInput.for_field(field_name, "must be a date, YYYY-MM-DD") from exc


@dataclass(frozen=True, slots=True)
class CaseLine:
    """One case as the report sees it."""

    id: int
    kind: str
    severity: str
    queue: str
    state: str
    subject: str
    created_at: datetime
    due_at: datetime
    closed_at: datetime | None
    disposition: str | None


@dataclass(frozen=True, slots=True)
class DayReport:
    day: date
    final: bool  # the day was over when it was written
    rows: list[tuple[str, str, int]]  # (section, group, count)
    cases: list[tuple[CaseLine, bool, bool, bool]]  # the case, opened / closed / breached that day


def breached_on(c: CaseLine, start: datetime, end: datetime) -> bool:
    """The case's deadline fell in the day and it was still open at the deadline."""
    return start <= c.due_at < end and (c.closed_at is None or c.closed_at > c.due_at)


def day_report(day: date, now: datetime, cases: list[CaseLine], alerts: dict[str, int],
               queue_of: Any) -> DayReport:
    """Cases opened, closed (by disposition) and breaching their SLA in the day, by kind; alerts
    raised in the day by source (the capability whose queue they land in) and by kind."""
    start, end = china_day(day)
    rows: dict[tuple[str, str], int] = {}

    def add(section: str, group: str, n: int = 1) -> None:
        rows[(section, group)] = rows.get((section, group), 0) + n

    lines = []
    for c in cases:
        opened = start <= c.created_at < end
        closed = c.closed_at is not None and start <= c.closed_at < end
        breached = breached_on(c, start, end)
        if not (opened or closed or breached):
            continue
        lines.append((c, opened, closed, breached))
        if opened:
            add("cases_opened", c.kind)
        if closed:
            add("cases_closed", f"{c.kind}/{c.disposition or '-'}")
        if breached:
            add("cases_sla_breached", c.kind)
    for kind, n in sorted(alerts.items()):
        add("alerts_by_source", queue_of(kind), n)
        add("alerts_by_kind", kind, n)
    for section in ("cases_opened", "cases_closed", "cases_sla_breached", "alerts_by_source"):
        total = sum(n for (s, _), n in rows.items() if s == section)
        rows[(section, "total")] = total
    order = {"cases_opened": 0, "cases_closed": 1, "cases_sla_breached": 2, "alerts_by_source": 3, "alerts_by_kind": 4}
    ordered = sorted(rows.items(), key=lambda kv: (order[kv[0][0]], kv[0][1] == "total", kv[0][1]))
    lines.sort(key=lambda line: line[0].id)
    return DayReport(day, now >= end, [(s, g, n) for (s, g), n in ordered], lines)


def problems_of_name(name: str) -> list[FieldProblem]:
    return [] if name in ROBOTS else [FieldProblem("robot", f"must be one of {', '.join(ROBOTS)}")]


# -- the bank's own instruments ------------------------------------------------------------------


def instrument_forms(raw: str) -> list[tuple[str, str]]:
    """The identifiers a stored account or card string stands for, as the lists store them.

    A number is registered as an ``account`` (6 to 34 digits) and, when it is also a valid card
    number (13 to 19 digits passing Luhn: a Chinese debit card *is* the account), as a ``card``
    too, so an entry listed under either type finds it. A string that is neither (an AMLSim or
    PaySim account name) gives nothing: it cannot be on a list of account numbers."""
    forms: list[tuple[str, str]] = []
    for id_type in (IdType.ACCOUNT, IdType.CARD):
        try:
            forms.append((id_type.value, normalize(id_type, raw)))
        except InvalidIdentifier:
            continue
    return forms


def uscc_form(raw: str) -> list[tuple[str, str]]:
    try:
        return [(IdType.USCC.value, normalize(IdType.USCC, raw))]
    except InvalidIdentifier:
        return []


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(at: datetime) -> int:
    """A time as a whole number of microseconds (``job_cursor`` keeps integers)."""
    return (at - EPOCH) // timedelta(microseconds=1)


def from_epoch_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


# -- list refresh from the official sources ---------------------------------------------------------

# Extra files a format needs beside its main one (OFAC's legacy CSV: aliases and addresses).
EXTRA_FILES = {"ofac": ("alt", "add")}
FILE_NAMES = {"ofac": {"main": "sdn.csv", "alt": "alt.csv", "add": "add.csv"}, "un": {"main": "list.xml"},
              "eu": {"main": "list.xml"}, "uk": {"main": "list.csv"}, "csv": {"main": "list.csv"},
              "jsonl": {"main": "list.jsonl"}}


@dataclass(frozen=True, slots=True)
class RefreshSource:
    """Where a list's official file is published and in which format; ``files`` maps each part
    (``main``, and for OFAC ``alt`` / ``add``) to its URL."""

    list_code: str
    fmt: str
    files: tuple[tuple[str, str], ...]

    @property
    def url(self) -> str:
        return dict(self.files)["main"]


def parse_sources(raw: dict[str, dict[str, str]], formats: tuple[str, ...]) -> list[RefreshSource]:
    """The ``list_sources`` setting: ``{"ofac-sdn": {"url": "...", "format": "ofac", "alt_url": "...",
    "add_url": "..."}}``. Every problem names its field; nothing is half-read."""
    problems: list[FieldProblem] = []
    out: list[RefreshSource] = []
    for code, spec in sorted(raw.items()):
        where = f"list_sources.{code}"
        if not isinstance(spec, dict):
            problems.append(FieldProblem(where, "must be an object with url and format"))
            continue
        fmt = str(spec.get("format", ""))
        if fmt not in formats or fmt not in FILE_NAMES:
            problems.append(FieldProblem(f"{where}.format", f"must be one of {', '.join(f for f in formats if f in FILE_NAMES)}"))
            continue
        files = []
        for part in ("main", *EXTRA_FILES.get(fmt, ())):
            key = "url" if part == "main" else f"{part}_url"
            url = str(spec.get(key, "")).strip()
            if not url and part != "main":
                continue  # OFAC without aliases or addresses: the names alone
            if not url.startswith(("http://", "https://")) or len(url) > 2000:
                problems.append(FieldProblem(f"{where}.{key}", "must be an http(s) URL"))
                continue
            files.append((part, url))
        unknown = set(spec) - {"url", "format", *(f"{p}_url" for p in EXTRA_FILES.get(fmt, ()))}
        if unknown:
            problems.append(FieldProblem(where, f"unknown key(s): {', '.join(sorted(unknown))}"))
        out.append(RefreshSource(code, fmt, tuple(files)))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    return out


def is_complete(fmt: str, part: str, body: bytes) -> bool:
    """A file that ends where its format says it ends: OFAC's legacy CSV files close with a DOS
    end-of-file mark (0x1A); a file cut short has none. (XML formats fail to parse when cut.)"""
    if fmt == "ofac":
        return body.rstrip(b"\r\n \t").endswith(b"\x1a")
    return True
