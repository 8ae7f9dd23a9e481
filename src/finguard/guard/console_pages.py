"""Staff pages of the guard that act (#13): a customer's controls edited by staff, and rule authoring
with a test run over recent stored events before the rule is enabled.

Both go through :class:`~finguard.guard.service.authority.GuardAuthority`, as the API does: the
controls service applies the customer-protection delay to a loosening (the rule lives in
``guard.model.controls``, not here), a loosening confirmed at a branch waits for a second person,
and a rule that can lower outcomes waits for a supervisor. A rule's test run is the replay
(``guard.service.replay``) of the stored events of the last days, with the draft rule in shadow
beside the rules in force: nothing is written, no alert is raised.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from finguard.access.model import PendingChange
from finguard.access.pages import Staff, form_text, message, page_lang, render, signed_in, staff_post, staff_root
from finguard.core.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from finguard.core.http_context import platform
from finguard.core.i18n import messages
from finguard.core.web import NO_STORE
from finguard.guard.model.controls import CustomerControls, settings_from_dict
from finguard.guard.model.decision import Outcome
from finguard.guard.model.events import CHANNELS, REGION, EventType, parse_amount
from finguard.guard.model.rules import Rule, RuleMode, compile_rule
from finguard.guard.service.rule_trial import trial_rule

router = APIRouter()

LIMIT_CHANNELS = ("mobile", "web", "wechat", "atm", "pos", "counter")
RULE_OUTCOMES = ("", "review", "hold", "block")
MAX_DAYS = 90
TEST_LIMIT = 20_000  # stored events a test run reads at most
EXAMPLES = 20


def _errors(lang: str, prefix: str, problems: list[FieldProblem], to_input: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """Input name -> (this page's message, the service's own words), every bad field named. A
    problem's field maps to the message of its group (``night_lock.start`` -> ``gc_err_night_lock``)."""
    t = messages(lang)
    out: dict[str, tuple[str, str]] = {}
    for p in problems:
        group = p.field.split("[")[0].split(".")[0]
        name = (to_input or {}).get(p.field, p.field)
        key = f"{prefix}_err_{group}"
        out.setdefault(name, (t.get(key, t[f"{prefix}_err_other"]), f"{p.field}: {p.problem}"))
    return out


# -- a customer's controls ----------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value)


def controls_form(controls: CustomerControls) -> dict[str, str]:
    """The form's values from the settings in force (a pending loosening is shown beside them)."""
    n, r, lim, c = controls.night_lock.current, controls.region_lock.current, controls.limits.current, controls.cooling_off.current
    values = {
        "nl_enabled": "1" if n.enabled else "", "nl_start": n.start.strftime("%H:%M"), "nl_end": n.end.strftime("%H:%M"),
        "nl_mode": n.mode.value, "nl_cap": _text(n.cap), "nl_timezone": n.timezone,
        "rl_enabled": "1" if r.enabled else "", "rl_allowed": ", ".join(r.allowed), "rl_unknown": r.unknown.value,
        "co_enabled": "1" if c.enabled else "", "co_hours": str(c.hours), "co_cap": _text(c.cap),
        "channel": "counter", "at_branch": "", "reason": "",
    }
    for ch in LIMIT_CHANNELS:
        found = lim.for_channel(ch)
        values[f"lim_{ch}_single"] = _text(found.single) if found else ""
        values[f"lim_{ch}_daily"] = _text(found.daily) if found else ""
    return values


def _amount(values: dict[str, str], name: str, field: str, problems: list[FieldProblem], *, empty: str | None = "0") -> str | None:
    raw = values[name].replace(",", "").strip()
    if not raw:
        return empty
    try:
        return str(parse_amount(raw, field))
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return empty


