"""Monitor thresholds from a file: a TOML or JSON table per section of ``MonitorConfig``.

    [fan_in]
    window = 345600          # seconds
    min_counterparties = 6

Anything not given keeps its documented default (``finguard.monitors.model.DEFAULTS``).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from finguard.core.errors import InvalidInput
from finguard.monitors.model import MonitorConfig, default_config


def parse_config(text: str, fmt: str = "toml") -> MonitorConfig:
    try:
        values: Any = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput.for_field("config", f"is not valid {fmt.upper()}: {exc}") from None
    if not isinstance(values, dict):
        raise InvalidInput.for_field("config", "must be a table of sections")
    return default_config().with_overrides(values)


def load_config(path: Path | None) -> MonitorConfig:
    """The default thresholds, or those of ``path`` (``.toml`` or ``.json``) over the defaults."""
    if path is None:
        return default_config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput.for_field("config", f"cannot read {path}: {exc.strerror}") from None
    return parse_config(text, "json" if path.suffix.lower() == ".json" else "toml")
