"""The bulk loader (#19): the same rows as an ordinary import, on SQLite and PostgreSQL.

On PostgreSQL the loader reserves ids from the tables' sequences, formats every row as COPY text
itself (small batches too) and stores batch k in a writer thread while it builds batch k + 1.
On both stores an entry it adds blocks the next check, names are indexed, every field and the
change-log snapshot read back as an ordinary add writes them, the change log's hash chain
verifies and carries on for ordinary changes after it, and a failing batch (a key already on
the list, a naive time) leaves nothing of itself behind.
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
from finguard.lists.store.tables import change_log, entry_identifier, entry_name, list_entry, risk_list


def account(i: int) -> str:
    return f"6222{i:012d}"


def draft(i: int) -> EntryDraft:
    party = Party(names=(f"Bulk Person {i}",)) if i % 3 == 0 else None
    subject = SubjectKind.PERSON if party else SubjectKind.IDENTIFIER
    return EntryDraft(f"acct:{i}", subject, (Identifier(IdType.ACCOUNT, account(i)),), party=party, reason="bulk test")


def test_bulk_load_writes_what_an_import_writes(platform: Platform) -> None:
    platform.lists.create_list("bulk-t", "Bulk test", "fraud_account", "test", "critical", "bulk loader test")
    n = 2 * COPY_FROM + 17  # two full batches and a small one
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


def odd_draft(i: int) -> EntryDraft:
    """A draft whose text needs escaping in PostgreSQL's COPY text format (backslash, tab, newline,
    carriage return, quotes, a literal ``\\N`` and ``\\.``) and is not ASCII, with every field set."""
    from datetime import UTC, datetime, timedelta, timezone

    from finguard.lists.model.lists import RiskLevel

    east8 = timezone(timedelta(hours=8))
    return EntryDraft(
        f'odd:{i}\\N\t"q"\\.',
        SubjectKind.PERSON,
        (Identifier(IdType.ACCOUNT, account(900_000 + i)),),
        party=Party(
            names=(f'Zhang\tSan\\{i}\n第{i}号 "quoted"\r', f"張三 {i}"),
            birth_dates=("1980-01-02",),
            nationalities=("CN",),
            countries=("CN", "HK"),
            gender="m",
        ),
        risk_level=RiskLevel(2),
        reason="line one\nline two\\N\ttabbed \u2028 end",
        source="src\\path",
        evidence_ref="ref\r\n",
        listed_at=datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=east8),
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        extra={"note": "with\textra"} if i % 2 else {},
    )


def test_text_needing_escapes_reads_back_as_the_domain_writes_it(platform: Platform) -> None:
    """Every field of a bulk-loaded entry, and its change-log row, reads back as an ordinary add
    writes it, whatever characters its text holds (PostgreSQL: rows go in as COPY text the loader
    formats; drafts with ``extra`` data take the domain's serialisation)."""
    from finguard.lists.model.lists import draft_from_dict, draft_to_dict

    platform.lists.create_list("bulk-x", "Bulk test", "fraud_account", "test", "critical", "bulk loader test")
    platform.lists.create_list("bulk-y", "Bulk test", "fraud_account", "test", "critical", "bulk loader test")
    drafts = [odd_draft(i) for i in range(COPY_FROM + 4)]
    report = bulk_load(platform.engine, "bulk-x", drafts, "bulk\ttester\\", batch=COPY_FROM)
    assert report.added == len(drafts)
    platform.lists.add_entry("bulk-y", drafts[0], actor="tester")
    platform.lists.add_entry("bulk-y", drafts[1], actor="tester")
    assert verify_change_log(platform.engine).ok
    with platform.engine.connect() as conn:
        bulk_x = select(risk_list.c.id).where(risk_list.c.code == "bulk-x").scalar_subquery()
        stored = {r.entry_key: r for r in conn.execute(select(list_entry).where(list_entry.c.list_id == bulk_x)).all()}
        logs = {(r.list_code, r.entry_key): r for r in conn.execute(select(change_log).where(change_log.c.entry_key.like("odd:%"))).all()}
        names = set(conn.execute(select(entry_name.c.name).where(entry_name.c.entry_id.in_([r.id for r in stored.values()]))).scalars())
    assert len(stored) == len(drafts)
    for d in drafts:
        row = stored[d.key]
        assert row.data == draft_to_dict(d) and draft_from_dict(row.data) == d
        assert row.content_hash == d.content_hash()
        assert d.party is not None and row.primary_name == d.party.primary_name
        assert row.listed_at == d.listed_at and row.expires_at == d.expires_at
        assert (row.risk_level, row.version, row.updated_seq, row.delisted_at) == (2, 1, row.created_seq, None)
        log = logs[("bulk-x", d.key)]
        assert log.actor == "bulk\ttester\\" and log.seq == row.created_seq and log.entry_id == row.id
    for d in drafts[:2]:  # the snapshot an ordinary add writes
        assert logs[("bulk-x", d.key)].snapshot == logs[("bulk-y", d.key)].snapshot
    assert 'Zhang\tSan\\0\n第0号 "quoted"\r' in names and "張三 0" in names
    platform.follower.catch_up()
    assert platform.checker.check(CheckRequest(account=account(900_000 + 3))).outcome is Outcome.WARN  # risk level 2


def test_a_naive_time_fails_the_batch_and_stores_nothing_of_it(platform: Platform) -> None:
    from dataclasses import replace
    from datetime import datetime

    platform.lists.create_list("bulk-z", "Bulk test", "fraud_account", "test", "critical", "bulk loader test")
    bad = replace(draft(7), listed_at=datetime(2024, 1, 1))  # no time zone
    with pytest.raises(ValueError, match="naive"):
        bulk_load(platform.engine, "bulk-z", [draft(i) for i in range(5)] + [bad], "tester")
    with platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(change_log).where(change_log.c.list_code == "bulk-z")).scalar_one() == 0
    assert verify_change_log(platform.engine).ok


