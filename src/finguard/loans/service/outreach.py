"""Outreach use cases: contacts, campaigns planned from a segment, and the run that sends them.

Sending is a small outbox protocol so that a killed process never sends a message twice:

1. a message is *claimed* (status ``sending``, committed) before it is sent;
2. it is sent with its key as the idempotency key (SMTP ``Message-ID``, webhook
   ``Idempotency-Key``) and then marked ``sent`` (or ``failed``);
3. a later run finds messages still ``sending`` past the lease (their process died between 1 and
   the end of 2). A channel whose receiver de-duplicates by key (``Sender.idempotent``) gets them
   again under the same key; for any other channel they become ``uncertain`` and are not resent.

A channel whose receiver de-duplicates is claimed a batch at a time, sent over ``connections``
concurrent requests, and the batch's results are written in one transaction. Any other channel
*reserves* a batch (``reserved``: taken by this run, never handed to the channel) and then each
of its ``connections`` workers moves one message at a time to ``sending``, in the same
transaction that records the worker's previous message; a dead run's reservations go back to
``queued``. So at most one message per connection of a killed run is left ``uncertain``, and
none goes out twice. An opt-out recorded during a run still stops every message not yet sending.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from finguard.core.errors import Conflict, FieldProblem, ImportRejected, InvalidInput, NotFound
from finguard.core.money import format_yuan
from finguard.loans.model.outreach import (
    SEGMENTS,
    TIMELINE_MEASURES,
    Channel,
    Contact,
    Planned,
    Receipt,
    Recipient,
    Rules,
    Template,
    elderly,
    is_opt_out,
    parse_contact,
    parse_receipt,
    plan,
    timeline,
    weak_security,
)
from finguard.loans.service import LoanService

LEASE = timedelta(minutes=2)
SECURITY_CODES = frozenset({"night_lock", "region_lock", "limits", "cooling_off", "pending"})  # the guard's check-up advice
MAX_CONNECTIONS = 16  # each e-mail worker holds a database connection for its transactions; the pools hold 15
HELD = "held"  # not sent: quiet hours began after the claim


@dataclass(frozen=True, slots=True)
class Campaign:
    campaign_id: str
    name: str
    channel: Channel
    template: Template
    segment: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    campaign_id: str
    customer_id: str
    channel: Channel
    address: str
    lang: str
    subject: str
    body: str


class SendFailed(Exception):
    """The channel refused the message for good (bad address...); it is not retried."""


class Sender(Protocol):
    idempotent: bool  # the receiver de-duplicates by key, so a message in doubt may be sent again

    def send(self, message: Message) -> str:
        """Deliver to the channel; return the provider's id. Raise SendFailed for a permanent refusal.
        Called from several threads at once when a run uses more than one connection."""
        ...


class OutreachStore(Protocol):
    def put_contacts(self, contacts: Sequence[Contact]) -> int: ...

    def contacts(self, customer_ids: Sequence[str]) -> dict[str, Contact]: ...

    def contacts_where(self, born_by: date | None = None) -> list[Contact]:
        """Every contact, or those born on or before ``born_by``."""
        ...

    def create_campaign(self, campaign: Campaign) -> None:
        """Conflict if the id is taken."""
        ...

    def campaign(self, campaign_id: str) -> Campaign | None: ...

    def queue(self, campaign_id: str, planned: Sequence[Planned], at: datetime) -> int:
        """Store the planned messages (skipped ones with their reason); a known key is left as it is. New rows."""
        ...

    def opted_out(self, channel: Channel, customer_ids: Sequence[str]) -> set[str]: ...

    def recent_counts(self, customer_ids: Sequence[str], since: datetime) -> dict[str, int]: ...

    def claim(self, campaign_id: str, now: datetime, limit: int, cap: tuple[int, datetime] | None = None) -> list[Message]:
        """Due ``queued`` messages -> ``sending`` (committed before returning), the earliest due first.
        In the same transaction, a message whose customer has opted out of the channel, or (with
        ``cap``: N, since) has had N messages sent since, is ``skipped`` with the reason instead."""
        ...

    def reserve(self, campaign_id: str, now: datetime, limit: int, cap: tuple[int, datetime] | None = None) -> list[Message]:
        """As ``claim``, to ``reserved``."""
        ...

    def postpone(self, campaign_id: str, now: datetime, until: datetime) -> int:
        """Due ``queued`` messages wait until ``until``."""
        ...

    def requeue(self, keys: Sequence[str], until: datetime) -> int:
        """Taken by this run (``sending``/``reserved``), never handed to the channel: ``queued`` again, due at ``until``."""
        ...

    def skip_opted_out(self, messages: Sequence[Message], at: datetime) -> set[str]:
        """Claimed messages whose customer opted out since: ``skipped``; their keys."""
        ...

    def advance(self, finished: tuple[str, str, str] | None, start: str | None, at: datetime) -> bool:
        """In one transaction: record ``finished`` (key, status, detail) of a ``sending`` message, and
        move ``start`` from ``reserved`` to ``sending``. False when ``start`` is no longer reserved
        (an opt-out skipped it, another run took it): it must not be sent."""
        ...

    def release(self, campaign_id: str, *, reserved_before: datetime | None = None, keys: Sequence[str] = ()) -> int:
        """``reserved`` messages (reserved before the time, or with these keys) -> ``queued``."""
        ...

    def in_doubt(self, campaign_id: str, claimed_before: datetime) -> list[Message]: ...

    def finish(self, key: str, status: str, at: datetime, detail: str = "") -> None: ...

    def finish_many(self, results: Sequence[tuple[str, str, str]], at: datetime) -> None:
        """(key, status, detail) of several sends, in one transaction."""
        ...

    def opt_out(self, customer_id: str, channel: Channel, at: datetime, source: str, campaign_id: str | None = None) -> None: ...

    def record_reply(self, key: str, text: str, at: datetime) -> None: ...

    def message(self, key: str) -> Message | None: ...

    def messages(self, keys: Sequence[str]) -> dict[str, Message]: ...

    def apply_receipts(self, receipts: Sequence[Receipt], received_at: datetime) -> list[bool]:
        """Each receipt once (by ``receipt_id``), in one transaction; True for those new."""
        ...

    def report(self, campaign_id: str) -> dict[str, Any]: ...

    def timeline_events(self, campaign_id: str) -> Iterable[tuple[str, str, datetime | None]]:
        """(measure, channel, when): each message's sending, delivery and reply, each opt-out its replies made."""
        ...


