"""The staff pages' session, CSRF tokens and page rendering, shared by every staff page module.

The session cookie (HttpOnly, SameSite=Strict, scoped to ``/staff``) holds a random session token,
never a password or an API key; the server keeps only the token's hash with an expiry and a
revocation (``AccountService``), so signing out, disabling the account or revoking the key it was
opened with ends it at once. Every page a signed-in person opens is written to the audit log.
Every POST form also carries a CSRF token: an HMAC of the session token's hash under a secret made
when the process starts (a restart makes open forms stale: reload and submit again).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from finguard.access.http import audit_call
from finguard.access.model import Principal
from finguard.access.service.keys import PERMISSIONS, check_permission, hash_key
from finguard.core.errors import FieldProblem, Forbidden, Unauthorized, Unavailable
from finguard.core.http_context import platform
from finguard.core.i18n import HTML_LANG, LANGUAGES, choose_language, explained, messages, summary_text
from finguard.core.web import NO_STORE, SECURITY_HEADERS, _css, templates

COOKIE = "fg_staff"
COOKIE_MAX_AGE = 12 * 3600
_SECRET = secrets.token_bytes(32)
MAX_FORM_FIELDS = 30
MAX_FORM_PART = 16 * 1024


@dataclass(frozen=True, slots=True)
class Staff:
    key: Principal  # who is signed in (a staff account, or an API key used to sign in)
    csrf: str

    def can(self, permission: str) -> bool:
        return self.key.role in PERMISSIONS[permission]

    @property
    def actor(self) -> str:
        return self.key.actor


def csrf_token(secret: str, server_secret: str | None = None) -> str:
    """HMAC of the session token's hash. ``server_secret`` (FINGUARD_SESSION_SECRET) lets every worker
    process accept the others' forms; without it each process has its own random secret."""
    key = hashlib.sha256(server_secret.encode()).digest() if server_secret else _SECRET
    return hmac.new(key, hash_key(secret).encode(), hashlib.sha256).hexdigest()


# -- rendering ---------------------------------------------------------------------------------


def tone(value: str) -> str:
    """The colour family of an outcome (guard or screening), as a CSS modifier."""
    return {
        "allow": "pass",
        "review": "na",
        "hold": "warn",
        "block": "block",
        "match": "block",
        "close_match": "warn",
        "no_match": "pass",
    }.get(value, "na")


def staff_root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/") + "/staff"


def when(value: datetime | str | None) -> str:
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


