"""Channel adapters for outreach (``service.outreach.Sender``): e-mail over SMTP, SMS and WeChat
through an HTTP webhook (the bank's gateway), and the branch's call list (a CSV file).

Every message carries its key: as the SMTP ``Message-ID`` and as the webhook's
``Idempotency-Key``. The webhook contract asks the gateway to de-duplicate by that key, so a
message in doubt after a crash may be sent again (``idempotent = True``); SMTP servers do not
de-duplicate, so for e-mail it is not (``idempotent = False``): such a message is marked
``uncertain`` rather than risk a second copy.
"""

from __future__ import annotations

import csv
import http.client
import json
import re
import smtplib
import threading
import urllib.parse
from email import message_from_bytes
from email.header import Header
from email.message import EmailMessage
from email.message import Message as MailMessage
from email.mime.text import MIMEText
from email.parser import HeaderParser
from email.policy import SMTPUTF8, compat32
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from finguard.core.exports import safe_cell
from finguard.loans.service.outreach import Message, SendFailed

_CRLF = compat32.clone(linesep="\r\n")


class SmtpSender:
    """One kept-alive SMTP connection per sending thread.

    A message is handed over as MAIL, RCPT, DATA. Only a connection found dead at MAIL (the
    server has nothing of this message yet) is opened again and the message retried; a failure
    after that propagates, so the message stays in doubt instead of risking a second copy.
    """

    idempotent = False

    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0, starttls: bool = False,
                 username: str | None = None, password: str | None = None) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.starttls, self.username, self.password = starttls, username, password
        self._local = threading.local()
        self._open: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    def _connection(self) -> smtplib.SMTP:
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            conn.ehlo()
            if self.starttls:
                conn.starttls()
                conn.ehlo()
            if self.username:
                conn.login(self.username, self.password or "")
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._open:
                    self._open.remove(conn)
            try:
                conn.close()
            except OSError:
                pass

    def render(self, message: Message) -> bytes:
        if not message.address.isascii():  # an internationalised address needs the modern policy's header
            modern = EmailMessage()
            for name, value in self._headers(message):
                modern[name] = value
            modern.set_content(message.body)
            return modern.as_bytes(policy=SMTPUTF8)
        # compat32 MIME classes: the same message as EmailMessage's, at a fifth of its CPU
        mail = MIMEText(message.body, "plain", "utf-8")
        for name, value in self._headers(message):
            if name == "Subject":  # RFC 2047 words, folded with the header's name counted
                mail[name] = Header(value, "utf-8", header_name=name)  # type: ignore[assignment]
            else:
                mail[name] = value
        return mail.as_bytes(policy=_CRLF)  # smtplib sends bytes as they are: SMTP wants CRLF line ends

    def _headers(self, message: Message) -> list[tuple[str, str]]:
        return [("From", self.sender), ("To", message.address), ("Subject", message.subject), ("Date", formatdate(localtime=False)),
                ("Message-ID", f"<{message.key}@finguard>"), ("Content-Language", "zh-CN" if message.lang == "zh" else "en")]

    def send(self, message: Message) -> str:
        raw = self.render(message)
        options = [] if message.address.isascii() else ["SMTPUTF8"]
        try:
            conn = self._connection()
            code, reply = self._mail(conn, options)
        except (smtplib.SMTPServerDisconnected, OSError):
            self._drop()  # a kept-alive connection timed out: nothing of this message was handed over yet
            conn = self._connection()
            code, reply = self._mail(conn, options)
        if code != 250:
            self._reset(conn)
            raise smtplib.SMTPSenderRefused(code, reply, self.sender)
        code, reply = conn.rcpt(message.address)
        if code not in (250, 251):
            self._reset(conn)
            raise SendFailed(f"recipient refused: {code} {reply.decode(errors='replace')[:200]}")
        code, reply = conn.data(raw)  # raises SMTPDataError unless the server asks for the data
        if code != 250:
            self._reset(conn)
            if 500 <= code < 600:
                raise SendFailed(f"message refused: {code} {reply.decode(errors='replace')[:200]}")
            raise smtplib.SMTPDataError(code, reply)
        return f"<{message.key}@finguard>"

    def _mail(self, conn: smtplib.SMTP, options: list[str]) -> tuple[int, bytes]:
        if options and not conn.has_extn("smtputf8"):
            raise SendFailed("the server does not accept a non-ASCII address (SMTPUTF8)")
        return conn.mail(self.sender, options)

    @staticmethod
    def _reset(conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            pass

    def close(self) -> None:
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self._local = threading.local()


class WebhookSender:
    """POST ``{"key", "channel", "to", "lang", "subject", "text"}`` with ``Idempotency-Key``; a 2xx
    answer is delivery to the gateway, a 4xx a permanent refusal, anything else raises (retried later).
    One kept-alive HTTP/1.1 connection per sending thread."""

    idempotent = True

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the webhook URL must be http:// or https://")
        parts = urllib.parse.urlsplit(url)
        if not parts.hostname:
            raise ValueError("the webhook URL has no host")
        self.url = url
        self.timeout = timeout
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.headers = {"Content-Type": "application/json; charset=utf-8", **({"Authorization": f"Bearer {token}"} if token else {})}
        self._local = threading.local()
        self._open: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = kind(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    def send(self, message: Message) -> str:
        body = {"key": message.key, "channel": message.channel.value, "to": message.address, "lang": message.lang,
                "subject": message.subject, "text": message.body}
        data = json.dumps(body, ensure_ascii=False).encode()
        headers = {**self.headers, "Idempotency-Key": message.key}
        conn = self._connection()
        try:
            status, reply_id = self._post(conn, data, headers)
        except (http.client.HTTPException, OSError):
            # the gateway closed the kept-alive connection: the same key again is harmless (idempotent)
            conn.close()
            status, reply_id = self._post(conn, data, headers)
        if 200 <= status < 300:
            return reply_id or message.key
        if 400 <= status < 500:
            raise SendFailed(f"gateway refused ({status})")
        raise http.client.HTTPException(f"gateway answered {status}")

    def _post(self, conn: http.client.HTTPConnection, data: bytes, headers: dict[str, str]) -> tuple[int, str]:
        conn.request("POST", self._path, body=data, headers=headers)
        response = conn.getresponse()
        response.read()  # the whole answer, so the connection can carry the next request
        return response.status, str(response.headers.get("X-Message-Id") or "")

    def close(self) -> None:
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


class CallListSender:
    """Appends the call to the branch's list (CSV). Appending twice would list a customer twice."""

    idempotent = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, message: Message) -> str:
        with self._lock:  # one line at a time when a run sends over several connections
            return self._append(message)

    def _append(self, message: Message) -> str:
        new = not self.path.exists()
        with self.path.open("a", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(["key", "customer_id", "phone", "lang", "script"])
            # A phone starts with '+' and a script is free text: no cell may start a formula.
            writer.writerow([safe_cell(v) for v in (message.key, message.customer_id, message.address, message.lang, message.body)])
        return message.key


_OUR_ID = re.compile(r"<([0-9a-f]{32})@finguard>")


def dsn_receipts(raw: bytes) -> list[dict[str, str]]:
    """The receipts an SMTP bounce holds for our e-mail: a delivery status notification (RFC 3464,
    ``multipart/report; report-type=delivery-status``) whose returned message or headers carry our
    ``Message-ID`` (``<key@finguard>``). Action ``failed`` -> a ``failed`` receipt with the status
    and diagnostic; ``delivered`` -> ``delivered``; ``delayed`` and anything not ours -> nothing."""
    mail = message_from_bytes(raw)
    if mail.get_content_type() != "multipart/report":
        return []
    actions: list[tuple[str, str]] = []
    original = ""
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            blocks = part.get_payload()
            for block in blocks[1:] if isinstance(blocks, list) else []:  # the first block is about the whole message
                if isinstance(block, MailMessage) and block.get("Action"):
                    reason = " ".join(str(block.get(h, "")).strip() for h in ("Status", "Diagnostic-Code")).strip()
                    actions.append((str(block["Action"]).strip().lower(), reason))
        elif kind == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(part.get_payload())
            original = original or str(HeaderParser().parsestr(text).get("Message-ID", ""))
        elif kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], MailMessage):
                original = original or str(inner[0].get("Message-ID", ""))
    found = _OUR_ID.search(original)
    if found is None:
        return []
    try:
        when = parsedate_to_datetime(str(mail["Date"])) if mail["Date"] else None
    except (TypeError, ValueError):
        when = None
    for action, reason in actions:
        if action in ("failed", "delivered"):  # one message, one recipient: its first final action
            receipt = {"message_id": found.group(1), "event": action, "error": reason[:500] if action == "failed" else ""}
            if when is not None and when.tzinfo is not None:
                receipt["at"] = when.isoformat()
            return [receipt]
    return []
