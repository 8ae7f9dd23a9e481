"""Decisions a person can work: the event, the customer's history and the reasons on one page;
a held payment released or fraud confirmed, with who and why, feeding the labels; replay by API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from finguard.app.platform import Platform
from finguard.core import http_errors as errors
from finguard.guard.http.routes import router
from finguard.guard.model.events import parse_event
from finguard.guard.model.rules import Rule
from finguard.guard.provider import make_guard
from finguard.guard.service.model import train_version
from finguard.guard.service.registry import ModelRegistry
from finguard.guard.service.training import build_dataset
from tests.conftest import make_settings
from tests.guard_helpers import T0, Clock, card_stream, transfer
from tests.test_web_staff import sign_in, staff_app

HOLD = Rule("big", "event.amount >= 50000", "a large transfer", score=70)


def H(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    platform.guard = make_guard(platform.engine, platform.checker, clock=Clock())  # type: ignore[attr-defined]
    platform.guard.rules.save(HOLD, "t")
    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    app.state.platform = platform
    with TestClient(app) as c:
        yield c


def test_a_held_payment_is_released_or_confirmed_with_who_and_why_and_becomes_a_label(api: TestClient, analyst_key: str) -> None:
    held = api.post("/api/v1/guard/events", json=transfer("h1", amount="60000"), headers=H(analyst_key)).json()
    allowed = api.post("/api/v1/guard/events", json=transfer("a1", at=T0 + timedelta(minutes=1)), headers=H(analyst_key)).json()
    assert held["outcome"] == "hold" and allowed["outcome"] == "allow"

    path = f"/api/v1/guard/decisions/{held['decision_id']}/review"
    r = api.post(path, json={"action": "release", "reason": "customer confirmed by phone"}, headers=H(analyst_key))
    assert r.status_code == 201 and r.json()["label"] == 0 and r.json()["actor"] == "key:analyst-1"
    r = api.post(path, json={"action": "confirm_fraud", "reason": "customer called back: scam"}, headers=H(analyst_key))
    assert r.status_code == 201 and r.json()["label"] == 1

    refused = api.post(
        f"/api/v1/guard/decisions/{allowed['decision_id']}/review", json={"action": "release", "reason": ""}, headers=H(analyst_key)
    )
    assert refused.status_code == 422 and {p["field"] for p in refused.json()["error"]["problems"]} == {"action", "reason"}
    assert (
        api.post(path.replace(held["decision_id"], "nope"), json={"action": "legit", "reason": "x"}, headers=H(analyst_key)).status_code
        == 404
    )

    reviews = api.get(f"/api/v1/guard/decisions/{held['decision_id']}/reviews", headers=H(analyst_key)).json()
    assert [r["action"] for r in reviews] == ["release", "confirm_fraud"]
    labels = api.get("/api/v1/guard/labels", headers=H(analyst_key)).json()
    assert [(lab["event_id"], lab["label"]) for lab in labels] == [("h1", 1)]  # the latest word on each event


def test_replay_by_api_follows_the_events_clock_and_stores_nothing(api: TestClient, analyst_key: str, platform: Platform) -> None:
    events, labels = card_stream(customers=12, days=12)
    assert events[0]["occurred_at"] < "2026-02-02"  # far older than the live 30-day window
    body = {"events": events, "labels": labels, "pack": "starter"}
    report = api.post("/api/v1/guard/replay", json=body, headers=H(analyst_key)).json()
    assert report["events"] == len(events) and report["fraud"] == sum(labels.values())
    cnp = report["rules"]["card.cnp_burst"]
    assert cnp["fraud_caught"] > 0 and cnp["precision"] == 1.0 and report["overall"]["recall"] > 0.5
    assert platform.guard.store.stored_decisions(None, None, 10) == []  # nothing decided for real
    bad = api.post("/api/v1/guard/replay", json={"events": [{**events[0], "amount": "x"}]}, headers=H(analyst_key))
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "events[0].amount"
    assert api.post("/api/v1/guard/replay", json={"events": [], "model": "champion"}, headers=H(analyst_key)).status_code == 422


def test_the_decision_page_shows_the_event_history_reasons_and_takes_a_review(platform: Platform, analyst_key: str) -> None:
    platform.guard.rules.save(HOLD, "t")
    now = platform.guard.clock()
    first = platform.guard.decide_raw(transfer("p1", at=now - timedelta(hours=2), amount="120.00"))
    held = platform.guard.decide_raw(transfer("p2", at=now - timedelta(hours=1), amount="60000.00", device="dev-9"))
    with TestClient(staff_app(platform)) as web:
        analyst = sign_in(web, analyst_key)
        page = web.get(f"/staff/guard/decisions/{held.decision_id}?lang=en").text
        assert "60000.00" in page and "6228000099998888" in page and "dev-9" in page  # the event
        assert first.decision_id in page and "120.00" in page  # the customer's earlier event
        assert "a large transfer" in page and 'value="release"' in page  # reasons; a held payment can be released
        bad = analyst.post(f"/staff/guard/decisions/{held.decision_id}/review", {"action": "release", "reason": "", "lang": "en"})
        assert bad.status_code == 422 and "say why" in bad.text
        ok = analyst.post(f"/staff/guard/decisions/{held.decision_id}/review", {"action": "release", "reason": "called the customer"})
        assert ok.status_code == 303
        page = web.get(f"/staff/guard/decisions/{held.decision_id}?lang=en").text
        assert "called the customer" in page and "key:analyst-1" in page
        listing = web.get("/staff/guard?lang=en").text
        assert listing.index("60000.00") < listing.index(">120.00<")  # newest event first, shown at its own time


def test_the_models_page_lists_versions_and_an_admin_sets_roles_with_a_reason(db_url: str, tmp_path: Path) -> None:
    raw, labels = card_stream()
    reg = ModelRegistry(tmp_path / "models")
    train_version(build_dataset([parse_event(e, None) for e in raw], labels), reg, name="cards", fingerprint={}, actor="t", rounds=20)
    with Platform(make_settings(db_url, tmp_path, delta_screening=False, guard_model_registry=reg.root)) as p:
        key = p.keys.create("admin-1", "admin", actor="test")[1]
        with TestClient(staff_app(p)) as web:
            admin = sign_in(web, key)
            page = web.get("/staff/guard/models?lang=en").text
            assert "m0001" in page and "cards" in page and "Make champion" in page
            r = admin.post("/staff/guard/models/m0001", {"action": "champion", "reason": "beats the pack", "lang": "en"})
            assert r.status_code == 303 and reg.roles()["champion"] == "m0001"
            assert "beats the pack" in web.get("/staff/guard/models?lang=en").text
            assert admin.post("/staff/guard/models/m0009", {"action": "champion", "lang": "en"}).status_code == 404


def test_the_replay_page_replays_stored_events_with_analysts_labels(platform: Platform, analyst_key: str) -> None:
    platform.guard.rules.save(HOLD, "t")
    now = platform.guard.clock()
    held = platform.guard.decide_raw(transfer("r1", at=now - timedelta(hours=1), amount="60000.00"))
    platform.guard.decide_raw(transfer("r2", at=now - timedelta(minutes=30), amount="100.00"))
    assert platform.guard.reviews is not None
    platform.guard.reviews.review(held.decision_id, "confirm_fraud", "reported", "ana")
    with TestClient(staff_app(platform)) as web:
        sign_in(web, analyst_key)
        since = (now - timedelta(days=1)).isoformat()
        page = web.get("/staff/guard/replay", params={"since": since, "pack": "current", "lang": "en"})
        assert page.status_code == 200 and "2 events · 1 fraud" in page.text and "<code>big</code>" in page.text
        assert web.get("/staff/guard/replay", params={"since": "yesterday", "lang": "en"}).status_code == 422
    assert len(platform.guard.store.stored_decisions(None, None, 10)) == 2  # the replay stored nothing


def test_an_allowed_score_below_the_explain_floor_has_its_contributions_computed_on_demand(
    platform: Platform, analyst_key: str, tmp_path: Path
) -> None:
    from finguard.guard.service.engine import GuardConfig
    from finguard.guard.service.model import LightGBMScorer

    raw, labels = card_stream()
    reg = ModelRegistry(tmp_path / "models")
    train_version(build_dataset([parse_event(e, None) for e in raw], labels), reg, name="cards", fingerprint={}, actor="t", rounds=20)
    model = LightGBMScorer(reg.path_of("m0001"))
    platform.guard = make_guard(platform.engine, platform.checker, clock=Clock(), model=model, config=GuardConfig(explain_floor=0.99))  # type: ignore[attr-defined]
    platform.guard.rules.save(HOLD, "t")
    allowed = platform.guard.decide_raw(transfer("lz1", amount="120.00"))
    held = platform.guard.decide_raw(transfer("lz2", at=T0 + timedelta(minutes=1), amount="60000.00"))
    assert allowed.outcome.value == "allow" and held.outcome.value == "hold"
    [lazy] = [r for r in allowed.reasons if r.kind.value == "model"]
    assert lazy.values["explained"] is False and lazy.values["model_version"] == model.version
    [shown] = [r for r in held.reasons if r.kind.value == "model"]
    assert "top" in shown.values and "explained" not in shown.values  # not allowed: explained at once
    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    app.state.platform = platform
    with TestClient(app) as api:
        got = api.get(f"/api/v1/guard/decisions/{allowed.decision_id}/contributions", headers=H(analyst_key)).json()
        [c] = got["contributions"]
        want = model.explain(parse_event(transfer("lz1", amount="120.00"), None), {})
        assert c["available"] and c["same_score"] and c["code"] == "cards" and c["score"] == lazy.values["score"]
        assert want is not None and want.score == c["score"]
        assert api.get(f"/api/v1/guard/decisions/{held.decision_id}/contributions", headers=H(analyst_key)).json()["contributions"] == []
        assert api.get("/api/v1/guard/decisions/nope/contributions", headers=H(analyst_key)).status_code == 404
        assert api.get(f"/api/v1/guard/decisions/{allowed.decision_id}/contributions").status_code == 401
    with TestClient(staff_app(platform)) as web:
        sign_in(web, analyst_key)
        page = web.get(f"/staff/guard/decisions/{allowed.decision_id}?lang=en").text
        assert "contributions not computed below the explain floor 0.99" in page and "Compute the contributions" in page
        page = web.get(f"/staff/guard/decisions/{allowed.decision_id}?lang=en&contributions=1").text
        assert 'id="contributions"' in page and "Compute the contributions" not in page
        assert "计算得分贡献" in web.get(f"/staff/guard/decisions/{allowed.decision_id}?lang=zh").text