def parse_controls_form(values: dict[str, str]) -> tuple[dict[str, Any], list[FieldProblem], dict[str, str]]:
    """The settings' JSON form from the page's inputs, every bad field at once, and the problem
    field -> input name map. The settings themselves are then parsed by the guard's own
    ``settings_from_dict``, so the page and the API accept exactly the same."""
    problems: list[FieldProblem] = []
    to_input = {
        "night_lock.start": "nl_start", "night_lock.end": "nl_end", "night_lock.mode": "nl_mode", "night_lock.cap": "nl_cap",
        "night_lock.timezone": "nl_start", "region_lock.unknown": "rl_unknown", "cooling_off.hours": "co_hours",
        "cooling_off.cap": "co_cap", "channel": "channel", "reason": "reason", "limits.channels": "lim_mobile_single",
    }
    for name, field in (("nl_start", "night_lock.start"), ("nl_end", "night_lock.end")):
        raw = values[name]
        if not (len(raw) == 5 and raw[2] == ":" and raw[:2].isdigit() and raw[3:].isdigit() and int(raw[:2]) < 24 and int(raw[3:]) < 60):
            problems.append(FieldProblem(field, "must be a time of day HH:MM"))
    if values["nl_mode"] not in ("block", "cap"):
        problems.append(FieldProblem("night_lock.mode", "must be 'block' or 'cap'"))
    night = {"enabled": bool(values["nl_enabled"]), "start": values["nl_start"], "end": values["nl_end"],
             "timezone": values["nl_timezone"] or "Asia/Shanghai", "mode": values["nl_mode"],
             "cap": _amount(values, "nl_cap", "night_lock.cap", problems)}
    allowed = [a.strip().upper() for a in values["rl_allowed"].replace("，", ",").replace(" ", ",").split(",") if a.strip()]
    for i, a in enumerate(allowed):
        if not REGION.fullmatch(a):
            problems.append(FieldProblem(f"region_lock.allowed[{i}]", f"{a[:12]!r}: use ISO 3166-1 alpha-2 (HK) or ISO 3166-2:CN (CN-GD)"))
            to_input[f"region_lock.allowed[{i}]"] = "rl_allowed"
    if values["rl_unknown"] not in ("allow", "review", "hold", "block"):
        problems.append(FieldProblem("region_lock.unknown", "must be allow, review, hold or block"))
    region = {"enabled": bool(values["rl_enabled"]), "allowed": allowed or ["CN"], "unknown": values["rl_unknown"]}
    channels = []
    for ch in LIMIT_CHANNELS:
        single = _amount(values, f"lim_{ch}_single", f"limits.channels.{ch}.single", problems, empty=None)
        daily = _amount(values, f"lim_{ch}_daily", f"limits.channels.{ch}.daily", problems, empty=None)
        to_input[f"limits.channels.{ch}.single"] = f"lim_{ch}_single"
        to_input[f"limits.channels.{ch}.daily"] = f"lim_{ch}_daily"
        if single is not None or daily is not None:
            channels.append({"channel": ch, "single": single, "daily": daily})
    hours_raw = values["co_hours"].strip()
    hours = int(hours_raw) if hours_raw.isdigit() and len(hours_raw) < 6 else -1
    if not 1 <= hours <= 720:
        problems.append(FieldProblem("cooling_off.hours", "must be a whole number of hours from 1 to 720"))
    cooling = {"enabled": bool(values["co_enabled"]), "hours": hours, "cap": _amount(values, "co_cap", "cooling_off.cap", problems)}
    if values["channel"] not in CHANNELS:
        problems.append(FieldProblem("channel", f"must be one of {', '.join(CHANNELS)}"))
    if values["at_branch"] and not values["reason"].strip():
        problems.append(FieldProblem("reason", "a confirmation at a branch says what was checked there"))
    if len(values["reason"]) > 2000:
        problems.append(FieldProblem("reason", "at most 2000 characters"))
    return {"night_lock": night, "region_lock": region, "limits": {"channels": channels}, "cooling_off": cooling}, problems, to_input


CONTROL_INPUTS = (
    "nl_enabled", "nl_start", "nl_end", "nl_mode", "nl_cap", "nl_timezone", "rl_enabled", "rl_allowed", "rl_unknown",
    "co_enabled", "co_hours", "co_cap", "channel", "at_branch", "reason",
    *(f"lim_{ch}_{k}" for ch in LIMIT_CHANNELS for k in ("single", "daily")),
)


@router.post("/guard/customers/{customer_id}/controls")
async def controls_action(request: Request, customer_id: str) -> Response:
    return await staff_post(request, "write", _controls_action, customer_id)


