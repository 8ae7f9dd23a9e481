"""Wiring of the credit capability: its settings (environment prefix ``FINGUARD_CREDIT_``) and
the service over the SQL store and the file tax feed."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from finguard.core.settings import Settings
from finguard.credit.service import CreditService, SigningFaceCheck
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


def make_credit(
    engine: Engine, settings: CreditSettings | None = None, *, home: Path | None = None, face_check: SigningFaceCheck | None = None
) -> CreditService:
    """The credit service over its SQL store and the file tax feed; ``face_check`` verifies signatories."""
    s = settings or CreditSettings()
    feed = s.tax_feed_dir or (home or Settings().home) / "tax-feed"
    return CreditService(
        SqlCreditStore(engine),
        FileTaxFeed(feed),
        alerts=SqlCreditAlerts(engine),
        face_check=face_check,
        face_at_signing=s.face_at_signing,
    )

