"""Identity use cases (#17): each check answers and leaves one audit row, without an image.

The registry is the local-file one: a CSV of ``id_number,name`` written inline.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from finguard.identity.model.documents import DocumentKind
from finguard.identity.service.checks import IdentityChecks
from finguard.identity.service.face import FaceVerifier
from finguard.identity.service.registry import NameIdOutcome
from finguard.identity.store.audit import SqlVerificationLog
from finguard.identity.store.registry_file import FileRegistry

NOW = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
ZHANG = "11010519491231002X"  # a well-formed number (check digit X)


def no_faces() -> FaceVerifier:
    raise AssertionError("no face verification in these tests")


@pytest.fixture
def registry(tmp_path: Path) -> FileRegistry:
    path = tmp_path / "registry.csv"
    path.write_text(f"id_number,name\n{ZHANG},张 三\n", encoding="utf-8")
    return FileRegistry(path)


@pytest.fixture
def checks(engine: Engine, registry: FileRegistry) -> IdentityChecks:
    return IdentityChecks(SqlVerificationLog(engine), no_faces, registry, clock=lambda: NOW)


def test_a_number_check_is_audited_masked(checks: IdentityChecks) -> None:
    result = checks.check_number(DocumentKind.RESIDENT_ID, ZHANG, actor="teller-1", channel="api")
    assert result.valid and result.facts["age"] == "76"
    [(_, entry)] = checks.log.recent(5)
    assert (entry.kind, entry.outcome, entry.subject, entry.actor) == ("resident_id", "valid", "1101**********002X", "teller-1")


def test_an_invalid_number_is_audited_with_its_problems(checks: IdentityChecks) -> None:
    checks.check_number(DocumentKind.RESIDENT_ID, "110105194912310021", actor="t", channel="cli")
    [(_, entry)] = checks.log.recent(5)
    assert (entry.outcome, entry.reason) == ("invalid", "check_digit")


@pytest.mark.parametrize(
    ("name", "number", "outcome"),
    [
        ("张三", ZHANG, NameIdOutcome.CONSISTENT),
        ("  张 三 ", ZHANG, NameIdOutcome.CONSISTENT),
        ("李四", ZHANG, NameIdOutcome.INCONSISTENT),
        ("张三", "110105194912310030", NameIdOutcome.NOT_FOUND),
        ("张三", "110105194912310021", NameIdOutcome.NOT_FOUND),
    ],
)
def test_name_and_number_are_checked_against_the_registry(checks: IdentityChecks, name: str, number: str, outcome: NameIdOutcome) -> None:
    _, result = checks.check_name(name, number, actor="t", channel="api")
    assert result.outcome is outcome
    [(_, entry)] = checks.log.recent(5)
    assert entry.kind == "name_id" and entry.outcome == outcome.value


def test_a_registry_that_cannot_be_read_is_unavailable_never_consistent(engine: Engine, tmp_path: Path) -> None:
    checks = IdentityChecks(SqlVerificationLog(engine), no_faces, FileRegistry(tmp_path / "missing.csv"), clock=lambda: NOW)
    _, result = checks.check_name("张三", ZHANG, actor="t", channel="api")
    assert result.outcome is NameIdOutcome.UNAVAILABLE


def test_a_15_digit_number_is_looked_up_by_its_18_digit_form(checks: IdentityChecks) -> None:
    """110105491231002 is the old form of 11010519491231002X."""
    _, result = checks.check_name("张三", "110105491231002", actor="t", channel="api")
    assert result.outcome is NameIdOutcome.CONSISTENT


def test_every_identity_setting_is_documented() -> None:
    from finguard.identity.provider import IdentitySettings

    doc = (Path(__file__).resolve().parents[1] / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in IdentitySettings.model_fields:
        assert f"FINGUARD_IDENTITY_{name.upper()}" in doc


def test_the_demo_registry_knows_its_three_people(engine: Engine) -> None:
    from finguard.identity.provider import IdentitySettings, make_identity

    demo = Path(__file__).resolve().parents[1] / "src" / "finguard" / "identity" / "data" / "demo_registry.csv"
    checks = make_identity(engine, IdentitySettings(registry_file=demo))
    _, result = checks.check_name("李四", "440305199003071236", actor="t", channel="api")
    assert result.outcome is NameIdOutcome.CONSISTENT
