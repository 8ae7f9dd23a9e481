"""``finguard credit``: generate a feed, apply, show, govern models; errors name the field."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from finguard.credit.cli import app

runner = CliRunner()


def test_generate_apply_and_show(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("FINGUARD_DATABASE_URL", db_url)
    feed = tmp_path / "feed"
    r = runner.invoke(app, ["generate", str(feed), "--n", "30", "--seed", "7", "--format", "json"])
    assert r.exit_code == 0, r.output
    uscc = next(csv.DictReader((feed / "labels.csv").open()))["uscc"]
    r = runner.invoke(app, ["apply", uscc, "--amount", "80000", "--purpose", "备货", "--feed", str(feed), "--json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.output)
    assert shown["outcome"] in {"approve", "refuse"} and shown["reasons"] is not None
    if shown["outcome"] == "refuse":
        assert shown["reasons"] and all(x["zh"] and x["en"] for x in shown["reasons"])
    r = runner.invoke(app, ["show", str(shown["id"])])
    assert r.exit_code == 0 and uscc in r.output
    r = runner.invoke(app, ["apply", uscc, "--amount", "lots", "--purpose", "x", "--feed", str(feed)])
    assert r.exit_code == 2 and "amount" in r.output


def test_train_validate_stability_and_promote(tmp_path, monkeypatch):
    monkeypatch.setenv("FINGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'f.db'}")
    r = runner.invoke(
        app, ["train", "--version", "t-1", "--synthetic", "1500", "--seed", "3", "--holdout", "0.2", "--out", str(tmp_path / "m.json")]
    )
    assert r.exit_code == 0, r.output
    model = json.loads((tmp_path / "m.json").read_text())
    assert model["data_fingerprint"] and 0.5 < model["metrics"]["holdout"]["auc"] <= 1
    assert model["metrics"]["n"] + model["metrics"]["holdout"]["n"] == 1500
    r = runner.invoke(app, ["validate", "--model", "t-1", "--synthetic", "1500", "--seed", "4", "--json"])
    assert r.exit_code == 0, r.output
    assert 0.5 < json.loads(r.output)["auc"] <= 1
    r = runner.invoke(app, ["stability", "--model", "t-1", "--n", "800", "--current-seed", "5", "--json"])
    assert r.exit_code == 0 and "psi" in json.loads(r.output)
    assert runner.invoke(app, ["promote", "t-1"]).exit_code == 0
    r = runner.invoke(app, ["models"])
    assert "t-1" in r.output and "champion" in r.output
    r = runner.invoke(app, ["train", "--version", "t-1", "--synthetic", "500"])
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(app, ["train", "--version", "t-9", "--synthetic", "500", "--holdout", "0.7"])
    assert r.exit_code == 2 and "holdout" in r.output


def test_train_from_files_with_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("FINGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'f.db'}")
    feed = tmp_path / "feed"
    assert runner.invoke(app, ["generate", str(feed), "--n", "1500", "--seed", "5"]).exit_code == 0
    r = runner.invoke(
        app, ["train", "--version", "files-1", "--records", str(feed), "--labels", str(feed / "labels.csv"), "--role", "none"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["train", "--version", "files-2", "--records", str(feed)])
    assert r.exit_code == 2 and "labels" in r.output
