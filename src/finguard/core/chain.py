"""Hash chains for append-only logs (the change log, the audit log).

Each row carries the hash of the row before it (``prev_hash``) and its own hash, SHA-256 over the
previous hash and the row's canonical JSON (sorted keys, no spaces, UTF-8, times as UTC ISO text).
An UPDATE of any hashed field changes the row's hash; a DELETE breaks the next row's link; a row
inserted in the middle breaks the link after it. Rewriting the whole tail to hide an edit is
caught by comparing with an anchor (the head hash exported earlier, kept somewhere else).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def utc_text(at: datetime) -> str:
    """A time as the chain hashes it: UTC with microseconds (a naive time is taken as UTC, as
    SQLite returns what was stored as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def link(prev_hash: str, data: Mapping[str, Any]) -> str:
    """The hash of a row whose fields are ``data``, following the row hashed ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(data)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    seq: int
    prev_hash: str | None
    row_hash: str | None
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChainReport:
    table: str
    rows: int
    head: str  # the last good row's hash (GENESIS for an empty log)
    head_seq: int
    bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.bad_seq is None


def verify(table: str, rows: Iterable[ChainRow]) -> ChainReport:
    """Walk ``rows`` in sequence order; stop at the first row whose link or hash is wrong."""
    prev, count, head_seq = GENESIS, 0, 0
    for row in rows:
        if row.prev_hash != prev:
            problem = "its prev_hash is not the previous row's hash (a row before it was deleted, inserted or changed)"
            return ChainReport(table, count, prev, head_seq, row.seq, problem)
        expected = link(prev, row.data)
        if row.row_hash != expected:
            return ChainReport(table, count, prev, head_seq, row.seq, "its content does not match its hash (the row was changed)")
        prev, count, head_seq = expected, count + 1, row.seq
    return ChainReport(table, count, prev, head_seq)
