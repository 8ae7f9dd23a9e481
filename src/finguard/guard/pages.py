"""Staff pages of the transaction guard: recent decisions, a decision, a customer's controls, rule actions."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

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
from finguard.core.errors import FieldProblem, InvalidInput, NotFound
from finguard.core.http_context import platform
from finguard.core.i18n import messages
from finguard.core.web import NO_STORE
from finguard.guard.console_pages import LIMIT_CHANNELS, controls_form
from finguard.guard.model.controls import controls_to_dict
from finguard.guard.model.events import CHANNELS, parse_event, parse_time
from finguard.guard.model.rules import RuleMode, compile_rule
from finguard.guard.service.registry import ModelRegistry
from finguard.guard.service.replay import replay
from finguard.guard.service.rule_pack import STARTER_PACK

router = APIRouter()

GUARD_WINDOW = timedelta(hours=24)
GUARD_SCAN = 5000  # guard decisions of the window read for the dashboard and the recent list
GUARD_RECENT = 50
CUSTOMER_ID = _CUSTOMER = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")

# Feature bars: one fixed scale for every hit, so bars compare across hits. Contributions run from
# the strongest qualifier penalty (kind mismatch, -0.2) to a full name match (+1.0).
BAR_MIN, BAR_MAX = -0.25, 1.0


def recent_guard(request: Request) -> tuple[list[Any], bool]:
    """Guard decisions of the last day (oldest first) and whether the scan cap was reached."""
    g = platform(request).guard
    found = list(g.store.stored_decisions(g.clock() - GUARD_WINDOW, None, GUARD_SCAN))
    return found, len(found) >= GUARD_SCAN


# -- the transaction guard ---------------------------------------------------------------------


def _occurred(event: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(event.get("occurred_at")))
    except ValueError:
        return None


def _guard_page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> Response:
    g = platform(request).guard
    recent, capped = recent_guard(request)
    return render(
        request,
        "staff_guard.html",
        lang,
        staff,
        status_code=status_code,
        nav="guard",
        # Newest event first, each shown at the time it occurred (the order of the list).
        recent=[(r, _occurred(r.event)) for r in reversed(recent)][:GUARD_RECENT],
        capped=capped,
        rules=g.rules.rules(),
        rule_version=g.rules.current().version,
        here=f"{staff_root(request)}/guard",
        **context,
    )


@router.get("/guard", response_class=HTMLResponse)
def guard_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _guard_page(request, lang, staff)


@router.get("/guard/customers", response_class=HTMLResponse)
def customer_lookup(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    customer = request.query_params.get("customer_id", "").strip()
    if not _CUSTOMER.fullmatch(customer):
        errors = field_errors(lang, [FieldProblem("customer_id", "must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'")])
        return _guard_page(request, lang, staff, status_code=422, errors=errors, values={"customer_id": customer})
    return RedirectResponse(f"{staff_root(request)}/guard/customers/{customer}?lang={lang}", status_code=303, headers=NO_STORE)


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
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return customer_page_response(request, lang, staff, customer_id)


def customer_page_response(
    request: Request,
    lang: str,
    staff: Staff,
    customer_id: str,
    *,
    status_code: int = 200,
    form_values: dict[str, str] | None = None,
    errors: dict[str, tuple[str, str]] | None = None,
) -> Response:
    """The customer page; ``form_values`` / ``errors``: the controls form sent back with its problems."""
    if not _CUSTOMER.fullmatch(customer_id):
        problem = FieldProblem("customer_id", "must be 1 to 64 characters of letters, digits, '_', '.', ':' or '-'")
        return _guard_page(
            request, lang, staff, status_code=422, errors=field_errors(lang, [problem]), values={"customer_id": customer_id[:64]}
        )
    g = platform(request).guard
    controls = g.controls.get(customer_id)
    q = request.query_params
    return render(
        request,
        "staff_guard_customer.html",
        lang,
        staff,
        status_code=status_code,
        nav="guard",
        customer_id=customer_id,
        controls=controls,
        protections=_protections(controls_to_dict(controls)),
        advice=g.controls.checkup(customer_id),
        decisions=g.decisions_of(customer_id, limit=50),
        history=g.controls.history(customer_id, limit=20),
        values=form_values or controls_form(controls),
        errors=errors or {},
        limit_channels=LIMIT_CHANNELS,
        channels=CHANNELS,
        saved=status_code == 200 and q.get("saved") == "1",
        pending=q.get("pending", "")[:20] if status_code == 200 else "",
        here=f"{staff_root(request)}/guard/customers/{customer_id}",
    )


def _decision_page(request: Request, lang: str, staff: Staff, decision_id: str, *, status_code: int = 200, **context: Any) -> Response:
    t = messages(lang)
    g = platform(request).guard
    try:
        if g.reviews is None:
            raise NotFound("reviews are not wired")
        case = g.reviews.case(decision_id[:40])
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_decision_not_found"])
    # A model score stored without its contributions (allowed, below the explain floor: #19),
    # computed when the analyst asks (?contributions=1), by the model that decided
    if request.query_params.get("contributions") == "1":
        context["contributions"] = g.explain_stored(case.stored)
    return render(
        request,
        "staff_guard_decision.html",
        lang,
        staff,
        status_code=status_code,
        nav="guard",
        decision=case.stored.decision,
        event=case.stored.event,
        occurred=_occurred(case.stored.event),
        history=[(h, _occurred(h.event)) for h in case.history],
        reviews=case.reviews,
        **context,
    )


@router.get("/guard/decisions/{decision_id}", response_class=HTMLResponse)
def decision_page(request: Request, decision_id: str) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _decision_page(request, lang, staff, decision_id)


@router.post("/guard/decisions/{decision_id}/review")
async def review_action(request: Request, decision_id: str) -> Response:
    return await staff_post(request, "write", _review_action, decision_id)


def _review_action(request: Request, lang: str, staff: Staff, form: FormData, decision_id: str) -> Response:
    g = platform(request).guard
    t = messages(lang)
    try:
        if g.reviews is None:
            raise NotFound("reviews are not wired")
        g.reviews.review(decision_id[:40], form_text(form, "action"), form_text(form, "reason"), staff.actor)
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_decision_not_found"])
    except InvalidInput as exc:
        values = {"action": form_text(form, "action"), "reason": form_text(form, "reason")}
        return _decision_page(request, lang, staff, decision_id, status_code=422, errors=field_errors(lang, exc.problems), values=values)
    return RedirectResponse(
        f"{staff_root(request)}/guard/decisions/{decision_id[:40]}?lang={lang}#reviews", status_code=303, headers=NO_STORE
    )


@router.post("/guard/rules/{rule_id}")
async def rule_action(request: Request, rule_id: str) -> Response:
    return await staff_post(request, "admin", _rule_action, rule_id)


def _rule_action(request: Request, lang: str, staff: Staff, form: FormData, rule_id: str) -> Response:
    t = messages(lang)
    p = platform(request)
    action = form_text(form, "action")
    try:
        rule = p.guard.rules.get(rule_id)
        # Switching a rule off or to shadow waits for a supervisor (it can lower outcomes).
        if action in (RuleMode.ENFORCE.value, RuleMode.SHADOW.value):
            p.guard_authority.save_rule(replace(rule, mode=RuleMode(action)), staff.key)
        elif action in ("enable", "disable"):
            p.guard_authority.save_rule(replace(rule, enabled=action == "enable"), staff.key)
        else:
            raise InvalidInput.for_field("action", "must be enforce, shadow, enable or disable")
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_rule_not_found"])
    except InvalidInput as exc:
        return _guard_page(request, lang, staff, status_code=422, errors=field_errors(lang, exc.problems))
    return RedirectResponse(f"{staff_root(request)}/guard?lang={lang}#rule-{rule_id}", status_code=303, headers=NO_STORE)


# -- models ------------------------------------------------------------------------------------


def _registry(request: Request) -> ModelRegistry | None:
    root = platform(request).settings.guard_model_registry
    return ModelRegistry(root) if root else None


def _models_page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> Response:
    reg = _registry(request)
    return render(
        request,
        "staff_guard_models.html",
        lang,
        staff,
        status_code=status_code,
        nav="guard",
        versions=list(reversed(reg.versions())) if reg else [],
        roles=reg.roles() if reg else {},
        history=list(reversed(reg.history()))[:30] if reg else [],
        **context,
    )


@router.get("/guard/models", response_class=HTMLResponse)
def models_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    return _models_page(request, lang, staff)


@router.post("/guard/models/{version}")
async def model_action(request: Request, version: str) -> Response:
    return await staff_post(request, "admin", _model_action, version)


def _model_action(request: Request, lang: str, staff: Staff, form: FormData, version: str) -> Response:
    t = messages(lang)
    reg = _registry(request)
    action = form_text(form, "action")
    try:
        if reg is None:
            raise NotFound("no model registry")
        if action not in ("champion", "challenger"):
            raise InvalidInput.for_field("action", "must be champion or challenger")
        reg.set_role(action, version[:20], staff.actor, form_text(form, "reason")[:500])
    except NotFound:
        return message(request, lang, staff, 404, t["staff_not_found_title"], t["staff_models_none"])
    except InvalidInput as exc:
        return _models_page(request, lang, staff, status_code=422, errors=field_errors(lang, exc.problems))
    return RedirectResponse(f"{staff_root(request)}/guard/models?lang={lang}", status_code=303, headers=NO_STORE)


# -- replay ------------------------------------------------------------------------------------

REPLAY_LIMIT = 20_000


@router.get("/guard/replay", response_class=HTMLResponse)
def replay_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "read", lang)
    if isinstance(staff, Response):
        return staff
    q = request.query_params
    values = {k: q.get(k, "") for k in ("since", "until", "pack")}
    if not values["since"]:
        return render(request, "staff_guard_replay.html", lang, staff, nav="guard", values=values, report=None)
    g = platform(request).guard
    try:
        since = parse_time(values["since"], "since")
        until = parse_time(values["until"], "until") if values["until"] else None
        pack = values["pack"] or "current"
        if pack not in ("current", "starter"):
            raise InvalidInput.for_field("pack", "must be current or starter")
        rules = [compile_rule(r) for r in STARTER_PACK] if pack == "starter" else list(g.rules.current().rules)
        labels = {r.event_id: r.label for r in g.reviews.labels()} if g.reviews else {}
        events = [parse_event(sd.event, None) for sd in g.store.stored_decisions(since, until, REPLAY_LIMIT)]
        confirmed = g.merchant_risk.for_replay(since) if g.merchant_risk else None  # as stored: by their time
        report = replay(events, rules, g.config.thresholds, labels=labels, confirmations=confirmed).as_dict()
    except InvalidInput as exc:
        errors = field_errors(lang, exc.problems)
        return render(
            request, "staff_guard_replay.html", lang, staff, status_code=422, nav="guard", values=values, report=None, errors=errors
        )
    return render(
        request, "staff_guard_replay.html", lang, staff, nav="guard", values=values, report=report, capped=len(events) >= REPLAY_LIMIT
    )
