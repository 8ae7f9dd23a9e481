"""Staff pages: sign-in with an API key, dashboard, name screening and due diligence, alerts, guard.

Server-rendered in Simplified Chinese and English, under the same strict CSP as the public page
(no script at all): bars and charts are SVG drawn here. The routes are glue: read the form, call
one service function, map the result to a template.

The session is the API key itself in an HttpOnly, SameSite=Strict cookie scoped to ``/staff``;
every request authenticates it again, so revoking a key ends its sessions at once. Every POST
form also carries a CSRF token: an HMAC of the key's hash under a secret made when the process
starts (a restart makes open forms stale: reload and submit again).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from finguard.domain.diligence import Decision as HitDecision
from finguard.domain.diligence import Purpose, counterparty_from_record
from finguard.domain.errors import FieldProblem, Forbidden, InvalidInput, NotFound, Unauthorized, Unavailable
from finguard.domain.guard.controls import controls_to_dict
from finguard.domain.guard.decision import Outcome
from finguard.domain.guard.rules import RuleMode
from finguard.services.diligence import Screening
from finguard.services.keys import PERMISSIONS, ApiKey, hash_key
from finguard.services.screening.matcher import ScreenHit, ScreenQuery
from finguard.web.context import platform
from finguard.web.i18n import HTML_LANG, LANGUAGES, choose_language, messages
from finguard.web.pages import NO_STORE, SECURITY_HEADERS, _css, templates

router = APIRouter(prefix="/staff", include_in_schema=False)

COOKIE = "fg_staff"
COOKIE_MAX_AGE = 12 * 3600
_SECRET = secrets.token_bytes(32)
MAX_FORM_FIELDS = 30
MAX_FORM_PART = 16 * 1024
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


@dataclass(frozen=True, slots=True)
class Staff:
    key: ApiKey
    csrf: str

    def can(self, permission: str) -> bool:
        return self.key.role in PERMISSIONS[permission]


def csrf_token(secret: str, server_secret: str | None = None) -> str:
    """HMAC of the key's hash. ``server_secret`` (FINGUARD_SESSION_SECRET) lets every worker
    process accept the others' forms; without it each process has its own random secret."""
    key = hashlib.sha256(server_secret.encode()).digest() if server_secret else _SECRET
    return hmac.new(key, hash_key(secret).encode(), hashlib.sha256).hexdigest()


# -- rendering ---------------------------------------------------------------------------------


def tone(value: str) -> str:
    """The colour family of an outcome (guard or screening), as a CSS modifier."""
    return {
        Outcome.ALLOW.value: "pass",
        Outcome.REVIEW.value: "na",
        Outcome.HOLD.value: "warn",
        Outcome.BLOCK.value: "block",
        "match": "block",
        "close_match": "warn",
        "no_match": "pass",
    }.get(value, "na")


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/") + "/staff"


def _when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        at = value
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _show(value: object, limit: int = 160) -> str:
    """A reason value or control setting as short text."""
    if isinstance(value, Mapping):
        text = ", ".join(f"{k}={_show(v, limit)}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        text = ", ".join(_show(v, limit) for v in value) or "—"
    elif value is None:
        text = "—"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _render(
    request: Request,
    template: str,
    lang: str,
    staff: Staff | None,
    *,
    status_code: int = 200,
    here: str | None = None,
    **context: Any,
) -> HTMLResponse:
    t = messages(lang)
    other = next(code for code in LANGUAGES if code != lang)
    base = _root(request)
    full = {
        "t": t,
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "other_lang": other,
        "css_href": f"{request.scope.get('root_path', '').rstrip('/')}/static/site.css?v={_css()[1]}",
        "base": base,
        "here": here or request.url.path,
        "staff": staff,
        "when": _when,
        "show": _show,
        "tone": tone,
        "errors": {},
        "values": {},
        **context,
    }
    headers = {**SECURITY_HEADERS, **NO_STORE, "Content-Language": HTML_LANG[lang]}
    response: HTMLResponse = templates.TemplateResponse(request, template, full, status_code=status_code, headers=headers)
    return response


def _message(request: Request, lang: str, staff: Staff | None, status_code: int, title: str, text: str) -> HTMLResponse:
    return _render(request, "staff_message.html", lang, staff, status_code=status_code, title=title, text=text)


def _errors(lang: str, problems: list[FieldProblem]) -> dict[str, tuple[str, str]]:
    """Field -> (this language's message, the service's own words)."""
    t = messages(lang)
    out: dict[str, tuple[str, str]] = {}
    for p in problems:
        field = p.field.split("[")[0].split(".")[0]
        out.setdefault(field, (t.get(f"staff_err_{field}", t["staff_err_other"]), p.problem))
    return out


def _lang(request: Request, form: FormData | None = None) -> str:
    explicit = form.get("lang") if form is not None else None
    return choose_language(
        explicit if isinstance(explicit, str) else request.query_params.get("lang"), request.headers.get("accept-language")
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _read_form(request: Request) -> FormData | None:
    try:
        return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_PART)
    except HTTPException:
        return None


# -- the session -------------------------------------------------------------------------------


def _to_login(request: Request, lang: str) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method == "GET" and _cross_site(request) and COOKIE not in request.cookies:
        # A link followed from another site (a chat, a mail) arrives without the SameSite=Strict
        # cookie; one same-site hop (a meta refresh, no script) brings it, if there is one.
        return _render(request, "staff_continue.html", lang, None, target=target)
    url = f"{_root(request)}/login?lang={lang}"
    if request.method == "GET":
        url += "&next=" + quote(target, safe="")
    response = RedirectResponse(url, status_code=303, headers=NO_STORE)
    if request.cookies.get(COOKIE):
        _clear_cookie(request, response)
    return response


def _clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path=_root(request), secure=request.url.scheme == "https", httponly=True, samesite="strict")


