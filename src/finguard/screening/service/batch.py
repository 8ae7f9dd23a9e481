"""Batch due diligence as a background job (#13): a staff member uploads a CSV or JSON Lines file
(docs/screening-batch.md), the job screens it row by row with the same ``DueDiligence`` as the
API and the CLI, its progress is saved as it goes, and the report is kept as CSV and XLSX."""

from __future__ import annotations

import io
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from finguard.core.errors import FieldProblem, InvalidInput, NotFound
from finguard.core.exports import csv_to_xlsx
from finguard.screening.model.diligence import Purpose
from finguard.screening.service.diligence import Screening, read_party_records

log = logging.getLogger(__name__)

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}
STALE = timedelta(minutes=10)  # a running job whose status has not moved for this long died with its process


class JobFiles(Protocol):
    def create(self, job_id: str, data: bytes, status: dict[str, Any]) -> None: ...
    def save_status(self, job_id: str, status: dict[str, Any]) -> None: ...
    def status(self, job_id: str) -> dict[str, Any] | None: ...
    def input(self, job_id: str) -> bytes: ...
    def save_report(self, job_id: str, fmt: str, data: bytes) -> None: ...
    def report(self, job_id: str, fmt: str) -> bytes | None: ...
    def recent(self, limit: int) -> list[dict[str, Any]]: ...


class Screener(Protocol):
    def screen_records(self, records: Any, *, default_purpose: str,
                       progress: Callable[[int], None] | None = None) -> tuple[list[Screening], list[FieldProblem]]: ...


class BatchRefused(InvalidInput):
    """A file that cannot start a batch job; ``reason`` (extension, purpose, encoding, empty,
    header) lets the page say why in its language."""

    def __init__(self, field: str, problem: str, reason: str) -> None:
        super().__init__(f"{field}: {problem}", problems=[FieldProblem(field, problem)])
        self.reason = reason


RenderCsv = Callable[[Sequence[Screening], Sequence[FieldProblem]], str]


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchRefused("file", f"is not UTF-8 text ({exc.reason} at byte {exc.start})", "encoding") from None
    if not text.strip():
        raise BatchRefused("file", "is empty", "empty")
    return text


class BatchJobs:
    def __init__(self, files: JobFiles, screener: Callable[[], Screener], render_csv: RenderCsv,
                 clock: Callable[[], datetime], run_inline: bool = False) -> None:
        self.files = files
        self.screener = screener
        self.render_csv = render_csv
        self.clock = clock
        self.run_inline = run_inline  # tests: run in the caller's thread

    def submit(self, name: str, data: bytes, purpose: str, actor: str) -> dict[str, Any]:
        """Check the file, keep it and start screening it in the background; the job's status."""
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        if ext not in FORMATS:
            raise BatchRefused("file", f"must be a .csv or .jsonl file (got {ext or 'no extension'})", "extension")
        if purpose not in {p.value for p in Purpose}:
            raise BatchRefused("purpose", f"must be one of {', '.join(p.value for p in Purpose)}", "purpose")
        text = _decode(data)
        fmt = FORMATS[ext]
        # a file whose header cannot be read, or with no data row, is refused now, not after the upload
        first = next(read_party_records(fmt, io.StringIO(text)), None)
        if first is None:
            raise BatchRefused("file", f"{name[:255]} has no data rows (a header alone); nothing was screened", "empty")
        if "__problem__" in first[1] and first[1]["__problem__"].field == "header":
            raise BatchRefused("file", first[1]["__problem__"].problem, "header")
        now = self.clock().isoformat()
        job_id = secrets.token_hex(8)
        status = {"id": job_id, "state": "queued", "name": name[:255], "format": fmt, "purpose": purpose, "by": actor,
                  "created_at": now, "updated_at": now, "total": 0, "done": 0, "screened": 0, "match": 0,
                  "close_match": 0, "no_match": 0, "rejected": 0, "error": ""}
        self.files.create(job_id, data, status)
        if self.run_inline:
            self.run(job_id)
        else:
            threading.Thread(target=self.run, args=(job_id,), name=f"batch-dd-{job_id}", daemon=True).start()
        return self.status(job_id)

    def run(self, job_id: str) -> None:
        status = self.files.status(job_id)
        assert status is not None
        try:
            records = list(read_party_records(status["format"], io.StringIO(_decode(self.files.input(job_id)))))
            status.update(state="running", total=len(records), updated_at=self.clock().isoformat())
            self.files.save_status(job_id, status)
            step = max(1, len(records) // 100)

            def progress(n: int) -> None:
                if n % step == 0 or n == len(records):
                    status.update(done=n, updated_at=self.clock().isoformat())
                    self.files.save_status(job_id, status)

            results, problems = self.screener().screen_records(records, default_purpose=status["purpose"], progress=progress)
            csv_text = self.render_csv(results, problems)
            self.files.save_report(job_id, "csv", csv_text.encode("utf-8"))
            self.files.save_report(job_id, "xlsx", csv_to_xlsx(csv_text, "due diligence"))
            counts = {k: sum(1 for r in results if r.outcome.value == k) for k in ("match", "close_match", "no_match")}
            status.update(state="done", done=len(records), screened=len(results), rejected=len(problems),
                          updated_at=self.clock().isoformat(), **counts)
        except Exception as exc:  # a job's failure is its status, shown on its page, never lost in a thread
            log.exception("batch due diligence %s failed", job_id)
            status.update(state="failed", error=str(exc)[:500], updated_at=self.clock().isoformat())
        self.files.save_status(job_id, status)

    def status(self, job_id: str) -> dict[str, Any]:
        found = self.files.status(job_id)
        if found is None:
            raise NotFound("no such batch job")
        return self._aged(found)

    def _aged(self, status: dict[str, Any]) -> dict[str, Any]:
        if status["state"] in ("queued", "running"):
            if self.clock() - datetime.fromisoformat(status["updated_at"]) > STALE:
                return {**status, "state": "interrupted"}
        return status

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        return [self._aged(s) for s in self.files.recent(limit)]

    def report(self, job_id: str, fmt: str) -> bytes:
        if fmt not in ("csv", "xlsx"):
            raise InvalidInput.for_field("format", "must be csv or xlsx")
        self.status(job_id)
        found = self.files.report(job_id, fmt)
        if found is None:
            raise NotFound("the report is not ready yet")
        return found
