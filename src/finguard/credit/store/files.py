"""The tax-bureau feed read from files (docs/credit-tax-data.md).

A folder holds either one JSON document per firm (``<USCC>.json``) or the CSV tables
(``firms.csv``, ``grades.csv``, ...). A firm the folder does not hold is ``NotFound``; a file
that cannot be read or parsed makes the feed ``Unavailable`` (the application is then recorded
as unavailable, never approved on partial data).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from finguard.core.csvheader import read_dicts
from finguard.core.errors import InvalidInput, NotFound, Unavailable
from finguard.credit.model.taxdata import CSV_TABLES, TaxRecord, normalise_uscc, parse_record, records_from_tables


def read_tables(folder: Path) -> dict[str, list[dict[str, str]]]:
    tables: dict[str, list[dict[str, str]]] = {}
    for name in CSV_TABLES:
        path = folder / f"{name}.csv"
        if path.exists():
            with path.open(newline="", encoding="utf-8-sig") as fh:
                tables[name] = read_dicts(fh, f"{name}.csv")
    return tables


def write_tables(folder: Path, records: list[TaxRecord]) -> None:
    from finguard.credit.model.taxdata import records_to_tables

    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in records_to_tables(records).items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(CSV_TABLES[name]))
            w.writeheader()
            w.writerows(rows)


def load_records(path: Path) -> list[TaxRecord]:
    """Every record in a folder of JSON documents or CSV tables, or one JSON file."""
    if path.is_file():
        return [parse_record(json.loads(path.read_text(encoding="utf-8")), source=str(path))]
    if (path / "firms.csv").exists():
        return records_from_tables(read_tables(path), source=str(path))
    return [parse_record(json.loads(p.read_text(encoding="utf-8")), source=str(p)) for p in sorted(path.glob("*.json"))]


class FileTaxFeed:
    """``TaxFeed`` over a folder. CSV tables are read once; JSON documents on each fetch."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._csv: dict[str, TaxRecord] | None = None

    def fetch(self, uscc: str) -> TaxRecord:
        uscc = normalise_uscc(uscc)
        try:
            if (self.folder / "firms.csv").exists():
                if self._csv is None:
                    self._csv = {r.firm.uscc: r for r in records_from_tables(read_tables(self.folder), source=str(self.folder))}
                rec = self._csv.get(uscc)
            else:
                path = self.folder / f"{uscc}.json"
                rec = parse_record(json.loads(path.read_text(encoding="utf-8")), source=str(path)) if path.exists() else None
        except (OSError, ValueError, InvalidInput) as exc:
            detail = exc.message if isinstance(exc, InvalidInput) else str(exc)
            raise Unavailable(f"the tax feed could not be read: {detail}") from None
        if rec is None:
            raise NotFound(f"the tax feed holds no record for {uscc}")
        return rec
