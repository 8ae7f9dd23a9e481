"""The loan-purpose monitor's precision and recall on planted cases in a synthetic ledger.

``--loans`` borrowers each receive a loan (CNY 200k-2m) from the bank's disbursement account and
spend it over 30 days on suppliers and payroll. A planted share (``--planted``) also sends 30-70 %
of it where it must not go, by one of five routes: straight to a securities account; to a
securities account through an intermediary person; to a real-estate firm; to another lender as a
repayment; round trip back to the borrower through a friend. Confounders in normal loans: a
supplier refunds 1-30 % of the loan to the borrower (10 % of borrowers; the trace cannot tell a
refund of loan money from a round trip, so a large refund is a false positive), and unrelated
customers trade with securities accounts. Baseline in the same run: flag a loan when the borrower pays a watched
account (by name) directly, without the trace.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from finguard.core.db import make_engine, upgrade
from finguard.credit.model.purpose import CategoryMap
from finguard.credit.service.monitors import PurposeCheck, monitor_loan_purpose
from finguard.ledger.model import AccountDraft, AccountKind, TransferDraft
from finguard.ledger.provider import make_ledger
from finguard.ledger.service import ParsedTransfer

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 1, tzinfo=UTC)
ROUTES = ("securities", "securities_via_person", "real_estate", "other_lender", "round_trip")


class NoAlerts:
    def add_alerts(self, drafts: object) -> list[int]:
        return []


def build(n: int, planted_share: float, seed: int) -> tuple[list[ParsedTransfer], list[dict[str, object]]]:
    rng = random.Random(seed)
    rows: list[ParsedTransfer] = []
    loans: list[dict[str, object]] = []
    names = {"sec-1": "国泰君安证券客户资金", "sec-2": "中信证券客户保证金", "estate-1": "远洋置业有限公司", "lender-1": "某小额贷款公司"}
    # sup-0..24 are merchants (the trace ends there); sup-25..49 are firms banking here
    kinds = {k: AccountKind.EXTERNAL for k in names} | {f"sup-{i}": AccountKind.MERCHANT for i in range(25)}

    def add(src: str, dst: str, fen: int, at: datetime, memo: str | None = None) -> None:
        draft = TransferDraft(f"x{len(rows)}", src, dst, fen, "CNY", at, memo=memo)
        accts = tuple(AccountDraft(a, kinds.get(a, AccountKind.CUSTOMER), names.get(a)) for a in (src, dst))
        rows.append(ParsedTransfer(len(rows) + 1, draft=draft, accounts=accts))

    for i in range(n):
        b = f"firm-{i}"
        start = T0 + timedelta(hours=rng.randint(0, 24 * 60))
        loan = rng.randint(2_000, 20_000) * 100 * 100
        add("bank-loans", b, loan, start, "贷款发放")
        planted = rng.random() < planted_share
        route = rng.choice(ROUTES) if planted else None
        diverted = int(loan * rng.uniform(0.3, 0.7)) if planted else 0
        spend = loan - diverted
        t = start
        last = "sup-30"
        for _k in range(rng.randint(3, 8)):
            t += timedelta(hours=rng.uniform(2, 90))
            part = min(spend, int(loan * rng.uniform(0.05, 0.25)))
            if part <= 0:
                break
            last = f"sup-{rng.randrange(50)}" if rng.random() < 0.8 else f"staff-{i}-{rng.randrange(5)}"
            add(b, last, part, t, "货款")
            spend -= part
        if not planted and rng.random() < 0.1:
            add(last, b, int(loan * rng.uniform(0.01, 0.3)), t + timedelta(hours=5), "退款")
        if route == "securities":
            add(b, rng.choice(("sec-1", "sec-2")), diverted, start + timedelta(hours=rng.uniform(1, 48)))
        elif route == "securities_via_person":
            at = start + timedelta(hours=rng.uniform(1, 48))
            add(b, f"person-{i}", diverted, at)
            add(f"person-{i}", rng.choice(("sec-1", "sec-2")), diverted, at + timedelta(hours=rng.uniform(1, 24)))
        elif route == "real_estate":
            add(b, "estate-1", diverted, start + timedelta(hours=rng.uniform(1, 48)), "购房款")
        elif route == "other_lender":
            add(b, "lender-1", diverted, start + timedelta(hours=rng.uniform(1, 48)), "还款")
        elif route == "round_trip":
            at = start + timedelta(hours=rng.uniform(1, 48))
            add(b, f"friend-{i}", diverted, at)
            add(f"friend-{i}", b, diverted, at + timedelta(hours=rng.uniform(1, 24)))
        if rng.random() < 0.2:  # an unrelated customer trading with a broker: must not implicate anyone
            add(f"investor-{i}", "sec-1", rng.randint(1_000, 50_000) * 100, start + timedelta(hours=3))
        loans.append({"account": b, "at": start, "amount": loan, "planted": planted, "route": route})
    return rows, loans


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loans", type=int, default=1_000)
    ap.add_argument("--planted", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "issue14_purpose.json"))
    a = ap.parse_args()
    rows, loans = build(a.loans, a.planted, a.seed)
    words = CategoryMap().words
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/ledger.db")
        upgrade(engine)
        ledger = make_ledger(engine)
        ledger.import_rows("bench", rows)
        names = {r.draft.dst_account: (r.accounts[1].name or "") + " " + (r.draft.memo or "") for r in rows if r.draft}
        paid: dict[str, set[str]] = {}
        for r in rows:
            if r.draft:
                paid.setdefault(r.draft.src_account, set()).add(r.draft.dst_account)
        tp = fp = fn = btp = bfp = bfn = 0
        by_route: dict[str, list[int]] = {r: [0, 0] for r in ROUTES}
        secs = []
        for loan in loans:
            t = time.perf_counter()
            found, _ = monitor_loan_purpose(ledger, PurposeCheck(str(loan["account"]), loan["at"], int(loan["amount"]), horizon_days=60),
                                            NoAlerts())  # type: ignore[arg-type]  # fmt: skip
            secs.append(time.perf_counter() - t)
            hit = found is not None
            direct = any(any(w in names.get(dst, "").lower() for w, _c in words) for dst in paid.get(str(loan["account"]), ()))
            planted = bool(loan["planted"])
            tp += hit and planted
            fp += hit and not planted
            fn += planted and not hit
            btp += direct and planted
            bfp += direct and not planted
            bfn += planted and not direct
            if planted:
                by_route[str(loan["route"])][0] += 1
                by_route[str(loan["route"])][1] += hit
        engine.dispose()

    def pr(t: int, f: int, n: int) -> dict[str, float]:
        return {"precision": t / (t + f) if t + f else 0.0, "recall": t / (t + n) if t + n else 0.0, "flagged": t + f}

    secs.sort()
    res = {"loans": len(loans), "transfers": len(rows), "planted": sum(1 for x in loans if x["planted"]), "trace_monitor": pr(tp, fp, fn),
           "baseline_direct_payment": pr(btp, bfp, bfn), "recall_by_route": {k: v[1] / v[0] if v[0] else None for k, v in by_route.items()},
           "check_ms_p50": secs[len(secs) // 2] * 1000, "check_ms_p99": secs[int(len(secs) * 0.99)] * 1000}  # fmt: skip
    print(f"Loan purpose on {res['loans']} loans ({res['transfers']} transfers), {res['planted']} planted")
    print(f"{'method':26} {'flagged':>8} {'precision':>10} {'recall':>8}")
    for k in ("trace_monitor", "baseline_direct_payment"):
        v = res[k]
        print(f"{k:26} {v['flagged']:8.0f} {v['precision']:10.3f} {v['recall']:8.3f}")
    print("recall by route: " + ", ".join(f"{k} {v:.2f}" for k, v in res["recall_by_route"].items() if v is not None))
    print(f"one check (trace + assess): p50 {res['check_ms_p50']:.1f} ms, p99 {res['check_ms_p99']:.1f} ms")
    Path(a.out).write_text(json.dumps(res, indent=2))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