def _controls_action(request: Request, lang: str, staff: Staff, form: FormData, customer_id: str) -> Response:
    # The customer page (its id check, its context) is the guard pages' own; imported here to
    # render it again with this form's errors.
    from finguard.guard.pages import CUSTOMER_ID, customer_page_response

    if not CUSTOMER_ID.fullmatch(customer_id):
        return customer_page_response(request, lang, staff, customer_id)  # the id's own 422
    values = {name: form_text(form, name) for name in CONTROL_INPUTS}
    values["reason"] = values["reason"][:2100]
    data, problems, to_input = parse_controls_form(values)
    if not problems:
        try:
            requested = settings_from_dict(data)
        except InvalidInput as exc:
            problems = list(exc.problems)
    if problems:
        return customer_page_response(request, lang, staff, customer_id, status_code=422, form_values=values,
                                      errors=_errors(lang, "gc", problems, to_input))
    g = platform(request)
    try:
        done = g.guard_authority.set_controls(customer_id, requested, staff.key, channel=values["channel"],
                                              at_branch=bool(values["at_branch"]), reason=values["reason"])
    except Conflict as exc:  # another change landed meanwhile: show the form again over the new state
        problem = FieldProblem("other", str(exc))
        return customer_page_response(request, lang, staff, customer_id, status_code=409, form_values=values,
                                      errors=_errors(lang, "gc", [problem]))
    base = f"{staff_root(request)}/guard/customers/{customer_id}?lang={lang}"
    if isinstance(done, PendingChange):
        return RedirectResponse(f"{base}&pending={done.id}#controls", status_code=303, headers=NO_STORE)
    return RedirectResponse(f"{base}&saved=1#controls", status_code=303, headers=NO_STORE)


# -- rule authoring with a test run ------------------------------------------------------------

RULE_INPUTS = ("id", "expression", "description", "score", "outcome", "days")


def _rule_from_form(values: dict[str, str], event_types: list[str]) -> tuple[Rule | None, list[FieldProblem]]:
    problems: list[FieldProblem] = []
    try:
        score = float(Decimal(values["score"] or "0"))
    except ArithmeticError:
        problems.append(FieldProblem("score", "must be a number"))
        score = 0.0
    outcome = None
    if values["outcome"] not in RULE_OUTCOMES:
        problems.append(FieldProblem("outcome", "must be review, hold or block"))
    elif values["outcome"]:
        outcome = Outcome(values["outcome"])
    types: list[EventType] = []
    for raw in event_types:
        try:
            types.append(EventType(raw))
        except ValueError:
            problems.append(FieldProblem("event_types", f"{raw[:30]!r} is not an event type"))
    for name, most in (("expression", 2000), ("description", 500)):
        if len(values[name]) > most:
            problems.append(FieldProblem(name, f"at most {most} characters"))
    rule = Rule(values["id"], values["expression"], values["description"], score, outcome, RuleMode.SHADOW, tuple(types))
    try:
        compile_rule(rule)
    except InvalidInput as exc:
        problems.extend(p for p in exc.problems if not (p.field == "score" and any(q.field == "score" for q in problems)))
    return (None if problems else rule), problems


def _days(values: dict[str, str], problems: list[FieldProblem]) -> int:
    raw = values["days"].strip() or "7"
    days = int(raw) if raw.isdigit() and len(raw) < 4 else 0
    if not 1 <= days <= MAX_DAYS:
        problems.append(FieldProblem("days", f"must be a whole number from 1 to {MAX_DAYS}"))
    return days


def trial_run(request: Request, rule: Rule, days: int) -> dict[str, Any]:
    """The draft rule's test run over the stored events of the last ``days`` (``rule_trial``)."""
    g = platform(request).guard
    labels = {r.event_id: r.label for r in g.reviews.labels()} if g.reviews else {}
    since = g.clock() - timedelta(days=days)
    confirmed = g.merchant_risk.for_replay(since) if g.merchant_risk else None
    report = trial_rule(rule, g.store, g.rules.current().rules, g.config.thresholds, since=since,
                        labels=labels, limit=TEST_LIMIT, examples=EXAMPLES, confirmations=confirmed)
    return {"events": report.events, "hits": report.hits, "rate": report.rate, "fraud": report.fraud, "labelled": report.labelled,
            "examples": report.examples, "errors": report.errors, "capped": report.capped, "days": days}