def _signed_in(request: Request, permission: str, lang: str) -> Staff | Response:
    """The signed-in staff member with ``permission``; otherwise the login redirect or a 403 page."""
    secret = request.cookies.get(COOKIE)
    keys = platform(request).keys
    try:
        key = keys.authenticate(secret)
    except Unauthorized:
        return _to_login(request, lang)
    assert secret is not None
    staff = Staff(key, csrf_token(secret, platform(request).settings.session_secret))
    try:
        keys.authorize(key, permission)
    except Forbidden:
        t = messages(lang)
        text = t["staff_forbidden"].format(role=key.role.value, permission=t[f"staff_perm_{permission}"])
        return _message(request, lang, staff, 403, t["staff_forbidden_title"], text)
    return staff


def _cross_site(request: Request) -> bool:
    """The browser says another site sent this request (Fetch Metadata; absent in old browsers)."""
    return request.headers.get("sec-fetch-site") == "cross-site"


def _csrf_ok(staff: Staff, form: FormData) -> bool:
    sent = form.get("csrf")
    return isinstance(sent, str) and hmac.compare_digest(sent, staff.csrf)


def _post_guard(request: Request, form: FormData | None, permission: str) -> tuple[str, Staff | Response]:
    """Language, then the staff member or the response that ends the request (login, 403, 400)."""
    lang = _lang(request, form)
    found = _signed_in(request, permission, lang)
    if isinstance(found, Response):
        return lang, found
    t = messages(lang)
    if form is None:
        return lang, _message(request, lang, found, 400, t["staff_bad_form_title"], t["staff_bad_form"])
    if _cross_site(request) or not _csrf_ok(found, form):
        return lang, _message(request, lang, found, 403, t["staff_csrf_title"], t["staff_csrf"])
    return lang, found


def _safe_next(request: Request, raw: str) -> str | None:
    root = _root(request)
    if raw.startswith(root + "/") and "//" not in raw and "\\" not in raw and "://" not in raw:
        return raw
    return None


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "") -> HTMLResponse:
    lang = _lang(request)
    return _render(request, "staff_login.html", lang, None, next=_safe_next(request, next) or "")


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await _read_form(request)
    return await run_in_threadpool(_login_submit, request, form)


