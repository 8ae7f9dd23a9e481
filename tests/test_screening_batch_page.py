"""The batch due-diligence page (#13): upload, progress, the report as CSV and XLSX."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.lists.model.lists import EntryDraft, Party, SubjectKind
from tests.conftest import make_settings
from tests.test_cases_web import sign_in

BATCH = (
    "key,name,kind,purpose\nc-20,Nicolas Maduro Moros,person,contract\nc-21,,person,hire\n"
    "c-22,=HYPERLINK(\"http://x\"),person,supplier\nc-23,Mary Jones,person,hire\n"
)


def listed(platform: Platform) -> Platform:
    platform.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
    platform.lists.add_entry("sdn", EntryDraft("maduro", SubjectKind.PERSON, party=Party(names=("MADURO MOROS, Nicolas",)),
                                               reason="sanctioned"), "t")
    return platform


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False, home=tmp_path)) as p:
        yield listed(p)


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


def _wait(web: TestClient, url: str) -> str:
    for _ in range(300):
        page = web.get(url)
        if 'data-state="done"' in page.text or 'data-state="failed"' in page.text:
            return page.text
        time.sleep(0.1)
    raise AssertionError("the batch job did not finish")


def test_upload_progress_and_reports(web: TestClient, platform: Platform, analyst_key: str) -> None:
    csrf = sign_in(web, analyst_key)
    page = web.get("/staff/screen/batch?lang=zh")
    assert page.status_code == 200 and "批量尽职调查" in page.text and "还没有批量任务" in page.text
    assert 'id="batch-link"' in web.get("/staff/screen?lang=en").text
    r = web.post("/staff/screen/batch?lang=en", data={"csrf": csrf, "lang": "en", "purpose": "customer"},
                 files={"file": ("parties.csv", BATCH.encode(), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    job_url = r.headers["location"]
    text = _wait(web, job_url)
    assert "3 parties screened: 1 match, 0 close match, 2 no match; 1 rows could not be processed." in text
    assert 'id="report-csv"' in text and "4 / 4 rows" in text
    job_id = job_url.split("/")[-1].split("?")[0]
    csv = web.get(f"/staff/screen/batch/{job_id}/report.csv")
    assert csv.status_code == 200 and csv.headers["content-disposition"].startswith("attachment;")
    assert "c-20" in csv.text and "MADURO" in csv.text
    xlsx = web.get(f"/staff/screen/batch/{job_id}/report.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "party_key" and {r[0] for r in rows[1:]} == {"c-20", "c-22", "c-23"}
    assert "'=HYPERLINK(\"http://x\")" in [r[1] for r in rows]  # formula neutralised in both reports
    listing = web.get("/staff/screen/batch?lang=en").text
    assert "parties.csv" in listing and 'data-state="done"' in listing


def test_refused_uploads_start_nothing(web: TestClient, platform: Platform, analyst_key: str) -> None:
    csrf = sign_in(web, analyst_key)
    url = "/staff/screen/batch?lang=en"
    for name, body, said in (("parties.xls", b"\xd0\xcf\x11\xe0", "must be a .csv or .jsonl file"),
                             ("parties.csv", b"\xff\xfe\x00bad", "is not UTF-8 text"),
                             ("parties.csv", b"who,what\n1,2\n", "unknown column &#39;who&#39;"),
                             ("parties.csv", b"  \n", "is empty")):
        r = web.post(url, data={"csrf": csrf, "lang": "en"}, files={"file": (name, body)}, follow_redirects=False)
        assert r.status_code == 422 and said in r.text, (name, r.text[-2000:])
    r = web.post(url, data={"csrf": csrf, "lang": "en", "purpose": "fun"}, files={"file": ("p.csv", BATCH.encode())},
                 follow_redirects=False)
    assert r.status_code == 422 and "purpose" in r.text
    r = web.post(url, data={"csrf": "forged", "lang": "en"}, files={"file": ("p.csv", BATCH.encode())}, follow_redirects=False)
    assert r.status_code == 403
    zh = web.post("/staff/screen/batch?lang=zh", data={"csrf": csrf, "lang": "zh"}, files={"file": ("p.xls", b"x")},
                  follow_redirects=False)
    assert zh.status_code == 422 and "文件须为 .csv 或 .jsonl" in zh.text
    zh = web.post("/staff/screen/batch?lang=zh", data={"csrf": csrf, "lang": "zh"}, files={"file": ("p.csv", b"\xff\xfe")},
                  follow_redirects=False)
    assert zh.status_code == 422 and "不是 UTF-8" in zh.text
    assert platform.batch_dd.recent() == []
    assert web.get("/staff/screen/batch/0123456789abcdef?lang=en").status_code == 404
    assert web.get("/staff/screen/batch/..%2F..%2Fetc?lang=en").status_code == 404
    assert web.get("/staff/screen/batch/0123456789abcdef/report.pdf").status_code in (404, 422)


def test_a_failed_or_orphaned_job_says_so(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from finguard.screening.service.batch import BatchJobs
    from finguard.screening.store.batchjobs import FileBatchJobs

    class Broken:
        def screen_records(self, records, *, default_purpose, progress=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("screener not ready")

    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    jobs = BatchJobs(FileBatchJobs(tmp_path / "dd"), Broken, lambda r, p: "", lambda: now[0], run_inline=True)
    failed = jobs.submit("p.csv", BATCH.encode(), "customer", "user:li")
    assert failed["state"] == "failed" and "screener not ready" in failed["error"]
    with pytest.raises(Exception, match="not ready"):
        jobs.report(failed["id"], "csv")
    # a job left running by a process that died shows as interrupted after 10 minutes
    files = FileBatchJobs(tmp_path / "dd")
    files.save_status(failed["id"], {**failed, "state": "running"})
    assert jobs.status(failed["id"])["state"] == "running"
    now[0] += timedelta(minutes=11)
    assert jobs.status(failed["id"])["state"] == "interrupted"
    assert files.status("../../etc") is None and files.report(failed["id"], "html") is None


def test_batch_jobs_through_the_api(web: TestClient, platform: Platform, analyst_key: str) -> None:
    h = {"X-API-Key": analyst_key}
    r = web.post("/api/v1/screening/batch-jobs?purpose=supplier", files={"file": ("parties.csv", BATCH.encode())}, headers=h)
    assert r.status_code == 202, r.text
    job = r.json()
    for _ in range(300):
        job = web.get(f"/api/v1/screening/batch-jobs/{job['id']}", headers=h).json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["state"] == "done" and job["total"] == job["done"] == 4 and job["match"] == 1 and job["rejected"] == 1
    assert job["by"] == "key:analyst-1" and job["purpose"] == "supplier"
    csv = web.get(job["report_csv"], headers=h)
    assert csv.status_code == 200 and "MADURO" in csv.text
    assert web.get(job["report_xlsx"], headers=h).content[:2] == b"PK"
    bad = web.post("/api/v1/screening/batch-jobs", files={"file": ("p.txt", b"x")}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "file"
    assert web.post("/api/v1/screening/batch-jobs?purpose=fun", files={"file": ("p.csv", b"x")}, headers=h).status_code == 422
    assert web.get("/api/v1/screening/batch-jobs/0123456789abcdef", headers=h).status_code == 404
    assert web.get(f"/api/v1/screening/batch-jobs/{job['id']}/report.pdf", headers=h).status_code == 422
    assert web.get(f"/api/v1/screening/batch-jobs/{job['id']}").status_code == 401
