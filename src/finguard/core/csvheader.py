"""CSV files whose header names known columns, with whatever delimiter the spreadsheet used.

Excel saves "CSV" with the list separator of the machine's region: a comma in China and the
United States, a semicolon in most of Europe; tab-separated exports are common too. A file with
another delimiter than the comma was refused with "unknown column 'key;name;kind'". The delimiter
is chosen from the header line alone, as the one that splits it into the most known column
names: data rows cannot sway it, and a file that names no known column keeps the comma (and is
refused as before, naming the header).
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from itertools import chain
from typing import IO

DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(header: str, known: Collection[str]) -> str:
    """The delimiter among :data:`DELIMITERS` that splits ``header`` into the most ``known``
    column names; the comma on a tie or when none names any."""
    best, most = ",", -1
    for delimiter in DELIMITERS:
        try:
            fields = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:
            continue
        found = sum(1 for f in fields if f.strip() in known)
        if found > most:
            best, most = delimiter, found
    return best


def dict_reader(stream: IO[str], known: Collection[str]) -> csv.DictReader[str]:
    """A :class:`csv.DictReader` over ``stream`` with the delimiter its header line uses
    (:func:`sniff_delimiter`); line numbers count as they would for the stream itself."""
    header = stream.readline()
    lines: Iterator[str] = chain([header], stream) if header else iter(())
    return csv.DictReader(lines, delimiter=sniff_delimiter(header.rstrip("\r\n"), known))
