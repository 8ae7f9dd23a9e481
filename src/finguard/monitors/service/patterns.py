"""The laundering-pattern detectors: pure NumPy over a ``FlowIndex``, no storage.

Per-account typologies (fan-in, fan-out, gather-scatter, pass-through, dormant) evaluate each
account's own transfers with sliding time windows; ``focus`` limits them to some accounts (the
incremental mode). Path typologies (cycle, stack, scatter-gather) are built from *relays*: pairs
of transfers where an account passes money on (``RelayConfig``). Work around hub accounts is
bounded (``LimitConfig``); whatever was cut is flagged ``truncated``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from finguard.monitors.model import (
    CycleConfig,
    DormantConfig,
    FanConfig,
    FlowEdge,
    GatherScatterConfig,
    LimitConfig,
    MonitorConfig,
    PassThroughConfig,
    PatternAlert,
    RelayConfig,
    ScatterGatherConfig,
    SlowCycleConfig,
    StackConfig,
    StructuringConfig,
    Typology,
)
from finguard.monitors.service.index import I64, Bool, FlowIndex, Side, SideIndex, expand

Progress = Callable[[Typology, float], None]
RELAY_CHUNK = 1_000_000


@dataclass
class Detection:
    alerts: list[PatternAlert] = field(default_factory=list)
    truncated: bool = False


def _alert(
    ix: FlowIndex, typology: Typology, subject: int, edges: I64, measure: int, limits: LimitConfig, cut: bool = False
) -> PatternAlert:
    """Build an alert from edge numbers (into ``ix``), keeping at most ``max_alert_edges``."""
    edges = np.unique(edges)
    total = int(ix.amount[edges].sum())
    start, end = int(ix.ts[edges].min()), int(ix.ts[edges].max())
    if len(edges) > limits.max_alert_edges:
        # Keep the largest transfers: they carry the money an analyst follows first.
        edges = edges[np.argsort(-ix.amount[edges], kind="stable")[: limits.max_alert_edges]]
        cut = True
    edges = edges[np.argsort(ix.ts[edges], kind="stable")]
    flow = tuple(FlowEdge(int(ix.row[e]), int(ix.src[e]), int(ix.dst[e]), int(ix.amount[e]), int(ix.ts[e])) for e in edges)
    accounts = {subject}
    accounts.update(e.src for e in flow)
    accounts.update(e.dst for e in flow)
    return PatternAlert(typology, subject, tuple(sorted(accounts)), flow, start, end, total, measure, cut)


# -- sliding windows on one side of each account -------------------------------------------


@dataclass(frozen=True, slots=True)
class _Windows:
    """For windows ending at each position ``end`` of one side: first position, a lower bound of
    distinct counterparties, transfer count and total amount within ``window`` seconds."""

    end: I64
    lo: I64
    distinct: I64
    count: I64
    total: I64


def _new_counterparty(s: SideIndex, n_accounts: int, window: int) -> Bool:
    """True where the counterparty was not seen by this account within ``window`` before.

    Summed over a window this under-counts distinct counterparties only when one counterparty's
    transfers chain through it in steps shorter than the window: a lower bound, exact when each
    counterparty appears once."""
    m = len(s.key)
    pair = s.node * n_accounts + s.other
    order = np.argsort(pair, kind="stable")  # stable: time order kept within a pair
    p, t = pair[order], s.ts[order]
    fresh = np.ones(m, dtype=bool)
    fresh[1:] = ~((p[1:] == p[:-1]) & (t[1:] - t[:-1] <= window))
    out = np.empty(m, dtype=bool)
    out[order] = fresh
    return out


def _windows(ix: FlowIndex, s: SideIndex, window: int, focus: Bool | None, min_count: int) -> _Windows:
    """Counts over first-contact transfers only (``ix.novel``; all of them when novelty is off)."""
    m = len(s.key)
    mask = ix.novel[s.edge]
    fresh = _new_counterparty(s, ix.n_accounts, window) & mask
    c = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(fresh, out=c[1:])
    n = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(mask, out=n[1:])
    a = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.where(mask, s.amount, 0), out=a[1:])
    end = np.arange(m, dtype=np.int64) if focus is None else np.flatnonzero(focus[s.node])
    end = end[mask[end]]
    lo, _ = s.slice_of(s.node[end], s.ts[end] - window, s.ts[end], ix.t0)
    distinct = c[end + 1] - c[lo]
    keep = distinct >= min_count
    end, lo, distinct = end[keep], lo[keep], distinct[keep]
    return _Windows(end, lo, distinct, n[end + 1] - n[lo], a[end + 1] - a[lo])


def _counted(ix: FlowIndex, s: SideIndex) -> I64:
    """Per position: how many of the account's transfers on this side up to it count (first contacts)."""
    c = np.zeros(len(s.key) + 1, dtype=np.int64)
    np.cumsum(ix.novel[s.edge], out=c[1:])
    return c


