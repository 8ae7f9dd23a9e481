"""The AMLworld transactions CSV importer (#5).

Fixtures are written inline in the CSV format (``Timestamp,From Bank,Account,To Bank,Account,...``);
the realistic one is the shared HI-Small laundering attempts (the patterns JSON) written out as
transaction rows, so the two importers can be compared on one data set.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from finguard.app.cli import app as cli_app
from finguard.core.errors import ImportRejected
from finguard.ledger.provider import make_ledger
from finguard.ledger.service import LedgerImportReport, LedgerService
from finguard.ledger.service.importers import AMLWORLD_CURRENCIES, AmlworldRows, ImportOptions, parse_amlworld_csv, read_transfers
from finguard.ledger.store.tables import ledger_account, transfer

HEAD = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,"
    "Is Laundering\n"
)
ROWS = (
    "2022/09/01 00:20,010,8000EBD30,010,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,Reinvestment,0\n"  # 2: self-transfer
    "2022/09/01 00:20,03208,8000F4580,001,8000F5340,0.01,US Dollar,0.01,US Dollar,Cheque,0\n"  # 3
    "2022/09/01 00:20,03208,8000F4580,001,8000F5340,0.01,US Dollar,0.01,US Dollar,Cheque,0\n"  # 4: exact duplicate of 3
    "2022/09/01 00:21,3208,8000F4580,1,8000F5340,10.00,Euro,11.50,US Dollar,Wire,1\n"  # 5: paid USD, received EUR
    "2022/09/01 00:22,70,800A1B2C0,12,8000F5340,0.370287,Bitcoin,0.370287,Bitcoin,Bitcoin,1\n"  # 6
)


@pytest.fixture
def ledger(engine: Engine) -> LedgerService:
    return make_ledger(engine)


def run(ledger: LedgerService, path: Path, fmt: str = "amlworld-csv", skip: bool = False) -> LedgerImportReport:
    source, rows = read_transfers(fmt, path, ImportOptions())
    return ledger.import_rows(source, rows, skip_bad_rows=skip)


def write(tmp_path: Path, text: str, name: str = "trans.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_become_transfers_duplicates_stay_and_reimport_adds_nothing(ledger: LedgerService, tmp_path: Path) -> None:
    """Row 2 pays itself (counted, not stored); rows 3 and 4 are the same row twice: two transfers."""
    report = run(ledger, write(tmp_path, HEAD + ROWS))
    assert (report.source, report.rows, report.inserted, report.self_transfers, report.accounts) == ("amlworld", 5, 4, 1, 4)
    out = ledger.account_transfers("8000F4580", "out")
    assert [(t.amount_fen, t.draft.currency, t.draft.channel) for t in out] == [
        (1, "USD", "Cheque"),
        (1, "USD", "Cheque"),
        (1150, "USD", "Wire"),
    ]
    first, second, exchange = out
    assert first.draft.external_id.endswith(".1") and second.draft.external_id.endswith(".2")
    assert first.draft.external_id[:-2] == second.draft.external_id[:-2]
    assert exchange.draft.memo == "received 10.00 EUR" and exchange.draft.label_laundering is True
    assert first.draft.memo is None and first.draft.label_laundering is False
    assert first.draft.dst_bank == "1" and first.at.isoformat() == "2022-09-01T00:20:00+00:00"
    bitcoin = ledger.account_transfers("800A1B2C0", "out")[0]
    assert (bitcoin.amount_fen, bitcoin.draft.currency, bitcoin.draft.dst_bank) == (37028700, "XBT", "12")
    banks = ledger.store.accounts(["8000EBD30", "8000F4580", "8000F5340"])
    assert [banks[a].bank for a in ("8000EBD30", "8000F4580", "8000F5340")] == ["10", "3208", "1"]

    again = run(ledger, write(tmp_path, HEAD + ROWS))
    assert (again.inserted, again.duplicates) == (0, 4)
    # A copy with pandas' header, unpadded banks and CRLF line ends names the same transfers.
    unpadded = HEAD.replace("Account,Amount", "Account.1,Amount") + ROWS.replace(",010,", ",10,").replace(",03208,", ",3208,")
    copy = run(ledger, write(tmp_path, unpadded.replace(",001,", ",1,").replace("\n", "\r\n"), "copy.csv"))
    assert (copy.inserted, copy.duplicates) == (0, 4)


def test_bad_rows_name_column_and_line_and_reject_the_file(ledger: LedgerService, tmp_path: Path) -> None:
    good = "2022/09/01 00:20,1,A1,2,B1,5.00,Euro,5.00,Euro,ACH,0"
    bad = [
        ("2022-09-01 00:20,1,A1,2,B1,5.00,Euro,5.00,Euro,ACH,0", "Timestamp"),  # line 3
        ("2022/09/01 00:20,1,A1,2,B1,5.00,Euro,-5.00,Euro,ACH,0", "Amount Paid"),
        ("2022/09/01 00:20,1,A1,2,B1,5.00,Euro,0,Euro,ACH,0", "Amount Paid"),
        ("2022/09/01 00:20,1,A1,2,B1,five,Euro,5.00,Euro,ACH,0", "Amount Received"),
        ("2022/09/01 00:20,1,A1,2,B1,5.00,Euro,5.00,Peso,ACH,0", "Payment Currency"),
        ("2022/09/01 00:20,1,A1,2,B1,5.00,Dinar,5.00,Euro,ACH,0", "Receiving Currency"),
        ("2022/09/01 00:20,1,A1,2,B1,5.00,Euro,5.00,Euro,ACH,yes", "Is Laundering"),
        ("2022/09/01 00:20,1,A1,2,B1,5.00,Euro,5.00,Euro,ACH,", "Is Laundering"),
        ("2022/09/01 00:20,1, ,2,B1,5.00,Euro,5.00,Euro,ACH,0", "Account"),
        ("2022/09/01 00:20,1,A1,2,,5.00,Euro,5.00,Euro,ACH,0", "Account.1"),
        ("2022/09/01 00:20,1,A1,2,B1,5.00,Euro,5.00,Euro,ACH,0,extra", "row"),
        ("2022/09/01 00:20,1,A1,2,B1,5.00,Euro,5.00", "row"),  # line 14
    ]
    path = write(tmp_path, HEAD + good + "\n" + "\n".join(row for row, _ in bad) + "\n")
    with pytest.raises(ImportRejected) as err:
        run(ledger, path)
    assert [(p.line, p.field) for p in err.value.problems] == [(line, field) for line, (_, field) in enumerate(bad, start=3)]
    problems = {p.line: p.problem for p in err.value.problems}
    assert "negative" in problems[4] and "greater than zero" in problems[5]
    assert "unknown currency 'Peso'" in problems[7] and "not 0 or 1" in problems[9] and "12 fields" in problems[13]
    assert ledger.account_transfers("A1", "out") == []  # nothing was written
    report = run(ledger, path, skip=True)
    assert report.inserted == 1 and len(report.rejected) == len(bad)


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (HEAD.replace(",Is Laundering", ""), "misses column(s) Is Laundering"),
        (HEAD.replace("Is Laundering", "Is Laundering,Note"), "has unexpected column(s) Note"),
        (HEAD.replace("Bank,Account", "Bank,Acct"), "misses column(s) Account, Account"),
        (HEAD.replace("Amount Received,Receiving Currency", "Receiving Currency,Amount Received"), "wrong order"),
        ("", "empty"),
    ],
)
def test_header_problems(ledger: LedgerService, tmp_path: Path, header: str, says: str) -> None:
    with pytest.raises(ImportRejected) as err:
        run(ledger, write(tmp_path, header + ROWS if header else ""))
    assert err.value.problems[0].field == "header" and err.value.problems[0].line == 1
    assert says in err.value.problems[0].problem


def pattern_rows(patterns_json: Path) -> list[list[str]]:
    """The shared HI-Small laundering transfers as AMLworld transaction rows (banks as the JSON pads them)."""
    data = json.loads(patterns_json.read_text(encoding="utf-8"))
    names = {code: name for name, code in AMLWORLD_CURRENCIES.items()}
    rows = []
    for attempt in data["patterns"]:
        for t in attempt["transactions"]:
            assert names[AMLWORLD_CURRENCIES[t["payment_currency"]]] == t["payment_currency"]
            rows.append(
                [
                    t["timestamp"],
                    t["from_bank"],
                    t["from_account"],
                    t["to_bank"],
                    t["to_account"],
                    repr(t["amount_received"]),
                    t["receiving_currency"],
                    repr(t["amount_paid"]),
                    t["payment_currency"],
                    t["payment_format"],
                    str(t["is_laundering"]),
                ]
            )
    return rows


@pytest.fixture
def patterns(shared_data: Path) -> Path:
    path = shared_data / "aml" / "amlworld-hi-small-patterns.json"
    if not path.exists():
        pytest.fail(f"{path} is missing (tests/data/PROVENANCE.md)")
    return path


def patterns_as_csv(patterns: Path, tmp_path: Path) -> Path:
    """The attempts' transactions as rows of the transactions CSV, in time order."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEAD.strip().split(","))
    writer.writerows(sorted(pattern_rows(patterns), key=lambda r: r[0]))
    return write(tmp_path, buf.getvalue())


