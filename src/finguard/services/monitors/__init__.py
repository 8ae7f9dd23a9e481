"""Laundering-pattern monitors over the fund-flow ledger (#5)."""

from finguard.services.monitors.config import load_config, parse_config
from finguard.services.monitors.incremental import affected, run_incremental
from finguard.services.monitors.index import FlowIndex, Transfers
from finguard.services.monitors.ledger import BackgroundStatus, LedgerRunResult, MonitorSink, monitor_ledger, monitor_ledger_incremental
from finguard.services.monitors.runner import MonitorRun, parse_typologies, run_monitors

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
