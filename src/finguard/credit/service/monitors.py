"""Credit monitors: over-financing across lenders, loan purpose over the ledger trace, approval
timeliness; each raises its findings as alerts in the shared alert store."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from finguard.alerts.model import AlertDraft
from finguard.core.errors import FinguardError
from finguard.credit.model.features import tax_facts
from finguard.credit.model.overfinance import Facility, Finding, OverFinanceParams, assess
from finguard.credit.model.purpose import PurposeFinding, PurposeParams, assess_trace
from finguard.credit.model.sla import Breach
from finguard.credit.service import AlertSink, TaxFeed
from finguard.ledger.model import Direction, Method, Trace, TraceParams

KIND_OVERFINANCING = "credit_overfinancing"


@dataclass(frozen=True, slots=True)
class OverFinanceRun:
    firms: int
    findings: tuple[Finding, ...]
    alert_ids: tuple[int, ...]
    unavailable: dict[str, str]  # uscc -> why its tax record could not be read


def finding_alert(f: Finding) -> AlertDraft:
    details = f.as_details()
    details["fingerprint"] = hashlib.sha256(
        f"{f.uscc}|{','.join(details['flags'])}|{f.wc_outstanding_fen}|{f.total_limit_fen}|{','.join(f.lenders)}".encode()
    ).hexdigest()[:32]
    severity = "high" if "OVER_FINANCED" in details["flags"] else "medium"
    return AlertDraft(KIND_OVERFINANCING, f"firm:{f.uscc}", severity, details["reason"]["en"], details)


def monitor_overfinancing(
    feed: TaxFeed, facilities: Sequence[Facility], sink: AlertSink, params: OverFinanceParams | None = None
) -> OverFinanceRun:
    """Assess every firm in the bureau file against its tax record; alerts for what is flagged."""
    p = params or OverFinanceParams()
    by_firm: dict[str, list[Facility]] = defaultdict(list)
    for x in facilities:
        by_firm[x.uscc].append(x)
    findings = []
    unavailable = {}
    for uscc, items in sorted(by_firm.items()):
        try:
            rec = feed.fetch(uscc)
        except FinguardError as exc:
            unavailable[uscc] = exc.message
            continue
        found = assess(tax_facts(rec), uscc, rec.firm.industry, items, p)
        if found is not None:
            findings.append(found)
    ids = sink.add_alerts([finding_alert(f) for f in findings])
    return OverFinanceRun(len(by_firm), tuple(findings), tuple(ids), unavailable)


KIND_SLA = "credit_sla_breach"


def sla_alerts(found: Sequence[Breach], sink: AlertSink) -> list[int]:
    """One alert per breach (application and stage); a breach already open is not repeated."""
    drafts = [
        AlertDraft(KIND_SLA, f"credit_application:{b.application_id}", "medium" if b.reached else "high", b.en,
                   {"application_id": b.application_id, "stage": b.stage, "due": b.due.isoformat(),
                    "reached": b.reached.isoformat() if b.reached else None, "late_seconds": b.late_by.total_seconds(),
                    "reason": {"zh": b.zh, "en": b.en}, "fingerprint": f"{b.application_id}:{b.stage}"})
        for b in found
    ]  # fmt: skip
    return sink.add_alerts(drafts)


KIND_PURPOSE = "credit_loan_purpose"


class Tracer(Protocol):
    def trace(self, params: TraceParams) -> Trace: ...


@dataclass(frozen=True, slots=True)
class PurposeCheck:
    """One disbursement to check: the borrower's account, the ledger transfer that paid the loan
    into it (the trace starts at the borrower's first payment after it), and the accounts the bank
    knows as the borrower's own or its related parties."""

    account: str
    disbursed_at: datetime
    amount_fen: int
    borrower_accounts: frozenset[str] = frozenset()
    related_accounts: frozenset[str] = frozenset()
    application_id: int | None = None
    horizon_days: float = 90.0
    hops: int = 6


def monitor_loan_purpose(
    ledger: Tracer, check: PurposeCheck, sink: AlertSink, params: PurposeParams | None = None
) -> tuple[PurposeFinding | None, list[int]]:
    """Trace the loan forward from the borrower's account; an alert (with the trace) when it went where it must not."""
    p = params or PurposeParams()
    trace = ledger.trace(TraceParams(account=check.account, direction=Direction.FORWARD, method=Method.FIFO, hops=check.hops,
                                     horizon_days=check.horizon_days, amount_fen=check.amount_fen, at=check.disbursed_at))  # fmt: skip
    found = assess_trace(trace, check.borrower_accounts | {check.account}, check.related_accounts, p)
    if found is None:
        return None, []
    details = found.as_details(trace)
    details["application_id"] = check.application_id
    details["fingerprint"] = hashlib.sha256(
        f"{check.account}|{check.disbursed_at.isoformat()}|{check.amount_fen}|{','.join(details['flags'])}".encode()
    ).hexdigest()[:32]
    subject = f"credit_application:{check.application_id}" if check.application_id is not None else f"account:{check.account}"
    draft = AlertDraft(KIND_PURPOSE, subject, "high", details["reason"]["en"], details)
    return found, sink.add_alerts([draft])
