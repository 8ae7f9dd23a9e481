"""Statement profiles (#12): the statements people receive, imported as they are.

Each sample in tests/data/statements copies one bank's or wallet's export layout (made-up
names, numbers and amounts; ``build.py`` writes them). Every one imports with no hand
conversion: its layout and own account are found, title, total and footer lines are skipped and
reported, and each transfer lands with the right direction, amount, time and counterparty.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from finguard.app.cli import app as cli_app
from finguard.core.errors import ImportRejected, InvalidInput
from finguard.ledger.provider import make_ledger
from finguard.ledger.service import LedgerService
from finguard.ledger.service.importers import ImportOptions, read_transfers, read_transfers_noted
from finguard.ledger.service.sheets import Sheet
from finguard.ledger.service.statements import PROFILES, detect, read_row, split_counterparty

DATA = Path(__file__).parent / "data" / "statements"


@pytest.fixture
def ledger(engine: object) -> LedgerService:
    return make_ledger(engine)  # type: ignore[arg-type]


def flows(ledger: LedgerService, account: str) -> list[tuple[str, str, int]]:
    """(direction, counterparty, fen) of the account's transfers, in time order."""
    out = [(t.at, "out", t.dst, t.amount_fen) for t in ledger.account_transfers(account, "out")]
    inc = [(t.at, "in", t.src, t.amount_fen) for t in ledger.account_transfers(account, "in")]
    return [(d, who, fen) for _at, d, who, fen in sorted(out + inc)]


# (file, profile, own account, transfers, skipped lines with their reason)
SAMPLES = [
    (
        "issue12-generic-gbk.csv",
        "generic",
        "6222021001122334455",
        [
            ("in", "11050101040000001", 360000),
            ("out", "merchant:美团", 6850),
            ("out", "6217000010009876543", 400000),
            ("out", "cash:ATM取款", 20000),
        ],
        [(8, "a total line (合计)")],
    ),
    (
        "icbc-gbk.csv",
        "icbc",
        "6222020200112233445",
        [
            ("in", "external:某某科技有限公司", 800000),
            ("out", "merchant:美团", 4580),
            ("out", "external:赵某", 200000),
            ("out", "cash:ATM取款", 50000),
        ],
        [(10, "a total line (合计)")],
    ),
    (
        "ccb.xlsx",
        "ccb",
        "6217000020003456789",
        [
            ("in", "6222021001199887766", 150000),
            ("out", "6228480000001112223", 80000),
            ("out", "merchant:消费", 3550),
            ("in", "external:利息存入", 123),
        ],
        [(10, "a title or footer line")],
    ),
    (
        "abc.pdf",
        "abc",
        "6228480000005678901",
        [
            ("in", "6217000010004445556", 250000),
            ("out", "merchant:中国石化加油站", 12000),
            ("out", "6222600000007778889", 100000),
        ],
        [(7, "a total line (合计)")],
    ),
    (
        "boc-utf8bom.csv",
        "boc",
        "6216610000001112223",
        [
            ("out", "6217850000003334445", 120000),
            ("in", "340100000012345", 500000),
            ("out", "wallet:支付宝（中国）网络技术有限公司", 30000),
        ],
        [(8, "a title or footer line")],
    ),
    (
        "bocom-gb18030-tab.txt",
        "bocom",
        "6222600000007778889",
        [("in", "6228480000005678901", 100000), ("out", "merchant:某某超市", 6600), ("out", "cash:现金支取", 50000)],
        [(7, "a title or footer line")],
    ),
    (
        "psbc.xlsx",
        "psbc",
        "6210980000004445556",
        [("in", "cash:现金存入", 100000), ("out", "6217000010002223334", 30000), ("out", "wallet:财付通", 4990)],
        [(8, "a total line (合计)")],
    ),
    (
        "alipay-gbk.csv",
        "alipay",
        "lin****@example.com",
        [("out", "abc***@example.com", 5600), ("in", "138******00", 50000)],
        [(15, "moves no money between people (不计收支: 余额宝-自动转入)"), (16, "a transaction that did not happen (交易关闭)")],
    ),
    (
        "wechat-utf8bom.csv",
        "wechat",
        "wechat:小周",
        [("out", "merchant:某某便利店", 3500), ("out", "external:周某", 10000), ("in", "wallet:钱某", 20000)],
        [(18, "moves no money between people (/: 零钱提现)")],
    ),
]