def _bursty(ix: FlowIndex, s: SideIndex, w: _Windows, window: int, min_burst: float) -> Bool:
    """The window holds ``min_burst`` times the transfers the account's traffic outside it predicts."""
    if min_burst <= 0:
        return np.ones(len(w.end), dtype=bool)
    node = s.node[w.end]
    c = _counted(ix, s)
    outside = (c[s.ptr[node + 1]] - c[s.ptr[node]]) - w.count
    rest = max(ix.period[1] - ix.period[0] - window, window)
    expected = outside * (window / rest)
    return w.count >= min_burst * expected


def _best_per_account(node: I64, score: I64) -> I64:
    """Index of the highest score per account (latest on ties)."""
    if len(node) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(node)), score, node))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = node[order][1:] != node[order][:-1]
    return order[last].astype(np.int64)


def detect_fan(ix: FlowIndex, side: Side, cfg: FanConfig, limits: LimitConfig, focus: Bool | None = None) -> Detection:
    typology = Typology.FAN_IN if side == "in" else Typology.FAN_OUT
    s = ix.side(side)
    out = Detection()
    if len(s.key) == 0:
        return out
    w = _windows(ix, s, cfg.window, focus, cfg.min_counterparties)
    ok = (w.total >= cfg.min_total) & _bursty(ix, s, w, cfg.window, cfg.min_burst)
    idx = np.flatnonzero(ok)
    for i in idx[_best_per_account(s.node[w.end[idx]], w.distinct[idx])]:
        lo, end = int(w.lo[i]), int(w.end[i])
        edges = s.edge[lo : end + 1]
        edges = edges[ix.novel[edges]]
        distinct = len(np.unique(ix.dst[edges] if side == "out" else ix.src[edges]))
        if distinct < cfg.min_counterparties:
            continue
        out.alerts.append(_alert(ix, typology, int(s.node[end]), edges, distinct, limits))
    return out


def detect_gather_scatter(ix: FlowIndex, cfg: GatherScatterConfig, limits: LimitConfig, focus: Bool | None = None) -> Detection:
    """Inflow from ``min_in`` senders in a window, then outflow to ``min_out`` receivers from the
    window's start until ``window`` after its end."""
    out = Detection()
    s_in, s_out = ix.inn, ix.out
    if len(s_in.key) == 0:
        return out
    w = _windows(ix, s_in, cfg.window, focus, cfg.min_in)
    ok = _bursty(ix, s_in, w, cfg.window, cfg.min_burst) & (w.total >= cfg.min_total)
    w = _Windows(w.end[ok], w.lo[ok], w.distinct[ok], w.count[ok], w.total[ok])
    node = s_in.node[w.end]
    lo2, hi2 = s_out.slice_of(node, s_in.ts[w.lo], s_in.ts[w.end] + cfg.window, ix.t0)
    fresh = _new_counterparty(s_out, ix.n_accounts, 2 * cfg.window) & ix.novel[s_out.edge]
    c = np.zeros(len(fresh) + 1, dtype=np.int64)
    np.cumsum(fresh, out=c[1:])
    distinct_out = c[hi2] - c[lo2]
    ok = distinct_out >= cfg.min_out
    if cfg.min_burst > 0:
        counted = _counted(ix, s_out)
        within = counted[hi2] - counted[lo2]
        outside = (counted[s_out.ptr[node + 1]] - counted[s_out.ptr[node]]) - within
        span = (s_in.ts[w.end] - s_in.ts[w.lo]) + cfg.window
        rest = np.maximum(ix.period[1] - ix.period[0] - span, span)
        ok &= within >= cfg.min_burst * outside * (span / rest)
    idx = np.flatnonzero(ok)
    for i in idx[_best_per_account(node[idx], w.distinct[idx] + distinct_out[idx])]:
        ins = s_in.edge[w.lo[i] : w.end[i] + 1]
        outs = s_out.edge[lo2[i] : hi2[i]]
        ins, outs = ins[ix.novel[ins]], outs[ix.novel[outs]]
        senders = set(ix.src[ins].tolist())
        # Receivers may be senders too: AMLworld's gather-scatter often pays the gathered money
        # back out to the accounts it came from.
        receivers = set(ix.dst[outs].tolist())
        if len(senders) < cfg.min_in or len(receivers) < cfg.min_out:
            continue
        out.alerts.append(
            _alert(ix, Typology.GATHER_SCATTER, int(node[i]), np.concatenate([ins, outs]), len(senders) + len(receivers), limits)
        )
    return out


