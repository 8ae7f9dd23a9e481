"""The robots' use cases for the API, the pages and the CLI: the jobs and their runs (through the
runner), list freshness and refresh periods, the stored reports and the hits found."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from finguard.core.errors import InvalidInput, NotFound
from finguard.robots.model import (
    CASE_SLA,
    LIST_FRESHNESS,
    LIST_REFRESH,
    NEW_LISTINGS,
    SETTLEMENT_REPORT,
    Freshness,
    RefreshSource,
    check_period,
)
from finguard.robots.service.diligence import DiligenceStore, new_listings
from finguard.robots.service.freshness import FreshnessStore, check_lists, freshness
from finguard.robots.service.refresh import Applier, Fetcher, HttpDate, SourceStore, refresh_lists
from finguard.robots.service.report import ReportStore, settlement_report
from finguard.robots.service.runner import Context, JobStore, RobotFn, RobotRunner

SyncCases = Callable[[], tuple[int, int]]


class RobotService:
    def __init__(self, *, jobs: JobStore, diligence: DiligenceStore, fresh: FreshnessStore, reports: ReportStore,
                 sync_cases: SyncCases, clock: Callable[[], datetime], list_max_age_hours: float,
                 sources: Callable[[], list[RefreshSource]], source_store: SourceStore, fetcher: Fetcher, apply: Applier,
                 http_date: HttpDate) -> None:
        self.diligence = diligence
        self.fresh = fresh
        self.reports_store = reports
        self.sync_cases = sync_cases
        self.clock = clock
        self.list_max_age_hours = list_max_age_hours
        self.sources = sources
        self.source_store = source_store
        self.fetcher = fetcher
        self.apply = apply
        self.http_date = http_date
        robots: dict[str, RobotFn] = {
            NEW_LISTINGS: self._new_listings,
            LIST_FRESHNESS: self._list_freshness,
            SETTLEMENT_REPORT: lambda ctx: settlement_report(reports, ctx, before=sync_cases),
            CASE_SLA: self._case_sla,
            LIST_REFRESH: self._list_refresh,
        }
        self.runner = RobotRunner(jobs, robots, clock)

    # -- the robots ----------------------------------------------------------------------------

    def _adopted(self, counts: dict[str, Any]) -> dict[str, Any]:
        """Alerts become cases at once (the case engine adopts them), so the run's cases exist
        when it ends, not only at the next read of the queue."""
        adopted, escalated = self.sync_cases()
        counts["cases_opened"] = adopted
        counts["cases_escalated"] = escalated
        return counts

    def _new_listings(self, ctx: Context) -> dict[str, Any]:
        return self._adopted(new_listings(self.diligence, ctx))

    def _list_freshness(self, ctx: Context) -> dict[str, Any]:
        return self._adopted(check_lists(self.fresh, ctx, self.list_max_age_hours))

    def _list_refresh(self, ctx: Context) -> dict[str, Any]:
        try:
            return refresh_lists(self.sources(), self.fetcher, self.source_store, self.apply, self.http_date, ctx)
        finally:
            self._adopted(ctx.counts)  # a refused file's alert becomes a case at once

    def _case_sla(self, ctx: Context) -> dict[str, Any]:
        ctx.progress("sync", 0, 1)
        adopted, escalated = self.sync_cases()
        ctx.progress("sync", 1, 1)
        return {"cases_opened": adopted, "cases_escalated": escalated}

    # -- lists ---------------------------------------------------------------------------------

    def freshness(self) -> list[Freshness]:
        return freshness(self.fresh, self.clock(), self.list_max_age_hours)

    def set_period(self, list_code: str, hours: float | None, actor: str) -> Freshness:
        """A list's refresh period in whole hours (None: back to the default)."""
        found = {f.list_code: f for f in self.freshness()}
        if list_code not in found:
            raise NotFound(f"no list {list_code!r}")
        whole: int | None = None
        if hours is not None:
            check_period(hours)
            if hours != int(hours):
                raise InvalidInput.for_field("max_age_hours", "must be a whole number of hours")
            whole = int(hours)
        self.fresh.set_period(list_code, whole, actor, self.clock())
        return {f.list_code: f for f in self.freshness()}[list_code]

    # -- reports and hits ----------------------------------------------------------------------

    def reports(self, limit: int = 60, kind: str = "settlement") -> list[Any]:
        """Stored daily reports of a kind: ``settlement`` (cases and alerts) or ``accounts`` (the
        PBOC account filing: settlement accounts opened, changed, closed)."""
        return self.reports_store.reports(limit, kind)

    def report_file(self, report_id: int, fmt: str) -> tuple[str, bytes, str]:
        """(file name, bytes, media type) of a stored report as CSV or XLSX."""
        if fmt not in ("csv", "xlsx"):
            raise InvalidInput.for_field("format", "must be csv or xlsx")
        found = self.reports_store.content(report_id, fmt)
        if found is None:
            raise NotFound(f"no report {report_id}")
        stored, body = found
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return f"{stored.kind}-{stored.day.isoformat()}.{fmt}", body, media

    def hits(self, limit: int = 50) -> list[dict[str, Any]]:
        return self.diligence.hits(limit)
