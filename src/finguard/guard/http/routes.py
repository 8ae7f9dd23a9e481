"""The transaction guard routes (#4): decisions, customer controls, operator conditions, rules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Route

from finguard.access.http import api_key_header, staff
from finguard.access.http.schemas import PendingChangeOut, adapt_pending
from finguard.access.model import PendingChange
from finguard.access.service.keys import ApiKey
from finguard.core import jsonsafe
from finguard.core.edge import JSON_CHECKED
from finguard.core.http import body_too_large, read_body
from finguard.guard.http.cases import router as cases_router
from finguard.guard.http.schemas import (
    BacktestIn,
    BacktestOut,
    CheckupOut,
    ConditionIn,
    ConditionOut,
    ControlChangeOut,
    ControlsIn,
    ControlsOut,
    DecisionList,
    DecisionOut,
    RuleCreateIn,
    RuleIn,
    RuleListOut,
    RuleOut,
    RuleTestIn,
    RuleTestOut,
    RuleVersionOut,
    adapt_backtest,
    adapt_change,
    adapt_checkup,
    adapt_condition,
    adapt_controls,
    adapt_decision,
    adapt_rule,
    adapt_rule_version,
    adapt_trial,
)
from finguard.guard.model.conditions import ConditionDraft, ConditionKind, SubjectType, normalize_subject
from finguard.guard.model.controls import settings_from_dict
from finguard.guard.model.decision import Outcome
from finguard.guard.model.events import EventType, event_json_schema, parse_event
from finguard.guard.model.rules import Rule, RuleMode
from finguard.guard.service.engine import GuardService
from finguard.guard.service.rule_pack import STARTER_PACK
from finguard.guard.service.rule_trial import trial_rule

router = APIRouter(prefix="/api/v1/guard", tags=["guard"])
MAX_EVENT_BYTES = 64 * 1024
CustomerId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")]
DecisionId = Annotated[str, Path(max_length=40)]
RuleId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_.\-]{1,63}$")]
ConditionId = Annotated[int, Path(ge=1, le=2**63 - 1)]


async def guard(request: Request) -> GuardService:
    """The platform's guard. Async (#19): a plain ``def`` dependency costs every request a
    worker-thread hand-off; only the first request, which builds the guard (rules, model), waits
    for a worker thread."""
    platform = request.app.state.platform
    built: GuardService | None = platform.__dict__.get("guard")  # functools.cached_property keeps it there
    if built is not None:
        return built
    g: GuardService = await run_in_threadpool(lambda: platform.guard)
    return g


G = Annotated[GuardService, Depends(guard)]


def _platform(request: Request) -> Any:
    return request.app.state.platform


P = Annotated[Any, Depends(_platform)]


def _or_pending(found: Any, adapt: Callable[[Any], BaseModel], status: int = 200) -> Response:
    """The change made, or 202 with the pending change when it waits for a second person."""
    if isinstance(found, PendingChange):
        return JSONResponse(adapt_pending(found).model_dump(mode="json"), status_code=202)
    return JSONResponse(adapt(found).model_dump(mode="json"), status_code=status)


PENDING: dict[int | str, dict[str, Any]] = {
    202: {"model": PendingChangeOut, "description": "The change can lower outcomes: it waits for a supervisor's approval."}
}


@router.post(
    "/events",
    response_model=DecisionOut,
    summary="Decide an event now (idempotent by event_id)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": event_json_schema()}}}},
    responses={409: {"description": "the event id was already decided with a different body"}},
)
async def post_event(request: Request, g: G, _: Annotated[ApiKey, Depends(staff("check"))]) -> Response:
    # The body limit at the edge has read a JSON body whole and checked its depth and numbers
    # (most requests): taken from there, held to this route's bound, not read again (#19).
    checked = request.scope.get(JSON_CHECKED)
    if checked is None:
        raw = await read_body(request, MAX_EVENT_BYTES)
    elif len(checked) > MAX_EVENT_BYTES:
        raise body_too_large(MAX_EVENT_BYTES)
    else:
        raw = checked
    # Amounts stay exact: a JSON number with a fraction becomes a Decimal, never a float.
    data: Any = jsonsafe.loads(raw, checked=raw is checked)
    event = parse_event(data, g.clock())  # a bad field is this request's 422, before any batch
    # Concurrent requests share one decide_many and one commit (the batcher's worker thread);
    # each gets its own decision, or its own error (409 for an event id reused with another body).
    decision = await g.batcher.submit_async(event, asyncio.get_running_loop())
    # Serialised once, by pydantic-core (FastAPI would validate the model again, then encode it).
    return Response(adapt_decision(decision).model_dump_json(), media_type="application/json")


_check = staff("check")


async def _post_event_direct(request: Request) -> Response:
    """:func:`post_event` with its dependencies called in FastAPI's order (the guard, the API key
    header, the staff check), without FastAPI's routing and dependency solving (#19)."""
    g = await guard(request)
    key = await _check(request, await api_key_header(request))
    return await post_event(request, g, key)