def test_the_hi_small_attempts_as_csv_meet_the_patterns_import_on_the_same_accounts(
    ledger: LedgerService, engine: Engine, patterns: Path, tmp_path: Path
) -> None:
    report = run(ledger, patterns_as_csv(patterns, tmp_path))
    assert report.rows == 3209 and report.self_transfers == 11 and report.inserted == 3198

    def stored_accounts() -> dict[str, str | None]:
        with engine.connect() as conn:
            return {r.account: r.bank for r in conn.execute(select(ledger_account.c.account, ledger_account.c.bank))}

    after_csv = stored_accounts()
    assert len(after_csv) == report.accounts
    first = ledger.account_transfers("800737690", "out", limit=1)[0]
    assert (first.amount_fen, first.draft.currency, first.draft.channel, first.draft.dst_bank) == (284896, "EUR", "ACH", "12")
    assert first.draft.label_laundering is True and first.draft.typology is None

    json_report = run(ledger, patterns, fmt="amlworld")
    assert json_report.accounts == report.accounts
    assert stored_accounts() == after_csv  # the same accounts, with the same banks: no new one
    # The same transactions: stored once, and the patterns file adds the typologies.
    assert (json_report.source, json_report.inserted, json_report.duplicates) == ("amlworld", 0, 3198)
    first = ledger.account_transfers("800737690", "out", limit=1)[0]
    assert first.draft.typology == "fan_out" and first.draft.memo == "AMLworld attempt 0: FAN-OUT:  Max 16-degree Fan-Out"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(transfer).where(transfer.c.typology.is_(None))).scalar() == 0


