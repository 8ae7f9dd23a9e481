"""Laundering-pattern monitors over the fund-flow ledger (#5)."""

from finguard.monitors.service.config import load_config, parse_config
from finguard.monitors.service.incremental import affected, run_incremental
from finguard.monitors.service.index import FlowIndex, Transfers
from finguard.monitors.service.ledger import (
    BackgroundStatus,
    LedgerRunResult,
    MonitorSink,
    monitor_ledger,
    monitor_ledger_incremental,
)
from finguard.monitors.service.runner import MonitorRun, parse_typologies, run_monitors

__all__ = [
    "BackgroundStatus",
    "FlowIndex",
    "LedgerRunResult",
    "MonitorRun",
    "MonitorSink",
    "Transfers",
    "affected",
    "load_config",
    "monitor_ledger",
    "monitor_ledger_incremental",
    "parse_config",
    "parse_typologies",
    "run_incremental",
    "run_monitors",
]
