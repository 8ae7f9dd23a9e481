"""The staff alerts page (every capability's alerts, newest first) and the case pages (#13): the
queue with filters, bulk assign and the open-cases chart; a case page that acts (assign, review,
escalate, comment, close, confirm); filing a complaint or a special-service request at the counter.
The pages call the same ``CaseService`` functions as the API and the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from finguard.access.pages import (
    Staff,
    form_text,
    message,
    page_lang,
    post_guard,
    render,
    signed_in,
    staff_post,
    staff_root,
)
from finguard.alerts.http import XLSX, attachment_response, case_service
from finguard.alerts.model.cases import (
    AGE_FILTERS,
    COMPLAINT_CATEGORIES,
    DISPOSITIONS,
    FILTER_STATES,
    SERVICE_TYPES,
    SEVERITIES,
    SLA_STATES,
    Case,
    CaseFilter,
    CaseKind,
    format_confirmation,
)
from finguard.alerts.service.cases import CaseService, Dashboard
from finguard.alerts.texts import cases_text, complaint_text, refusal_text
from finguard.core.charts import columns, hbars, stacked_columns
from finguard.core.errors import Conflict, FinguardError, Forbidden, InvalidInput, NotFound
from finguard.core.http import read_upload
from finguard.core.http_context import platform
from finguard.core.i18n import messages
from finguard.core.web import NO_STORE

router = APIRouter()

ALERTS_PAGE = 50
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

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




# -- cases (#13) -------------------------------------------------------------------------------

CASE_PAGE = 50
ACTIONS = ("assign", "review", "escalate", "comment", "close", "confirm", "reject")
SLA_COLOURS = {"breached": "#c62828", "due_soon": "#e0a100", "ok": "#2e7d32"}


def _filter(request: Request) -> CaseFilter:
    q = request.query_params

    def opt(name: str) -> str | None:
        value = q.get(name, "").strip()
        return value or None

    offset = _offset(request) or 0
    return CaseFilter(opt("state") or "open", opt("kind"), opt("severity"), opt("queue"), opt("assignee"), opt("sla"),
                      opt("q"), CASE_PAGE, offset, opt("age"))


def age_chart(board: Dashboard, ct: dict[str, str], svg_id: str = "case-chart") -> Markup:
    """Open cases per age bucket as stacked columns (on time, due soon, breached)."""
    groups = [(ct[f"age_{i}"], [(state, ct["sla_" + state], board.bucket(i)[state]) for state in ("ok", "due_soon", "breached")])
              for i in range(4)]
    return Markup(stacked_columns(groups, ct["chart"], SLA_COLOURS, svg_id=svg_id))  # noqa: S704 - core.charts escapes


def closed_chart(board: Dashboard, ct: dict[str, str]) -> Markup:
    points = [(d.strftime("%m-%d"), n) for d, n in board.closed_per_day]
    return Markup(columns(points, ct["chart_closed"], svg_id="closed-chart", colour="#2e7d32"))  # noqa: S704


def disposition_chart(board: Dashboard, ct: dict[str, str]) -> Markup:
    items = [(ct.get("disp_" + d, d), n) for d, n in board.dispositions.items()]
    return Markup(hbars(items, ct["chart_disp"], svg_id="disposition-chart"))  # noqa: S704


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    s = case_service(request)
    f = _filter(request)
    ct = cases_text(lang)
    try:
        found, total = s.find(f)
    except InvalidInput as exc:
        return message(request, lang, staff, 422, ct["err_title"], ct["err_input"] + " " + exc.message)
    board = s.dashboard()
    query = urlencode({k: v for k, v in request.query_params.items() if k in FILTER_FIELDS and v})
    return render(request, "staff_cases.html", lang, staff, nav="cases", ct=ct, cases=found, total=total, f=f,
                  now=s.clock(), board=board, chart=age_chart(board, ct), query=query, page_size=CASE_PAGE,
                  states=FILTER_STATES, kinds=[k.value for k in CaseKind], severities=SEVERITIES, slas=SLA_STATES,
                  ages=AGE_FILTERS, all_dispositions=sorted({d for ds in DISPOSITIONS.values() for d in ds}),
                  notice=_bulk_notice(ct, request.query_params.get("done", "")))


def _bulk_notice(ct: dict[str, str], raw: str) -> str:
    ok, _, pending = raw.partition(".")
    if not (ok.isdigit() and pending.isdigit() and len(raw) <= 12):
        return ""
    return ct["bulk_done"].format(ok=int(ok), pending=int(pending))


@router.get("/cases/dashboard", response_class=HTMLResponse)
def cases_dashboard(request: Request) -> Response:
    """The supervisor's charts: open cases by age and SLA state, closed per day over the last 30
    China days, and their dispositions (SVG drawn here, no script)."""
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    board = case_service(request).dashboard()
    ct = cases_text(lang)
    return render(request, "staff_cases_dashboard.html", lang, staff, nav="cases", ct=ct, board=board, slas=SLA_STATES,
                  colours=SLA_COLOURS, age_chart=age_chart(board, ct, "age-chart"), closed_chart=closed_chart(board, ct),
                  disposition_chart=disposition_chart(board, ct) if board.dispositions else None,
                  closed_total=sum(n for _, n in board.closed_per_day))


FILTER_FIELDS = ("state", "kind", "severity", "queue", "assignee", "sla", "q", "age")


@router.get("/cases/export.csv")
def cases_export(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    try:
        rows = list(case_service(request).export_csv(_filter(request)))
    except InvalidInput as exc:
        ct = cases_text(lang)
        return message(request, lang, staff, 422, ct["err_title"], ct["err_input"] + " " + exc.message)
    return Response("".join(rows), media_type="text/csv; charset=utf-8",
                    headers={**NO_STORE, "Content-Disposition": 'attachment; filename="cases.csv"'})


@router.get("/cases/export.xlsx")
def cases_export_xlsx(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    try:
        body = case_service(request).export_xlsx(_filter(request))
    except InvalidInput as exc:
        ct = cases_text(lang)
        return message(request, lang, staff, 422, ct["err_title"], ct["err_input"] + " " + exc.message)
    return Response(body, media_type=XLSX, headers={**NO_STORE, "Content-Disposition": 'attachment; filename="cases.xlsx"'})


def _case_page(request: Request, lang: str, staff: Staff, case_id: int, *, status_code: int = 200,
               error: str = "", saved: bool = False) -> Response:
    s = case_service(request)
    ct = cases_text(lang)
    try:
        case, events = s.show(case_id)
    except NotFound:
        return message(request, lang, staff, 404, ct["err_title"], ct["err_not_found"])
    return render(request, "staff_case.html", lang, staff, status_code=status_code, nav="cases", ct=ct, case=case,
                  events=events, now=s.clock(), dispositions=DISPOSITIONS[case.kind], error=error, saved=saved,
                  confirmation=format_confirmation(case.reference) if case.reference else "",
                  attachments=s.attachments(case_id), attach_mb=f"{s.attachment_limit / 1024 / 1024:g}")


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, saved: int = 0) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _case_page(request, lang, staff, case_id, saved=bool(saved))


@router.post("/cases/{case_id}/attachments")
async def case_attach(request: Request, case_id: int) -> Response:
    """Evidence uploaded from the case page (multipart). A refused file (too large, a type not
    accepted, a name that disagrees with the content) stores nothing and shows why."""
    s = case_service(request)
    refused: InvalidInput | None = None
    fields: dict[str, str] = {}
    try:
        name, data, fields = await read_upload(request, s.attachment_limit, text_fields=("csrf", "lang"))
    except InvalidInput as exc:
        refused, name, data = exc, "", b""

    def run() -> Response:
        if refused is not None:  # nothing will change: the session is enough to show why
            lang = page_lang(request)
            staff = signed_in(request, "write", lang)
            if isinstance(staff, Response):
                return staff
            return _case_page(request, lang, staff, case_id, status_code=refused.status,
                              error=cases_text(lang)["err_file"] + " " + refusal_text(lang, refused, s.attachment_limit))
        lang, found = post_guard(request, FormData(list(fields.items())), "write")
        if isinstance(found, Response):
            return found
        try:
            s.attach(case_id, found.actor, name, data)
        except NotFound:
            return message(request, lang, found, 404, cases_text(lang)["err_title"], cases_text(lang)["err_not_found"])
        except FinguardError as exc:
            code = exc.status if exc.status in (409, 413, 422) else 422
            text = (cases_text(lang)["err_conflict"] if isinstance(exc, Conflict)
                    else cases_text(lang)["err_file"] + " " + refusal_text(lang, exc, s.attachment_limit))
            return _case_page(request, lang, found, case_id, status_code=code, error=text)
        return RedirectResponse(f"{staff_root(request)}/cases/{case_id}?lang={lang}&saved=1#evidence", status_code=303,
                                headers=NO_STORE)

    return await run_in_threadpool(run)


@router.get("/cases/{case_id}/attachments/{attachment_id}")
def case_download(request: Request, case_id: int, attachment_id: int) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    try:
        return attachment_response(*case_service(request).download(case_id, attachment_id, staff.actor))
    except NotFound:
        ct = cases_text(lang)
        return message(request, lang, staff, 404, ct["err_title"], ct["err_not_found"])


def _act(s: CaseService, case_id: int, action: str, actor: str, form: FormData) -> None:
    if action == "assign":
        s.assign(case_id, form_text(form, "assignee") or actor, actor)
    elif action == "review":
        s.review(case_id, actor)
    elif action == "escalate":
        s.escalate(case_id, actor, form_text(form, "reason"))
    elif action == "comment":
        s.comment(case_id, actor, form_text(form, "text"))
    elif action == "close":
        s.close(case_id, actor, form_text(form, "disposition"), form_text(form, "reason"))
    elif action == "confirm":
        s.confirm(case_id, actor)
    elif action == "reject":
        s.confirm(case_id, actor, approve=False, reason=form_text(form, "reason"))
    else:
        raise InvalidInput.for_field("action", f"must be one of {', '.join(ACTIONS)}")


def _explain(ct: dict[str, str], exc: FinguardError) -> str:
    if isinstance(exc, Conflict):
        return ct["err_conflict"]
    if isinstance(exc, Forbidden):
        return ct["err_forbidden"]
    return ct["err_input"] + " " + exc.message


@router.post("/cases/{case_id}")
async def case_act(request: Request, case_id: int) -> Response:
    return await staff_post(request, "write", _case_act, case_id)


def _case_act(request: Request, lang: str, staff: Staff, form: FormData, case_id: int) -> Response:
    try:
        _act(case_service(request), case_id, form_text(form, "action"), staff.actor, form)
    except NotFound:
        return message(request, lang, staff, 404, cases_text(lang)["err_title"], cases_text(lang)["err_not_found"])
    except FinguardError as exc:
        code = exc.status if exc.status in (403, 409, 422) else 422
        return _case_page(request, lang, staff, case_id, status_code=code, error=_explain(cases_text(lang), exc))
    return RedirectResponse(f"{staff_root(request)}/cases/{case_id}?lang={lang}&saved=1", status_code=303, headers=NO_STORE)


@router.post("/cases")
async def cases_bulk(request: Request) -> Response:
    """Bulk assign from the list: each selected case is assigned on its own; failures are listed."""
    return await staff_post(request, "write", _cases_bulk)


def _cases_bulk(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    """``bulk=assign`` (to the named person) or ``bulk=close`` (with a disposition and a reason; a
    high or critical case is proposed for a second person's confirmation, maker-checker)."""
    ct = cases_text(lang)
    ids = [int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit() and len(v) <= 18]
    s = case_service(request)
    try:
        if form_text(form, "bulk") == "close":
            results = s.bulk_close(ids, staff.actor, form_text(form, "disposition"), form_text(form, "reason"))
        else:
            results = s.bulk_assign(ids, form_text(form, "assignee") or staff.key.name, staff.actor)
    except InvalidInput as exc:
        return message(request, lang, staff, 422, ct["err_title"], ct["err_input"] + " " + exc.message)
    failed = [f"#{r.case_id}: {r.error}" for r in results if not r.ok]
    if failed:
        return message(request, lang, staff, 409, ct["err_title"], ct["bulk_failed"] + " " + "; ".join(failed))
    done = f"{sum(1 for r in results if r.ok)}.{sum(1 for r in results if r.pending)}"
    return RedirectResponse(f"{staff_root(request)}/cases?lang={lang}&done={done}", status_code=303, headers=NO_STORE)


def _when_field(raw: str, name: str) -> datetime | None:
    """A ``datetime-local`` value from the form, taken as China time (the branches' clock)."""
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=CHINA)
    except ValueError as exc:
        raise InvalidInput.for_field(name, "is not a date and time") from exc