def _login_submit(request: Request, form: FormData | None) -> Response:
    lang = _lang(request, form)
    t = messages(lang)
    if form is None:
        return _message(request, lang, None, 400, t["staff_bad_form_title"], t["staff_bad_form"])
    if _cross_site(request):  # nobody signs in from a form on another site
        return _message(request, lang, None, 403, t["staff_csrf_title"], t["staff_csrf"])
    secret = _text(form, "api_key")
    target = _safe_next(request, _text(form, "next"))
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
        errors = _errors(lang, [FieldProblem("api_key", problem[1])])
        return _render(request, "staff_login.html", lang, None, status_code=problem[0], errors=errors, next=target or "")
    response = RedirectResponse(target or f"{_root(request)}/?lang={lang}", status_code=303, headers=NO_STORE)
    response.set_cookie(
        COOKIE,
        secret,
        max_age=COOKIE_MAX_AGE,
        path=_root(request),
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await _read_form(request)
    lang, found = await run_in_threadpool(_post_guard, request, form, "read")
    if isinstance(found, Response) and found.status_code != 303:
        return found
    response = RedirectResponse(f"{_root(request)}/login?lang={lang}", status_code=303, headers=NO_STORE)
    _clear_cookie(request, response)
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
    lang = _lang(request)
    staff = _signed_in(request, "read", lang)
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
    return _render(
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
    return _render(
        request, "staff_screen.html", lang, staff, status_code=status_code, nav="screen", purposes=list(Purpose), kinds=_KINDS, **context
    )


@router.get("/screen", response_class=HTMLResponse)
def screen_page(request: Request) -> Response:
    lang = _lang(request)
    staff = _signed_in(request, "check", lang)
    if isinstance(staff, Response):
        return staff
    return _screen_form(request, lang, staff, values={"mode": "quick", "purpose": "contract"})


@router.post("/screen")
async def screen_submit(request: Request) -> Response:
    form = await _read_form(request)
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
    lang, staff = _post_guard(request, form, "check")
    if isinstance(staff, Response):
        return staff
    assert form is not None
    t = messages(lang)
    names = ("name", "kind", "birth_date", "country", "mode", "purpose", "key")
    values = {n: _text(form, n) for n in names}
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
        errors = _errors(lang, exc.problems or [FieldProblem("other", exc.message)])
        return _screen_form(request, lang, staff, status_code=422, values=values, errors=errors)
    except Unavailable:
        return _message(request, lang, staff, 503, t["staff_unavailable_title"], t["staff_unavailable"])
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
        return _message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_party_not_found"].format(key=key))
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
    return _render(
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
        here=f"{_root(request)}/parties/{quote(key, safe='')}",
    )


@router.get("/parties/{key:path}", response_class=HTMLResponse)
def party_page(request: Request, key: str) -> Response:
    lang = _lang(request)
    staff = _signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _party_page(request, lang, staff, key)


@router.post("/decisions")
async def decide(request: Request) -> Response:
    form = await _read_form(request)
    return await run_in_threadpool(_decide, request, form)


def _decide(request: Request, form: FormData | None) -> Response:
    lang, staff = _post_guard(request, form, "write")
    if isinstance(staff, Response):
        return staff
    assert form is not None
    t = messages(lang)
    key = _text(form, "party_key")
    raw_entry = _text(form, "entry_id")
    entry_id = int(raw_entry) if raw_entry.isdigit() and len(raw_entry) < 19 else None
    try:
        if entry_id is None:
            raise InvalidInput.for_field("entry_id", "must be a list entry id")
        platform(request).diligence.decide(key, entry_id, _text(form, "decision"), _text(form, "reason"), actor=f"key:{staff.key.name}")
    except InvalidInput as exc:
        errors = {entry_id or 0: _errors(lang, exc.problems)}
        return _party_page(request, lang, staff, key, status_code=422, errors=errors)
    except NotFound:
        return _message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_party_not_found"].format(key=key))
    url = f"{_root(request)}/parties/{quote(key, safe='')}?lang={lang}#hit-{entry_id}"
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


# -- alerts ------------------------------------------------------------------------------------


def _offset(request: Request) -> int | None:
    raw = request.query_params.get("offset", "0")
    return int(raw) if raw.isdigit() and len(raw) <= 7 else None


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> Response:
    lang = _lang(request)
    staff = _signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    offset = _offset(request)
    if offset is None:
        t = messages(lang)
        return _message(request, lang, staff, 422, t["staff_err_other"], t["staff_err_offset"])
    found = platform(request).diligence.alerts("open", ALERTS_PAGE + 1, offset)
    return _render(
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
    return _render(
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
        here=f"{_root(request)}/guard",
        **context,
    )


@router.get("/guard", response_class=HTMLResponse)
def guard_page(request: Request) -> Response:
    lang = _lang(request)
    staff = _signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _guard_page(request, lang, staff)


@router.get("/guard/customers", response_class=HTMLResponse)
def customer_lookup(request: Request) -> Response:
    lang = _lang(request)
    staff = _signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    customer = request.query_params.get("customer_id", "").strip()
    if not _CUSTOMER.fullmatch(customer):
        errors = _errors(lang, [FieldProblem("customer_id", "must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'")])
        return _guard_page(request, lang, staff, status_code=422, errors=errors, values={"customer_id": customer})
    return RedirectResponse(f"{_root(request)}/guard/customers/{customer}?lang={lang}", status_code=303, headers=NO_STORE)


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
    lang = _lang(request)
    staff = _signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    if not _CUSTOMER.fullmatch(customer_id):
        errors = _errors(lang, [FieldProblem("customer_id", "must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'")])
        return _guard_page(request, lang, staff, status_code=422, errors=errors, values={"customer_id": customer_id[:64]})
    g = platform(request).guard
    controls = g.controls.get(customer_id)
    return _render(
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
    lang = _lang(request)
    staff = _signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    t = messages(lang)
    try:
        decision = platform(request).guard.get_decision(decision_id[:40])
    except NotFound:
        return _message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_decision_not_found"])
    return _render(request, "staff_guard_decision.html", lang, staff, nav="guard", decision=decision)


@router.post("/guard/rules/{rule_id}")
async def rule_action(request: Request, rule_id: str) -> Response:
    form = await _read_form(request)
    return await run_in_threadpool(_rule_action, request, form, rule_id)


def _rule_action(request: Request, form: FormData | None, rule_id: str) -> Response:
    lang, staff = _post_guard(request, form, "admin")
    if isinstance(staff, Response):
        return staff
    assert form is not None
    t = messages(lang)
    rules = platform(request).guard.rules
    action = _text(form, "action")
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
        return _message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_rule_not_found"])
    except InvalidInput as exc:
        return _guard_page(request, lang, staff, status_code=422, errors=_errors(lang, exc.problems))
    return RedirectResponse(f"{_root(request)}/guard?lang={lang}#rule-{rule_id}", status_code=303, headers=NO_STORE)
