"""Wiring of the credit capability: its settings (environment prefix ``FINGUARD_CREDIT_``) and
the service over the SQL store and the file tax feed."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from finguard.credit.service import CreditService
from finguard.credit.store.alerts import SqlCreditAlerts
from finguard.credit.store.files import FileTaxFeed
from finguard.credit.store.repo import SqlCreditStore


class CreditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FINGUARD_CREDIT_", env_file=".env", extra="ignore")

    tax_feed_dir: Path = Field(
        default=Path("var/tax-feed"),
        description="Folder the file tax feed reads: <USCC>.json documents or the CSV tables (docs/credit-tax-data.md).",
    )


def make_credit(engine: Engine, settings: CreditSettings | None = None) -> CreditService:
    """The credit service over its SQL store and the file tax feed."""
    s = settings or CreditSettings()
    return CreditService(SqlCreditStore(engine), FileTaxFeed(s.tax_feed_dir), alerts=SqlCreditAlerts(engine))

