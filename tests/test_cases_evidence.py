"""Evidence attached to a case (#13): told by content, bounded in size, stored with its SHA-256,
downloaded only as an attachment, and every upload and download in the case's audit trail."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from finguard.alerts.model.attachments import check_upload, clean_name, sniff
from finguard.app.platform import Platform
from finguard.core.errors import InvalidInput, TooLarge
from tests.conftest import make_settings
from tests.test_cases_web import cases_app, raise_alert, sign_in

LIMIT = 4096
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def xlsx(macro: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["account", "amount"])
    out = io.BytesIO()
    wb.save(out)
    if not macro:
        return out.getvalue()
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\x00macro")
    return buf.getvalue()


# -- the checks (pure) ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "media"), [
    ("statement.pdf", PDF, "application/pdf"),
    ("photo.PNG", PNG, "image/png"),
    ("id card.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
    ("note.txt", "客户称未授权此交易\n".encode(), "text/plain"),
    ("note-gbk.txt", "客户称未授权此交易\n".encode("gb18030"), "text/plain"),
    ("rows.csv", b"\xef\xbb\xbfaccount,amount\n6222,100\n", "text/csv"),
    ("book.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_accepted_files(name: str, data: bytes, media: str) -> None:
    up = check_upload(name, data, 1 << 20)
    assert up.media_type == media and up.sha256 == hashlib.sha256(data).hexdigest() and up.size == len(data)


@pytest.mark.parametrize(("name", "data", "said"), [
    ("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 60, "a Windows program"),
    ("report.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "an HTML, SVG or XML document"),
    ("chart.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "an HTML, SVG or XML document"),
    ("photo.jpg", PNG, "is a PNG picture but named .jpg"),
    ("book.xlsx", xlsx(macro=True), "a macro-enabled Excel workbook"),
    ("page.html", b"<html></html>", "type .html is not accepted"),
    ("run.exe", b"MZ", "type .exe is not accepted (its content is a Windows program)"),
    ("noext", PDF, "type without an extension is not accepted"),
    ("data.csv", b"a,b\n\x00\x01\x02\x03", "an unrecognised binary file"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30, "an old Office document"),
])
def test_disguised_or_refused_types_are_named(name: str, data: bytes, said: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_upload(name, data, 1 << 20)
    assert exc.value.problems[0].field == "file" and said in exc.value.message
    assert "accepted" in exc.value.message or "agree" in exc.value.message


def test_size_and_names() -> None:
    with pytest.raises(TooLarge) as exc:
        check_upload("big.pdf", PDF + b"0" * 100, len(PDF))
    assert exc.value.status == 413
    with pytest.raises(InvalidInput):
        check_upload("empty.pdf", b"")
    assert clean_name("C:\\Users\\li\\..\\evil\x07.pdf") == "evil.pdf"
    assert clean_name("../../etc/passwd") == "passwd"
    assert len(clean_name("a" * 400 + ".pdf")) == 255 and clean_name("a" * 400 + ".pdf").endswith(".pdf")
    assert sniff(b"GIF89a...") == "a GIF picture"


# -- the API and the pages (SQLite and PostgreSQL) ---------------------------------------------


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False, case_attachment_max_bytes=LIMIT)) as p:
        yield p


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(cases_app(platform)) as c:
        yield c


def _case_id(web: TestClient, platform: Platform, key: str) -> int:
    raise_alert(platform)
    return int(web.get("/api/v1/cases", headers={"X-API-Key": key}).json()["items"][0]["id"])


def _stored(platform: Platform) -> int:
    with platform.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM case_attachment").scalar_one())


def test_evidence_through_the_api(web: TestClient, platform: Platform, analyst_key: str, admin_key: str) -> None:
    h = {"X-API-Key": analyst_key}
    cid = _case_id(web, platform, analyst_key)
    r = web.post(f"/api/v1/cases/{cid}/attachments", files={"file": ("银行流水.pdf", PDF, "application/pdf")}, headers=h)
    assert r.status_code == 201, r.text
    att = r.json()
    assert att["sha256"] == hashlib.sha256(PDF).hexdigest() and att["uploaded_by"] == "key:analyst-1"
    assert att["name"] == "银行流水.pdf" and att["media_type"] == "application/pdf" and att["size"] == len(PDF)

    # refused: oversized (413), disguised (422), not multipart, a missing part; nothing stored
    too_big = web.post(f"/api/v1/cases/{cid}/attachments", files={"file": ("big.pdf", PDF + b"x" * LIMIT, "application/pdf")},
                       headers=h)
    assert too_big.status_code == 413 and too_big.json()["error"]["problems"][0]["field"] == "file"
    just_over = web.post(f"/api/v1/cases/{cid}/attachments",
                         files={"file": ("edge.pdf", PDF + b"x" * (LIMIT - len(PDF) + 1), "application/pdf")}, headers=h)
    assert just_over.status_code == 413
    fake = web.post(f"/api/v1/cases/{cid}/attachments",
                    files={"file": ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf")}, headers=h)
    assert fake.status_code == 422 and "a Windows program" in fake.json()["error"]["message"]
    html = web.post(f"/api/v1/cases/{cid}/attachments", files={"file": ("a.txt", b"<html><script>x</script>", "text/plain")},
                    headers=h)
    assert html.status_code == 422 and "HTML" in html.json()["error"]["message"]
    assert web.post(f"/api/v1/cases/{cid}/attachments", content=PDF, headers=h).status_code == 422
    missing = web.post(f"/api/v1/cases/{cid}/attachments", files={"other": ("a.pdf", PDF)}, headers=h)
    assert missing.status_code == 422 and missing.json()["error"]["problems"][0]["field"] == "file"
    assert web.post("/api/v1/cases/99999/attachments", files={"file": ("a.pdf", PDF)}, headers=h).status_code == 404
    assert _stored(platform) == 1

    listed = web.get(f"/api/v1/cases/{cid}/attachments", headers=h).json()
    assert [a["id"] for a in listed] == [att["id"]]
    assert web.get(f"/api/v1/cases/{cid}", headers=h).json()["attachments"] == listed
    got = web.get(att["url"], headers={"X-API-Key": admin_key})
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E9%93%B6" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff" and "sandbox" in got.headers["content-security-policy"]
    assert web.get(f"/api/v1/cases/{cid}/attachments/{att['id'] + 99}", headers=h).status_code == 404
    assert web.get(att["url"]).status_code == 401

    trail = web.get(f"/api/v1/cases/{cid}", headers=h).json()["events"]
    attach, download = [e for e in trail if e["action"] in ("attach", "download")]
    assert attach["actor"] == "key:analyst-1" and attach["data"]["sha256"] == att["sha256"]
    assert attach["data"]["attachment_id"] == att["id"] and attach["reason"] == "银行流水.pdf"
    assert download["actor"] == "key:admin-1" and download["data"]["attachment_id"] == att["id"]

    # a closed case takes no more evidence (its files stay downloadable)
    web.post(f"/api/v1/cases/{cid}/close", json={"disposition": "false_positive", "reason": "ok"}, headers=h)
    late = web.post(f"/api/v1/cases/{cid}/attachments", files={"file": ("late.pdf", PDF)}, headers=h)
    assert late.status_code == 409 and _stored(platform) == 1
    assert web.get(att["url"], headers=h).status_code == 200


def test_evidence_from_the_case_page(web: TestClient, platform: Platform, analyst_key: str) -> None:
    cid = _case_id(web, platform, analyst_key)
    csrf = sign_in(web, analyst_key)
    url = f"/staff/cases/{cid}/attachments?lang=en"
    r = web.post(url, data={"csrf": csrf, "lang": "en"}, files={"file": ("rows.csv", b"a,b\n=1+1,2\n", "text/csv")},
                 follow_redirects=False)
    assert r.status_code == 303
    page = web.get(f"/staff/cases/{cid}?lang=en")
    assert 'class="attachment-row"' in page.text and "rows.csv" in page.text and "Evidence uploaded" in page.text
    r = web.post(url, data={"csrf": "forged", "lang": "en"}, files={"file": ("b.csv", b"a,b\n")}, follow_redirects=False)
    assert r.status_code == 403
    r = web.post(url, data={"csrf": csrf, "lang": "en"}, files={"file": ("x.png", b"MZ" + b"\x00" * 10)}, follow_redirects=False)
    assert r.status_code == 422 and "a Windows program" in r.text and "The file was not accepted" in r.text
    r = web.post(url, data={"csrf": csrf, "lang": "en"}, files={"file": ("big.pdf", PDF + b"x" * LIMIT)}, follow_redirects=False)
    assert r.status_code == 413 and "larger than" in r.text
    assert _stored(platform) == 1
    att_id = web.get(f"/api/v1/cases/{cid}/attachments", headers={"X-API-Key": analyst_key}).json()[0]["id"]
    got = web.get(f"/staff/cases/{cid}/attachments/{att_id}")
    assert got.status_code == 200 and got.content == b"a,b\n=1+1,2\n"
    assert got.headers["content-disposition"].startswith("attachment;") and got.headers["content-type"].startswith("text/csv")
    assert "Evidence downloaded" in web.get(f"/staff/cases/{cid}?lang=en").text
    zh = f"/staff/cases/{cid}/attachments?lang=zh"
    r = web.post(zh, data={"csrf": csrf, "lang": "zh"}, files={"file": ("发票.pdf", b"MZ" + b"\x00" * 10)}, follow_redirects=False)
    assert r.status_code == 422 and "文件内容是Windows 可执行程序，却以 .pdf 命名" in r.text
    r = web.post(zh, data={"csrf": csrf, "lang": "zh"}, files={"file": ("a.png", PDF)}, follow_redirects=False)
    assert r.status_code == 422 and "文件内容是PDF 文档，与扩展名 .png 不符" in r.text
    r = web.post(zh, data={"csrf": csrf, "lang": "zh"}, files={"file": ("big.pdf", PDF + b"x" * LIMIT)}, follow_redirects=False)
    assert r.status_code == 413 and "文件超过 0.00390625 MB 的上限" in r.text


# -- the list: age filter, XLSX export, bulk close (item 2) -----------------------------------


def test_age_filter_xlsx_export_and_bulk_close(web: TestClient, platform: Platform, analyst_key: str) -> None:
    from datetime import UTC, datetime, timedelta

    from openpyxl import load_workbook

    from finguard.alerts.store import alert

    h = {"X-API-Key": analyst_key}
    old = datetime.now(UTC) - timedelta(days=5)
    with platform.engine.begin() as conn:
        conn.execute(alert.insert().values(kind="aml_fan_in", subject="=HYPERLINK(\"http://x\")", severity="low",
                                           status="open", summary="-2+3", details={}, created_at=old, source_seq=None))
    raise_alert(platform, severity="high", subject="account:fresh")
    assert web.get("/api/v1/cases?age=3to7d", headers=h).json()["total"] == 1
    assert web.get("/api/v1/cases?age=lt1d", headers=h).json()["items"][0]["subject"] == "account:fresh"
    assert web.get("/api/v1/cases?age=gt7d", headers=h).json()["total"] == 0
    bad = web.get("/api/v1/cases?age=old", headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "age"

    r = web.get("/api/v1/cases/export.xlsx?age=3to7d", headers=h)
    assert r.status_code == 200 and r.headers["content-disposition"] == 'attachment; filename="cases.xlsx"'
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "kind", "state") and len(rows) == 2
    assert rows[1][6] == "'=HYPERLINK(\"http://x\")" and rows[1][7] == "'-2+3"  # formulas neutralised
    assert web.get("/api/v1/cases/export.xlsx?sla=late", headers=h).status_code == 422
    assert "'=HYPERLINK" in web.get("/api/v1/cases/export.csv?age=3to7d", headers=h).text

    csrf = sign_in(web, analyst_key)
    page = web.get("/staff/cases?lang=en&age=lt1d")
    assert 'id="export-xlsx"' in page.text and "age=lt1d" in page.text and page.text.count('class="case-row"') == 1
    assert web.get("/staff/cases/export.xlsx?state=all").content[:2] == b"PK"
    ids = [str(c["id"]) for c in web.get("/api/v1/cases", headers=h).json()["items"]]
    r = web.post("/staff/cases", data={"csrf": csrf, "lang": "en", "bulk": "close", "ids": ids,
                                        "disposition": "false_positive", "reason": "known payroll pattern"},
                 follow_redirects=False)
    assert r.status_code == 303 and "done=2.1" in r.headers["location"]
    assert "2 cases done; 1 of them wait" in web.get(r.headers["location"]).text
    left = web.get("/api/v1/cases", headers=h).json()["items"]
    assert [c["subject"] for c in left] == ["account:fresh"] and left[0]["pending_disposition"] == "false_positive"
    r = web.post("/staff/cases", data={"csrf": csrf, "lang": "en", "bulk": "close", "ids": ids, "disposition": "x",
                                        "reason": "r"}, follow_redirects=False)
    assert r.status_code == 409 and "Not done" in r.text


# -- the supervisor dashboard (item 3) ---------------------------------------------------------


def test_dashboard_charts(web: TestClient, platform: Platform, analyst_key: str, admin_key: str) -> None:
    from datetime import UTC, datetime, timedelta

    from finguard.alerts.store import alert

    h = {"X-API-Key": analyst_key}
    with platform.engine.begin() as conn:
        for days in (0, 2, 10):
            conn.execute(alert.insert().values(kind="aml_fan_in", subject=f"account:{days}", severity="low", status="open",
                                               summary="s", details={}, created_at=datetime.now(UTC) - timedelta(days=days)))
    items = web.get("/api/v1/cases", headers=h).json()["items"]
    overdue = next(c for c in items if c["subject"] == "account:10")
    web.post(f"/api/v1/cases/{overdue['id']}/close", json={"disposition": "duplicate", "reason": "same as #1"}, headers=h)
    board = web.get("/api/v1/cases/dashboard", headers=h).json()
    assert board["total"] == 2 and board["by_age"]["1-3d"] == {"breached": 0, "due_soon": 0, "ok": 1}
    assert len(board["closed_per_day"]) == 30 and board["closed_per_day"][-1]["closed"] == 1
    assert board["dispositions"] == {"duplicate": 1}

    sign_in(web, analyst_key)
    for lang, words in (("en", ("Supervisor dashboard", "Closed per day", "Duplicate", "1 in all")),
                        ("zh", ("主管看板", "近 30 天每日结案数", "重复", "合计 1 件"))):
        page = web.get(f"/staff/cases/dashboard?lang={lang}")
        assert page.status_code == 200, page.text
        for w in words:
            assert w in page.text
        for chart in ("age-chart", "closed-chart", "disposition-chart"):
            assert f'id="{chart}"' in page.text and f'aria-labelledby="{chart}-title"' in page.text
        assert "<script" not in page.text and "style=" not in page.text.split("<main", 1)[1]
    assert 'data-series="ok" data-n="1"' in web.get("/staff/cases/dashboard?lang=en").text
    assert 'id="supervisor-dashboard"' in web.get("/staff/?lang=zh").text
