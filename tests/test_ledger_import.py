"""Ledger importers (#5): AMLSim, AMLworld patterns, PaySim, Chinese bank statements.

Each format: good rows land, bad rows are named by line and field, a bad row rejects the whole
file unless bad rows are skipped, and the same file twice adds nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finguard.core.errors import ImportRejected, InvalidInput
from finguard.ledger.model import AccountKind, TransferDraft, parse_amount_fen
from finguard.ledger.provider import make_ledger
from finguard.ledger.service import LedgerService, import_transfers
from finguard.ledger.service.importers import ImportOptions, read_transfers, statement_draft
from finguard.ledger.store.repo import transfers_frame

OWN = "6222020200112233445"
STATEMENT = """交易时间,交易金额,借贷标志,对方账号,对方户名,对方行名,余额,摘要
2024-03-01 09:00:00,"3,000.00",贷,11050101040000001,某某区社保中心,中国建设银行,"5,200.00",养老金
2024-03-15 10:23:45,4000.00,借,,财付通-微信零钱,,"1,200.00",财付通-微信零钱充值
2024-03-16 08:00:00,200.00,D,,,,"1,000.00",ATM取款
2024-03-17 12:00:00,35.50,借,8801234,美团,,964.50,消费
"""


@pytest.fixture
def ledger(engine: object) -> LedgerService:
    return make_ledger(engine)  # type: ignore[arg-type]


def run(ledger: LedgerService, fmt: str, path: Path, skip: bool = False, **options: object):  # type: ignore[no-untyped-def]
    source, rows = read_transfers(fmt, path, ImportOptions(**options))  # type: ignore[arg-type]
    return ledger.import_rows(source, rows, skip_bad_rows=skip)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_statement_import_kinds_directions_and_idempotence(ledger: LedgerService, tmp_path: Path) -> None:
    path = write(tmp_path, "stmt.csv", STATEMENT)
    report = run(ledger, "statement", path, account=OWN)
    assert (report.rows, report.inserted, report.duplicates) == (4, 4, 0)
    out = ledger.account_transfers(OWN, "out")
    assert [(t.dst, t.amount_fen) for t in out] == [("wallet:财付通-微信零钱", 400000), ("cash:ATM取款", 20000), ("8801234", 3550)]
    assert out[0].draft.balance_after_fen == 120000 and out[0].at.hour == 2  # 10:23 China time is 02:23 UTC
    incoming = ledger.account_transfers(OWN, "in")
    assert incoming[0].src == "11050101040000001" and incoming[0].draft.src_name == "某某区社保中心"
    kinds = ledger.store.accounts(["wallet:财付通-微信零钱", "cash:ATM取款", "8801234", OWN])
    assert [kinds[a].kind for a in ("wallet:财付通-微信零钱", "cash:ATM取款", "8801234", OWN)] == [
        AccountKind.WALLET,
        AccountKind.CASH,
        AccountKind.MERCHANT,
        AccountKind.CUSTOMER,
    ]
    again = run(ledger, "statement", path, account=OWN)
    assert (again.inserted, again.duplicates) == (0, 4)


def test_statement_bad_rows_reject_everything_or_are_skipped(ledger: LedgerService, tmp_path: Path) -> None:
    text = STATEMENT + (
        "2024-03-18 10:00:00,-50.00,借,1,x,,1,转账\n"  # line 6: negative
        "2024-03-18 11:00:00,0,借,1,x,,1,转账\n"  # line 7: zero
        "2024-03-18 12:00:00,1.005,借,1,x,,1,转账\n"  # line 8: three decimals
        "2024-13-45 12:00:00,1.00,借,1,x,,1,转账\n"  # line 9: no such date
        "2024-03-18 13:00:00,1.00,进,1,x,,1,转账\n"  # line 10: unknown flag
        "2024-03-18 14:00:00,1.00,借,,,,1,\n"  # line 11: no counterparty at all
    )
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(ImportRejected) as err:
        run(ledger, "statement", path, account=OWN)
    assert [(p.line, p.field) for p in err.value.problems] == [
        (6, "交易金额"),
        (7, "交易金额"),
        (8, "交易金额"),
        (9, "交易时间"),
        (10, "借贷标志"),
        (11, "对方账号"),
    ]
    assert "greater than zero" in err.value.problems[1].problem
    assert ledger.account_transfers(OWN, "out") == []  # nothing was written
    report = run(ledger, "statement", path, skip=True, account=OWN)
    assert report.inserted == 4 and len(report.rejected) == 6


def test_statement_currency_mismatch_gbk_and_header(ledger: LedgerService, tmp_path: Path) -> None:
    text = "交易时间,交易金额,借贷标志,对方账号,币种\n2024-03-01 09:00,10.00,借,123,人民币\n2024-03-01 10:00,10.00,借,123,美元\n"
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(ImportRejected) as err:
        run(ledger, "statement", path, account=OWN)
    assert err.value.problems[0].line == 3 and "currency mismatch" in err.value.problems[0].problem
    missing = write(tmp_path, "h.csv", "时间,备注\n2024-03-01,1\n")
    with pytest.raises(InvalidInput, match="no known statement layout"):
        run(ledger, "statement", missing, account=OWN)
    with pytest.raises(InvalidInput, match="account"):
        run(ledger, "statement", path)


def test_amlsim_with_nodes(ledger: LedgerService, engine: object, tmp_path: Path) -> None:
    write(tmp_path, "nodes.csv", "nodeid,isFraud,init_balance,fraudStep\n0,0,1.0,-1\n1,1,1.0,3\n2,0,1.0,-1\n")
    tx = write(tmp_path, "transactions.csv", "sourceNodeId,targetNodeId,value,time\n0,1,163.3,1\n1,2,100,2\n2,2,5,3\n")
    report = run(ledger, "amlsim", tmp_path)
    assert (report.inserted, report.self_transfers) == (2, 1)
    t = ledger.account_transfers("amlsim:0", "out")[0]
    assert t.amount_fen == 16330 and t.at.isoformat() == "2020-01-02T00:00:00+00:00"
    assert ledger.store.accounts(["amlsim:1"])["amlsim:1"].label_fraud is True
    frame = transfers_frame(engine)  # type: ignore[arg-type]
    assert frame["amount_fen"].tolist() == [16330, 10000]
    assert frame["ts"].tolist() == [1577923200, 1578009600]
    assert [frame["accounts"][c] for c in frame["src"]] == ["amlsim:0", "amlsim:1"]
    assert frame["src"].dtype.name == "int32" and frame["ts"].dtype.name == "int64"
    write(tmp_path, "transactions.csv", "sourceNodeId,targetNodeId,value,time\n0,9,1,1\n0,1,abc,1\n0,1,1,-2\n")
    with pytest.raises(ImportRejected) as err:
        run(ledger, "amlsim", tx)
    assert [(p.line, p.field) for p in err.value.problems] == [(2, "targetNodeId"), (3, "value"), (4, "time")]


def batched(ledger: LedgerService, fmt: str, path: Path, batch: int, skip: bool = False, **options: object):  # type: ignore[no-untyped-def]
    source, rows = read_transfers(fmt, path, ImportOptions(**options))  # type: ignore[arg-type]
    return import_transfers(ledger.store, source, rows, skip_bad_rows=skip, batch=batch)


def test_a_file_is_written_in_batches_of_one_transaction(ledger: LedgerService, engine: object, tmp_path: Path) -> None:
    """Batches of two rows: the accounts learnt across batches merge (a label in nodes.csv, a
    kind), and a bad row after batches were written rolls all of them back."""
    write(tmp_path, "nodes.csv", "nodeid,isFraud,init_balance,fraudStep\n0,0,1.0,-1\n1,1,1.0,3\n2,0,1.0,-1\n3,0,1,-1\n")
    good = "".join(f"{i % 4},{(i + 1) % 4},{i + 1}.5,{i}\n" for i in range(9))
    bad = write(tmp_path, "transactions.csv", "sourceNodeId,targetNodeId,value,time\n" + good + "0,1,x,9\n1,0,-1,9\n")
    with pytest.raises(ImportRejected) as err:
        batched(ledger, "amlsim", bad, 2)
    assert [(p.line, p.field) for p in err.value.problems] == [(11, "value"), (12, "value")]
    assert len(transfers_frame(engine)["id"]) == 0 and ledger.store.accounts(["amlsim:0", "amlsim:1"]) == {}  # type: ignore[arg-type]

    write(tmp_path, "transactions.csv", "sourceNodeId,targetNodeId,value,time\n" + good + "3,3,1,9\n")
    report = batched(ledger, "amlsim", tmp_path, 2)
    assert (report.rows, report.inserted, report.self_transfers, report.accounts) == (14, 9, 1, 4)
    frame = transfers_frame(engine)  # type: ignore[arg-type]
    assert frame["amount_fen"].tolist() == [i * 100 + 150 for i in range(9)]
    assert ledger.store.accounts(["amlsim:1"])["amlsim:1"].label_fraud is True
    again = batched(ledger, "amlsim", tmp_path, 3)
    assert (again.inserted, again.duplicates) == (0, 9)

    skipped = write(tmp_path, "skip.csv", "sourceNodeId,targetNodeId,value,time\n0,2,1,20\n0,1,x,21\n2,0,2,22\n1,2,3,23\n")
    report = batched(ledger, "amlsim", skipped, 1, skip=True)
    assert (report.inserted, [p.line for p in report.rejected]) == (3, [3])
    with pytest.raises(InvalidInput, match="batch"):
        batched(ledger, "amlsim", skipped, 0)


def test_amlworld_patterns_shared_file(ledger: LedgerService, shared_data: Path) -> None:
    path = shared_data / "aml" / "amlworld-hi-small-patterns.json"
    if not path.exists():
        pytest.fail(f"{path} is missing (tests/data/PROVENANCE.md)")
    report = run(ledger, "amlworld", path)
    assert report.rows == 3209 and report.inserted + report.self_transfers == 3209 and report.self_transfers == 11
    first = ledger.account_transfers("800737690", "out", limit=1)[0]
    assert first.draft.external_id.startswith("w20220901000600.") and first.draft.typology == "fan_out" and first.draft.label_laundering
    assert first.draft.memo == "AMLworld attempt 0: FAN-OUT:  Max 16-degree Fan-Out"
    assert first.draft.currency == "EUR" and first.amount_fen == 284896


def test_amlworld_bad_transfers(ledger: LedgerService, tmp_path: Path) -> None:
    tx = {
        "timestamp": "2022/09/01 00:06",
        "from_bank": "1",
        "from_account": "A",
        "to_bank": "2",
        "to_account": "B",
        "amount_paid": 10.5,
        "payment_currency": "Euro",
        "amount_received": 10.5,
        "receiving_currency": "Euro",
        "payment_format": "ACH",
        "is_laundering": 1,
    }
    patterns = [
        {"pattern_type": "CYCLE:  Max 2 hops", "transactions": [tx, {**tx, "receiving_currency": "Yen"}, {**tx, "amount_paid": 0.001}]}
    ]
    path = write(tmp_path, "p.json", json.dumps({"patterns": patterns}))
    with pytest.raises(ImportRejected) as err:
        run(ledger, "amlworld", path)
    assert [(p.line, p.field) for p in err.value.problems] == [
        (2, "patterns[0].transactions[1].receiving_currency"),
        (3, "patterns[0].transactions[2].amount_paid"),
    ]
    write(tmp_path, "p.json", "{not json")
    with pytest.raises(ImportRejected, match="not valid JSON"):
        run(ledger, "amlworld", path)


def test_paysim_kinds_and_direction(ledger: LedgerService, tmp_path: Path) -> None:
    head = "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud\n"
    rows = (
        "1,PAYMENT,9.99,C1,100,90.01,M1,0,0,0,0\n"
        "2,CASH_OUT,50,C1,90.01,40.01,C9,0,50,1.0,0\n"
        "3,CASH_IN,20,C1,40.01,60.01,C8,500,480,0,0\n"
        "4,TRANSFER,5,C1,60.01,55.01,C2,0,5,0,0\n"
        "5,BOGUS,5,C1,0,0,C2,0,5,0,0\n"
    )
    path = write(tmp_path, "paysim.csv", head + rows)
    report = run(ledger, "paysim", path, skip=True)
    assert report.inserted == 4 and [(p.line, p.field) for p in report.rejected] == [(6, "type")]
    kinds = ledger.store.accounts(["M1", "C9", "C8", "C2"])
    assert [kinds[a].kind.value for a in ("M1", "C9", "C8", "C2")] == ["merchant", "cash", "cash", "customer"]
    cash_in = ledger.account_transfers("C1", "in")[0]
    assert cash_in.src == "C8" and cash_in.amount_fen == 2000
    assert ledger.account_transfers("C9", "in")[0].draft.label_laundering is True


def test_unknown_format_and_missing_file(ledger: LedgerService, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown format"):
        read_transfers("excel", tmp_path, ImportOptions())
    with pytest.raises(InvalidInput, match="does not exist"):
        read_transfers("paysim", tmp_path / "none.csv", ImportOptions())


def test_amounts_are_integers_never_floats() -> None:
    assert parse_amount_fen("4,000.00") == 400000
    assert parse_amount_fen("0.370287", currency="XBT") == 37028700
    for bad in ("0", "-1", "1.001", "1e400", "nan", "abc", "", None, True, 0.370287):
        with pytest.raises(InvalidInput):
            parse_amount_fen(bad)
    with pytest.raises(InvalidInput):
        TransferDraft("x", "a", "b", 1.5, "CNY", __import__("datetime").datetime.now(__import__("datetime").UTC))  # type: ignore[arg-type]


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
COLUMNS = ("交易时间", "交易金额", "借贷标志", "对方账号", "对方户名", "对方行名", "余额", "摘要", "币种", "流水号")


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(COLUMNS), st.one_of(TEXT, st.sampled_from(["2024-03-15 10:00", "借", "贷", "1.00", "-1", "微信"]))),
)
def test_statement_row_parser_never_crashes(record: dict[str, str]) -> None:
    try:
        row = statement_draft(record, ImportOptions(account=OWN), {})
    except InvalidInput:
        return
    assert row.draft is not None and row.draft.amount_fen > 0


def test_a_bulk_import_refreshes_the_planners_statistics_as_the_table_grows(engine: object) -> None:
    """PostgreSQL: the lookups of a large import use the index because the import refreshes the
    transfer table's statistics as it fills it (ANALYZE sees the transaction's own rows); on
    SQLite nothing is needed and nothing is run. Either way every row is stored once."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from finguard.core.db import ANALYZE_AFTER, begin_write, is_sqlite
    from finguard.ledger.store.repo import insert_transfers

    start = datetime(2026, 1, 1, tzinfo=UTC)
    n = ANALYZE_AFTER + 1_500
    drafts = [TransferDraft(f"t{i}", f"A{i % 97}", f"B{i % 89}", 100 + i, "CNY", start + timedelta(seconds=i)) for i in range(n)]
    with begin_write(engine) as conn:  # type: ignore[arg-type]
        result = insert_transfers(conn, "bulk", drafts, [])
        assert result.inserted == n
        again = insert_transfers(conn, "bulk", drafts[:10], [])  # looked up, found, not stored twice
        assert (again.inserted, again.duplicates) == (0, 10)
        if not is_sqlite(conn):
            tuples = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'transfer'::regclass")).scalar_one()
            assert tuples >= ANALYZE_AFTER


