"""The staff robots page (#13): every robot with its schedule, next and last run and a "run now"
button (write permission, CSRF like every staff form); the run history; each list's "as of" and
staleness; the stored settlement reports to download; the latest hits on the bank's accounts and
cards. The page calls the same ``RobotService`` as the API and the CLI."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from finguard.access.pages import message, page_lang, post_guard, read_form, render, signed_in, staff_root
from finguard.core.errors import Conflict, FinguardError, NotFound
from finguard.core.http_context import platform
from finguard.core.i18n import register_pattern
from finguard.core.web import NO_STORE
from finguard.robots.model import Outcome
from finguard.robots.service.robots import RobotService
from finguard.robots.texts import SHOWN_COUNTS, robots_text

router = APIRouter()

# A run's message (a service's English sentence) in the page's language.
register_pattern(r"list: no source is configured for '(?P<code>[^']*)' \(setting list_sources\)", "robots_err_no_source")


def _service(request: Request) -> RobotService:
    return platform(request).robots  # type: ignore[no-any-return]


@router.get("/robots", response_class=HTMLResponse)
def robots_page(request: Request, started: int = 0) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    s = _service(request)
    rt = robots_text(lang)
    jobs = [(spec, job, s.runner.store.run(job.last_run_id) if job.last_run_id else None) for spec, job in s.runner.jobs()]
    runs = s.runner.runs(None, 20)
    running = any(r.outcome is Outcome.RUNNING for r in runs)
    return render(request, "staff_robots.html", lang, staff, nav="robots", rt=rt, jobs=jobs, runs=runs, now=s.clock(),
                  running=running, started=started, lists=s.freshness(), reports=s.reports(30),
                  filings=s.reports(30, "accounts"), hits=s.hits(20),
                  shown=SHOWN_COUNTS)


@router.post("/robots/{name}/run")
async def run_robot(request: Request, name: str) -> Response:
    form = await read_form(request)
    lang, staff = post_guard(request, form, "write")
    if isinstance(staff, Response):
        return staff
    rt = robots_text(lang)
    try:
        run = await run_in_threadpool(_service(request).runner.start, name, actor=staff.actor)
    except NotFound:
        return message(request, lang, staff, 404, rt["err_title"], rt["err_not_found"])
    except Conflict:
        return message(request, lang, staff, 409, rt["err_title"], rt["err_running"])
    return RedirectResponse(f"{staff_root(request)}/robots?lang={lang}&started={run.id}", status_code=303, headers=NO_STORE)


@router.get("/robots/reports/{report_id}.{fmt}")
def download_report(request: Request, report_id: int, fmt: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    rt = robots_text(lang)
    try:
        name, body, media = _service(request).report_file(report_id, fmt)
    except FinguardError as exc:
        return message(request, lang, staff, exc.status if exc.status in (404, 422) else 422, rt["err_title"], exc.message)
    return Response(body, media_type=media, headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'})
