"""Issue #15 bench: a relief campaign through the SMTP and webhook adapters against local
servers, killed with SIGKILL mid-way and restarted.

    .venv/bin/python bench/loans/campaign_bench.py                      # 20,000 messages per channel
    .venv/bin/python bench/loans/campaign_bench.py --messages 210000    # the issue's figure

A fresh SQLite database gets ``--messages`` customers and two campaigns (e-mail, SMS). For
each: ``finguard loans campaign run`` is started as a process, killed with SIGKILL when about a
third has been received, and started again until done. The servers run in their own process
(aiosmtpd; an HTTP gateway that de-duplicates by ``Idempotency-Key``) and log every message they
receive. Reported: messages per second (received / wall time of both runs), messages received
twice (e-mail: must be 0), duplicates the gateway dropped, messages left ``uncertain``.
Prints a Rich table and writes ``bench/results/issue15_campaign.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from finguard.core.db import make_engine, upgrade
from finguard.loans.model.outreach import CHINA, Channel, Contact, Recipient, Rules, Template
from finguard.loans.provider import make_outreach

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "bench" / "work"
RESULTS = REPO / "bench" / "results"
TEMPLATE = Template("延期还款通知", "$name 您好：您的贷款 $loan_id 可申请延期还款，当前月供 $instalment_now 元。回复 TD 退订。",
                    "Repayment relief", "Dear $name, your loan $loan_id qualifies for relief; instalment now $instalment_now.")
CLI = "import sys; from finguard.loans.cli import app; app(sys.argv[1:])"


def serve(smtp_port: int, http_port: int, log_dir: str) -> None:
    import json as _json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from aiosmtpd.controller import Controller

    smtp_log = open(Path(log_dir) / "smtp.log", "a", buffering=1)
    hook_log = open(Path(log_dir) / "hook.log", "a", buffering=1)

    class Box:
        async def handle_DATA(self, server, session, envelope):
            for line in envelope.content.split(b"\r\n"):
                if line.lower().startswith(b"message-id:"):
                    smtp_log.write(line.split(b":", 1)[1].strip().decode() + "\n")
                    break
            return "250 OK"

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            _json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            hook_log.write(self.headers["Idempotency-Key"] + "\n")
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    Controller(Box(), hostname="127.0.0.1", port=smtp_port).start()
    ThreadingHTTPServer(("127.0.0.1", http_port), Hook).serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def count(path: Path) -> tuple[int, int]:
    """(distinct, total) lines."""
    lines = path.read_text().splitlines() if path.exists() else []
    return len(set(lines)), len(lines)


def run_channel(name: str, args: list[str], env: dict[str, str], log: Path, total: int) -> dict[str, float | int]:
    started = time.perf_counter()
    first = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while count(log)[1] < total // 3 and first.poll() is None:
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    at_kill = count(log)[1]
    second = subprocess.run(args, env=env, capture_output=True, text=True)
    if second.returncode != 0:
        raise SystemExit(second.stderr)
    wall = time.perf_counter() - started
    time.sleep(0.5)
    distinct, received = count(log)
    return {"received_at_kill": at_kill, "received": received, "distinct": distinct, "received_twice": received - distinct,
            "wall_seconds": round(wall, 1), "messages_per_second": round(distinct / wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    db = WORK / f"campaign-{stamp}.db"
    logs = WORK / f"campaign-{stamp}"
    logs.mkdir()
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    upgrade(engine)
    svc = make_outreach(engine)
    now = datetime.now(CHINA).time()
    svc.rules = Rules(quiet_start=now, quiet_end=now, cap_messages=10)  # no quiet hours: the bench runs whenever it is started
    people = [Recipient(Contact(f"C{i:07}", f"客户{i}", "zh" if i % 3 else "en", email=f"c{i}@example.cn", phone=f"139{i:08}"),
                        {"loan_id": f"L{i:07}", "instalment_now": "8,903.98"}) for i in range(args.messages)]
    planned = time.perf_counter()
    svc.create_campaign("bench-mail", "bench", Channel.EMAIL, TEMPLATE, people, "bench", "synthetic")
    svc.create_campaign("bench-sms", "bench", Channel.SMS, TEMPLATE, people, "bench", "synthetic")
    plan_seconds = time.perf_counter() - planned
    engine.dispose()
    smtp_port, http_port = free_port(), free_port()
    server = multiprocessing.Process(target=serve, args=(smtp_port, http_port, str(logs)), daemon=True)
    server.start()
    time.sleep(1.0)
    env = {**os.environ, "FINGUARD_DATABASE_URL": url}
    base = [sys.executable, "-c", CLI, "campaign", "run"]
    results = {
        "email (SMTP)": run_channel("mail", [*base, "bench-mail", "--smtp-port", str(smtp_port), "--lease-seconds", "0"], env,
                                    logs / "smtp.log", args.messages),
        "sms (webhook)": run_channel("sms", [*base, "bench-sms", "--webhook-url", f"http://127.0.0.1:{http_port}/send",
                                             "--lease-seconds", "0"], env, logs / "hook.log", args.messages),
    }
    server.terminate()
    engine = make_engine(url)
    svc = make_outreach(engine)
    for name, campaign in (("email (SMTP)", "bench-mail"), ("sms (webhook)", "bench-sms")):
        status = svc.store.report(campaign)["by_status"]
        results[name].update({"sent": status.get("sent", 0), "uncertain": status.get("uncertain", 0)})
    engine.dispose()
    table = Table(title=f"Loans #15: a campaign of {args.messages:,} messages per channel, SIGKILL at a third, restarted")
    for col in ("channel", "msg/s", "wall s", "received at kill", "distinct received", "received twice", "sent", "uncertain"):
        table.add_column(col, justify="right" if col != "channel" else "left")
    for name, r in results.items():
        table.add_row(name, f"{r['messages_per_second']:,}", str(r["wall_seconds"]), f"{r['received_at_kill']:,}", f"{r['distinct']:,}",
                      f"{r['received_twice']:,}", f"{r['sent']:,}", f"{r['uncertain']:,}")
    console = Console(width=150)
    console.print(table)
    console.print(f"planning both campaigns: {plan_seconds:.1f} s; load average {os.getloadavg()[0]:.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"issue": 15, "messages": args.messages, "plan_seconds": round(plan_seconds, 1), "channels": results,
           "load_average": os.getloadavg()[0]}
    (RESULTS / "issue15_campaign.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
