"""Fetching a list's official file over HTTP (httpx): a timeout, a size cap, conditional requests
(``If-None-Match`` / ``If-Modified-Since``); every failure is a ``FetchFailed`` naming the URL."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx

from finguard.core.clock import aware
from finguard.robots.service.refresh import Fetched, FetchFailed


class HttpFetcher:
    def __init__(self, *, timeout_seconds: float = 60.0, max_bytes: int = 200 * 1024 * 1024,
                 user_agent: str = "finguard-list-refresh") -> None:
        self.timeout = httpx.Timeout(timeout_seconds)
        self.max_bytes = max_bytes
        self.user_agent = user_agent

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        headers = {"User-Agent": self.user_agent}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=True) as client, \
                    client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(304, b"", etag, last_modified)
                if response.status_code != 200:
                    raise FetchFailed(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchFailed(f"{url}: {declared} bytes, more than the {self.max_bytes} allowed")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchFailed(f"{url}: more than the {self.max_bytes} bytes allowed")
                    chunks.append(chunk)
                return Fetched(200, b"".join(chunks), response.headers.get("ETag"), response.headers.get("Last-Modified"))
        except httpx.HTTPError as exc:
            raise FetchFailed(f"{url}: {type(exc).__name__}: {exc}"[:500]) from exc


def http_date(value: str | None) -> datetime | None:
    """A Last-Modified header as an aware time (None when absent or unreadable)."""
    if not value:
        return None
    try:
        return aware(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        return None
