"""An in-process columnar mirror of the ledger for the monitors of a long-running process.

The first read loads every transfer's integer columns once (``ledger_repo.read_transfers``);
each later read first fetches only the rows with ``id > last_id`` and merges them in, so
repeated and incremental monitor runs in the API server do not read 10 M rows again.

* **Why ``id > last_id`` misses nothing.** Transfers are append-only, and every transfer row is
  inserted by ``ledger_repo.insert_transfers``, which serialises transfer writers (SQLite has
  one writer; PostgreSQL takes a transaction-scoped advisory lock), so a transaction's ids are
  all above those of every transaction that committed before it: once id ``n`` is visible, no
  id below it can appear later. We chose this over re-reading an id window behind the
  high-water mark because a window only narrows the race (a writer slower than the window
  still loses rows) and over reading every transaction's xmin, which PostgreSQL does not
  order by id. The cost is that PostgreSQL transfer writers wait for one another, as list
  writers already do for the change log.
* **Memory.** 36 bytes a transfer (``id``, ``amount_fen``, ``ts`` int64; ``src``, ``dst``, ``currency``
  int32) plus the account strings (about 60 bytes an account); 10 M transfers and 500 k
  accounts take about 350 MB. A merge builds new arrays beside the old ones (a run in progress
  keeps its own), so appending briefly needs twice that. Past ``max_transfers`` the mirror
  empties itself, logs why, and callers read the database directly.
* **Order.** Columns are kept in time order, ties by id, as ``transfers_frame`` returns them;
  rows that arrive with older times (a late import) are inserted at their place.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Engine

from finguard.ledger.store.repo import epoch_seconds, read_transfers

log = logging.getLogger(__name__)
BYTES_PER_TRANSFER = 32
COLUMNS = ("id", "src", "dst", "amount_fen", "ts", "currency")


@dataclass(frozen=True, slots=True)
class MirrorState:
    transfers: int
    accounts: int
    last_id: int
    bytes: int
    loaded: bool
    disabled: str | None


class LedgerMirror:
    def __init__(self, engine: Engine, max_transfers: int) -> None:
        self.engine = engine
        self.max_transfers = max_transfers
        self._lock = threading.Lock()
        self._cols: dict[str, np.ndarray] | None = None
        self._accounts = np.full(0, None, dtype=object)
        self.last_id = 0
        self.disabled: str | None = None if max_transfers > 0 else "turned off (max_transfers = 0)"

    def refresh(self) -> int:
        """Read the transfers added since the last refresh; return how many."""
        with self._lock:
            if self.disabled is not None:
                return 0
            after = self.last_id if self._cols is not None else None
            cols, names = read_transfers(self.engine, after_id=after, codes_from=len(self._accounts))
            if len(names):
                self._accounts = np.concatenate([self._accounts, names]) if len(self._accounts) else names
            n = len(cols["id"])
            total = n + (len(self._cols["id"]) if self._cols is not None else 0)
            if total > self.max_transfers:
                self.disabled = f"{total:,} transfers exceed the mirror's bound of {self.max_transfers:,}"
                log.warning("ledger mirror emptied, monitors read the database: %s", self.disabled)
                self._cols, self._accounts = None, np.full(0, None, dtype=object)
                return n
            if self._cols is None:
                self._cols = cols
            elif n:
                self._cols = _merge(self._cols, cols)
            if n:
                self.last_id = int(cols["id"].max())
            return n

    def frame(self, since: datetime | None = None, until: datetime | None = None) -> dict[str, np.ndarray] | None:
        """``transfers_frame`` from memory after a refresh (views, not copies), or None when
        the mirror is off."""
        self.refresh()
        with self._lock:
            cols, accounts = self._cols, self._accounts
        if cols is None:
            return None
        ts = cols["ts"]
        lo = 0 if since is None else int(np.searchsorted(ts, epoch_seconds(since), side="left"))
        hi = len(ts) if until is None else int(np.searchsorted(ts, epoch_seconds(until), side="left"))
        hi = max(lo, hi)
        return {**{k: v[lo:hi] for k, v in cols.items()}, "accounts": accounts}

    def state(self) -> MirrorState:
        with self._lock:
            n = len(self._cols["id"]) if self._cols is not None else 0
            return MirrorState(n, len(self._accounts), self.last_id, n * BYTES_PER_TRANSFER, self._cols is not None, self.disabled)


def _merge(old: dict[str, np.ndarray], new: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Both in (ts, id) order, every new id above every old one: the merged columns, in order."""
    if new["ts"][0] >= old["ts"][-1]:
        return {k: np.concatenate([old[k], new[k]]) for k in COLUMNS}
    # Equal times go after the old rows: their ids are higher.
    at = np.searchsorted(old["ts"], new["ts"], side="right")
    return {k: np.insert(old[k], at, new[k]) for k in COLUMNS}
