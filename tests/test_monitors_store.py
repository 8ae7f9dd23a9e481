"""Monitor alerts land in the shared ``alert`` table (SQLite and PostgreSQL), read from the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from finguard.app.platform import Platform
from finguard.ledger.model import TransferDraft
from finguard.ledger.store.repo import SqlLedgerStore
from finguard.monitors.model import MonitorConfig, Typology
from finguard.monitors.service import monitor_ledger, run_monitors
from finguard.monitors.store import SqlMonitorStore

NOW = datetime(2024, 3, 1, tzinfo=UTC)


def _draft(i: int, src: str, dst: str, fen: int, at: datetime) -> TransferDraft:
    return TransferDraft(external_id=f"t{i}", src_account=src, dst_account=dst, amount_fen=fen, currency="CNY", at=at)


def test_cycle_and_fan_in_from_the_ledger_to_the_alert_table(platform: Platform) -> None:
    """Ledger: A -> B -> C -> A (1 000, 990, 980 yuan) and five senders paying H within a day."""
    t = datetime(2024, 2, 1, 9, tzinfo=UTC)
    drafts = [
        _draft(1, "A", "B", 100_000, t),
        _draft(2, "B", "C", 99_000, t + timedelta(hours=2)),
        _draft(3, "C", "A", 98_000, t + timedelta(hours=5)),
    ]
    drafts += [_draft(10 + i, f"S{i}", "H", 50_000 + i, t + timedelta(hours=i)) for i in range(5)]
    SqlLedgerStore(platform.engine).write("test", drafts, [], None)
    store = SqlMonitorStore(platform.engine)
    wanted = frozenset({Typology.CYCLE, Typology.FAN_IN})
    result = monitor_ledger(store, NOW, MonitorConfig(), wanted)
    assert len(result.alert_ids) == 2
    rows = {r["kind"]: r for r in store.results()}
    assert set(rows) == {"aml_cycle", "aml_fan_in"}
    cycle = rows["aml_cycle"]
    assert cycle["subject"] == "account:A" and cycle["severity"] == "high" and cycle["status"] == "open"
    d = cycle["details"]
    assert d["reason"]["en"].startswith("Money left account A and came back to it through 3 transfers")
    assert d["reason"]["zh"].startswith("资金从账户 A 转出")
    assert {n["id"] for n in d["subgraph"]["nodes"]} == {"A", "B", "C"}
    assert [(e["src"], e["dst"], e["amount"]) for e in d["subgraph"]["edges"]] == [
        ("A", "B", "1000.00"),
        ("B", "C", "990.00"),
        ("C", "A", "980.00"),
    ]
    assert d["subgraph"]["edges"][0]["at"] == "2024-02-01T09:00:00+00:00"
    assert rows["aml_fan_in"]["details"]["measure"] == 5
    # A second run over the same ledger stores nothing new.
    assert monitor_ledger(store, NOW, MonitorConfig(), wanted).alert_ids == []
    assert len(store.results(typology="cycle")) == 1


def test_since_until_limit_what_is_read(platform: Platform) -> None:
    t = datetime(2024, 2, 1, tzinfo=UTC)
    drafts = [_draft(i, f"S{i}", "H", 10_000, t + timedelta(hours=i)) for i in range(5)]
    SqlLedgerStore(platform.engine).write("test", drafts, [], None)
    store = SqlMonitorStore(platform.engine)
    fan = frozenset({Typology.FAN_IN})
    assert monitor_ledger(store, NOW, typologies=fan, since=t + timedelta(hours=1)).alert_ids == []
    assert len(monitor_ledger(store, NOW, typologies=fan, until=t + timedelta(days=1)).alert_ids) == 1


def test_amlsim_subset_smoke(shared_data: Path) -> None:
    """The AMLSim 20K sample: the laundering-shaped alerts name mostly fraud accounts (no timings)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "monitors"))
    from data import load_amlsim

    data_dir = shared_data / "aml" / "amlsim-20k-fanin200cycle200"
    if not data_dir.exists():
        pytest.fail(f"{data_dir} is missing (tests/data/PROVENANCE.md)")
    data = load_amlsim(data_dir)
    day = 86400
    cfg = MonitorConfig().with_overrides(
        {
            "split": {"min_parts": 2, "window": day},
            "fan_in": {"window": 150 * day, "min_burst": 0, "min_counterparties": 2},
        }
    )
    run = run_monitors(data.cols, cfg, frozenset({Typology.FAN_IN}))
    flagged = np.zeros(len(data.fraud), dtype=bool)
    for a in run.alerts:
        flagged[list(a.accounts)] = True
    precision = (flagged & data.fraud).sum() / flagged.sum()
    recall = (flagged & data.fraud).sum() / data.fraud.sum()
    assert precision >= 0.9 and recall >= 0.2


