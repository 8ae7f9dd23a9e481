"""Spreadsheet-safe exports: no cell that a spreadsheet would run as a formula.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and, after a tab or carriage return, the same) as a formula: ``=HYPERLINK(...)`` phones home,
``=cmd|' /C calc'!A0`` runs a program (DDE). Every CSV and XLSX finguard writes passes its text
cells through :func:`safe_cell`, which puts an apostrophe before such a value: spreadsheets show
the text, never evaluate it, and :func:`unsafe_cell` takes it off again on import, so an export
re-imports unchanged. Numbers (int, Decimal, float) are written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with an apostrophe before a text that a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unsafe_cell(value: str) -> str:
    """Undo :func:`safe_cell` (for importers of our own exports)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """``csv.DictWriter`` whose every text cell goes through :func:`safe_cell`."""

    def __init__(self, out: IO[str], fieldnames: Iterable[str], **kwargs: Any) -> None:
        super().__init__(out, fieldnames=list(fieldnames), **kwargs)

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})


def csv_to_xlsx(text: str, sheet: str = "report") -> bytes:
    """A CSV export (its cells already through :func:`safe_cell`) as a one-sheet XLSX workbook,
    every cell text as written (write-only mode: rows are streamed, not held as cell objects)."""
    import io

    from openpyxl import Workbook  # loaded when a workbook is written

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    for row in csv.reader(io.StringIO(text)):
        ws.append([safe_cell(cell) for cell in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
