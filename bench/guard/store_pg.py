"""Issue #19: client CPU of storing a batch of guard events and decisions on PostgreSQL, the
statements main uses (a multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` for the events,
an executemany INSERT for the decisions) against ``core.db.unnest_insert`` (one fixed statement
each, the values as arrays).

    PYTHONPATH=src .venv/bin/python bench/guard/store_pg.py --sizes 1,2,4,8,20,64,200 --out x.json

For each batch size, alternated three times: ~3,000 decisions' rows (a realistic body, four
reasons, 40 inputs) stored one transaction per batch in a throw-away schema of
``FINGUARD_BENCH_PG_URL``; the thread's CPU (``time.thread_time``) per decision stored. The
PostgreSQL server's own CPU is not in it.
"""

import argparse
import json
import os
import subprocess
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, insert, text

from finguard.core.db import begin_write, dialect_insert, make_engine, unnest_insert, upgrade
from finguard.guard.store.tables import guard_decision, guard_event

ap = argparse.ArgumentParser()
ap.add_argument("--sizes", default="1,2,4,8,20,64,200")
ap.add_argument("--out", required=True)
args = ap.parse_args()
PG = os.environ.get("FINGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
schema = f"store_pg_{uuid.uuid4().hex[:8]}"
admin = create_engine(PG, isolation_level="AUTOCOMMIT")
with admin.connect() as c:
    c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    c.execute(text(f'CREATE SCHEMA "{schema}"'))
e = make_engine(f"{PG}?options=-csearch_path%3D{schema}")
upgrade(e)
add_events = (
    dialect_insert(e, guard_event).on_conflict_do_nothing(index_elements=[guard_event.c.event_id]).returning(guard_event.c.event_id)
)
add_decisions = insert(guard_decision)
now = datetime.now(UTC)
body = {
    "event_id": "x",
    "type": "transfer",
    "occurred_at": now.isoformat(),
    "customer_id": "bc12",
    "channel": "mobile",
    "currency": "CNY",
    "direction": "out",
    "account": "6222000012345678",
    "device": "dev-1",
    "ip": "10.0.0.1",
    "region": "CN-SH",
    "amount": "1234.00",
    "payee": {"account": "6228000099998888", "name": "张伟"},
}
reasons = [
    {
        "kind": "rule",
        "code": f"r{i}",
        "detail": "a rule fired",
        "outcome": "review",
        "score": 10.0,
        "values": {"rule_version": 1, "vel.x": 3},
        "enforced": True,
    }
    for i in range(4)
]
inputs = {"event": body, "vel": {f"f{i}": i for i in range(40)}, "controls": {"limit": "50000"}}


def batch(n):
    ev, de = [], []
    for _ in range(n):
        eid = uuid.uuid4().hex
        ev.append(
            {
                "event_id": eid,
                "customer_id": "bc12",
                "type": "transfer",
                "occurred_at": now,
                "body": dict(body, event_id=eid),
                "body_hash": "h" * 64,
                "received_at": now,
            }
        )
        de.append(
            {
                "decision_id": uuid.uuid4().hex,
                "event_id": eid,
                "customer_id": "bc12",
                "event_type": "transfer",
                "outcome": "review",
                "shadow_outcome": "review",
                "score": 40.0,
                "reasons": reasons,
                "inputs": inputs,
                "rule_version": 3,
                "list_seq": 77,
                "decided_at": now,
            }
        )
    return ev, de


out = {}
load = [os.getloadavg()]
for n in (int(a) for a in args.sizes.split(",")):
    for way in ("main", "unnest") * 3:
        work = [batch(n) for _ in range(max(3, 3000 // n))]
        t = time.thread_time()
        for ev, de in work:
            with begin_write(e) as conn:
                if way == "main":
                    set(conn.execute(add_events, ev[0] if len(ev) == 1 else ev).scalars())
                    conn.execute(add_decisions, de)
                else:
                    set(unnest_insert(conn, guard_event, ev, conflict=("event_id",), returning="event_id"))
                    unnest_insert(conn, guard_decision, de)
        us = (time.thread_time() - t) / (len(work) * n) * 1e6
        out.setdefault(f"{n}_{way}", []).append(round(us, 1))
        print(f"batch {n:>3} {way:>6}: {us:.1f} us thread CPU per decision stored", flush=True)
load.append(os.getloadavg())
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
doc = {
    "issue": 19,
    "what": "client thread CPU (us) per decision stored, events + decisions, main's statements vs unnest_insert",
    "commit": commit,
    "load_before_after": [[round(x, 2) for x in avg] for avg in load],
    "us_per_decision": out,
}
open(args.out, "w").write(json.dumps(doc, indent=1) + "\n")
print(json.dumps(doc))
e.dispose()
with admin.connect() as c:
    c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
