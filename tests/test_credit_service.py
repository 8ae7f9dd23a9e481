"""Applications end to end on the real store (SQLite and PostgreSQL) with the file tax feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from finguard.core.errors import Conflict, InvalidInput, NotFound
from finguard.credit.model.decision import Application
from finguard.credit.model.synthetic import synthetic_portfolio
from finguard.credit.model.taxdata import record_to_doc
from finguard.credit.service import CreditService
from finguard.credit.service.governance import synthetic_set, train
from finguard.credit.store.files import FileTaxFeed, write_tables
from finguard.credit.store.repo import SqlCreditStore
from tests.credit_helpers import ask, good_record


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=5)
        return self.now


@pytest.fixture
def feed_dir(tmp_path):
    folder = tmp_path / "feed"
    folder.mkdir()
    rec = good_record()
    (folder / f"{rec.firm.uscc}.json").write_text(json.dumps(record_to_doc(rec), ensure_ascii=False))
    return folder


@pytest.fixture
def svc(engine: Engine, feed_dir) -> CreditService:
    return CreditService(SqlCreditStore(engine), FileTaxFeed(feed_dir), clock=Clock())


def test_an_application_goes_from_tax_data_to_a_stored_explained_decision(svc):
    rec = good_record()
    r = svc.apply(ask(rec), channel="test")
    assert r.outcome == "approve" and r.decision.line_fen == 100_000_00
    row = svc.get(r.application_id)
    assert row["outcome"] == "approve" and row["line_fen"] == 100_000_00 and row["firm_name"] == rec.firm.name
    assert [s["stage"] for s in row["stages"]] == ["received", "data_fetched", "scored", "decided"]
    assert row["policy_version"] == 1 and row["model_version"] == "tax-v1"
    assert row["tax_digest"] and row["tax_source"].endswith(".json")
    assert row["rate_min_bp"] <= row["rate_max_bp"]


def test_a_firm_the_feed_does_not_know_is_unavailable_never_approved(svc):
    r = svc.apply(Application("91110000600037341L", 100_000_00, 12, "x"))
    assert r.outcome == "unavailable" and "no record" in (r.problem or "")
    assert svc.get(r.application_id)["outcome"] == "unavailable"


def test_a_broken_feed_file_is_unavailable(svc, feed_dir):
    rec = good_record()
    (feed_dir / f"{rec.firm.uscc}.json").write_text("{not json")
    assert svc.apply(ask(rec)).outcome == "unavailable"


def test_bad_input_names_the_field_and_stores_nothing(svc):
    with pytest.raises(InvalidInput) as e:
        svc.apply(Application("123", 100, 12, "x"))
    assert e.value.problems[0].field == "uscc"
    assert svc.list() == []


def test_signed_then_disbursed_once_each(svc):
    r = svc.apply(ask(good_record()))
    with pytest.raises(Conflict):
        svc.advance(r.application_id, "disbursed", actor="staff")
    svc.advance(r.application_id, "signed", actor="staff")
    row = svc.advance(r.application_id, "disbursed", actor="staff")
    assert row["status"] == "disbursed" and [s["stage"] for s in row["stages"]][-2:] == ["signed", "disbursed"]
    with pytest.raises(Conflict):
        svc.advance(r.application_id, "signed", actor="staff")
    with pytest.raises(NotFound):
        svc.get(99999)


def test_policy_versions_are_kept_and_decisions_name_theirs(svc):
    rec = good_record()
    first = svc.apply(ask(rec))
    svc.set_policy({"product": {"cap_fen": 5_000_000}}, created_by="risk-officer")
    second = svc.apply(ask(rec))
    assert (svc.get(first.application_id)["policy_version"], svc.get(second.application_id)["policy_version"]) == (1, 2)
    assert second.decision.line_fen == 50_000_00 and "LIMIT_PRODUCT_CAP" in [x.code for x in second.decision.reasons]
    assert [p["version"] for p in svc.store.policy_history()] == [2, 1]
    with pytest.raises(InvalidInput):
        svc.set_policy({"product": {"cap_fen": "lots"}}, created_by="x")
    assert svc.policy().version == 2


def test_a_challenger_scores_in_shadow_and_can_be_promoted(svc):
    challenger = train(synthetic_set(2000, 21), version="tax-v2")
    svc.register_model(challenger, role="challenger", created_by="modeller")
    r = svc.apply(ask(good_record()))
    row = svc.get(r.application_id)
    assert row["model_version"] == "tax-v1" and row["challenger_version"] == "tax-v2" and row["challenger_score"] is not None
    with pytest.raises(Conflict):
        svc.register_model(challenger, role="challenger", created_by="modeller")
    svc.promote("tax-v2")
    roles = {m["version"]: m["role"] for m in svc.store.models()}
    assert roles == {"tax-v1": "retired", "tax-v2": "champion"}
    assert svc.apply(ask(good_record())).decision.model_version == "tax-v2"


def test_the_csv_feed_reads_the_tables(engine, tmp_path):
    firms = [f.record for f in synthetic_portfolio(5, seed=4)]
    write_tables(tmp_path / "csv", firms)
    svc = CreditService(SqlCreditStore(engine), FileTaxFeed(tmp_path / "csv"))
    r = svc.apply(Application(firms[2].firm.uscc, 50_000_00, 6, "备货"))
    assert r.outcome in {"approve", "refuse"} and r.decision is not None


def test_two_services_starting_together_share_the_first_policy_and_model(engine, feed_dir):
    a = CreditService(SqlCreditStore(engine), FileTaxFeed(feed_dir))
    b = CreditService(SqlCreditStore(engine), FileTaxFeed(feed_dir))
    assert a.policy().version == b.policy().version == 1
    assert a.champion().version == b.champion().version == "tax-v1"
    with pytest.raises(Conflict):
        SqlCreditStore(engine).add_model({"version": "tax-v1"}, role="challenger", created_by="x", at=datetime.now(UTC))
