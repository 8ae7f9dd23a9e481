"""docs/credit-tax-data.md: its example is a valid record and its tables list the real columns."""

from __future__ import annotations

import json
import re
from pathlib import Path

from finguard.credit.model.taxdata import CSV_TABLES, parse_record

DOC = (Path(__file__).resolve().parents[1] / "docs" / "credit-tax-data.md").read_text(encoding="utf-8")


def test_the_json_example_parses():
    example = re.search(r"```json\n(.*?)```", DOC, re.S).group(1)
    rec = parse_record(json.loads(example), source="doc")
    assert rec.firm.uscc == "914403057EGD5HLLG1" and len(rec.vat_returns) == 2


def test_every_csv_table_is_documented_with_its_columns():
    for name, cols in CSV_TABLES.items():
        assert f"| `{name}.csv` | `{', '.join(cols)}` |" in DOC
