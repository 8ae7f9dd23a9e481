"""Staff pages for fund flows (#5): the trace with its interactive graph, downloads, an account's transfers.

A trace is a read, so its form is a GET: a trace has an address that can be shared, and "trace
from here" in the graph is a plain link. The page calls the same ``LedgerService.trace`` (or
``compare``) and ``summarize`` as ``POST /api/v1/ledger/trace``; the downloads are the API's
picture and JSON, served here because the API wants an ``X-API-Key`` header a link cannot send
and the staff cookie is scoped to ``/staff``. Without JavaScript the page still shows the summary,
the tables and the trace as an SVG picture.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from finguard.access.pages import Staff, field_errors, message, page_lang, render, signed_in, staff_root
from finguard.core.errors import FieldProblem, FinguardError, InvalidInput, NotFound
from finguard.core.http_context import platform
from finguard.core.i18n import messages
from finguard.core.web import NO_STORE
from finguard.ledger.model import (
    CHINA_TZ,
    TRACE_DEFAULTS,
    TRACE_FIELDS,
    AccountKind,
    Direction,
    Method,
    Trace,
    format_amount,
    kind_label,
    parse_account,
    parse_trace_params,
)
from finguard.ledger.pages.flowgraph import GRAPH_HEADERS, account_href, cn_time, graph_payload, script_hrefs
from finguard.ledger.service.graph import GraphNode, trace_graph
from finguard.ledger.service.render import render_png, render_svg
from finguard.ledger.service.summary import summarize

router = APIRouter()

DEFAULTS = TRACE_DEFAULTS
_INT = re.compile(r"\d{1,18}")
HISTORY_PAGE = 50








def _values(request: Request) -> dict[str, str]:
    q = request.query_params
    return {f: (q.get(f) or DEFAULTS.get(f, "")).strip()[:200] for f in TRACE_FIELDS}


def _query(values: dict[str, str], **extra: str) -> str:
    return urlencode({**{k: v for k, v in values.items() if v}, **extra})


def trace_href(base: str, lang: str, **values: str) -> str:
    return f"{base}/ledger?{_query(values, lang=lang)}"


def _node_trace(base: str, lang: str, trace: Trace) -> Any:
    """A node's "trace from here": the money that reached it in this trace, from when it arrived
    (backward: that left it towards the start, up to when it left)."""
    p = trace.params
    forward = p.direction is Direction.FORWARD

    def href(n: GraphNode) -> str | None:
        if n.role == "root" or n.kind.terminal:
            return None
        at = n.first_in if forward else n.last_out
        fen = n.received_fen if forward else n.sent_fen
        return trace_href(
            base,
            lang,
            account=n.account,
            direction=p.direction.value,
            method=p.method.value,
            hops=str(p.hops),
            horizon_days=f"{p.horizon_days:g}",
            amount=format_amount(fen, trace.currency).replace(",", "") if fen else "",
            at=at.astimezone(CHINA_TZ).isoformat() if at else "",
            currency=trace.currency,
        )

    return href


def _ends(trace: Trace, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "account": e.account,
            "name": e.name,
            "what": kind_label(e.kind, e.name, lang),
            "terminal": e.kind.terminal,
            "amount": format_amount(e.amount_fen, trace.currency),
            "reason": e.reason.value,
            "hop": e.hop,
            "first": cn_time(e.first_at),
            "last": cn_time(e.last_at),
        }
        for e in trace.ends
    ]


def _comparison(traces: dict[Method, Trace], lang: str) -> list[dict[str, Any]]:
    """One row per (account, why it stopped) any method ended money in, with each method's amount."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for method, trace in traces.items():
        for e in trace.ends:
            row = rows.setdefault(
                (e.account, e.reason.value),
                {"account": e.account, "name": e.name, "what": kind_label(e.kind, e.name, lang), "reason": e.reason.value, "fen": {}},
            )
            row["fen"][method.value] = row["fen"].get(method.value, 0) + e.amount_fen
    out = sorted(rows.values(), key=lambda r: (-max(r["fen"].values()), r["account"]))
    cur = next(iter(traces.values())).currency
    for r in out:
        r["amounts"] = {m.value: format_amount(r["fen"][m.value], cur) if m.value in r["fen"] else "—" for m in Method}
    return out


def _trace_page(
    request: Request, lang: str, staff: Staff, values: dict[str, str], *, compare: bool = False, status_code: int = 200, **context: Any
) -> HTMLResponse:
    query = _query(values, compare="1") if compare else _query(values)
    return render(
        request,
        "staff_ledger.html",
        lang,
        staff,
        status_code=status_code,
        nav="ledger",
        values=values,
        compare=compare,
        here=f"{staff_root(request)}/ledger" + (f"?{query}" if values["account"] else ""),
        methods=[m.value for m in Method],
        directions=[d.value for d in Direction],
        scripts=script_hrefs(staff_root(request)),
        headers=GRAPH_HEADERS,
        **context,
    )


