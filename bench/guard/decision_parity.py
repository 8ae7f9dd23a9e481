"""Issue #19: do two checkouts decide the same events alike? (outcome, score, shadow outcome, reasons)

    # 1. make the events once (seeded; event ids and times fixed in the file)
    python bench/guard/decision_parity.py make --out bench/work/guard/parity-events.json [--events 3000]
    # 2. decide them with each checkout (PYTHONPATH selects the code; a fresh SQLite database each,
    #    or with --db postgres a fresh schema of the bench's PostgreSQL database)
    PYTHONPATH=/tmp/old/src python bench/guard/decision_parity.py decide --events-file ... --out old.json
    PYTHONPATH=src python bench/guard/decision_parity.py decide --events-file ... --out new.json
    # 3. compare
    python bench/guard/decision_parity.py compare old.json new.json
    # a checkout storing allowed scores below the explain floor without contributions (#19 stop 22)
    python bench/guard/decision_parity.py compare old.json new.json --explain-floor 0.05
    # a bank's mix: 98.5 % profile_decide.py --mix bank's ordinary payments (most allowed, scores below the floor)
    python bench/guard/decision_parity.py make --mix bank --out ...

The events are the guard bench's (``run.event_body``: realistic payees from ``payees.py``, 500
customers) and, mixed in, card authorisations (card-present and not, merchants), remittances in
USD (converted to yuan), incoming transfers, logins, device bindings, an event id sent twice with
the same body and once with another body. They are decided in the bench's set-up (demo lists, 50
rules, controls for every customer), the first third one ``decide`` each, the rest through
``decide_many`` in batches of 64 and 200. A decision's id, its time and the payee check's id are
random or the clock's and are left out; everything else of the decision is compared: outcome,
shadow outcome, score, rule version, list sequence, and every reason (kind, code, detail, outcome,
score, values, enforced) in order. So is what the store holds for each event: its body and body hash,
the decision's stored inputs, outcome, score and reasons, and the alerts and ledger transfers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench


def make(args: argparse.Namespace) -> None:
    ap = argparse.ArgumentParser()
    bench.add_payee_args(ap)
    bench.use_payees(ap.parse_args([]))
    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    bodies: list[dict[str, Any]] = []
    for i in range(args.events):
        at = now - timedelta(seconds=(args.events - i) * 7)  # spread over hours: windows move
        if args.mix == "bank" and rng.random() >= 0.015:  # mix.py's ordinary payments (--mix bank)
            import mix

            body = mix.ordinary_body(rng.randrange(bench.CUSTOMERS), at, rng)
        else:
            body = bench.event_body(i, at, rng)
        body["event_id"] = f"parity-{i:06d}"
        k = i % 10
        c = int(body["customer_id"][2:])
        if k == 3:  # a card authorisation, present or not
            body.pop("payee")
            body.pop("account")
            body["type"] = "card_auth"
            body["card"] = _luhn(f"622588{c:09d}")
            body["channel"] = rng.choice(["pos", "api", "web", "atm"])
            body["merchant"] = {"id": f"m{rng.randrange(300)}", "name": "Shop", "mcc": "5411", "region": rng.choice(["CN-SH", "HK", "US"])}
            if rng.random() < 0.3:
                body["attributes"] = {"card_present": rng.random() < 0.5}
        elif k == 5:  # a remittance in dollars
            body["type"] = "remittance"
            body["currency"] = "USD"
            body["payee"] = {**body["payee"], "country": rng.choice(["US", "HK", "SG"])}
        elif k == 7 and rng.random() < 0.5:  # money coming in
            body["direction"] = "in"
        elif k == 8:
            body = {key: body[key] for key in ("event_id", "occurred_at", "customer_id", "channel", "device", "ip", "region")}
            body["type"] = rng.choice(["login", "device_binding", "session"])
        bodies.append(body)
    # an id sent again with the same body, and once with another (a conflict)
    bodies.insert(len(bodies) // 2, dict(bodies[len(bodies) // 2 - 5]))
    changed = dict(bodies[len(bodies) // 2 - 9])
    changed["channel"] = "counter"
    bodies.insert(len(bodies) // 2 + 40, changed)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"made_at": now.isoformat(), "bodies": bodies}, ensure_ascii=False))
    print(f"{len(bodies)} events -> {args.out}")


def _luhn(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _decision(d: Any) -> dict[str, Any]:
    if isinstance(d, Exception):
        return {"error": type(d).__name__, "message": str(d).split(" (decision ")[0]}
    reasons = []
    for r in d.reasons:
        values = {k: v for k, v in r.values.items() if k != "check_id"}
        reasons.append(
            {
                "kind": r.kind.value,
                "code": r.code,
                "detail": r.detail,
                "outcome": r.outcome.value if r.outcome else None,
                "score": r.score,
                "values": _plain(values),
                "enforced": r.enforced,
            }
        )
    return {
        "event_id": d.event_id,
        "outcome": d.outcome.value,
        "shadow_outcome": d.shadow_outcome.value,
        "score": d.score,
        "rule_version": d.rule_version,
        "list_seq": d.list_seq,
        "reasons": reasons,
    }


def decide(args: argparse.Namespace) -> None:
    import finguard
    from finguard.core.errors import Conflict
    from finguard.guard.model.events import parse_event

    data = json.loads(Path(args.events_file).read_text())
    bodies = data["bodies"]
    bench.WORK.mkdir(parents=True, exist_ok=True)
    schema = None
    if args.db == "postgres":  # a fresh schema of the bench's PostgreSQL database, dropped at the end
        from sqlalchemy import create_engine, text

        schema = "parity_" + "".join(c if c.isalnum() else "_" for c in Path(args.out).stem.lower())
        admin = create_engine(bench.PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{bench.PG_URL}{'&' if '?' in bench.PG_URL else '?'}options=-csearch_path%3D{schema}"
    else:
        db = bench.WORK / f"parity-{Path(args.out).stem}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    platform, guard = bench.setup(url, args.sanctions)
    if args.redis:  # velocity in Redis (as with --workers 2); the database is flushed first
        import redis

        from finguard.guard.service.velocity_redis import RedisBackend

        redis.Redis.from_url(args.redis).flushdb()
        guard.velocity.backend = RedisBackend(args.redis)
    out: list[dict[str, Any]] = []
    third = len(bodies) // 3
    for b in bodies[:third]:
        try:
            out.append(_decision(guard.decide_raw(b)))
        except Conflict as exc:
            out.append(_decision(exc))
    rest = bodies[third:]
    s, size = 0, 64
    while s < len(rest):
        chunk = rest[s : s + size]
        for r in guard.decide_many([parse_event(b, guard.clock()) for b in chunk]):
            out.append(_decision(r))
        s += size
        size = 200 if size == 64 else 64
    # replays of stored decisions answer alike
    for b in bodies[:50]:
        out.append({"replayed": _decision(guard.decide_raw(b))})
    stored = _stored(platform)
    platform.close()
    if schema is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    from finguard import compiled

    # which modules ran compiled (mypyc, finguard.compiled): a compiled-vs-FINGUARD_PURE_PYTHON=1 parity shows it
    mypyc = sorted(m.rsplit(".", 1)[1] for m, native in compiled.loaded().items() if native)
    doc = {"finguard": str(Path(finguard.__file__).parents[1]), "compiled": mypyc, "decisions": out, "stored": stored}
    Path(args.out).write_text(json.dumps(doc, ensure_ascii=False))
    print(f"{len(out)} decisions -> {args.out}")


def _stored(platform: Any) -> list[Any]:
    """What the ledger holds per event: the body and its hash, the decision's inputs, outcome and
    reasons, the alerts and the ledger transfers (ids and times of the run left out)."""
    from sqlalchemy import text

    with platform.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT e.event_id, e.body, e.body_hash, d.inputs, d.outcome, d.shadow_outcome, d.score, d.reasons, "
                "CAST(e.body AS TEXT) AS body_text, CAST(d.inputs AS TEXT) AS inputs_text "
                "FROM guard_event e JOIN guard_decision d ON d.event_id = e.event_id ORDER BY e.event_id"
            )
        ).all()
        alerts = conn.execute(
            text("SELECT kind, subject, severity, summary, status, details FROM alert ORDER BY kind, subject, summary")
        ).all()
        transfers = conn.execute(
            text("SELECT external_id, src_account, dst_account, amount_fen, currency, channel, dst_name FROM transfer ORDER BY external_id")
        ).all()
        # the rest of each transfer row (its memo names the random decision id; its codes by their accounts) and
        # the ledger's accounts (#19, stop 26)
        ledger = conn.execute(
            text(
                "SELECT t.external_id, t.source, CAST(t.at AS TEXT), t.ts, t.src_name, t.dst_bank, t.balance_after_fen, "
                "t.label_laundering, t.typology, s.account, d.account, t.memo IS NULL "
                "FROM transfer t JOIN ledger_account_code s ON s.code = t.src JOIN ledger_account_code d ON d.code = t.dst "
                "ORDER BY t.external_id"
            )
        ).all()
        accounts = conn.execute(text("SELECT account, kind, name, bank, label_fraud FROM ledger_account ORDER BY account")).all()
        codes = conn.execute(text("SELECT count(*), count(DISTINCT account) FROM ledger_account_code")).one()
    out: list[Any] = []
    for r in rows:
        reasons = json.loads(r.reasons) if isinstance(r.reasons, str) else r.reasons
        for x in reasons:
            x.get("values", {}).pop("check_id", None)
        body = json.loads(r.body) if isinstance(r.body, str) else r.body
        inputs = json.loads(r.inputs) if isinstance(r.inputs, str) else r.inputs
        # the stored JSON text too (a PostgreSQL ``json`` column keeps the text as written)
        out.append(
            [r.event_id, body, r.body_hash, inputs, r.outcome, r.shadow_outcome, float(r.score), reasons, r.body_text, r.inputs_text]
        )
    kept = []
    for a in alerts:
        details = json.loads(a.details) if isinstance(a.details, str) else dict(a.details)
        details.pop("decision_id", None)  # random
        kept.append([a.kind, a.subject, a.severity, a.summary, a.status, details])
    out.append({"alerts": kept, "transfers": [list(t) for t in transfers]})
    out.append({"ledger": [list(t) for t in ledger], "accounts": [list(a) for a in accounts], "codes": list(codes)})
    return out


def _by_design(a: dict[str, Any], b: dict[str, Any], floor: float) -> dict[str, int]:
    """Stop 22 (#19): b's model reasons stored without contributions (allowed, score below ``floor``)
    put back as a's, where a's decision is allowed (outcome and shadow outcome), a's reason is the
    same model's with the same score, below the floor. Counts what was put back; anything else of
    such a decision still has to be identical."""
    count = {"decisions": 0, "stored": 0}

    def model_reasons_back(x: dict[str, Any], y: dict[str, Any], outcome: str, shadow: str, rx: list[Any], ry: list[Any]) -> bool:
        put = False
        for j, r in enumerate(ry):
            v = r.get("values") or {}
            if r.get("kind") != "model" or v.get("explained") is not False or j >= len(rx):
                continue
            o = rx[j]
            if (
                outcome == "allow"
                and shadow == "allow"
                and o.get("kind") == "model"
                and o.get("code") == r.get("code")
                and o["values"].get("score") == v.get("score")
                and v.get("score") is not None
                and v["score"] < floor
            ):
                ry[j] = o
                put = True
        return put

    for x, y in zip(a["decisions"], b["decisions"], strict=False):
        x, y = x.get("replayed", x), y.get("replayed", y)
        if "reasons" in x and "reasons" in y and model_reasons_back(x, y, x["outcome"], x["shadow_outcome"], x["reasons"], y["reasons"]):
            count["decisions"] += 1
    for x, y in zip(a.get("stored") or [], b.get("stored") or [], strict=False):
        if not isinstance(x, list) or not isinstance(y, list):
            continue
        if model_reasons_back({}, {}, x[4], x[5], x[7], y[7]):
            for key in ("model", "challenger"):
                if isinstance(y[3].get(key), dict) and y[3][key].get("explained") is False:
                    y[3][key] = x[3].get(key)
            if y[3] == x[3]:
                y[9] = x[9]  # the stored text, once its model part is put back
            count["stored"] += 1
    return count


def compare(args: argparse.Namespace) -> None:
    a = json.loads(Path(args.a).read_text())
    b = json.loads(Path(args.b).read_text())
    by_design = _by_design(a, b, args.explain_floor) if args.explain_floor is not None else None
    da, db_ = a["decisions"], b["decisions"]
    differ = [i for i, (x, y) in enumerate(zip(da, db_, strict=False)) if x != y]
    sa, sb = a.get("stored"), b.get("stored")
    stored_differ = None if sa is None or sb is None else sum(x != y for x, y in zip(sa, sb, strict=False)) + abs(len(sa) - len(sb))
    outcomes: dict[str, int] = {}
    reasons = 0
    for d in da:
        d = d.get("replayed", d)
        outcomes[d.get("outcome", d.get("error", "?"))] = outcomes.get(d.get("outcome", d.get("error", "?")), 0) + 1
        reasons += len(d.get("reasons", ()))
    report = {
        "a": a["finguard"],
        "b": b["finguard"],
        "compiled": [a.get("compiled"), b.get("compiled")],
        "decisions": [len(da), len(db_)],
        "identical": len(da) == len(db_) and not differ and not stored_differ,
        "differing": len(differ),
        "stored_rows": None if sa is None else len(sa) - 2,  # the alerts and transfers; the ledger (stop 26)
        "stored_differing": stored_differ,
        "outcomes": outcomes,
        "reasons": reasons,
        **({"below_floor_unexplained": by_design} if by_design is not None else {}),
    }
    print(json.dumps(report))
    if sa is not None and sb is not None:
        for x, y in [(x, y) for x, y in zip(sa, sb, strict=False) if x != y][:3]:
            print(f"stored\n  a: {json.dumps(x, ensure_ascii=False)[:1500]}\n  b: {json.dumps(y, ensure_ascii=False)[:1500]}")
    for i in differ[:5]:
        print(f"#{i}\n  a: {json.dumps(da[i], ensure_ascii=False)[:1500]}\n  b: {json.dumps(db_[i], ensure_ascii=False)[:1500]}")
    if not report["identical"]:
        sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", required=True)
    m.add_argument("--events", type=int, default=3000)
    m.add_argument("--seed", type=int, default=19)
    m.add_argument("--mix", choices=["bench", "bank"], default="bench", help="bank: most events profile_decide.py's ordinary payments")
    d = sub.add_parser("decide")
    d.add_argument("--events-file", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--sanctions", action="store_true")
    d.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite", help="postgres: a fresh schema of the bench's database")
    d.add_argument("--redis", default="", help="velocity in Redis at this URL (its database is flushed first)")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument(
        "--explain-floor",
        type=float,
        default=None,
        help="b stores allowed decisions' model scores below this without contributions (stop 22): put a's back where "
        "that is all that differs, and count them",
    )
    args = ap.parse_args()
    {"make": make, "decide": decide, "compare": compare}[args.cmd](args)


if __name__ == "__main__":
    main()
