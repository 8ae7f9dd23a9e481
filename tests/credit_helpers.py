"""Small named tax records for the credit tests, built from the synthetic generator."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from finguard.credit.model.decision import Application, Outcome, decide
from finguard.credit.model.features import tax_facts
from finguard.credit.model.policy import Policy
from finguard.credit.model.synthetic import synthetic_firm
from finguard.credit.model.taxdata import TaxRecord
from finguard.credit.service import shipped_scorecard

AS_OF = date(2026, 6, 30)


def good_record() -> TaxRecord:
    """The first synthetic firm (seed 7) that the default policy approves for CNY 100,000."""
    sc, policy = shipped_scorecard(), Policy()
    for i in range(200):
        rec = synthetic_firm(7, i, AS_OF).record
        d = decide(ask(rec), rec, tax_facts(rec), sc, policy)
        if d.outcome is Outcome.APPROVE and not d.reasons:
            return rec
    raise AssertionError("no approvable firm in the first 200")


def ask(rec: TaxRecord, yuan: int = 100_000) -> Application:
    return Application(rec.firm.uscc, yuan * 100, 12, "购买原材料 raw materials")


def with_(rec: TaxRecord, **changes: object) -> TaxRecord:
    return replace(rec, **changes)  # type: ignore[arg-type]