def test_the_patterns_file_first_and_the_csv_after_store_each_transaction_once(
    ledger: LedgerService, engine: Engine, patterns: Path, tmp_path: Path
) -> None:
    first = run(ledger, patterns, fmt="amlworld")
    assert (first.inserted, first.self_transfers) == (3198, 11)
    again = run(ledger, patterns_as_csv(patterns, tmp_path))
    assert (again.source, again.inserted, again.duplicates) == ("amlworld", 0, 3198)
    with engine.connect() as conn:
        kinds = {r[0]: r[1] for r in conn.execute(select(transfer.c.typology, func.count()).group_by(transfer.c.typology))}
    assert None not in kinds and sum(kinds.values()) == 3198


def test_streaming_reads_one_row_at_a_time() -> None:
    """The parser is lazy: it yields the first transfer before the rest of the file is read."""

    def lines() -> Iterator[str]:
        yield HEAD
        yield "2022/09/01 00:20,1,A1,2,B1,5.00,Euro,5.00,Euro,ACH,0\n"
        raise AssertionError("read past the first row")

    class Stream(io.TextIOBase):
        def __init__(self) -> None:
            self.it = lines()

        def __iter__(self) -> Iterator[str]:
            return self.it

        def __next__(self) -> str:
            return next(self.it)

    first = next(parse_amlworld_csv(Stream()))
    assert first.draft is not None and first.draft.src_account == "A1"


def test_over_the_api_and_the_command_line(client: TestClient, analyst_key: str, tmp_path: Path) -> None:
    done = client.post(
        "/api/v1/ledger/import", params={"format": "amlworld-csv"}, content=(HEAD + ROWS).encode(), headers={"X-API-Key": analyst_key}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["inserted"], done.json()["self_transfers"]) == (4, 1)
    env = {
        "FINGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "FINGUARD_DEMO_ON_FIRST_START": "false",
        "FINGUARD_INDEX_DIR": str(tmp_path / "index"),
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(cli_app, ["ledger", "import", "amlworld-csv", str(write(tmp_path, HEAD + ROWS))], env=env)
    assert result.exit_code == 0, result.output
    assert "4 new transfers" in result.output and "1 self-transfers skipped" in result.output


def test_ledger_account_count_is_per_account_not_per_row(ledger: LedgerService, engine: Engine, tmp_path: Path) -> None:
    run(ledger, write(tmp_path, HEAD + ROWS * 3))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ledger_account)).scalar_one() == 4


FIELD = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(["2022/09/01 00:20", "2022/09/01 00:20:59", "010", "8000EBD30", "1.00", "0", "1", "-1", "nan", "Euro", "Bitcoin"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(FIELD, min_size=0, max_size=13))
def test_row_parser_gives_a_transfer_or_a_problem_never_an_exception(fields: list[str]) -> None:
    row = AmlworldRows().parse(7, fields)
    assert (row.draft is None) != (row.problem is None)
    if row.problem is not None:
        assert row.problem.line == 7 and row.problem.field
    else:
        assert row.draft is not None and row.draft.amount_fen > 0 and row.draft.at.tzinfo is not None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*',"\n\r\x00ab1/: .', "Euro", "2022/09/01 00:20", "1.00"]), max_size=80))
def test_file_parser_never_raises_on_any_text(parts: list[str]) -> None:
    for row in parse_amlworld_csv(io.StringIO(HEAD + "".join(parts), newline="")):
        assert (row.draft is None) != (row.problem is None)
