"""``finguard serve --workers N``: N uvicorn workers, each listening on a socket of its own (#19).

uvicorn's own multiprocess mode binds one socket in the parent and hands it to every worker: the
workers then race to accept each new connection, and an event loop accepts every connection
waiting when it wakes. Keep-alive clients open their pool at once (a load balancer, the bench's
64 connections), so one worker could take most of the connections and keep them: measured with
two workers, 64 connections and 1,000 checks/s, the workers' CPU split 1.98 s to 0.35 s in one
run and 0.97 to 1.17 in the next. The busier worker sets the latency of everything it serves.

Here every worker binds its own listening socket with ``SO_REUSEPORT`` and the kernel spreads new
connections across them by a hash of the connection's addresses. uvicorn's supervisor is kept as it
is (health checks, restarts of a dead or hung worker, SIGHUP / SIGTTIN / SIGTTOU): only the worker
process class it starts is one whose worker binds its socket itself. The parent first checks that
the port is free, so a port in use is one clear error, not workers failing one after another.
``SO_REUSEPORT`` lets only processes of the same user share the port (Linux).
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

log = logging.getLogger("uvicorn.error")


def _address(host: str, port: int) -> tuple[socket.AddressFamily, Any]:
    family, _type, _proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    return family, address


def listen_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` that other workers of this user may bind too."""
    family, address = _address(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def port_is_free(host: str, port: int) -> OSError | None:
    """None if ``host:port`` can be bound now, else the error binding it gave."""
    family, address = _address(host, port)
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc
    return None


class OwnSocketProcess(multiprocess.Process):
    """A uvicorn worker process that listens on a ``SO_REUSEPORT`` socket of its own."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # runs in the worker
        try:
            sock = listen_socket(self.config.host, self.config.port, self.config.backlog)
        except OSError as exc:
            log.error("worker cannot listen on %s:%s: %s", self.config.host, self.config.port, exc)
            sys.exit(STARTUP_FAILURE)  # the supervisor stops rather than restarting it again and again
        super().target(sockets=[sock])


def run_workers(config: uvicorn.Config) -> None:
    """Serve ``config`` (its ``workers`` > 1, the app an import string) with a socket per worker."""
    busy = port_is_free(config.host, config.port)
    if busy is not None:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, busy)
        sys.exit(STARTUP_FAILURE)
    # uvicorn's supervisor starts its worker class by this module-level name (uvicorn is pinned
    # in the lock; tests/test_serve_workers.py runs the real thing).
    multiprocess.Process = OwnSocketProcess  # type: ignore[misc]
    multiprocess.Multiprocess(config, sockets=[]).run()
