"""Shared by the page tests: a real uvicorn server in a thread, and Debian's headless Chromium."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    try:
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless. No skip: ./scripts/test installs it, so a missing browser fails."""
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}; run ./scripts/test, which installs it"
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


def new_page(browser: Browser, locale: str, width: int) -> Page:
    """A fresh browser context (own cookies) at ``width`` px, speaking ``locale``; downloads allowed."""
    return browser.new_context(viewport={"width": width, "height": 900}, locale=locale, accept_downloads=True).new_page()


def sign_in(page: Page, url: str, secret: str, lang: str) -> None:
    """Sign in to the staff pages with an API key, as a person does (the login form)."""
    page.goto(f"{url}/staff/login?lang={lang}")
    page.fill("#f-api_key", secret)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)  # signed in (the name is folded away on a phone)
