"""Credit monitors: over-financing across lenders, raised as alerts in the shared alert store."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from finguard.alerts.model import AlertDraft
from finguard.core.errors import FinguardError
from finguard.credit.model.features import tax_facts
from finguard.credit.model.overfinance import Facility, Finding, OverFinanceParams, assess
from finguard.credit.model.sla import Breach
from finguard.credit.service import TaxFeed

KIND_OVERFINANCING = "credit_overfinancing"


class AlertSink(Protocol):
    def add_alerts(self, drafts: Sequence[AlertDraft]) -> list[int]:
        """Store the drafts not already open (same kind, subject and fingerprint); their new ids."""
        ...


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
