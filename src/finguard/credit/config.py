"""The credit capability's settings (environment prefix ``FINGUARD_CREDIT_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CreditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FINGUARD_CREDIT_", env_file=".env", extra="ignore")

    tax_feed_dir: Path = Field(
        default=Path("var/tax-feed"),
        description="Folder the file tax feed reads: <USCC>.json documents or the CSV tables (docs/credit-tax-data.md).",
    )
