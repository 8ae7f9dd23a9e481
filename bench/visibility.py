"""How soon a list change is visible to checks: in the writing process, and in another process.

``same_process``: time from the commit (the list service's on_change hook, which runs right after
the transaction commits) to the first check that sees the entry, and whether the first check
after ``add_entry`` returns already sees it (it must: writes catch up before they return).

``cross_process``: a writer process adds ``n`` entries and stamps each commit (wall clock,
on_change hook); a reader process (its own Platform and follower) polls checks for the pending
entry and stamps the first check that blocks. Delay = seen - committed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from finguard.app.platform import Platform
from finguard.core.identifiers import IdType
from finguard.core.settings import Settings
from finguard.lists.model.check import CheckRequest, Outcome
from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind

LIST = "vis"


def account(k: int) -> str:
    return f"77{k:014d}"


def draft(k: int) -> EntryDraft:
    return EntryDraft(f"vis-{k}", SubjectKind.IDENTIFIER, (Identifier(IdType.ACCOUNT, account(k)),), reason="visibility")


def stats(delays_ms: list[float]) -> dict[str, Any]:
    s = sorted(delays_ms)
    if not s:
        return {"n": 0}

    def p(q: float) -> float:
        return round(s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))], 3)

    return {"n": len(s), "p50_ms": p(50), "p99_ms": p(99), "max_ms": round(s[-1], 3)}


def settings(url: str) -> Settings:
    return Settings(database_url=url, demo_on_first_start=False, index_dir=Path("bench/work/index"))


def ensure_list(p: Platform) -> None:
    if LIST not in {lst.code for lst in p.lists.all_lists()}:
        p.lists.create_list(LIST, "Visibility", "fraud_account", "bench", "critical")


def same_process(url: str, n: int = 100, offset: int = 0) -> dict[str, Any]:
    """Commit -> a check that blocks, measured inside the list service's on_change hook.

    The hook runs right after the commit; it catches the index up (what ``add_entry`` does before
    returning) and then runs a check, which also reads the new entry from the store.
    """
    delays: list[float] = []
    catch_up_ms: list[float] = []
    add_ms: list[float] = []
    first_check_saw_it = 0
    with Platform(settings(url)) as p:
        ensure_list(p)
        catch_up = p.lists.on_change
        current: list[int] = [0]

        def hook() -> object:
            t_commit = time.perf_counter()
            result = catch_up() if catch_up is not None else None
            catch_up_ms.append((time.perf_counter() - t_commit) * 1000)
            req = CheckRequest(account=account(current[0]))
            while p.checker.check(req).outcome is not Outcome.BLOCK:
                pass
            delays.append((time.perf_counter() - t_commit) * 1000)
            return result

        p.lists.on_change = hook
        for k in range(offset, offset + n):
            current[0] = k
            t0 = time.perf_counter()
            p.lists.add_entry(LIST, draft(k), "bench")
            add_ms.append((time.perf_counter() - t0) * 1000)
            first_check_saw_it += p.checker.check(CheckRequest(account=account(k))).outcome is Outcome.BLOCK
    out = stats(delays)
    out["catch_up_ms_p50"] = stats(catch_up_ms)["p50_ms"]
    out["first_check_after_return_saw_it"] = f"{first_check_saw_it}/{n}"
    out["add_entry_ms_p50"] = stats(add_ms)["p50_ms"]
    return out


def writer(url: str, n: int, offset: int, gap: float, out_path: str) -> None:
    with Platform(settings(url), follow=False) as p:
        committed: list[float] = []
        catch_up = p.lists.on_change

        def stamp() -> object:
            committed.append(time.time())
            return catch_up() if catch_up is not None else None

        p.lists.on_change = stamp
        time.sleep(1.0)  # let the reader start polling
        for k in range(offset, offset + n):
            p.lists.add_entry(LIST, draft(k), "bench-writer")
            time.sleep(gap)
    Path(out_path).write_text(json.dumps(committed))


def reader(url: str, n: int, offset: int, out_path: str) -> None:
    seen: list[float] = []
    with Platform(settings(url)) as p:
        Path(out_path + ".ready").write_text("1")
        for k in range(offset, offset + n):
            req = CheckRequest(account=account(k))
            deadline = time.time() + 30
            while p.checker.check(req).outcome is not Outcome.BLOCK:
                if time.time() > deadline:
                    raise SystemExit(f"entry {k} never became visible")
                time.sleep(0.0002)
            seen.append(time.time())
    Path(out_path).write_text(json.dumps(seen))


def cross_process(url: str, workdir: Path, n: int = 100, offset: int = 1_000_000, gap: float = 0.02) -> dict[str, Any]:
    with Platform(settings(url), follow=False) as p:
        ensure_list(p)
    workdir.mkdir(parents=True, exist_ok=True)
    w_out, r_out = workdir / "vis-writer.json", workdir / "vis-reader.json"
    for f in (w_out, r_out, Path(str(r_out) + ".ready")):
        f.unlink(missing_ok=True)
    me = str(Path(__file__).resolve())
    rd = subprocess.Popen([sys.executable, me, "reader", url, str(n), str(offset), str(r_out)])
    deadline = time.time() + 120
    while not Path(str(r_out) + ".ready").exists():
        if rd.poll() is not None or time.time() > deadline:
            raise RuntimeError("visibility reader failed to start")
        time.sleep(0.05)
    subprocess.run([sys.executable, me, "writer", url, str(n), str(offset), str(gap), str(w_out)], check=True)
    rd.wait(timeout=120)
    committed, seen = json.loads(w_out.read_text()), json.loads(r_out.read_text())
    return stats([(s - c) * 1000 for c, s in zip(committed, seen, strict=True)])


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "writer":
        writer(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    elif role == "reader":
        reader(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