# -- relays: an account passing money on ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relays:
    """Pairs of edges (``e_in`` into an account, ``e_out`` out of it) sorted by ``e_in``."""

    e_in: I64
    e_out: I64
    ptr: I64  # ptr[e]:ptr[e+1] are the relays whose e_in is edge e
    truncated: bool

    def __len__(self) -> int:
        return len(self.e_in)


def find_relays(
    ix: FlowIndex,
    cfg: RelayConfig,
    limits: LimitConfig,
    progress: Callable[[float], None] | None = None,
    legs: int = 0,
    only: Bool | None = None,
    through: Bool | None = None,
) -> Relays:
    """Every (in, out) pair through an account within the delay and amount tolerance, of which
    at least ``legs`` transfers are first contacts (``ix.novel``); with ``only`` (per edge), both
    transfers are among those edges; with ``through`` (per account), only relays through those
    accounts (the others' relays are not searched: each is the same without them).

    The in-edges are processed in chunks, so the memory is bounded by the chunk times
    ``max_branch`` whatever the hubs; at most ``max_branch`` onward transfers (the earliest) are
    examined per incoming transfer."""
    s_in, s_out = ix.inn, ix.out
    if legs >= 2:
        # Both transfers must be first contacts: search only those, so the per-transfer branch
        # budget is not spent on a busy account's familiar payments.
        s_in, s_out = s_in.where(ix.novel[s_in.edge]), s_out.where(ix.novel[s_out.edge])
    if only is not None:
        s_in, s_out = s_in.where(only[s_in.edge]), s_out.where(only[s_out.edge])
    if through is not None:
        s_in, s_out = s_in.where(through[s_in.node]), s_out.where(through[s_out.node])
    m = len(s_in.key)
    parts_in: list[I64] = []
    parts_out: list[I64] = []
    truncated = False
    kept = 0
    for start in range(0, m, RELAY_CHUNK):
        sl = slice(start, min(m, start + RELAY_CHUNK))
        amount = s_in.amount[sl]
        big = amount >= cfg.min_amount
        pos_in = np.arange(sl.start, sl.stop, dtype=np.int64)[big]
        t = s_in.ts[pos_in]
        lo, hi = s_out.slice_of(s_in.node[pos_in], t - cfg.slack, t + cfg.max_delay, ix.t0)
        which, pos, cut = expand(lo, hi, limits.max_branch)
        truncated |= bool(cut.any())
        a_in = s_in.amount[pos_in][which].astype(np.float64)
        a_out = s_out.amount[pos].astype(np.float64)
        ok = (a_out >= a_in * (1 - cfg.max_shrink)) & (a_out <= a_in * (1 + cfg.max_grow))
        if legs == 1:
            first = ix.novel[s_in.edge[pos_in[which]]].astype(np.int64) + ix.novel[s_out.edge[pos]]
            ok &= first >= legs
        parts_in.append(s_in.edge[pos_in[which[ok]]])
        parts_out.append(s_out.edge[pos[ok]])
        kept += int(ok.sum())
        if kept > limits.max_paths:
            truncated = True
            break
        if progress:
            progress(sl.stop / max(m, 1))
    e_in = np.concatenate(parts_in) if parts_in else np.zeros(0, np.int64)
    e_out = np.concatenate(parts_out) if parts_out else np.zeros(0, np.int64)
    order = np.argsort(e_in, kind="stable")
    e_in, e_out = e_in[order], e_out[order]
    ptr = np.zeros(len(ix) + 1, dtype=np.int64)
    np.cumsum(np.bincount(e_in, minlength=len(ix)), out=ptr[1:])
    return Relays(e_in, e_out, ptr, truncated)


