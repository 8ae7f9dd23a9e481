"""Outreach campaigns: who gets which message on which channel, and when.

A campaign sends one message per recipient on one channel, from a template in the recipient's
language filled with their own figures. Before anything is queued, each recipient is checked:
opted out of the channel, no address for it, or over the frequency cap (messages in the last
``cap_days``, any campaign) -> skipped with the reason. A message planned inside quiet hours
(China time) waits for the end of them. Each message has a deterministic key
(campaign, customer, channel): queued twice it is stored once, and it is the idempotency key
the channel sends with it.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput

CHINA = timezone(timedelta(hours=8))


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"
    CALL = "call"  # a call list for the branch: queued, "sent" when the list is exported


ADDRESS_FIELD = {Channel.EMAIL: "email", Channel.SMS: "phone", Channel.WECHAT: "wechat_openid", Channel.CALL: "phone"}


@dataclass(frozen=True, slots=True)
class Contact:
    customer_id: str
    name: str
    lang: str  # zh | en
    email: str = ""
    phone: str = ""
    wechat_openid: str = ""

    def address(self, channel: Channel) -> str:
        value: str = getattr(self, ADDRESS_FIELD[channel])
        return value


@dataclass(frozen=True, slots=True)
class Template:
    """``$name``-style placeholders (``string.Template``): no attribute access, no format tricks."""

    subject_zh: str
    body_zh: str
    subject_en: str
    body_en: str

    def placeholders(self) -> set[str]:
        found: set[str] = set()
        for text in (self.subject_zh, self.body_zh, self.subject_en, self.body_en):
            for match in string.Template.pattern.finditer(text):
                name = match.group("named") or match.group("braced")
                if name:
                    found.add(name)
                if match.group("invalid") is not None:
                    raise InvalidInput.for_field("template", f"a lone $ at position {match.start()}; write $$ for a dollar sign")
        return found

    def render(self, lang: str, figures: Mapping[str, str]) -> tuple[str, str]:
        subject, body = (self.subject_zh, self.body_zh) if lang == "zh" else (self.subject_en, self.body_en)
        try:
            return string.Template(subject).substitute(figures), string.Template(body).substitute(figures)
        except KeyError as exc:
            raise InvalidInput.for_field("template", f"${exc.args[0]} has no value for this recipient") from exc


RELIEF_TEMPLATE = Template(
    subject_zh="延期还款政策通知",
    body_zh="$name 您好：您在本行的贷款 $loan_id 符合$relief的条件。目前月供 $instalment_now 元，办理后首期应还 $instalment_after 元"
    "（原定 $first_due 到期）。如需办理请联系您的客户经理。回复 TD 退订。",
    subject_en="Repayment relief for your loan",
    body_en="Dear $name, your loan $loan_id qualifies for $relief. Your instalment is $instalment_now yuan now and "
    "$instalment_after yuan for the first one under relief (due $first_due). Your relationship manager can arrange it. "
    "Reply STOP to opt out.",
)


@dataclass(frozen=True, slots=True)
class Rules:
    quiet_start: time = time(21, 0)  # China time
    quiet_end: time = time(8, 0)
    cap_messages: int = 3  # at most this many messages ...
    cap_days: int = 7  # ... in this many days, all campaigns together

    def next_allowed(self, at: datetime) -> datetime:
        """``at`` if outside quiet hours, else the end of them (China time)."""
        local = at.astimezone(CHINA)
        t = local.time()
        if self.quiet_start <= self.quiet_end:
            quiet = self.quiet_start <= t < self.quiet_end
        else:
            quiet = t >= self.quiet_start or t < self.quiet_end
        if not quiet:
            return at
        end = local.replace(hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(at.tzinfo)


class Skip(StrEnum):
    OPTED_OUT = "opted_out"
    NO_ADDRESS = "no_address"
    CAPPED = "frequency_cap"


@dataclass(frozen=True, slots=True)
class Recipient:
    contact: Contact
    figures: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Planned:
    key: str
    customer_id: str
    channel: Channel
    address: str
    lang: str
    subject: str
    body: str
    not_before: datetime
    skipped: Skip | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "customer_id": self.customer_id, "channel": self.channel.value, "lang": self.lang,
                "not_before": self.not_before.isoformat(), "skipped": self.skipped.value if self.skipped else None}


def message_key(campaign_id: str, customer_id: str, channel: Channel) -> str:
    return hashlib.sha256(f"{campaign_id}\x1f{customer_id}\x1f{channel.value}".encode()).hexdigest()[:32]


def plan(campaign_id: str, channel: Channel, template: Template, recipients: list[Recipient], *, now: datetime, rules: Rules,
         opted_out: set[str], recent: Mapping[str, int]) -> list[Planned]:
    """One ``Planned`` per recipient: queued, or skipped with the reason. ``opted_out``: customers
    opted out of ``channel``; ``recent``: messages per customer in the cap window."""
    not_before = rules.next_allowed(now)
    out = []
    for r in recipients:
        c = r.contact
        key = message_key(campaign_id, c.customer_id, channel)
        figures = {"name": c.name, **r.figures}
        subject, body = template.render(c.lang, figures)
        skipped = None
        if c.customer_id in opted_out:
            skipped = Skip.OPTED_OUT
        elif not c.address(channel):
            skipped = Skip.NO_ADDRESS
        elif recent.get(c.customer_id, 0) >= rules.cap_messages:
            skipped = Skip.CAPPED
        out.append(Planned(key, c.customer_id, channel, c.address(channel), c.lang, subject, body, not_before, skipped))
    return out


def parse_contact(data: Mapping[str, Any], line: int | None = None) -> Contact:
    problems: list[FieldProblem] = []
    cid = str(data.get("customer_id") or "").strip()
    name = str(data.get("name") or "").strip()
    lang = str(data.get("lang") or "zh").strip()
    if not cid or len(cid) > 64:
        problems.append(FieldProblem("customer_id", "must be a non-empty text of at most 64 characters", line))
    if not name or len(name) > 100:
        problems.append(FieldProblem("name", "must be a non-empty text of at most 100 characters", line))
    if lang not in ("zh", "en"):
        problems.append(FieldProblem("lang", "must be zh or en", line))
    email = str(data.get("email") or "").strip()
    if email and ("@" not in email or len(email) > 254 or any(ch in email for ch in "\r\n <>")):
        problems.append(FieldProblem("email", "must be an e-mail address", line))
    phone = str(data.get("phone") or "").strip()
    if phone and not (phone.lstrip("+").isdigit() and 5 <= len(phone) <= 16):
        problems.append(FieldProblem("phone", "must be digits, optionally after +", line))
    if problems:
        raise InvalidInput("invalid contact", problems=problems)
    return Contact(cid, name, lang, email, phone, str(data.get("wechat_openid") or "").strip()[:64])