def show(value: object, limit: int = 160) -> str:
    """A reason value or control setting as short text."""
    if isinstance(value, Mapping):
        text = ", ".join(f"{k}={show(v, limit)}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        text = ", ".join(show(v, limit) for v in value) or "—"
    elif value is None:
        text = "—"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(
    request: Request,
    template: str,
    lang: str,
    staff: Staff | None,
    *,
    status_code: int = 200,
    here: str | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A staff page. ``headers`` may replace the default ones (a page with script sets its own CSP)."""
    t = messages(lang)
    other = next(code for code in LANGUAGES if code != lang)
    base = staff_root(request)
    full = {
        "t": t,
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "other_lang": other,
        "css_href": f"{request.scope.get('root_path', '').rstrip('/')}/static/site.css?v={_css()[1]}",
        "base": base,
        "here": here or request.url.path,
        "staff": staff,
        "when": when,
        "show": show,
        "tone": tone,
        "summary": lambda kind, text, details: summary_text(lang, kind, text, details),
        "explain": lambda text: explained(lang, text),
        "errors": {},
        "values": {},
        **context,
    }
    all_headers = {**SECURITY_HEADERS, **NO_STORE, "Content-Language": HTML_LANG[lang], **(headers or {})}
    response: HTMLResponse = templates.TemplateResponse(request, template, full, status_code=status_code, headers=all_headers)
    return response


def message(request: Request, lang: str, staff: Staff | None, status_code: int, title: str, text: str) -> HTMLResponse:
    return render(request, "staff_message.html", lang, staff, status_code=status_code, title=title, text=text)


def field_errors(lang: str, problems: list[FieldProblem], scope: str = "") -> dict[str, tuple[str, str]]:
    """Field -> (this language's message, the service's own words). ``scope`` picks a page's own
    message first (``staff_err_credit_amount``) where a field name means something else elsewhere.
    The service's words are English: another language gets them through the registered patterns
    (``explained``), or not at all (the page's own message says what is wrong)."""
    t = messages(lang)
    out: dict[str, tuple[str, str]] = {}
    for p in problems:
        field = p.field.split("[")[0].split(".")[0]
        text = t.get(f"staff_err_{scope}_{field}") if scope else None
        detail = p.problem if lang == "en" else explained(lang, p.problem)
        detail = detail if lang == "en" or detail != p.problem else ""
        out.setdefault(field, (text or t.get(f"staff_err_{field}", t["staff_err_other"]), detail))
    return out


def page_lang(request: Request, form: FormData | None = None) -> str:
    explicit = form.get("lang") if form is not None else None
    return choose_language(
        explicit if isinstance(explicit, str) else request.query_params.get("lang"), request.headers.get("accept-language")
    )


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def read_form(request: Request) -> FormData | None:
    try:
        return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_PART)
    except HTTPException:
        return None


# -- the session -------------------------------------------------------------------------------


def _to_login(request: Request, lang: str) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method == "GET" and cross_site(request) and COOKIE not in request.cookies:
        # A link followed from another site (a chat, a mail) arrives without the SameSite=Strict
        # cookie; one same-site hop (a meta refresh, no script) brings it, if there is one.
        return render(request, "staff_continue.html", lang, None, target=target)
    url = f"{staff_root(request)}/login?lang={lang}"
    if request.method == "GET":
        url += "&next=" + quote(target, safe="")
    response = RedirectResponse(url, status_code=303, headers=NO_STORE)
    if request.cookies.get(COOKIE):
        clear_cookie(request, response)
    return response


def clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path=staff_root(request), secure=request.url.scheme == "https", httponly=True, samesite="strict")


def signed_in(request: Request, permission: str, lang: str) -> Staff | Response:
    """The signed-in staff member with ``permission``; otherwise the login redirect or a 403 page."""
    secret = request.cookies.get(COOKIE)
    p = platform(request)
    try:
        who = p.accounts.resolve(secret)
    except Unauthorized:
        return _to_login(request, lang)
    except Unavailable:
        t = messages(lang)
        return message(request, lang, None, 503, t["staff_signin_unavailable_title"], t["staff_signin_unavailable"])
    assert secret is not None
    audit_call(request, who.actor, "page")
    staff = Staff(who, csrf_token(secret, p.settings.session_secret))
    try:
        check_permission(who.role, permission)
    except Forbidden:
        t = messages(lang)
        text = t["staff_forbidden"].format(role=who.role.value, permission=t[f"staff_perm_{permission}"])
        return message(request, lang, staff, 403, t["staff_forbidden_title"], text)
    return staff


def cross_site(request: Request) -> bool:
    """The browser says another site sent this request (Fetch Metadata; absent in old browsers)."""
    return request.headers.get("sec-fetch-site") == "cross-site"


def _csrf_ok(staff: Staff, form: FormData) -> bool:
    sent = form.get("csrf")
    return isinstance(sent, str) and hmac.compare_digest(sent, staff.csrf)


def post_guard(request: Request, form: FormData | None, permission: str) -> tuple[str, Staff | Response]:
    """Language, then the staff member or the response that ends the request (login, 403, 400)."""
    lang = page_lang(request, form)
    found = signed_in(request, permission, lang)
    if isinstance(found, Response):
        return lang, found
    t = messages(lang)
    if form is None:
        return lang, message(request, lang, found, 400, t["staff_bad_form_title"], t["staff_bad_form"])
    if cross_site(request) or not _csrf_ok(found, form):
        return lang, message(request, lang, found, 403, t["staff_csrf_title"], t["staff_csrf"])
    return lang, found


async def staff_post(request: Request, permission: str, work: Callable[..., Response], *args: Any) -> Response:
    """A staff form's POST: read the form, then, off the event loop, check the session, the
    permission and the form token (:func:`post_guard`) and call ``work(request, lang, staff,
    form, *args)`` only when all hold."""
    form = await read_form(request)

    def run() -> Response:
        lang, staff = post_guard(request, form, permission)
        if isinstance(staff, Response):
            return staff
        assert form is not None  # post_guard answered 400 otherwise
        return work(request, lang, staff, form, *args)

    return await run_in_threadpool(run)


def safe_next(request: Request, raw: str) -> str | None:
    root = staff_root(request)
    if raw.startswith(root + "/") and "//" not in raw and "\\" not in raw and "://" not in raw:
        return raw
    return None
