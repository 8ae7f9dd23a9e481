"""CSV files whose header names known columns, with whatever delimiter the spreadsheet used.

Excel saves "CSV" with the list separator of the machine's region: a comma in China and the
United States, a semicolon in most of Europe; tab-separated exports are common too. A file with
another delimiter than the comma was refused with "unknown column 'key;name;kind'". The delimiter
is chosen from the header line alone, as the one that splits it into the most known column
names: data rows cannot sway it, and a file that names no known column keeps the comma (and is
refused as before, naming the header).

:func:`read_dicts` and :func:`not_csv` turn what the csv module cannot read (a bare carriage
return inside an unquoted field, a field over ``csv.field_size_limit``) and text that is not
UTF-8 into :class:`~finguard.core.errors.InvalidInput` naming the field and the line, instead of
an exception that escaped as an HTTP 500 or a CLI traceback.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Iterator
from itertools import chain
from typing import IO

from finguard.core.errors import FieldProblem, InvalidInput

DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(header: str, known: Collection[str]) -> str:
    """The delimiter among :data:`DELIMITERS` that splits ``header`` into the most ``known``
    column names; the comma on a tie or when none names any."""
    best, most = ",", -1
    folded = {k.casefold() for k in known}
    for delimiter in DELIMITERS:
        try:
            fields = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:
            continue
        found = sum(1 for f in fields if f.strip() in known or f.strip().casefold() in folded)
        if found > most:
            best, most = delimiter, found
    return best


def dict_reader(stream: IO[str], known: Collection[str]) -> csv.DictReader[str]:
    """A :class:`csv.DictReader` over ``stream`` with the delimiter its header line uses
    (:func:`sniff_delimiter`); line numbers count as they would for the stream itself."""
    header = stream.readline()
    lines: Iterator[str] = chain([header], stream) if header else iter(())
    return csv.DictReader(lines, delimiter=sniff_delimiter(header.rstrip("\r\n"), known))


def header_problem(reader: csv.DictReader[str]) -> FieldProblem | None:
    """Reads ``reader``'s header line: the problem with it (field ``header``, line 1) when the csv
    module cannot read it (a bare carriage return, say), else None, and ``reader.fieldnames`` is
    the header (None for an empty file)."""
    try:
        _ = reader.fieldnames
    except csv.Error as exc:
        return FieldProblem("header", f"is not valid CSV ({exc})", 1)
    return None


def known_case(reader: csv.DictReader[str], known: Collection[str]) -> None:
    """Names a header field as its known column when it differs only in case or surrounding spaces
    (``Name``, `` NAME `` for ``name``): a spreadsheet's capitalised header is the same column. A field
    that is itself known, or matches none, is left as written (and refused by the caller if unknown).
    Call after :func:`header_problem`."""
    fields = reader.fieldnames
    if not fields:
        return
    by_fold = {k.casefold(): k for k in known}
    reader.fieldnames = [f if f in known else by_fold.get(f.strip().casefold(), f) for f in fields]


def not_csv(field: str, exc: csv.Error | UnicodeDecodeError, line: int) -> InvalidInput:
    """The error for a file the csv module (or the UTF-8 decoder) cannot read at ``line``."""
    if isinstance(exc, UnicodeDecodeError):
        problem = f"is not UTF-8 text ({exc.reason}) at or near line {line}; nothing was read"
    else:
        problem = f"line {line} is not valid CSV ({exc}); nothing was read"
    return InvalidInput(f"{field}: {problem}", problems=[FieldProblem(field, problem, line)])


def line_reached(reader: csv.DictReader[str]) -> int:
    """The line a :class:`csv.DictReader` was reading when it raised (its own ``line_num`` is
    that of the last row it returned: one short)."""
    return max(reader.reader.line_num, 1)


def no_data_rows(field: str, name: str, outcome: str = "nothing was imported") -> InvalidInput:
    """The error for a file with no data row (empty, or a header alone): an import of it would
    report "0 rows imported", which hides a wrong or truncated file."""
    problem = f"{name} has no data rows (an empty file or a header alone); {outcome}"
    return InvalidInput(f"{field}: {problem}", problems=[FieldProblem(field, problem)])


def read_dicts(stream: Iterable[str], field: str, *, name: str | None = None) -> list[dict[str, str]]:
    """Every row of a CSV file with a header (:class:`csv.DictReader`), read whole; a file that
    cannot be read is :func:`not_csv` naming ``field`` (the file's parameter) and the line, and so
    is a NUL character in a cell (PostgreSQL cannot store one: it raised out of the insert).

    With ``name`` (the file's name, as the message should call it) a file with no data row is
    refused too (:func:`no_data_rows`)."""
    nul = False  # a line read since the last row holds a NUL: one look per line, not per cell

    def lines() -> Iterator[str]:
        nonlocal nul
        for text in stream:
            if "\x00" in text:
                nul = True
            yield text

    reader = csv.DictReader(lines())
    rows: list[dict[str, str]] = []
    try:
        for row in reader:
            if nul:  # only then is the row's column named (a NUL in the header line is no cell's)
                if col := next((k for k, v in row.items() if isinstance(v, str) and "\x00" in v), None):
                    problem = f"line {reader.line_num}: column {col!r} holds a NUL character; nothing was read"
                    raise InvalidInput(f"{field}: {problem}", problems=[FieldProblem(field, problem, reader.line_num)])
                nul = False
            rows.append(row)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise not_csv(field, exc, line_reached(reader)) from None
    if name is not None and not rows:
        raise no_data_rows(field, name)
    return rows
