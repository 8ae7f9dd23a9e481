"""Signing a loan checks the signatory's face (#17): match signs, anything else refuses with its reason.

The credit service declares the check (``SigningFaceCheck``); the app answers it with the identity
capability's 1:1 verification.  ``unavailable`` (the check cannot run) refuses like a mismatch,
with a 503: a signing never passes because the face check was missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from finguard.app.signing import IdentitySigningCheck
from finguard.core.errors import Conflict, InvalidInput, Unavailable
from finguard.credit.http import router
from finguard.credit.model.taxdata import record_to_doc
from finguard.credit.service import CreditService, FaceCheckResult, FaceEvidence
from finguard.credit.store.files import FileTaxFeed
from finguard.credit.store.repo import SqlCreditStore
from finguard.identity.provider import identity_for
from tests.credit_helpers import ask, good_record

PICS = FaceEvidence(b"photo-bytes", b"capture-bytes")


@dataclass
class FakeCheck:
    outcome: str
    reason: str = "same_person"
    calls: int = 0

    def check(self, photo: bytes, capture: bytes, *, actor: str, channel: str) -> FaceCheckResult:
        self.calls += 1
        return FaceCheckResult(self.outcome, self.reason, 0.8 if self.outcome == "match" else None)


@pytest.fixture
def feed_dir(tmp_path):
    rec = good_record()
    (tmp_path / f"{rec.firm.uscc}.json").write_text(json.dumps(record_to_doc(rec), ensure_ascii=False))
    return tmp_path


def approved(svc: CreditService) -> int:
    r = svc.apply(ask(good_record()), actor="staff", channel="test")
    assert r.outcome == "approve"
    return r.application_id


def stages(svc: CreditService, app_id: int) -> list[str]:
    return [s["stage"] for s in svc.get(app_id)["stages"]]


def make(engine: Engine, feed_dir, check: FakeCheck | None, required: bool) -> CreditService:
    return CreditService(SqlCreditStore(engine), FileTaxFeed(feed_dir), face_check=check, face_at_signing=required)


def test_a_matching_face_signs_and_the_row_says_so(engine, feed_dir):
    check = FakeCheck("match")
    svc = make(engine, feed_dir, check, required=True)
    app_id = approved(svc)
    row = svc.advance(app_id, "signed", actor="staff", face=PICS)
    assert row["status"] == "signed" and row["face_check"] == {"outcome": "match", "reason": "same_person", "score": 0.8}
    assert check.calls == 1


@pytest.mark.parametrize(("outcome", "error"), [("no_match", Conflict), ("retake", Conflict), ("unavailable", Unavailable)])
def test_anything_but_a_match_refuses_and_records_nothing(engine, feed_dir, outcome, error):
    svc = make(engine, feed_dir, FakeCheck(outcome, reason="different_person"), required=True)
    app_id = approved(svc)
    with pytest.raises(error) as caught:
        svc.advance(app_id, "signed", actor="staff", face=PICS)
    assert outcome in str(caught.value) or "could not run" in str(caught.value)
    assert "signed" not in stages(svc, app_id)


def test_when_required_a_signing_without_pictures_names_the_capture(engine, feed_dir):
    svc = make(engine, feed_dir, FakeCheck("match"), required=True)
    app_id = approved(svc)
    with pytest.raises(InvalidInput) as caught:
        svc.advance(app_id, "signed", actor="staff")
    assert caught.value.problems[0].field == "capture"
    assert "signed" not in stages(svc, app_id)


def test_a_required_check_that_is_not_wired_is_unavailable_never_a_pass(engine, feed_dir):
    svc = make(engine, feed_dir, None, required=True)
    app_id = approved(svc)
    with pytest.raises(Unavailable):
        svc.advance(app_id, "signed", actor="staff", face=PICS)
    assert "signed" not in stages(svc, app_id)


def test_not_required_signing_works_as_before_and_pictures_given_are_still_checked(engine, feed_dir):
    check = FakeCheck("no_match", reason="different_person")
    svc = make(engine, feed_dir, check, required=False)
    app_id = approved(svc)
    with pytest.raises(Conflict):
        svc.advance(app_id, "signed", actor="staff", face=PICS)
    assert svc.advance(app_id, "signed", actor="staff")["status"] == "signed"
    with pytest.raises(InvalidInput) as caught:
        svc.advance(app_id, "disbursed", actor="staff", face=PICS)
    assert caught.value.problems[0].field == "capture"


def test_the_app_adapter_answers_unavailable_when_the_face_engine_cannot_run():
    def broken():
        raise ModuleNotFoundError("face_recognition_models is not installed")

    result = IdentitySigningCheck(broken).check(b"a", b"b", actor="staff", channel="api")
    assert result.outcome == "unavailable" and "face_recognition_models" in result.reason


def test_the_app_adapter_keeps_unreadable_pictures_an_input_error():
    def unreadable():
        raise InvalidInput.for_field("capture", "is not a picture")

    with pytest.raises(InvalidInput):
        IdentitySigningCheck(unreadable).check(b"a", b"b", actor="staff", channel="api")


@pytest.fixture
def api(client: TestClient, platform, feed_dir) -> TestClient:
    client.app.include_router(router)
    platform.credit = CreditService(
        SqlCreditStore(platform.engine),
        FileTaxFeed(feed_dir),
        face_check=IdentitySigningCheck(lambda: identity_for(platform)),
        face_at_signing=True,
    )
    return client


def test_signing_over_the_api_with_real_faces(api, platform, analyst_key, shared_data):
    root = shared_data / "faces" / "london-set"
    photo = (root / "neutral" / "001.jpg").read_bytes()
    h = {"X-API-Key": analyst_key}
    rec = good_record()
    body = {"uscc": rec.firm.uscc, "amount": "100000", "term_months": 12, "purpose": "购买原材料"}
    app_id = api.post("/api/v1/credit/applications", headers=h, json=body).json()["id"]
    plain = api.post(f"/api/v1/credit/applications/{app_id}/stages", headers=h, json={"stage": "signed"})
    assert plain.status_code == 422 and "capture" in plain.text
    stranger = api.post(
        f"/api/v1/credit/applications/{app_id}/sign",
        headers=h,
        files={"photo": ("p.jpg", photo, "image/jpeg"), "capture": ("c.jpg", (root / "smiling" / "002.jpg").read_bytes(), "image/jpeg")},
    )
    assert stranger.status_code == 409 and "no_match" in stranger.text
    assert api.get(f"/api/v1/credit/applications/{app_id}", headers=h).json()["status"] != "signed"
    missing = api.post(f"/api/v1/credit/applications/{app_id}/sign", headers=h, files={"photo": ("p.jpg", photo, "image/jpeg")})
    assert missing.status_code == 422 and "capture" in missing.text
    same = api.post(
        f"/api/v1/credit/applications/{app_id}/sign",
        headers=h,
        files={"photo": ("p.jpg", photo, "image/jpeg"), "capture": ("c.jpg", (root / "smiling" / "001.jpg").read_bytes(), "image/jpeg")},
    )
    assert same.status_code == 200, same.text
    out = same.json()
    assert out["application"]["status"] == "signed" and out["face_check"]["outcome"] == "match"
    assert out["face_check"]["reason"] == "same_person" and out["face_check"]["score"] > 0.4
    audited = [e for _, e in identity_for(platform).log.recent(10) if e.channel == "api:signing"]
    assert [e.outcome for e in reversed(audited)] == ["no_match", "match"]
