"""The batch due-diligence page (#13): upload a CSV or JSON Lines file of parties
(docs/screening-batch.md), watch the job's progress (the page reloads itself while it runs, no
script), download the report as CSV or XLSX. The job is the screening service's batch run
(``Platform.batch_dd``), in the background."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from finguard.access.pages import Staff, message, page_lang, post_guard, render, signed_in, staff_root
from finguard.core.errors import FinguardError, InvalidInput, NotFound
from finguard.core.http import read_upload
from finguard.core.http_context import platform
from finguard.core.i18n import section
from finguard.core.web import NO_STORE
from finguard.screening.model.diligence import Purpose
from finguard.screening.service.batch import BatchRefused

router = APIRouter()

MAX_UPLOAD = 64 * 1024 * 1024  # as the batch API
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


PURPOSES = [p.value for p in Purpose]


def _why(lang: str, exc: FinguardError) -> str:
    """Why an upload was refused, in the page's language (the English is the error's message)."""
    t = section(lang, "batch_")
    if lang != "zh":
        return exc.message
    if isinstance(exc, BatchRefused):
        return t["why_" + exc.reason] + (" " + exc.problems[0].problem if exc.reason == "header" else "")
    if exc.status == 413:
        return t["why_too_large"]
    return exc.message


def _page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, error: str = "") -> Response:
    jobs = platform(request).batch_dd.recent()
    return render(request, "staff_screen_batch.html", lang, staff, status_code=status_code, nav="screen", bt=section(lang, "batch_"),
                  jobs=jobs, purposes=PURPOSES, error=error)


@router.get("/screen/batch", response_class=HTMLResponse)
def batch_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "check", lang)
    if isinstance(staff, Response):
        return staff
    return _page(request, lang, staff)


@router.post("/screen/batch")
async def batch_submit(request: Request) -> Response:
    refused: InvalidInput | None = None
    fields: dict[str, str] = {}
    name, data = "", b""
    try:
        name, data, fields = await read_upload(request, MAX_UPLOAD, text_fields=("csrf", "lang", "purpose"))
    except InvalidInput as exc:
        refused = exc

    def run() -> Response:
        if refused is not None:  # nothing changes: the session is enough to show why
            lang = page_lang(request)
            staff = signed_in(request, "check", lang)
            if isinstance(staff, Response):
                return staff
            error = section(lang, "batch_")["error"] + " " + _why(lang, refused)
            return _page(request, lang, staff, status_code=refused.status, error=error)
        lang, found = post_guard(request, FormData(list(fields.items())), "check")
        if isinstance(found, Response):
            return found
        try:
            job = platform(request).batch_dd.submit(name, data, fields.get("purpose", "customer"), found.actor)
        except FinguardError as exc:
            code = exc.status if 400 <= exc.status < 500 else 422
            return _page(request, lang, found, status_code=code, error=section(lang, "batch_")["error"] + " " + _why(lang, exc))
        return RedirectResponse(f"{staff_root(request)}/screen/batch/{job['id']}?lang={lang}", status_code=303, headers=NO_STORE)

    return await run_in_threadpool(run)


def _job(request: Request, lang: str, staff: Staff, job_id: str) -> dict[str, Any] | Response:
    try:
        return dict(platform(request).batch_dd.status(job_id))
    except NotFound:
        t = section(lang, "batch_")
        return message(request, lang, staff, 404, t["title"], t["not_found"])


@router.get("/screen/batch/{job_id}", response_class=HTMLResponse)
def batch_job(request: Request, job_id: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "check", lang)
    if isinstance(staff, Response):
        return staff
    job = _job(request, lang, staff, job_id)
    if isinstance(job, Response):
        return job
    return render(request, "staff_screen_batch_job.html", lang, staff, nav="screen", bt=section(lang, "batch_"), job=job,
                  running=job["state"] in ("queued", "running"))


@router.get("/screen/batch/{job_id}/report.{fmt}")
def batch_report(request: Request, job_id: str, fmt: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "check", lang)
    if isinstance(staff, Response):
        return staff
    try:
        body = platform(request).batch_dd.report(job_id, fmt)
    except FinguardError as exc:
        return message(request, lang, staff, exc.status if exc.status < 500 else 404, section(lang, "batch_")["title"], exc.message)
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(body, media_type=media, headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="due-diligence-{job_id}.{fmt}"',
        "X-Content-Type-Options": "nosniff"})