def detect_pass_through(ix: FlowIndex, relays: Relays, cfg: PassThroughConfig, limits: LimitConfig, focus: Bool | None = None) -> Detection:
    e_in, e_out = relays.e_in, relays.e_out
    a_in, a_out = ix.amount[e_in].astype(np.float64), ix.amount[e_out].astype(np.float64)
    delay = ix.ts[e_out] - ix.ts[e_in]
    ok = (delay >= 0) & (delay <= cfg.max_delay) & (np.abs(a_out - a_in) <= cfg.tolerance * a_in)
    ok &= ix.src[e_in] != ix.dst[e_out]
    node = ix.dst[e_in].astype(np.int64)
    if focus is not None:
        ok &= focus[node]
    e_in, e_out, node = e_in[ok], e_out[ok], node[ok]
    out = Detection(truncated=relays.truncated)
    if len(node) == 0:
        return out
    # Relays counted once per incoming transfer: one payment out may match several in.
    order = np.lexsort((e_in, node))
    e_in, e_out, node = e_in[order], e_out[order], node[order]
    first = np.ones(len(node), dtype=bool)
    first[1:] = (node[1:] != node[:-1]) | (e_in[1:] != e_in[:-1])
    uniq_in = np.bincount(node[first], minlength=ix.n_accounts)
    candidates = np.flatnonzero(uniq_in >= cfg.min_events)
    bounds = np.searchsorted(node, np.stack([candidates, candidates + 1]))
    for acc, lo, hi in zip(candidates.tolist(), bounds[0].tolist(), bounds[1].tolist(), strict=True):
        ins, outs = np.unique(e_in[lo:hi]), np.unique(e_out[lo:hi])
        events = min(len(ins), len(outs))
        total = int(ix.amount[ins].sum())
        if events < cfg.min_events or total < cfg.min_total:
            continue
        out.alerts.append(_alert(ix, Typology.PASS_THROUGH, acc, np.concatenate([ins, outs]), events, limits))
    return out


def _onward(ix: FlowIndex, relays: Relays) -> Bool:
    """Relays that go on to a third account (not straight back to the sender)."""
    onward: Bool = ix.src[relays.e_in] != ix.dst[relays.e_out]
    return onward


def detect_stack(ix: FlowIndex, relays: Relays, cfg: StackConfig, limits: LimitConfig, new_edges: Bool | None = None) -> Detection:
    """Longest chains of relays (dynamic programming over the relay pairs, ``max_hops`` rounds)."""
    out = Detection(truncated=relays.truncated)
    keep = _onward(ix, relays)
    e_in, e_out = relays.e_in[keep], relays.e_out[keep]
    if len(e_in) == 0:
        return out
    depth = np.ones(len(ix), dtype=np.int64)
    pred = np.full(len(ix), -1, dtype=np.int64)
    for _ in range(cfg.max_hops - 1):
        cand = depth[e_in] + 1
        better = cand > depth[e_out]
        if not better.any():
            break
        # Per improved edge keep the best predecessor (ties: the earliest edge number).
        b_out, b_in, b_c = e_out[better], e_in[better], cand[better]
        order = np.lexsort((b_in, -b_c, b_out))
        first = np.ones(len(order), dtype=bool)
        first[1:] = b_out[order][1:] != b_out[order][:-1]
        sel = order[first]
        depth[b_out[sel]] = b_c[sel]
        pred[b_out[sel]] = b_in[sel]
    # A chain ends at an edge of enough depth that no relay continues with a deeper chain.
    continues = np.zeros(len(ix), dtype=bool)
    continues[e_in[depth[e_out] > depth[e_in]]] = True
    ends = np.flatnonzero((depth >= cfg.min_hops) & ~continues)
    seen: set[tuple[int, ...]] = set()
    for end in ends.tolist():
        chain = [end]
        while pred[chain[-1]] >= 0 and len(chain) < cfg.max_hops:
            chain.append(int(pred[chain[-1]]))
        chain.reverse()
        nodes = [int(ix.src[chain[0]])] + [int(ix.dst[e]) for e in chain]
        if len(set(nodes)) != len(nodes):
            continue  # comes back on itself: the cycle monitor's case
        key = tuple(chain)
        if key in seen or len(chain) < cfg.min_hops:
            continue
        seen.add(key)
        edges = np.asarray(chain, dtype=np.int64)
        if new_edges is not None and not new_edges[edges].any():
            continue
        out.alerts.append(_alert(ix, Typology.STACK, nodes[0], edges, len(chain), limits))
    return out


