"""The staff pages' interactive flow graph: its scripts, its Content-Security-Policy, its data.

A page with a graph embeds the graph as JSON in ``<script type="application/json">`` (Jinja's
``tojson`` escapes ``<``, ``>``, ``&`` and ``'``, so no text can close the element) and loads two
scripts from this package: the vendored Cytoscape.js (``static/vendor``, see its PROVENANCE.md)
and ``static/flowgraph.js``, which draws the graph at the positions computed here (the layered
layout of ``services.ledger.graph``) and fills the details panel with ``textContent`` only.
Every other staff page keeps the script-free policy.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from finguard.core.i18n import messages
from finguard.core.web import STATIC_DIR
from finguard.ledger.model import CHINA_TZ, format_amount, kind_label
from finguard.ledger.service.graph import FlowGraph, GraphNode

router = APIRouter()

STATIC = STATIC_DIR
SCRIPTS = {"flowgraph.js": STATIC / "flowgraph.js", "vendor/cytoscape.min.js": STATIC / "vendor" / "cytoscape.min.js"}
COL_W, ROW_H = 300, 90
# Cytoscape adds one tiny stylesheet of its own to the page; the policy allows exactly that text.
_CYTOSCAPE_STYLE = ".__________cytoscape_container { position: relative; }"
_STYLE_HASH = base64.b64encode(hashlib.sha256(_CYTOSCAPE_STYLE.encode()).digest()).decode()
GRAPH_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'self'; style-src 'self' 'sha256-{_STYLE_HASH}'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}
PANEL_KEYS = (
    "account",
    "kind",
    "name",
    "bank",
    "from",
    "to",
    "traced",
    "received",
    "sent",
    "ended",
    "first",
    "last",
    "transfers",
    "transfer",
    "hop",
    "of_transfer",
    "trace_here",
    "show_transfers",
    "root",
    "subject",
)


@cache
def _script(name: str) -> tuple[bytes, str]:
    body = SCRIPTS[name].read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:10]


@router.get("/static/{name:path}")
def script(name: str) -> Response:
    if name not in SCRIPTS:
        raise HTTPException(404)
    return Response(
        _script(name)[0],
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


def script_hrefs(base: str) -> list[str]:
    """The graph page's scripts, in load order, with a content hash against stale caches."""
    return [f"{base}/static/{name}?v={_script(name)[1]}" for name in ("vendor/cytoscape.min.js", "flowgraph.js")]


def cn_time(at: datetime | None) -> str:
    """A ledger time as China time, with its offset (statements and summaries use China time)."""
    return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S +08:00") if at else ""


def account_href(base: str, account: str, lang: str) -> str:
    return f"{base}/ledger/accounts/{quote(account, safe='')}?lang={lang}"


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def graph_payload(graph: FlowGraph, lang: str, base: str, trace_href: Callable[[GraphNode], str | None]) -> dict[str, Any]:
    """The JSON the page embeds: Cytoscape elements with preset positions, and the panel's words.

    ``trace_href`` gives a node's "trace from here" link (None: not offered)."""
    t = messages(lang)
    cur = graph.currency
    biggest = max((e.fen for e in graph.edges), default=1) or 1
    col = {n.account: n.column for n in graph.nodes}
    row = {n.account: n.row for n in graph.nodes}
    nodes = []
    for n in graph.nodes:
        what = kind_label(n.kind, n.name, lang)
        nodes.append(
            {
                "id": n.account,
                "label": _short(n.name or n.account) + "\n" + (_short(what) if n.kind.terminal or not n.name else _short(n.account)),
                "kind": n.kind.value,
                "kindLabel": what,
                "terminal": n.kind.terminal,
                "role": n.role,
                "name": n.name,
                "bank": n.bank,
                "received": format_amount(n.received_fen, cur) if n.received_fen else None,
                "sent": format_amount(n.sent_fen, cur) if n.sent_fen else None,
                "ended": format_amount(n.ended_fen, cur) if n.ended_fen else None,
                "first": cn_time(n.first_in) or None,
                "last": cn_time(n.last_out) or None,
                "x": n.column * COL_W,
                "y": n.row * ROW_H,
                "traceHref": trace_href(n),
                "accountHref": account_href(base, n.account, lang),
            }
        )
    edges = []
    for i, e in enumerate(graph.edges):
        span = col[e.dst] - col[e.src]
        count = len(e.transfers)
        label = (
            format_amount(e.fen, cur) + (f" ({count}×)" if count > 1 else "") + " · " + e.first_at.astimezone(CHINA_TZ).strftime("%m-%d")
        )
        edges.append(
            {
                "id": f"e{i}",
                "source": e.src,
                "target": e.dst,
                "label": label,
                "amount": format_amount(e.fen, cur),
                "count": count,
                "first": cn_time(e.first_at),
                "last": cn_time(e.last_at),
                "width": round(1.5 + 6 * e.fen / biggest, 1),
                # An edge back to an earlier column, or past a column on the same row, would cross
                # the accounts in between: it is drawn as a curve.
                "bend": span <= 0 or (span > 1 and row[e.src] == row[e.dst]),
                "transfers": [
                    {
                        "id": x.transfer_id,
                        "at": cn_time(x.at),
                        "amount": format_amount(x.fen, cur),
                        "of": format_amount(x.amount_fen, cur) if x.amount_fen != x.fen else None,
                        "hop": x.hop,
                    }
                    for x in e.transfers[:50]
                ],
            }
        )
    return {
        "currency": cur,
        "nodes": nodes,
        "edges": edges,
        "labels": {k: t[f"flow_{k}"] for k in PANEL_KEYS},
    }
