"""The layered layout behind the trace picture and the staff pages' interactive graph (#5)."""

from __future__ import annotations

from pathlib import Path

from finguard.app.platform import Platform
from finguard.ledger.model import Direction, TraceParams
from finguard.ledger.service.graph import order_rows, subgraph_columns, subgraph_graph, trace_graph
from tests.test_web_ledger import load_mules


def test_subgraph_columns_follow_the_money_from_the_subject() -> None:
    """Fan-in S1, S2 -> H: payers left of H. Scatter-gather A -> M1, M2 -> B: B two columns right.
    A cycle A -> B -> C -> A keeps its order, the last leg going back."""
    assert subgraph_columns("H", ["S1", "S2", "H"], [("S1", "H"), ("S2", "H")]) == {"H": 0, "S1": -1, "S2": -1}
    sg = [("A", "M1"), ("A", "M2"), ("M1", "B"), ("M2", "B")]
    assert subgraph_columns("A", [], sg) == {"A": 0, "M1": 1, "M2": 1, "B": 2}
    assert subgraph_columns("A", [], [("A", "B"), ("B", "C"), ("C", "A")]) == {"A": 0, "B": 1, "C": 2}
    assert subgraph_columns("A", ["A", "Z"], [("A", "B")])["Z"] == 2  # not connected: a column of its own


def test_rows_follow_the_accounts_already_placed() -> None:
    """P2 pays X and P1 pays Y: X and Y are ordered like their payers, not by name."""
    columns = {"R": 0, "P1": 1, "P2": 1, "X": 2, "Y": 2}
    rows = order_rows(columns, [("R", "P1"), ("R", "P2"), ("P2", "X"), ("P1", "Y")])
    assert rows == {"R": 0, "P1": 0, "P2": 1, "Y": 0, "X": 1}


def test_a_backward_trace_reads_left_to_right_into_its_start(platform: Platform) -> None:
    load_mules(platform)
    graph = trace_graph(platform.ledger.trace(TraceParams("wallet:支付宝", direction=Direction.BACKWARD)))
    assert [(n.account, n.column, n.role) for n in graph.nodes] == [
        ("V", 0, "member"),
        ("M1", 1, "member"),
        ("M2", 2, "member"),
        ("wallet:支付宝", 3, "root"),
    ]
    assert [(e.src, e.dst, e.fen) for e in graph.edges] == [
        ("M1", "M2", 2_000_000),
        ("M2", "wallet:支付宝", 2_000_000),
        ("V", "M1", 2_000_000),
    ]


def test_a_subgraph_names_its_accounts(platform: Platform, tmp_path: Path) -> None:
    load_mules(platform)
    details = {
        "subject": "M1",
        "subgraph": {
            "nodes": [{"id": "M1", "role": "subject"}, {"id": "M2", "role": "member"}],
            "edges": [{"src": "M1", "dst": "M2", "amount": "30000.00", "at": "2024-03-01T02:30:00+00:00"}],
        },
    }
    graph = subgraph_graph(details, platform.ledger.accounts(["M1", "M2"]))
    m1 = graph.nodes[0]
    assert (m1.account, m1.name, m1.role, m1.sent_fen) == ("M1", "李四", "subject", 3_000_000)
