"""Partition leases for the guard's consumer group (``finguard guard consume --group``, #19).

Consumers started in group mode share the P partitions of the events stream among themselves,
with no operator: each partition is owned through a lease, a key of a JetStream Key-Value bucket
whose entries expire ``ttl`` seconds after their last write (the bucket's ``max_age``, kept by
the NATS server: one clock, so no skew between machines). In the bucket
``<durable>-leases-<P>``:

* ``p<k>``: the lease of partition k; its value names the owner. Taken with a create that
  fails if the key exists, renewed with an update that fails unless the key's revision is the
  one the owner last wrote (so a lease that expired and was taken by another can never be
  renewed by the old owner), released by deleting it at that revision.
* ``m.<member>``: one per live consumer, rewritten at every renewal: the group's size, from
  which each consumer aims at ``ceil(P / members)`` partitions.

A lease written at local time ``t`` (sent then, so stored no earlier) lives on the server at
least until ``t + ttl``; its owner's lane fetches only while that is more than ``ttl / 2`` away
and the owner renews every ``ttl / 4``, so a lane whose renewals fail stops fetching after two
missed renewals and has half the TTL left to finish the batch in hand before another consumer
can take the partition. :func:`plan` is the balancing, a pure function of one view of the bucket.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nats.js import JetStreamContext
from nats.js.api import StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

MEMBER = "m."
_BUCKET_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def bucket_name(durable: str, partitions: int) -> str:
    return _BUCKET_UNSAFE.sub("_", f"{durable}-leases-{partitions}")


def lease_key(k: int) -> str:
    return f"p{k}"


@dataclass(frozen=True, slots=True)
class View:
    """One reading of the bucket: the live members and the owner of each held partition."""

    members: frozenset[str]
    owners: Mapping[int, str]
    revisions: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plan:
    claim: tuple[int, ...] = ()
    release: tuple[int, ...] = ()


def plan(partitions: int, me: str, view: View, mine: Iterable[int], free_before: Iterable[int] = ()) -> Plan:
    """What this member does at one renewal: which free partitions to claim, which to give up.

    With N live members (this one included) each aims at ``hi = ceil(P / N)`` and at least
    ``lo = P // N``. A member below ``lo`` claims free partitions at once; one between ``lo`` and
    ``hi`` only those already free at its previous renewal, and only while no other member is
    below ``lo`` (so the starved go first). A member above ``hi`` gives up its surplus; when none
    is free and some member is below ``lo``, the member owning the most (ties: the smallest id)
    gives up what the starved lack, down to ``lo``. Partitions still held by a member that is no
    longer live (it died; its leases not yet expired) are neither free nor counted.
    """
    mine = sorted(set(mine))
    members = set(view.members) | {me}
    n = len(members)
    lo, hi = partitions // n, math.ceil(partitions / n)
    free = [k for k in range(partitions) if k not in view.owners]
    counts = Counter(owner for owner in view.owners.values() if owner in members)
    counts[me] = len(mine)
    others_starved = sum(max(0, lo - counts[m]) for m in members if m != me)
    claim: list[int] = []
    if len(mine) < lo:
        claim = free[: lo - len(mine)]
    elif len(mine) < hi and not others_starved:
        settled = set(free_before)
        claim = [k for k in free if k in settled][: hi - len(mine)]
    release: list[int] = []
    if len(mine) > hi:
        release = mine[hi:]
    elif not free and others_starved and len(mine) > lo:
        richest = min(members, key=lambda m: (-counts[m], m))
        if richest == me:
            release = mine[len(mine) - min(len(mine) - lo, others_starved) :]
    return Plan(tuple(claim), tuple(release))


class LeaseTable:
    """The group's bucket on one connection."""

    def __init__(self, js: JetStreamContext, kv: KeyValue, stream: str, ttl: float, partitions: int, member: str, label: bytes) -> None:
        self.js, self.kv, self.stream, self.ttl, self.partitions, self.member, self.label = js, kv, stream, ttl, partitions, member, label
        self.prefix = f"$KV.{stream.removeprefix('KV_')}."  # the bucket's subjects
        self.ops = 0  # requests to the bucket (renewals, claims, views): the steady-state cost

    @classmethod
    async def open(cls, js: JetStreamContext, durable: str, partitions: int, ttl: float, member: str, label: str) -> LeaseTable:
        """The bucket, created with ``ttl`` if missing. An existing bucket's TTL wins (every member
        must time leases alike): ``ttl`` differs only if the group was started with another."""
        name = bucket_name(durable, partitions)
        try:
            kv = await js.key_value(name)
        except BucketNotFoundError:
            try:
                kv = await js.create_key_value(bucket=name, ttl=ttl, history=1, storage=StorageType.MEMORY)
            except Exception:  # created meanwhile by another member (or a real error: key_value says)
                kv = await js.key_value(name)
        stream = f"KV_{name}"
        info = await js.stream_info(stream)
        bucket_ttl = float(info.config.max_age or 0)
        if bucket_ttl <= 0:
            raise ValueError(f"lease bucket {name} has no TTL: delete it (nats kv rm {name}) and restart the group")
        return cls(js, kv, stream, bucket_ttl, partitions, member, json.dumps({"owner": member, "label": label}).encode())

    async def beat(self) -> None:
        """Say this member is alive (its key lives one TTL past this)."""
        self.ops += 1
        await self.kv.put(MEMBER + self.member, self.label)

    async def leave(self) -> None:
        """Leave the group: the member key removed with no marker left (a KV purge would leave one)."""
        self.ops += 1
        await self.js.purge_stream(self.stream, subject=f"{self.prefix}{MEMBER}{self.member}")

    async def claim(self, k: int) -> int | None:
        """Take partition k's lease if it is free: its revision, or None if another holds it."""
        self.ops += 1
        try:
            return int(await self.kv.create(lease_key(k), self.label))
        except KeyWrongLastSequenceError:
            return None

    async def renew(self, k: int, revision: int) -> int:
        """Renew a held lease; raises :class:`LeaseLost` if it is no longer this member's."""
        self.ops += 1
        try:
            return int(await self.kv.update(lease_key(k), self.label, last=revision))
        except (KeyWrongLastSequenceError, KeyNotFoundError) as exc:
            raise LeaseLost(k) from exc

    async def release(self, k: int, revision: int) -> None:
        """Give a lease up (only if still this member's, at ``revision``): free for others at once."""
        self.ops += 1
        try:
            await self.kv.delete(lease_key(k), last=revision)
        except KeyWrongLastSequenceError:
            pass  # no longer ours: nothing to give up

    async def view(self) -> View:
        """The live members and the holders of the partitions: one request for the keys present,
        then one read of each (an expired key is gone; a released one reads as not found)."""
        self.ops += 1
        prefix = self.prefix
        info = await self.js.stream_info(self.stream, subjects_filter=f"{prefix}>")
        members: set[str] = set()
        owners: dict[int, str] = {}
        revisions: dict[int, int] = {}
        for subject in info.state.subjects or {}:
            key = subject[len(prefix) :]
            if key.startswith(MEMBER):
                members.add(key[len(MEMBER) :])  # a member that left is purged: no key
                continue
            if not (key.startswith("p") and key[1:].isdigit()):
                continue
            self.ops += 1
            try:
                entry = await self.kv.get(key)
            except (KeyNotFoundError, NotFoundError):
                continue
            try:
                owner = json.loads(entry.value or b"{}").get("owner")
            except ValueError:
                owner = None
            if isinstance(owner, str):
                owners[int(key[1:])] = owner
                revisions[int(key[1:])] = int(entry.revision or 0)
        return View(frozenset(members), owners, revisions)


class LeaseLost(Exception):
    def __init__(self, partition: int) -> None:
        super().__init__(f"the lease of partition {partition} is no longer this consumer's")
        self.partition = partition
