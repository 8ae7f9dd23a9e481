"""The bulk loader (#19): the same rows as an ordinary import, on SQLite and PostgreSQL.

On PostgreSQL the loader reserves ids from the tables' sequences and writes with COPY; a batch
below the COPY threshold goes through an INSERT. Either way an entry it adds blocks the next
check, names are indexed, the change log's hash chain verifies and carries on for ordinary
changes after it, and a key already on the list fails its batch whole.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from finguard.app.platform import Platform
from finguard.core.db import COPY_FROM
from finguard.core.errors import Conflict
from finguard.core.identifiers import IdType
from finguard.lists.model.check import CheckRequest, Outcome
from finguard.lists.model.lists import EntryDraft, Identifier, Party, SubjectKind
from finguard.lists.store.bulk import bulk_load
from finguard.lists.store.repo import verify_change_log
from finguard.lists.store.tables import change_log, entry_identifier, entry_name, list_entry


def account(i: int) -> str:
    return f"6222{i:012d}"


def draft(i: int) -> EntryDraft:
    party = Party(names=(f"Bulk Person {i}",)) if i % 3 == 0 else None
    subject = SubjectKind.PERSON if party else SubjectKind.IDENTIFIER
    return EntryDraft(f"acct:{i}", subject, (Identifier(IdType.ACCOUNT, account(i)),), party=party, reason="bulk test")


def test_bulk_load_writes_what_an_import_writes(platform: Platform) -> None:
    platform.lists.create_list("bulk-t", "Bulk test", "fraud_account", "test", "critical", "bulk loader test")
    n = 2 * COPY_FROM + 17  # two batches over the COPY threshold and one below it
    report = bulk_load(platform.engine, "bulk-t", (draft(i) for i in range(n)), "tester", batch=COPY_FROM + 1)
    assert report.added == n
    assert report.first_seq is not None and report.last_seq is not None and report.last_seq - report.first_seq == n - 1
    with platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(list_entry)).scalar_one() >= n
        assert conn.execute(select(func.count()).select_from(entry_identifier)).scalar_one() >= n
        names = conn.execute(select(entry_name.c.name).where(entry_name.c.name.like("Bulk Person %"))).scalars().all()
        assert len(names) == len(range(0, n, 3))
        seqs = conn.execute(select(change_log.c.seq).where(change_log.c.actor == "tester").order_by(change_log.c.seq)).scalars().all()
        assert seqs == list(range(report.first_seq, report.last_seq + 1))
    # the next check sees them (the follower reads the change log like any other change)
    platform.follower.catch_up()
    assert platform.checker.check(CheckRequest(account=account(n - 1))).outcome is Outcome.BLOCK
    assert platform.checker.check(CheckRequest(account=account(7))).outcome is Outcome.BLOCK
    # an ordinary change after the bulk load extends the same chain
    platform.lists.add_entry("bulk-t", draft(n + 5), actor="tester")
    assert verify_change_log(platform.engine).ok


def test_a_key_already_on_the_list_fails_its_batch_whole(platform: Platform) -> None:
    platform.lists.create_list("bulk-u", "Bulk test", "fraud_account", "test", "critical", "bulk loader test")
    bulk_load(platform.engine, "bulk-u", (draft(i) for i in range(5)), "tester")
    with platform.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(list_entry)).scalar_one()
    with pytest.raises(Conflict, match="already on the list"):
        bulk_load(platform.engine, "bulk-u", (draft(i) for i in range(3, 3 + COPY_FROM + 5)), "tester")
    with platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(list_entry)).scalar_one() == before
    assert verify_change_log(platform.engine).ok
