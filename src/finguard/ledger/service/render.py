"""A trace as a picture: SVG drawn in pure Python, PNG through resvg (a self-contained wheel).

Layout: one column per hop, left to right (the starting account on the left, also for a backward
trace, whose arrows then point towards it); accounts in a column are ordered by the position of
the accounts that paid them, which keeps crossings few (the layering of ``graph.py``, shared
with the staff pages' interactive graph). Edges between the same two accounts are drawn as one,
labelled with the traced amount (and the number of transfers); terminal accounts are coloured
by kind. Very large traces draw the accounts that carried the most money and say
how many were left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo
from xml.sax.saxutils import escape, quoteattr

from finguard.core.errors import Unavailable
from finguard.ledger.model import CHINA_TZ, AccountKind, Direction, Trace, format_amount, kind_label
from finguard.ledger.service.graph import order_rows, trace_columns

MAX_NODES = 80
COL_W, ROW_H, BOX_W, BOX_H, MARGIN, TOP = 430, 74, 270, 50, 30, 96
STYLE = {
    AccountKind.CUSTOMER: ("#e8eef7", "#4a6fa5", ""),
    AccountKind.MERCHANT: ("#fde2c8", "#c96a00", ""),
    AccountKind.CASH: ("#d9f2d9", "#2e7d32", ""),
    AccountKind.WALLET: ("#e6dcf7", "#6a3fb5", ""),
    AccountKind.EXTERNAL: ("#eeeeee", "#666666", ' stroke-dasharray="5,3"'),
}
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, DejaVu Sans, sans-serif"


@dataclass(slots=True)
class _Link:
    src: str
    dst: str
    fen: int = 0
    count: int = 0
    first: datetime | None = None


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(trace: Trace, tz: tzinfo = CHINA_TZ) -> str:
    """The trace as a standalone SVG document."""
    cur = trace.currency
    forward = trace.params.direction is Direction.FORWARD
    links: dict[tuple[str, str], _Link] = {}
    for e in sorted(trace.edges, key=lambda e: e.hop):
        link = links.setdefault((e.src, e.dst), _Link(e.src, e.dst))
        link.fen += e.carried_fen
        link.count += 1
        link.first = e.at if link.first is None else min(link.first, e.at)
    ended: dict[str, int] = defaultdict(int)
    for end in trace.ends:
        ended[end.account] += end.amount_fen
    # The picture keeps the starting account on the left in both directions.
    kept, hidden = trace_columns(trace, MAX_NODES)
    layer = {a: abs(c) for a, c in kept.items()}
    rows = order_rows(layer, links)
    columns: dict[int, list[str]] = defaultdict(list)
    pos: dict[str, tuple[float, float]] = {}
    for account in sorted(layer, key=lambda a: (layer[a], rows[a])):
        columns[layer[account]].append(account)
        pos[account] = (MARGIN + layer[account] * COL_W, TOP + rows[account] * ROW_H)
    title = (
        f"{'Forward' if forward else 'Backward'} trace from {trace.root}: {format_amount(trace.amount_fen, cur)} {cur}, "
        f"{trace.params.method.value.upper()}, up to {trace.params.hops} hops"
    )
    legend_w = sum(40 + 9 * len(f"{kind.value} {kind_label(kind, None, 'zh')}") for kind in STYLE)
    # Wide enough for the columns, the title and the legend: nothing is cut off at the right edge.
    width = max(MARGIN * 2 + (max(columns) if columns else 0) * COL_W + BOX_W, MARGIN * 2 + 8 * len(title), MARGIN * 2 + legend_w)
    height = TOP + max(len(m) for m in columns.values()) * ROW_H + 40
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family={quoteattr(FONT)} font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" markerHeight="10" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    out.append(f'<text x="{MARGIN}" y="26" font-size="15" font-weight="bold">{escape(title)}</text>')
    legend_x = MARGIN
    for kind, (fill, stroke, dash) in STYLE.items():
        out.append(f'<rect x="{legend_x}" y="40" width="14" height="14" rx="3" fill="{fill}" stroke="{stroke}"{dash}/>')
        label = f"{kind.value} {kind_label(kind, None, 'zh')}"
        out.append(f'<text x="{legend_x + 20}" y="52">{escape(label)}</text>')
        legend_x += 40 + 9 * len(label)
    if trace.truncated:
        out.append(f'<text x="{MARGIN}" y="76" fill="#b00020">{escape("truncated: " + "; ".join(trace.truncated_reasons)[:160])}</text>')
    if hidden:
        out.append(f'<text x="{width - MARGIN}" y="76" text-anchor="end" fill="#666">{hidden} smaller accounts not drawn</text>')
    biggest = max((lk.fen for lk in links.values()), default=1)
    for link in sorted(links.values(), key=lambda lk: (lk.src, lk.dst)):
        if link.src not in pos or link.dst not in pos:
            continue
        (sx, sy), (dx, dy) = pos[link.src], pos[link.dst]
        sy, dy = sy + BOX_H / 2, dy + BOX_H / 2
        width_px = 1.2 + 5 * link.fen / biggest
        if dx > sx:
            x1, x2 = sx + BOX_W, dx
            path = f"M{x1:.0f},{sy:.0f} C{x1 + 50:.0f},{sy:.0f} {x2 - 50:.0f},{dy:.0f} {x2:.0f},{dy:.0f}"
            # The label sits just before the arrow head: targets have rows of their own, so labels
            # of a fan-out do not overlap as they would at the curves' crowded midpoints.
            lx, ly = x2 - 14, dy - 7
        else:  # a link back to an earlier column (a cycle, or a backward trace's arrow): loop below
            x1, x2 = sx + BOX_W / 2, dx + BOX_W / 2
            low = max(sy, dy) + BOX_H
            path = f"M{x1:.0f},{sy + BOX_H / 2:.0f} C{x1:.0f},{low + 30:.0f} {x2:.0f},{low + 30:.0f} {x2:.0f},{dy + BOX_H / 2:.0f}"
            lx, ly = (x1 + x2) / 2, low + 18
        out.append(f'<path d="{path}" fill="none" stroke="#555" stroke-width="{width_px:.1f}" marker-end="url(#arrow)"/>')
        label = format_amount(link.fen, cur) + (f" ({link.count}×)" if link.count > 1 else "")
        if link.first is not None:
            label += " · " + link.first.astimezone(tz).strftime("%Y-%m-%d")
        anchor = "end" if dx > sx else "middle"
        out.append(
            f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="{anchor}" font-weight="bold" stroke="#fff" stroke-width="3" '
            f'paint-order="stroke">{escape(label)}</text>'
        )
    for account, (x, y) in pos.items():
        info = trace.accounts.get(account)
        kind = info.kind if info else AccountKind.CUSTOMER
        name = info.name if info else None
        fill, stroke, dash = STYLE[kind]
        bold = ' stroke-width="3"' if account == trace.root else ""
        out.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}"{dash}{bold}/>')
        first = _short(name or account)
        second = _short(account) if name else kind.value
        if kind.terminal:
            second = _short(kind_label(kind, name, "zh") + " " + kind_label(kind, name, "en"), 30)
        out.append(f'<text x="{x + 8}" y="{y + 19}" font-weight="bold">{escape(first)}</text>')
        here = f" · {format_amount(ended[account], cur)} here" if ended.get(account) and account != trace.root else ""
        out.append(f'<text x="{x + 8}" y="{y + 38}" fill="#333">{escape(_short(second + here, 34))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def render_png(svg: str) -> bytes:
    """PNG through resvg-py (a wheel with resvg built in; no system libraries). Chinese text needs
    a CJK font installed on the machine (e.g. Debian's fonts-noto-cjk); otherwise it shows boxes."""
    try:
        import resvg_py
    except ImportError:
        raise Unavailable("PNG output needs the resvg-py package; SVG is always available") from None
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff"))
