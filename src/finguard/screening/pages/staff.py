"""Staff pages of screening and due diligence: the screening form, a party's hits, analysts' decisions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from finguard.access.pages import (
    Staff,
    field_errors,
    form_text,
    message,
    page_lang,
    render,
    signed_in,
    staff_post,
    staff_root,
)
from finguard.core.errors import FieldProblem, InvalidInput, NotFound, Unavailable
from finguard.core.http_context import platform
from finguard.core.i18n import messages
from finguard.core.web import NO_STORE
from finguard.screening.model.diligence import Decision as HitDecision
from finguard.screening.model.diligence import Purpose, counterparty_from_record
from finguard.screening.pages import explain as _explain  # noqa: F401  (registers the explanation patterns)
from finguard.screening.service.diligence import Screening
from finguard.screening.service.matcher import ScreenHit, ScreenQuery

router = APIRouter()

ALERTS_SCAN = 1000  # open alerts counted on the dashboard and searched for a party's alerts
_BIRTH = re.compile(r"\d{4}(-\d{2}-\d{2})?")
_KINDS = ("", "person", "organisation")

# Feature bars: one fixed scale for every hit, so bars compare across hits. Contributions run from
# the strongest qualifier penalty (kind mismatch, -0.2) to a full name match (+1.0).
BAR_WIDTH = 200.0
BAR_MIN, BAR_MAX = -0.25, 1.0



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
    return await staff_post(request, "check", _screen_submit)


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


def _screen_submit(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
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
    return await staff_post(request, "write", _decide)


def _decide(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    t = messages(lang)
    key = form_text(form, "party_key")
    raw_entry = form_text(form, "entry_id")
    entry_id = int(raw_entry) if raw_entry.isdigit() and len(raw_entry) < 19 else None
    try:
        if entry_id is None:
            raise InvalidInput.for_field("entry_id", "must be a list entry id")
        platform(request).diligence.decide(
            key, entry_id, form_text(form, "decision"), form_text(form, "reason"), actor=staff.actor
        )
    except InvalidInput as exc:
        errors = {entry_id or 0: field_errors(lang, exc.problems)}
        return _party_page(request, lang, staff, key, status_code=422, errors=errors)
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_party_not_found"].format(key=key))
    url = f"{staff_root(request)}/parties/{quote(key, safe='')}?lang={lang}#hit-{entry_id}"
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


