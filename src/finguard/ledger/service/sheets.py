"""A statement file as rows of text cells, whatever it was saved as (CSV, XLSX, text PDF).

Banks and wallets hand out the same table in three containers: a CSV (often GBK, sometimes
tab-separated, cells written ``="6222..."`` or with a trailing tab so a spreadsheet keeps long
numbers as text), an Excel workbook, or a PDF with text (not a scan). Each is read into
``Sheet.rows``: one list of stripped cells per row, numbered as the file shows them (CSV line,
XLSX row; PDF rows are numbered across pages and ``where`` says the page).

XLSX numbers arrive from openpyxl as binary floats; a money cell is turned into text by its
shortest representation (``repr``), which is the decimal Excel itself shows, before anything
reads it as money. Nothing here knows what a column means (``statements.py`` does).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from finguard.core.errors import InvalidInput

MAX_ROWS = 200_000
MAX_BYTES = 50_000_000
ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312


@dataclass(frozen=True, slots=True)
class Sheet:
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]  # the number of each row in the file
    container: str  # csv, xlsx or pdf
    encoding: str | None = None
    pages: tuple[int, ...] = field(default_factory=tuple)  # PDF: the page of each row


def clean_cell(value: object) -> str:
    """A cell as text: ``="123"`` and tabs that keep numbers as text in a spreadsheet removed,
    inner line breaks (PDF headers wrapped in their cell) joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    text = str(value).replace("\r", "").replace("\n", "").replace("\t", "").strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()
    return text


def decode(data: bytes) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput.for_field("file", "is neither UTF-8 nor GBK/GB18030 text, nor an XLSX or PDF file")


def _delimiter(text: str) -> str:
    head = text[:20_000]
    return "\t" if head.count("\t") > head.count(",") else ","


def read_csv(data: bytes) -> Sheet:
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    try:
        for fields in reader:
            rows.append(tuple(clean_cell(f) for f in fields))
            lines.append(reader.line_num)
            if len(rows) > MAX_ROWS:
                raise InvalidInput.for_field("file", f"has more than {MAX_ROWS:,} rows; split the statement")
    except csv.Error as exc:
        raise InvalidInput.for_field("file", f"line {reader.line_num} is not valid CSV ({exc})") from None
    return Sheet(tuple(rows), tuple(lines), "csv", encoding)


def read_xlsx(path: Path) -> Sheet:
    from openpyxl import load_workbook  # loaded when a workbook is read

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput.for_field("file", f"is not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        rows: list[tuple[str, ...]] = []
        lines: list[int] = []
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = tuple(clean_cell(v) for v in values)
            while cells and not cells[-1]:
                cells = cells[:-1]
            rows.append(cells)
            lines.append(n)
            if len(rows) > MAX_ROWS:
                raise InvalidInput.for_field("file", f"has more than {MAX_ROWS:,} rows; split the statement")
    finally:
        book.close()
    return Sheet(tuple(rows), tuple(lines), "xlsx")


def read_pdf(path: Path) -> Sheet:
    """The tables of a text PDF, page after page. A page without ruled tables is read as text
    lines split at runs of two or more spaces."""
    import pdfplumber  # loaded when a PDF is read

    rows: list[tuple[str, ...]] = []
    pages: list[int] = []
    try:
        with pdfplumber.open(path) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                tables = page.extract_tables()
                found = [tuple(clean_cell(c) for c in row) for table in tables for row in table]
                if not found:
                    text = page.extract_text() or ""
                    found = [tuple(c.strip() for c in _split_spaces(line)) for line in text.splitlines()]
                else:
                    # Title and account lines sit above the table, outside it.
                    top = min(t.bbox[1] for t in page.find_tables())
                    above = page.crop((0, 0, page.width, top)).extract_text() or ""
                    found = [(line.strip(),) for line in above.splitlines() if line.strip()] + found
                rows.extend(found)
                pages.extend([number] * len(found))
                if len(rows) > MAX_ROWS:
                    raise InvalidInput.for_field("file", f"has more than {MAX_ROWS:,} rows; split the statement")
    except InvalidInput:
        raise
    except Exception as exc:  # pdfminer raises many kinds for a damaged file
        raise InvalidInput.for_field("file", f"is not a readable text PDF ({type(exc).__name__})") from None
    if not any(any(r) for r in rows):
        raise InvalidInput.for_field("file", "is a PDF without text (a scan?); ask the bank for a CSV, XLSX or text PDF")
    return Sheet(tuple(rows), tuple(range(1, len(rows) + 1)), "pdf", pages=tuple(pages))


def _split_spaces(line: str) -> list[str]:
    parts: list[str] = []
    for chunk in line.replace("\u3000", "  ").split("  "):
        if chunk.strip():
            parts.append(chunk)
    return parts


def read_sheet(path: Path) -> Sheet:
    """Whatever the file is (by its first bytes, not its name): XLSX (a zip), PDF or text."""
    if not path.is_file():
        raise InvalidInput.for_field("file", f"{path} does not exist")
    if path.stat().st_size > MAX_BYTES:
        raise InvalidInput.for_field("file", f"is larger than {MAX_BYTES // 1_000_000} MB; a statement is smaller")
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04"):
        return read_xlsx(path)
    if head.startswith(b"%PDF"):
        return read_pdf(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput.for_field("file", "is an old Excel .xls workbook; save it as .xlsx or CSV and import that")
    return read_csv(path.read_bytes())
