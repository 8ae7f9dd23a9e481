"""uvicorn's HTTP protocol with admission control at the protocol level (issue #19, overload).

Under overload the event loop has a line of tasks in front of it: each request uvicorn parses
becomes a task at the end of that line, and the admission-control middleware
(:mod:`finguard.core.admission`) can refuse it only when its task's turn comes, so a refusal
waited as long as an answer (measured: refusals p99 95-576 ms at 5x offered load). This protocol
asks the same admission control as the request is parsed (``on_headers_complete``, in the loop's
read callback) and, when it refuses, writes the 503 to the socket there and then: no task, no
middleware, no place in the line. Requests it admits go on as in uvicorn (and the middleware
still counts them in flight).

``finguard serve`` uses it (``uvicorn --http finguard.app.protocol:AdmissionHttpTools`` the same
by hand). It finds the app's admission control in the server's lifespan state, where the
middleware puts itself at start-up; a server run without a lifespan (``--lifespan off``) admits
everything here and leaves refusals to the middleware.

It also keeps a request that reached the socket from being dropped by the keep-alive timeout
(:meth:`AdmissionHttpTools.timeout_keep_alive_handler`).
"""

from __future__ import annotations

import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from finguard.core import admission


class AdmissionHttpTools(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that answers a refused request's 503 from the parser callback."""

    refused_early = 0  # refusals written here, in this process (the gate's ``refused`` counts them too)

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        # A request parsed in the same read as an early refusal may have armed the keep-alive timer.
        self._unset_keepalive_if_required()
        gate = admission.gate(self.app_state)
        if gate is None or app is not self.app or not gate.refuses(cycle.scope):
            super()._start_asgi_task(cycle, app)
            return
        body, headers = gate.refusal()
        content = [STATUS_LINE[503]]
        for name, value in (*self.server_state.default_headers, *headers):
            content += [name, b": ", value, b"\r\n"]
        if not cycle.keep_alive:
            content.append(b"connection: close\r\n")
        content += [b"\r\n", body]
        # The request's body (if any) is still being parsed: a complete response makes the parser's
        # body callbacks drop it, as they do for any request answered before its body was read.
        cycle.response_complete = True
        self.transport.write(b"".join(content))
        AdmissionHttpTools.refused_early += 1
        if not cycle.keep_alive:
            self.transport.close()
        self.on_response_complete()

    def timeout_keep_alive_handler(self) -> None:
        """Close an idle keep-alive connection, as uvicorn does, unless a request is already waiting
        in its socket. The event loop runs due timers before it reads the sockets, so after a stall
        (a late loop under overload, a collection) a connection's keep-alive timer could fire with
        a request sent well within the timeout still unread; closing a socket with unread data
        resets it, and the client lost the request with no answer at all (#19, stop 22: the load
        generator's errors at 5x offered load). The request's bytes are read next in the same
        turn of the loop, which cancels the timer's effect; an idle connection still closes."""
        if not self.transport.is_closing() and _bytes_waiting(self.transport):
            self.timeout_keep_alive_task = None
            return
        super().timeout_keep_alive_handler()


def _bytes_waiting(transport: Any) -> bool:
    """Whether the transport's socket has bytes to read (``MSG_PEEK``: nothing is consumed). uvloop's
    transports hand out a socket look-alike without ``recv``: a socket object on the same descriptor,
    detached again so it does not close it."""
    fileno = getattr(transport.get_extra_info("socket"), "fileno", None)
    if fileno is None:
        return False
    sock = socket.socket(fileno=fileno())
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except OSError:  # nothing waiting (EAGAIN), or the peer is gone: uvicorn's close is right
        return False
    finally:
        sock.detach()
