"""A throw-away store for a bench run, and the CPU a PostgreSQL server spends on it (#19 benches).

``throwaway_store("postgres")`` creates a schema in the bench's PostgreSQL (``FINGUARD_BENCH_PG_URL``,
default the machine's ``test`` database), yields a URL whose connections use it, and drops it
afterwards; ``throwaway_store("sqlite")`` yields a fresh SQLite file in a temporary folder.
``BackendCpu`` reads, from ``/proc``, the CPU of the server backends an engine's connections use
and of the server's WAL writer, checkpointer and background writer (the server must run on this
machine; those three serve every client, so they include other work running at the same time).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from procstat import server_cpu as proc_cpu  # bench/procstat.py
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

PG_URL = os.environ.get("FINGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AUX = ("walwriter", "checkpointer", "background writer")


@contextmanager
def throwaway_store(db: str, folder: Path | None = None) -> Iterator[str]:
    """A database URL for one run: a fresh PostgreSQL schema or SQLite file, removed afterwards
    (the SQLite file stays in ``folder`` when one is given)."""
    if db == "sqlite":
        if folder is not None:
            yield f"sqlite:///{folder / 'bench.db'}"
            return
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    if db != "postgres":
        raise ValueError(f"db must be sqlite or postgres, not {db!r}")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def aux_pids() -> dict[str, int]:
    """The PostgreSQL server's WAL writer, checkpointer and background writer, by name."""
    found: dict[str, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            for name in AUX:
                if cmd.startswith("postgres:") and cmd.replace("\x00", " ").strip().endswith(name):
                    found[name] = int(d.name)
    return found


class BackendCpu:
    """CPU of the PostgreSQL backends behind an engine's connections, and of the server's
    auxiliary processes, between ``start()`` and ``read()``. Attach before the engine connects."""

    def __init__(self, engine: Engine) -> None:
        self.backends: dict[int, float] = {}  # pid -> its CPU when first seen
        self.enabled = engine.dialect.name == "postgresql"
        if self.enabled:
            event.listen(engine, "connect", self._connected)
        self.aux: dict[str, int] = {}
        self.aux0: dict[str, float] = {}
        self.back0: dict[int, float] = {}

    def _connected(self, dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = int(cur.fetchone()[0])
        self.backends.setdefault(pid, proc_cpu(pid))

    def start(self) -> None:
        if self.enabled:
            self.aux = aux_pids()
            self.aux0 = {k: proc_cpu(p) for k, p in self.aux.items()}
            self.back0 = {pid: proc_cpu(pid) for pid in self.backends}

    def read(self) -> dict[str, object]:
        """``server_backend_cpu_s`` and ``server_aux_cpu_s`` since ``start()`` (empty on SQLite)."""
        if not self.enabled:
            return {}
        # a backend first seen after start() counts from its connection
        backend = sum(proc_cpu(p) - self.back0.get(p, self.backends[p]) for p in self.backends)
        return {
            "server_backend_cpu_s": round(backend, 1),
            "server_aux_cpu_s": {k: round(proc_cpu(p) - self.aux0[k], 1) for k, p in self.aux.items()},
        }
