"""The public payee check page: server-rendered, Simplified Chinese and English, no JavaScript.

The routes are glue: read the form, spend a rate-limit token, call the checker with the public
view, and map the :class:`~finguard.lists.model.check.PublicAnswer` (never the hits) to the template.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from finguard.alerts.http import case_service
from finguard.alerts.model.cases import COMPLAINT_CATEGORIES, format_confirmation
from finguard.alerts.texts import complaint_text
from finguard.core.errors import InvalidInput, RateLimited
from finguard.core.http_context import client, platform
from finguard.core.i18n import HTML_LANG, LANGUAGES, choose_language, messages
from finguard.core.web import NO_STORE, SECURITY_HEADERS, _css, templates
from finguard.lists.model.check import CheckRequest, PublicAnswer, public_view

router = APIRouter()

# The fields the page offers, in display order, and the ones that identify a payee on their own.
FORM_FIELDS = ("account", "card", "phone", "name")
IDENTIFIER_FIELDS = ("account", "card", "phone")
# Keep form parsing small: the page posts five short text fields and never a file.
MAX_FORM_FIELDS = 20
MAX_FORM_PART = 16 * 1024

def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _render(
    request: Request,
    lang: str,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    answer: PublicAnswer | None = None,
    rate_limited: bool = False,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    t = messages(lang)
    other = next(code for code in LANGUAGES if code != lang)
    verdict: dict[str, Any] | None = None
    if answer is not None:
        outcome = answer.outcome.value
        verdict = {
            "outcome": outcome,
            "title": t[f"verdict_{outcome}"],
            "advice": answer.advice_zh if lang == "zh" else answer.advice_en,
            "check_id": answer.check_id,
        }
    context = {
        "t": t,
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "other_lang": other,
        "other_label": t["switch_label"],
        "css_version": _css()[1],
        "fields": FORM_FIELDS,
        "values": values or {},
        "errors": errors or {},
        "verdict": verdict,
        "rate_limited": rate_limited,
        "list_dates": _list_dates(request),
    }
    all_headers = {**SECURITY_HEADERS, "Content-Language": HTML_LANG[lang], "Vary": "Accept-Language"}
    all_headers.update(headers or {})
    response: HTMLResponse = templates.TemplateResponse(request, "check.html", context, status_code=status_code, headers=all_headers)
    return response


def _list_dates(request: Request) -> list[dict[str, Any]]:
    """Each list's "as of" and stale flag, from the app's provider (``app.state.list_dates``): the
    page says how old the lists are instead of claiming they are current."""
    provider = getattr(request.app.state, "list_dates", None)
    return provider() if callable(provider) else []


def _field_errors(lang: str, fields: list[str]) -> dict[str, str]:
    """Map problem fields to this language's messages; anything unknown gets the generic one."""
    t = messages(lang)
    out: dict[str, str] = {}
    for name in fields:
        key = f"error_{name}"
        out[name if key in t else "other"] = t.get(key, t["error_other"])
    return out


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def check_page(request: Request, lang: str | None = None) -> HTMLResponse:
    return _render(request, choose_language(lang, request.headers.get("accept-language")))


