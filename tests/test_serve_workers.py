"""``finguard serve --workers N`` (#19): every worker listens on a socket of its own, so the kernel
spreads a client's keep-alive connections over the workers instead of one worker taking most.

The real command in a subprocess on both stores: two workers, 64 connections opened while both
workers are busy (stopped), as a load balancer's pool or the bench's load generator opens them against
a loaded server; each worker holds a fair share of them
(by the established sockets each worker process owns, from /proc) and answers on them. A port
already in use is one clear failure, not workers restarted again and again.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads sockets from Linux /proc")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(db_url: str, tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FINGUARD_DATABASE_URL": db_url,
        "FINGUARD_DEMO_ON_FIRST_START": "false",
        "FINGUARD_INDEX_DIR": str(tmp_path / "index"),
        "FINGUARD_HOME": str(tmp_path),
    }
    cmd = [sys.executable, "-m", "finguard", "serve", "--workers", "2", "--port", str(port), "--host", "127.0.0.1"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _children(pid: int) -> list[int]:
    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(k) for k in kids]


def _established(pid: int, port: int, state: str = "01") -> int:
    """TCP sockets on local ``port`` in ``state`` (01 established, 0A listening) that this process holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, inode = fields[1], fields[9]
        if fields[3] == state and int(local.split(":")[1], 16) == port and inode in inodes:
            count += 1
    return count


def _wait_ready(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else "exited"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            ok = conn.getresponse().status == 200
            conn.close()
            workers = _workers(server.pid)
            if ok and len(workers) == 2 and all(_established(w, port, "0A") for w in workers):  # both listening
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("finguard serve --workers 2 was not ready in 120 s")


def _workers(pid: int) -> list[int]:
    """The serving workers: children of the supervisor that listen (not multiprocessing's helpers)."""
    out = []
    for child in _children(pid):
        try:
            cmd = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmd and b"semaphore_tracker" not in cmd:
            out.append(child)
    return out


def test_keep_alive_connections_spread_over_the_workers(db_url: str, tmp_path: Path) -> None:
    port = _free_port()
    server = _serve(db_url, tmp_path, port)
    conns: list[http.client.HTTPConnection] = []
    try:
        _wait_ready(server, port)
        workers = _workers(server.pid)
        # The connections arrive while both workers are busy (stopped here): with one socket shared,
        # the first worker to wake would accept every connection waiting; with a socket each, the
        # kernel has already put each connection in one worker's queue.
        for w in workers:
            os.kill(w, signal.SIGSTOP)
        try:
            for _ in range(64):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.connect()
                conns.append(conn)
        finally:
            for w in workers:
                os.kill(w, signal.SIGCONT)
        for conn in conns:  # every connection is served
            conn.request("GET", "/healthz")
            answer = conn.getresponse()
            assert answer.status == 200 and answer.read() == b'{"status":"ok"}'
        held = [_established(w, port) for w in workers]
        assert sum(held) == 64, held
        # a hash of the addresses: 64 connections split 32 +- 4 (one standard deviation); a worker with
        # fewer than 12 of them is a chance below one in a million
        assert min(held) >= 12, held
    finally:
        for conn in conns:
            conn.close()
        server.send_signal(signal.SIGTERM)
        try:
            assert server.wait(timeout=60) == 0
        finally:
            if server.poll() is None:
                server.kill()


def test_a_port_in_use_is_one_clear_failure(db_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        server = _serve(db_url, tmp_path, port)
        try:
            code = server.wait(timeout=120)
        finally:
            if server.poll() is None:
                server.kill()
        assert server.stderr is not None
        err = server.stderr.read().decode()
        assert code == 3 and "cannot listen on 127.0.0.1" in err, (code, err[-2000:])
