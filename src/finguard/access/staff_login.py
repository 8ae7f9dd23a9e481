"""Staff sign-in and sign-out: the session cookie is set here and cleared here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from finguard.access.model import Principal
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
from finguard.access.service.keys import ApiKey
from finguard.core.errors import FieldProblem, Unauthorized, Unavailable
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
    target = safe_next(request, form_text(form, "next"))
    try:
        found = _who(request, form)
    except Unavailable:
        return message(request, lang, None, 503, t["staff_signin_unavailable_title"], t["staff_signin_unavailable"])
    if isinstance(found, tuple):
        status, problem = found
        errors = field_errors(lang, [problem])
        values = {"user": form_text(form, "user")[:100]}
        return render(request, "staff_login.html", lang, None, status_code=status, errors=errors, values=values, next=target or "")
    # The cookie carries a new random session token: never the password, never the API key.
    token = platform(request).accounts.start_session(found)
    response = RedirectResponse(target or f"{staff_root(request)}/?lang={lang}", status_code=303, headers=NO_STORE)
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE,
        path=staff_root(request),
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


def _who(request: Request, form: FormData) -> Principal | tuple[int, FieldProblem]:
    """A staff account's user name and password, or (for an integrator's key) an API key; else
    the status and the field at fault."""
    p = platform(request)
    user, password, secret = form_text(form, "user"), form.get("password"), form_text(form, "api_key")
    if user or (isinstance(password, str) and password):
        if not user:
            return 422, FieldProblem("user", "is required")
        if not isinstance(password, str) or not password:
            return 422, FieldProblem("password", "is required")
        try:
            who: Principal = p.accounts.verify_password(user, password)
        except Unauthorized:
            return 401, FieldProblem("password", "the user name or password is wrong, or the account is disabled")
        return who
    if not secret:
        return 422, FieldProblem("user", "is required")
    if len(secret) > 200:
        return 422, FieldProblem("api_key", "is longer than any API key")
    try:
        key: ApiKey = p.keys.authenticate(secret)
    except Unauthorized:
        return 401, FieldProblem("api_key", "is unknown or revoked")
    return key.principal


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    lang, found = await run_in_threadpool(post_guard, request, form, "read")
    if isinstance(found, Response) and found.status_code != 303:
        return found
    await run_in_threadpool(platform(request).accounts.end_session, request.cookies.get(COOKIE))
    response = RedirectResponse(f"{staff_root(request)}/login?lang={lang}", status_code=303, headers=NO_STORE)
    clear_cookie(request, response)
    return response


