"""Staff pages for tax loans (#14): apply for a firm, and a decision with its reasons.

``/staff/credit`` lists recent applications and takes a new one (write permission);
``/staff/credit/{id}`` shows the decision: outcome, line, price band, score and grade, every
reason in the page's language (the other language beside it), the candidate limits and which one
bound, the stages with their times, and where the tax data came from. Both call the same
service functions as the API and the CLI.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from finguard.access.pages import (
    Staff,
    field_errors,
    form_text,
    message,
    page_lang,
    post_guard,
    render,
    signed_in,
    staff_post,
    staff_root,
)
from finguard.core.clock import utcnow
from finguard.core.errors import Conflict, FinguardError, InvalidInput, Unavailable
from finguard.core.http import read_pictures
from finguard.core.i18n import messages
from finguard.core.web import NO_STORE
from finguard.core.web.pictures import thumbnail
from finguard.credit.http import SIGNING_PICTURE_BYTES, credit_service
from finguard.credit.model.decision import Application
from finguard.credit.model.taxdata import normalise_uscc, yuan_to_fen
from finguard.credit.service import FaceEvidence, FaceRefused, stage_durations

router = APIRouter()
FIELDS = ("uscc", "amount", "term_months", "purpose", "own_funds", "other_wc_loans")


def _page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    recent = credit_service(request).list(limit=20)
    return render(request, "staff_credit.html", lang, staff, status_code=status_code, nav="credit", recent=recent, **context)


@router.get("/credit", response_class=HTMLResponse)
def credit_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _page(request, lang, staff, values={"term_months": "12"})


@router.post("/credit")
async def credit_apply(request: Request) -> Response:
    return await staff_post(request, "write", _apply)


def _application(values: dict[str, str]) -> Application:
    problems = []
    try:
        normalise_uscc(values["uscc"])
    except InvalidInput as exc:
        problems += exc.problems
    amounts: dict[str, int | None] = {}
    for name in ("amount", "own_funds", "other_wc_loans"):
        raw = values[name]
        try:
            amounts[name] = yuan_to_fen(raw, name, allow_zero=name != "amount") if raw else (0 if name == "other_wc_loans" else None)
        except InvalidInput as exc:
            problems += exc.problems
    term = int(values["term_months"]) if values["term_months"].isdigit() and len(values["term_months"]) < 4 else -1
    if amounts.get("amount") is None and not any(p.field == "amount" for p in problems):
        problems.append(InvalidInput.for_field("amount", "is required").problems[0])
    if problems:
        raise InvalidInput("the application is not valid", problems=problems)
    return Application(
        values["uscc"], amounts["amount"] or 0, term, values["purpose"], amounts["own_funds"], amounts["other_wc_loans"] or 0
    )


def _apply(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    values = {name: form_text(form, name)[:500] for name in FIELDS}
    try:
        result = credit_service(request).apply(_application(values), channel="staff", actor=staff.actor)
    except InvalidInput as exc:
        return _page(request, lang, staff, status_code=422, values=values, errors=field_errors(lang, exc.problems, "credit"))
    return RedirectResponse(f"{staff_root(request)}/credit/{result.application_id}?lang={lang}", status_code=303, headers=NO_STORE)


@router.get("/credit/{application_id}", response_class=HTMLResponse)
def decision_page(request: Request, application_id: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _decision(request, lang, staff, application_id)


def _decision(request: Request, lang: str, staff: Staff, application_id: str, *, status_code: int = 200, error: str = "",
              face: dict[str, Any] | None = None, errors: dict[str, tuple[str, str]] | None = None) -> Response:  # fmt: skip
    t = messages(lang)
    try:
        row = credit_service(request).get(int(application_id)) if application_id.isdigit() and len(application_id) < 19 else None
    except FinguardError:
        row = None
    if row is None:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["credit_not_found"].format(id=application_id[:20]))
    done = {s["stage"] for s in row["stages"]}
    nxt = None if row["outcome"] != "approve" else "signed" if "signed" not in done else "disbursed" if "disbursed" not in done else None
    return render(request, "staff_credit_decision.html", lang, staff, status_code=status_code, nav="credit", app=row,
                  durations=stage_durations(row["stages"]), next_stage=nxt, error=error, face=face, errors=errors or {},
                  mb=f"{SIGNING_PICTURE_BYTES / 1_000_000:g}")  # fmt: skip


@router.post("/credit/{application_id}/sign", response_class=HTMLResponse)
async def credit_sign(request: Request, application_id: str) -> Response:
    """Sign with the signatory's face check: the photo on file and a live capture, shown side by
    side with the verdict and its reason; the stage is recorded only on a match."""
    lang = page_lang(request)
    found = signed_in(request, "write", lang)
    if isinstance(found, Response):
        return found
    if not application_id.isdigit() or len(application_id) >= 19:
        return _decision(request, lang, found, application_id)
    try:
        pictures, fields = await read_pictures(request, SIGNING_PICTURE_BYTES, text_fields=("csrf", "lang"))
    except InvalidInput as exc:
        return _decision(request, lang, found, application_id, status_code=422, errors=field_errors(lang, exc.problems))
    lang, staff = post_guard(request, FormData(fields), "write")
    if isinstance(staff, Response):
        return staff
    svc = credit_service(request)
    evidence = FaceEvidence(pictures["photo"], pictures["capture"])
    try:
        row = await run_in_threadpool(lambda: svc.advance(int(application_id), "signed", actor=staff.actor, face=evidence, channel="page"))
        result = {**row["face_check"], "text": row.get("face_reason_text") or {}}
        status, error = 200, ""
    except FaceRefused as exc:
        r = exc.result
        result = {"outcome": r.outcome, "reason": r.reason, "score": r.score, "text": {"zh": r.reason_zh, "en": r.reason_en}}
        status, error = 409, ""
    except InvalidInput as exc:
        return _decision(request, lang, staff, application_id, status_code=422, errors=field_errors(lang, exc.problems))
    except (Conflict, Unavailable) as exc:
        return _decision(request, lang, staff, application_id, status_code=exc.status, error=exc.message)
    shown = await run_in_threadpool(lambda: {name: thumbnail(data) for name, data in pictures.items()})
    return _decision(request, lang, staff, application_id, status_code=status, error=error, face={**result, "shown": shown})


@router.post("/credit/{application_id}/stage")
async def credit_stage(request: Request, application_id: str) -> Response:
    return await staff_post(request, "write", _stage, application_id)


def _stage(request: Request, lang: str, staff: Staff, form: FormData, application_id: str) -> Response:
    if not application_id.isdigit() or len(application_id) >= 19:
        return _decision(request, lang, staff, application_id)
    try:
        credit_service(request).advance(int(application_id), form_text(form, "stage"), actor=staff.actor)
    except (InvalidInput, Conflict) as exc:
        return _decision(request, lang, staff, application_id, status_code=exc.status, error=exc.message)
    return RedirectResponse(f"{staff_root(request)}/credit/{application_id}?lang={lang}", status_code=303, headers=NO_STORE)


@router.get("/credit-report", response_class=HTMLResponse)
def report_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    from datetime import timedelta

    from finguard.credit.model.features import FEATURE_LABELS
    from finguard.credit.model.sla import TARGETS

    svc = credit_service(request)
    champion = svc.champion()
    days = 30
    since = utcnow() - timedelta(days=days)
    found = svc.timeliness(since=since)
    durations: dict[str, list[float]] = {t.stage: [] for t in TARGETS}
    for row in svc.store.stages_since(since):
        at = {s["stage"]: s["at"] for s in row["stages"]}
        for t in TARGETS:
            if t.stage in at and t.after in at:
                durations[t.stage].append((at[t.stage] - at[t.after]).total_seconds())
    stages = []
    for t in TARGETS:
        xs = sorted(durations[t.stage])
        median = xs[len(xs) // 2] if xs else None
        stages.append({"stage": t.stage, "target_s": t.within.total_seconds(), "median_s": median, "n": len(xs),
                       "breaches": sum(1 for b in found if b.stage == t.stage), "zh": t.zh, "en": t.en})  # fmt: skip
    features = []
    for fb in champion.features:
        top = max(fb.points) or 1.0
        features.append({"name": fb.name, "label": FEATURE_LABELS.get(fb.name, (fb.name, fb.name))[0 if lang == "zh" else 1],
                         "bins": [{"label": fb.label(i), "points": p, "bad_rate": fb.bad_rates[i] if fb.bad_rates else None,
                                   "width": max(2, int(200 * p / top))} for i, p in enumerate(fb.points)]})  # fmt: skip
    return render(request, "staff_credit_report.html", lang, staff, nav="credit", models=svc.store.models(), champion=champion,
                  features=features, stages=stages, breaches=found[:50], days=days)  # fmt: skip