def test_a_bulk_insert_stores_every_value_as_given_on_both_stores(engine: object) -> None:
    """Many rows go in through PostgreSQL's COPY (an INSERT on SQLite): what is read back is what
    went in, awkward text (tabs, newlines, backslashes, quotes, NUL-free unicode), missing values,
    booleans and times given in another zone included."""
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import select

    from finguard.core.db import COPY_FROM, begin_write
    from finguard.ledger.store.repo import _to_transfer, insert_transfers
    from finguard.ledger.store.tables import transfer

    china = timezone(timedelta(hours=8))
    start = datetime(2026, 3, 1, 9, 30, tzinfo=china)
    memo = 'line one\tcol\nline two \\N \\ "quoted" 转账 €'
    drafts = [
        TransferDraft(
            f"c{i}", f"A{i % 7}", f"B{i % 5}", 1 + i, "CNY", start + timedelta(minutes=i),
            memo=memo if i % 2 else None, label_laundering=(True if i % 3 == 0 else None), balance_after_fen=(None if i % 4 else -5),
        )
        for i in range(COPY_FROM + 10)
    ]
    with begin_write(engine) as conn:  # type: ignore[arg-type]
        assert insert_transfers(conn, "copy", drafts, []).inserted == len(drafts)
    with engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(select(transfer).where(transfer.c.source == "copy"))
        stored = {t.draft.external_id: t.draft for t in map(_to_transfer, rows)}
    assert len(stored) == len(drafts)
    for i in (0, 1, 3, COPY_FROM + 9):
        got = stored[f"c{i}"]
        assert got.at == (start + timedelta(minutes=i)).astimezone(UTC)
        assert got.memo == (memo if i % 2 else None)
        assert got.label_laundering == (True if i % 3 == 0 else None)
        assert got.balance_after_fen == (None if i % 4 else -5)
        assert got.amount_fen == 1 + i
