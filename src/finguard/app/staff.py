"""The staff console: the dashboard, and every capability's staff pages mounted under /staff.

Each capability keeps its pages in its own package; this module only composes them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from finguard.access import approvals_page, staff_login
from finguard.access.pages import (
    page_lang,
    render,
    signed_in,
)
from finguard.alerts import pages as alerts_pages
from finguard.alerts.http import case_service
from finguard.core.http_context import platform
from finguard.core.i18n import messages
from finguard.credit import pages as credit_pages
from finguard.guard import console_pages as guard_console
from finguard.guard import pages as guard_pages
from finguard.guard.pages import recent_guard
from finguard.identity import pages as identity_pages
from finguard.ledger.pages import flowgraph
from finguard.ledger.pages import staff as staff_ledger
from finguard.lists import staff_pages as lists_pages
from finguard.monitors import pages as staff_monitors
from finguard.robots import pages as robots_pages
from finguard.screening.pages import batch as batch_pages
from finguard.screening.pages import staff as screening_pages

__all__ = ["router"]

router = APIRouter(prefix="/staff", include_in_schema=False)
router.include_router(flowgraph.router)
router.include_router(staff_ledger.router)
router.include_router(staff_monitors.router)
router.include_router(staff_login.router)
router.include_router(batch_pages.router)
router.include_router(screening_pages.router)
router.include_router(alerts_pages.router)
router.include_router(guard_pages.router)
router.include_router(identity_pages.router)
router.include_router(credit_pages.router)
router.include_router(approvals_page.router)
router.include_router(robots_pages.router)
router.include_router(lists_pages.router)
router.include_router(guard_console.router)

ALERTS_SCAN = 1000  # open alerts counted on the dashboard and searched for a party's alerts
_OUTCOMES = ("allow", "review", "hold", "block")

# Feature bars: one fixed scale for every hit, so bars compare across hits. Contributions run from
# the strongest qualifier penalty (kind mismatch, -0.2) to a full name match (+1.0).
BAR_MIN, BAR_MAX = -0.25, 1.0



# -- dashboard ---------------------------------------------------------------------------------


def _bars(rows: list[tuple[str, str, int]], width: float = 320.0) -> dict[str, Any]:
    """A horizontal SVG bar chart: one row per (key, label, count)."""
    top = max((n for _, _, n in rows), default=0) or 1
    out = [{"key": k, "label": label, "count": n, "y": i * 34, "w": round(width * n / top, 1)} for i, (k, label, n) in enumerate(rows)]
    return {"rows": out, "width": width, "height": len(rows) * 34}



@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    p = platform(request)
    t = messages(lang)
    open_alerts = p.diligence.alerts("open", ALERTS_SCAN)
    by_kind = Counter(a.kind for a in open_alerts).most_common()
    recent, guard_capped = recent_guard(request)
    outcomes = Counter(s.decision.outcome.value for s in recent)
    chart = _bars([(o, t[f"staff_outcome_{o}"], outcomes.get(o, 0)) for o in _OUTCOMES])
    fresh = {f.list_code: f for f in p.robots.freshness()}
    lists = [(lst, p.list_store.count_entries(lst.code, active_only=True), fresh.get(lst.code)) for lst in p.lists.all_lists()]
    board = case_service(request).dashboard()
    return render(
        request,
        "staff_dashboard.html",
        lang,
        staff,
        nav="dashboard",
        alert_kinds=by_kind,
        alerts_total=len(open_alerts),
        alerts_capped=len(open_alerts) >= ALERTS_SCAN,
        chart=chart,
        guard_total=len(recent),
        guard_capped=guard_capped,
        lists=lists,
        seq=p.follower.seq,
        current=p.follower.is_current(),
        names_indexed=len(p.screener),
        breached=board.breached,
        open_cases=board.total,
        stale_lists=sum(1 for f in fresh.values() if f.stale),
    )