def test_a_large_apply_writes_what_one_change_at_a_time_writes(platform: Platform) -> None:
    """The importer's path (``ListService.apply``) with batches past ``COPY_FROM`` (PostgreSQL:
    ids and sequence numbers reserved, rows written with COPY): adds, then modifications and
    delistings in one apply, read back exactly as the same changes made one at a time on another
    list, and the chain and the next check agree."""
    from dataclasses import replace

    from finguard.lists.model.lists import ChangeOp
    from finguard.lists.service.lists import EntryOp

    big = platform.lists.create_list("imp-big", "Import test", "fraud_account", "test", "critical", "importer test")
    platform.lists.create_list("imp-one", "Import test", "fraud_account", "test", "critical", "importer test")
    drafts = [odd_draft(i) for i in range(COPY_FROM + 4)]
    added = platform.lists.apply(big, "imp\ttester\\", [EntryOp(ChangeOp.ADD, d.key, d) for d in drafts])
    assert [c.seq for c in added] == list(range(added[0].seq, added[0].seq + len(drafts)))
    for d in drafts:
        platform.lists.add_entry("imp-one", d, actor="imp\ttester\\")
    with platform.engine.connect() as conn:
        ids = {
            r.entry_key: r.id
            for r in conn.execute(
                select(list_entry.c.entry_key, list_entry.c.id).where(
                    list_entry.c.list_id == select(risk_list.c.id).where(risk_list.c.code == "imp-big").scalar_subquery()
                )
            )
        }
    changed = [replace(d, reason=f"changed {n}\t\\") for n, d in enumerate(drafts[: COPY_FROM // 2 + 1])]
    ops = [EntryOp(ChangeOp.MODIFY, d.key, d, entry_id=ids[d.key]) for d in changed]
    ops += [EntryOp(ChangeOp.DELIST, d.key, entry_id=ids[d.key], reason="gone\n") for d in drafts[-(COPY_FROM // 2 + 1) :]]
    later = platform.lists.apply(big, "imp\ttester\\", ops)
    assert [c.seq for c in later] == list(range(later[0].seq, later[0].seq + len(ops)))
    for op in ops:  # the same changes on the other list, one at a time
        one_id = platform.lists.store.entry_states("imp-one")[op.key][0]
        platform.lists.apply(platform.lists.get_list("imp-one"), "imp\ttester\\", [replace(op, entry_id=one_id)])
    assert verify_change_log(platform.engine).ok
    with platform.engine.connect() as conn:
        rows = {}
        for code in ("imp-big", "imp-one"):
            lid = select(risk_list.c.id).where(risk_list.c.code == code).scalar_subquery()
            rows[code] = {r.entry_key: r for r in conn.execute(select(list_entry).where(list_entry.c.list_id == lid))}
        logs = [
            (r.list_code, r.entry_key, r.op, r.snapshot, r.seq, r.entry_id)
            for r in conn.execute(select(change_log).where(change_log.c.list_code.in_(["imp-big", "imp-one"])).order_by(change_log.c.seq))
        ]
        postings = {
            code: sorted(
                (r.entry_key, r.id_value)
                for r in conn.execute(
                    select(list_entry.c.entry_key, entry_identifier.c.id_value)
                    .join(entry_identifier, entry_identifier.c.entry_id == list_entry.c.id)
                    .where(list_entry.c.list_id == select(risk_list.c.id).where(risk_list.c.code == code).scalar_subquery())
                )
            )
            for code in ("imp-big", "imp-one")
        }
    assert postings["imp-big"] == postings["imp-one"] and len(postings["imp-big"]) == len(drafts) - (COPY_FROM // 2 + 1)
    fields = ("data", "content_hash", "primary_name", "risk_level", "version", "listed_at", "expires_at", "delisted_at", "delist_reason")
    for key, big_row in rows["imp-big"].items():
        one_row = rows["imp-one"][key]
        assert {f: getattr(big_row, f) for f in fields if f != "delisted_at"} == {
            f: getattr(one_row, f) for f in fields if f != "delisted_at"
        }
        assert (big_row.delisted_at is None) == (one_row.delisted_at is None)
    big_logs = [x for x in logs if x[0] == "imp-big"]
    one_logs = {(x[1], x[2]): x for x in logs if x[0] == "imp-one"}
    for _code, key, op, snapshot, seq, entry_id in big_logs:
        other = one_logs[(key, op)][3]
        assert {k: v for k, v in snapshot.items() if k not in ("entry_id", "delisted_at")} == {
            k: v for k, v in other.items() if k not in ("entry_id", "delisted_at")
        }
        row = rows["imp-big"][key]
        assert row.id == entry_id and (op != "add" or row.created_seq == seq)
        if op != "add":
            assert row.updated_seq >= seq
    platform.follower.catch_up()
    assert platform.checker.check(CheckRequest(account=account(900_000 + 2))).outcome is Outcome.WARN  # modified, still listed
    assert platform.checker.check(CheckRequest(account=account(900_000 + len(drafts) - 1))).outcome is Outcome.PASS  # delisted
