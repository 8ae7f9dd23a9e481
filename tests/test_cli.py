"""The ``finguard`` command, run in-process with Typer's CliRunner on a temporary SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from finguard.app.cli import app

ACCOUNT = "6222021001122334455"
CSV = """key,id_type,id_value,risk_level,reason
k1,account,6222 0210 0112 2334 455,critical,telecom fraud
k2,phone,139 1234 5678,medium,fraud calls
k3,card,6228480402564890018,,mule card
"""


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.runner = CliRunner()
        self.env = {
            "FINGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "FINGUARD_DEMO_ON_FIRST_START": "false",
            "FINGUARD_INDEX_DIR": str(tmp_path / "index"),
            "COLUMNS": "200",
        }
        self.tmp_path = tmp_path

    def __call__(self, *args: str, code: int = 0, input: str | None = None) -> Result:
        result = self.runner.invoke(app, list(args), env=self.env, input=input)
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return result

    def as_user(self, name: str, role: str) -> None:
        """Act as a staff account ``name`` (created by the operator, acting as admin, if new)."""
        self.env.pop("FINGUARD_CLI_ACTOR", None)
        if name not in self("users", "list").stdout:
            self("users", "create", name, "--role", role, input="a long enough password\n")
        self.env["FINGUARD_CLI_ACTOR"] = name

    def file(self, name: str, text: str) -> Path:
        path = self.tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def police(cli: Cli) -> Cli:
    result = cli("lists", "create", "police", "--name", "Police", "--kind", "fraud_account", "--owner", "PSB", "--level", "critical")
    assert "created list police" in result.stdout
    cli.as_user("psb-1", "police")  # a police list is written by the police liaison role
    return cli


def test_lists_create_rejects_duplicates_and_bad_kinds(police: Cli) -> None:
    dup = police("lists", "create", "police", "--name", "P", "--kind", "fraud_account", "--owner", "PSB", code=2)
    assert "conflict" in dup.stderr
    bad = police("lists", "create", "other", "--name", "O", "--kind", "nonsense", "--owner", "PSB", code=2)
    assert "kind" in bad.stderr


def test_lists_import_reports_counts_and_check_finds_the_entry(police: Cli) -> None:
    result = police("lists", "import", "police", str(police.file("a.csv", CSV)))
    assert "import into police" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "1..3" in line)
    assert [cell.strip() for cell in row.split("│")[1:8]] == ["3", "3", "0", "0", "0", "0", "1..3"]
    again = police("lists", "import", "police", str(police.file("a.csv", CSV)))
    assert "1..3" not in again.stdout


MORE = "".join(f"m{i},account,62220000000{i:05d},high,mule\n" for i in range(10))


def test_lists_import_of_a_bad_file_exits_2_and_names_the_line(police: Cli) -> None:
    bad = police.file("bad.csv", CSV + MORE + "k4,card,1234567890123,high,not luhn\n")
    result = police("lists", "import", "police", str(bad), code=2)
    assert "import_rejected" in result.stderr
    assert "line 15" in result.stderr and "id_value" in result.stderr
    assert police("changes").stdout.strip() == ""  # nothing was imported
    skipped = police("lists", "import", "police", str(bad), "--skip-bad-rows")
    assert "rejected line 15: id_value" in skipped.stderr


def test_lists_import_never_wipes_a_list(police: Cli) -> None:
    """A wrong header imports nothing and exits 2, even skipping bad rows; a mass delisting needs a flag."""
    police("lists", "import", "police", str(police.file("a.csv", CSV + MORE)))
    wrong = police.file("wrong.csv", "colour,id_value\nred,1\n")
    refused = police("lists", "import", "police", str(wrong), "--skip-bad-rows", code=2)
    assert "header" in refused.stderr and "nothing was imported" in refused.stderr
    shrunk = police.file("shrunk.csv", CSV)
    mass = police("lists", "import", "police", str(shrunk), code=2)
    assert "mass_delist_refused" in mass.stderr and "10 of the list's 13" in mass.stderr
    done = police("lists", "import", "police", str(shrunk), "--allow-mass-delist")
    # allowed through the guard; delisting from a fraud list lowers outcomes, so the 10 wait for approval
    assert "mass_delist_refused" not in done.stderr and "10 change(s) that lower outcomes wait for approval" in done.stderr


def test_lists_import_of_a_missing_file_or_unknown_format_exits_2(police: Cli) -> None:
    assert "does not exist" in police("lists", "import", "police", str(police.tmp_path / "nope.csv"), code=2).stderr
    path = str(police.file("a.csv", CSV))
    assert "format" in police("lists", "import", "police", path, "--format", "xls", code=2).stderr


def test_lists_show_all_and_one(police: Cli) -> None:
    police("lists", "import", "police", str(police.file("a.csv", CSV)))
    overview = police("lists", "show").stdout
    assert "police" in overview and "fraud_account" in overview and "critical" in overview
    entries = police("lists", "show", "police").stdout
    assert f"account:{ACCOUNT}" in entries and "k2" in entries and "telecom fraud" in entries
    assert "no list" in police("lists", "show", "missing", code=2).stderr


def test_lists_export_jsonl_and_csv(police: Cli) -> None:
    police("lists", "import", "police", str(police.file("a.csv", CSV)))
    result = police("lists", "export", "police")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["key"] for r in records] == ["k1", "k2", "k3"]
    assert "exported 3 entries" in result.stderr
    out = police.tmp_path / "out.csv"
    police("lists", "export", "police", "--format", "csv", "--output", str(out))
    text = out.read_text(encoding="utf-8")
    assert text.startswith("key,subject,id_type,id_value") and f"k1,identifier,account,{ACCOUNT}" in text
    # The export is the import format: re-importing it changes nothing.
    again = police("lists", "import", "police", str(out))
    assert "1..3" not in again.stdout
    assert "must be jsonl or csv" in police("lists", "export", "police", "--format", "xml", code=2).stderr


def test_lists_delist_stops_the_match(police: Cli) -> None:
    police("lists", "import", "police", str(police.file("a.csv", CSV)))
    assert json.loads(police("check", "--account", ACCOUNT, "--json").stdout)["outcome"] == "block"
    result = police("lists", "delist", "1", "--reason", "report withdrawn")
    assert "pending change 1" in result.stdout and "second person" in result.stdout
    assert json.loads(police("check", "--account", ACCOUNT, "--json").stdout)["outcome"] == "block"
    assert "proposed by user:psb-1" in police("approvals", "approve", "1", "--reason", "ok", code=2).stderr
    police.as_user("psb-2", "police")
    assert "change 1 approved by user:psb-2" in police("approvals", "approve", "1", "--reason", "PSB letter 12").stdout
    assert json.loads(police("check", "--account", ACCOUNT, "--json").stdout)["outcome"] == "pass"
    assert "no entry" in police("lists", "delist", "999", "--reason", "x", code=2).stderr
    # Every command is in the audit log under the CLI's identity, never a typed-in name.
    audited = [json.loads(line) for line in police("audit", "show", "--action", "cli.lists.delist").stdout.splitlines()]
    assert [(a["actor"], a["detail"]["params"]["entry_id"]) for a in audited] == [("user:psb-2", 999), ("user:psb-1", 1)]


def test_check_prints_json_with_hits(police: Cli) -> None:
    police("lists", "import", "police", str(police.file("a.csv", CSV)))
    body = json.loads(police("check", "--account", "6222-0210-0112-2334-455", "--json").stdout)
    assert body["outcome"] == "block" and body["risk_level"] == "critical"
    assert [(h["list_code"], h["entry_key"], h["reason"]) for h in body["hits"]] == [("police", "k1", "telecom fraud")]
    assert body["seq"] == 3


def test_check_exit_codes(police: Cli) -> None:
    police("lists", "import", "police", str(police.file("a.csv", CSV)))
    blocked = police("check", "--account", ACCOUNT, code=3)
    assert "BLOCK" in blocked.stdout and "police" in blocked.stdout
    assert "PASS" in police("check", "--account", "6222000011112222999").stdout
    bad = police("check", "--account", "12ab", code=2)
    assert "account" in bad.stderr


def test_keys_create_list_and_revoke(cli: Cli) -> None:
    created = cli("keys", "create", "teller-7", "--role", "analyst")
    secret = created.stdout.strip()
    assert secret.startswith("fg_") and len(secret) > 40
    assert "teller-7" in created.stderr and "not shown again" in created.stderr
    listing = cli("keys", "list").stdout
    assert "teller-7" in listing and "analyst" in listing and secret[:8] in listing
    assert secret not in listing
    assert "revoked key teller-7" in cli("keys", "revoke", "teller-7").stdout
    assert "no active key" in cli("keys", "revoke", "teller-7", code=2).stderr
    assert "role" in cli("keys", "create", "x", "--role", "root", code=2).stderr


def test_changes_prints_one_json_object_per_line(police: Cli) -> None:
    police("lists", "import", "police", str(police.file("a.csv", CSV)))
    police("lists", "delist", "2", "--reason", "number reassigned")
    police.as_user("psb-2", "police")
    police("approvals", "approve", "1", "--reason", "confirmed with the carrier")
    lines = police("changes").stdout.splitlines()
    changes = [json.loads(line) for line in lines]
    assert [(c["seq"], c["op"], c["key"]) for c in changes] == [(1, "add", "k1"), (2, "add", "k2"), (3, "add", "k3"), (4, "delist", "k2")]
    assert all(c["list"] == "police" for c in changes)
    # The actor is the CLI's identity, never a free-text option; an approved change names both people.
    assert [c["actor"] for c in changes] == ["user:psb-1"] * 3 + ["user:psb-1 approved by user:psb-2 (change 1)"]
    later = [json.loads(line) for line in police("changes", "--since", "2", "--limit", "1").stdout.splitlines()]
    assert [c["seq"] for c in later] == [3]


def test_output_survives_narrow_terminals_and_markup_like_data(police: Cli) -> None:
    """Regression: changes lines wrapped at 80 columns, '[k1]' vanished as Rich markup, and an
    error message holding '[/x]' crashed with MarkupError instead of exiting 2."""
    police.env["COLUMNS"] = "40"
    csv = "key,id_type,id_value,reason\n[k1],account,6222021001122334455,[bold]fraud[/bold] case\n"
    police("lists", "import", "police", str(police.file("m.csv", csv)))
    (line,) = police("changes").stdout.splitlines()
    assert json.loads(line)["key"] == "[k1]"
    police.env["COLUMNS"] = "200"
    shown = police("lists", "show", "police").stdout
    assert "[k1]" in shown and "[bold]fraud" in shown
    bad = police("lists", "import", "police", str(police.file("h.csv", "key,[/x]\nk,1\n")), code=2)
    assert "unknown column '[/x]'" in bad.stderr.replace("\n", "")


SDN_CSV = """key,subject,name,aliases,birth_date,risk_level,reason
maduro,person,"MADURO MOROS, Nicolas",Nicolás Maduro,1962-11-23,critical,OFAC SDN
"""


def test_screening_commands_screen_decide_and_report(cli: Cli) -> None:
    """screen name / party / batch / decide and alerts: the due-diligence loop from the shell."""
    cli("lists", "create", "sdn", "--name", "SDN", "--kind", "sanctions", "--owner", "OFAC", "--level", "critical")
    cli.as_user("compliance-1", "compliance")
    cli("lists", "import", "sdn", str(cli.file("sdn.csv", SDN_CSV)))
    named = cli("screen", "name", "Nicolas Maduro Moros").output
    assert "MATCH" in named and "MADURO MOROS, Nicolas" in named
    assert "NO MATCH" in cli("screen", "name", "Li Xiaoming").output
    party = cli("screen", "party", "Nicolas Maduro Moros", "--key", "c-1", "--purpose", "contract").output
    assert "MATCH" in party and "c-1" in party
    alerts = cli("alerts").output
    assert "party:c-1" in alerts
    entry_id = json.loads(cli("screen", "name", "Nicolas Maduro Moros", "--json").output)[0]["entry_id"]
    cli("screen", "decide", "c-1", str(entry_id), "--decision", "false_positive", "--reason", "born 1990")
    assert "false positive" in cli("screen", "party", "Nicolas Maduro Moros", "--key", "c-1").output
    batch = cli.file("parties.csv", "key,name,kind,purpose\np-1,Nicolas Maduro Moros,person,supplier\np-2,,person,hire\n")
    report = cli.tmp_path / "report.html"
    result = cli("screen", "batch", str(batch), "--report", "html", "--lang", "en", "-o", str(report))
    assert "line 3: name" in result.output
    html = report.read_text(encoding="utf-8")
    assert "Counterparty due diligence report" in html and "MADURO MOROS, Nicolas" in html
    bad = cli("screen", "batch", str(cli.tmp_path / "missing.csv"), code=2)
    assert "does not exist" in bad.output


def test_a_semicolon_or_tab_file_from_a_spreadsheet_imports_as_the_comma_one(police: Cli) -> None:
    """Excel in most of Europe saves "CSV" with semicolons; such a file was refused with "unknown
    column 'key;id_type;...'". The delimiter now comes from the header line."""
    semicolons = CSV.replace(",", ";").replace("6222 0210 0112 2334 455", '"6222 0210 0112 2334 455"')
    result = police("lists", "import", "police", str(police.file("eu.csv", semicolons)))
    row = next(line for line in result.stdout.splitlines() if "1..3" in line)
    assert [cell.strip() for cell in row.split("│")[1:8]] == ["3", "3", "0", "0", "0", "0", "1..3"]
    tabs = police("lists", "import", "police", str(police.file("tabs.tsv.csv", CSV.replace(",", "\t"))))
    assert "1..3" not in tabs.stdout  # the same three entries: nothing new
    wrong = police("lists", "import", "police", str(police.file("w.csv", "colour;id_value\nred;1\n")), "--skip-bad-rows", code=2)
    assert "header" in wrong.stderr and "nothing was imported" in wrong.stderr
