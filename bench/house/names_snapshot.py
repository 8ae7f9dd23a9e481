"""How soon a process with OFAC + UN + 1M listed names can screen (#10), and what a query costs
when the index is read from its snapshot file instead of memory.

Builds the screener once (OFAC SDN + UN as shipped + N synthetic persons, the same generator as
``bench/screening/run.py``), saves its snapshot, then starts fresh processes that open the
snapshot and screen one name: the time to that first answer is the readiness figure (wall and
CPU, median of several starts), with the peak memory of the process. Last, the same queries are
screened by the screener in memory and by the one read from the file (CPU per query), and the
answers compared::

    .venv/bin/python bench/house/names_snapshot.py                 # 1,000,000 names
    .venv/bin/python bench/house/names_snapshot.py --names 50000   # a smoke run

Results: ``bench/results/issue10_names_snapshot.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench" / "screening"))
RESULTS = REPO / "bench" / "results" / "issue10_names_snapshot.json"

START = """
import sys, time
t0, c0 = time.perf_counter(), time.process_time()
from pathlib import Path
from finguard.screening.service.matcher import ScreenQuery
from finguard.screening.store import snapshot
tag, s = snapshot.load(Path(sys.argv[1]))
hits = s.screen(ScreenQuery(sys.argv[2]))
hwm = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")][0] / 1024
print(time.perf_counter() - t0, time.process_time() - c0, hwm, len(s), len(hits))
"""


def cpu_ms(screener: Any, queries: list[str]) -> tuple[dict[str, float], list[Any]]:
    from finguard.screening.service.matcher import ScreenQuery

    times, answers = [], []
    for q in queries:
        c = time.thread_time()
        answers.append(screener.screen(ScreenQuery(q)))
        times.append((time.thread_time() - c) * 1000)
    times.sort()
    n = len(times)
    return {"n": n, "cpu_p50_ms": times[n // 2], "cpu_p99_ms": times[int(n * 0.99)], "cpu_mean_ms": statistics.fmean(times)}, answers


def main() -> None:
    from run import million, non_listed, watchlist  # bench/screening/run.py

    from finguard.screening.store import snapshot

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--names", type=int, default=1_000_000)
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--queries", type=int, default=2000)
    args = ap.parse_args()
    out: dict[str, Any] = {"names_synthetic": args.names, "machine": {"cores": os.cpu_count(), "load_average": os.getloadavg()}}

    print(f"building OFAC + UN + {args.names:,} synthetic names ...", file=sys.stderr)
    stats, screener = million(args.names)
    entries = watchlist()
    t = time.perf_counter()
    for entry_id, code, draft in entries:
        screener.add(10_000_000 + entry_id, code, draft)
    out["build"] = {**stats, "names": len(screener), "build_seconds": stats["build_seconds"] + time.perf_counter() - t}

    folder = Path(tempfile.mkdtemp(prefix="fg-names-"))
    path = folder / "names.sqlite"
    t, c = time.perf_counter(), time.process_time()
    snapshot.save(path, "bench", screener)
    out["save"] = {"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c, "mb": path.stat().st_size / 1e6}
    print(f"snapshot {out['save']['mb']:.0f} MB written in {out['save']['seconds']:.1f} s", file=sys.stderr)

    # The pickle the snapshot replaces, for the record: how long a start took with it.
    import pickle

    pk = folder / "names.pickle"
    t = time.perf_counter()
    pk.write_bytes(pickle.dumps(screener, protocol=pickle.HIGHEST_PROTOCOL))
    pickle_save = time.perf_counter() - t
    gc.collect()

    starts = []
    query = "Vladimir Vladimirovich Putin"
    for i in range(args.starts):
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        line = subprocess.run([sys.executable, "-c", START, str(path), query], env=env, capture_output=True, text=True, check=True)
        wall, cpu, rss, names, hits = line.stdout.split()
        starts.append({"wall_s": float(wall), "cpu_s": float(cpu), "peak_rss_mb": float(rss), "names": int(names), "hits": int(hits)})
        print(f"start {i + 1}: ready and answered in {float(wall):.2f} s wall, {float(cpu):.2f} s CPU", file=sys.stderr)
    out["start_from_snapshot"] = {
        "runs": starts,
        "wall_s_median": statistics.median(s["wall_s"] for s in starts),
        "cpu_s_median": statistics.median(s["cpu_s"] for s in starts),
        "peak_rss_mb_median": statistics.median(s["peak_rss_mb"] for s in starts),
    }
    t, c = time.perf_counter(), time.process_time()
    code = "import pickle,sys; pickle.loads(open(sys.argv[1],'rb').read())"
    subprocess.run([sys.executable, "-c", code, str(pk)], env={**os.environ, "PYTHONPATH": str(REPO / "src")}, check=True)
    out["start_from_pickle"] = {"wall_s": time.perf_counter() - t, "save_s": pickle_save, "mb": pk.stat().st_size / 1e6}
    pk.unlink()

    print("query cost, memory vs file ...", file=sys.stderr)
    queries = [q for _, q in non_listed(args.queries // 2, set(), seed=17)]
    rng = random.Random(3)
    listed = [n for _, _, d in entries if d.party for n in d.party.names]
    queries += rng.sample(listed, args.queries // 2)
    rng.shuffle(queries)
    _, disk = snapshot.load(path)
    out["query_memory"], mem_answers = cpu_ms(screener, queries)
    out["query_file"], file_answers = cpu_ms(disk, queries)
    out["query_file_warm"], _ = cpu_ms(disk, queries)
    out["answers_equal"] = sum(a == b for a, b in zip(mem_answers, file_answers, strict=True)) / len(queries)
    out["rss_mb_peak_bench"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    path.unlink()
    folder.rmdir()
    RESULTS.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")

    from rich.console import Console
    from rich.table import Table

    table = Table("what", "figure", title=f"name index, OFAC + UN + {args.names:,} names ({out['build']['names']:,} names)")
    table.add_row("build in memory", f"{out['build']['build_seconds']:.1f} s")
    table.add_row("snapshot written", f"{out['save']['seconds']:.1f} s, {out['save']['mb']:.0f} MB")
    st = out["start_from_snapshot"]
    ready = f"{st['wall_s_median']:.2f} s wall, {st['cpu_s_median']:.2f} s CPU, peak {st['peak_rss_mb_median']:.0f} MB"
    table.add_row("new process: open snapshot + first answer", ready)
    before = out["start_from_pickle"]
    table.add_row("new process: unpickle the whole screener (before)", f"{before['wall_s']:.1f} s ({before['mb']:.0f} MB)")
    for k in ("query_memory", "query_file", "query_file_warm"):
        table.add_row(f"{k} CPU p50 / p99", f"{out[k]['cpu_p50_ms']:.2f} / {out[k]['cpu_p99_ms']:.2f} ms")
    table.add_row("answers equal (file vs memory)", f"{out['answers_equal']:.4f}")
    Console().print(table)


if __name__ == "__main__":
    main()
