"""Outreach tables and ``SqlOutreachStore`` (``service.outreach.OutreachStore``).

``outreach_message`` is the outbox: one row per (campaign, customer, channel) key, unique, so a
campaign queued twice stores each message once. Status: ``queued`` -> ``sending`` (claimed,
committed before the send) -> ``sent`` | ``failed`` | ``uncertain``; ``skipped`` rows keep why.
A run of a channel that does not de-duplicate first *reserves* a batch (``queued`` ->
``reserved``: taken by this run, not yet sent) and moves one message at a time to ``sending``;
a reserved message was never handed to the channel, so a dead run's reservations simply go
back to ``queued`` (``release``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    Engine,
    Index,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from finguard.core.clock import aware
from finguard.core.db import begin_write, is_sqlite
from finguard.core.errors import Conflict
from finguard.core.tables import Id, UTCDateTime, metadata
from finguard.loans.model.outreach import Channel, Contact, Planned, Receipt, Template
from finguard.loans.service.outreach import Campaign, Message

outreach_contact = Table(
    "outreach_contact",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("email", String(254), nullable=False),
    Column("phone", String(16), nullable=False),
    Column("wechat_openid", String(64), nullable=False),
    Column("birth_date", Date, nullable=True),  # from the resident ID number on import (1501); the number is not kept
)

outreach_campaign = Table(
    "outreach_campaign",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("template", JSON, nullable=False),
    Column("segment", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

outreach_message = Table(
    "outreach_message",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(32), nullable=False, unique=True),
    Column("campaign_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("address", String(254), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("skip_reason", String(32), nullable=True),
    Column("not_before", UTCDateTime, nullable=False),
    Column("queued_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("detail", Text, nullable=False, default=""),
    Column("sent_at", UTCDateTime, nullable=True),  # the channel took it (1501)
    Column("delivered_at", UTCDateTime, nullable=True),  # a receipt said delivered
    Column("failed_at", UTCDateTime, nullable=True),  # refused at sending, or a receipt said failed
    Column("replied_at", UTCDateTime, nullable=True),  # the first reply
    Index("ix_outreach_message_due", "campaign_id", "status", "not_before", "id"),  # due rows come out in order (0201 -> 1301)
    Index("ix_outreach_message_customer", "customer_id", "queued_at"),
)

outreach_opt_out = Table(
    "outreach_opt_out",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("source", Text, nullable=False),
    Column("campaign_id", String(64), nullable=True),  # the campaign a reply opted out from (1501)
    Index("ix_outreach_opt_out", "customer_id", "channel"),
    Index("ix_outreach_opt_out_campaign", "campaign_id", "at"),
)

outreach_reply = Table(
    "outreach_reply",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_outreach_reply_key", "key"),
)

outreach_receipt = Table(
    "outreach_receipt",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("receipt_id", String(64), nullable=False, unique=True),  # a receipt posted twice is stored once
    Column("key", String(32), nullable=False),
    Column("event", String(16), nullable=False),  # delivered | failed | reply
    Column("at", UTCDateTime, nullable=False),  # when the gateway says it happened
    Column("received_at", UTCDateTime, nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_outreach_receipt_key", "key"),
)



SENT_LIKE = ("sent", "delivered", "replied")


def _result_times(status: str, at: datetime) -> dict[str, datetime]:
    return {"sent_at": at} if status == "sent" else {"failed_at": at} if status == "failed" else {}


def _send_time_skips(conn: Connection, rows: Sequence[Any], cap: tuple[int, datetime] | None) -> dict[int, str]:
    """Row id -> why it must not be sent now: its customer opted out of the channel, or has had
    ``cap[0]`` messages from other campaigns since ``cap[1]`` (sent, or in flight)."""
    o, m = outreach_opt_out, outreach_message
    ids = list({r.customer_id for r in rows})
    channels = list({r.channel for r in rows})
    opted = {(r.customer_id, r.channel) for r in conn.execute(
        select(o.c.customer_id, o.c.channel).where(o.c.customer_id.in_(ids), o.c.channel.in_(channels)))}
    out = {r.id: "opted_out" for r in rows if (r.customer_id, r.channel) in opted}
    if cap is not None:
        limit, since = cap
        counted = or_(m.c.sent_at >= since, and_(m.c.status.in_(["sending", "uncertain"]), m.c.claimed_at >= since))
        query = select(m.c.customer_id, func.count()).where(m.c.customer_id.in_(ids), counted).group_by(m.c.customer_id)
        recent = {cid: int(n) for cid, n in conn.execute(query)}
        out.update({r.id: "frequency_cap" for r in rows if r.id not in out and recent.get(r.customer_id, 0) >= limit})
    return out


def _contact(r: Any) -> Contact:
    return Contact(r.customer_id, r.name, r.lang, r.email, r.phone, r.wechat_openid, r.birth_date)


def _message(row: Any) -> Message:
    return Message(row.key, row.campaign_id, row.customer_id, Channel(row.channel), row.address, row.lang, row.subject, row.body)


class SqlOutreachStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put_contacts(self, contacts: Sequence[Contact]) -> int:
        rows = [{"customer_id": c.customer_id, "name": c.name, "lang": c.lang, "email": c.email, "phone": c.phone,
                 "wechat_openid": c.wechat_openid, "birth_date": c.birth_date} for c in contacts]
        with begin_write(self.engine) as conn:
            ids = [r["customer_id"] for r in rows]
            for start in range(0, len(ids), 1000):
                conn.execute(outreach_contact.delete().where(outreach_contact.c.customer_id.in_(ids[start:start + 1000])))
            if rows:
                conn.execute(outreach_contact.insert(), rows)
        return len(rows)

    def contacts(self, customer_ids: Sequence[str]) -> dict[str, Contact]:
        out: dict[str, Contact] = {}
        ids = list(dict.fromkeys(customer_ids))
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 1000):
                query = select(outreach_contact).where(outreach_contact.c.customer_id.in_(ids[start:start + 1000]))
                for r in conn.execute(query):
                    out[r.customer_id] = _contact(r)
        return out

    def contacts_where(self, born_by: date | None = None) -> list[Contact]:
        """Every contact, or those born on or before ``born_by``, in customer order."""
        c = outreach_contact
        query = select(c).order_by(c.c.customer_id)
        if born_by is not None:
            query = query.where(c.c.birth_date.is_not(None), c.c.birth_date <= born_by)
        with self.engine.connect() as conn:
            return [_contact(r) for r in conn.execute(query)]

    def create_campaign(self, campaign: Campaign) -> None:
        t = campaign.template
        try:
            with begin_write(self.engine) as conn:
                conn.execute(outreach_campaign.insert().values(
                    campaign_id=campaign.campaign_id, name=campaign.name, channel=campaign.channel.value,
                    template={"subject_zh": t.subject_zh, "body_zh": t.body_zh, "subject_en": t.subject_en, "body_en": t.body_en},
                    segment=campaign.segment, created_by=campaign.created_by, created_at=campaign.created_at))
        except IntegrityError as exc:
            raise Conflict(f"campaign {campaign.campaign_id} exists; a campaign is planned once (run it to send what is queued)") from exc

    def campaign(self, campaign_id: str) -> Campaign | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(outreach_campaign).where(outreach_campaign.c.campaign_id == campaign_id)).first()
        if r is None:
            return None
        return Campaign(r.campaign_id, r.name, Channel(r.channel), Template(**r.template), r.segment, r.created_by, r.created_at)

    def queue(self, campaign_id: str, planned: Sequence[Planned], at: datetime) -> int:
        added = 0
        with begin_write(self.engine) as conn:
            for start in range(0, len(planned), 1000):
                part = planned[start:start + 1000]
                known = set(conn.execute(select(outreach_message.c.key).where(outreach_message.c.key.in_([p.key for p in part]))).scalars())
                rows = [{"key": p.key, "campaign_id": campaign_id, "customer_id": p.customer_id, "channel": p.channel.value,
                         "address": p.address, "lang": p.lang, "subject": p.subject, "body": p.body,
                         "status": "skipped" if p.skipped else "queued", "skip_reason": p.skipped.value if p.skipped else None,
                         "not_before": p.not_before, "queued_at": at, "detail": ""} for p in part if p.key not in known]
                if rows:
                    conn.execute(outreach_message.insert(), rows)
                    added += len(rows)
        return added

    def opted_out(self, channel: Channel, customer_ids: Sequence[str]) -> set[str]:
        o = outreach_opt_out
        out: set[str] = set()
        ids = list(dict.fromkeys(customer_ids))
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 1000):
                query = select(o.c.customer_id).where(o.c.channel == channel.value, o.c.customer_id.in_(ids[start:start + 1000]))
                out.update(conn.execute(query).scalars())
        return out

    def recent_counts(self, customer_ids: Sequence[str], since: datetime) -> dict[str, int]:
        m = outreach_message
        out: dict[str, int] = {}
        ids = list(dict.fromkeys(customer_ids))
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 1000):
                query = (select(m.c.customer_id, func.count()).where(
                    m.c.customer_id.in_(ids[start:start + 1000]),
                    # sent, or queued to be sent: a second campaign planned before the first runs still counts it
                    m.c.status.in_(["queued", "reserved", "sending", "sent", "uncertain", "delivered", "replied"]),
                    m.c.queued_at >= since).group_by(m.c.customer_id))
                out.update({cid: int(n) for cid, n in conn.execute(query)})
        return out

    def claim(self, campaign_id: str, now: datetime, limit: int, cap: tuple[int, datetime] | None = None) -> list[Message]:
        with begin_write(self.engine) as conn:
            return self._claim(conn, campaign_id, now, limit, cap=cap)

    def reserve(self, campaign_id: str, now: datetime, limit: int, cap: tuple[int, datetime] | None = None) -> list[Message]:
        with begin_write(self.engine) as conn:
            return self._claim(conn, campaign_id, now, limit, "reserved", cap)

    @staticmethod
    def _claim(conn: Connection, campaign_id: str, now: datetime, limit: int, status: str = "sending",
               cap: tuple[int, datetime] | None = None) -> list[Message]:
        m = outreach_message
        due = and_(m.c.campaign_id == campaign_id, m.c.status == "queued", m.c.not_before <= now)
        # the order of ix_outreach_message_due: no sort of every queued row of a campaign for each claim
        query = select(m).where(due).order_by(m.c.not_before, m.c.id).limit(limit)
        if not is_sqlite(conn):
            query = query.with_for_update(skip_locked=True)  # two workers never claim the same row
        rows = list(conn.execute(query))
        if not rows:
            return []
        # checked again at sending time: an opt-out or other campaigns' messages since the plan
        skip = _send_time_skips(conn, rows, cap)
        for reason in ("opted_out", "frequency_cap"):
            ids = [r.id for r in rows if skip.get(r.id) == reason]
            if ids:
                conn.execute(update(m).where(m.c.id.in_(ids)).values(status="skipped", skip_reason=reason, finished_at=now))
        rows = [r for r in rows if r.id not in skip]
        if rows:
            conn.execute(update(m).where(m.c.id.in_([r.id for r in rows])).values(status=status, claimed_at=now))
        return [_message(r) for r in rows]

    def postpone(self, campaign_id: str, now: datetime, until: datetime) -> int:
        """Due ``queued`` messages wait until ``until`` (the end of the quiet hours)."""
        m = outreach_message
        with begin_write(self.engine) as conn:
            moved = conn.execute(update(m).where(m.c.campaign_id == campaign_id, m.c.status == "queued", m.c.not_before < until)
                                 .values(not_before=until))
            return int(moved.rowcount)

    def requeue(self, keys: Sequence[str], until: datetime) -> int:
        """Messages taken by this run (``sending`` or ``reserved``) but never handed to the channel go
        back to ``queued``, due at ``until``."""
        if not keys:
            return 0
        m = outreach_message
        with begin_write(self.engine) as conn:
            moved = conn.execute(update(m).where(m.c.key.in_(list(keys)), m.c.status.in_(["sending", "reserved"]))
                                 .values(status="queued", claimed_at=None, not_before=until))
            return int(moved.rowcount)

    def skip_opted_out(self, messages: Sequence[Message], at: datetime) -> set[str]:
        """Of these claimed messages, those whose customer has opted out of the channel since the
        claim are skipped; their keys."""
        o, m = outreach_opt_out, outreach_message
        pairs = {(x.customer_id, x.channel.value) for x in messages}
        if not pairs:
            return set()
        with begin_write(self.engine) as conn:
            found = {(r.customer_id, r.channel) for r in conn.execute(
                select(o.c.customer_id, o.c.channel).where(o.c.customer_id.in_({c for c, _ in pairs}),
                                                           o.c.channel.in_({ch for _, ch in pairs})))}
            keys = {x.key for x in messages if (x.customer_id, x.channel.value) in found}
            if keys:
                conn.execute(update(m).where(m.c.key.in_(list(keys)), m.c.status == "sending")
                             .values(status="skipped", skip_reason="opted_out", finished_at=at))
        return keys

    def advance(self, finished: tuple[str, str, str] | None, start: str | None, at: datetime) -> bool:
        m = outreach_message
        with begin_write(self.engine) as conn:
            if finished is not None:
                key, status, detail = finished
                conn.execute(update(m).where(m.c.key == key, m.c.status == "sending").values(status=status, finished_at=at, detail=detail,
                                                                                              **_result_times(status, at)))
            if start is None:
                return False
            moved = conn.execute(update(m).where(m.c.key == start, m.c.status == "reserved").values(status="sending", claimed_at=at))
            return moved.rowcount == 1

    def release(self, campaign_id: str, *, reserved_before: datetime | None = None, keys: Sequence[str] = ()) -> int:
        m = outreach_message
        if reserved_before is not None:
            which = m.c.claimed_at < reserved_before
        elif keys:
            which = m.c.key.in_(list(keys))
        else:
            return 0
        with begin_write(self.engine) as conn:
            moved = conn.execute(update(m).where(m.c.campaign_id == campaign_id, m.c.status == "reserved", which)
                                 .values(status="queued", claimed_at=None))
            return int(moved.rowcount)

    def in_doubt(self, campaign_id: str, claimed_before: datetime) -> list[Message]:
        m = outreach_message
        stale = and_(m.c.campaign_id == campaign_id, m.c.status == "sending", m.c.claimed_at < claimed_before)
        query = select(m).where(stale).order_by(m.c.id)
        with self.engine.connect() as conn:
            return [_message(r) for r in conn.execute(query)]

    def finish(self, key: str, status: str, at: datetime, detail: str = "") -> None:
        m = outreach_message
        with begin_write(self.engine) as conn:
            claimed = and_(m.c.key == key, m.c.status == "sending")
            conn.execute(update(m).where(claimed).values(status=status, finished_at=at, detail=detail, **_result_times(status, at)))

    def finish_many(self, results: Sequence[tuple[str, str, str]], at: datetime) -> None:
        if not results:
            return
        m = outreach_message
        statement = (update(m).where(m.c.key == bindparam("k"), m.c.status == "sending")
                     .values(status=bindparam("s"), finished_at=at, detail=bindparam("d"), sent_at=bindparam("sa"),
                             failed_at=bindparam("fa")))
        rows = [{"k": key, "s": status, "d": detail, "sa": at if status == "sent" else None, "fa": at if status == "failed" else None}
                for key, status, detail in results]
        with begin_write(self.engine) as conn:
            conn.execute(statement, rows)

    def opt_out(self, customer_id: str, channel: Channel, at: datetime, source: str, campaign_id: str | None = None) -> None:
        m = outreach_message
        with begin_write(self.engine) as conn:
            conn.execute(outreach_opt_out.insert().values(customer_id=customer_id, channel=channel.value, at=at, source=source,
                                                          campaign_id=campaign_id))
            # what is still queued (or reserved by a run, not yet sent) for this customer on this channel is not sent
            conn.execute(update(m).where(m.c.customer_id == customer_id, m.c.channel == channel.value,
                                         m.c.status.in_(["queued", "reserved"]))
                         .values(status="skipped", skip_reason="opted_out", finished_at=at))

    def record_reply(self, key: str, text: str, at: datetime) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(outreach_reply.insert().values(key=key, text=text, at=at))

    def messages(self, keys: Sequence[str]) -> dict[str, Message]:
        m = outreach_message
        ids = list(dict.fromkeys(keys))
        out: dict[str, Message] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 1000):
                out.update({r.key: _message(r) for r in conn.execute(select(m).where(m.c.key.in_(ids[start:start + 1000])))})
        return out

    def apply_receipts(self, receipts: Sequence[Receipt], received_at: datetime) -> list[bool]:
        """Each receipt once (by ``receipt_id``), in one transaction; True for those new. A receipt
        moves the message forward only (replied > delivered | failed > sent) and keeps the first
        time of each event; one that arrives before the send was recorded (``sending``) counts as
        its sending too."""
        for attempt in range(2):
            try:
                with begin_write(self.engine) as conn:
                    return self._apply_receipts(conn, receipts, received_at)
            except IntegrityError:  # the same receipt stored by a concurrent request: read again
                if attempt:
                    raise
        return []

    @staticmethod
    def _apply_receipts(conn: Connection, receipts: Sequence[Receipt], received_at: datetime) -> list[bool]:
        m, r = outreach_message, outreach_receipt
        seen = set(conn.execute(select(r.c.receipt_id).where(r.c.receipt_id.in_([x.receipt_id for x in receipts]))).scalars())
        out = []
        for x in receipts:
            if x.receipt_id in seen:
                out.append(False)
                continue
            seen.add(x.receipt_id)
            conn.execute(r.insert().values(receipt_id=x.receipt_id, key=x.message_id, event=x.event, at=x.at, received_at=received_at,
                                           detail=(x.text if x.event == "reply" else x.error)[:2000]))
            at = literal(x.at, UTCDateTime)  # typed: stored as every other time (UTC), not as the text of an offset
            values: dict[str, Any] = {"sent_at": func.coalesce(m.c.sent_at, at)}
            if x.event == "delivered":
                values.update(delivered_at=func.coalesce(m.c.delivered_at, at),
                              status=case((m.c.status.in_(["sending", "sent", "uncertain"]), "delivered"), else_=m.c.status))
            elif x.event == "failed":
                open_ = m.c.status.in_(["sending", "sent", "uncertain"])
                values.update(failed_at=func.coalesce(m.c.failed_at, at), status=case((open_, "failed"), else_=m.c.status),
                              detail=case((open_, f"receipt: {x.error}"[:500]), else_=m.c.detail))
            else:  # a reply: the message reached them
                conn.execute(outreach_reply.insert().values(key=x.message_id, text=x.text, at=x.at))
                values.update(replied_at=func.coalesce(m.c.replied_at, at), delivered_at=func.coalesce(m.c.delivered_at, at),
                              status=case((m.c.status.in_(["sending", "sent", "uncertain", "delivered", "failed"]), "replied"),
                                          else_=m.c.status))
            conn.execute(update(m).where(m.c.key == x.message_id).values(**values))
            out.append(True)
        return out

    def message(self, key: str) -> Message | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(outreach_message).where(outreach_message.c.key == key)).first()
        return None if row is None else _message(row)

    def timeline_events(self, campaign_id: str) -> Iterator[tuple[str, str, datetime | None]]:
        """(measure, channel, when) for the campaign's sends, deliveries, replies and the opt-outs
        its replies made; streamed, so a campaign of 210,000 messages is not held as rows."""
        m, o = outreach_message, outreach_opt_out
        sent = select(m.c.channel, m.c.sent_at, m.c.delivered_at, m.c.replied_at).where(m.c.campaign_id == campaign_id,
                                                                                       m.c.sent_at.is_not(None))
        with self.engine.connect() as conn:
            for channel, sent_at, delivered_at, replied_at in conn.execution_options(yield_per=5000).execute(sent):
                yield "sent", channel, aware(sent_at)
                yield "delivered", channel, aware(delivered_at)
                yield "replied", channel, aware(replied_at)
            for channel, at in conn.execute(select(o.c.channel, o.c.at).where(o.c.campaign_id == campaign_id)):
                yield "opted_out", channel, aware(at)

    def report(self, campaign_id: str) -> dict[str, Any]:
        m = outreach_message
        with self.engine.connect() as conn:
            status = {s: int(n) for s, n in conn.execute(
                select(m.c.status, func.count()).where(m.c.campaign_id == campaign_id).group_by(m.c.status))}
            skipped = {s: int(n) for s, n in conn.execute(
                select(m.c.skip_reason, func.count()).where(m.c.campaign_id == campaign_id, m.c.status == "skipped")
                .group_by(m.c.skip_reason))}
            replies = int(conn.execute(select(func.count()).select_from(outreach_reply.join(m, m.c.key == outreach_reply.c.key))
                                       .where(m.c.campaign_id == campaign_id)).scalar_one())
        return {"campaign_id": campaign_id, "by_status": status, "skipped": skipped, "replies": replies,
                "total": sum(status.values())}