@router.get("/ledger", response_class=HTMLResponse)
def trace_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    values = _values(request)
    compare = request.query_params.get("compare") == "1"
    if not values["account"] and "account" not in request.query_params:
        return _trace_page(request, lang, staff, values, compare=compare)
    service = platform(request).ledger
    try:
        params = parse_trace_params(values)
        traces = service.compare(params) if compare else {params.method: service.trace(params)}
    except (InvalidInput, NotFound) as exc:
        errors = field_errors(lang, exc.problems or [FieldProblem("other", exc.message)])
        return _trace_page(request, lang, staff, values, compare=compare, status_code=exc.status, errors=errors)
    trace = traces[params.method]
    base = staff_root(request)
    graph = trace_graph(trace)
    return _trace_page(
        request,
        lang,
        staff,
        values,
        compare=compare,
        trace=trace,
        summary={code: summarize(trace, code) for code in ("zh", "en")},
        graph=graph,
        graph_data=graph_payload(graph, lang, base, _node_trace(base, lang, trace)),
        ends=_ends(trace, lang),
        comparison=_comparison(traces, lang) if compare else None,
        method_hrefs={m.value: f"{base}/ledger?{_query({**values, 'method': m.value}, compare='1', lang=lang)}" for m in Method},
        query=_query(values, lang=lang),
        amount=format_amount(trace.amount_fen, trace.currency),
        period=(cn_time(min(trace.start, trace.end)), cn_time(max(trace.start, trace.end))),
    )


@router.get("/ledger/trace.{fmt}")
def trace_download(request: Request, fmt: str) -> Response:
    """The trace as the API gives it: SVG, PNG or JSON (``POST /api/v1/ledger/trace``'s body)."""
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    t = messages(lang)
    if fmt not in ("svg", "png", "json"):
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_err_other"])
    try:
        trace = platform(request).ledger.trace(parse_trace_params(_values(request)))
        if fmt == "json":
            body = {"trace": trace.as_dict(), "summary_en": summarize(trace, "en"), "summary_zh": summarize(trace, "zh")}
            return JSONResponse(body, headers={**NO_STORE, "Content-Disposition": 'attachment; filename="trace.json"'})
        svg = render_svg(trace)
        if fmt == "png":
            return Response(
                render_png(svg), media_type="image/png", headers={**NO_STORE, "Content-Disposition": 'attachment; filename="trace.png"'}
            )
    except FinguardError as exc:
        if exc.status >= 500:
            raise
        problems = exc.problems or [FieldProblem("other", exc.message)]
        text = " ".join(f"{m[0]} ({m[1]})" for m in field_errors(lang, problems).values())
        return message(request, lang, staff, exc.status, t["ledger_trace_error_title"], text)
    # Inline (no attachment) so the page's no-script picture can show it; a link downloads it.
    return Response(svg, media_type="image/svg+xml", headers={**NO_STORE, "X-Content-Type-Options": "nosniff"})


@router.get("/ledger/account")
def account_lookup(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    raw = request.query_params.get("account", "").strip()
    try:
        account = parse_account(raw)
    except InvalidInput as exc:
        values = {**DEFAULTS, **{f: "" for f in TRACE_FIELDS if f not in DEFAULTS}, "account": raw[:200]}
        return _trace_page(request, lang, staff, values, status_code=422, errors=field_errors(lang, exc.problems))
    return RedirectResponse(account_href(staff_root(request), account, lang), status_code=303, headers=NO_STORE)


@router.get("/ledger/accounts/{account:path}", response_class=HTMLResponse)
def account_page(request: Request, account: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    t = messages(lang)
    raw_before = request.query_params.get("before", "")
    try:
        parse_account(account)
        if raw_before and not _INT.fullmatch(raw_before):
            raise InvalidInput.for_field("before", "must be a transfer id")
        history = platform(request).ledger.history(account, before=int(raw_before) if raw_before else None, limit=HISTORY_PAGE)
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["account_not_found"].format(account=account[:200]))
    except InvalidInput as exc:
        text = " ".join(m[0] for m in field_errors(lang, exc.problems).values())
        return message(request, lang, staff, 422, t["staff_err_other"], text)
    base = staff_root(request)
    rows = []
    for x in history.transfers:
        out = x.src == account
        rows.append(
            {
                "transfer": x,
                "side": "out" if out else "in",
                "counterparty": x.dst if out else x.src,
                "counterparty_name": x.draft.dst_name if out else x.draft.src_name,
                "amount": format_amount(x.amount_fen, x.draft.currency),
                "when": cn_time(x.at),
                "trace": trace_href(base, lang, account=account, direction="forward" if out else "backward", start_transfer=str(x.id)),
            }
        )
    info = history.account_info
    kind = info.kind if info else AccountKind.CUSTOMER
    return render(
        request,
        "staff_account.html",
        lang,
        staff,
        nav="ledger",
        account=account,
        info=info,
        kind_text=kind_label(kind, info.name if info else None, lang),
        kind=kind.value,
        rows=rows,
        more=history.more,
        older=f"{account_href(base, account, lang)}&before={history.transfers[-1].id}" if history.more else None,
        newest=account_href(base, account, lang) if raw_before else None,
        trace_forward=trace_href(base, lang, account=account, direction="forward"),
        trace_backward=trace_href(base, lang, account=account, direction="backward"),
        here=f"{base}/ledger/accounts/{quote(account, safe='')}",
    )
