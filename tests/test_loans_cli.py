"""``finguard loans ...`` run in-process (CliRunner) on a temporary SQLite file."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from finguard.loans.cli import app as loans_app

HEAD = "loan_id,customer_id,branch,principal,annual_rate,term_months,start,method,day_count,industry,firm_size,total_credit,"
BOOK = HEAD + """impact_documented,days_past_due
L-001,C-1,310000,1000000.00,4.35%,36,2020-01-15,equal_instalment,30/360,H,small,1000000.00,yes,0
L-002,C-2,310000,200000.00,4.35%,24,2020-01-15,equal_principal,act/365,F,micro,200000.00,yes,12
L-003,C-3,310000,50000000.00,4.35%,60,2020-01-15,equal_instalment,30/360,C,large,50000000.00,yes,0
"""


def make(tmp_path):
    root = typer.Typer()
    root.add_typer(loans_app, name="loans")
    runner = CliRunner()
    env = {"FINGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "COLUMNS": "220"}

    def run(*args, code=0):
        result = runner.invoke(root, ["loans", *args], env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    return run


def test_schedule_prints_a_table_and_json(tmp_path):
    run = make(tmp_path)
    table = run("schedule", "--principal", "2500.00", "--rate", "8.24%", "--months", "12", "--start", "2024-01-15")
    assert "217.75" in table and "2,500.00" in table
    assert '"payment_fen": 21775' in run("schedule", "--principal", "2500", "--rate", "0.0824", "--months", "12", "--start", "2024-01-15",
                                         "--json")
    bad = run("schedule", "--principal", "2500.001", "--rate", "8%", "--months", "12", "--start", "2024-01-15", code=2)
    assert "principal" in bad


def test_import_relief_batch_and_approval(tmp_path):
    run = make(tmp_path)
    book = tmp_path / "book.csv"
    book.write_text(BOOK, encoding="utf-8")
    assert "3 new loans" in run("import", str(book), "--actor", "importer")
    preview = run("preview", "L-001", "--kind", "deferral", "--start", "3", "--months", "3", "--treatment", "waive", "--svg",
                  str(tmp_path / "relief.svg"))
    assert (tmp_path / "relief.svg").read_text(encoding="utf-8").startswith("<svg")
    assert "distressed restructuring" in preview and "1.0797 %" in preview
    assert "version 1" in run("apply", "L-001", "--kind", "grace", "--start", "3", "--months", "2", "--actor", "officer-1")
    assert "v1" in run("show", "L-001")
    evaluated = run("evaluate", "--actor", "analyst-1")
    batch = re.search(r"batch ([0-9a-f]{32})", evaluated).group(1)
    assert "3 loans, 2 eligible" in evaluated
    listing = run("decisions", batch, "--lang", "en")
    assert "not eligible under any category" in listing
    refused = run("approve", batch, "--as-of", "2020-03-01", "--actor", "analyst-1", code=2)
    assert "maker-checker" in refused
    assert "approved 2 reliefs" in run("approve", batch, "--as-of", "2020-03-01", "--actor", "manager-1")
    assert "no eligible decision" in run("approve", batch, "--actor", "manager-1", code=2)


def test_a_bad_book_names_the_line(tmp_path):
    run = make(tmp_path)
    book = tmp_path / "bad.csv"
    book.write_text(BOOK.replace("4.35%,24", "4.35,24"), encoding="utf-8")
    output = run("import", str(book), code=2)
    assert "line 3: annual_rate" in output


def test_a_relief_campaign_from_the_command_line(tmp_path):
    from tests.loans_servers import webhook_server

    run = make(tmp_path)
    book = tmp_path / "book.csv"
    book.write_text(BOOK, encoding="utf-8")
    run("import", str(book), "--actor", "importer")
    batch = re.search(r"batch ([0-9a-f]{32})", run("evaluate", "--actor", "analyst-1")).group(1)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("customer_id,name,lang,phone\nC-1,张三,zh,13900000001\nC-2,Li Si,en,13900000002\n", encoding="utf-8")
    assert "saved 2 contacts" in run("campaign", "contacts", str(contacts))
    planned = run("campaign", "create", "relief-sms", "--relief-batch", batch, "--as-of", "2020-03-01", "--actor", "officer-1",
                  "--quiet", "00:00-00:00")  # no quiet hours: the test runs at any time of day
    assert "'queued': 2" in planned
    assert "as_of" in run("campaign", "create", "x", "--relief-batch", batch, "--as-of", "March", code=2)
    assert "quiet" in run("campaign", "create", "x", "--relief-batch", batch, "--quiet", "late", code=2)
    assert "planned elderly" in run("campaign", "create", "elderly", "--segment", "elderly", "--min-age", "60")
    assert "segment" in run("campaign", "create", "x", "--segment", "kids", code=2)
    assert "relief_batch" in run("campaign", "create", "x", code=2)
    with webhook_server() as (url, gateway):
        done = run("campaign", "run", "relief-sms", "--webhook-url", url, "--quiet", "00:00-00:00")
    assert "sent 2" in done
    texts = {body["to"]: body["text"] for body in gateway.delivered.values()}
    assert "张三 您好：您在本行的贷款 L-001 符合延期还款 6 个月" in texts["13900000001"]
    assert texts["13900000002"].startswith("Dear Li Si, your loan L-002 qualifies for grace of 3 months")
    key = next(iter(gateway.delivered))
    assert "recorded" in run("campaign", "reply", key, "TD")
    assert '"replies": 1' in run("campaign", "report", "relief-sms")
    mail = tmp_path / "not-a-bounce.eml"
    mail.write_bytes(b"From: a@b.example\r\nSubject: hi\r\n\r\nhello")
    assert "0 bounce(s) of our e-mails" in run("campaign", "bounces", str(mail))
    assert "paths" in run("campaign", "bounces", str(tmp_path / "missing.eml"), code=2)


def test_education_events_from_the_command_line(tmp_path):
    run = make(tmp_path)
    events = tmp_path / "events.csv"
    events.write_text("branch,campaign,day,place,staff,leaflets,questions,photos\n"
                      "310000,3·15,2020-03-15,人民广场,王芳;李强,800,120,plaza.jpg\n"
                      "320000,3·15,2020-03-15,新街口,周敏,500,80,\n", encoding="utf-8")
    assert "recorded 2 events" in run("education", "record", str(events), "--actor", "branch")
    report = run("education", "report", "--by", "campaign")
    assert "3·15" in report and "1,300" in report and "200" in report
    bad = tmp_path / "bad.csv"
    bad.write_text("branch,campaign,day,place\n310000,x,someday,here\n", encoding="utf-8")
    assert "line 2: day" in run("education", "record", str(bad), code=2)