def detect_cycles(
    ix: FlowIndex,
    relays: Relays,
    cfg: CycleConfig,
    limits: LimitConfig,
    new_edges: Bool | None = None,
    typology: Typology = Typology.CYCLE,
    span: bool = False,
) -> Detection:
    """Simple cycles of relays, grown breadth-first from every edge that starts a relay. Every
    hop within ``cfg.window`` of the first; with ``span``, all hops within ``cfg.window`` of one
    another whatever their order (the slow rings' relays go either way in time)."""
    out = Detection(truncated=relays.truncated)
    starts = np.flatnonzero(np.diff(relays.ptr) > 0)
    if len(starts) == 0:
        return out
    paths = starts[:, None]  # one row per partial path, one column per hop (edge numbers)
    origin = ix.src[starts].astype(np.int64)
    t_start = ix.ts[starts]
    t_lo, t_hi = t_start.copy(), t_start.copy()
    found: dict[tuple[tuple[int, ...], int], list[I64]] = {}
    for length in range(2, cfg.max_length + 1):
        last = paths[:, -1]
        lo, hi = relays.ptr[last], relays.ptr[last + 1]
        which, pos, cut = expand(lo, hi, limits.max_branch)
        out.truncated |= bool(cut.any())
        nxt = relays.e_out[pos]
        t_nxt = ix.ts[nxt]
        if span:
            new_lo, new_hi = np.minimum(t_lo[which], t_nxt), np.maximum(t_hi[which], t_nxt)
            ok = new_hi - new_lo <= cfg.window
        else:
            ok = np.abs(t_nxt - t_start[which]) <= cfg.window
        dst = ix.dst[nxt].astype(np.int64)
        # Simple cycles only: the next account is new to the path (or closes it at the origin).
        for col in range(1, paths.shape[1]):
            ok &= dst != ix.src[paths[which, col]]
        which, nxt, dst = which[ok], nxt[ok], dst[ok]
        if span:
            new_lo, new_hi = new_lo[ok], new_hi[ok]
        closes = dst == origin[which]
        if length >= cfg.min_length:
            for w, e in zip(which[closes].tolist(), nxt[closes].tolist(), strict=True):
                cyc = np.append(paths[w], e)
                # One alert per ring of accounts and earliest transfer, however many parallel
                # transfers close it; the same ring run again later is another alert.
                ring = ix.src[cyc].tolist()
                turn = ring.index(min(ring))
                first = int(cyc[np.argmin(ix.ts[cyc])])
                found.setdefault((tuple(ring[turn:] + ring[:turn]), first), []).append(cyc)
        grow = ~closes
        paths = np.concatenate([paths[which[grow]], nxt[grow, None]], axis=1)
        origin, t_start = origin[which[grow]], t_start[which[grow]]
        if span:
            t_lo, t_hi = new_lo[grow], new_hi[grow]
        if len(paths) > limits.max_paths:
            out.truncated = True
            keep = slice(0, limits.max_paths)
            paths, origin, t_start, t_lo, t_hi = paths[keep], origin[keep], t_start[keep], t_lo[keep], t_hi[keep]
        if len(paths) == 0:
            break
    for (ring_accounts, first), cycles in found.items():
        edges = np.unique(np.concatenate(cycles))
        if new_edges is not None and not new_edges[edges].any():
            continue
        out.alerts.append(_alert(ix, typology, int(ix.src[first]), edges, len(ring_accounts), limits))
    return out


def slow_cycle_relays(ix: FlowIndex, cfg: SlowCycleConfig, limits: LimitConfig) -> Relays:
    """The hops of slow rings: money in and money out of an account, both out of their payers'
    habit, within ``cfg.window`` of each other in either order, the amount out within the
    tolerance of the amount in."""
    rule = RelayConfig(max_delay=cfg.window, slack=cfg.window, max_shrink=cfg.tolerance, max_grow=cfg.tolerance)
    return find_relays(ix, rule, limits, only=ix.unusual)