class _EventRoute(Route):
    """``POST /api/v1/guard/events`` ahead of every other route (#19): the guard's hot path.

    FastAPI's router tries the included routers one after the other and solves the route's
    dependencies per request; together about a third of the event loop's CPU per decision.
    This route answers the same request with the same code (:func:`post_event`, its
    dependencies called in order) behind the same middleware (admission control, body limits)
    and the same exception handlers, so every answer is the same, errors included. It matches
    only ``POST`` on the exact path; anything else goes on to the documented FastAPI route and
    the rest of the app. The FastAPI route stays for the OpenAPI document (this one is not in it)."""

    def __init__(self, documented: Any) -> None:
        super().__init__(documented.path, _post_event_direct, methods=["POST"], name=documented.name, include_in_schema=False)
        self.documented = documented  # the APIRoute: scope["route"], so logs name the route's template

    def matches(self, scope: Any) -> tuple[Match, Any]:
        if scope["type"] == "http" and scope["method"] == "POST" and get_route_path(scope) == self.path:
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}, "route": self.documented}
        return Match.NONE, {}


class EventLane:
    """``POST /api/v1/guard/events`` from the edge's middleware straight to its handler (#19).

    A pure ASGI layer, innermost of the app's middleware (inside admission control and the body
    limit): the event route's requests skip FastAPI's exit-stack layer, the router's walk and the
    route's own second exception wrapper (together ~14 us of the loop's CPU a request, measured
    with ``bench/guard/http_lean_micro.py``), and go to the same handler (:func:`_post_event_direct`)
    under an exception layer built as the app builds its own (the app's handlers, 500 and
    ``Exception`` excepted: those stay with the outermost server-error layer), so every answer,
    errors included, is the one the routed request gets. The scope carries what routing would
    put there (``route``: the documented route, so logs name its template). Every other request
    goes on down the stack unchanged, and so does every request of an app without the fast route
    (:func:`event_route`): then the documented FastAPI route answers, as the parity tests want."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lane: Any = None
        self._route: Any = None

    def _build(self, app: Any) -> Any:
        from starlette.middleware.exceptions import ExceptionMiddleware

        route = next((r for r in app.router.routes if isinstance(r, _EventRoute)), None)
        if route is None:
            self._lane = self.app
            return self._lane
        handlers = {k: v for k, v in app.exception_handlers.items() if k not in (500, Exception)}

        async def answer(scope: Any, receive: Any, send: Any) -> None:
            response = await _post_event_direct(Request(scope, receive, send))
            await response(scope, receive, send)

        self._route = route
        self._lane = ExceptionMiddleware(answer, handlers=handlers, debug=app.debug)
        return self._lane

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or get_route_path(scope) != EVENTS_PATH:
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        lane = self._lane or self._build(app)
        route = self._route
        if route is not None:
            scope.setdefault("router", app.router)
            scope.update(endpoint=route.endpoint, path_params={}, route=route.documented)
        await lane(scope, receive, send)


EVENTS_PATH = router.prefix + "/events"


def event_route() -> Route:
    """The fast route for ``POST /api/v1/guard/events``, to put first in the app's routes."""
    documented = next(r for r in router.routes if getattr(r, "endpoint", None) is post_event)
    return _EventRoute(documented)


