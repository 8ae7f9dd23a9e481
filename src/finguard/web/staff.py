"""Staff pages: sign-in with an API key, dashboard, name screening and due diligence, alerts, guard.

Server-rendered in Simplified Chinese and English, under the same strict CSP as the public page
(no script at all): bars and charts are SVG drawn here. The routes are glue: read the form, call
one service function, map the result to a template. The session, CSRF and rendering helpers are
in ``staff_session``; the fund-flow pages (#5) in ``staff_ledger`` and the monitor pages in
``staff_monitors``, whose routes this router includes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from finguard.domain.diligence import Decision as HitDecision
from finguard.domain.diligence import Purpose, counterparty_from_record
from finguard.domain.errors import FieldProblem, InvalidInput, NotFound, Unauthorized, Unavailable
from finguard.domain.guard.controls import controls_to_dict
from finguard.domain.guard.rules import RuleMode
from finguard.services.diligence import Screening
from finguard.services.screening.matcher import ScreenHit, ScreenQuery
from finguard.web import flowgraph, staff_ledger, staff_monitors
from finguard.web.context import platform
from finguard.web.i18n import messages
from finguard.web.pages import NO_STORE
from finguard.web.staff_session import (
    COOKIE,
    COOKIE_MAX_AGE,
    Staff,
    clear_cookie,
    cross_site,
    csrf_token,
    field_errors,
    form_text,
    message,
    page_lang,
    post_guard,
    read_form,
    render,
    safe_next,
    signed_in,
    staff_root,
)

__all__ = ["COOKIE", "Staff", "csrf_token", "router"]

router = APIRouter(prefix="/staff", include_in_schema=False)
router.include_router(flowgraph.router)
router.include_router(staff_ledger.router)
router.include_router(staff_monitors.router)

ALERTS_PAGE = 50
ALERTS_SCAN = 1000  # open alerts counted on the dashboard and searched for a party's alerts
GUARD_WINDOW = timedelta(hours=24)
GUARD_SCAN = 5000  # guard decisions of the window read for the dashboard and the recent list
GUARD_RECENT = 50
_CUSTOMER = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_BIRTH = re.compile(r"\d{4}(-\d{2}-\d{2})?")
_OUTCOMES = ("allow", "review", "hold", "block")
_KINDS = ("", "person", "organisation")

# Feature bars: one fixed scale for every hit, so bars compare across hits. Contributions run from
# the strongest qualifier penalty (kind mismatch, -0.2) to a full name match (+1.0).
BAR_WIDTH = 200.0
BAR_MIN, BAR_MAX = -0.25, 1.0


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "") -> HTMLResponse:
    lang = page_lang(request)
    return render(request, "staff_login.html", lang, None, next=safe_next(request, next) or "")


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_login_submit, request, form)


def _login_submit(request: Request, form: FormData | None) -> Response:
    lang = page_lang(request, form)
    t = messages(lang)
    if form is None:
        return message(request, lang, None, 400, t["staff_bad_form_title"], t["staff_bad_form"])
    if cross_site(request):  # nobody signs in from a form on another site
        return message(request, lang, None, 403, t["staff_csrf_title"], t["staff_csrf"])
    secret = form_text(form, "api_key")
    target = safe_next(request, form_text(form, "next"))
    problem: tuple[int, str] | None = None
    if not secret:
        problem = (422, "is required")
    elif len(secret) > 200:
        problem = (422, "is longer than any API key")
    else:
        try:
            platform(request).keys.authenticate(secret)
        except Unauthorized:
            problem = (401, "is unknown or revoked")
    if problem is not None:
        errors = field_errors(lang, [FieldProblem("api_key", problem[1])])
        return render(request, "staff_login.html", lang, None, status_code=problem[0], errors=errors, next=target or "")
    response = RedirectResponse(target or f"{staff_root(request)}/?lang={lang}", status_code=303, headers=NO_STORE)
    response.set_cookie(
        COOKIE,
        secret,
        max_age=COOKIE_MAX_AGE,
        path=staff_root(request),
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    lang, found = await run_in_threadpool(post_guard, request, form, "read")
    if isinstance(found, Response) and found.status_code != 303:
        return found
    response = RedirectResponse(f"{staff_root(request)}/login?lang={lang}", status_code=303, headers=NO_STORE)
    clear_cookie(request, response)
    return response


# -- dashboard ---------------------------------------------------------------------------------


def _bars(rows: list[tuple[str, str, int]], width: float = 320.0) -> dict[str, Any]:
    """A horizontal SVG bar chart: one row per (key, label, count)."""
    top = max((n for _, _, n in rows), default=0) or 1
    out = [{"key": k, "label": label, "count": n, "y": i * 34, "w": round(width * n / top, 1)} for i, (k, label, n) in enumerate(rows)]
    return {"rows": out, "width": width, "height": len(rows) * 34}


def _recent_guard(request: Request) -> tuple[list[Any], bool]:
    """Guard decisions of the last day (oldest first) and whether the scan cap was reached."""
    g = platform(request).guard
    found = list(g.store.stored_decisions(g.clock() - GUARD_WINDOW, None, GUARD_SCAN))
    return found, len(found) >= GUARD_SCAN


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
    recent, guard_capped = _recent_guard(request)
    outcomes = Counter(s.decision.outcome.value for s in recent)
    chart = _bars([(o, t[f"staff_outcome_{o}"], outcomes.get(o, 0)) for o in _OUTCOMES])
    lists = [(lst, p.list_store.count_entries(lst.code, active_only=True)) for lst in p.lists.all_lists()]
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
    )


# -- screening and due diligence ---------------------------------------------------------------


def _feature_bar(contribution: float) -> dict[str, float]:
    scale = BAR_WIDTH / (BAR_MAX - BAR_MIN)
    axis = -BAR_MIN * scale
    c = min(max(contribution, BAR_MIN), BAR_MAX)
    w = abs(c) * scale
    if c:
        w = max(w, 2.0)
    return {"axis": round(axis, 1), "x": round(axis if c >= 0 else axis - w, 1), "w": round(w, 1)}


def _hit_view(hit: ScreenHit, decision: HitDecision | None = None, suppressed: bool = False, stale: bool = False) -> dict[str, Any]:
    return {
        "entry_id": hit.entry_id,
        "list_code": hit.list_code,
        "listed_name": hit.listed_name,
        "score": hit.score,
        "outcome": hit.outcome,
        "features": [
            {
                "name": f.name,
                "value": f.value,
                "contribution": f.contribution,
                "explanation": f.explanation,
                "bar": _feature_bar(f.contribution),
            }
            for f in hit.features
        ],
        "decision": decision,
        "suppressed": suppressed,
        "stale": stale,
    }


def _party_alerts(request: Request, key: str) -> list[Any]:
    subject = f"party:{key}"
    return [a for a in platform(request).diligence.alerts("open", ALERTS_SCAN) if a.subject == subject]


def _screen_form(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(
        request, "staff_screen.html", lang, staff, status_code=status_code, nav="screen", purposes=list(Purpose), kinds=_KINDS, **context
    )


@router.get("/screen", response_class=HTMLResponse)
def screen_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "check", lang)
    if isinstance(staff, Response):
        return staff
    return _screen_form(request, lang, staff, values={"mode": "quick", "purpose": "contract"})


@router.post("/screen")
async def screen_submit(request: Request) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_screen_submit, request, form)


def _check_screen_values(v: dict[str, str]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not v["name"]:
        problems.append(FieldProblem("name", "is required"))
    if v["kind"] not in _KINDS:
        problems.append(FieldProblem("kind", "must be person or organisation"))
    if v["birth_date"]:
        ok = bool(_BIRTH.fullmatch(v["birth_date"]))
        if ok and len(v["birth_date"]) == 10:
            try:
                date.fromisoformat(v["birth_date"])
            except ValueError:
                ok = False
        if not ok:
            problems.append(FieldProblem("birth_date", "must be a date YYYY-MM-DD or a year YYYY"))
    if len(v["country"]) > 100:
        problems.append(FieldProblem("country", "is longer than 100 characters"))
    if v["mode"] not in ("quick", "diligence"):
        problems.append(FieldProblem("mode", "must be quick or diligence"))
    return problems


def _screen_submit(request: Request, form: FormData | None) -> Response:
    lang, staff = post_guard(request, form, "check")
    if isinstance(staff, Response):
        return staff
    assert form is not None
    t = messages(lang)
    names = ("name", "kind", "birth_date", "country", "mode", "purpose", "key")
    values = {n: form_text(form, n) for n in names}
    values["mode"] = values["mode"] or "quick"
    d = platform(request).diligence
    try:
        problems = _check_screen_values(values)
        if problems:
            raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
        if values["mode"] == "quick":
            query = ScreenQuery(values["name"], values["kind"] or None, values["birth_date"] or None, values["country"] or None)
            hits = [_hit_view(h) for h in d.screen_name(query, limit=20)]
            return _screen_form(request, lang, staff, values=values, hits=hits, done=True)
        record = {k: values[k] for k in ("name", "kind", "birth_date", "country", "purpose", "key") if values[k]}
        result: Screening = d.screen(counterparty_from_record(record, default_purpose="contract"))
    except InvalidInput as exc:
        errors = field_errors(lang, exc.problems or [FieldProblem("other", exc.message)])
        return _screen_form(request, lang, staff, status_code=422, values=values, errors=errors)
    except Unavailable:
        return message(request, lang, staff, 503, t["staff_unavailable_title"], t["staff_unavailable"])
    hits = [_hit_view(h.hit, h.decision, h.suppressed) for h in result.hits]
    return _screen_form(
        request,
        lang,
        staff,
        values=values,
        hits=hits,
        done=True,
        screening=result,
        party_alerts=_party_alerts(request, result.party.key),
    )


# -- parties and analyst decisions -------------------------------------------------------------


def _party_page(
    request: Request, lang: str, staff: Staff, key: str, *, status_code: int = 200, errors: Mapping[int, Any] | None = None
) -> Response:
    d = platform(request).diligence
    t = messages(lang)
    try:
        party, decisions = d.party(key)
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_party_not_found"].format(key=key))
    latest = {x.entry_id: x for x in decisions}
    digest = party.data_hash()
    hits: list[dict[str, Any]] | None = None
    try:
        current = d.screen(party, persist=False)
    except Unavailable:
        hits = None
    else:
        hits = []
        for h in current.hits:
            made = latest.get(h.hit.entry_id)
            applies = made is not None and made.still_applies(digest, h.entry_version)
            suppressed = applies and made is not None and made.decision.value == "false_positive"
            hits.append(_hit_view(h.hit, made, suppressed, stale=made is not None and not applies))
    return render(
        request,
        "staff_party.html",
        lang,
        staff,
        status_code=status_code,
        nav="alerts",
        party=party,
        decisions=list(reversed(decisions)),
        hits=hits,
        party_alerts=_party_alerts(request, key),
        hit_errors=errors or {},
        here=f"{staff_root(request)}/parties/{quote(key, safe='')}",
    )


@router.get("/parties/{key:path}", response_class=HTMLResponse)
def party_page(request: Request, key: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _party_page(request, lang, staff, key)


@router.post("/decisions")
async def decide(request: Request) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_decide, request, form)


def _decide(request: Request, form: FormData | None) -> Response:
    lang, staff = post_guard(request, form, "write")
    if isinstance(staff, Response):
        return staff
    assert form is not None
    t = messages(lang)
    key = form_text(form, "party_key")
    raw_entry = form_text(form, "entry_id")
    entry_id = int(raw_entry) if raw_entry.isdigit() and len(raw_entry) < 19 else None
    try:
        if entry_id is None:
            raise InvalidInput.for_field("entry_id", "must be a list entry id")
        platform(request).diligence.decide(
            key, entry_id, form_text(form, "decision"), form_text(form, "reason"), actor=f"key:{staff.key.name}"
        )
    except InvalidInput as exc:
        errors = {entry_id or 0: field_errors(lang, exc.problems)}
        return _party_page(request, lang, staff, key, status_code=422, errors=errors)
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_party_not_found"].format(key=key))
    url = f"{staff_root(request)}/parties/{quote(key, safe='')}?lang={lang}#hit-{entry_id}"
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


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


# -- the transaction guard ---------------------------------------------------------------------


def _guard_page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> Response:
    g = platform(request).guard
    recent, capped = _recent_guard(request)
    return render(
        request,
        "staff_guard.html",
        lang,
        staff,
        status_code=status_code,
        nav="guard",
        recent=list(reversed(recent))[:GUARD_RECENT],
        capped=capped,
        rules=g.rules.rules(),
        rule_version=g.rules.current().version,
        here=f"{staff_root(request)}/guard",
        **context,
    )


@router.get("/guard", response_class=HTMLResponse)
def guard_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _guard_page(request, lang, staff)


@router.get("/guard/customers", response_class=HTMLResponse)
def customer_lookup(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    customer = request.query_params.get("customer_id", "").strip()
    if not _CUSTOMER.fullmatch(customer):
        errors = field_errors(lang, [FieldProblem("customer_id", "must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'")])
        return _guard_page(request, lang, staff, status_code=422, errors=errors, values={"customer_id": customer})
    return RedirectResponse(f"{staff_root(request)}/guard/customers/{customer}?lang={lang}", status_code=303, headers=NO_STORE)


def _protections(stored: dict[str, Any]) -> list[dict[str, Any]]:
    """Each protection with whether it is on: limits have no switch, they are on when any is set."""
    out = []
    for name, p in stored.items():
        current = p["current"]
        on = current["enabled"] if "enabled" in current else any(c["single"] or c["daily"] for c in current.get("channels", ()))
        settings = {k: v for k, v in current.items() if k != "enabled"}
        out.append({"name": name, "on": on, "settings": settings, "pending": p["pending"], "until": p["pending_off_until"]})
    return out


@router.get("/guard/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, customer_id: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    if not _CUSTOMER.fullmatch(customer_id):
        errors = field_errors(lang, [FieldProblem("customer_id", "must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'")])
        return _guard_page(request, lang, staff, status_code=422, errors=errors, values={"customer_id": customer_id[:64]})
    g = platform(request).guard
    controls = g.controls.get(customer_id)
    return render(
        request,
        "staff_guard_customer.html",
        lang,
        staff,
        nav="guard",
        customer_id=customer_id,
        controls=controls,
        protections=_protections(controls_to_dict(controls)),
        advice=g.controls.checkup(customer_id),
        decisions=g.decisions_of(customer_id, limit=50),
        history=g.controls.history(customer_id, limit=20),
    )


@router.get("/guard/decisions/{decision_id}", response_class=HTMLResponse)
def decision_page(request: Request, decision_id: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    t = messages(lang)
    try:
        decision = platform(request).guard.get_decision(decision_id[:40])
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_decision_not_found"])
    return render(request, "staff_guard_decision.html", lang, staff, nav="guard", decision=decision)


@router.post("/guard/rules/{rule_id}")
async def rule_action(request: Request, rule_id: str) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_rule_action, request, form, rule_id)


def _rule_action(request: Request, form: FormData | None, rule_id: str) -> Response:
    lang, staff = post_guard(request, form, "admin")
    if isinstance(staff, Response):
        return staff
    assert form is not None
    t = messages(lang)
    rules = platform(request).guard.rules
    action = form_text(form, "action")
    actor = f"key:{staff.key.name}"
    try:
        rule = rules.get(rule_id)
        if action in (RuleMode.ENFORCE.value, RuleMode.SHADOW.value):
            rules.save(replace(rule, mode=RuleMode(action)), actor)
        elif action in ("enable", "disable"):
            rules.save(replace(rule, enabled=action == "enable"), actor)
        else:
            raise InvalidInput.for_field("action", "must be enforce, shadow, enable or disable")
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_rule_not_found"])
    except InvalidInput as exc:
        return _guard_page(request, lang, staff, status_code=422, errors=field_errors(lang, exc.problems))
    return RedirectResponse(f"{staff_root(request)}/guard?lang={lang}#rule-{rule_id}", status_code=303, headers=NO_STORE)