def detect_slow_cycles(ix: FlowIndex, cfg: SlowCycleConfig, limits: LimitConfig, new_edges: Bool | None = None) -> Detection:
    """Rings of transfers out of habit, booked in any order within ``cfg.window`` (#12)."""
    if not ix.unusual.any():
        return Detection()
    rings = CycleConfig(min_length=cfg.min_length, max_length=cfg.max_length, window=cfg.window)
    relays = slow_cycle_relays(ix, cfg, limits)
    return detect_cycles(ix, relays, rings, limits, new_edges, Typology.SLOW_CYCLE, span=True)


def detect_structuring(ix: FlowIndex, cfg: StructuringConfig, limits: LimitConfig, focus: Bool | None = None) -> Detection:
    """Payees of payments cut into pieces, each out of its payer's habit (#12): the pieces of a
    payer to a payee chain within ``piece_window``; a payee's structured inflows chain into one
    alert while no gap exceeds ``window``."""
    out = Detection()
    if cfg.min_pieces < 2:
        return out
    e = np.flatnonzero(ix.unusual)
    if focus is not None:
        e = e[focus[ix.dst[e]]]
    if len(e) == 0:
        return out
    pair = ix.src[e].astype(np.int64) * ix.n_accounts + ix.dst[e]
    order = np.lexsort((ix.ts[e], pair))
    e, pair = e[order], pair[order]
    t = ix.ts[e]
    run = np.cumsum(np.r_[True, (pair[1:] != pair[:-1]) | (t[1:] - t[:-1] > cfg.piece_window)]) - 1
    e = e[np.bincount(run)[run] >= cfg.min_pieces]
    if len(e) == 0:
        return out
    payee = ix.dst[e].astype(np.int64)
    order = np.lexsort((ix.ts[e], payee))
    e, payee = e[order], payee[order]
    t = ix.ts[e]
    starts = np.flatnonzero(np.r_[True, (payee[1:] != payee[:-1]) | (t[1:] - t[:-1] > cfg.window)])
    for lo, hi in zip(starts.tolist(), np.r_[starts[1:], len(e)].tolist(), strict=True):
        edges = e[lo:hi]
        payers = len(np.unique(ix.src[edges]))
        if payers >= cfg.min_payers:
            out.alerts.append(_alert(ix, Typology.STRUCTURING, int(payee[lo]), edges, payers, limits))
    return out


def detect_scatter_gather(
    ix: FlowIndex, relays: Relays, cfg: ScatterGatherConfig, limits: LimitConfig, new_edges: Bool | None = None
) -> Detection:
    """Sender S -> distinct intermediaries M -> one receiver T, ``min_paths`` of them within ``window``."""
    out = Detection(truncated=relays.truncated)
    keep = _onward(ix, relays)
    e_in, e_out = relays.e_in[keep], relays.e_out[keep]
    if len(e_in) == 0:
        return out
    s = ix.src[e_in].astype(np.int64)
    t = ix.dst[e_out].astype(np.int64)
    mid = ix.dst[e_in].astype(np.int64)
    group = s * ix.n_accounts + t
    order = np.lexsort((mid, group))
    group, mid, e_in, e_out = group[order], mid[order], e_in[order], e_out[order]
    first_mid = np.ones(len(group), dtype=bool)
    first_mid[1:] = (group[1:] != group[:-1]) | (mid[1:] != mid[:-1])
    g_start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    g_end = np.r_[g_start[1:], len(group)]
    mids = np.add.reduceat(first_mid.astype(np.int64), g_start)
    for gs, ge, n in zip(g_start.tolist(), g_end.tolist(), mids.tolist(), strict=True):
        if n < cfg.min_paths:
            continue
        ins, outs = e_in[gs:ge], e_out[gs:ge]
        # The shape must fit in the window: keep the paths of the busiest window.
        t_in = ix.ts[ins]
        order_t = np.argsort(t_in, kind="stable")
        ins, outs, t_in = ins[order_t], outs[order_t], t_in[order_t]
        hi = np.searchsorted(t_in, t_in + cfg.window, side="right")
        best, best_n = 0, 0
        for j in range(len(t_in)):
            k = len(np.unique(ix.dst[ins[j : hi[j]]]))
            if k > best_n:
                best, best_n = j, k
        if best_n < cfg.min_paths:
            continue
        sel_in, sel_out = ins[best : hi[best]], outs[best : hi[best]]
        edges = np.concatenate([sel_in, sel_out])
        if new_edges is not None and not new_edges[edges].any():
            continue
        out.alerts.append(_alert(ix, Typology.SCATTER_GATHER, int(ix.src[sel_in[0]]), edges, best_n, limits))
    return out


