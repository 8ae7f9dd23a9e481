"""A trace or a monitor alert's subgraph as a graph to draw: accounts in columns, money between them.

One layered layout serves the SVG picture (``render.py``) and the staff pages' interactive graph:
each account gets a column and a row. A trace's columns are its hops (the starting account in
column 0; a backward trace's sources to its left, so money always flows left to right). A
subgraph's columns follow its transfers in time order from the subject: a payee one column to the
right of its payer, a payer one to the left of its payee. Rows in a column are ordered by the
mean row of the accounts they deal with in columns already placed, which keeps crossings few.

Edges between the same two accounts are merged into one that lists its transfers. Very large
traces keep the accounts that carried the most money and say how many were left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finguard.core.errors import InvalidInput
from finguard.ledger.model import Account, AccountKind, Direction, Trace, parse_amount_fen

MAX_NODES = 150


def order_rows(columns: Mapping[str, int], pairs: Collection[tuple[str, str]]) -> dict[str, int]:
    """A row for every account, given its column and the (payer, payee) pairs between accounts.

    Columns are placed from column 0 outwards (right first); in each, accounts are ordered by the
    mean row of their neighbours already placed (unplaced-only ones last), ties by name."""
    by_column: dict[int, list[str]] = defaultdict(list)
    for account in sorted(columns, key=lambda a: (columns[a], a)):
        by_column[columns[account]].append(account)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for src, dst in pairs:
        neighbours[src].append(dst)
        neighbours[dst].append(src)
    rows: dict[str, int] = {}
    for col in sorted(by_column, key=lambda c: (abs(c), c < 0)):
        members = by_column[col]
        if col:

            def centre(account: str) -> tuple[float, str]:
                placed = [rows[o] for o in neighbours[account] if o in rows]
                return (sum(placed) / len(placed) if placed else 1e9, account)

            members.sort(key=centre)
        for row, account in enumerate(members):
            rows[account] = row
    return rows


@dataclass(frozen=True, slots=True)
class GraphTransfer:
    """One transfer on an edge; ``fen`` is the part that counts here (a trace's traced part)."""

    at: datetime
    fen: int
    amount_fen: int
    transfer_id: int | None = None
    hop: int | None = None


@dataclass(frozen=True, slots=True)
class GraphEdge:
    src: str
    dst: str
    fen: int
    transfers: tuple[GraphTransfer, ...]

    @property
    def first_at(self) -> datetime:
        return min(t.at for t in self.transfers)

    @property
    def last_at(self) -> datetime:
        return max(t.at for t in self.transfers)


@dataclass(frozen=True, slots=True)
class GraphNode:
    account: str
    kind: AccountKind
    name: str | None
    bank: str | None
    role: str  # root (a trace's start), subject (an alert's account) or member
    column: int
    row: int
    received_fen: int  # what the drawn edges brought in
    sent_fen: int  # what the drawn edges took out
    ended_fen: int = 0  # a trace: the traced money that ended here
    first_in: datetime | None = None  # when the first drawn edge brought money
    last_out: datetime | None = None  # when the last drawn edge took money out


@dataclass(frozen=True, slots=True)
class FlowGraph:
    currency: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    hidden: int = 0  # accounts left out of a large trace


def _edges(items: Iterable[tuple[str, str, GraphTransfer]]) -> dict[tuple[str, str], list[GraphTransfer]]:
    merged: dict[tuple[str, str], list[GraphTransfer]] = {}
    for src, dst, t in items:
        merged.setdefault((src, dst), []).append(t)
    return merged


def _build(
    currency: str,
    columns: Mapping[str, int],
    merged: Mapping[tuple[str, str], Sequence[GraphTransfer]],
    accounts: Mapping[str, Account],
    roles: Mapping[str, str],
    ended: Mapping[str, int],
    hidden: int,
) -> FlowGraph:
    kept = {k: v for k, v in merged.items() if k[0] in columns and k[1] in columns}
    rows = order_rows(columns, kept)
    low = min(columns.values(), default=0)
    received: dict[str, int] = defaultdict(int)
    sent: dict[str, int] = defaultdict(int)
    first_in: dict[str, datetime] = {}
    last_out: dict[str, datetime] = {}
    edges = []
    for (src, dst), transfers in sorted(kept.items()):
        ordered = tuple(sorted(transfers, key=lambda t: (t.at, t.transfer_id or 0)))
        edge = GraphEdge(src, dst, sum(t.fen for t in ordered), ordered)
        edges.append(edge)
        received[dst] += edge.fen
        sent[src] += edge.fen
        first_in[dst] = min(first_in.get(dst, edge.first_at), edge.first_at)
        last_out[src] = max(last_out.get(src, edge.last_at), edge.last_at)
    nodes = []
    for account in sorted(columns, key=lambda a: (columns[a], rows[a])):
        info = accounts.get(account)
        nodes.append(
            GraphNode(
                account=account,
                kind=info.kind if info else AccountKind.CUSTOMER,
                name=info.name if info else None,
                bank=info.bank if info else None,
                role=roles.get(account, "member"),
                column=columns[account] - low,
                row=rows[account],
                received_fen=received[account],
                sent_fen=sent[account],
                ended_fen=ended.get(account, 0),
                first_in=first_in.get(account),
                last_out=last_out.get(account),
            )
        )
    return FlowGraph(currency, tuple(nodes), tuple(edges), hidden)


def trace_columns(trace: Trace, max_nodes: int) -> tuple[dict[str, int], int]:
    """Each account's hop (negative for a backward trace's sources), keeping the ``max_nodes``
    accounts that carried the most money; and how many were left out."""
    sign = 1 if trace.params.direction is Direction.FORWARD else -1
    layer: dict[str, int] = {trace.root: 0}
    through: dict[str, int] = defaultdict(int)
    for e in sorted(trace.edges, key=lambda e: e.hop):
        far = e.dst if sign > 0 else e.src
        layer.setdefault(far, sign * e.hop)
        through[far] += e.carried_fen
    others = sorted((a for a in layer if a != trace.root), key=lambda a: (-through[a], a))
    keep = {trace.root, *others[: max_nodes - 1]}
    return {a: layer[a] for a in keep}, len(layer) - len(keep)


def trace_graph(trace: Trace, max_nodes: int = MAX_NODES) -> FlowGraph:
    """The trace's accounts by hop and its edges merged per pair of accounts, with the traced amounts."""
    columns, hidden = trace_columns(trace, max_nodes)
    merged = _edges((e.src, e.dst, GraphTransfer(e.at, e.carried_fen, e.amount_fen, e.transfer_id, e.hop)) for e in trace.edges)
    ended: dict[str, int] = defaultdict(int)
    for end in trace.ends:
        ended[end.account] += end.amount_fen
    ended.pop(trace.root, None)
    return _build(trace.currency, columns, merged, trace.accounts, {trace.root: "root"}, ended, hidden)


def subgraph_columns(subject: str, nodes: Iterable[str], pairs: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Columns that follow the money from the subject, transfer by transfer in the order given
    (time order): a payee right of its payer, a payer left of its payee. Accounts no transfer
    connects to the subject go in a column of their own on the right."""
    col = {subject: 0}
    changed = True
    while changed:
        changed = False
        for src, dst in pairs:
            if src in col and dst not in col:
                col[dst] = col[src] + 1
                changed = True
            elif dst in col and src not in col:
                col[src] = col[dst] - 1
                changed = True
    loose = max(col.values()) + 1
    for account in nodes:
        col.setdefault(account, loose)
    for src, dst in pairs:
        col.setdefault(src, loose)
        col.setdefault(dst, loose)
    return col


def subgraph_graph(details: Mapping[str, Any], accounts: Mapping[str, Account], currency: str = "CNY") -> FlowGraph:
    """A monitor alert's stored subgraph (``details`` of an ``aml_*`` alert, see
    ``store.monitor_repo.alert_details``), the subject in column 0."""
    sub = details.get("subgraph") or {}
    subject = str(details.get("subject", ""))
    raw_edges = sub.get("edges") or []
    try:
        items = [
            (str(e["src"]), str(e["dst"]), datetime.fromisoformat(str(e["at"])), parse_amount_fen(str(e["amount"]), "amount", currency))
            for e in raw_edges
        ]
    except (KeyError, TypeError, ValueError, InvalidInput) as exc:
        raise InvalidInput.for_field("details", f"the alert's subgraph cannot be read: {exc}") from None
    items.sort(key=lambda x: x[2])
    nodes = [str(n["id"]) for n in sub.get("nodes") or [] if isinstance(n, Mapping) and "id" in n]
    columns = subgraph_columns(subject, nodes, [(s, d) for s, d, _, _ in items])
    merged = _edges((s, d, GraphTransfer(at, fen, fen)) for s, d, at, fen in items)
    return _build(currency, columns, merged, accounts, {subject: "subject"}, {}, 0)


def subgraph_accounts(details: Mapping[str, Any]) -> list[str]:
    """Every account a stored subgraph names (to look up their kinds and names)."""
    sub = details.get("subgraph") or {}
    names = {str(n["id"]) for n in sub.get("nodes") or [] if isinstance(n, Mapping) and "id" in n}
    for e in sub.get("edges") or []:
        if isinstance(e, Mapping):
            names.update(str(e[k]) for k in ("src", "dst") if k in e)
    if details.get("subject"):
        names.add(str(details["subject"]))
    return sorted(names)
