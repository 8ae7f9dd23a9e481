"""docs/loans.md stays true: every relief kind, CLI command and API route it lists exists."""

from __future__ import annotations

import re
from pathlib import Path

from finguard.loans.cli import app
from finguard.loans.http import router
from finguard.loans.model.relief import KINDS

DOC = (Path(__file__).resolve().parents[1] / "docs" / "loans.md").read_text(encoding="utf-8")


def test_every_relief_kind_is_documented():
    for kind in KINDS:
        assert f"| `{kind}`" in DOC, kind


def test_the_documented_cli_commands_are_the_commands():
    listed = re.search(r"`finguard loans \.\.\.`\): (.*?)\.\n", DOC, re.S).group(1)
    documented = set(re.findall(r"`([a-z]+)`", listed))
    assert documented == {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}


def test_the_documented_routes_exist():
    paths = {r.path.removeprefix("/api/v1/loans") for r in router.routes}
    section = DOC[DOC.index("* API"):DOC.index("* CLI")]
    documented = re.findall(r"`(?:GET|POST) ([^`]+)`", section)
    assert len(documented) == len(router.routes)
    for path in documented:
        assert path in paths, path
