"""Wiring of the transaction guard: the SQL store, the velocity backend and the services.

The composition root (``finguard.app.platform``) calls :func:`make_guard` on first use, so a
command that never decides a payment never loads the model or the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from finguard.core.clock import utcnow
from finguard.guard.service.conditions import ConditionService
from finguard.guard.service.customer import CustomerControlService
from finguard.guard.service.engine import GuardConfig, GuardService, ModelScorer, PayeeCheck
from finguard.guard.service.fx import Fx
from finguard.guard.service.merchant_risk import MerchantRiskService
from finguard.guard.service.reviews import ReviewService
from finguard.guard.service.rules_service import RulesService
from finguard.guard.service.velocity import MemoryBackend, Velocity, VelocityBackend
from finguard.guard.store.fraud import SqlConfirmedFraudStore
from finguard.guard.store.repo import SqlGuardStore
from finguard.guard.store.reviews import SqlReviewStore


def make_velocity(redis_url: str | None, *, prefix: str = "finguard:vel:", fx: Fx | None = None) -> Velocity:
    """In-process counters, or Redis when a URL is given (several processes share them)."""
    backend: VelocityBackend
    if redis_url:
        from finguard.guard.service.velocity_redis import RedisBackend

        backend = RedisBackend(redis_url, prefix=prefix)
    else:
        backend = MemoryBackend()
    return Velocity(backend, fx=fx)


def load_models(model_path: Path | None, registry: Path | None) -> tuple[ModelScorer | None, ModelScorer | None]:
    """The champion and the challenger: from the registry's roles when a registry is set, else the
    one model file (no challenger). LightGBM is imported only when there is a model to load."""
    from finguard.guard.service.model import LightGBMScorer
    from finguard.guard.service.registry import ModelRegistry

    if registry is not None:
        reg = ModelRegistry(registry)
        champion, challenger = reg.role_path("champion"), reg.role_path("challenger")
        return (LightGBMScorer(champion) if champion else None, LightGBMScorer(challenger) if challenger else None)
    return (LightGBMScorer(model_path) if model_path else None, None)


def make_guard(
    engine: Engine,
    checker: PayeeCheck | None,
    redis_url: str | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    model: ModelScorer | None = None,
    challenger: ModelScorer | None = None,
    velocity: Velocity | None = None,
    config: GuardConfig | None = None,
    rules_check_seconds: float = 1.0,
    cache_check_seconds: float = 0.25,
    rates_path: Path | None = None,
) -> GuardService:
    """Wire the guard on a migrated engine: the SQL store, the velocity backend, the services.

    Rules, customer controls and operator conditions are kept in memory. A change made in this
    process (through any guard on the same engine) applies to the next decision; one made by
    another process once the stored version is checked: rules every ``rules_check_seconds``,
    controls, conditions and confirmed fraud every ``cache_check_seconds`` (0 checks before every
    decision).
    """
    store = SqlGuardStore(engine, cache_check_seconds=cache_check_seconds)
    fx = Fx.configured(rates_path) if rates_path else None  # None: the process's (default_fx)
    velocity = velocity or make_velocity(redis_url, fx=fx)
    return GuardService(
        store,
        velocity,
        RulesService(store, clock, check_seconds=rules_check_seconds),
        CustomerControlService(store, clock),
        ConditionService(store, clock),
        clock,
        checker=checker,
        model=model,
        challenger=challenger,
        config=config,
        reviews=ReviewService(SqlReviewStore(engine), clock),
        fx=fx,
        merchant_risk=MerchantRiskService(SqlConfirmedFraudStore(engine), clock, check_seconds=cache_check_seconds),
    )
