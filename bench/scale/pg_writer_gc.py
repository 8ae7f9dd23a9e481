"""The check log's and the audit log's writers on PostgreSQL: garbage collections they set off (#19, stop 21).

A stand-in for a serving process at ~2,500 checks/s: the start-up heap frozen (``gc.freeze``, as
``finguard serve`` does), a main thread that records a check and an audit record every 0.4 ms
and makes a request's worth of short-lived garbage, and the real writers (``BufferedCheckLog``,
``AuditLog`` over ``SqlAuditStore``) flushing in their threads. Counts the collections by
generation during ``--seconds`` and the full ones' milliseconds. The counts depend on what the
writers keep alive across young collections, not on the machine's speed alone; run base and
branch alternately. ``python bench/scale/pg_writer_gc.py URL`` (a migrated database you own: it
adds rows to its check_log and audit_log).
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--rate", type=float, default=2500, help="checks a second recorded")
    args = ap.parse_args()

    from finguard.access.service.audit import AuditLog
    from finguard.access.store.audit import SqlAuditStore
    from finguard.core.clock import utcnow
    from finguard.core.db import make_engine
    from finguard.core.spool import JsonSpool
    from finguard.lists.service.checking import CheckRecord
    from finguard.lists.store.check_log import BufferedCheckLog

    engine = make_engine(args.url)
    folder = Path(tempfile.mkdtemp(prefix="finguard-writer-gc-"))
    checks = BufferedCheckLog(engine, spool=JsonSpool(folder / "check_log.jsonl"))
    audit = AuditLog(SqlAuditStore(engine), JsonSpool(folder / "audit_log.jsonl"), utcnow)
    heap = [{"k": i, "v": [i]} for i in range(200_000)]  # a start-up heap, frozen as the server's
    gc.collect()
    gc.freeze()
    # As a server after its first full collection since the freeze: the collector's count of
    # long-lived objects is then the few unfrozen ones, and a quarter of that triggers the next.
    gc.collect()
    counts = {0: 0, 1: 0, 2: 0}
    full_ms: list[float] = []
    started = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        counts[info["generation"]] += 1
        if info["generation"] == 2:
            full_ms.append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(callback)
    every = 1 / args.rate
    begin = time.perf_counter()
    n = 0
    while (now := time.perf_counter()) - begin < args.seconds:
        if now < begin + n * every:
            time.sleep(0.0005)
            continue
        n += 1
        garbage = [{"header": str(i), "value": (i, str(i))} for i in range(20)]  # a request's objects
        checks.record(CheckRecord(uuid.uuid4().hex, utcnow(), "staff", "key:bench", {"account": "12****89"}, "pass", 200_000))
        audit.record("key:bench", "api.post", "/api/v1/check", {"status": "200"})
        del garbage
    elapsed = time.perf_counter() - begin
    gc.callbacks.remove(callback)
    checks.close()
    audit.close()
    full_ms.sort()
    print(
        f"{n / elapsed:,.0f} checks/s for {elapsed:.1f} s: collections gen0 {counts[0]}, gen1 {counts[1]}, gen2 {counts[2]}"
        f" (full median {full_ms[len(full_ms) // 2] if full_ms else 0:.1f} ms, max {full_ms[-1] if full_ms else 0:.1f} ms);"
        f" load {os.getloadavg()[0]:.2f}; heap {len(heap)}"
    )


if __name__ == "__main__":
    main()
