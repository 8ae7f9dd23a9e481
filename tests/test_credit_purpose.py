"""Loan purpose: the disbursed money traced through the ledger to securities, real estate, other
lenders, related parties or back to the borrower; an alert with the trace attached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from finguard.alerts.store import alert
from finguard.core.errors import InvalidInput
from finguard.credit.model.purpose import Category, PurposeParams, parse_category_map
from finguard.credit.service.monitors import PurposeCheck, monitor_loan_purpose
from finguard.credit.store.alerts import SqlCreditAlerts
from finguard.ledger.model import AccountDraft, AccountKind, TransferDraft
from finguard.ledger.provider import make_ledger
from finguard.ledger.service import ParsedTransfer

T0 = datetime(2026, 7, 1, 9, tzinfo=UTC)
NAMES = {"sec": "华泰证券客户资金专户", "estate": "某某置业有限公司", "supplier": "原料供应商", "bank": "本行放款账户"}


def load(engine, spec):
    """``src -> dst yuan @hour`` lines."""
    rows = []
    for i, line in enumerate(x for x in spec.strip().splitlines() if x.strip()):
        flow, hour = line.split("@")
        src, rest = flow.split("->")
        dst, amount = rest.split()
        src, dst = src.strip(), dst.strip()
        draft = TransferDraft(f"t{i}", src, dst, int(amount) * 100, "CNY", T0 + timedelta(hours=float(hour)))
        kind = {"sec": AccountKind.EXTERNAL, "estate": AccountKind.EXTERNAL, "supplier": AccountKind.MERCHANT}
        accounts = tuple(AccountDraft(a, kind.get(a, AccountKind.CUSTOMER), NAMES.get(a)) for a in (src, dst))
        rows.append(ParsedTransfer(i + 1, draft=draft, accounts=accounts))
    ledger = make_ledger(engine)
    ledger.import_rows("test", rows)
    return ledger


def check(**kw):
    return PurposeCheck(account="borrower", disbursed_at=T0, amount_fen=1_000_000_00, application_id=7, **kw)


def test_loan_money_into_securities_and_back_to_the_borrower_is_flagged_with_the_trace(engine):
    ledger = load(
        engine,
        """
        bank -> borrower 1000000 @0
        borrower -> supplier 300000 @1
        borrower -> sec 500000 @2
        borrower -> friend 200000 @3
        friend -> borrower 200000 @4
    """,
    )
    found, ids = monitor_loan_purpose(ledger, check(), SqlCreditAlerts(engine))
    assert found.amounts == {Category.SECURITIES: 500_000_00, Category.BORROWER: 200_000_00}
    assert [r.code for r in found.reasons] == ["PURPOSE_SECURITIES", "PURPOSE_BORROWER"]
    assert "50%" in found.reasons[0].en and "证券" in found.reasons[0].zh
    with engine.connect() as conn:
        row = conn.execute(select(alert)).mappings().one()
    assert row["id"] == ids[0] and row["subject"] == "credit_application:7" and row["kind"] == "credit_loan_purpose"
    assert {e["dst"] for e in row["details"]["trace"]["edges"]} == {"sec", "friend", "borrower"}
    assert monitor_loan_purpose(ledger, check(), SqlCreditAlerts(engine))[1] == []


def test_money_spent_on_the_business_is_not_flagged(engine):
    ledger = load(
        engine,
        """
        bank -> borrower 1000000 @0
        borrower -> supplier 900000 @1
        borrower -> staff 50000 @2
    """,
    )
    assert monitor_loan_purpose(ledger, check(), SqlCreditAlerts(engine)) == (None, [])


def test_related_parties_and_a_custom_mapping(engine):
    ledger = load(
        engine,
        """
        bank -> borrower 1000000 @0
        borrower -> cousin 400000 @1
        borrower -> acct-777 300000 @2
    """,
    )
    params = PurposeParams(categories=parse_category_map({"prefixes": {"acct-7": "real_estate"}}))
    found, _ = monitor_loan_purpose(ledger, check(related_accounts=frozenset({"cousin"})), SqlCreditAlerts(engine), params)
    assert found.amounts == {Category.RELATED_PARTY: 400_000_00, Category.REAL_ESTATE: 300_000_00}


def test_a_bad_mapping_names_the_entry():
    with pytest.raises(InvalidInput) as e:
        parse_category_map({"accounts": {"x": "casino"}})
    assert e.value.problems[0].field == "categories.accounts.x"


def test_a_disbursed_application_is_traced_from_its_account(engine, tmp_path, monkeypatch):
    import json as _json

    from typer.testing import CliRunner

    from finguard.credit.cli import app
    from finguard.credit.model.taxdata import record_to_doc
    from finguard.credit.service import CreditService
    from finguard.credit.store.files import FileTaxFeed
    from finguard.credit.store.repo import SqlCreditStore
    from tests.credit_helpers import ask, good_record

    rec = good_record()
    (tmp_path / f"{rec.firm.uscc}.json").write_text(_json.dumps(record_to_doc(rec), ensure_ascii=False))
    clock = [T0 - timedelta(hours=1)]
    svc = CreditService(SqlCreditStore(engine), FileTaxFeed(tmp_path), clock=lambda: clock[0])
    app_id = svc.apply(ask(rec, 1_000_000)).application_id
    svc.advance(app_id, "signed", actor="staff")
    with pytest.raises(InvalidInput):
        svc.advance(app_id, "signed", actor="staff", account="borrower")
    clock[0] = T0
    svc.advance(app_id, "disbursed", actor="staff", account="borrower")
    assert svc.disbursement(app_id)[0] == "borrower"
    load(
        engine,
        """
        bank -> borrower 1000000 @0
        borrower -> sec 600000 @2
    """,
    )
    monkeypatch.setenv("FINGUARD_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    r = CliRunner().invoke(app, ["purpose", "--application", str(app_id), "--json"])
    assert r.exit_code == 0, r.output
    assert _json.loads(r.output)["flags"] == ["PURPOSE_SECURITIES"]
