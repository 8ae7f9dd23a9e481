"""Outreach use cases: contacts, campaigns planned from a segment, and the run that sends them.

Sending is a small outbox protocol so that a killed process never sends a message twice:

1. due messages are *claimed* (status ``sending``, committed) before they are sent: in batches
   for a channel whose receiver de-duplicates, one at a time for any other;
2. each is sent with its key as the idempotency key (SMTP ``Message-ID``, webhook
   ``Idempotency-Key``) and then marked ``sent`` (or ``failed``);
3. a later run finds messages still ``sending`` past the lease (their process died between 1 and
   the end of 2). A channel whose receiver de-duplicates by key (``Sender.idempotent``) gets them
   again under the same key; for any other channel they become ``uncertain`` and are not resent:
   at most one message per crashed worker waits for a person to check, none goes out twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from finguard.core.errors import Conflict, FieldProblem, ImportRejected, InvalidInput, NotFound
from finguard.core.money import format_yuan
from finguard.loans.model.outreach import Channel, Contact, Planned, Recipient, Rules, Template, parse_contact, plan
from finguard.loans.service import LoanService

LEASE = timedelta(minutes=2)
OPT_OUT_WORDS = frozenset({"TD", "T", "STOP", "UNSUBSCRIBE", "退订"})


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
        """Deliver to the channel; return the provider's id. Raise SendFailed for a permanent refusal."""
        ...


class OutreachStore(Protocol):
    def put_contacts(self, contacts: Sequence[Contact]) -> int: ...

    def contacts(self, customer_ids: Sequence[str]) -> dict[str, Contact]: ...

    def create_campaign(self, campaign: Campaign) -> None:
        """Conflict if the id is taken."""
        ...

    def campaign(self, campaign_id: str) -> Campaign | None: ...

    def queue(self, campaign_id: str, planned: Sequence[Planned], at: datetime) -> int:
        """Store the planned messages (skipped ones with their reason); a known key is left as it is. New rows."""
        ...

    def opted_out(self, channel: Channel, customer_ids: Sequence[str]) -> set[str]: ...

    def recent_counts(self, customer_ids: Sequence[str], since: datetime) -> dict[str, int]: ...

    def claim(self, campaign_id: str, now: datetime, limit: int) -> list[Message]:
        """Due ``queued`` messages -> ``sending`` (committed before returning)."""
        ...

    def in_doubt(self, campaign_id: str, claimed_before: datetime) -> list[Message]: ...

    def finish(self, key: str, status: str, at: datetime, detail: str = "") -> None: ...

    def finish_many(self, results: Sequence[tuple[str, str, str]], at: datetime) -> None:
        """(key, status, detail) of several sends, in one transaction."""
        ...

    def finish_and_claim(self, key: str, status: str, at: datetime, detail: str, campaign_id: str | None) -> list[Message]:
        """Record one send and, in the same transaction, claim the next due message of ``campaign_id`` (if given)."""
        ...

    def opt_out(self, customer_id: str, channel: Channel, at: datetime, source: str) -> None: ...

    def record_reply(self, key: str, text: str, at: datetime) -> None: ...

    def message(self, key: str) -> Message | None: ...

    def report(self, campaign_id: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class RunReport:
    sent: int
    failed: int
    resent_in_doubt: int
    uncertain: int
    waiting: int  # still queued (quiet hours, or the limit was reached)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "resent_in_doubt": self.resent_in_doubt, "uncertain": self.uncertain,
                "waiting": self.waiting}


class OutreachService:
    def __init__(self, store: OutreachStore, loans: LoanService, clock: Callable[[], datetime], rules: Rules | None = None) -> None:
        self.store = store
        self.loans = loans
        self.clock = clock
        self.rules = rules or Rules()

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

    def run(self, campaign_id: str, senders: Mapping[Channel, Sender], *, limit: int | None = None, batch: int = 100,
            lease: timedelta = LEASE, progress: Callable[[int], None] | None = None) -> RunReport:
        """Send what is due. Messages claimed more than ``lease`` ago and never finished are in doubt (see above)."""
        campaign = self.store.campaign(campaign_id)
        if campaign is None:
            raise NotFound(f"no campaign {campaign_id}")
        sender = senders.get(campaign.channel)
        if sender is None:
            raise InvalidInput.for_field("channel", f"no sender configured for {campaign.channel.value}")
        sent = failed = resent = uncertain = 0
        if not sender.idempotent:
            batch = 1  # only the message being sent may be in doubt if the process dies
        for message in self.store.in_doubt(campaign_id, self.clock() - lease):
            if sender.idempotent:
                ok = self._send(sender, message)
                resent += ok
                failed += not ok
            else:
                self.store.finish(message.key, "uncertain", self.clock(), "the process stopped while sending; check before resending")
                uncertain += 1
        def room() -> int:
            return batch if limit is None else min(batch, limit - sent - failed)

        if sender.idempotent:
            # a resend is harmless, so a batch is recorded in one transaction
            while room() > 0 and (claimed := self.store.claim(campaign_id, self.clock(), room())):
                results = [self._attempt(sender, m) for m in claimed]
                self.store.finish_many(results, self.clock())
                sent += sum(1 for _, status, _ in results if status == "sent")
                failed += sum(1 for _, status, _ in results if status == "failed")
                if progress:
                    progress(sent)
        else:
            # one message in flight; its result and the next claim share a transaction
            claimed = self.store.claim(campaign_id, self.clock(), 1) if room() > 0 else []
            while claimed:
                key, status, detail = self._attempt(sender, claimed[0])
                sent += status == "sent"
                failed += status == "failed"
                more = room() > 0
                claimed = self.store.finish_and_claim(key, status, self.clock(), detail, campaign_id if more else None)
                if progress and sent % 100 == 0:
                    progress(sent)
        waiting = int(self.store.report(campaign_id)["by_status"].get("queued", 0))
        return RunReport(sent, failed, resent, uncertain, waiting)

    def _attempt(self, sender: Sender, message: Message) -> tuple[str, str, str]:
        """(key, status, detail) of one send; a transient error propagates (the message stays in doubt)."""
        try:
            return message.key, "sent", sender.send(message)[:200]
        except SendFailed as exc:
            return message.key, "failed", str(exc)[:500]

    def _send(self, sender: Sender, message: Message) -> bool:
        try:
            provider_id = sender.send(message)
        except SendFailed as exc:
            self.store.finish(message.key, "failed", self.clock(), str(exc)[:500])
            return False
        self.store.finish(message.key, "sent", self.clock(), provider_id[:200])
        return True

    def opt_out(self, customer_id: str, channel: Channel, source: str) -> None:
        self.store.opt_out(customer_id, channel, self.clock(), source)

    def reply(self, key: str, text: str) -> None:
        """A reply; 退订 / TD / STOP / unsubscribe also opts the customer out of the channel."""
        message = self.store.message(key)
        if message is None:
            raise NotFound(f"no message {key}")
        self.store.record_reply(key, text[:2000], self.clock())
        if text.strip().upper() in OPT_OUT_WORDS:
            self.store.opt_out(message.customer_id, message.channel, self.clock(), f"reply to {key}")
