"""The columnar transfer view the monitors read, and its two adjacency indexes.

Transfers arrive as columns (``src``, ``dst`` int32 account codes, ``amount_fen`` int64, ``ts``
int64 epoch seconds, ``accounts`` the id of each code). Self-transfers and non-positive amounts
move no money between accounts: they are dropped and counted, never an error.

Each side (``out``: by sender, ``in``: by receiver) is one sort of the kept transfers by a
64-bit key ``account << 32 | (ts - t0)``: the transfers of an account within a time window are
then one contiguous slice found by two binary searches. 10 M transfers take about 0.9 GB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from finguard.core.errors import FieldProblem, InvalidInput

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
Side = Literal["in", "out"]
REL_MAX = (1 << 32) - 1
COLUMNS = ("src", "dst", "amount_fen", "ts")


@dataclass(frozen=True, slots=True)
class Transfers:
    """Validated transfer columns (the ``ledger_repo.transfers_frame`` contract)."""

    src: I32
    dst: I32
    amount_fen: I64
    ts: I64
    accounts: npt.NDArray[Any]

    @classmethod
    def from_columns(cls, cols: Mapping[str, Any]) -> Transfers:
        problems = [FieldProblem(c, "is missing") for c in (*COLUMNS, "accounts") if c not in cols]
        if problems:
            raise InvalidInput("transfer columns are incomplete", problems=problems)
        arrays = {c: np.asarray(cols[c]) for c in COLUMNS}
        accounts = np.asarray(cols["accounts"], dtype=object)
        n = len(arrays["src"])
        for c, a in arrays.items():
            if a.ndim != 1 or len(a) != n:
                problems.append(FieldProblem(c, f"must be one-dimensional with {n} values like src"))
            elif n and not np.issubdtype(a.dtype, np.integer):
                problems.append(FieldProblem(c, f"must hold integers (fen, epoch seconds, codes), not {a.dtype}"))
        if not problems and n:
            for c in ("src", "dst"):
                lo, hi = int(arrays[c].min()), int(arrays[c].max())
                if lo < 0 or hi >= len(accounts):
                    problems.append(FieldProblem(c, f"codes must be in 0..{len(accounts) - 1}, found {lo}..{hi}"))
            span = int(arrays["ts"].max()) - int(arrays["ts"].min())
            if span > REL_MAX:
                problems.append(FieldProblem("ts", "spans more than 136 years"))
        if problems:
            raise InvalidInput("transfer columns are invalid", problems=problems)
        return cls(
            arrays["src"].astype(np.int32, copy=False),
            arrays["dst"].astype(np.int32, copy=False),
            arrays["amount_fen"].astype(np.int64, copy=False),
            arrays["ts"].astype(np.int64, copy=False),
            accounts,
        )

    def __len__(self) -> int:
        return len(self.src)

    def take(self, rows: I64) -> Transfers:
        return Transfers(self.src[rows], self.dst[rows], self.amount_fen[rows], self.ts[rows], self.accounts)


def split_rows(t: Transfers, min_parts: int, window: int) -> I64:
    """Rows of transfers with at least ``min_parts`` transfers between the same ordered pair of
    accounts within ``window`` seconds of one another (chained)."""
    pair = t.src.astype(np.int64) * len(t.accounts) + t.dst
    order = np.lexsort((t.ts, pair))
    p, ts = pair[order], t.ts[order]
    n = len(p)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # Runs of one pair whose consecutive times are within the window.
    breaks = np.ones(n, dtype=bool)
    breaks[1:] = (p[1:] != p[:-1]) | (ts[1:] - ts[:-1] > window)
    run = np.cumsum(breaks) - 1
    size = np.bincount(run)
    return np.sort(order[size[run] >= min_parts]).astype(np.int64)


def first_contacts(t: Transfers, lookback: int, min_age: int = 0, t0: int | None = None) -> Bool:
    """Per row: True when the row's two accounts had no relationship before it, i.e. exchanged
    no money, either way, between ``lookback`` and ``min_age`` seconds before it. Contacts of the
    last ``min_age`` seconds do not count as a relationship: a laundering burst creates its own
    contacts (money sent to a mule and straight back), and those must not make its later
    transfers look familiar.

    Within ``lookback`` of the first row there is not enough history to tell a first contact
    from a relationship that began before the data: those rows are not first contacts, so a
    ledger's first weeks raise no novelty-based alerts. Computed over every row given, so a
    subset analysed later (a pre-filter, an incremental window) still sees each pair's whole
    history. ``t0``: the first row's time when ``t`` holds only some pairs of a larger ledger
    (a partition of the Dask engine): the rows of each pair are all there, the first row may not be."""
    n = len(t)
    if n == 0:
        return np.ones(0, dtype=bool)
    a = np.minimum(t.src, t.dst).astype(np.int64)
    b = np.maximum(t.src, t.dst).astype(np.int64)
    order = np.lexsort((t.ts, a * len(t.accounts) + b))
    p, ts = (a * len(t.accounts) + b)[order], t.ts[order]
    t0 = int(ts.min()) if t0 is None else min(t0, int(ts.min()))
    # Pairs ranked in sort order, so (rank, time) packs into one sortable 64-bit key.
    rank = np.cumsum(np.r_[0, (p[1:] != p[:-1]).astype(np.int64)])
    key = (rank << 32) | (ts - t0)
    # Strictly earlier: a transfer is never its own history (nor one booked the same second).
    cutoff = ts - max(min_age, 1)
    j = np.searchsorted(key, (rank << 32) | np.clip(cutoff - t0, 0, REL_MAX), side="right") - 1
    jc = np.maximum(j, 0)
    known = (j >= 0) & (rank[jc] == rank) & (ts[jc] <= cutoff) & (ts[jc] >= ts - lookback)
    out = np.empty(n, dtype=bool)
    out[order] = ~known
    out &= t.ts >= t0 + lookback
    return out


def unusual_rows(t: Transfers, min_ratio: float, min_history: int) -> I64:
    """Rows whose amount is more than ``min_ratio`` times (or less than ``1 / min_ratio`` times)
    the median amount of the sender's transfers, plus every row of senders with fewer than
    ``min_history`` transfers (no baseline to compare with)."""
    n = len(t)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((t.amount_fen, t.src))
    src = t.src[order]
    start = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
    size = np.diff(np.r_[start, n])
    median = t.amount_fen[order][start + size // 2].astype(np.float64)
    per_row = np.repeat(median, size)
    count = np.repeat(size, size)
    amount = t.amount_fen[order].astype(np.float64)
    keep = (count < min_history) | (amount > per_row * min_ratio) | (amount * min_ratio < per_row)
    return np.sort(order[keep]).astype(np.int64)


def routine_rows(t: Transfers, min_days: int) -> I64:
    """Rows that are ordinary repetitive traffic: the sender pays that exact amount (to anyone)
    on at least ``min_days`` different days in the columns (salaries, rent, standing orders,
    fees). Identical transfers repeated within one day are not routine (cutting a sum into equal
    pieces is structuring)."""
    n = len(t)
    if n == 0 or min_days < 2:
        return np.zeros(0, dtype=np.int64)
    day = t.ts // 86400
    order = np.lexsort((day, t.amount_fen, t.src))
    src, amount, d = t.src[order], t.amount_fen[order], day[order]
    group = np.r_[True, (src[1:] != src[:-1]) | (amount[1:] != amount[:-1])]
    new_day = group | np.r_[True, d[1:] != d[:-1]]
    gid = np.cumsum(group) - 1
    days = np.bincount(gid, weights=new_day).astype(np.int64)
    return np.sort(order[days[gid] >= min_days]).astype(np.int64)


F64 = npt.NDArray[np.float64]


def _order_within(group: I64, group_bits: int, value: F64) -> I64:
    """An order of the rows by ``group`` (non-negative, below ``2**group_bits``), then ``value``.

    One sort of a 63-bit key: the group in the high bits, the value quantised into the rest (at
    least 2**-20 of the values' range apart, so only values closer than that may swap, which no
    median here can tell); ``np.lexsort`` when the groups leave fewer than 20 bits."""
    value_bits = 62 - group_bits
    if value_bits < 20:
        return np.lexsort((value, group)).astype(np.int64)
    low = float(value.min()) if len(value) else 0.0
    span = float(value.max()) - low if len(value) else 0.0
    scale = ((1 << value_bits) - 1) / span if span > 0 else 0.0
    q = np.minimum(((value - low) * scale).astype(np.int64), (1 << value_bits) - 1)
    return np.argsort((group << value_bits) | q).astype(np.int64)


def _medians(group: I64, group_bits: int, value: F64) -> tuple[I64, F64, I64]:
    """Per distinct group (ascending): the group, the median of its values, and its size."""
    order = _order_within(group, group_bits, value)
    g, v = group[order], value[order]
    start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    size = np.diff(np.r_[start, len(g)])
    median: F64 = (v[start + (size - 1) // 2] + v[start + size // 2]) / 2
    return g[start], median, size


def off_habit(t: Transfers, min_days: int, z: float, min_ratio: float) -> Bool:
    """Per row: True when the transfer is out of its payer's habit (``model.HabitConfig``).

    The payer's usual amount is the median of its day values (each day's median amount, in
    logarithms) and its spread the MAD of those; a payer with fewer than ``min_days`` days has no
    habit. Self-transfers and non-positive amounts are never out of habit and not counted."""
    n = len(t)
    out = np.zeros(n, dtype=bool)
    if n == 0 or min_days < 1:
        return out
    rows = np.flatnonzero((t.amount_fen > 0) & (t.src != t.dst))
    if len(rows) == 0:
        return out
    log_amount = np.log(t.amount_fen[rows].astype(np.float64))
    payer = t.src[rows].astype(np.int64)
    day = t.ts[rows] // 86400
    day -= day.min()
    payer_bits = max(len(t.accounts) - 1, 1).bit_length()
    day_bits = max(int(day.max()), 1).bit_length()
    # One value per payer and day (that day's median amount), then per payer their median and MAD.
    payer_day, day_value, _ = _medians((payer << day_bits) | day, payer_bits + day_bits, log_amount)
    day_payer = payer_day >> day_bits
    payers, usual, days = _medians(day_payer, payer_bits, day_value)
    usual_of = np.zeros(len(t.accounts))
    usual_of[payers] = usual
    _, spread, _ = _medians(day_payer, payer_bits, np.abs(day_value - usual_of[day_payer]))
    spread_of = np.zeros(len(t.accounts))
    days_of = np.zeros(len(t.accounts), dtype=np.int64)
    spread_of[payers], days_of[payers] = spread, days
    threshold = np.maximum(z * spread_of[payer] / 0.6745, np.log(max(min_ratio, 1.0)))
    out[rows] = (days_of[payer] >= min_days) & (np.abs(log_amount - usual_of[payer]) > threshold)
    return out


@dataclass(frozen=True, slots=True)
class SideIndex:
    """One side's sort: ``key`` sorted, and per position the account, counterparty, time,
    amount and edge number (into ``FlowIndex`` arrays)."""

    key: I64
    node: I64
    other: I32
    ts: I64
    amount: I64
    edge: I64
    ptr: I64  # ptr[a]:ptr[a+1] are account a's positions

    def where(self, keep: Bool) -> SideIndex:
        """The same sort restricted to the positions where ``keep`` (order kept, no re-sort)."""
        node = self.node[keep]
        ptr = np.zeros(len(self.ptr), dtype=np.int64)
        np.cumsum(np.bincount(node, minlength=len(self.ptr) - 1), out=ptr[1:])
        return SideIndex(self.key[keep], node, self.other[keep], self.ts[keep], self.amount[keep], self.edge[keep], ptr)

    def slice_of(self, nodes: I64, t_from: I64, t_to: I64, t0: int) -> tuple[I64, I64]:
        """Positions [lo, hi) of each node's transfers with t_from <= ts <= t_to."""
        base = nodes << 32
        lo = np.searchsorted(self.key, base | np.clip(t_from - t0, 0, REL_MAX), side="left")
        hi = np.searchsorted(self.key, base | np.clip(t_to - t0, 0, REL_MAX), side="right")
        # A bound clipped at 0 with t_to < t0 must give an empty slice.
        hi = np.where(t_to < t0, lo, hi)
        return lo.astype(np.int64), hi.astype(np.int64)