@dataclass(frozen=True, slots=True)
class RunReport:
    sent: int
    failed: int
    resent_in_doubt: int
    uncertain: int
    waiting: int  # still queued (quiet hours, or the limit was reached)
    quiet_until: datetime | None = None  # the run stopped at quiet hours; what is left is due then

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed, "resent_in_doubt": self.resent_in_doubt, "uncertain": self.uncertain,
                "waiting": self.waiting, "quiet_until": self.quiet_until.isoformat() if self.quiet_until else None}


SecurityCheckup = Callable[[Sequence[str]], Mapping[str, Sequence[tuple[str, str, str]]]]
"""The guard's security check-up of these customers: (code, zh, en) per protection that is off.
loans may not import the guard (nor the guard loans): the composition root passes this in."""


class OutreachService:
    def __init__(self, store: OutreachStore, loans: LoanService, clock: Callable[[], datetime], rules: Rules | None = None,
                 security: SecurityCheckup | None = None) -> None:
        self.store = store
        self.loans = loans
        self.clock = clock
        self.rules = rules or Rules()
        self.security = security

    def segment(self, kind: str, as_of: date, *, relief_batch: str | None = None, min_age: int = 60,
                codes: Sequence[str] | None = None) -> tuple[list[Recipient], str]:
        """A campaign's audience and its description: ``relief`` (the eligible borrowers of
        ``relief_batch``, with their figures), ``elderly`` (contacts aged ``min_age`` or more on
        ``as_of``, from the birth date of their resident ID number; ``$age``), ``weak_security``
        (contacts whose security check-up names a protection that is off, or one of ``codes``;
        ``$advice``)."""
        if kind == "relief":
            if not relief_batch:
                raise InvalidInput.for_field("relief_batch", "the relief segment needs an eligibility batch")
            return self.relief_segment(relief_batch, as_of), f"relief batch {relief_batch}"
        if kind == "elderly":
            if not 50 <= min_age <= 120:
                raise InvalidInput.for_field("min_age", "must be between 50 and 120")
            if as_of.year - min_age < 1:
                raise InvalidInput.for_field("as_of", f"is too early for an age of {min_age} (no one could be born before year 1)")
            born_by = date(as_of.year - min_age, 12, 31)  # a superset; the exact age is taken below
            return elderly(self.store.contacts_where(born_by), as_of, min_age), f"elderly: aged {min_age}+ on {as_of.isoformat()}"
        if kind == "weak_security":
            if self.security is None:
                raise InvalidInput.for_field("segment", "the guard's security check-up is not available in this process")
            wanted = frozenset(codes) if codes else None
            if wanted is not None and not wanted <= SECURITY_CODES:
                raise InvalidInput.for_field("codes", f"must be among {', '.join(sorted(SECURITY_CODES))}")
            contacts = self.store.contacts_where()
            checkup = self.security([c.customer_id for c in contacts])
            which = ", ".join(sorted(wanted)) if wanted else "any"
            return weak_security(contacts, checkup, wanted), f"weak security setting ({which})"
        raise InvalidInput.for_field("segment", f"must be one of {', '.join(SEGMENTS)}")

    def import_contacts(self, rows: Iterable[tuple[int, Mapping[str, Any]]]) -> int:
        contacts: list[Contact] = []
        problems: list[FieldProblem] = []
        for line, data in rows:
            try:
                contacts.append(parse_contact(data, line))
            except InvalidInput as exc:
                problems.extend(exc.problems)
        if problems:
            raise ImportRejected(f"{len(problems)} problem(s); nothing was imported", problems=problems)
        return self.store.put_contacts(contacts)

    def relief_segment(self, batch_id: str, as_of: date) -> list[Recipient]:
        """The eligible borrowers of a batch, with their own figures: loan, relief offered, the
        instalment now and the first one under relief."""
        decisions = self.loans.store.decisions(batch_id=batch_id, eligible=True, limit=1_000_000)
        contacts = self.store.contacts([d.decision.customer_id for d in decisions])
        out = []
        for d in decisions:
            contact = contacts.get(d.decision.customer_id)
            if contact is None or d.decision.offer is None:
                continue
            try:
                comparison = self.loans.proposal(d.id, as_of)
            except (InvalidInput, Conflict):
                continue
            start = comparison.change.start - 1
            before = comparison.before.rows[start].payment_fen if start < len(comparison.before.rows) else 0
            after = next((r.payment_fen for r in comparison.after.rows[start:] if r.payment_fen), 0)
            zh, en = d.decision.offer.describe()
            out.append(Recipient(contact, {
                "loan_id": d.decision.loan_id, "relief": zh if contact.lang == "zh" else en, "instalment_now": format_yuan(before),
                "instalment_after": format_yuan(after), "first_due": comparison.before.rows[start].due.isoformat(),
            }))
        return out

    def create_campaign(self, campaign_id: str, name: str, channel: Channel, template: Template, recipients: list[Recipient],
                        actor: str, segment: str) -> dict[str, Any]:
        if not campaign_id or len(campaign_id) > 64 or not campaign_id.replace("-", "").replace("_", "").isalnum():
            raise InvalidInput.for_field("campaign_id", "must be 1-64 letters, digits, '-' or '_'")
        template.placeholders()
        now = self.clock()
        self.store.create_campaign(Campaign(campaign_id, name, channel, template, segment, actor, now))
        ids = [r.contact.customer_id for r in recipients]
        planned = plan(campaign_id, channel, template, recipients, now=now, rules=self.rules, opted_out=self.store.opted_out(channel, ids),
                       recent=self.store.recent_counts(ids, now - timedelta(days=self.rules.cap_days)))
        self.store.queue(campaign_id, planned, now)
        return self.store.report(campaign_id)

    def run(self, campaign_id: str, senders: Mapping[Channel, Sender], *, limit: int | None = None, batch: int = 200,
            lease: timedelta = LEASE, progress: Callable[[int], None] | None = None, connections: int = 1) -> RunReport:
        """Send what is due over ``connections`` concurrent connections. Messages claimed more than
        ``lease`` ago and never finished are in doubt (see above)."""
        campaign = self.store.campaign(campaign_id)
        if campaign is None:
            raise NotFound(f"no campaign {campaign_id}")
        sender = senders.get(campaign.channel)
        if sender is None:
            raise InvalidInput.for_field("channel", f"no sender configured for {campaign.channel.value}")
        if not 1 <= connections <= MAX_CONNECTIONS:
            raise InvalidInput.for_field("connections", f"must be between 1 and {MAX_CONNECTIONS}")
        if limit is not None and limit < 1:
            raise InvalidInput.for_field("limit", "must be at least 1")
        self.store.release(campaign_id, reserved_before=self.clock() - lease)  # a dead run's reservations, never sent
        tally = _Tally(progress)
        if self._quiet(campaign_id, tally):  # nothing goes out in quiet hours, not even a resend of what is in doubt
            return self._report(campaign_id, tally)
        in_doubt = self.store.in_doubt(campaign_id, self.clock() - lease)
        with ThreadPoolExecutor(connections, thread_name_prefix=f"outreach-{campaign_id}") as pool:
            if sender.idempotent:
                for start in range(0, len(in_doubt), batch):
                    results = self._send_batch(pool, sender, in_doubt[start:start + batch])
                    resent = sum(1 for _, status, _ in results if status == "sent")
                    tally.resent += resent
                    tally.failed += sum(1 for _, status, _ in results if status == "failed")
                # a resend is harmless, so a batch is sent concurrently and recorded in one transaction
                while (not tally.quiet and (room := tally.room(batch, limit)) > 0 and not self._quiet(campaign_id, tally)
                       and (claimed := self.store.claim(campaign_id, self.clock(), room, self._cap()))):
                    tally.add(self._send_batch(pool, sender, claimed, tally))
            else:
                for message in in_doubt:
                    self.store.finish(message.key, "uncertain", self.clock(), "the process stopped while sending; check before resending")
                    tally.uncertain += 1
                self._send_one_at_a_time(pool, sender, campaign_id, batch, limit, tally, connections)
        return self._report(campaign_id, tally)

    def _report(self, campaign_id: str, tally: _Tally) -> RunReport:
        if tally.quiet is not None:  # what is still due waits for the end of the quiet hours
            self.store.postpone(campaign_id, self.clock(), tally.quiet)
        waiting = int(self.store.report(campaign_id)["by_status"].get("queued", 0))
        return RunReport(tally.sent, tally.failed, tally.resent, tally.uncertain, waiting, tally.quiet)

    def _cap(self) -> tuple[int, datetime]:
        return self.rules.cap_messages, self.clock() - timedelta(days=self.rules.cap_days)

    def _quiet_until(self) -> datetime | None:
        """The end of the quiet hours if the clock is inside them (the core clock: tests move it)."""
        now = self.clock()
        until = self.rules.next_allowed(now)
        return until if until > now else None

    def _quiet(self, campaign_id: str, tally: _Tally | None = None) -> datetime | None:
        """Inside quiet hours: what is due waits for their end, and the run stops."""
        until = self._quiet_until()
        if until is not None:
            self.store.postpone(campaign_id, self.clock(), until)
            if tally is not None:
                tally.quiet = until
        return until

    def _send_batch(self, pool: ThreadPoolExecutor, sender: Sender, messages: Sequence[Message],
                    tally: _Tally | None = None) -> list[tuple[str, str, str]]:
        """Send concurrently and record the results in one transaction; a transient error is raised
        after what was answered is recorded (what it hit stays ``sending``, in doubt). Checked again
        just before: an opt-out since the claim skips the message; a message that finds the clock in
        quiet hours goes back to the queue, due at their end."""
        skipped = self.store.skip_opted_out(messages, self.clock())
        futures = [pool.submit(self._attempt, sender, m) for m in messages if m.key not in skipped]
        results: list[tuple[str, str, str]] = []
        held: list[str] = []
        error: BaseException | None = None
        for future in futures:
            try:
                result = future.result()
            except Exception as exc:  # recorded below, then raised
                error = error or exc
                continue
            if result[1] == HELD:
                held.append(result[0])
            else:
                results.append(result)
        self.store.finish_many(results, self.clock())
        if held:
            until = self._quiet_until() or self.clock()
            self.store.requeue(held, until)
            if tally is not None:
                tally.quiet = until
        if error is not None:
            raise error
        return results

    def _send_one_at_a_time(self, pool: ThreadPoolExecutor, sender: Sender, campaign_id: str, batch: int, limit: int | None,
                            tally: _Tally, connections: int) -> None:
        """Each worker has at most one message in flight: ``advance`` records its last result and
        moves its next reserved message to ``sending`` in one transaction, then it sends."""
        lock = threading.Lock()
        reserved: deque[Message] = deque()
        stop = threading.Event()
        taken = [0]

        def next_message() -> Message | None:
            with lock:
                if not reserved and not stop.is_set():
                    room = batch if limit is None else min(batch, limit - taken[0])
                    if room > 0 and not self._quiet(campaign_id, tally):
                        reserved.extend(self.store.reserve(campaign_id, self.clock(), room, self._cap()))
                        taken[0] += len(reserved)
                return reserved.popleft() if reserved else None

        def hold(message: Message) -> None:
            """Quiet hours began: the message goes back (never handed to the channel) and the run stops."""
            with lock:
                reserved.appendleft(message)
                tally.quiet = tally.quiet or self._quiet_until() or self.clock()
            stop.set()

        def worker() -> None:
            finished: tuple[str, str, str] | None = None
            try:
                while True:
                    message = None if stop.is_set() else next_message()
                    if message is not None and self._quiet_until() is not None:
                        hold(message)
                        message = None
                    started = self.store.advance(finished, message.key if message else None, self.clock())
                    if finished is not None:
                        tally.add([finished])
                    finished = None
                    if message is None:
                        return
                    if started:
                        finished = self._attempt(sender, message)  # a transient error leaves it sending: in doubt
                        if finished[1] == HELD:  # quiet hours began between the two lines above
                            self.store.requeue([message.key], self._quiet_until() or self.clock())
                            hold(message)
                            finished = None
            except BaseException:
                stop.set()
                raise

        futures = [pool.submit(worker) for _ in range(connections)]
        errors = [f.exception() for f in futures]
        with lock:
            self.store.release(campaign_id, keys=[m.key for m in reserved])  # reserved by this run, never sent
            reserved.clear()
        error = next((e for e in errors if e is not None), None)
        if error is not None:
            raise error

    def _attempt(self, sender: Sender, message: Message) -> tuple[str, str, str]:
        """(key, status, detail) of one send; a transient error propagates (the message stays in doubt).
        Status ``HELD``: the clock is in quiet hours, the message was not handed to the channel."""
        if self._quiet_until() is not None:
            return message.key, HELD, ""
        try:
            return message.key, "sent", sender.send(message)[:200]
        except SendFailed as exc:
            return message.key, "failed", str(exc)[:500]

    def opt_out(self, customer_id: str, channel: Channel, source: str) -> None:
        self.store.opt_out(customer_id, channel, self.clock(), source)

    def campaign_report(self, campaign_id: str) -> dict[str, Any]:
        """Reach and response: messages by status, skips by reason, replies, and per China-time day
        and channel the messages sent, delivered, replied to and the opt-outs they brought."""
        if self.store.campaign(campaign_id) is None:
            raise NotFound(f"no campaign {campaign_id}")
        days = timeline(self.store.timeline_events(campaign_id))
        totals = {k: sum(d[k] for d in days) for k in TIMELINE_MEASURES}
        return {**self.store.report(campaign_id), "timeline": days, "totals": totals}

    def reply(self, key: str, text: str) -> None:
        """A reply recorded by hand (the CLI); 退订 / TD / STOP / unsubscribe also opts the customer out of the channel."""
        if self.store.message(key) is None:
            raise NotFound(f"no message {key}")
        self.receipts([{"message_id": key, "event": "reply", "text": text[:2000]}])

    def receipts(self, items: Sequence[object]) -> dict[str, int]:
        """Delivery receipts and replies from the gateway, all or nothing: every bad field named
        (``receipts[i].field``), an unknown message id refused. A receipt posted again changes
        nothing; a reply with an opt-out word opts the customer out of the channel (skipping what
        is still queued for them) and is counted against the campaign it answered."""
        if not items:
            raise InvalidInput.for_field("receipts", "at least one receipt")
        now = self.clock()
        parsed: list[Receipt] = []
        problems: list[FieldProblem] = []
        for i, item in enumerate(items):
            try:
                parsed.append(parse_receipt(item, now, f"receipts[{i}]."))
            except InvalidInput as exc:
                problems.extend(exc.problems)
        if problems:
            raise InvalidInput(f"{len(problems)} problem(s); nothing was recorded", problems=problems)
        known = self.store.messages([r.message_id for r in parsed])
        problems = [FieldProblem(f"receipts[{i}].message_id", "no message was sent under this key")
                    for i, r in enumerate(parsed) if r.message_id not in known]
        if problems:
            raise InvalidInput(f"{len(problems)} unknown message id(s); nothing was recorded", problems=problems)
        new = self.store.apply_receipts(parsed, now)
        opted = 0
        for receipt, fresh in zip(parsed, new, strict=True):
            if fresh and receipt.event == "reply" and is_opt_out(receipt.text):
                message = known[receipt.message_id]
                self.store.opt_out(message.customer_id, message.channel, receipt.at, f"reply to {message.key}", message.campaign_id)
                opted += 1
        return {"recorded": sum(new), "duplicates": len(new) - sum(new), "opted_out": opted}


class _Tally:
    """What a run has done so far; updated from the sending threads."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.sent = self.failed = self.resent = self.uncertain = 0
        self.quiet: datetime | None = None  # the run stopped at quiet hours, which end then
        self.progress = progress
        self.lock = threading.Lock()

    def add(self, results: Sequence[tuple[str, str, str]]) -> None:
        sent = sum(1 for _, status, _ in results if status == "sent")
        failed = sum(1 for _, status, _ in results if status == "failed")
        with self.lock:
            before = self.sent
            self.sent += sent
            self.failed += failed
            if self.progress and self.sent // 100 != before // 100:
                self.progress(self.sent)

    def room(self, batch: int, limit: int | None) -> int:
        return batch if limit is None else min(batch, limit - self.sent - self.failed)
