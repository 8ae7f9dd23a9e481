"""``finguard guard ...`` run in-process with Typer's CliRunner on a temporary SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from finguard.app.cli import app
from finguard.guard.service.rule_pack import STARTER_PACK
from tests.guard_helpers import card_stream, transfer
from tests.test_guard_iso20022 import PACS_008


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.runner = CliRunner()
        self.env = {
            "FINGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "FINGUARD_DEMO_ON_FIRST_START": "false",
            "FINGUARD_INDEX_DIR": str(tmp_path / "index"),
            "COLUMNS": "240",
        }
        self.tmp_path = tmp_path

    def __call__(self, *args: str, code: int = 0) -> Result:
        result = self.runner.invoke(app, ["guard", *args], env=self.env)
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return result

    def approve(self, change_id: int) -> Result:
        """A supervisor (a staff account the CLI acts as) approves a pending change."""
        self.runner.invoke(app, ["users", "create", "sup-1", "--role", "supervisor"], env=self.env, input="a long enough password\n")
        result = self.runner.invoke(
            app, ["approvals", "approve", str(change_id), "--reason", "checked"], env={**self.env, "FINGUARD_CLI_ACTOR": "sup-1"}
        )
        assert result.exit_code == 0, result.output
        return result

    def file(self, name: str, text: str) -> str:
        path = self.tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_decide_prints_the_explained_decision_and_is_idempotent(cli: Cli) -> None:
    cli("rules", "add", "big.amount", "event.amount >= 50000", "--description", "a large transfer", "--score", "45")
    body = cli.file("e.json", json.dumps(transfer("cli-1", at=now(), amount="60000.00")))
    first = cli("decide", body, "--json")
    again = cli("decide", body, "--json")
    decided = json.loads(first.output)[0]
    # The shipped model also scores the event (a "model" reason); the rule is the reason that fired.
    assert decided["outcome"] == "review" and [r["code"] for r in decided["reasons"] if r["kind"] != "model"] == ["big.amount"]
    assert json.loads(again.output)[0]["decision_id"] == decided["decision_id"]
    text = cli("decide", body).output
    assert "REVIEW" in text and "big.amount" in text and "a large transfer" in text


def test_decide_names_the_bad_field(cli: Cli) -> None:
    result = cli("decide", cli.file("bad.json", json.dumps(transfer("cli-2", at=now(), channel="fax"))), code=2)
    assert "channel" in result.output and "fax" in result.output
    assert "not JSON" in cli("decide", cli.file("broken.json", "{"), code=2).output


def test_decide_takes_iso20022_xml(cli: Cli) -> None:
    t = now()
    xml = PACS_008.replace("2026-03-02T10:00:00+08:00", t.isoformat()).replace("<AccptncDtTm>2026-03-02T09:58:00</AccptncDtTm>", "")
    output = cli("decide", cli.file("m.xml", xml), "--json").output
    assert [(d["event_id"], d["event_type"]) for d in json.loads(output)] == [("INV-2026-0042", "remittance"), ("BKCH-TX-0002", "transfer")]
    assert "Document" in cli("decide", cli.file("camt.xml", xml.replace("pacs.008", "camt.053")), code=2).output


def test_the_starter_pack_installs_once(cli: Cli) -> None:
    assert f"installed {len(STARTER_PACK)} rule(s)" in cli("starter-pack").output
    assert "all were present" in cli("starter-pack").output
    listed = cli("rules", "list").output
    assert "tf.new_payee_large_night" in listed and "tf.model_high" in listed and "shadow" in listed


def test_rules_add_shadow_disable_and_backtest(cli: Cli) -> None:
    cli("rules", "add", "big.amount", "event.amount >= 10000", "--description", "a large transfer", "--outcome", "hold")
    for i in range(3):
        cli("decide", cli.file(f"e{i}.json", json.dumps(transfer(f"bt-{i}", at=now(), amount=f"{15000 + i}.00"))))
    # Shadowing an enforced rule can lower outcomes: it waits for a supervisor.
    assert "pending change 1" in cli("rules", "shadow", "big.amount").output
    assert "approved" in cli.approve(1).output
    assert "big.amount" in cli("rules", "list").output
    report = cli("rules", "backtest").output
    assert "3 events replayed, 3 would change" in report and "hold->allow" in report
    assert "disabled" in cli("rules", "disable", "big.amount").output  # a shadow rule enforces nothing
    assert "no rule" in cli("rules", "shadow", "nope", code=2).output
    assert "expression" in cli("rules", "add", "bad.rule", "__import__('os')", "--description", "x", "--score", "1", code=2).output


def test_controls_set_show_and_checkup(cli: Cli) -> None:
    assert "Night lock is off" in cli("checkup", "c1").output
    cli("controls", "set", "c1", '{"night_lock": {"enabled": true, "start": "23:00", "end": "06:00"}}', "--channel", "mobile")
    cli("controls", "set", "c1", '{"region_lock": {"enabled": true, "allowed": ["CN"]}}', "--channel", "mobile")
    shown = json.loads(cli("controls", "show", "c1", "--json").output)
    assert shown["night_lock"]["current"]["enabled"] and shown["region_lock"]["current"]["enabled"]  # the second kept the first
    checkup = cli("checkup", "c1").output
    assert "Night lock is off" not in checkup and "Cooling-off" in checkup
    loosen = cli("controls", "set", "c1", '{"night_lock": {"enabled": false}}', "--channel", "mobile").output
    assert "switching off after the delay: night_lock" in loosen
    assert "will switch off" in cli("checkup", "c1").output
    assert "night_lock.start" in cli("controls", "set", "c1", '{"night_lock": {"start": "25:00"}}', code=2).output
    assert "changes" in cli("controls", "set", "c1", '{"pin": 1}', code=2).output


def test_publish_refuses_a_bad_file_before_connecting(cli: Cli) -> None:
    lines = "\n".join([json.dumps(transfer("p1")), "not json", "[1]"])
    result = cli("publish", cli.file("events.jsonl", lines), "--nats-url", "nats://127.0.0.1:1", code=2)
    assert "line 2" in result.output and "line 3" in result.output and "nothing was published" in result.output


def test_consume_without_nats_reports_unhealthy_and_stops(cli: Cli) -> None:
    cli.env["FINGUARD_REDIS_URL"] = ""  # whatever the developer's shell says
    result = cli("consume", "--nats-url", "nats://127.0.0.1:1", "--seconds", "1.5")
    assert "stopped: decided 0" in result.output
    # without Redis, velocity is this process's alone: said at start, for a second consumer's sake
    assert "FINGUARD_REDIS_URL is not set" in " ".join(result.output.split())


def test_consume_refuses_a_partition_outside_the_count_naming_it(cli: Cli) -> None:
    result = cli("consume", "--nats-url", "nats://127.0.0.1:1", "--partitions", "2", "--partition", "2", "--seconds", "0.1", code=2)
    assert "partition" in result.output and "between 0 and partitions - 1" in " ".join(result.output.split())
    result = cli(
        "consume",
        "--nats-url",
        "nats://127.0.0.1:1",
        "--partitions",
        "4",
        "--partition",
        "1",
        "--partition",
        "1",
        "--seconds",
        "0.1",
        code=2,
    )
    assert "partition" in result.output and "more than once" in " ".join(result.output.split())


def test_consume_in_group_mode_takes_no_partition_and_says_what_it_owns_and_did(cli: Cli) -> None:
    args = ("consume", "--nats-url", "nats://127.0.0.1:1", "--partitions", "4", "--group", "--seconds", "0.1")
    refused = cli(*args, "--partition", "1", code=2)
    assert "partition" in refused.output and "group mode" in " ".join(refused.output.split())
    too_short = " ".join(cli(*args, "--lease-ttl", "2", code=2).output.split())
    assert "lease_ttl: must be at least 4 s" in too_short
    cli.env["FINGUARD_REDIS_URL"] = ""
    result = cli(*args[:-1], "1.5")
    said = " ".join(result.output.split())
    assert "stopped: decided 0" in said and "partitions taken 0, given up 0, lost 0" in said
    assert "in group mode a partition moves between consumers" in said


def test_a_bank_trains_on_its_own_events_puts_a_challenger_in_shadow_replays_and_promotes(cli: Cli, tmp_path: Path) -> None:
    events, labels = card_stream()
    ev = cli.file("events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    lab = cli.file("labels.csv", "event_id,label\n" + "".join(f"{k},fraud\n" for k, v in labels.items() if v))
    reg = str(tmp_path / "models")
    trained = cli("train", "--events", ev, "--labels", lab, "--registry", reg, "--rounds", "30", "--name", "cards").output
    assert "registered m0001 (cards)" in trained and "AUC" in trained and "calibration error (ECE)" in trained
    assert "precision at recall 0.8" in trained and "review 2% of events" in trained
    cli("models", "challenger", "m0001", "--reason", "shadow first", "--registry", reg)
    assert "challenger" in cli("models", "list", "--registry", reg).output
    replayed = cli("replay", "--events", ev, "--labels", lab, "--pack", "starter", "--model", "challenger", "--registry", reg).output
    assert "card.cnp_burst" in replayed and "OVERALL" in replayed
    assert "champion: m0001" in cli("models", "promote", "m0001", "--reason", "beats the rules", "--registry", reg).output
    history = cli("models", "history", "--registry", reg).output
    assert "set_challenger" in history and "set_champion" in history and "beats the rules" in history
    assert "no decision" not in cli("replay", "--events", ev, "--pack", "none", "--model", "champion", "--registry", reg, "--json").output
    # The training events themselves: only the 30-day history counts move (they fill up over the
    # first month), below PSI 0.5; amounts forty times larger move far more.
    drift = cli("drift", "--events", ev, "--model", "champion", "--registry", reg, "--alert-at", "0.5").output
    assert "drift of cards" in drift and "drifted" not in drift
    shifted = [{**e, "amount": str(int(float(e["amount"]) * 40))} for e in events]
    moved = cli.file("moved.jsonl", "".join(json.dumps(e) + "\n" for e in shifted))
    moved_out = cli("drift", "--events", moved, "--model", "champion", "--registry", reg, "--alert-at", "0.5").output
    assert "drifted: an alert was raised" in moved_out


def test_analysts_reviews_export_as_labels(cli: Cli, tmp_path: Path) -> None:
    cli("rules", "add", "big", "event.amount >= 50000", "--description", "big", "--score", "70")
    held = json.loads(cli("decide", cli.file("e.json", json.dumps(transfer("x1", at=now(), amount="60000"))), "--json").stdout)[0]
    from finguard.app.platform import Platform
    from finguard.core.settings import Settings

    with Platform(Settings(database_url=cli.env["FINGUARD_DATABASE_URL"], demo_on_first_start=False)) as p:
        assert p.guard.reviews is not None
        p.guard.reviews.review(held["decision_id"], "confirm_fraud", "customer reported it", "ana")
    out = tmp_path / "labels.csv"
    assert "wrote 1 label(s)" in cli("labels", "--out", str(out)).output
    lines = out.read_text().splitlines()
    assert lines[0] == "event_id,label,action,actor,reason,at,confirmed_at"
    assert lines[1].startswith("x1,1,confirm_fraud,ana,customer reported it,")
    assert lines[1].split(",")[-1] == lines[1].split(",")[-2]  # confirmed when the analyst said so


def test_a_label_file_is_imported_as_confirmed_fraud_at_merchants(cli: Cli) -> None:
    events, labels = card_stream(customers=6, days=12)
    ev = cli.file("events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    fraud = [k for k, v in labels.items() if v]
    lab = cli.file("labels.csv", "event_id,label,confirmed_at\n" + "".join(f"{k},1,2026-02-20T00:00:00Z\n" for k in fraud))
    assert f"{len(fraud)} confirmation(s)" in cli("fraud-import", "--events", ev, "--labels", lab).output
    assert "0 confirmation(s)" in cli("fraud-import", "--events", ev, "--labels", lab).output
    bad = cli.file("bad.csv", "event_id,label,confirmed_at\nx,1,soon\n")
    assert "confirmed_at" in cli("fraud-import", "--events", ev, "--labels", bad, code=2).output


def test_training_refuses_a_bad_event_file_naming_the_line(cli: Cli, tmp_path: Path) -> None:
    events, _ = card_stream(customers=2, days=2)
    bad = [*events[:3], {**events[3], "amount": "12,5"}]
    ev = cli.file("events.jsonl", "".join(json.dumps(e) + "\n" for e in bad))
    lab = cli.file("labels.csv", "event_id,label\n")
    result = cli("train", "--events", ev, "--labels", lab, "--registry", str(tmp_path / "m"), code=2)
    assert "line 4" in result.output and "amount" in result.output
    assert not (tmp_path / "m" / "registry.json").exists()


def test_a_csv_with_a_mapping_file_is_read_as_events(cli: Cli, tmp_path: Path) -> None:
    rows = ["tx,when,who,card_no,amt,shop,country,fraud"]
    events, labels = card_stream()
    for e in events:
        m = e["merchant"]
        rows.append(
            f"{e['event_id']},{e['occurred_at']},{e['customer_id']},{e['card']},{e['amount']},{m['id']},{m['region']},{labels[e['event_id']]}"
        )
    csv_file = cli.file("bank.csv", "\n".join(rows) + "\n")
    mapping = cli.file(
        "map.json",
        json.dumps(
            {
                "event_id": "tx",
                "occurred_at": "when",
                "customer_id": "who",
                "card": "card_no",
                "amount": "amt",
                "merchant.id": "shop",
                "merchant.region": "country",
                "constants": {"type": "card_auth", "channel": "pos"},
            }
        ),
    )
    lab = cli.file("labels.csv", "event_id,is_fraud\n" + "".join(f"{k},{v}\n" for k, v in labels.items()))
    out = cli("train", "--events", csv_file, "--mapping", mapping, "--labels", lab, "--registry", str(tmp_path / "m"), "--rounds", "20")
    assert "registered m0001" in out.output


def test_decided_events_stay_in_the_window(cli: Cli) -> None:
    """An event older than 30 days is refused with the reason."""
    old = transfer("old-1", at=now() - timedelta(days=31))
    assert "30 days" in cli("decide", cli.file("old.json", json.dumps(old)), code=2).output
