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


def test_two_loaders_at_once_keep_the_chain_whole_and_the_data_as_an_import_writes_it(platform: Platform) -> None:
    """Two bulk loaders on one list at the same time (the bench's two processes): the change
    log's sequence stays in commit order, its chain verifies, and every entry's stored data and
    change-log snapshot read back as the domain writes them."""
    import threading

    from finguard.lists.model.lists import draft_to_dict

    platform.lists.create_list("bulk-v", "Bulk test", "fraud_account", "test", "critical", "bulk loader test")
    n = 3 * COPY_FROM
    errors: list[BaseException] = []

    def load(start: int) -> None:
        try:
            bulk_load(platform.engine, "bulk-v", (draft(i) for i in range(start, start + n)), f"loader{start}", batch=COPY_FROM + 3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(start,)) for start in (0, 10_000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert verify_change_log(platform.engine).ok
    with platform.engine.connect() as conn:
        rows = conn.execute(
            select(list_entry.c.entry_key, list_entry.c.data, list_entry.c.created_seq).where(list_entry.c.entry_key.like("acct:%"))
        ).all()
        assert len(rows) == 2 * n
        by_key = {r.entry_key: r for r in rows}
        for i in (0, 3, n - 1, 10_000, 10_000 + n - 1):
            assert by_key[f"acct:{i}"].data == draft_to_dict(draft(i))
        logged = dict(conn.execute(select(change_log.c.seq, change_log.c.entry_key).where(change_log.c.list_code == "bulk-v")).all())
        assert {by_key[k].created_seq for k in by_key} == set(logged)
        assert all(logged[r.created_seq] == r.entry_key for r in rows)
    platform.follower.catch_up()
    assert platform.checker.check(CheckRequest(account=account(10_000 + n - 1))).outcome is Outcome.BLOCK


def test_a_failed_batch_stops_the_load_after_the_batches_before_it(platform: Platform) -> None:
    """The PostgreSQL loader writes batch k while it builds batch k + 1: a failing batch still
    leaves exactly the batches before it committed, none after it, and the chain whole."""
    platform.lists.create_list("bulk-w", "Bulk test", "fraud_account", "test", "critical", "bulk loader test")
    size = COPY_FROM + 2
    clash = size + 7  # a key in the second batch
    bulk_load(platform.engine, "bulk-w", [draft(clash)], "tester")
    seen: list[int] = []
    with pytest.raises(Conflict, match="already on the list"):
        bulk_load(platform.engine, "bulk-w", (draft(i) for i in range(4 * size)), "loader", batch=size, progress=seen.append)
    assert seen == [size]
    with platform.engine.connect() as conn:
        keys = set(conn.execute(select(change_log.c.entry_key).where(change_log.c.actor == "loader")).scalars())
    assert keys == {f"acct:{i}" for i in range(size)}
    assert verify_change_log(platform.engine).ok
