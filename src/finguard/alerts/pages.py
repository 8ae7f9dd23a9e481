"""The staff alerts page: every capability's alerts, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from finguard.access.pages import (
    message,
    page_lang,
    render,
    signed_in,
)
from finguard.core.http_context import platform
from finguard.core.i18n import messages

router = APIRouter()

ALERTS_PAGE = 50

# Feature bars: one fixed scale for every hit, so bars compare across hits. Contributions run from
# the strongest qualifier penalty (kind mismatch, -0.2) to a full name match (+1.0).
BAR_MIN, BAR_MAX = -0.25, 1.0



# -- alerts ------------------------------------------------------------------------------------


def _offset(request: Request) -> int | None:
    raw = request.query_params.get("offset", "0")
    return int(raw) if raw.isdigit() and len(raw) <= 7 else None


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    offset = _offset(request)
    if offset is None:
        t = messages(lang)
        return message(request, lang, staff, 422, t["staff_err_other"], t["staff_err_offset"])
    found = platform(request).diligence.alerts("open", ALERTS_PAGE + 1, offset)
    return render(
        request,
        "staff_alerts.html",
        lang,
        staff,
        nav="alerts",
        alerts=found[:ALERTS_PAGE],
        offset=offset,
        more=len(found) > ALERTS_PAGE,
        page_size=ALERTS_PAGE,
    )


