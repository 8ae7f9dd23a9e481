"""Staff pages for the laundering-pattern monitors (#5): a monitor alert with its subgraph, and runs.

An ``aml_*`` alert's page shows its reason in both languages, the stored subgraph in the same
interactive graph as a trace (the subject highlighted) and its transfers. A staff member with the
write permission runs the monitors here through ``monitor_ledger``, the function behind
``POST /api/v1/monitors/run`` (documented default thresholds), and sees what each typology found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from finguard.access.pages import Staff, field_errors, message, page_lang, render, signed_in, staff_post, staff_root
from finguard.core.clock import utcnow
from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.http_context import platform
from finguard.core.i18n import messages
from finguard.ledger.model import parse_time
from finguard.ledger.pages.flowgraph import GRAPH_HEADERS, cn_time, graph_payload, script_hrefs
from finguard.ledger.pages.staff import trace_href
from finguard.ledger.service.graph import FlowGraph, GraphNode, subgraph_accounts, subgraph_graph
from finguard.monitors.model import Typology
from finguard.monitors.service import monitor_ledger, parse_typologies

router = APIRouter()
RECENT = 20


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    t = messages(lang)
    p = platform(request)
    found = p.monitor_store().alert(int(alert_id)) if alert_id.isdigit() and len(alert_id) < 19 else None
    if found is None:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["alert_not_found"].format(id=alert_id[:20]))
    details: dict[str, Any] = found["details"] or {}
    base = staff_root(request)
    graph: FlowGraph | None = None
    try:
        graph = subgraph_graph(details, p.ledger.accounts(subgraph_accounts(details)))
    except InvalidInput:
        graph = None
    window = details.get("window") or {}

    def trace_from(n: GraphNode) -> str | None:
        if n.kind.terminal:
            return None
        at = n.first_in or n.last_out
        return trace_href(base, lang, account=n.account, at=at.isoformat() if at else "")

    subject = str(details.get("subject", ""))
    return render(
        request,
        "staff_alert.html",
        lang,
        staff,
        nav="alerts",
        alert=found,
        details=details,
        reason=details.get("reason") or {},
        graph=graph,
        graph_data=graph_payload(graph, lang, base, trace_from) if graph else None,
        edges=sorted((details.get("subgraph") or {}).get("edges") or [], key=lambda e: str(e.get("at", ""))),
        cn=lambda raw: cn_time(datetime.fromisoformat(raw)) if raw else "",
        window=(window.get("start"), window.get("end")),
        trace_subject=trace_href(base, lang, account=subject, at=window.get("start") or "") if subject else None,
        scripts=script_hrefs(base) if graph else None,
        headers=GRAPH_HEADERS if graph else None,
    )


def _monitors_page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    recent = platform(request).monitor_store().results(limit=RECENT)
    return render(
        request,
        "staff_monitors.html",
        lang,
        staff,
        status_code=status_code,
        nav="monitors",
        typologies=[x.value for x in Typology],
        recent=recent,
        **context,
    )


@router.get("/monitors", response_class=HTMLResponse)
def monitors_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _monitors_page(request, lang, staff, values={"typology": []})


@router.post("/monitors")
async def monitors_run(request: Request) -> Response:
    return await staff_post(request, "write", _monitors_run)


def _monitors_run(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    chosen = [v.strip() for v in form.getlist("typology") if isinstance(v, str) and v.strip()][: len(Typology) + 1]
    values: dict[str, Any] = {"typology": chosen}
    problems: list[FieldProblem] = []
    times: dict[str, datetime | None] = {}
    for name in ("since", "until"):
        raw = form.get(name)
        values[name] = raw.strip()[:40] if isinstance(raw, str) else ""
        try:
            times[name] = parse_time(values[name], name) if values[name] else None
        except InvalidInput as exc:
            problems.extend(exc.problems)
            times[name] = None
    try:
        typologies = parse_typologies(chosen)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    try:
        if problems:
            raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
        p = platform(request)
        result = monitor_ledger(
            p.monitor_store(),
            utcnow(),
            p.monitor_config,
            typologies,
            since=times["since"],
            until=times["until"],
        )
    except InvalidInput as exc:
        return _monitors_page(request, lang, staff, status_code=422, values=values, errors=field_errors(lang, exc.problems))
    run = result.run
    counts = run.counts()
    found = [
        {"typology": x.value, "count": counts.get(x.value, 0), "capped": run.truncated.get(x.value, False)} for x in sorted(typologies)
    ]
    return _monitors_page(request, lang, staff, values=values, run=run, found=found, new_ids=result.alert_ids)