def _file(s: CaseService, form: FormData, actor: str) -> Case:
    if form_text(form, "kind") == "service":
        return s.request_service(
            service_type=form_text(form, "service_type"), customer=form_text(form, "customer"), text=form_text(form, "text"),
            contact=form_text(form, "contact"), branch=form_text(form, "branch"),
            slot_start=_when_field(form_text(form, "slot_start"), "slot_start"),
            slot_end=_when_field(form_text(form, "slot_end"), "slot_end"), filed_by=actor)
    return s.file_complaint(category=form_text(form, "category"), customer=form_text(form, "customer"),
                            text=form_text(form, "text"), contact=form_text(form, "contact"),
                            branch=form_text(form, "branch"), channel="staff", filed_by=actor)


@router.get("/cases-new", response_class=HTMLResponse)
def new_case_page(request: Request, kind: str = "complaint") -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "write", lang)
    if isinstance(staff, Response):
        return staff
    return _new_page(request, lang, staff, "service" if kind == "service" else "complaint")


def _new_page(request: Request, lang: str, staff: Staff, kind: str, *, status_code: int = 200, error: str = "",
              values: dict[str, str] | None = None) -> Response:
    return render(request, "staff_case_new.html", lang, staff, status_code=status_code, nav="cases",
                  ct=cases_text(lang), pt=complaint_text(lang), kind=kind, categories=COMPLAINT_CATEGORIES,
                  service_types=SERVICE_TYPES, error=error, values=values or {})


@router.post("/cases-new")
async def new_case(request: Request) -> Response:
    """A teller files a complaint or books a special service for a customer at the counter."""
    return await staff_post(request, "write", _new_case)


def _new_case(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    try:
        case = _file(case_service(request), form, staff.actor)
    except InvalidInput as exc:
        kind = "service" if form_text(form, "kind") == "service" else "complaint"
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return _new_page(request, lang, staff, kind, status_code=422, error=_explain(cases_text(lang), exc), values=values)
    return RedirectResponse(f"{staff_root(request)}/cases/{case.id}?lang={lang}&saved=1", status_code=303, headers=NO_STORE)