def _rules_page(request: Request, lang: str, staff: Staff, *, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("values", {"days": "7", "score": "0"})
    context.setdefault("chosen_types", [])
    return render(request, "staff_guard_rule_new.html", lang, staff, status_code=status_code, nav="guard",
                  event_types=[t.value for t in EventType], outcomes=RULE_OUTCOMES,
                  here=f"{staff_root(request)}/guard/new-rule", **context)


@router.get("/guard/new-rule", response_class=HTMLResponse)
def rule_new_page(request: Request) -> Response:
    lang = page_lang(request)
    staff = signed_in(request, "admin", lang)
    if isinstance(staff, Response):
        return staff
    q = request.query_params
    return _rules_page(request, lang, staff, saved={"id": q.get("saved", "")[:64], "version": q.get("version", "")[:10],
                                                    "mode": q.get("mode", "")[:10]} if q.get("saved") else None,
                       pending=q.get("pending", "")[:20])


@router.post("/guard/new-rule")
async def rule_new_action(request: Request) -> Response:
    return await staff_post(request, "admin", _rule_new_action)


def _rule_new_action(request: Request, lang: str, staff: Staff, form: FormData) -> Response:
    values = {name: form_text(form, name) for name in RULE_INPUTS}
    values["expression"] = values["expression"][:2100]
    values["description"] = values["description"][:600]
    chosen = [v for v in form.getlist("event_types") if isinstance(v, str)][:20]
    action = form_text(form, "action")
    rule, problems = _rule_from_form(values, chosen)
    days = _days(values, problems)
    if action not in ("test", "shadow", "enforce"):
        problems.append(FieldProblem("mode", "must be test, shadow or enforce"))
    if problems or rule is None:
        return _rules_page(request, lang, staff, status_code=422, values=values, chosen_types=chosen,
                           errors=_errors(lang, "gr", problems))
    if action == "test":
        result = trial_run(request, rule, days)
        return _rules_page(request, lang, staff, values=values, chosen_types=chosen, result=result, tested=_fingerprint(rule))
    # Enabling needs the test run of exactly this rule: the form carries its fingerprint.
    if form_text(form, "tested") != _fingerprint(rule):
        return _rules_page(request, lang, staff, status_code=422, values=values, chosen_types=chosen,
                           errors={"mode": (messages(lang)["gr_tested_first"], "test the rule before enabling it")})
    mode = RuleMode(action)
    p = platform(request)
    try:
        done = p.guard_authority.save_rule(replace(rule, mode=mode), staff.key)
    except Forbidden as exc:
        t = messages(lang)
        return message(request, lang, staff, 403, t["staff_forbidden_title"], str(exc))
    except (InvalidInput, NotFound) as exc:
        found = exc.problems if isinstance(exc, InvalidInput) else [FieldProblem("id", str(exc))]
        return _rules_page(request, lang, staff, status_code=422, values=values, chosen_types=chosen, errors=_errors(lang, "gr", found))
    p.audit.record(staff.actor, "guard.rule_authored", f"rule {rule.id}",
                   {"mode": mode.value, "expression": rule.expression, "tested_days": days,
                    "pending": done.id if isinstance(done, PendingChange) else None}, sync=True)
    base = f"{staff_root(request)}/guard/new-rule?lang={lang}"
    if isinstance(done, PendingChange):
        return RedirectResponse(f"{base}&pending={done.id}", status_code=303, headers=NO_STORE)
    return RedirectResponse(f"{base}&saved={done.id}&version={done.version}&mode={mode.value}", status_code=303, headers=NO_STORE)


def _fingerprint(rule: Rule) -> str:
    """What the test run saw, so the rule enabled is the rule tested (not a later edit of it)."""
    text = "\x1f".join((rule.id, rule.expression, rule.description, repr(rule.score), str(rule.outcome),
                        ",".join(t.value for t in rule.event_types)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def fingerprint(rule_values: dict[str, str], chosen: list[str]) -> str:
    rule, problems = _rule_from_form(rule_values, chosen)
    return _fingerprint(rule) if rule is not None and not problems else ""
