"""Signing with the face check from the CLI (``finguard credit sign``) and from the staff
application page (an upload form; the two pictures side by side with the verdict and reason)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from finguard.access.pages import COOKIE, csrf_token
from finguard.app.http import create_app
from finguard.credit.cli import app as credit_cli
from finguard.credit.model.taxdata import record_to_doc
from tests.credit_helpers import good_record

runner = CliRunner()


@pytest.fixture
def faces(shared_data):
    root = shared_data / "faces" / "london-set"
    return {"photo": root / "neutral" / "001.jpg", "same": root / "smiling" / "001.jpg", "stranger": root / "smiling" / "002.jpg"}


@pytest.fixture
def feed_dir(tmp_path):
    folder = tmp_path / "feed"
    folder.mkdir()
    rec = good_record()
    (folder / f"{rec.firm.uscc}.json").write_text(json.dumps(record_to_doc(rec), ensure_ascii=False))
    return folder


def test_sign_from_the_cli_only_on_a_match(tmp_path, monkeypatch, db_url, feed_dir, faces):
    monkeypatch.setenv("FINGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("FINGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FINGUARD_CREDIT_TAX_FEED_DIR", str(feed_dir))
    r = runner.invoke(credit_cli, ["apply", good_record().firm.uscc, "--amount", "100000", "--purpose", "备货", "--json"])
    assert r.exit_code == 0, r.output
    app_id = str(json.loads(r.output)["id"])
    r = runner.invoke(credit_cli, ["sign", app_id, "--photo", str(faces["photo"]), "--capture", str(faces["stranger"])])
    assert r.exit_code == 1 and "no_match" in r.output and "not signed" in r.output
    r = runner.invoke(credit_cli, ["sign", app_id, "--photo", str(faces["photo"]), "--capture", str(tmp_path / "missing.jpg")])
    assert r.exit_code == 2 and "capture" in r.output
    (tmp_path / "note.txt").write_text("not a picture")
    r = runner.invoke(credit_cli, ["sign", app_id, "--photo", str(tmp_path / "note.txt"), "--capture", str(faces["same"])])
    assert r.exit_code == 2 and "photo" in r.output and "JPEG" in r.output
    assert json.loads(runner.invoke(credit_cli, ["show", app_id, "--json"]).output)["status"] != "signed"
    r = runner.invoke(credit_cli, ["sign", app_id, "--photo", str(faces["photo"]), "--capture", str(faces["same"]), "--json"])
    assert r.exit_code == 0, r.output
    done = json.loads(r.output)
    assert done["signed"] and done["face_check"]["outcome"] == "match" and done["face_check"]["reason"] == "same_person"
    assert json.loads(runner.invoke(credit_cli, ["show", app_id, "--json"]).output)["status"] == "signed"
    r = runner.invoke(credit_cli, ["sign", "999999", "--photo", str(faces["photo"]), "--capture", str(faces["same"])])
    assert r.exit_code == 2 and "999999" in r.output


@pytest.fixture
def web(platform, feed_dir):
    from fastapi.testclient import TestClient

    from finguard.credit.provider import CreditSettings, make_credit

    platform.credit = make_credit(platform.engine, CreditSettings(tax_feed_dir=feed_dir), face_check=_signing(platform),
                                  cases=lambda: platform.cases)  # fmt: skip
    with TestClient(create_app(platform)) as c:
        yield c


def _signing(platform):
    from finguard.app.signing import IdentitySigningCheck
    from finguard.identity.provider import identity_for

    return IdentitySigningCheck(lambda: identity_for(platform))


def _sign_in(client, secret):
    r = client.post("/staff/login", data={"api_key": secret, "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_token(client.cookies[COOKIE])


def _upload(web, app_id, csrf, lang, **files):
    parts = {name: (f"{name}.jpg", path.read_bytes(), "image/jpeg") for name, path in files.items()}
    return web.post(f"/staff/credit/{app_id}/sign", data={"csrf": csrf, "lang": lang}, files=parts)


def test_sign_from_the_staff_page_shows_both_pictures_with_the_verdict(web, platform, analyst_key, faces):
    csrf = _sign_in(web, analyst_key)
    app_id = platform.credit.apply(_ask(), channel="test").application_id
    page = web.get(f"/staff/credit/{app_id}?lang=zh")
    assert 'id="sign-form"' in page.text and 'enctype="multipart/form-data"' in page.text and "留存照片" in page.text
    refused = _upload(web, app_id, csrf, "en", photo=faces["photo"], capture=faces["stranger"])
    assert refused.status_code == 409
    assert 'data-verdict="no_match"' in refused.text and "does not match" in refused.text
    assert len(re.findall(r'src="data:image/jpeg;base64,', refused.text)) == 2
    assert 'data-stage="signed"' not in refused.text
    missing = _upload(web, app_id, csrf, "en", photo=faces["photo"])
    assert missing.status_code == 422 and 'id="e-capture"' in missing.text
    bad_token = _upload(web, app_id, "nope", "en", photo=faces["photo"], capture=faces["same"])
    assert bad_token.status_code in (400, 403) and 'data-stage="signed"' not in bad_token.text
    signed = _upload(web, app_id, csrf, "zh", photo=faces["photo"], capture=faces["same"])
    assert signed.status_code == 200, signed.text
    assert 'data-verdict="match"' in signed.text and "人脸一致：已签约" in signed.text and 'data-stage="signed"' in signed.text
    assert len(re.findall(r'src="data:image/jpeg;base64,', signed.text)) == 2
    assert platform.credit.get(app_id)["status"] == "signed"


def _ask():
    from tests.credit_helpers import ask

    return ask(good_record())
