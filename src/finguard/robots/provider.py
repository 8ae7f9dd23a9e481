"""Wiring of the robots: the service over its SQL stores, the case engine's sync as the step that
turns their alerts into cases, and the list refresh's fetcher and importer."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from finguard.alerts.provider import make_cases
from finguard.core.clock import utcnow
from finguard.lists.service.importing import ImportGuards, ImportMode, ImportReport, import_rows, read_rows, source_date
from finguard.lists.service.lists import ListService
from finguard.lists.store.repo import SqlListStore
from finguard.robots.model import FILE_NAMES, RefreshSource
from finguard.robots.service.refresh import Applier, Fetcher
from finguard.robots.service.robots import RobotService
from finguard.robots.store.diligence import SqlDiligenceStore
from finguard.robots.store.fetch import HttpFetcher, http_date
from finguard.robots.store.freshness import SqlFreshnessStore
from finguard.robots.store.jobs import SqlJobStore
from finguard.robots.store.reports import SqlReportStore
from finguard.robots.store.sources import SqlSourceStore

REFRESH_ACTOR = "system:list_refresh"


def make_applier(lists: ListService, guards: ImportGuards) -> Applier:
    """Apply fetched files as a sync import (a trusted feed: the official source), with the import
    guards (a fatal problem, too many bad rows or a mass delisting refuse it whole)."""

    def apply(source: RefreshSource, files: dict[str, bytes], last_modified: datetime | None) -> tuple[ImportReport, datetime | None]:
        names = FILE_NAMES[source.fmt]
        with tempfile.TemporaryDirectory(prefix="finguard-refresh-") as folder:
            for part, body in files.items():
                (Path(folder) / names[part]).write_bytes(body)
            main = Path(folder) / names["main"]
            when = source_date(source.fmt, main) or last_modified
            report = import_rows(lists, source.list_code, read_rows(source.fmt, main), actor=REFRESH_ACTOR,
                                 mode=ImportMode.SYNC, guards=guards, fmt=source.fmt, source=source.url[-500:],
                                 source_date=when)
        return report, when

    return apply


def make_robots(engine: Engine, *, clock: Callable[[], datetime] = utcnow, list_max_age_hours: float = 168.0,
                list_sources: list[RefreshSource] | Callable[[], list[RefreshSource]] | None = None, lists: ListService | None = None,
                fetcher: Fetcher | None = None, import_guards: ImportGuards | None = None) -> RobotService:
    cases = make_cases(engine, clock)
    lists = lists or ListService(SqlListStore(engine), clock)
    if callable(list_sources):
        sources = list_sources
    else:
        fixed = list(list_sources or [])
        def sources() -> list[RefreshSource]:
            return fixed
    return RobotService(jobs=SqlJobStore(engine), diligence=SqlDiligenceStore(engine), fresh=SqlFreshnessStore(engine),
                        reports=SqlReportStore(engine), sync_cases=cases.sync, clock=clock,
                        list_max_age_hours=list_max_age_hours, sources=sources, source_store=SqlSourceStore(engine),
                        fetcher=fetcher or HttpFetcher(), apply=make_applier(lists, import_guards or ImportGuards()),
                        http_date=http_date)
