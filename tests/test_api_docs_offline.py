"""/docs works on an intranet: Swagger UI's assets come from the package, nothing from outside (#13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Route, expect

from finguard.app.http import create_app
from finguard.app.platform import Platform
from tests.browser import serve
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("docs")
    platform = Platform(make_settings(f"sqlite:///{tmp_path}/d.db", tmp_path))
    try:
        with serve(create_app(platform)) as url:
            yield url
    finally:
        platform.close()


def test_docs_page_names_only_local_assets(tmp_path: Path) -> None:
    platform = Platform(make_settings(f"sqlite:///{tmp_path}/d.db", tmp_path))
    try:
        with TestClient(create_app(platform)) as client:
            html = client.get("/docs").text
            assert "cdn.jsdelivr" not in html and "https://" not in html and "http://" not in html
            for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
                assert f"/static/vendor/swagger-ui/{asset}" in html
                got = client.get(f"/static/vendor/swagger-ui/{asset}")
                assert got.status_code == 200 and len(got.content) > 500, asset
            assert client.get("/static/vendor/swagger-ui/package.json").status_code == 404
            assert client.get("/redoc").status_code == 404  # FastAPI's ReDoc would load a CDN script: off
    finally:
        platform.close()


@pytest.mark.browser
def test_browser_docs_render_the_operations_with_no_outside_request(live: str, browser: Browser) -> None:
    outside: list[str] = []

    def guard(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.route("**/*", guard)
        page = context.new_page()
        page.goto(f"{live}/docs")
        expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
        assert page.locator(".opblock-summary-path", has_text="/api/v1/public/check").count() >= 1
        assert page.locator(".opblock").count() > 20
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("finguard")
        page.wait_for_load_state("networkidle")
        assert outside == [], outside
    finally:
        context.close()
