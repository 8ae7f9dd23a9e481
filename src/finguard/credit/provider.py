"""Wiring of the credit capability: its settings (environment prefix ``FINGUARD_CREDIT_``) and
the service over the SQL store and the file tax feed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from finguard.alerts.model.cases import LOAN_APPROVAL_PREFIX, Case, CaseKind, loan_approval
from finguard.alerts.provider import make_cases
from finguard.alerts.service.cases import CaseService
from finguard.core.settings import Settings
from finguard.credit.service import ApprovalCase, ApprovalRequest, CreditService, SigningFaceCheck
from finguard.credit.store.alerts import SqlCreditAlerts
from finguard.credit.store.files import FileTaxFeed
from finguard.credit.store.repo import SqlCreditStore


class CreditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FINGUARD_CREDIT_", env_file=".env", extra="ignore")

    tax_feed_dir: Path | None = Field(
        default=None,
        description="Folder the file tax feed reads: <USCC>.json documents or the CSV tables (docs/credit-tax-data.md). "
        "Default: tax-feed in the data folder (FINGUARD_HOME), the same from any working folder.",
    )
    face_at_signing: bool = Field(
        default=False,
        description="Signing an approved application requires the signatory's 1:1 face check (photo on file + live capture); "
        "when the check cannot run, signing answers unavailable.",
    )


class CaseApprovals:
    """``ApprovalQueue`` over the case engine: a referred application is a ``loan_approval`` case
    (reference ``LA<id>``, one per application)."""

    def __init__(self, cases: Callable[[], CaseService]) -> None:
        self._cases = cases

    def open(self, request: ApprovalRequest) -> int:
        new = loan_approval(application_id=request.application_id, subject=request.subject, summary=request.summary,
                            severity=request.severity, details=request.details, created_at=request.referred_at,
                            due=request.due)  # fmt: skip
        case, _ = self._cases().open_once(new, "system")
        return case.id

    def find(self, application_id: int) -> ApprovalCase | None:
        case = self._cases().store.by_reference(f"{LOAN_APPROVAL_PREFIX}{application_id}")
        if case is None:
            return None
        return ApprovalCase(case.id, case.state.value, case.disposition, case.close_reason)


class ApprovalCloser:
    """The case engine's ``CloseHandler`` for ``loan_approval``: closing the case approves or
    refuses the application (the analyst, the reason, and the maker when two people decided)."""

    def __init__(self, credit: Callable[[], CreditService]) -> None:
        self._credit = credit

    @staticmethod
    def _app_id(case: Case) -> int:
        return int(case.details["application_id"])

    def check(self, case: Case, disposition: str) -> None:
        self._credit().check_approval(self._app_id(case))

    def closed(self, case: Case, actor: str, proposed_by: str | None) -> None:
        self._credit().settle_approval(self._app_id(case), approved=case.disposition == "approved", actor=actor,
                                       reason=case.close_reason or "", proposed_by=proposed_by, case_id=case.id)  # fmt: skip


def register_approvals(cases: CaseService, credit: Callable[[], CreditService]) -> None:
    """Let ``cases`` write loan-approval outcomes back to credit (alerts never imports credit)."""
    cases.on_close(CaseKind.LOAN_APPROVAL, ApprovalCloser(credit))


def make_credit(
    engine: Engine,
    settings: CreditSettings | None = None,
    *,
    home: Path | None = None,
    face_check: SigningFaceCheck | None = None,
    cases: Callable[[], CaseService] | None = None,
) -> CreditService:
    """The credit service over its SQL store and the file tax feed; ``face_check`` verifies
    signatories; referred applications become cases in ``cases`` (default: a case service of its
    own over the same database, with the write-back registered)."""
    s = settings or CreditSettings()
    feed = s.tax_feed_dir or (home or Settings().home) / "tax-feed"
    if cases is None:
        own = make_cases(engine)
        cases = lambda: own  # noqa: E731
        own_cases: CaseService | None = own
    else:
        own_cases = None
    svc = CreditService(
        SqlCreditStore(engine),
        FileTaxFeed(feed),
        alerts=SqlCreditAlerts(engine),
        face_check=face_check,
        face_at_signing=s.face_at_signing,
        approvals=CaseApprovals(cases),
    )
    if own_cases is not None:
        register_approvals(own_cases, lambda: svc)
    return svc

