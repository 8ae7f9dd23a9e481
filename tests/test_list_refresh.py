"""List refresh (#13): the list_refresh robot fetches each configured source from a local HTTP
server serving recorded files, applies a changed file as a diff, skips an unchanged one, leaves
the list as it was (and stale) when the file is broken or the server fails, and records the
source's own date."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

import finguard.app.cli  # noqa: F401 - registers how commands open the platform
from finguard.alerts.store import alert
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.clock import utcnow
from finguard.core.db import make_engine, upgrade
from finguard.core.errors import InvalidInput
from finguard.lists.model.lists import SubjectKind
from finguard.lists.service.importing import ImportGuards, SourceFormat, read_rows
from finguard.lists.service.lists import ListService
from finguard.lists.store.tables import import_run
from finguard.robots.cli import app as robots_cli
from finguard.robots.model import LIST_FRESHNESS, LIST_REFRESH, REFUSED_ALERT, STALE_ALERT, Outcome, RefreshSource, parse_sources
from finguard.robots.provider import make_robots
from finguard.robots.service.robots import RobotService
from finguard.robots.store.fetch import HttpFetcher
from tests.conftest import make_settings
from tests.test_cases_web import sign_in

DATA = Path(__file__).parent / "data" / "lists"
LAST_MODIFIED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class Server:
    """Serves ``files`` (path -> bytes) with an ETag and Last-Modified, answers conditional
    requests with 304, and ``status`` (path -> code) when set. Counts requests per path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.status: dict[str, int] = {}
        self.modified: dict[str, datetime] = {}
        self.hits: dict[str, int] = {}
        self.validators = True  # False: no ETag / Last-Modified, conditional requests ignored
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                if self.path in server.status:
                    self.send_error(server.status[self.path])
                    return
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = f'"{hash(body) & 0xFFFFFFFF:08x}"'
                if server.validators and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                if server.validators:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", format_datetime(server.modified.get(self.path, LAST_MODIFIED), usegmt=True))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = utcnow().replace(microsecond=0) + timedelta(days=1)  # after the lists' creation

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as p:
        for code, name in (("ofac-sdn", "OFAC"), ("un-sc", "UN"), ("eu-fsf", "EU"), ("uk-ofsi", "UK")):
            p.lists.create_list(code, name, "sanctions", "test", "critical")
        yield p


@pytest.fixture
def clock() -> Clock:
    return Clock()


def serve_all(server: Server) -> list[RefreshSource]:
    for name in ("sdn", "alt", "add"):
        server.files[f"/ofac/{name}.csv"] = (DATA / "ofac" / f"{name}.csv").read_bytes()
    server.files["/un.xml"] = (DATA / "un-consolidated.xml").read_bytes()
    server.files["/eu.xml"] = (DATA / "eu-fsf.xml").read_bytes()
    server.files["/uk.csv"] = (DATA / "uk-conlist.csv").read_bytes()
    return parse_sources({
        "ofac-sdn": {"url": server.url("/ofac/sdn.csv"), "format": "ofac", "alt_url": server.url("/ofac/alt.csv"),
                     "add_url": server.url("/ofac/add.csv")},
        "un-sc": {"url": server.url("/un.xml"), "format": "un"},
        "eu-fsf": {"url": server.url("/eu.xml"), "format": "eu"},
        "uk-ofsi": {"url": server.url("/uk.csv"), "format": "uk"},
    }, tuple(SourceFormat))


def robots_for(platform: Platform, clock: Clock, sources: list[RefreshSource], **kw: Any) -> RobotService:
    return make_robots(platform.engine, clock=clock, list_max_age_hours=48, list_sources=sources,
                       lists=ListService(platform.list_store, clock),
                       import_guards=ImportGuards(), fetcher=HttpFetcher(timeout_seconds=5, **kw))


def active(platform: Platform, code: str) -> set[str]:
    return {k for k, (_id, _h, on) in platform.list_store.entry_states(code).items() if on}


def fresh(robots: RobotService) -> dict[str, Any]:
    return {f.list_code: f for f in robots.freshness()}


