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
import hmac
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.identifiers import age_at, resident_birth_date

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
    birth_date: date | None = None  # from the resident ID number on import; the number is not kept

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


ANTI_FRAUD_TEMPLATE = Template(
    subject_zh="防范电信网络诈骗提示",
    body_zh="$name 您好：公安机关和银行绝不会通过电话要求您转账到“安全账户”，也不会索要验证码或密码。"
    "接到自称公检法、客服或亲友借钱的来电，请先挂断，再拨打本行客服或 96110 核实。回复 TD 退订。",
    subject_en="Beware of telephone fraud",
    body_en="Dear $name, the police and the bank will never ask you by phone to move money to a 'safe account', nor for a code "
    "or a password. If a caller says they are the police, the bank or a relative in need, hang up and call the bank or 96110. "
    "Reply STOP to opt out.",
)

SECURITY_TEMPLATE = Template(
    subject_zh="账户安全体检提醒",
    body_zh="$name 您好：您的账户安全体检发现：$advice 可在手机银行或网点开启。回复 TD 退订。",
    subject_en="Your account security check-up",
    body_en="Dear $name, your account's security check-up found: $advice You can switch these on in mobile banking or at a "
    "branch. Reply STOP to opt out.",
)

SEGMENTS = ("relief", "elderly", "weak_security")
SEGMENT_TEMPLATE = {"relief": RELIEF_TEMPLATE, "elderly": ANTI_FRAUD_TEMPLATE, "weak_security": SECURITY_TEMPLATE}


def elderly(contacts: Iterable[Contact], as_of: date, min_age: int) -> list[Recipient]:
    """Customers aged ``min_age`` or more on ``as_of`` (birth date from the resident ID number), with ``$age``."""
    out = []
    for c in contacts:
        if c.birth_date is not None and (age := age_at(c.birth_date, as_of)) >= min_age:
            out.append(Recipient(c, {"age": str(age)}))
    return out


def weak_security(contacts: Iterable[Contact], checkup: Mapping[str, Sequence[tuple[str, str, str]]],
                  codes: frozenset[str] | None = None) -> list[Recipient]:
    """Customers whose security check-up (code, zh, en advice from the guard) names a protection
    that is off (any, or one of ``codes``), with ``$advice`` in their language."""
    out = []
    for c in contacts:
        advice = [a for a in checkup.get(c.customer_id, ()) if codes is None or a[0] in codes]
        if advice:
            out.append(Recipient(c, {"advice": " ".join(a[1] if c.lang == "zh" else a[2] for a in advice)}))
    return out


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
    birth: date | None = None
    id_number, raw_birth = str(data.get("id_number") or "").strip(), str(data.get("birth_date") or "").strip()
    if id_number:
        try:
            birth = resident_birth_date(id_number)
        except InvalidInput as exc:
            problems.extend(FieldProblem(p.field, p.problem, line) for p in exc.problems)
    elif raw_birth:
        try:
            birth = date.fromisoformat(raw_birth)
        except ValueError:
            problems.append(FieldProblem("birth_date", "must be a date YYYY-MM-DD", line))
    if problems:
        raise InvalidInput("invalid contact", problems=problems)
    return Contact(cid, name, lang, email, phone, str(data.get("wechat_openid") or "").strip()[:64], birth)


# -- what the gateway tells us afterwards: delivery receipts and replies -------------------------------

RECEIPT_EVENTS = ("delivered", "failed", "reply")
OPT_OUT_WORDS = frozenset({"TD", "T", "STOP", "UNSUBSCRIBE", "退订", "取消订阅"})
_KEY = re.compile(r"^[0-9a-f]{32}$")
_EDGES = " \t\r\n.,!?;:'\"。，！？；：、“”‘’()（）【】[]"


