"""Build (once) the benchmark database: ``scale`` synthetic identifiers on one list, via bulk_load.

The build is split over ``workers`` processes, each loading a range of the synthetic identifiers
with :func:`finguard.lists.store.bulk.bulk_load`; their CPU work overlaps and only the inserts take
turns on SQLite's write lock. A finished build is marked by ``<db>.done`` (JSON with the timing)
and reused by later runs.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LIST_CODE = "bench"


def db_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _worker(url: str, start: int, count: int, batch: int, counter: Any) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from synth import drafts

    from finguard.core.db import make_engine
    from finguard.lists.store.bulk import bulk_load

    engine = make_engine(url)
    last = [0]

    def progress(n: int) -> None:
        with counter.get_lock():
            counter.value += n - last[0]
        last[0] = n

    bulk_load(engine, LIST_CODE, drafts(count, start), "bench", batch=batch, progress=progress)
    engine.dispose()


def build(
    path: Path, scale: int, *, workers: int = 2, batch: int = 50_000, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    done = path.with_name(path.name + ".done")
    if done.exists() and path.exists():
        info: dict[str, Any] = json.loads(done.read_text())
        if info.get("scale") == scale:
            info["reused"] = True
            return info
    for p in path.parent.glob(path.name + "*"):
        p.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    info = load(db_url(path), scale, workers=workers, batch=batch, progress=progress)
    info["db_bytes"] = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if not p.name.endswith(".done"))
    done.write_text(json.dumps(info))
    info["reused"] = False
    return info


def load(
    url: str, scale: int, *, workers: int = 2, batch: int = 50_000, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Migrate the (empty) database at ``url``, create the bench list and bulk-load ``scale`` identifiers."""
    from finguard.app.platform import Platform
    from finguard.core.settings import Settings

    with Platform(Settings(database_url=url, demo_on_first_start=False), follow=False) as p:
        p.lists.create_list(LIST_CODE, "Benchmark list", "fraud_account", "bench", "critical", "synthetic identifiers")
    ctx = mp.get_context("spawn")
    counter = ctx.Value("q", 0)
    per = -(-scale // workers)
    started = time.perf_counter()
    procs = []
    for w in range(workers):
        start, count = w * per, min(per, scale - w * per)
        if count > 0:
            proc = ctx.Process(target=_worker, args=(url, start, count, batch, counter))
            proc.start()
            procs.append(proc)
    while any(p.is_alive() for p in procs):
        time.sleep(0.5)
        if progress is not None:
            progress(counter.value)
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise RuntimeError(f"bulk load worker failed with exit code {proc.exitcode}")
    seconds = time.perf_counter() - started
    if progress is not None:
        progress(counter.value)
    return {"scale": scale, "seconds": round(seconds, 1), "entries_per_second": round(scale / seconds), "workers": workers}


if __name__ == "__main__":
    import sys

    # python bench/dataset.py N TARGET [WORKERS]: TARGET a SQLite file, or an empty PostgreSQL database's URL
    n = int(sys.argv[1])
    target = sys.argv[2]
    procs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    show = lambda c: print(f"\r{c:,}", end="", flush=True)  # noqa: E731
    if "://" in target:
        print(load(target, n, workers=procs, progress=show))
    else:
        print(build(Path(target), n, workers=procs, progress=show))