def test_first_refresh_imports_then_unchanged_does_nothing_then_a_diff(platform: Platform, server: Server, clock: Clock) -> None:
    sources = serve_all(server)
    robots = robots_for(platform, clock, sources)
    run = robots.runner.run(LIST_REFRESH, actor="os:test")
    assert run.outcome is Outcome.OK, run.message
    assert run.counts["applied"] == 4 and run.counts["failed"] == 0
    assert run.counts["added"] == 12 + 12 + 10 + 10
    assert len(active(platform, "ofac-sdn")) == 12 and len(active(platform, "eu-fsf")) == 10
    f = fresh(robots)
    # The source date: the file's own publication date, else (OFAC's CSV has none) Last-Modified.
    assert f["un-sc"].source_date == datetime(2026, 2, 27, 0, 0, 9, 554000, tzinfo=UTC)
    assert f["eu-fsf"].source_date == datetime(2026, 11, 28, 16, 3, 11, 512000, tzinfo=UTC)
    assert f["uk-ofsi"].source_date == datetime(2026, 11, 27, tzinfo=UTC)
    assert f["ofac-sdn"].source_date == LAST_MODIFIED
    assert all(not x.stale for x in f.values())
    with platform.engine.connect() as conn:
        dates = dict(conn.execute(select(import_run.c.list_code, import_run.c.source_date)).all())
    assert dates["un-sc"] is not None and dates["ofac-sdn"] is not None
    head = platform.list_store.head_seq()

    # Unchanged: the server answers 304 to the conditional requests; nothing is applied.
    clock.now += timedelta(hours=3)
    again = robots.runner.run(LIST_REFRESH, actor="os:test")
    assert again.outcome is Outcome.OK and again.counts["unchanged"] == 4 and again.counts["applied"] == 0
    assert platform.list_store.head_seq() == head
    with platform.engine.connect() as conn:
        assert len(conn.execute(select(import_run.c.id)).all()) == 4  # no import was even started
    # ... and the check counts as a confirmation: the list's "as of" moves to it.
    assert fresh(robots)["un-sc"].as_of == clock.now

    # A server without validators: the same bytes are recognised by their hash.
    server.validators = False
    hits = server.hits["/un.xml"]
    third = robots.runner.run(LIST_REFRESH, actor="os:test", params={"list": "un-sc"})
    assert third.counts["unchanged"] == 1 and platform.list_store.head_seq() == head
    assert server.hits["/un.xml"] == hits + 1
    server.validators = True

    # A changed file: one record gone, one new, one changed -> exactly that diff.
    text = server.files["/eu.xml"].decode()
    first_start = text.index("  <sanctionEntity")
    first_end = text.index("</sanctionEntity>") + len("</sanctionEntity>\n")
    removed = text[first_start:first_end]
    added = removed.replace('logicalId="1000"', 'logicalId="1100"').replace("SIDOROV", "SIDORENKO")
    changed_text = text[:first_start] + text[first_end:] + ""
    changed_text = changed_text.replace("</export>", added + "</export>").replace("Olena", "Olena Ivanivna")
    changed_text = changed_text.replace('generationDate="2026-11-28T17:03:11.512+01:00"', 'generationDate="2026-12-01T09:00:00+01:00"')
    server.files["/eu.xml"] = changed_text.encode()
    clock.now += timedelta(hours=3)
    diff = robots.runner.run(LIST_REFRESH, actor="os:test", params={"list": "eu-fsf"})
    assert diff.outcome is Outcome.OK, diff.message
    assert (diff.counts["added"], diff.counts["changed"], diff.counts["delisted"]) == (1, 1, 1)
    keys = active(platform, "eu-fsf")
    assert "eu-1000" not in keys and "eu-1100" in keys and len(keys) == 10
    assert fresh(robots)["eu-fsf"].source_date == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_broken_files_and_server_errors_change_nothing_and_show_stale(platform: Platform, server: Server, clock: Clock) -> None:
    sources = serve_all(server)
    robots = robots_for(platform, clock, sources)
    assert robots.runner.run(LIST_REFRESH, actor="os:test").outcome is Outcome.OK
    head = platform.list_store.head_seq()
    before = {code: active(platform, code) for code in ("ofac-sdn", "un-sc", "eu-fsf", "uk-ofsi")}

    # A truncated XML file (cut mid-document), a truncated OFAC file (cut at a record boundary:
    # it parses, but lacks the end mark), and an HTTP 500.
    un = server.files["/un.xml"]
    server.files["/un.xml"] = un[: len(un) // 2]
    sdn = server.files["/ofac/sdn.csv"]
    server.files["/ofac/sdn.csv"] = b"\r\n".join(sdn.split(b"\r\n")[:10]) + b"\r\n"
    server.status["/uk.csv"] = 500
    clock.now += timedelta(hours=1)
    run = robots.runner.run(LIST_REFRESH, actor="os:test")
    assert run.outcome is Outcome.FAILED
    assert run.counts["failed"] == 3 and run.counts["unchanged"] == 1 and run.counts["refused"] == 2
    assert "un-sc" in run.message and "ofac-sdn" in run.message and "HTTP 500" in run.message
    assert platform.list_store.head_seq() == head
    assert {code: active(platform, code) for code in before} == before
    f = fresh(robots)
    assert f["un-sc"].stale and f["ofac-sdn"].stale and f["uk-ofsi"].stale and not f["eu-fsf"].stale
    assert "HTTP 500" in (f["uk-ofsi"].refresh_error or "")
    # A refused file raises one alert (and case) per content; the same file again raises nothing new.
    refused = [a for a in _alerts(platform) if a.kind == REFUSED_ALERT]
    assert sorted(a.subject for a in refused) == ["list:ofac-sdn", "list:un-sc"]
    assert run.counts["cases_opened"] >= 2
    clock.now += timedelta(hours=1)
    assert robots.runner.run(LIST_REFRESH, actor="os:test").outcome is Outcome.FAILED
    assert len([a for a in _alerts(platform) if a.kind == REFUSED_ALERT]) == 2
    # The freshness robot shows them stale and alerts once per list.
    fr = robots.runner.run(LIST_FRESHNESS, actor="os:test")
    assert fr.counts["stale"] == 3
    assert sorted(a.subject for a in _alerts(platform) if a.kind == STALE_ALERT) == ["list:ofac-sdn", "list:uk-ofsi", "list:un-sc"]

    # The sources recover: the lists are current again, nothing changed (same content as before).
    server.files["/un.xml"] = un
    server.files["/ofac/sdn.csv"] = sdn
    del server.status["/uk.csv"]
    clock.now += timedelta(hours=1)
    ok = robots.runner.run(LIST_REFRESH, actor="os:test")
    assert ok.outcome is Outcome.OK and ok.counts["unchanged"] == 4, ok.counts
    assert platform.list_store.head_seq() == head
    assert not any(x.stale for x in fresh(robots).values())


def test_a_mass_delisting_is_refused_and_raises_an_alert(platform: Platform, server: Server, clock: Clock) -> None:
    sources = serve_all(server)
    robots = robots_for(platform, clock, sources)
    assert robots.runner.run(LIST_REFRESH, actor="os:test").outcome is Outcome.OK
    # The UK file with 5 of its 10 targets: over the 20% a sync import may delist.
    lines = server.files["/uk.csv"].decode().splitlines(keepends=True)
    gone = ("14005", "14006", "14007", "14008", "14009")
    server.files["/uk.csv"] = "".join(line for line in lines if not line.rstrip().endswith(gone)).encode()
    run = robots.runner.run(LIST_REFRESH, actor="os:test", params={"list": "uk-ofsi"})
    assert run.outcome is Outcome.FAILED and "delist" in run.message
    assert len(active(platform, "uk-ofsi")) == 10
    assert [a.subject for a in _alerts(platform) if a.kind == REFUSED_ALERT] == ["list:uk-ofsi"]


def test_size_cap_and_bad_settings(platform: Platform, server: Server, clock: Clock) -> None:
    sources = serve_all(server)
    robots = robots_for(platform, clock, sources, max_bytes=5000)
    run = robots.runner.run(LIST_REFRESH, actor="os:test", params={"list": "un-sc"})
    assert run.outcome is Outcome.FAILED and "bytes" in run.message
    assert active(platform, "un-sc") == set()
    with pytest.raises(InvalidInput) as bad:
        parse_sources({"un-sc": {"url": "ftp://x", "format": "un"}, "eu": {"url": "http://x", "format": "pdf"}},
                      tuple(SourceFormat))
    assert {p.field for p in bad.value.problems} == {"list_sources.un-sc.url", "list_sources.eu.format"}
    unknown = robots.runner.run(LIST_REFRESH, actor="os:test", params={"list": "nope"})
    assert unknown.outcome is Outcome.FAILED and "list" in unknown.message


def test_eu_and_uk_parsers_read_the_published_layouts() -> None:
    eu = [r.draft for r in read_rows("eu", DATA / "eu-fsf.xml")]
    uk = [r.draft for r in read_rows("uk", DATA / "uk-conlist.csv")]
    assert all(d is not None for d in eu + uk)
    first = eu[0]
    assert first is not None and first.key == "eu-1000" and first.subject is SubjectKind.PERSON
    assert first.party is not None and first.party.names[0] == "Ivan Petrovich SIDOROV" and first.party.birth_dates == ("1961-03-14",)
    assert [i.value for i in first.identifiers] == ["720123456"]
    kinds = {d.key: d.subject for d in uk if d is not None}
    assert kinds["uk-14004"] is SubjectKind.ORGANISATION and kinds["uk-14000"] is SubjectKind.PERSON
    sidorov = next(d for d in uk if d is not None and d.key == "uk-14000")
    assert sidorov.party is not None and sidorov.party.names == ("Ivan Petrovich SIDOROV", "Ivan Sidorov")
    bad = list(read_rows("eu", DATA / "uk-conlist.csv"))
    assert len(bad) == 1 and bad[0].fatal
    bad_uk = list(read_rows("uk", DATA / "eu-fsf.xml"))
    assert len(bad_uk) == 1 and bad_uk[0].fatal


def _alerts(platform: Platform) -> list[Any]:
    with platform.engine.connect() as conn:
        return list(conn.execute(select(alert).order_by(alert.c.id)))


def test_a_manual_import_records_the_source_date_and_the_pages_show_it(platform: Platform, analyst_key: str) -> None:
    platform.import_file("un-sc", "un", DATA / "un-consolidated.xml", actor="test")
    with TestClient(create_app(platform)) as web:
        sign_in(web, analyst_key)
        page = web.get("/staff/robots?lang=en")
        assert page.status_code == 200 and "Source date" in page.text and "2026-02-27" in page.text
        assert "来源日期" in web.get("/staff/robots?lang=zh").text
        dash = web.get("/staff/?lang=en")
        assert 'data-source-date="2026-02-27T00:00:09.554000+00:00"' in dash.text
        fresh = {f["list_code"]: f for f in web.get("/api/v1/robots/lists", headers={"X-API-Key": analyst_key}).json()}
        assert fresh["un-sc"]["source_date"].startswith("2026-02-27T00:00:09") and fresh["eu-fsf"]["source_date"] is None


def test_refresh_from_the_command_line(tmp_path: Path, server: Server) -> None:
    serve_all(server)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    sources = {"un-sc": {"url": server.url("/un.xml"), "format": "un"}}
    env = {"FINGUARD_DATABASE_URL": url, "FINGUARD_HOME": str(tmp_path), "COLUMNS": "220", "FINGUARD_CLI_ACTOR": "li.na",
           "FINGUARD_DEMO_ON_FIRST_START": "false", "FINGUARD_LIST_SOURCES": json.dumps(sources)}
    with Platform(make_settings(url, tmp_path, delta_screening=False), follow=False) as p:
        p.lists.create_list("un-sc", "UN", "sanctions", "test", "critical")
    root = typer.Typer()
    root.add_typer(robots_cli, name="robots")
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(root, ["robots", *args], env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    out = run("refresh")
    assert "ok" in out and "applied=1" in out and "added=12" in out
    assert "unchanged=1" in run("refresh", "un-sc")
    assert "2026-02-27" in run("lists")
    assert "no source is configured" in run("refresh", "eu-fsf", code=1)
    server.status["/un.xml"] = 500
    failed = run("refresh", code=1)
    assert "HTTP 500" in failed
    assert "stale" in run("lists")