class FlowIndex:
    """Kept transfers (``row`` is each one's position in the input columns) and both sides."""

    def __init__(
        self,
        transfers: Transfers,
        period: tuple[int, int] | None = None,
        rows: I64 | None = None,
        novel: Bool | None = None,
        unusual: Bool | None = None,
    ) -> None:
        """``rows``: analyse only these rows (sorted) of ``transfers``; ``period``: the time span
        the burst baselines refer to (default: the kept transfers' own span); ``novel``: per row
        of ``transfers``, whether it is a first contact (``first_contacts``; default: all are);
        ``unusual``: per row, whether it is out of its payer's habit (``off_habit``; default: none is)."""
        src, dst, amount = transfers.src, transfers.dst, transfers.amount_fen
        if rows is not None:
            src, dst, amount = src[rows], dst[rows], amount[rows]
        keep = (amount > 0) & (src != dst)
        self.dropped_self = int(np.count_nonzero(src == dst))
        self.dropped_nonpositive = int(np.count_nonzero(amount <= 0))
        kept = np.flatnonzero(keep).astype(np.int64)
        self.row: I64 = kept if rows is None else rows[kept]
        self.src: I32 = transfers.src[self.row]
        self.dst: I32 = transfers.dst[self.row]
        self.amount: I64 = transfers.amount_fen[self.row]
        self.ts: I64 = transfers.ts[self.row]
        self.novel: Bool = np.ones(len(self.row), dtype=bool) if novel is None else novel[self.row]
        self.unusual: Bool = np.zeros(len(self.row), dtype=bool) if unusual is None else unusual[self.row]
        self.accounts = transfers.accounts
        self.n_accounts = len(transfers.accounts)
        self.t0 = int(self.ts.min()) if len(self.ts) else 0
        if period is None:
            period = (self.t0, int(self.ts.max()) if len(self.ts) else 0)
        self.period = period
        self.out = self._side(self.src, self.dst)
        self.inn = self._side(self.dst, self.src)

    def __len__(self) -> int:
        return len(self.row)

    def side(self, side: Side) -> SideIndex:
        return self.inn if side == "in" else self.out

    def _side(self, node: I32, other: I32) -> SideIndex:
        key = (node.astype(np.int64) << 32) | (self.ts - self.t0)
        order = np.argsort(key, kind="stable")
        key = key[order]
        counts = np.bincount(node, minlength=self.n_accounts) if len(node) else np.zeros(self.n_accounts, np.int64)
        ptr = np.zeros(self.n_accounts + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return SideIndex(
            key=key,
            node=(key >> 32),
            other=other[order],
            ts=self.ts[order],
            amount=self.amount[order],
            edge=order.astype(np.int64),
            ptr=ptr,
        )


def expand(lo: I64, hi: I64, cap: int) -> tuple[I64, I64, Bool]:
    """For slices [lo, hi): (which slice, position) of every element, at most ``cap`` per slice,
    and which slices were cut."""
    width = hi - lo
    cut = width > cap
    counts = np.minimum(width, cap)
    total = int(counts.sum())
    which = np.repeat(np.arange(len(lo), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    pos = lo[which] + (np.arange(total, dtype=np.int64) - starts[which])
    return which, pos, cut