def detect_dormant(ix: FlowIndex, cfg: DormantConfig, limits: LimitConfig, focus: Bool | None = None) -> Detection:
    """Accounts silent for ``min_silence`` that then move a large sum (in and out counted)."""
    out = Detection()
    if len(ix) == 0:
        return out
    node = np.concatenate([ix.src, ix.dst]).astype(np.int64)
    edge = np.concatenate([np.arange(len(ix)), np.arange(len(ix))]).astype(np.int64)
    ts = ix.ts[edge]
    key = (node << 32) | (ts - ix.t0)
    order = np.argsort(key, kind="stable")
    key, node, edge, ts = key[order], node[order], edge[order], ts[order]
    gap = np.zeros(len(key), dtype=np.int64)
    same = node[1:] == node[:-1]
    gap[1:] = np.where(same, ts[1:] - ts[:-1], -1)
    cand = np.flatnonzero(gap >= cfg.min_silence)
    if focus is not None:
        cand = cand[focus[node[cand]]]
    amount = ix.amount[edge]
    csum = np.zeros(len(key) + 1, dtype=np.int64)
    np.cumsum(amount, out=csum[1:])
    hi = np.searchsorted(key, (node[cand] << 32) | np.clip(ts[cand] + cfg.window - ix.t0, 0, (1 << 32) - 1), side="right")
    moved = csum[hi] - csum[cand]
    for c, h, total in zip(cand.tolist(), hi.tolist(), moved.tolist(), strict=True):
        if total < cfg.min_total:
            continue
        acc = int(node[c])
        first = int(np.searchsorted(key, acc << 32))
        before = int(amount[first:c].max()) if c > first else 0
        if total < cfg.min_ratio * before:
            continue
        out.alerts.append(_alert(ix, Typology.DORMANT, acc, edge[c:h], int(gap[c] // 86400), limits))
    return out


PER_ACCOUNT = frozenset(
    {Typology.FAN_IN, Typology.FAN_OUT, Typology.GATHER_SCATTER, Typology.PASS_THROUGH, Typology.DORMANT, Typology.STRUCTURING}
)
PATHS = frozenset({Typology.CYCLE, Typology.STACK, Typology.SCATTER_GATHER, Typology.SLOW_CYCLE})
# The typologies that count only transfers out of their payer's habit (``index.off_habit``).
HABITUAL = frozenset({Typology.STRUCTURING, Typology.SLOW_CYCLE})


@dataclass(frozen=True, slots=True)
class _RelayRule:
    """What one typology accepts as a relay."""

    max_delay: int
    slack: int
    max_shrink: float
    max_grow: float
    min_amount: int


def _relay_rules(config: MonitorConfig, typologies: frozenset[Typology]) -> dict[Typology, _RelayRule]:
    r, p, c = config.relay, config.pass_through, config.cycle
    base = _RelayRule(r.max_delay, r.slack, r.max_shrink, r.max_grow, r.min_amount)
    rules = {
        Typology.STACK: base,
        Typology.SCATTER_GATHER: base,
        Typology.CYCLE: _RelayRule(c.max_hop_delay, max(r.slack, c.slack), r.max_shrink, r.max_grow, c.min_amount),
        Typology.PASS_THROUGH: _RelayRule(p.max_delay, 0, p.tolerance, p.tolerance, 0),
    }
    return {t: rule for t, rule in rules.items() if t in typologies}


def relay_config(config: MonitorConfig, typologies: frozenset[Typology]) -> RelayConfig:
    """The relay search wide enough for every requested typology (each then filters its own)."""
    rules = list(_relay_rules(config, typologies).values()) or [_RelayRule(0, 0, 0.0, 0.0, 0)]
    return RelayConfig(
        max(x.max_delay for x in rules),
        max(x.slack for x in rules),
        max(x.max_shrink for x in rules),
        max(x.max_grow for x in rules),
        min(x.min_amount for x in rules),
    )


def _relays_for(ix: FlowIndex, relays: Relays, rule: _RelayRule, search: RelayConfig) -> Relays:
    """The relays of a wider search that one typology's rule accepts."""
    if rule == _RelayRule(search.max_delay, search.slack, search.max_shrink, search.max_grow, search.min_amount):
        return relays
    e_in, e_out = relays.e_in, relays.e_out
    delay = ix.ts[e_out] - ix.ts[e_in]
    a_in, a_out = ix.amount[e_in].astype(np.float64), ix.amount[e_out].astype(np.float64)
    ok = (delay >= -rule.slack) & (delay <= rule.max_delay)
    ok &= (a_out >= a_in * (1 - rule.max_shrink)) & (a_out <= a_in * (1 + rule.max_grow))
    ok &= ix.amount[e_in] >= rule.min_amount
    ptr = np.zeros(len(ix) + 1, dtype=np.int64)
    np.cumsum(np.bincount(e_in[ok], minlength=len(ix)), out=ptr[1:])
    return Relays(e_in[ok], e_out[ok], ptr, relays.truncated)


def detect(
    ix: FlowIndex,
    config: MonitorConfig,
    typologies: frozenset[Typology],
    *,
    focus: Bool | None = None,
    new_edges: Bool | None = None,
    progress: Progress | None = None,
    relay_for: frozenset[Typology] | None = None,
) -> dict[Typology, Detection]:
    """Run the requested detectors. ``focus`` limits per-account typologies to some accounts,
    ``new_edges`` keeps only path alerts that contain one of those edges. ``relay_for``: the
    typologies the shared relay search is sized for (default: the requested ones); a partition
    running some of a pass's typologies gives the whole pass's, so its relays (the earliest
    ``max_branch`` onward transfers of the same, wider search) are those of the pass."""
    results: dict[Typology, Detection] = {}

    def step(t: Typology, fraction: float) -> None:
        if progress:
            progress(t, fraction)

    lim = config.limits
    # Detectors with their own search (the relay-built path typologies share one below).
    own_search: dict[Typology, Callable[[], Detection]] = {
        Typology.FAN_IN: lambda: detect_fan(ix, "in", config.fan_in, lim, focus),
        Typology.FAN_OUT: lambda: detect_fan(ix, "out", config.fan_out, lim, focus),
        Typology.GATHER_SCATTER: lambda: detect_gather_scatter(ix, config.gather_scatter, lim, focus),
        Typology.DORMANT: lambda: detect_dormant(ix, config.dormant, lim, focus),
        Typology.STRUCTURING: lambda: detect_structuring(ix, config.structuring, lim, focus),
        Typology.SLOW_CYCLE: lambda: detect_slow_cycles(ix, config.slow_cycle, lim, new_edges),
    }
    for t, fn in own_search.items():
        if t in typologies:
            step(t, 0.0)
            results[t] = fn()
            step(t, 1.0)
    relayed = (PATHS | {Typology.PASS_THROUGH}) - {Typology.SLOW_CYCLE}
    if not typologies & relayed:
        return results
    wanted = sorted(typologies & relayed)
    first = wanted[0]
    step(first, 0.0)
    search = relay_config(config, relay_for or typologies)
    legs = config.novelty.relay_legs if config.novelty.lookback > 0 else 0
    # With ``focus`` only pass-through is relay-built (the path typologies take no focus): its
    # relays through other accounts would be dropped, so they are not searched.
    through = focus if focus is not None and not typologies & PATHS else None
    relays = find_relays(ix, search, lim, lambda f: step(first, 0.9 * f), legs, through=through)
    rules = _relay_rules(config, typologies)
    path_fns: dict[Typology, Callable[[Relays], Detection]] = {
        Typology.PASS_THROUGH: lambda r: detect_pass_through(ix, r, config.pass_through, lim, focus),
        Typology.CYCLE: lambda r: detect_cycles(ix, r, config.cycle, lim, new_edges),
        Typology.STACK: lambda r: detect_stack(ix, r, config.stack, lim, new_edges),
        Typology.SCATTER_GATHER: lambda r: detect_scatter_gather(ix, r, config.scatter_gather, lim, new_edges),
    }
    for t in wanted:
        if t != first:
            step(t, 0.0)
        results[t] = path_fns[t](_relays_for(ix, relays, rules[t], search))
        step(t, 1.0)
    return results
