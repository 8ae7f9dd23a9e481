"""Docs are tested: every setting is documented, and the README's two commands exist."""

from __future__ import annotations

import os
import re
from pathlib import Path

from finguard.core.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    doc = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"FINGUARD_{name.upper()}" in doc, f"FINGUARD_{name.upper()} is not in docs/settings.md"


def test_readme_opens_with_the_two_commands_and_they_exist() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).strip().splitlines()]
    assert commands == ["./scripts/run", "./scripts/test"]
    for command in commands:
        path = REPO / command
        assert path.exists() and os.access(path, os.X_OK)
    assert "./scripts/test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_linked_docs_exist() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\(([^)#]+\.md)\)", readme):
        assert (REPO / link).exists(), link


def test_every_monitor_threshold_is_documented_and_the_example_is_the_defaults() -> None:
    import dataclasses

    from finguard.monitors.model import MonitorConfig, default_config
    from finguard.monitors.service import parse_config
    from finguard.monitors.service.config import load_config

    doc = (REPO / "docs" / "monitors.md").read_text(encoding="utf-8")
    config = MonitorConfig()
    for section in dataclasses.fields(config):
        assert f"`{section.name}`" in doc, section.name
        for f in dataclasses.fields(getattr(config, section.name)):
            assert f"`{f.name}`" in doc, f"{section.name}.{f.name} is not in docs/monitors.md"
    example = re.search(r"```toml\n(.*?)```", doc, re.S)
    assert example is not None
    # The example is the defaults (#12) written out: the same as no file at all.
    assert parse_config(example.group(1)) == default_config() == load_config(None) == parse_config("")


def test_the_screening_batch_example_reads_as_documented() -> None:
    """docs/screening-batch.md: the example file parses, and each row's kind is the one the text says."""
    import io

    from finguard.screening.model.diligence import PartyKind, counterparty_from_record
    from finguard.screening.service.diligence import PARTY_COLUMNS, read_party_records

    doc = (REPO / "docs" / "screening-batch.md").read_text(encoding="utf-8")
    for column in PARTY_COLUMNS:
        assert f"`{column}`" in doc, column
    example = re.search(r"```csv\n(.*?)```", doc, re.S)
    assert example is not None
    rows = [r for _line, r in read_party_records("csv", io.StringIO(example.group(1)))]
    parties = {p.key: p for p in (counterparty_from_record(r, default_purpose="customer") for r in rows)}
    assert parties["c-001"].kind is PartyKind.ORGANISATION and parties["c-004"].kind is PartyKind.ORGANISATION
    assert parties["c-002"].kind is PartyKind.PERSON
    assert parties["c-003"].name == "" and parties["c-003"].identifiers[0].value == "9929429"