@router.get("/decisions/{decision_id}", response_model=DecisionOut, summary="One decision with its reasons")
def get_decision(decision_id: DecisionId, g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> DecisionOut:
    return adapt_decision(g.get_decision(decision_id))


@router.get(
    "/decisions/{decision_id}/contributions",
    summary="Compute the model's top contributions of a decision that stored its score without them (allowed, below the "
    "explain floor), with the model version that decided; nothing is stored",
)
def decision_contributions(decision_id: DecisionId, g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> dict[str, Any]:
    return {"decision_id": decision_id, "contributions": g.explain_decision(decision_id)}


@router.get("/decisions", response_model=DecisionList, summary="A customer's decisions, newest first")
def list_decisions(
    g: G,
    _: Annotated[ApiKey, Depends(staff("read"))],
    customer_id: Annotated[str, Query(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DecisionList:
    found = g.decisions_of(customer_id, limit=limit, offset=offset)
    return DecisionList(count=len(found), decisions=[adapt_decision(d) for d in found])


@router.get("/customers/{customer_id}/controls", response_model=ControlsOut, summary="A customer's security controls")
def get_controls(customer_id: CustomerId, g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> ControlsOut:
    return adapt_controls(g.controls.get(customer_id))


@router.put(
    "/customers/{customer_id}/controls",
    response_model=ControlsOut,
    summary="Set a customer's controls (tightening now; loosening after 24 h unless at a branch)",
    responses=PENDING,
)
def put_controls(customer_id: CustomerId, body: ControlsIn, p: P, key: Annotated[ApiKey, Depends(staff("write"))]) -> Response:
    settings = settings_from_dict(body.settings())
    found = p.guard_authority.set_controls(
        customer_id, settings, key.principal, channel=body.channel, at_branch=body.at_branch, reason=body.reason
    )
    return _or_pending(found, adapt_controls)


@router.get("/customers/{customer_id}/controls/history", response_model=list[ControlChangeOut], summary="Audit of control changes")
def controls_history(customer_id: CustomerId, g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> list[ControlChangeOut]:
    return [adapt_change(c) for c in g.controls.history(customer_id)]


@router.get("/customers/{customer_id}/checkup", response_model=CheckupOut, summary="Security check-up: which protections are off")
def checkup(customer_id: CustomerId, g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> CheckupOut:
    return adapt_checkup(customer_id, g.controls.checkup(customer_id))


@router.post("/conditions", response_model=ConditionOut, status_code=201, summary="Add an operator condition", responses=PENDING)
def add_condition(body: ConditionIn, g: G, p: P, key: Annotated[ApiKey, Depends(staff("write"))]) -> Response:
    subject_type = SubjectType(body.subject_type)
    draft = ConditionDraft(
        ConditionKind(body.kind),
        subject_type,
        normalize_subject(subject_type, body.subject),
        body.reason,
        body.starts_at or g.conditions.clock(),
        body.expires_at,
        tuple(body.event_types),
    )
    return _or_pending(p.guard_authority.add_condition(draft, key.principal), adapt_condition, 201)


@router.get("/conditions", response_model=list[ConditionOut], summary="Operator conditions, newest first")
def list_conditions(
    g: G,
    _: Annotated[ApiKey, Depends(staff("read"))],
    subject_type: Literal["account", "card", "device", "party", "customer"] | None = None,
    subject: Annotated[str | None, Query(max_length=256)] = None,
    active: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ConditionOut]:
    kind = SubjectType(subject_type) if subject_type else None
    value = normalize_subject(kind, subject) if kind is not None and subject is not None else subject
    return [adapt_condition(c) for c in g.conditions.list(subject_type=kind, subject=value, active_only=active, limit=limit)]


@router.get("/conditions/{condition_id}", response_model=ConditionOut, summary="One operator condition")
def get_condition(condition_id: ConditionId, g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> ConditionOut:
    return adapt_condition(g.conditions.get(condition_id))


@router.delete(
    "/conditions/{condition_id}", response_model=ConditionOut, summary="Revoke an operator condition (kept in history)", responses=PENDING
)
def revoke_condition(condition_id: ConditionId, p: P, key: Annotated[ApiKey, Depends(staff("write"))]) -> Response:
    return _or_pending(p.guard_authority.revoke_condition(condition_id, key.principal), adapt_condition)


def _rule(rule_id: str, body: RuleIn) -> Rule:
    return Rule(
        rule_id,
        body.expression,
        body.description,
        body.score,
        Outcome(body.outcome) if body.outcome else None,
        RuleMode(body.mode),
        tuple(EventType(t) for t in body.event_types),
        body.enabled,
    )


@router.get("/rules", response_model=RuleListOut, summary="The rules in force (newest version of each)")
def list_rules(g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> RuleListOut:
    return RuleListOut(rule_version=g.rules.current().version, rules=[adapt_rule(r) for r in g.rules.rules()])


@router.post("/rules", response_model=RuleOut, status_code=201, summary="Add a rule (version 1)")
def create_rule(body: RuleCreateIn, g: G, key: Annotated[ApiKey, Depends(staff("admin"))]) -> RuleOut:
    # A new rule only adds a check (it asks for review, hold or block): no approval needed.
    return adapt_rule(g.rules.create(_rule(body.id, body), key.principal.actor))


@router.post("/rules/starter-pack", response_model=list[RuleOut], summary="Install the telecom-fraud starter rules not yet present")
def install_pack(g: G, key: Annotated[ApiKey, Depends(staff("admin"))]) -> list[RuleOut]:
    return [adapt_rule(r) for r in g.rules.install(STARTER_PACK, f"key:{key.name}")]


@router.post("/rules/backtest", response_model=BacktestOut, summary="Replay a rule-set version over stored events")
def backtest(body: BacktestIn, g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> BacktestOut:
    report = g.rules.backtest(g.store, g.config.thresholds, version=body.rule_version, since=body.since, until=body.until, limit=body.limit)
    return adapt_backtest(report)


@router.post("/rules/test", response_model=RuleTestOut, summary="Test a draft rule on the stored events of the last days (nothing stored)")
def test_rule(body: RuleTestIn, g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> RuleTestOut:
    labels = {r.event_id: r.label for r in g.reviews.labels()} if g.reviews else {}
    since = g.clock() - timedelta(days=body.days)
    confirmed = g.merchant_risk.for_replay(since) if g.merchant_risk else None
    report = trial_rule(
        _rule(body.id, body), g.store, g.rules.current().rules, g.config.thresholds, since=since, labels=labels, confirmations=confirmed
    )
    return adapt_trial(report)


@router.get("/rules/{rule_id}", response_model=list[RuleVersionOut], summary="Every version of a rule")
def rule_history(rule_id: RuleId, g: G, _: Annotated[ApiKey, Depends(staff("read"))]) -> list[RuleVersionOut]:
    return [adapt_rule_version(s) for s in g.rules.history(rule_id)]


@router.put(
    "/rules/{rule_id}", response_model=RuleOut, summary="Save a new version of a rule (effective on the next decision)", responses=PENDING
)
def update_rule(rule_id: RuleId, body: RuleIn, g: G, p: P, key: Annotated[ApiKey, Depends(staff("admin"))]) -> Response:
    g.rules.get(rule_id)
    return _or_pending(p.guard_authority.save_rule(_rule(rule_id, body), key.principal), adapt_rule)


@router.delete("/rules/{rule_id}", response_model=RuleOut, summary="Disable a rule (a new version; history is kept)", responses=PENDING)
def disable_rule(rule_id: RuleId, p: P, key: Annotated[ApiKey, Depends(staff("admin"))]) -> Response:
    return _or_pending(p.guard_authority.disable_rule(rule_id, key.principal), adapt_rule)


@router.post(
    "/events/iso20022",
    response_model=DecisionList,
    summary="Decide the credit transfers of a pacs.008 or pain.001 message (one decision per CdtTrfTxInf)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}}},
    responses={409: {"description": "an end-to-end id was already decided with a different body"}},
)
async def post_iso20022(
    request: Request,
    g: G,
    _: Annotated[ApiKey, Depends(staff("check"))],
    channel: Annotated[str, Query(max_length=20, description="The channel the message came through")] = "api",
    customer_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$", description="The debtor as the bank knows them")] = None,
) -> DecisionList:
    # Imported here so this route stays one self-contained addition to the module.
    from finguard.guard.service.iso20022 import MAX_XML_BYTES, parse_iso20022

    raw = await read_body(request, MAX_XML_BYTES)

    def decide_all() -> list[DecisionOut]:
        message = parse_iso20022(raw, now=g.clock(), channel=channel, customer_id=customer_id)
        return [adapt_decision(g.decide(e)) for e in message.events]

    decisions = await run_in_threadpool(decide_all)
    return DecisionList(count=len(decisions), decisions=decisions)


router.include_router(cases_router)
