"""List refresh: fetch each configured list's official file, skip it when unchanged, else apply it
as a diff through the list's sync import, and record the source's own date.

Per source, in order:

1. a conditional GET of each of its files (the ETag / Last-Modified the server gave last time);
   every file ``304 Not Modified`` → unchanged, nothing applied;
2. otherwise the files' SHA-256 against the last applied content's → unchanged, nothing applied;
3. a file that does not end where its format ends (OFAC's end mark) is refused as truncated;
4. the sync import (``lists.service.importing.import_rows``) applies the difference in one
   transaction, with its guards: a fatal problem with the file, too many bad rows or a mass
   delisting refuse it whole and the list stays as it was.

An HTTP error, a timeout, a file over the size cap or a refused import leaves the list as it was,
marks it stale (it cannot be confirmed current) and makes the run fail, after every other source
was tried. A refused file raises one ``robot_list_refresh_refused`` alert (one per content: the
same bad file met again raises nothing new). The source date is the publication date the file
carries (UN ``dateGenerated``, EU ``generationDate``, UK ``Last Updated``), else the server's
Last-Modified."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from finguard.core.errors import FinguardError, ImportRejected, InvalidInput
from finguard.lists.service.importing import ImportReport
from finguard.robots.model import REFUSED_ALERT, RefreshSource, is_complete
from finguard.robots.service.runner import Context


class FetchFailed(FinguardError):
    """The source could not be fetched (HTTP error, timeout, too large); nothing was applied."""

    status = 502
    code = "fetch_failed"


class RefreshFailed(FinguardError):
    status = 502
    code = "refresh_failed"


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int  # 200, or 304 when the conditional request found it unchanged
    body: bytes
    etag: str | None
    last_modified: str | None  # the header as sent


@dataclass(frozen=True, slots=True)
class SourceState:
    list_code: str
    url: str
    format: str
    validators: dict[str, Any]  # part -> {"etag": ..., "last_modified": ...}
    content_hash: str | None
    source_date: datetime | None
    checked_at: datetime
    verified_at: datetime | None
    applied_at: datetime | None
    error: str | None
    failed_at: datetime | None
    refused_hash: str | None


class Fetcher(Protocol):
    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched: ...


class SourceStore(Protocol):
    def state(self, code: str) -> SourceState | None: ...
    def succeeded(self, code: str, url: str, fmt: str, validators: dict[str, Any], content_hash: str,
                  source_date: datetime | None, now: datetime, applied: bool) -> None: ...
    def failed(self, code: str, url: str, fmt: str, error: str, now: datetime) -> None: ...
    def refused(self, code: str, content_hash: str, alert_row: dict[str, Any]) -> bool: ...


# Apply the fetched files (part -> bytes) to the list; returns the import's report and the source
# date it recorded (the file's own, else ``last_modified``).
Applier = Callable[[RefreshSource, dict[str, bytes], datetime | None], tuple[ImportReport, datetime | None]]
HttpDate = Callable[[str | None], datetime | None]


def content_hash(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for part in sorted(files):
        h.update(f"{part}:{len(files[part])}:".encode())
        h.update(files[part])
    return h.hexdigest()


def _refused_alert(source: RefreshSource, reason: str, now: datetime) -> dict[str, Any]:
    return {
        "kind": REFUSED_ALERT,
        "subject": f"list:{source.list_code}",
        "severity": "high",
        "status": "open",
        "summary": f"Refresh of list {source.list_code} refused, the list was left as it was: {reason}"[:1000],
        "details": {"robot": "list_refresh", "list_code": source.list_code, "url": source.url, "reason": reason[:2000],
                    "summary_zh": f"名单 {source.list_code} 更新被拒绝，名单保持原样：{reason}"[:1000]},
        "created_at": now,
        "source_seq": None,
    }


def refresh_one(source: RefreshSource, fetcher: Fetcher, store: SourceStore, apply: Applier, http_date: HttpDate,
                clock: Callable[[], datetime]) -> dict[str, Any]:
    """Refresh one list; returns what happened (``outcome``: unchanged, applied). Raises
    ``FinguardError`` when it failed, after recording the failure (and the refusal's alert)."""
    state = store.state(source.list_code)
    known = state.validators if state is not None else {}
    fetched: dict[str, Fetched] = {}
    try:
        for part, url in source.files:
            v = known.get(part) or {}
            fetched[part] = fetcher.get(url, v.get("etag"), v.get("last_modified"))
        for part, url in source.files:  # one changed file: the others are needed whole too
            if fetched[part].status == 304 and any(f.status == 200 for f in fetched.values()):
                fetched[part] = fetcher.get(url)
    except FinguardError as exc:
        store.failed(source.list_code, source.url, source.fmt, exc.message, clock())
        raise
    validators = {part: {"etag": f.etag, "last_modified": f.last_modified} for part, f in fetched.items()}
    if state is not None and state.content_hash and all(f.status == 304 for f in fetched.values()):
        store.succeeded(source.list_code, source.url, source.fmt, validators, state.content_hash, state.source_date,
                        clock(), applied=False)
        return {"outcome": "unchanged", "how": "not modified"}
    files = {part: f.body for part, f in fetched.items()}
    digest = content_hash(files)
    if state is not None and state.content_hash == digest:
        store.succeeded(source.list_code, source.url, source.fmt, validators, digest, state.source_date, clock(), applied=False)
        return {"outcome": "unchanged", "how": "same content"}
    try:
        cut = [part for part, body in files.items() if not is_complete(source.fmt, part, body)]
        if cut:
            raise ImportRejected(f"the {', '.join(cut)} file is cut short (no end-of-file mark); nothing was imported")
        report, when = apply(source, files, http_date(fetched["main"].last_modified))
    except (ImportRejected, InvalidInput) as exc:
        now = clock()
        store.failed(source.list_code, source.url, source.fmt, exc.message, now)
        store.refused(source.list_code, digest, _refused_alert(source, exc.message, now))
        raise
    except FinguardError as exc:
        store.failed(source.list_code, source.url, source.fmt, exc.message, clock())
        raise
    store.succeeded(source.list_code, source.url, source.fmt, validators, digest, when, clock(), applied=True)
    return {"outcome": "applied", "added": report.added, "changed": report.changed, "delisted": report.delisted,
            "unchanged_entries": report.unchanged, "held": report.held}


def refresh_lists(sources: list[RefreshSource], fetcher: Fetcher, store: SourceStore, apply: Applier,
                  http_date: HttpDate, ctx: Context) -> dict[str, Any]:
    only = ctx.params.get("list")
    if only:
        chosen = [s for s in sources if s.list_code == only]
        if not chosen:
            raise InvalidInput.for_field("list", f"no source is configured for {str(only)[:64]!r} (setting list_sources)")
        sources = chosen
    counts: dict[str, Any] = {"sources": len(sources), "unchanged": 0, "applied": 0, "failed": 0,
                              "added": 0, "changed": 0, "delisted": 0, "refused": 0}
    failures: list[str] = []
    for i, source in enumerate(sources, 1):
        ctx.progress("refresh", i - 1, len(sources))
        try:
            done = refresh_one(source, fetcher, store, apply, http_date, ctx.clock)
        except FinguardError as exc:
            counts["failed"] += 1
            counts["refused"] += int(isinstance(exc, ImportRejected | InvalidInput))
            failures.append(f"{source.list_code}: {exc.message}")
            counts[f"list:{source.list_code}"] = "failed"
        else:
            counts[done["outcome"]] += 1
            for k in ("added", "changed", "delisted"):
                counts[k] += int(done.get(k, 0))
            counts[f"list:{source.list_code}"] = done["outcome"]
        ctx.counts.update(counts)
    ctx.progress("refresh", len(sources), len(sources))
    if failures:
        raise RefreshFailed(f"{len(failures)} of {len(sources)} list(s) not refreshed, left as they were: " + "; ".join(failures)[:1800])
    return counts
