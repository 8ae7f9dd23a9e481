"""Docs are tested: every setting is documented, and the README's two commands exist."""

from __future__ import annotations

import os
import re
from pathlib import Path

from finguard.settings import Settings

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
