"""Prometheus metrics, served at /metrics."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

REGISTRY = CollectorRegistry()
CHECKS = Counter("finguard_checks_total", "Payee checks answered", ["view", "outcome"], registry=REGISTRY)
BATCH_ITEMS = Counter("finguard_batch_items_total", "Items checked in batches", registry=REGISTRY)
LIST_SEQ = Gauge("finguard_list_seq", "Change-log sequence this process reflects", registry=REGISTRY)
CURRENT = Gauge("finguard_lists_current", "1 when this process has confirmed it is current", registry=REGISTRY)
PUBLIC_REFUSED = Counter("finguard_public_refused_total", "Public checks refused by the rate limit", ["tightened"], registry=REGISTRY)
INDEX_SIZE = Gauge("finguard_index_identifiers", "Identifiers in the hot index", registry=REGISTRY)
FEED_FALLBACK = Gauge(
    "finguard_feed_fallback", "1 when the change feed is polled because its notification could not be used", registry=REGISTRY
)

LOG_BACKLOG = Gauge(
    "finguard_log_backlog", "Records waiting for the check log's or the audit log's writer in this process", ["log"], registry=REGISTRY
)


def observe_check(view: str, outcome: str) -> None:
    CHECKS.labels(view, outcome).inc()


def observe_refusal(tightened: bool) -> None:
    PUBLIC_REFUSED.labels("yes" if tightened else "no").inc()


def observe_batch(n: int) -> None:
    BATCH_ITEMS.inc(n)


def render(seq: int, current: bool, index_size: int, feed_fallback: bool = False, *, backlog: Mapping[str, int] | None = None) -> bytes:
    for name, waiting in (backlog or {}).items():
        LOG_BACKLOG.labels(name).set(waiting)
    LIST_SEQ.set(seq)
    FEED_FALLBACK.set(1 if feed_fallback else 0)
    CURRENT.set(1 if current else 0)
    INDEX_SIZE.set(index_size)
    return generate_latest(REGISTRY)
