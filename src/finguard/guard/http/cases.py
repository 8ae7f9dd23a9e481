"""Routes for working decisions and measuring the guard (#11): reviews, labels, replay."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from finguard.access.http import staff
from finguard.access.service.keys import ApiKey
from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.http import read_body
from finguard.guard.model.events import Event, parse_event
from finguard.guard.model.merchant_risk import confirmations_from_labels
from finguard.guard.model.review import Review
from finguard.guard.model.rules import CompiledRule, compile_rule
from finguard.guard.service.engine import GuardService
from finguard.guard.service.replay import Scorer, replay
from finguard.guard.service.reviews import ReviewService
from finguard.guard.service.rule_pack import STARTER_PACK

router = APIRouter(tags=["guard"])  # included in guard.http.routes.router (/api/v1/guard)
MAX_REPLAY_BYTES = 8 * 1024 * 1024
MAX_REPLAY_EVENTS = 50_000
DecisionId = Annotated[str, Path(max_length=40)]


def _guard(request: Request) -> GuardService:
    g: GuardService = request.app.state.platform.guard
    return g


def _reviews(request: Request) -> ReviewService:
    reviews = _guard(request).reviews
    if reviews is None:
        raise InvalidInput.for_field("reviews", "are not wired in this guard")
    return reviews


class ReviewIn(BaseModel):
    action: str = Field(description="release (a held or blocked payment goes ahead), confirm_fraud or legit")
    reason: str = Field(description="Why; kept with the label")


class ReviewOut(BaseModel):
    decision_id: str
    event_id: str
    customer_id: str
    action: str
    label: int
    actor: str
    reason: str
    at: datetime


def adapt_review(r: Review) -> ReviewOut:
    return ReviewOut(
        decision_id=r.decision_id,
        event_id=r.event_id,
        customer_id=r.customer_id,
        action=r.action.value,
        label=r.label,
        actor=r.actor,
        reason=r.reason,
        at=r.at,
    )


@router.post(
    "/decisions/{decision_id}/review", response_model=ReviewOut, status_code=201, summary="Release a held payment or confirm fraud"
)
def review_decision(
    decision_id: DecisionId, body: ReviewIn, request: Request, key: Annotated[ApiKey, Depends(staff("write"))]
) -> ReviewOut:
    return adapt_review(_reviews(request).review(decision_id, body.action, body.reason, f"key:{key.name}"))


@router.get("/decisions/{decision_id}/reviews", response_model=list[ReviewOut], summary="Every review of a decision, oldest first")
def decision_reviews(decision_id: DecisionId, request: Request, _: Annotated[ApiKey, Depends(staff("read"))]) -> list[ReviewOut]:
    return [adapt_review(r) for r in _reviews(request).case(decision_id).reviews]


@router.get("/labels", response_model=list[ReviewOut], summary="The latest review of each event: the labels for training")
def labels(
    request: Request,
    _: Annotated[ApiKey, Depends(staff("read"))],
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> list[ReviewOut]:
    return [adapt_review(r) for r in _reviews(request).labels(since, until)]


class ReplayIn(BaseModel):
    events: list[dict[str, Any]] = Field(description="Guard events (any age: the clock follows them)")
    labels: dict[str, int] | None = Field(default=None, description="event id -> 1 fraud / 0 legitimate; unlisted events are legitimate")
    pack: Literal["current", "starter", "none"] = "current"
    model: Literal["none", "champion", "challenger"] = "none"
    since: datetime | None = Field(default=None, description="Count events from here; earlier ones only build history")


def _parse_events(raw: list[dict[str, Any]]) -> list[Event]:
    if len(raw) > MAX_REPLAY_EVENTS:
        raise InvalidInput.for_field("events", f"at most {MAX_REPLAY_EVENTS} events per replay")
    events: list[Event] = []
    problems: list[FieldProblem] = []
    for i, data in enumerate(raw):
        try:
            events.append(parse_event(data, None))
        except InvalidInput as exc:
            problems += [FieldProblem(f"events[{i}].{p.field}", p.problem) for p in exc.problems[:3]]
            if len(problems) >= 20:
                break
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems[:5]), problems=problems)
    return events


def _scorer(g: GuardService, which: str) -> Scorer | None:
    model = g.model if which == "champion" else g.challenger if which == "challenger" else None
    if which != "none" and (model is None or model.name == "none"):
        raise InvalidInput.for_field("model", f"the guard has no {which}")
    if model is None:
        return None
    scorer = model

    def score(event: Event, features: Mapping[str, Any]) -> tuple[float, str] | None:
        found = scorer.explain(event, features)
        return None if found is None else (found.score, found.detail())

    return score


def run_replay(g: GuardService, body: ReplayIn) -> dict[str, Any]:
    events = _parse_events(body.events)
    rules: list[CompiledRule] = []
    if body.pack == "starter":
        rules = [compile_rule(r) for r in STARTER_PACK]
    elif body.pack == "current":
        rules = list(g.rules.current().rules)
    start = body.since
    report = replay(
        events,
        rules,
        g.config.thresholds,
        labels=body.labels,
        model=_scorer(g, body.model),
        model_name=body.model,
        measure=(lambda e: e.occurred_at >= start) if start else None,
        # The labels' fraud counts at its merchant from 7 days after the event (never ahead of it).
        confirmations=confirmations_from_labels(events, body.labels) if body.labels else None,
    )
    return report.as_dict()


@router.post(
    "/replay",
    summary="Replay past events as of their own time (nothing stored, no alert) and measure rules, packs and models",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": ReplayIn.model_json_schema()}}}},
)
async def post_replay(request: Request, _: Annotated[ApiKey, Depends(staff("read"))]) -> dict[str, Any]:
    raw = await read_body(request, MAX_REPLAY_BYTES)
    try:
        data = json.loads(raw, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput.for_field("body", f"is not JSON: {exc}") from None
    try:
        body = ReplayIn.model_validate(data)
    except ValueError as exc:
        raise InvalidInput.for_field("body", str(exc)[:300]) from None
    return await run_in_threadpool(run_replay, _guard(request), body)
