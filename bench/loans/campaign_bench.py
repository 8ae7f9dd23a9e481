"""Issue #15 bench: a relief campaign through the SMTP and webhook adapters against local
servers, killed with SIGKILL mid-way and restarted.

    .venv/bin/python bench/loans/campaign_bench.py --messages 210000    # the issue's figure
    .venv/bin/python bench/loans/campaign_bench.py --messages 20000     # a quicker run

A fresh SQLite database gets ``--messages`` customers and two campaigns (e-mail, SMS). For
each: ``finguard loans campaign run`` is started as a process (``--connections``: 4 SMTP
connections, 8 to the webhook), killed with SIGKILL when about a third has been received, and
started again until done. The servers run in their own process (aiosmtpd; an HTTP/1.1 gateway
that de-duplicates by ``Idempotency-Key``) and log every message they receive. Reported:
messages per second (distinct received / wall time of both runs), CPU seconds of the sending
processes and of the servers, messages received twice (e-mail: must be 0; webhook: resends the
gateway drops), messages left ``uncertain`` (at most one per e-mail connection of the killed
run) and how many of those the server had in fact received, and messages *lost*: neither
received nor marked in the database as waiting for a person (must be 0).
Prints a Rich table and writes ``bench/results/issue15_campaign.json`` (``--out`` to name another file).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

from finguard.core.db import make_engine, upgrade
from finguard.loans.model.outreach import CHINA, Channel, Contact, Recipient, Rules, Template
from finguard.loans.provider import make_outreach
from finguard.loans.store.outreach import outreach_message

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
        protocol_version = "HTTP/1.1"  # keep-alive, as a gateway would

        def do_POST(self):
            try:
                _json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            except ValueError:  # the body of a client killed mid-request: not a message
                self.close_connection = True
                return
            key = self.headers["Idempotency-Key"]
            hook_log.write(key + "\n")
            self.send_response(202)
            self.send_header("X-Message-Id", f"gw-{key[:8]}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class Gateway(ThreadingHTTPServer):
        request_queue_size = 128
        daemon_threads = True

    Controller(Box(), hostname="127.0.0.1", port=smtp_port).start()
    Gateway(("127.0.0.1", http_port), Hook).serve_forever()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def received(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def run_channel(args: list[str], env: dict[str, str], log: Path, total: int, server_pid: int) -> dict[str, float | int]:
    cpu_before, server_before, load_before = children_cpu(), cpu_seconds(server_pid), os.getloadavg()[0]
    started = time.perf_counter()
    first = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while len(received(log)) < total // 3 and first.poll() is None:
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    at_kill = len(received(log))
    killed_after = time.perf_counter() - started
    second = subprocess.run(args, env=env, capture_output=True, text=True)
    if second.returncode != 0:
        raise SystemExit(second.stderr)
    wall = time.perf_counter() - started
    time.sleep(0.5)
    lines = received(log)
    distinct = len(set(lines))
    return {"received_at_kill": at_kill, "killed_after_seconds": round(killed_after, 1), "received": len(lines), "distinct": distinct,
            "received_twice": len(lines) - distinct, "wall_seconds": round(wall, 1), "messages_per_second": round(distinct / wall),
            "sender_cpu_seconds": round(children_cpu() - cpu_before, 1),
            "server_cpu_seconds": round(cpu_seconds(server_pid) - server_before, 1),
            "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2)}


def audit(engine: Engine, campaign: str, log: Path, smtp: bool) -> dict[str, int]:
    """Every queued message is received or waiting for a person; nothing else (lost) is allowed."""
    m = outreach_message
    with engine.connect() as conn:
        rows = conn.execute(select(m.c.key, m.c.status).where(m.c.campaign_id == campaign)).all()
    got = {line.strip("<>").split("@")[0] for line in received(log)} if smtp else set(received(log))
    status: dict[str, int] = {}
    for _, s in rows:
        status[s] = status.get(s, 0) + 1
    uncertain = [k for k, s in rows if s == "uncertain"]
    return {"sent": status.get("sent", 0), "uncertain": len(uncertain), "uncertain_received": sum(1 for k in uncertain if k in got),
            "lost": sum(1 for k, s in rows if k not in got and s != "uncertain"),
            "sent_but_not_received": sum(1 for k, s in rows if s == "sent" and k not in got),
            "received_but_not_in_campaign": len(got - {k for k, _ in rows})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=210_000)
    parser.add_argument("--mail-connections", type=int, default=4)
    parser.add_argument("--hook-connections", type=int, default=8)
    parser.add_argument("--out", default="issue15_campaign.json")
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
    assert server.pid is not None
    env = {**os.environ, "FINGUARD_DATABASE_URL": url}
    base = [sys.executable, "-c", CLI, "campaign", "run", "--quiet", "00:00-00:00"]  # no quiet hours: the bench runs whenever it is started
    results = {
        "email (SMTP)": run_channel([*base, "bench-mail", "--smtp-port", str(smtp_port), "--lease-seconds", "0",
                                     "--connections", str(args.mail_connections)], env, logs / "smtp.log", args.messages, server.pid),
        "sms (webhook)": run_channel([*base, "bench-sms", "--webhook-url", f"http://127.0.0.1:{http_port}/send", "--lease-seconds", "0",
                                      "--connections", str(args.hook_connections)], env, logs / "hook.log", args.messages, server.pid),
    }
    server.terminate()
    engine = make_engine(url)
    results["email (SMTP)"].update(audit(engine, "bench-mail", logs / "smtp.log", smtp=True), connections=args.mail_connections)
    results["sms (webhook)"].update(audit(engine, "bench-sms", logs / "hook.log", smtp=False), connections=args.hook_connections)
    engine.dispose()
    table = Table(title=f"Loans #15: a campaign of {args.messages:,} messages per channel, SIGKILL at a third, restarted")
    cols = ("channel", "conns", "msg/s", "wall s", "sender CPU s", "server CPU s", "received at kill", "distinct received",
            "received twice", "sent", "uncertain (received)", "lost")
    for col in cols:
        table.add_column(col, justify="right" if col != "channel" else "left")
    for name, r in results.items():
        table.add_row(name, str(r["connections"]), f"{r['messages_per_second']:,}", str(r["wall_seconds"]), str(r["sender_cpu_seconds"]),
                      str(r["server_cpu_seconds"]), f"{r['received_at_kill']:,}", f"{r['distinct']:,}", f"{r['received_twice']:,}",
                      f"{r['sent']:,}", f"{r['uncertain']:,} ({r['uncertain_received']})", f"{r['lost']:,}")
    console = Console(width=180)
    console.print(table)
    console.print(f"planning both campaigns: {plan_seconds:.1f} s; load average {os.getloadavg()[0]:.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"issue": 15, "messages": args.messages, "database": "sqlite", "plan_seconds": round(plan_seconds, 1), "channels": results,
           "load_average": os.getloadavg()[0]}
    (RESULTS / args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
