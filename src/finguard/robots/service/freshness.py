"""List freshness: each list's "as of" (its last change, import or confirmed refresh from its
source, else its creation) and its source date, whether it is past its refresh period or its last
refresh failed, and one alert per staleness episode (a list that went stale at one
"as of" raises once; refreshed and stale again, it raises again)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from finguard.robots.model import STALE_ALERT, Freshness
from finguard.robots.service.runner import Context


class FreshnessStore(Protocol):
    def catch_up(self) -> int: ...
    def states(self) -> list[Any]: ...
    def set_period(self, code: str, hours: int | None, actor: str, now: datetime) -> None: ...
    def open_episode(self, code: str, as_of: datetime, now: datetime, alert_row: dict[str, Any]) -> bool: ...
    def end_episodes(self, code: str, now: datetime) -> int: ...


def freshness(store: FreshnessStore, now: datetime, default_hours: float) -> list[Freshness]:
    store.catch_up()
    out = []
    for s in store.states():
        as_of = max(t for t in (s.last_change_at, s.last_import_at, s.verified_at, s.created_at) if t is not None)
        hours = s.max_age_hours if s.max_age_hours is not None else default_hours
        out.append(Freshness(s.code, s.name, s.kind, as_of, timedelta(hours=hours), s.last_import_at, now,
                             source_date=s.source_date, refresh_error=s.refresh_error,
                             refresh_failed_at=s.refresh_failed_at))
    return out


def _alert(f: Freshness, now: datetime) -> dict[str, Any]:
    hours = round(f.max_age.total_seconds() / 3600)
    if f.refresh_error is not None and f.age <= f.max_age:
        return {
            "kind": STALE_ALERT,
            "subject": f"list:{f.list_code}",
            "severity": "high" if f.kind == "sanctions" else "medium",
            "status": "open",
            "summary": f"List {f.list_code} is stale: its refresh from the source failed ({f.refresh_error})"[:1000],
            "details": {"robot": "list_freshness", "list_code": f.list_code, "as_of": f.as_of.isoformat(),
                        "max_age_hours": hours, "source_date": f.source_date.isoformat() if f.source_date else None,
                        "refresh_error": f.refresh_error[:2000],
                        "summary_zh": f"名单 {f.list_code} 已过期：从来源更新失败（{f.refresh_error}）"[:1000]},
            "created_at": now,
            "source_seq": None,
        }
    return {
        "kind": STALE_ALERT,
        "subject": f"list:{f.list_code}",
        "severity": "high" if f.kind == "sanctions" else "medium",
        "status": "open",
        "summary": f"List {f.list_code} is stale: not refreshed since {f.as_of:%Y-%m-%d %H:%M} UTC (period {hours} h"
                   + (f"; source dated {f.source_date:%Y-%m-%d})" if f.source_date else ")"),
        "details": {"robot": "list_freshness", "list_code": f.list_code, "as_of": f.as_of.isoformat(),
                    "max_age_hours": hours, "source_date": f.source_date.isoformat() if f.source_date else None,
                    "summary_zh": f"名单 {f.list_code} 已过期：自 {f.as_of:%Y-%m-%d %H:%M} UTC 起未更新（应每 {hours} 小时更新"
                                  + (f"；来源日期 {f.source_date:%Y-%m-%d}）" if f.source_date else "）")},
        "created_at": now,
        "source_seq": None,
    }


def check_lists(store: FreshnessStore, ctx: Context, default_hours: float) -> dict[str, Any]:
    now = ctx.clock()
    found = freshness(store, now, default_hours)
    counts = {"lists": len(found), "stale": 0, "alerts": 0, "recovered": 0}
    for i, f in enumerate(found, 1):
        if f.stale:
            counts["stale"] += 1
            counts["alerts"] += int(store.open_episode(f.list_code, f.as_of, now, _alert(f, now)))
        else:
            counts["recovered"] += store.end_episodes(f.list_code, now)
        ctx.progress("check_lists", i, len(found))
    return counts
