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
import json
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from finguard.core.exports import safe_cell
from finguard.loans.service.outreach import Message, SendFailed


class SmtpSender:
    idempotent = False

    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0, starttls: bool = False,
                 username: str | None = None, password: str | None = None) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.starttls, self.username, self.password = starttls, username, password
        self._conn: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                conn.starttls()
            if self.username:
                conn.login(self.username, self.password or "")
            self._conn = conn
        return self._conn

    def send(self, message: Message) -> str:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = f"<{message.key}@finguard>"
        mail["Content-Language"] = "zh-CN" if message.lang == "zh" else "en"
        mail.set_content(message.body)
        try:
            self._connection().send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendFailed(f"recipient refused: {exc.recipients}") from exc
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()  # one reconnect: a kept-alive connection may have timed out
            self._connection().send_message(mail)
        return str(mail["Message-ID"])

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._conn = None


class WebhookSender:
    """POST ``{"key", "channel", "to", "lang", "subject", "text"}`` with ``Idempotency-Key``; a 2xx
    answer is delivery to the gateway, a 4xx a permanent refusal, anything else raises (retried later)."""

    idempotent = True

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the webhook URL must be http:// or https://")
        self.url = url
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json; charset=utf-8", **({"Authorization": f"Bearer {token}"} if token else {})}

    def send(self, message: Message) -> str:
        body = {"key": message.key, "channel": message.channel.value, "to": message.address, "lang": message.lang,
                "subject": message.subject, "text": message.body}
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
            headers={**self.headers, "Idempotency-Key": message.key})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return str(response.headers.get("X-Message-Id") or message.key)
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500:
                raise SendFailed(f"gateway refused ({exc.code})") from exc
            raise

    def close(self) -> None:
        return None


class CallListSender:
    """Appends the call to the branch's list (CSV). Appending twice would list a customer twice."""

    idempotent = False

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: Message) -> str:
        new = not self.path.exists()
        with self.path.open("a", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(["key", "customer_id", "phone", "lang", "script"])
            # A phone starts with '+' and a script is free text: no cell may start a formula.
            writer.writerow([safe_cell(v) for v in (message.key, message.customer_id, message.address, message.lang, message.body)])
        return message.key
