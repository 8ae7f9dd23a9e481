"""Tracing money through the ledger: where did it go (forward), where did it come from (backward).

The model. Each account holds *lots* of money in the order they arrived: traced lots (with the
trace edge that brought them) and untraced ones. Transfers are replayed in time order (ties by
id); each payment out of an account takes its amount from the account's lots by the method:

* ``fifo``: the oldest lots first (Clayton's rule);
* ``lifo``: the newest lots first;
* ``proportional`` ("haircut"): every lot pays its share, ``amount * lot / balance``; the
  rounding remainders go, one minor unit each, to the lots with the largest remainders (earlier
  lots first on ties), so the shares always add up exactly.

The traced part of a payment becomes a trace edge, which delivers one traced lot to the payee.
Money is conserved: every minor unit of the traced amount ends in exactly one :class:`TraceEnd`
(a terminal account reached, still in an account at the horizon, the hop limit, the work bound),
and every edge names the edges that funded it, so each path is explained.

What the ledger cannot know is treated the same way every time, and so it is written here:

* An account's balance before the traced money arrived counts (#12): it is the last balance a
  statement of the account showed (its 余额) plus the account's transfers since, or without a
  statement the account's earlier transfers in minus out (``LedgerReader.balance_before``). It
  is one untraced lot, older than the traced money: FIFO pays it out first, LIFO last, and the
  proportional method gives it its share. Untraced money arriving later is counted too.
* A payment larger than the account's known lots takes what there is; the rest is untraced.
* Without an amount, the trace follows everything that left the account in the horizon.
* Backward tracing replays each account it reaches forward in time over the horizon, from the
  balance it held at the horizon's start (the same ``balance_before``), with the same method,
  which says for every payment out which payments in funded it: the same answer a forward trace
  from those payments gives, so forward and backward traces of the same money agree. Where only
  part of a payment is traced, that part is split pro rata over what funded the payment.
  Money whose arrival the horizon does not show was "already in the account" (``remains``).
* An account the ledger holds no history of (no statement of it, no payment out of it) is where
  the money left the ledger's view (``left_view``), not where it "still is": the ledger cannot
  know. Backward, money that came from such an account entered the view there.
* Only transfers in the trace's currency are followed; nothing is converted.
* Money that has made ``hops`` hops stops where it is and no longer competes with other lots.

Bounded work: at most ``max_per_node`` transfers are read per account and direction (an account
with millions of transfers is cut there), and at most ``max_edges`` edges are made; either sets
``truncated`` with the reason, and money stopped by a bound ends with reason ``truncated``.
Time only moves one way and each transfer is replayed once, so a cycle can never loop.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from finguard.core.errors import FieldProblem, InvalidInput, NotFound
from finguard.ledger.model import (
    Account,
    AccountKind,
    Direction,
    EndReason,
    Method,
    Trace,
    TraceEdge,
    TraceEnd,
    TraceParams,
    Transfer,
)
from finguard.ledger.service import Key, LedgerReader, Side

UNTRACED = -2
ROOT = -1
UNKNOWN = -3  # backward: money the window does not show arriving
VIRTUAL = 0  # backward: the amount held at the start, as if paid out at the start time
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
MAX_ID = 2**63 - 1


@dataclass(slots=True)
class Lot:
    amount: int
    edge: int  # the trace edge that brought it, ROOT for the starting money, UNTRACED otherwise
    hop: int


def split_proportional(amount: int, lots: list[int]) -> list[int]:
    """Shares of ``amount`` (<= sum of lots) pro rata to ``lots``, integers that add up exactly.

    >>> split_proportional(100, [100, 100, 100])
    [34, 33, 33]
    """
    total = sum(lots)
    if amount >= total:
        return list(lots)
    shares = [amount * a // total for a in lots]
    left = amount - sum(shares)
    order = sorted(range(len(lots)), key=lambda i: (-(amount * lots[i] % total), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def draw(queue: list[Lot], amount: int, method: Method) -> list[tuple[int, int, int]]:
    """Take ``amount`` out of the account's lots (in place); return the parts taken as
    (edge, hop, amount), untraced parts included. Less than ``amount`` when the lots run out."""
    taken: list[tuple[int, int, int]] = []
    if method is Method.PROPORTIONAL:
        shares = split_proportional(amount, [lot.amount for lot in queue])
        for lot, share in zip(queue, shares, strict=True):
            lot.amount -= share
            if share:
                taken.append((lot.edge, lot.hop, share))
        queue[:] = [lot for lot in queue if lot.amount > 0]
        return taken
    left = amount
    while left > 0 and queue:
        lot = queue[0] if method is Method.FIFO else queue[-1]
        part = min(lot.amount, left)
        lot.amount -= part
        left -= part
        taken.append((lot.edge, lot.hop, part))
        if lot.amount == 0:
            queue.pop(0 if method is Method.FIFO else -1)
    return taken


def add_lot(queue: list[Lot], lot: Lot, method: Method) -> None:
    """Untraced money is interchangeable: merge it with an untraced neighbour (anywhere, when
    order does not matter)."""
    if lot.edge == UNTRACED:
        if method is Method.PROPORTIONAL:
            for other in queue:
                if other.edge == UNTRACED:
                    other.amount += lot.amount
                    return
        elif queue and queue[-1].edge == UNTRACED:
            queue[-1].amount += lot.amount
            return
    queue.append(lot)


def _us(at: datetime) -> int:
    return (at - EPOCH) // MICRO


@dataclass(slots=True)
class _End:
    amount: int
    hop: int
    first: datetime | None
    last: datetime | None


class _Tracer:
    """What both directions share: the start, the account cache, the ends, the result."""

    def __init__(self, reader: LedgerReader, params: TraceParams) -> None:
        self.r = reader
        self.p = params
        self.forward = params.direction is Direction.FORWARD
        self.root = params.account
        self.edges: list[TraceEdge] = []
        self.ends: dict[tuple[str, EndReason], _End] = {}
        self.kinds: dict[str, Account] = {}
        self.capped: set[str] = set()
        self.reasons: list[str] = []
        self.examined = 0
        self.root_all = False  # no amount given: everything that moved is traced
        self.currency = ""
        self.start = self.end = EPOCH
        self.stopped = False

    def account(self, name: str) -> Account:
        found = self.kinds.get(name)
        if found is None:
            found = self.r.accounts([name]).get(name) or Account(name, AccountKind.CUSTOMER)
            self.kinds[name] = found
        return found

    def cap(self, account: str, found: list[Transfer], what: str) -> list[Transfer]:
        limit = self.p.max_per_node
        if len(found) > limit:
            self.capped.add(account)
            self.reasons.append(f"{account}: more than {limit} {what} in the horizon; only {limit} were examined")
            found = found[:limit]
        self.examined += len(found)
        return found

    def finish(self, account: str, reason: EndReason, amount: int, hop: int, at: datetime | None) -> None:
        end = self.ends.get((account, reason))
        if end is None:
            self.ends[(account, reason)] = _End(amount, hop, at, at)
            return
        end.amount += amount
        end.hop = min(end.hop, hop)
        if at is not None:
            end.first = at if end.first is None else min(end.first, at)
            end.last = at if end.last is None else max(end.last, at)

    def stops_at(self, account: str, amount: int, hop: int, at: datetime) -> bool:
        """End the money here if the account is terminal or the hop limit is reached."""
        if self.account(account).kind.terminal and account != self.root:
            self.finish(account, EndReason.TERMINAL, amount, hop, at)
            return True
        if hop >= self.p.hops:
            self.finish(account, EndReason.HOP_LIMIT, amount, hop, at)
            return True
        return False

    def add_edge(self, t: Transfer, carried: int, hop: int, parents: tuple[tuple[int, int], ...]) -> TraceEdge:
        edge = TraceEdge(len(self.edges), t.id, t.src, t.dst, t.at, t.amount_fen, carried, hop, parents, t.draft.memo)
        self.edges.append(edge)
        self.account(t.src)
        self.account(t.dst)
        return edge

    def remains(self, account: str) -> EndReason:
        """Money that stays at an account: ``remains`` where the ledger holds its history,
        ``left_view`` where it does not (it cannot know the money is still there)."""
        return EndReason.REMAINS if account == self.root or self.r.observed(account) else EndReason.LEFT_VIEW

    def out_of_budget(self) -> bool:
        if len(self.edges) >= self.p.max_edges:
            if not self.stopped:
                self.reasons.append(f"the trace reached {self.p.max_edges} edges (max_edges); money not yet followed ends where it was")
            self.stopped = True
        return self.stopped

    def start_transfer(self) -> Transfer | None:
        """Check the start and set currency, start time and horizon."""
        p = self.p
        horizon = timedelta(days=p.horizon_days)
        root = self.r.accounts([p.account]).get(p.account)
        if root is None:
            raise NotFound(f"account {p.account!r} is not in the ledger", problems=[FieldProblem("account", "is not in the ledger")])
        self.kinds[root.account] = root
        if p.start_transfer is not None:
            t = self.r.get_transfer(p.start_transfer)
            if t is None:
                problem = FieldProblem("start_transfer", "is not in the ledger")
                raise NotFound(f"transfer {p.start_transfer} is not in the ledger", problems=[problem])
            if (t.src if self.forward else t.dst) != p.account:
                side = "leave" if self.forward else "arrive at"
                raise InvalidInput.for_field("start_transfer", f"transfer {t.id} does not {side} account {p.account!r}")
            if p.currency is not None and p.currency != t.draft.currency:
                raise InvalidInput.for_field("currency", f"transfer {t.id} is in {t.draft.currency}, not {p.currency}")
            if p.amount_fen is not None and p.amount_fen > t.amount_fen:
                raise InvalidInput.for_field("amount", f"is more than transfer {t.id} carried")
            self.currency, self.start = t.draft.currency, t.at
        else:
            at, currency = p.at, p.currency
            if at is None or currency is None:
                first = self.first_payment(at)
                if first is None:
                    what = f"has no {'payments out' if self.forward else 'payments in'} to trace"
                    raise NotFound(f"account {p.account!r} {what}", problems=[FieldProblem("account", what)])
                at, currency = at or first.at, currency or first.draft.currency
            self.currency, self.start = currency, at
            self.root_all = p.amount_fen is None
            t = None
        self.end = self.start + horizon if self.forward else self.start - horizon
        return t

    def first_payment(self, at: datetime | None) -> Transfer | None:
        """Forward: the first payment out at or after ``at``; backward: the last payment in at or before it."""
        if self.forward:
            found = self.r.window(
                self.root, "out", after=(at, -1) if at else None, before=None, currency=self.p.currency, limit=1, descending=False
            )
        else:
            found = self.r.window(
                self.root, "in", after=None, before=(at, MAX_ID) if at else None, currency=self.p.currency, limit=1, descending=True
            )
        return found[0] if found else None

    def result(self, start: Transfer | None) -> Trace:
        p = self.p
        if self.root_all:
            amount = sum(e.carried_fen for e in self.edges if e.parents[0][0] == ROOT)
        elif start is not None:
            amount = self.edges[0].carried_fen
        else:
            assert p.amount_fen is not None
            amount = p.amount_fen
        ends = sorted(
            (
                TraceEnd(acct, self.account(acct).kind, self.account(acct).name, e.amount, reason, e.hop, e.first, e.last)
                for (acct, reason), e in self.ends.items()
            ),
            key=lambda x: (-x.amount_fen, x.account, x.reason.value),
        )
        root = self.kinds[self.root]
        involved = sorted({self.root, *(e.src for e in self.edges), *(e.dst for e in self.edges)})
        return Trace(
            params=p,
            root=root.account,
            root_kind=root.kind,
            root_name=root.name,
            currency=self.currency,
            amount_fen=amount,
            start=self.start,
            end=self.end,
            start_transfer=start,
            edges=tuple(self.edges),
            ends=tuple(ends),
            accounts={a: self.account(a) for a in involved},
            truncated=bool(self.reasons),
            truncated_reasons=tuple(dict.fromkeys(self.reasons)),
            transfers_examined=self.examined,
        )


class _Forward(_Tracer):
    """Replays the transfers of every account holding traced money, in time order."""

    def __init__(self, reader: LedgerReader, params: TraceParams) -> None:
        super().__init__(reader, params)
        self.queues: dict[str, list[Lot]] = {}
        self.heap: list[tuple[datetime, int]] = []
        self.pending: dict[int, Transfer] = {}

    def expand(self, account: str, cur: Key) -> None:
        """Queue the account's transfers after ``cur`` up to the horizon (payments out, and payments
        in, which add untraced money that competes with the traced)."""
        sides: tuple[Side, ...] = ("out",) if account == self.root and self.root_all else ("out", "in")
        for side in sides:
            found = self.r.window(
                account, side, after=cur, before=(self.end, MAX_ID), currency=self.currency, limit=self.p.max_per_node + 1, descending=False
            )
            for t in self.cap(account, found, "payments out" if side == "out" else "payments in"):
                if t.id not in self.pending:
                    self.pending[t.id] = t
                    heapq.heappush(self.heap, (t.at, t.id))

    def deliver(self, account: str, lot: Lot, t: Transfer) -> None:
        if account == self.root and self.root_all:
            self.finish(account, EndReason.RETURNED, lot.amount, lot.hop, t.at)
            return
        if self.stops_at(account, lot.amount, lot.hop, t.at):
            return
        queue = self.queues.get(account)
        if queue is None:
            opening = self.r.balance_before(account, (t.at, t.id), self.currency)
            queue = self.queues[account] = [Lot(opening, UNTRACED, 0)] if opening else []
            self.expand(account, (t.at, t.id))
        add_lot(queue, lot, self.p.method)

    def step(self, t: Transfer) -> None:
        if self.root_all and t.src == self.root:
            parts = [(ROOT, 0, t.amount_fen)]
        elif t.src in self.queues:
            parts = [x for x in draw(self.queues[t.src], t.amount_fen, self.p.method) if x[0] != UNTRACED]
        else:
            parts = []
        carried = sum(a for _e, _h, a in parts)
        if carried:
            parents: dict[int, int] = {}
            for e, _h, a in parts:
                parents[e] = parents.get(e, 0) + a
            hop = max(h for _e, h, _a in parts) + 1
            edge = self.add_edge(t, carried, hop, tuple(parents.items()))
            self.deliver(t.dst, Lot(carried, edge.index, hop), t)
        queue = self.queues.get(t.dst)
        if carried < t.amount_fen and queue is not None:
            add_lot(queue, Lot(t.amount_fen - carried, UNTRACED, 0), self.p.method)

    def run(self) -> Trace:
        start = self.start_transfer()
        if start is not None:
            amount = self.p.amount_fen or start.amount_fen
            edge = self.add_edge(start, amount, 1, ((ROOT, amount),))
            self.deliver(start.dst, Lot(amount, edge.index, 1), start)
            queue = self.queues.get(start.dst)
            if queue is not None and amount < start.amount_fen:
                add_lot(queue, Lot(start.amount_fen - amount, UNTRACED, 0), self.p.method)
        else:
            self.queues[self.root] = [] if self.root_all else [Lot(self.p.amount_fen or 0, ROOT, 0)]
            self.expand(self.root, (self.start, -1))
        while self.heap and not self.out_of_budget():
            _at, tid = heapq.heappop(self.heap)
            self.step(self.pending[tid])
        for account, queue in self.queues.items():
            reason = EndReason.TRUNCATED if self.stopped or account in self.capped else self.remains(account)
            for lot in queue:
                if lot.edge != UNTRACED and lot.amount:
                    self.finish(account, reason, lot.amount, lot.hop, self.edges[lot.edge].at if lot.edge >= 0 else None)
        return self.result(start)


class _Backward(_Tracer):
    """Asks, for each traced payment, which payments into its payer funded it."""

    def __init__(self, reader: LedgerReader, params: TraceParams) -> None:
        super().__init__(reader, params)
        self.comps: dict[str, dict[int, list[tuple[int, int]]]] = {}
        self.transfers: dict[int, Transfer] = {}
        self.held = 0  # the amount held at the start (no start transfer), as a virtual payment out
        # (account, payment out, traced amount, edge that carried it, hop, time)
        self.demands: deque[tuple[str, int, int, int, int, datetime]] = deque()

    def composition(self, account: str) -> dict[int, list[tuple[int, int]]]:
        """Replay the account over the horizon, forward in time from a zero balance: for each
        payment out, the payments in that funded it (transfer id, amount; ``UNKNOWN`` for money
        the horizon does not show arriving)."""
        found = self.comps.get(account)
        if found is not None:
            return found
        top: Key = (self.start, MAX_ID)
        events: list[tuple[Transfer, bool]] = []
        for side in ("in", "out"):
            rows = self.r.window(
                account, side, after=(self.end, -1), before=top, currency=self.currency, limit=self.p.max_per_node + 1, descending=True
            )
            for t in self.cap(account, rows, "payments in" if side == "in" else "payments out"):
                self.transfers[t.id] = t
                events.append((t, side == "in"))
        events.sort(key=lambda e: (e[0].at, e[0].id))
        opening = self.r.balance_before(account, (self.end, -1), self.currency)
        queue: list[Lot] = [Lot(opening, UNKNOWN, 0)] if opening else []
        comp: dict[int, list[tuple[int, int]]] = {}

        def pay(key: int, amount: int) -> None:
            parts = [(e, a) for e, _h, a in draw(queue, amount, self.p.method)]
            short = amount - sum(a for _e, a in parts)
            comp[key] = parts + ([(UNKNOWN, short)] if short else [])

        for t, incoming in events:
            if incoming:
                queue.append(Lot(t.amount_fen, t.id, 0))
            else:
                pay(t.id, t.amount_fen)
        if account == self.root and self.held:
            pay(VIRTUAL, self.held)
        self.comps[account] = comp
        return comp

    def demand(self, account: str, payment: int, amount: int, edge: int, hop: int, at: datetime) -> None:
        if not self.stops_at(account, amount, hop, at):
            self.demands.append((account, payment, amount, edge, hop, at))

    def run(self) -> Trace:
        start = self.start_transfer()
        if start is not None:
            amount = self.p.amount_fen or start.amount_fen
            edge = self.add_edge(start, amount, 1, ((ROOT, amount),))
            self.demand(start.src, start.id, amount, edge.index, 1, start.at)
        elif self.root_all:
            rows = self.r.window(
                self.root,
                "in",
                after=(self.end, -1),
                before=(self.start, MAX_ID),
                currency=self.currency,
                limit=self.p.max_per_node + 1,
                descending=True,
            )
            for t in self.cap(self.root, rows, "payments in"):
                edge = self.add_edge(t, t.amount_fen, 1, ((ROOT, t.amount_fen),))
                self.demand(t.src, t.id, t.amount_fen, edge.index, 1, t.at)
        else:
            self.held = self.p.amount_fen or 0
            self.demands.append((self.root, VIRTUAL, self.held, ROOT, 0, self.start))
        while self.demands:
            account, payment, amount, parent, hop, at = self.demands.popleft()
            if self.out_of_budget():
                self.finish(account, EndReason.TRUNCATED, amount, hop, at)
                continue
            funded = self.composition(account).get(payment)
            if funded is None:  # the payment lies beyond the transfers examined at a capped account
                self.finish(account, EndReason.TRUNCATED, amount, hop, at)
                continue
            shares = split_proportional(amount, [a for _e, a in funded])
            for (source, _a), share in zip(funded, shares, strict=True):
                if not share:
                    continue
                if source == UNKNOWN:
                    reason = EndReason.TRUNCATED if account in self.capped else self.remains(account)
                    self.finish(account, reason, share, hop, at)
                    continue
                t = self.transfers[source]
                edge = self.add_edge(t, share, hop + 1, ((parent, share),))
                self.demand(t.src, t.id, share, edge.index, hop + 1, t.at)
        return self.result(start)


def run_trace(reader: LedgerReader, params: TraceParams) -> Trace:
    """Trace money from ``params.account``; see the module docstring for the model."""
    tracer = _Forward(reader, params) if params.direction is Direction.FORWARD else _Backward(reader, params)
    return tracer.run()
