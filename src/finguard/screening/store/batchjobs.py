"""Batch due-diligence jobs on disk, under ``FINGUARD_HOME/batch-dd/<job id>/``: the uploaded
file (``input``), the job's status (``status.json``, replaced atomically at each progress step)
and the reports (``report.csv``, ``report.xlsx``). Any process on the machine reads a job's
progress from its status file, so a page polled through another worker sees the same job."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

_ID = re.compile(r"[0-9a-f]{16}")
REPORTS = ("csv", "xlsx")


class FileBatchJobs:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, job_id: str) -> Path | None:
        return self.root / job_id if _ID.fullmatch(job_id) else None

    def create(self, job_id: str, data: bytes, status: dict[str, Any]) -> None:
        folder = self._dir(job_id)
        assert folder is not None, "job ids are 16 hex digits"
        folder.mkdir(parents=True, exist_ok=False)
        (folder / "input").write_bytes(data)
        self.save_status(job_id, status)

    def save_status(self, job_id: str, status: dict[str, Any]) -> None:
        folder = self._dir(job_id)
        assert folder is not None
        tmp = folder / f"status.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
        tmp.replace(folder / "status.json")

    def status(self, job_id: str) -> dict[str, Any] | None:
        folder = self._dir(job_id)
        if folder is None:
            return None
        try:
            found: dict[str, Any] = json.loads((folder / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found

    def input(self, job_id: str) -> bytes:
        folder = self._dir(job_id)
        assert folder is not None
        return (folder / "input").read_bytes()

    def save_report(self, job_id: str, fmt: str, data: bytes) -> None:
        folder = self._dir(job_id)
        assert folder is not None and fmt in REPORTS
        tmp = folder / f"report.{fmt}.tmp"
        tmp.write_bytes(data)
        tmp.replace(folder / f"report.{fmt}")

    def report(self, job_id: str, fmt: str) -> bytes | None:
        folder = self._dir(job_id)
        if folder is None or fmt not in REPORTS:
            return None
        try:
            return (folder / f"report.{fmt}").read_bytes()
        except OSError:
            return None

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The newest jobs' statuses, newest first."""
        if not self.root.is_dir():
            return []
        found = [s for p in self.root.iterdir() if _ID.fullmatch(p.name) and (s := self.status(p.name)) is not None]
        return sorted(found, key=lambda s: str(s.get("created_at", "")), reverse=True)[:limit]
