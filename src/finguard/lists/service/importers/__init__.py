"""Parsers that turn list files into entry drafts, row by row, with line numbers.

A parser never touches the store: it yields :class:`ParsedRow` values and the import service
(``finguard.lists.service.importing``) diffs them against the list and applies them atomically.
"""

from __future__ import annotations

from dataclasses import dataclass

from finguard.core.errors import FieldProblem
from finguard.lists.model.lists import EntryDraft


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One source row: either a draft or the problem that made it unusable.

    ``fatal`` marks a problem with the file itself (a wrong header, a root element that is not
    the list's, text that stops parsing): the rows after it are unknown, so no import may go on,
    whatever the caller asked about skipping bad rows.
    """

    line: int
    draft: EntryDraft | None = None
    problem: FieldProblem | None = None
    fatal: bool = False