@pytest.mark.parametrize(("name", "profile", "own", "expected", "skipped"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_each_sample_imports_as_received(
    ledger: LedgerService, name: str, profile: str, own: str, expected: list[tuple[str, str, int]], skipped: list[tuple[int, str]]
) -> None:
    source, note, rows = read_transfers_noted("statement", DATA / name, ImportOptions())
    assert source == f"statement:{own}"
    assert note is not None and note.startswith(f"layout {profile} ")
    report = ledger.import_rows(source, rows)
    assert report.inserted == len(expected) and report.rejected == ()
    assert sorted(flows(ledger, own)) == sorted(expected)
    assert [(p.line, p.problem) for p in report.skipped] == skipped
    again = ledger.import_rows(*read_transfers("statement", DATA / name, ImportOptions()))
    assert (again.inserted, again.duplicates) == (0, len(expected))


def test_the_layout_of_issue_12_keeps_times_balances_and_names(ledger: LedgerService) -> None:
    """GBK, title 账户明细查询, an account line, date and time in two columns, 收入金额/支出金额,
    a closing 合计 line: the pension arrives at 09:00 China time with its 余额."""
    report = ledger.import_rows(*read_transfers("statement", DATA / "issue12-generic-gbk.csv", ImportOptions()))
    assert report.inserted == 4
    pension = ledger.account_transfers("6222021001122334455", "in")[0]
    assert pension.at == datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
    assert pension.draft.balance_after_fen == 523000 and pension.draft.src_name == "某某区社会保险事业管理中心"
    assert pension.draft.dst_name == "张某某"  # the holder line


def test_a_multi_page_pdf_skips_each_pages_title_and_repeated_header(ledger: LedgerService) -> None:
    """CMB's PDF repeats its title, account line and header on every page: 35 payments, three skipped rows."""
    report = ledger.import_rows(*read_transfers("statement", DATA / "cmb.pdf", ImportOptions()))
    assert report.inserted == 35
    assert [p.problem for p in report.skipped] == ["a title or footer line", "a title or footer line", "the header repeated (page break)"]
    first = ledger.account_transfers("6214830000009990001", "out")[0]
    assert (first.dst, first.amount_fen, first.draft.balance_after_fen) == ("10000000001", 1037, 998963)


def test_every_profile_has_a_sample() -> None:
    assert {p.name for p in PROFILES} <= {s[1] for s in SAMPLES} | {"cmb"}  # cmb: the multi-page PDF test


def test_the_caller_can_force_a_profile_and_name_the_account(tmp_path: Path) -> None:
    source, rows = read_transfers("statement", DATA / "wechat-utf8bom.csv", ImportOptions(account="wxid_abc", profile="wechat"))
    assert source == "statement:wxid_abc" and sum(1 for r in rows if r.draft) == 3
    with pytest.raises(InvalidInput, match="no known statement layout") as err:
        read_transfers("statement", DATA / "wechat-utf8bom.csv", ImportOptions(account="x", profile="icbc"))
    assert "closest row is line 14" in err.value.message
    with pytest.raises(InvalidInput, match="unknown profile"):
        read_transfers("statement", DATA / "wechat-utf8bom.csv", ImportOptions(profile="hsbc"))


def test_an_unknown_layout_says_what_was_looked_for_and_a_mapping_file_reads_it(ledger: LedgerService, tmp_path: Path) -> None:
    odd = tmp_path / "rcb.csv"
    odd.write_text(
        "某农商银行对账单\n账号：6230000000001112223\n记账日,用途,转入,转出,结余,对方\n"
        '2024-05-01,工资,"2,000.00",,"2,500.00",某公司\n2024-05-02,转账,,300.00,"2,200.00",丁某\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as err:
        read_transfers("statement", odd, ImportOptions())
    message = err.value.message
    assert "no known statement layout" in message and "closest row is line 3" in message and "--mapping" in message
    mapping = tmp_path / "rcb.toml"
    mapping.write_text(
        'name = "某农商银行"\n[columns]\ndate = "记账日"\nsummary = "用途"\nincome = "转入"\nexpense = "转出"\n'
        'balance = "结余"\ncp_name = "对方"\n',
        encoding="utf-8",
    )
    source, note, rows = read_transfers_noted("statement", odd, ImportOptions(mapping=mapping))
    assert source == "statement:6230000000001112223" and note is not None and "mapping:某农商银行" in note
    ledger.import_rows(source, rows)
    assert flows(ledger, "6230000000001112223") == [("in", "external:某公司", 200000), ("out", "external:丁某", 30000)]
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\ndate = "记账日"\nwhen = "x"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="when"):
        read_transfers("statement", odd, ImportOptions(mapping=bad))


def test_an_import_that_imports_nothing_is_not_a_success(ledger: LedgerService, tmp_path: Path) -> None:
    """The issue's case: every row bad, --skip-bad-rows: rejected, not 'imported 0'."""
    path = tmp_path / "s.csv"
    path.write_text("交易时间,交易金额,借贷标志,对方账号\n2024-03-01 10:00,abc,借,1\n合计,,,\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="nothing was imported"):
        ledger.import_rows(*read_transfers("statement", path, ImportOptions(account="A")), skip_bad_rows=True)


def test_exit_codes_tell_the_truth(tmp_path: Path) -> None:
    env = {
        "FINGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "FINGUARD_DEMO_ON_FIRST_START": "false",
        "FINGUARD_INDEX_DIR": str(tmp_path / "index"),
        "COLUMNS": "200",
    }
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["ledger", "import", "statement", str(DATA / "issue12-generic-gbk.csv")], env=env)
    assert ok.exit_code == 0, ok.output
    assert "layout generic" in ok.output and "4 new transfers" in ok.output and "line 8: row: a total line (合计)" in ok.output
    partial = tmp_path / "p.csv"
    partial.write_text("交易时间,交易金额,借贷标志,对方账号\n2024-03-01 10:00,1.00,借,1\n2024-03-01 11:00,x,借,1\n", encoding="utf-8")
    args = ["ledger", "import", "statement", str(partial), "--account", "A", "--skip-bad-rows"]
    assert runner.invoke(cli_app, args, env=env).exit_code == 3
    empty = tmp_path / "e.csv"
    empty.write_text("交易时间,交易金额,借贷标志,对方账号\n2024-03-01 11:00,x,借,1\n", encoding="utf-8")
    nothing = runner.invoke(cli_app, ["ledger", "import", "statement", str(empty), "--account", "A", "--skip-bad-rows"], env=env)
    assert nothing.exit_code == 2 and "nothing was imported" in nothing.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6222021001199887766/吴某", ("6222021001199887766", "吴某")),
        ("吴某/6222021001199887766", ("6222021001199887766", "吴某")),
        ("财付通-某商户 1000000001", ("1000000001", "财付通-某商户")),
        ("6228****1234", ("6228****1234", "")),
        ("某某有限公司", ("", "某某有限公司")),
    ],
)
def test_a_counterparty_in_one_cell_is_split(text: str, expected: tuple[str, str]) -> None:
    assert split_counterparty(text) == expected


CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["2024-03-15", "10:23:45", "合计", "-1,000.00", "+5.00", "¥3.00", "借", "贷", "/", "不计收支", "交易关闭", "0"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CELL, min_size=0, max_size=10))
def test_a_row_is_read_skipped_or_refused_never_a_crash(cells: list[str]) -> None:
    header = ("交易日期", "交易时间", "摘要", "收入金额", "支出金额", "余额", "对方户名", "对方账号", "借贷标志", "交易状态")
    layout = detect(Sheet((header,), (1,), "csv"))
    row = read_row(tuple(cells), layout, 2)
    assert (row.record is not None) + (row.skipped is not None) + (row.problem is not None) == 1


def _statement(tmp_path: Path, name: str, account: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text(f"账号：{account}\n交易时间,交易金额,借贷标志,对方账号,余额\n{rows}", encoding="utf-8")
    return path


def test_a_transfer_seen_from_both_sides_is_stored_once_and_ambiguous_pairs_are_listed(ledger: LedgerService, tmp_path: Path) -> None:
    """A pays B twice 500.00 at 10:00 (two rows, the same minute) and once 70.00 at 12:00. B's
    statement shows the 70.00 at 12:03 (pairs: same accounts, amount, within 30 minutes), one
    500.00 at 10:01 (two stored transfers fit equally: ambiguous, stored apart and listed) and
    80.00 at 12:00 (no other side: a transfer of its own)."""
    a = _statement(
        tmp_path,
        "a.csv",
        "A0001",
        "2024-03-01 10:00:00,500.00,借,B0001,1000\n2024-03-01 10:00:00,500.00,借,B0001,500\n2024-03-01 12:00:00,70.00,借,B0001,430\n",
    )
    b = _statement(
        tmp_path,
        "b.csv",
        "B0001",
        "2024-03-01 10:01:00,500.00,贷,A0001,600\n2024-03-01 12:03:00,70.00,贷,A0001,670\n2024-03-01 12:00:00,80.00,贷,A0001,750\n",
    )
    first = ledger.import_rows(*read_transfers("statement", a, ImportOptions()))
    second = ledger.import_rows(*read_transfers("statement", b, ImportOptions()))
    assert (first.inserted, second.inserted, second.paired) == (3, 2, 1)
    assert [(p.line, "could be stored transfer 1, 2" in p.problem) for p in second.ambiguous] == [(3, True)]
    assert sorted(t.amount_fen for t in ledger.account_transfers("B0001", "in")) == [7000, 8000, 50000, 50000, 50000]
    late = _statement(tmp_path, "late.csv", "B0001", "2024-03-01 12:45:00,70.00,贷,A0001,670\n")
    assert ledger.import_rows(*read_transfers("statement", late, ImportOptions())).paired == 0  # 45 minutes apart: two transfers


def test_transfer_in_and_out_amount_columns_are_read_without_a_mapping(tmp_path: Path) -> None:
    """A layout not among the samples (记账日, 转入金额 / 转出金额, a 合计 line) imports as received."""
    odd = tmp_path / "odd.csv"
    odd.write_text(
        "交易明细\n账号: 6230000000009998887\n记账日,摘要,转入金额,转出金额,对方户名,对方账号,余额\n"
        '2026/01/03,转账,"1,000.00",,张三,6222021001122334455,"5,000.00"\n'
        '2026/01/04,转账,,250.50,李四,6222021001122339999,"4,749.50"\n合计,,"1,000.00",250.50,,,\n',
        encoding="utf-8",
    )
    _, rows = read_transfers("statement", odd, ImportOptions())
    drafts = [r.draft for r in rows if r.draft is not None]
    assert [(d.amount_fen, d.src_account, d.dst_account) for d in drafts] == [
        (100_000, "6222021001122334455", "6230000000009998887"),
        (25_050, "6230000000009998887", "6222021001122339999"),
    ]
