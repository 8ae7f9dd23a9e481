"""Robots (#13): the new-listings robot raises one case per newly listed stored account or card,
resumes after a crash without raising twice, list freshness alerts once per episode, the daily
settlement report, and the scheduler's job table (due times, retries, leases)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from stdnum import luhn

from finguard.alerts.store import alert
from finguard.alerts.store.cases import case_item
from finguard.app.platform import Platform
from finguard.core.clock import aware
from finguard.core.errors import Conflict, InvalidInput, NotFound
from finguard.core.identifiers import IdType
from finguard.guard.store.tables import guard_event
from finguard.ledger.store.tables import ledger_account
from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind
from finguard.lists.store.tables import change_log, import_run
from finguard.robots.model import (
    CASE_SLA,
    LIST_FRESHNESS,
    LIST_REFRESH,
    NEW_LISTINGS,
    SETTLEMENT_REPORT,
    Outcome,
    Schedule,
    Trigger,
    instrument_forms,
)
from finguard.robots.provider import make_robots
from finguard.robots.service.robots import RobotService
from finguard.robots.store.tables import robot_hit, robot_job, robot_run
from tests.conftest import make_settings


def card(prefix: str) -> str:
    """A valid card number (Luhn) of 16 digits starting with ``prefix``."""
    body = (prefix + "0" * 15)[:15]
    return body + luhn.calc_check_digit(body)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 6, 3, 0, tzinfo=UTC)  # 11:00 in China

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as p:
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def robots(platform: Platform, clock: Clock) -> RobotService:
    return make_robots(platform.engine, clock=clock, list_max_age_hours=48)


def add_accounts(platform: Platform, *accounts: str) -> None:
    with platform.engine.begin() as conn:
        conn.execute(ledger_account.insert(), [{"account": a, "name": f"holder of {a[-4:]}", "kind": "customer"} for a in accounts])


def list_card(platform: Platform, code: str, number: str, *, kind: str = "fraud_account", level: str = "critical",
              id_type: IdType = IdType.CARD) -> int:
    if all(lst.code != code for lst in platform.lists.all_lists()):
        platform.lists.create_list(code, code.upper(), kind, "police", level)
    draft = EntryDraft(f"{id_type.value}:{number}", SubjectKind.IDENTIFIER, identifiers=(Identifier(id_type, number),),
                       reason="reported")
    return platform.lists.add_entry(code, draft, "test").id


def alerts_of(platform: Platform, kind: str) -> list[Any]:
    with platform.engine.connect() as conn:
        return list(conn.execute(select(alert).where(alert.c.kind == kind).order_by(alert.c.id)).mappings())


def cases_of(platform: Platform) -> list[Any]:
    with platform.engine.connect() as conn:
        return list(conn.execute(select(case_item).order_by(case_item.c.id)).mappings())


# -- the new-listings robot -----------------------------------------------------------------------


def test_instrument_forms() -> None:
    number = card("6222")
    assert instrument_forms(f"{number[:4]} {number[4:8]} {number[8:]}") == [("account", number), ("card", number)]
    assert instrument_forms("62220001") == [("account", "62220001")]  # too short for a card
    assert instrument_forms("C1231006815") == []  # a PaySim name is no account number


def test_a_newly_listed_card_raises_one_case_once(platform: Platform, robots: RobotService, clock: Clock) -> None:
    mine, other = card("6222"), card("6228")
    add_accounts(platform, mine, other, "C1231006815")
    first = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert first.outcome is Outcome.OK and first.counts["alerts"] == 0
    assert first.counts["ledger_accounts_read"] == 3 and first.counts["instruments_added"] == 5  # 2 numbers x 2 forms + 1 seen

    clock.advance(hours=1)
    list_card(platform, "police-cards", mine)
    run = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert run.counts["alerts"] == 1 and run.counts["cases_opened"] == 1 and run.counts["ledger_accounts_read"] == 0
    [raised] = alerts_of(platform, "robot_new_listing")
    assert raised["subject"] == f"card:{mine}" and raised["severity"] == "critical"
    assert raised["details"]["source"] == "ledger" and raised["details"]["ref"] == mine
    [case] = cases_of(platform)
    assert case["alert_id"] == raised["id"] and case["queue"] == "robots" and case["state"] == "new"

    # Nothing new: no second alert, however often it runs; a change to the entry raises nothing either.
    again = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert again.counts["alerts"] == 0
    entry = platform.lists.store.find_by_identifier("card", mine)[0]
    platform.lists.modify_entry(entry.id, {"reason": "reported again"}, "test")
    assert robots.runner.run(NEW_LISTINGS, actor="os:test").counts["alerts"] == 0
    assert len(alerts_of(platform, "robot_new_listing")) == 1


def test_a_new_account_is_checked_against_entries_listed_long_ago(platform: Platform, robots: RobotService) -> None:
    listed = card("6217")
    list_card(platform, "police-cards", listed, id_type=IdType.ACCOUNT, level="high")
    robots.runner.run(NEW_LISTINGS, actor="os:test")
    add_accounts(platform, listed)  # opened after the listing: found by the instrument side
    run = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert run.counts["alerts"] == 1
    [raised] = alerts_of(platform, "robot_new_listing")
    assert raised["subject"] == f"account:{listed}" and raised["severity"] == "high"


def test_allow_entries_expiry_and_delisting(platform: Platform, robots: RobotService) -> None:
    verified, gone = card("6225"), card("6226")
    add_accounts(platform, verified, gone)
    platform.lists.create_list("verified", "Verified", "allow", "bank", "critical")
    platform.lists.add_entry("verified", EntryDraft(f"card:{verified}", SubjectKind.IDENTIFIER,
                                                    identifiers=(Identifier(IdType.CARD, verified),)), "test")
    list_card(platform, "police-cards", verified, level="high")  # cleared: the bank verified this card
    entry = list_card(platform, "police-cards", gone)
    platform.lists.delist(entry, "reported in error", "test")
    run = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert run.counts["alerts"] == 0


def test_guard_customers_cards_are_registered(platform: Platform, robots: RobotService, clock: Clock) -> None:
    own = card("6212")
    with platform.engine.begin() as conn:
        conn.execute(guard_event.insert().values(
            event_id="e-1", customer_id="cust-9", type="card_auth", occurred_at=clock.now,
            body={"card": own, "customer_id": "cust-9"}, body_hash="x", received_at=clock.now))
    list_card(platform, "police-cards", own)
    run = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert run.counts["alerts"] == 1
    [raised] = alerts_of(platform, "robot_new_listing")
    assert raised["details"]["source"] == "guard" and raised["details"]["owner"] == "cust-9"


def test_a_crashed_run_is_resumed_and_raises_nothing_twice(platform: Platform, robots: RobotService, clock: Clock) -> None:
    numbers = [card(f"62{i:02d}") for i in range(10, 20)]
    add_accounts(platform, *numbers)
    for n in numbers[:5]:
        list_card(platform, "police-cards", n)
    # A process claims the job and dies before it finishes (no heartbeat, no finish).
    dead, _owner = robots.runner.begin(NEW_LISTINGS, Trigger.SCHEDULE, "system:scheduler")
    with pytest.raises(Conflict):
        robots.runner.run(NEW_LISTINGS, actor="os:other")  # two processes never run one job
    clock.advance(minutes=11)  # its lease runs out
    run = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert run.outcome is Outcome.OK and run.counts["alerts"] == 5
    assert robots.runner.run_of(dead.id).outcome is Outcome.CRASHED

    # A crash between two committed steps: the hits of the finished step stay, the rest come next run.
    for n in numbers[5:]:
        list_card(platform, "police-cards", n)
    store = robots.diligence
    real = store.match_listings
    calls = {"n": 0}

    def boom(*a: Any, **k: Any) -> Any:
        calls["n"] += 1
        raise RuntimeError("killed")

    store.match_listings = boom  # type: ignore[method-assign]
    failed = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert failed.outcome is Outcome.FAILED and "killed" in failed.message
    store.match_listings = real  # type: ignore[method-assign]
    done = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert done.counts["alerts"] == 5
    with platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(robot_hit)).scalar_one() == 10
    assert len(alerts_of(platform, "robot_new_listing")) == 10 and len(cases_of(platform)) == 10


def test_progress_is_recorded_and_reported(platform: Platform, robots: RobotService) -> None:
    add_accounts(platform, *(card(f"6{i:03d}") for i in range(100, 130)))
    seen: list[tuple[str, int, int]] = []
    run = robots.runner.run(NEW_LISTINGS, actor="os:test", listener=lambda s, d, t: seen.append((s, d, t)))
    assert ("register_ledger", 30, 30) in seen and run.counts["instruments_added"] == 60
    stored = robots.runner.run_of(run.id)
    assert stored.stage == "match_new_listings" and stored.finished_at is not None


# -- the scheduler ---------------------------------------------------------------------------------


def test_schedules() -> None:
    daily = Schedule(at=datetime(2000, 1, 1, 1, 0).time())
    at = datetime(2024, 5, 6, 3, 0, tzinfo=UTC)  # 11:00 China time
    assert daily.next_after(at) == datetime(2024, 5, 6, 17, 0, tzinfo=UTC)  # 01:00 China time tomorrow
    assert Schedule(every_minutes=15).next_after(at) == at + timedelta(minutes=15)
    with pytest.raises(ValueError):
        Schedule()


def test_run_due_runs_what_is_due_and_retries_failures(platform: Platform, robots: RobotService, clock: Clock) -> None:
    jobs = {spec.name: job for spec, job in robots.runner.jobs()}
    assert set(jobs) == {NEW_LISTINGS, LIST_FRESHNESS, LIST_REFRESH, SETTLEMENT_REPORT, CASE_SLA}
    assert robots.runner.run_due() == []  # nothing due yet
    clock.advance(minutes=16)
    ran = robots.runner.run_due()
    assert [r.robot for r in ran] == [CASE_SLA] and ran[0].trigger is Trigger.SCHEDULE
    assert robots.runner.store.job(CASE_SLA).next_due_at == clock.now + timedelta(minutes=15)  # type: ignore[union-attr]

    # A manual run leaves the schedule alone.
    due = robots.runner.store.job(NEW_LISTINGS).next_due_at  # type: ignore[union-attr]
    robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert robots.runner.store.job(NEW_LISTINGS).next_due_at == due  # type: ignore[union-attr]

    # A failing scheduled run is retried after 5 minutes, then 10.
    robots.runner.robots[CASE_SLA] = lambda ctx: 1 / 0  # type: ignore[assignment,misc,return-value]
    clock.advance(minutes=15)
    [failed] = robots.runner.run_due()
    assert failed.outcome is Outcome.FAILED and "ZeroDivisionError" in failed.message
    job = robots.runner.store.job(CASE_SLA)
    assert job is not None and job.failures == 1 and job.next_due_at == clock.now + timedelta(minutes=5)
    clock.advance(minutes=5)
    robots.runner.run_due()
    job = robots.runner.store.job(CASE_SLA)
    assert job is not None and job.failures == 2 and job.next_due_at == clock.now + timedelta(minutes=10)

    robots.runner.set_enabled(CASE_SLA, False)
    clock.advance(hours=1)
    assert CASE_SLA not in [r.robot for r in robots.runner.run_due()]
    with pytest.raises(NotFound):
        robots.runner.run("nope", actor="os:test")
    with platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(robot_run)).scalar_one() >= 4


def test_a_lost_lease_stops_the_run(platform: Platform, robots: RobotService, clock: Clock) -> None:
    def slow(ctx: Any) -> dict[str, Any]:
        with platform.engine.begin() as conn:  # another process took the job meanwhile
            conn.execute(update(robot_job).where(robot_job.c.name == CASE_SLA).values(lock_owner="elsewhere"))
        ctx.progress("step", 1, 2)
        return {}

    robots.runner.robots[CASE_SLA] = slow
    run = robots.runner.run(CASE_SLA, actor="os:test")
    assert run.outcome is Outcome.FAILED and "lost its lease" in run.message


# -- list freshness --------------------------------------------------------------------------------


def test_a_stale_list_alerts_once_per_episode(platform: Platform, robots: RobotService, clock: Clock) -> None:
    platform.lists.create_list("ofac-sdn", "OFAC SDN", "sanctions", "OFAC", "critical")
    list_card(platform, "police-cards", card("6230"))
    robots.set_period("police-cards", 24 * 30, "os:test")
    fresh = {f.list_code: f for f in robots.freshness()}
    assert not fresh["ofac-sdn"].stale and fresh["ofac-sdn"].max_age == timedelta(hours=48)
    assert robots.runner.run(LIST_FRESHNESS, actor="os:test").counts["alerts"] == 0

    clock.now = datetime.now(UTC) + timedelta(hours=49)
    run = robots.runner.run(LIST_FRESHNESS, actor="os:test")
    assert run.counts == {"lists": 2, "stale": 1, "alerts": 1, "recovered": 0, "cases_opened": 1, "cases_escalated": 0}
    [raised] = alerts_of(platform, "robot_list_stale")
    assert raised["subject"] == "list:ofac-sdn" and raised["severity"] == "high"
    assert robots.runner.run(LIST_FRESHNESS, actor="os:test").counts["alerts"] == 0  # same episode

    platform.lists.add_entry("ofac-sdn", EntryDraft("sdn-1", SubjectKind.IDENTIFIER,
                                                    identifiers=(Identifier(IdType.CARD, card("6231")),)), "test")
    clock.now = datetime.now(UTC) + timedelta(hours=1)
    assert robots.runner.run(LIST_FRESHNESS, actor="os:test").counts["recovered"] == 1
    clock.now = datetime.now(UTC) + timedelta(hours=50)
    assert robots.runner.run(LIST_FRESHNESS, actor="os:test").counts["alerts"] == 1  # a new episode
    assert len(alerts_of(platform, "robot_list_stale")) == 2

    with pytest.raises(InvalidInput):
        robots.set_period("ofac-sdn", 0, "os:test")
    with pytest.raises(NotFound):
        robots.set_period("nope", 24, "os:test")


# -- the settlement report -------------------------------------------------------------------------


def test_the_settlement_report(platform: Platform, robots: RobotService, clock: Clock) -> None:
    cases = platform_cases = __import__("finguard.alerts.provider", fromlist=["make_cases"]).make_cases(platform.engine, clock)
    del platform_cases
    start = clock.now
    complaint = cases.file_complaint(category="fair_trade", customer="=HYPERLINK(\"x\")", text="fees", contact="138",
                                     filed_by="os:test")
    cases.file_complaint(category="respect", customer="李四", text="rude", contact="139", filed_by="os:test")
    with platform.engine.begin() as conn:
        conn.execute(alert.insert().values(kind="aml_fan_in", subject="account:1", severity="critical", status="open",
                                           summary="fan-in", details={}, created_at=start - timedelta(hours=5)))
    clock.advance(hours=1)
    cases.close(complaint.id, "os:test", "upheld", "refunded")
    run = robots.runner.run(SETTLEMENT_REPORT, actor="os:test")
    assert run.counts["day"] == "2024-05-06" and run.counts["final"] is False and run.counts["written"] is True
    [stored] = robots.reports()
    name, body, media = robots.report_file(stored.id, "csv")
    assert name == "settlement-2024-05-06.csv" and media.startswith("text/csv")
    lines = body.decode().splitlines()
    assert lines[0] == "day,section,group,count"
    assert "2024-05-06,cases_opened,complaint,2" in lines and "2024-05-06,cases_opened,alert,1" in lines
    assert "2024-05-06,cases_closed,complaint/upheld,1" in lines
    assert "2024-05-06,cases_sla_breached,alert,1" in lines  # critical: 4 h, raised 5 h before
    assert "2024-05-06,alerts_by_source,monitors,1" not in lines  # aml_* alerts land in the alerts queue
    assert "2024-05-06,alerts_by_kind,aml_fan_in,1" in lines

    _, xlsx, _ = robots.report_file(stored.id, "xlsx")
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["summary", "cases"]
    subjects = [row[5] for row in wb["cases"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"x\")" in subjects  # a formula is shown, never run

    # The scheduled run after midnight writes yesterday's final report, once.
    clock.now = datetime(2024, 5, 6, 18, 0, tzinfo=UTC)  # 02:00 on the 7th in China
    sched = robots.runner.run(SETTLEMENT_REPORT, trigger=Trigger.SCHEDULE, actor="system:scheduler")
    assert sched.counts["day"] == "2024-05-06" and sched.counts["final"] is True and sched.counts["written"] is True
    again = robots.runner.run(SETTLEMENT_REPORT, actor="os:test", params={"day": "2024-05-06"})
    assert again.counts["written"] is False  # a final report is never rewritten
    assert robots.runner.run(SETTLEMENT_REPORT, actor="os:test", params={"day": "May 6"}).outcome is Outcome.FAILED
    with pytest.raises(InvalidInput):
        robots.report_file(stored.id, "pdf")
    assert date(2024, 5, 6) == robots.reports()[0].day


def test_an_import_that_changes_nothing_still_refreshes_the_list(platform: Platform, robots: RobotService,
                                                                 tmp_path: Path) -> None:
    platform.lists.create_list("feed", "Feed", "fraud_account", "police", "high")
    path = tmp_path / "feed.csv"
    path.write_text(f"key,id_type,id_value\nc1,card,{card('6240')}\n", encoding="utf-8")
    platform.import_file("feed", "csv", path, actor="feed")
    platform.import_file("feed", "csv", path, actor="feed")  # the same file: no change, but refreshed now
    with platform.engine.connect() as conn:
        runs = conn.execute(select(import_run).order_by(import_run.c.id)).mappings().all()
        last_change = conn.execute(select(func.max(change_log.c.at))).scalar_one()
    assert [(r["added"], r["unchanged"], r["source"], r["format"]) for r in runs] == [(1, 0, "feed.csv", "csv"),
                                                                                      (0, 1, "feed.csv", "csv")]
    fresh = {f.list_code: f for f in robots.freshness()}["feed"]
    assert fresh.last_import is not None and fresh.as_of == fresh.last_import > aware(last_change)  # type: ignore[operator]


def test_registration_in_batches(platform: Platform, robots: RobotService, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4: every unregistered account is registered, each read once, in however many batches."""
    import finguard.robots.service.diligence as diligence

    monkeypatch.setattr(diligence, "REGISTER_BATCH", 4)
    add_accounts(platform, *(card(f"61{i:02d}") for i in range(10)))
    assert robots.runner.run(NEW_LISTINGS, actor="os:test").counts["ledger_accounts_read"] == 10
    late = card("6195")  # sorts after the first spans, which hold nothing new now
    add_accounts(platform, late)
    list_card(platform, "police-cards", late)
    run = robots.runner.run(NEW_LISTINGS, actor="os:test")
    assert run.counts["ledger_accounts_read"] == 1 and run.counts["alerts"] == 1
