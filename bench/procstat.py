"""The benches' server processes (#19): the command that starts one, and a process's CPU from Linux ``/proc``."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(pid: int) -> list[int]:
    """The server process and its uvicorn workers (children)."""
    kids = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(k) for k in kids.read_text().split())] if kids.exists() else [pid]


def server_command(app: str, port: int, workers: int, extra: list[str] | None = None) -> list[str]:
    """The command of a bench's API server on 127.0.0.1:``port``: ``app == "serve"`` is the product's
    own ``finguard serve`` (its protocol, a listening socket per worker); anything else an ASGI entry
    point run by uvicorn with ``extra`` options (no access log)."""
    if app == "serve":
        return [sys.executable, "-m", "finguard", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    return [*cmd, "--no-access-log", "--log-level", "warning", "--workers", str(workers), *(extra or [])]