def test_api_run_and_results(platform: Platform, analyst_key: str) -> None:
    """POST /api/v1/monitors/run then GET /api/v1/monitors/results (router included here until app.py does)."""
    from fastapi.testclient import TestClient

    from finguard.app.http import create_app
    from finguard.monitors.http import router

    t = datetime(2024, 2, 1, tzinfo=UTC)
    drafts = [_draft(i, f"S{i}", "H", 10_000, t + timedelta(hours=i)) for i in range(6)]
    SqlLedgerStore(platform.engine).write("test", drafts, [], None)
    app = create_app(platform)
    if not any(getattr(r, "path", "") == "/api/v1/monitors/run" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as c:
        h = {"X-API-Key": analyst_key}
        r = c.post(
            "/api/v1/monitors/run",
            json={
                "typologies": ["fan_in"],
                "thresholds": {"fan_in": {"min_counterparties": 6, "min_total": 0}, "novelty": {"lookback": 0}},
            },
            headers=h,
        )
        assert r.status_code == 200, r.text
        assert r.json()["alerts"] == {"fan_in": 1} and len(r.json()["new_alert_ids"]) == 1
        got = c.get("/api/v1/monitors/results", params={"typology": "fan_in"}, headers=h).json()
        assert got[0]["subject"] == "account:H" and got[0]["details"]["measure"] == 6
        bad = c.post("/api/v1/monitors/run", json={"thresholds": {"fan_in": {"window": -1}}}, headers=h)
        assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "fan_in.window"
        assert c.post("/api/v1/monitors/run", json={}).status_code == 401


def test_cli_run_and_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from finguard.core.settings import Settings
    from finguard.monitors.cli import app

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FINGUARD_DATABASE_URL", url)
    monkeypatch.setenv("FINGUARD_DEMO_ON_FIRST_START", "false")
    monkeypatch.setenv("FINGUARD_INDEX_DIR", str(tmp_path / "index"))
    # A fan-in of five small payments without history: below the defaults' floor and first-contact look-back (#12).
    thresholds = tmp_path / "thresholds.toml"
    thresholds.write_text("[fan_in]\nmin_total = 0\n[novelty]\nlookback = 0\n", encoding="utf-8")
    monkeypatch.setenv("FINGUARD_MONITOR_THRESHOLDS", str(thresholds))
    t = datetime(2024, 2, 1, tzinfo=UTC)
    with Platform(Settings(), follow=False) as p:
        SqlLedgerStore(p.engine).write("test", [_draft(i, f"S{i}", "H", 10_000, t + timedelta(hours=i)) for i in range(5)], [], None)
    runner = CliRunner()
    res = runner.invoke(app, ["run", "-t", "fan_in", "--since", "2024-01-01"])
    assert res.exit_code == 0, res.output
    assert "1 new alert(s) stored" in " ".join(res.output.split())
    res = runner.invoke(app, ["results"])
    assert "account:H" in res.output
    assert "账户 H" in res.output
    bad = runner.invoke(app, ["run", "-t", "smurfing"])
    assert bad.exit_code == 2


def test_alert_counts_are_the_alerts_stored(shared_data: Path, engine: object) -> None:
    """#12: a run over AMLSim with the #5 AMLSim profile counted a ring once per hop it was found
    from (cycle 63 printed, 16 stored). The counts are distinct alerts: what a save stores."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "monitors"))
    from data import load_amlsim
    from run import AMLSIM_BASE

    data = load_amlsim(shared_data / "aml" / "amlsim-20k-fanin200cycle200")
    run = run_monitors(data.cols, MonitorConfig().with_overrides(AMLSIM_BASE), frozenset({Typology.CYCLE, Typology.STACK}))
    assert run.counts()["cycle"] > 0 and run.counts()["stack"] > 0
    stored = SqlMonitorStore(engine).save(run, MonitorConfig(), NOW)  # type: ignore[arg-type]
    assert len(stored) == len(run.alerts) == sum(run.counts().values())


def test_structuring_and_slow_cycle_alerts_in_the_alert_table(platform: Platform) -> None:
    """#12: the habit typologies' alerts go to the shared alert store like the others, once."""
    from finguard.monitors.model import default_config

    t = datetime(2024, 1, 1, 9, tzinfo=UTC)
    drafts = []
    for k, payer in enumerate(("P0", "P1", "R0", "R1", "R2")):
        drafts += [_draft(100 * k + d, payer, f"M{d % 3}", 30_000 + k, t + timedelta(days=5 * d)) for d in range(6)]
    for k, p in enumerate(("P0", "P1")):
        drafts += [_draft(1000 + 10 * k + j, p, "HUB", 350 + 20 * j, t + timedelta(days=40, hours=k, minutes=j)) for j in range(3)]
    hops = [("R0", "R1", 70), ("R1", "R2", 20), ("R2", "R0", 45)]
    drafts += [_draft(2000 + i, a, b, 1_151, t + timedelta(days=d)) for i, (a, b, d) in enumerate(hops)]
    SqlLedgerStore(platform.engine).write("test", drafts, [], None)
    store = SqlMonitorStore(platform.engine)
    wanted = frozenset({Typology.STRUCTURING, Typology.SLOW_CYCLE})
    result = monitor_ledger(store, NOW, default_config(), wanted)
    assert result.run.counts() == {"structuring": 1, "slow_cycle": 1} and len(result.alert_ids) == 2
    rows = {r["kind"]: r for r in store.results()}
    assert set(rows) == {"aml_structuring", "aml_slow_cycle"}
    s = rows["aml_structuring"]
    assert s["subject"] == "account:HUB" and s["severity"] == "medium" and s["details"]["measure"] == 2
    assert s["details"]["reason"]["zh"].startswith("账户 HUB 在") and s["details"]["thresholds"]["min_pieces"] == 2
    c = rows["aml_slow_cycle"]
    assert c["severity"] == "high" and {n["id"] for n in c["details"]["subgraph"]["nodes"]} == {"R0", "R1", "R2"}
    assert c["details"]["thresholds"]["window"] == 180 * 86400
    assert monitor_ledger(store, NOW, default_config(), wanted).alert_ids == []
