"""Tables of the fund-flow ledger (#5), on the shared ``metadata``. Migrations 0004 and 0006 mirror them.

The trace reads ``transfer`` by its account strings through the two adjacency indexes,
``(src_account, at)`` for "what left this account after t" and ``(dst_account, at)`` for "what
arrived before t". The pattern monitors read only integers: ``src`` / ``dst`` (the accounts'
codes in ``ledger_account_code``), ``amount_fen`` (integer minor units) and ``ts`` (epoch seconds,
UTC, the floor of ``at``), all filled by ``ledger_repo.insert_transfers``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from finguard.core.tables import Id, UTCDateTime, metadata

transfer = Table(
    "transfer",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("external_id", String(128), nullable=False),
    Column("source", String(200), nullable=False),
    Column("src_account", String(128), nullable=False),
    Column("dst_account", String(128), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("channel", String(64), nullable=True),
    Column("memo", Text, nullable=True),
    Column("src_name", String(200), nullable=True),
    Column("dst_name", String(200), nullable=True),
    Column("dst_bank", String(200), nullable=True),
    Column("balance_after_fen", BigInteger, nullable=True),
    Column("label_laundering", Boolean, nullable=True),
    Column("typology", String(32), nullable=True),
    Column("src", Integer, nullable=False),
    Column("dst", Integer, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Index("ux_transfer_source_external", "source", "external_id", unique=True),
    Index("ix_transfer_src_at", "src_account", "at"),
    Index("ix_transfer_dst_at", "dst_account", "at"),
)

# One transfer seen from both sides (#12): when the other account's statement lists a transfer
# already stored, the transfer is not stored again; this row records that the statement saw it,
# under its own id (so importing that statement again finds it), with the balance it showed for
# its own account after the transfer (the 余额 the trace's opening balances read).
transfer_sighting = Table(
    "transfer_sighting",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("transfer_id", Id, ForeignKey("transfer.id"), nullable=False),
    Column("source", String(200), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("account", String(128), nullable=False),
    Column("balance_after_fen", BigInteger, nullable=True),
    Index("ux_transfer_sighting_source_external", "source", "external_id", unique=True),
    Index("ix_transfer_sighting_transfer", "transfer_id"),
    Index("ix_transfer_sighting_account", "account"),
)

ledger_account = Table(
    "ledger_account",
    metadata,
    Column("account", String(128), primary_key=True),
    Column("name", String(200), nullable=True),
    Column("bank", String(200), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("label_fraud", Boolean, nullable=True),
)

# An integer code per account string that appears in a transfer (the monitors' account index).
# Its own table, so a code never implies a ``ledger_account`` row the importer did not write.
ledger_account_code = Table(
    "ledger_account_code",
    metadata,
    Column("code", Integer, primary_key=True, autoincrement=True),
    Column("account", String(128), nullable=False),
    Index("ux_ledger_account_code_account", "account", unique=True),
)


# The account register (#13, migration 1330): settlement accounts opened, changed and closed, with
# what a PBOC account-management filing needs. One row per event; ``fingerprint`` (a hash of every
# field) makes recording the same event twice a no-op, so a file can be imported again.
ledger_account_event = Table(
    "ledger_account_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account", String(64), nullable=False),
    Column("event", String(8), nullable=False),
    Column("event_date", Date, nullable=False),
    Column("account_type", String(24), nullable=False),
    Column("holder_name", String(200), nullable=False),
    Column("id_type", String(24), nullable=False),
    Column("id_number", String(64), nullable=False),
    Column("branch_code", String(32), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("source", String(200), nullable=False),
    Index("ux_ledger_account_event", "fingerprint", unique=True),
    Index("ix_ledger_account_event_day", "event_date", "id"),
    Index("ix_ledger_account_event_account", "account", "id"),
)
