"""Staff page for identity verification (#17): a number check and a 1:1 face comparison.

The two pictures are shown side by side in the answer as ``data:`` thumbnails made in memory;
nothing is written to disk or to the log.  Both forms call the same service functions as
``POST /api/v1/identity/id-number`` and ``/face``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from finguard.access.pages import Staff, field_errors, form_text, page_lang, post_guard, render, signed_in, staff_post
from finguard.core.errors import InvalidInput
from finguard.core.http import read_pictures
from finguard.core.http_context import platform
from finguard.core.web.pictures import thumbnail
from finguard.identity.http import adapt_face, adapt_number
from finguard.identity.model.documents import DocumentKind
from finguard.identity.provider import IdentitySettings, identity_for

router = APIRouter()
RECENT = 15


def _page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    recent = identity_for(platform(request)).log.recent(RECENT)
    mb = IdentitySettings().max_image_bytes / 1_000_000
    return render(
        request,
        "staff_identity.html",
        lang,
        staff,
        status_code=status_code,
        nav="identity",
        kinds=list(DocumentKind),
        recent=recent,
        mb=f"{mb:g}",
        **context,
    )


@router.get("/identity", response_class=HTMLResponse)
def identity_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "check", lang)
    if isinstance(staff, Response):
        return staff
    return _page(request, lang, staff)


@router.post("/identity/number", response_class=HTMLResponse)
async def number_check(request: Request) -> Response:
    return await staff_post(request, "check", _number_check)


def _number_check(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    values = {"number": form_text(form, "number")[:64], "kind": form_text(form, "kind")}
    try:
        if not values["number"]:
            raise InvalidInput.for_field("number", "is empty")
        try:
            kind = DocumentKind(values["kind"] or DocumentKind.RESIDENT_ID.value)
        except ValueError:
            raise InvalidInput.for_field("kind", "is not a document kind") from None
        result = identity_for(platform(request)).check_number(kind, values["number"], actor=staff.actor, channel="page")
    except InvalidInput as exc:
        return _page(request, lang, staff, status_code=422, errors=field_errors(lang, exc.problems, "identity"), values=values)
    return _page(request, lang, staff, number=adapt_number(result), values=values)


@router.post("/identity/face", response_class=HTMLResponse)
async def face_check(request: Request) -> Response:
    lang = page_lang(request)
    found = signed_in(request, "check", lang)
    if isinstance(found, Response):
        return found
    try:
        pictures, fields = await read_pictures(request, IdentitySettings().max_image_bytes, text_fields=("csrf", "lang"))
    except InvalidInput as exc:
        return _page(request, lang, found, status_code=422, errors=field_errors(lang, exc.problems, "identity"))
    lang, staff = post_guard(request, FormData(fields), "check")
    if isinstance(staff, Response):
        return staff
    checks = identity_for(platform(request))
    try:
        result = await run_in_threadpool(checks.verify_face, pictures["photo"], pictures["capture"], actor=staff.actor, channel="page")
    except InvalidInput as exc:
        return _page(request, lang, staff, status_code=422, errors=field_errors(lang, exc.problems, "identity"))
    face = adapt_face(result)
    shown = {name: thumbnail(data) for name, data in pictures.items()}
    return _page(request, lang, staff, face=face, shown=shown)
