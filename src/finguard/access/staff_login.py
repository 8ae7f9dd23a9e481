"""Staff sign-in and sign-out: the session cookie is set here and cleared here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from finguard.access.pages import (
    COOKIE,
    COOKIE_MAX_AGE,
    clear_cookie,
    cross_site,
    field_errors,
    form_text,
    message,
    page_lang,
    post_guard,
    read_form,
    render,
    safe_next,
    staff_root,
)
from finguard.core.errors import FieldProblem, Unauthorized
from finguard.core.http_context import platform
from finguard.core.i18n import messages
from finguard.core.web import NO_STORE

router = APIRouter()


# Feature bars: one fixed scale for every hit, so bars compare across hits. Contributions run from
# the strongest qualifier penalty (kind mismatch, -0.2) to a full name match (+1.0).
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