@router.post("/check", include_in_schema=False, response_class=HTMLResponse)
async def check_submit(request: Request) -> HTMLResponse:
    accept = request.headers.get("accept-language")
    try:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_PART)
    except HTTPException:
        lang = choose_language(request.query_params.get("lang"), accept)
        return _render(request, lang, status_code=400, errors=_field_errors(lang, ["other"]), headers=NO_STORE)
    lang = choose_language(_text(form.get("lang")) or request.query_params.get("lang"), accept)
    values = {name: _text(form.get(name)) for name in FORM_FIELDS}

    who = client(request)
    edge = request.app.state.public_edge
    try:
        await run_in_threadpool(edge.admit, who.id, who.subnet)
    except RateLimited:
        return _render(request, lang, status_code=429, values=values, rate_limited=True, headers={**NO_STORE, "Retry-After": "60"})

    if not any(values[name].strip() for name in IDENTIFIER_FIELDS):
        return _render(request, lang, status_code=422, values=values, errors=_field_errors(lang, ["payee"]), headers=NO_STORE)
    given = {name: value or None for name, value in values.items()}
    check_request = CheckRequest(account=given["account"], card=given["card"], phone=given["phone"], name=given["name"])
    try:
        result = await run_in_threadpool(platform(request).checker.check, check_request, view="public", client=who.id)
    except InvalidInput as exc:
        problem_fields = [p.field for p in exc.problems] or ["other"]
        return _render(request, lang, status_code=422, values=values, errors=_field_errors(lang, problem_fields), headers=NO_STORE)
    await run_in_threadpool(edge.observe, who.id, who.subnet, {name: given[name] for name in IDENTIFIER_FIELDS})
    return _render(request, lang, values=values, answer=public_view(result), headers=NO_STORE)



# -- the public complaint form (#13) -------------------------------------------------------------

COMPLAINT_FIELDS = ("category", "customer", "contact", "text")


def _complaint_page(request: Request, lang: str, *, status_code: int = 200, values: dict[str, str] | None = None,
                    errors: dict[str, str] | None = None, number: str = "", reply_by: str = "",
                    rate_limited: bool = False, headers: dict[str, str] | None = None) -> HTMLResponse:
    t = messages(lang)
    context = {
        "t": t, "lang": lang, "html_lang": HTML_LANG[lang], "other_lang": next(c for c in LANGUAGES if c != lang),
        "other_label": t["switch_label"], "css_version": _css()[1], "categories": COMPLAINT_CATEGORIES,
        "values": values or {}, "errors": errors or {}, "number": number, "reply_by": reply_by,
        "rate_limited": rate_limited,
    }
    all_headers = {**SECURITY_HEADERS, **NO_STORE, "Content-Language": HTML_LANG[lang], **(headers or {})}
    response: HTMLResponse = templates.TemplateResponse(request, "complaint.html", context, status_code=status_code,
                                                        headers=all_headers)
    return response


@router.get("/complaint", include_in_schema=False, response_class=HTMLResponse)
def complaint_page(request: Request, lang: str | None = None) -> HTMLResponse:
    return _complaint_page(request, choose_language(lang, request.headers.get("accept-language")))


@router.post("/complaint", include_in_schema=False, response_class=HTMLResponse)
async def complaint_submit(request: Request) -> HTMLResponse:
    """A customer's complaint: filed as a case in the complaints queue; the page shows the
    confirmation number to quote on the phone. Rate-limited like the check."""
    accept = request.headers.get("accept-language")
    try:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_PART)
    except HTTPException:
        lang = choose_language(request.query_params.get("lang"), accept)
        return _complaint_page(request, lang, status_code=400, errors={"other": complaint_text(lang)["err_other"]})
    lang = choose_language(_text(form.get("lang")) or request.query_params.get("lang"), accept)
    values = {name: _text(form.get(name)) for name in COMPLAINT_FIELDS}
    who = client(request)
    try:
        # Complaints share the public check's limit (and its enumeration watch) per client.
        await run_in_threadpool(request.app.state.public_edge.admit, who.id, who.subnet)
    except RateLimited:
        return _complaint_page(request, lang, status_code=429, values=values, rate_limited=True, headers={"Retry-After": "60"})
    try:
        case = await run_in_threadpool(
            case_service(request).file_complaint, category=values["category"], customer=values["customer"],
            text=values["text"], contact=values["contact"], channel="public", filed_by="public")
    except InvalidInput as exc:
        ct = complaint_text(lang)
        errors = {p.field: ct.get(f"err_{p.field}", ct["err_other"]) for p in exc.problems}
        return _complaint_page(request, lang, status_code=422, values=values, errors=errors)
    assert case.reference is not None
    return _complaint_page(request, lang, number=format_confirmation(case.reference), reply_by=case.due_at.date().isoformat())
