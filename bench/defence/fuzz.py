"""Issue #18 benchmark: schemathesis against the whole OpenAPI schema, counting 5xx.

    .venv/bin/python bench/defence/fuzz.py [--requests 10000] [--db sqlite|postgres]

Every operation of the app's schema gets cases from schemathesis' positive (valid by the
schema) and negative (invalid by it) generators, in rounds, until ``--requests`` requests have
been sent. Requests carry an admin key so they reach the handlers, not just authentication, and
run in process against one platform with the demo lists (without the sanctions files). Public
rate limits are raised so public checks reach the checker. Prints a table per operation and the
totals; writes bench/results/issue18_fuzz.json. Any 5xx is listed with the request that caused it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rich.console import Console
from rich.table import Table
from schemathesis.generation import GenerationMode

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.settings import Settings

RESULTS = Path(__file__).resolve().parents[1] / "results"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def database(kind: str, tmp: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'fuzz.db'}", None
    from sqlalchemy import create_engine, text

    schema = f"fuzz_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--per-round", type=int, default=60, help="examples per operation and generator in a round")
    args = ap.parse_args()
    console = Console()

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url, drop = database(args.db, tmp)
        values: dict[str, Any] = {
            "database_url": url,
            "demo_on_first_start": False,
            "index_dir": tmp / "index",
            "public_rate_limit": 10_000_000,
            "public_rate_burst": 10_000_000,
            "client_hash_secret": "bench",
        }
        platform = Platform(Settings(**values))
        try:
            platform.load_demo(sanctions=False)
            headers = {"X-API-Key": platform.keys.create("fuzz-admin", "admin", actor="bench")[1]}
            app = create_app(platform)
            schema = schemathesis.openapi.from_dict(app.openapi())
            operations = [op.ok() for op in schema.get_all_operations()]
            statuses: dict[str, Counter[int]] = defaultdict(Counter)
            failures: list[dict[str, Any]] = []
            sent = 0
            started = time.perf_counter()
            from fastapi.testclient import TestClient


            def fuzz(op: Any, mode: GenerationMode) -> Any:
                @settings(
                    max_examples=args.per_round,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(op.as_strategy(generation_mode=mode))
                def run(case: Any) -> None:
                    nonlocal sent
                    response = case.call(app=app, headers=headers)
                    sent += 1
                    statuses[op.label][response.status_code] += 1
                    if response.status_code >= 500 and not (op.path == "/readyz" and response.status_code == 503):
                        failures.append(
                            {
                                "operation": op.label,
                                "mode": mode.value,
                                "status": response.status_code,
                                "curl": case.as_curl_command(headers=headers)[:2000],
                                "body": response.text[:500],
                            }
                        )

                return run

            with TestClient(app):  # runs the lifespan: the public edge, the client hasher
                round_no = 0
                while sent < args.requests:
                    round_no += 1
                    for op in operations:
                        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                            try:
                                fuzz(op, mode)()
                            except Unsatisfiable:
                                continue  # e.g. no invalid request exists for an operation without parameters
                            except Exception as exc:  # a request that raised instead of answering
                                failures.append({"operation": op.label, "mode": mode.value, "error": repr(exc)[:2000]})
                    console.print(f"round {round_no}: {sent} requests, {len(failures)} 5xx")
            seconds = time.perf_counter() - started
        finally:
            platform.close()
            if drop is not None:
                drop()

    table = Table("operation", "requests", "2xx", "4xx", "5xx", title=f"schemathesis over the OpenAPI schema ({args.db})")
    for label in sorted(statuses):
        c = statuses[label]
        table.add_row(
            label,
            str(sum(c.values())),
            str(sum(n for s, n in c.items() if 200 <= s < 300)),
            str(sum(n for s, n in c.items() if 400 <= s < 500)),
            str(sum(n for s, n in c.items() if s >= 500)),
        )
    console.print(table)
    total = Counter[int]()
    for c in statuses.values():
        total.update(c)
    server_errors = len(failures)
    summary = {
        "db": args.db,
        "operations": len(operations),
        "requests": sent,
        "seconds": round(seconds, 1),
        "status_counts": {str(k): v for k, v in sorted(total.items())},
        "5xx": server_errors,
        "failures": failures[:50],
        "schemathesis": schemathesis.__version__,
    }
    console.print(
        f"[bold]{sent} requests over {len(operations)} operations in {seconds:.0f}s: {server_errors} 5xx "
        f"(503 from /readyz excluded: {total.get(503, 0)})[/bold]"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"issue18_fuzz_{args.db}.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