def is_opt_out(text: str) -> bool:
    """A reply that opts out: one of the words alone (any case, full-width folded, punctuation
    around it ignored: "td", "ＴＤ", "退订。"), or any text containing 退订 (unambiguous in Chinese)."""
    folded = unicodedata.normalize("NFKC", text).strip(_EDGES).upper()
    return folded in OPT_OUT_WORDS or "退订" in folded


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt or a reply for one of our messages (``message_id``: the key we sent it under)."""

    message_id: str
    event: str  # delivered | failed | reply
    at: datetime
    text: str = ""  # the reply
    error: str = ""  # why it failed
    gateway_id: str = ""  # the gateway's id of a reply, when it has one

    @property
    def receipt_id(self) -> str:
        """The same receipt posted twice has the same id: a message is delivered (or fails) once; a
        reply is one by the gateway's id, else by its time and text."""
        if self.event != "reply":
            parts = [self.message_id, self.event]
        elif self.gateway_id:
            parts = [self.message_id, self.event, self.gateway_id]
        else:
            parts = [self.message_id, self.event, self.at.isoformat(), self.text]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def parse_receipt(data: object, now: datetime, prefix: str = "") -> Receipt:
    """A receipt from the gateway's JSON: ``{"message_id", "event", "at", "text", "error", "id"}``;
    every bad field named (``prefix`` places it in a batch: ``receipts[3].``)."""
    if not isinstance(data, Mapping):
        raise InvalidInput.for_field(prefix.rstrip(".") or "body", "must be a JSON object")
    problems: list[FieldProblem] = []
    key = data.get("message_id")
    if not isinstance(key, str) or not _KEY.match(key):
        problems.append(FieldProblem(f"{prefix}message_id", "must be the 32-character key the message was sent under (Idempotency-Key)"))
    event = data.get("event")
    if event not in RECEIPT_EVENTS:
        problems.append(FieldProblem(f"{prefix}event", "must be delivered, failed or reply"))
    at = now
    raw_at = data.get("at")
    if raw_at is not None:
        try:
            at = datetime.fromisoformat(str(raw_at))
            if at.tzinfo is None:
                raise ValueError("no zone")
            at = at.astimezone(UTC)
        except ValueError:
            problems.append(FieldProblem(f"{prefix}at", "must be an ISO 8601 time with its zone, e.g. 2020-03-02T10:00:00+08:00"))
    text, error, gateway_id = data.get("text", ""), data.get("error", ""), data.get("id", "")
    if not isinstance(text, str) or len(text) > 2000:
        problems.append(FieldProblem(f"{prefix}text", "must be a text of at most 2,000 characters"))
    elif event == "reply" and not text.strip():
        problems.append(FieldProblem(f"{prefix}text", "a reply needs its text"))
    if not isinstance(error, str) or len(error) > 500:
        problems.append(FieldProblem(f"{prefix}error", "must be a text of at most 500 characters"))
    if not isinstance(gateway_id, str) or len(gateway_id) > 64:
        problems.append(FieldProblem(f"{prefix}id", "must be a text of at most 64 characters"))
    if problems:
        raise InvalidInput("invalid receipt", problems=problems)
    return Receipt(str(key), str(event), at, str(text), str(error), str(gateway_id))


SIGNATURE_HEADER = "X-Finguard-Signature"
TIMESTAMP_HEADER = "X-Finguard-Timestamp"
SIGNATURE_WINDOW = timedelta(minutes=5)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The gateway's signature of a receipt post: ``sha256=`` + HMAC-SHA256 of ``timestamp.body``
    under the shared secret (the timestamp is Unix seconds, sent in ``X-Finguard-Timestamp``)."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_problem(secret: bytes, timestamp: str | None, signature: str | None, body: bytes, now: datetime) -> tuple[str, str] | None:
    """(header, problem) when the post is not the gateway's, else None. Compared in constant time;
    a timestamp more than five minutes away from ``now`` is refused (a replayed post would change
    nothing anyway: receipts are idempotent)."""
    if not timestamp:
        return TIMESTAMP_HEADER, "missing"
    if not signature:
        return SIGNATURE_HEADER, "missing"
    if not (timestamp.isdigit() and len(timestamp) <= 12):
        return TIMESTAMP_HEADER, "must be Unix seconds"
    if abs(now - datetime.fromtimestamp(int(timestamp), tz=UTC)) > SIGNATURE_WINDOW:
        return TIMESTAMP_HEADER, "more than 5 minutes from our clock"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        return SIGNATURE_HEADER, "does not match the body (sha256=HMAC-SHA256 of 'timestamp.body' under the shared secret)"
    return None


# -- reach and response over time ---------------------------------------------------------------------

TIMELINE_MEASURES = ("sent", "delivered", "replied", "opted_out")


def timeline(events: Iterable[tuple[str, str, datetime | None]]) -> list[dict[str, Any]]:
    """Counts per China-time day and channel: ``events`` are (measure, channel, when); a None
    ``when`` is not counted. Days in order, each with every measure (0 when none)."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for measure, channel, when in events:
        if when is None:
            continue
        day = when.astimezone(CHINA).date().isoformat()
        row = counts.setdefault((day, channel), dict.fromkeys(TIMELINE_MEASURES, 0))
        row[measure] += 1
    return [{"day": day, "channel": channel, **row} for (day, channel), row in sorted(counts.items())]
