"""Real local servers for the outreach tests: an SMTP server (aiosmtpd) and an HTTP webhook
gateway that de-duplicates by ``Idempotency-Key``, as the webhook contract asks."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailBox:
    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[dict[str, str]] = []
        self.delay = delay
        self.lock = threading.Lock()
        self.on_message = None  # called with the count after each message (a test moves its clock)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)
        mail = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append({"id": str(mail["Message-ID"]), "to": envelope.rcpt_tos[0], "subject": str(mail["Subject"]),
                                  "body": mail.get_content()})
            count = len(self.messages)
        if self.on_message:
            self.on_message(count)
        return "250 OK"


@contextmanager
def smtp_server(delay: float = 0.0) -> Iterator[tuple[int, MailBox]]:
    box = MailBox(delay)
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


class Gateway:
    def __init__(self) -> None:
        self.delivered: dict[str, dict] = {}
        self.duplicates = 0
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self.on_deliver = None  # called with the count after each new delivery (a test moves its clock)


@contextmanager
def webhook_server() -> Iterator[tuple[str, Gateway]]:
    gateway = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers["Idempotency-Key"]
            with gateway.lock:
                if body["to"] in gateway.refuse:
                    self.send_response(400)
                    self.end_headers()
                    return
                if key in gateway.delivered:
                    gateway.duplicates += 1
                else:
                    gateway.delivered[key] = body
                count = len(gateway.delivered)
            if gateway.on_deliver:
                gateway.on_deliver(count)
            self.send_response(202)
            self.send_header("X-Message-Id", f"gw-{key[:8]}")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/send", gateway
    finally:
        server.shutdown()
        server.server_close()
