"""Parser for the UK consolidated list of financial sanctions targets (OFSI, HM Treasury), in its
published CSV layout (``ConList.csv``).

The first line is ``Last Updated,DD/MM/YYYY`` (the publication date); the second is the header
(``Name 6`` is the family name, ``Name 1`` .. ``Name 5`` the given names, then ``Title``, ``DOB``,
``Nationality``, ``Passport Number``, ``National Identification Number``, ``Country``,
``Group Type`` (Individual, Entity, Ship), ``Alias Type`` (Primary name, AKA, ...), ``Regime``,
``Listed On`` and ``Group ID``). Each row is one name of a target; the rows sharing a
``Group ID`` are one entry (key ``uk-<Group ID>``), the primary name first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from finguard.core.csvheader import line_reached
from finguard.core.errors import FieldProblem, InvalidIdentifier
from finguard.core.identifiers import IdType, normalize
from finguard.lists.model.lists import EntryDraft, Identifier, Party, SubjectKind
from finguard.lists.service.importers import ParsedRow

SOURCE = "UK financial sanctions (OFSI consolidated list)"
NAME_COLUMNS = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5")
REQUIRED = (
    "Name 6",
    *NAME_COLUMNS,
    "DOB",
    "Nationality",
    "Passport Number",
    "National Identification Number",
    "Country",
    "Group Type",
    "Alias Type",
    "Regime",
    "Listed On",
    "Group ID",
)
_SUBJECTS = {"individual": SubjectKind.PERSON, "entity": SubjectKind.ORGANISATION, "ship": SubjectKind.VESSEL}


def _date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").replace(tzinfo=UTC)
    except ValueError:
        return None


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8-sig").splitlines(keepends=True)


def uk_source_date(path: Path) -> datetime | None:
    """The ``Last Updated`` date of the first line."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        first = next(csv.reader([stream.readline()]), [])
    return _date(first[1]) if len(first) >= 2 and first[0].strip().lower() == "last updated" else None


def parse_uk(path: Path) -> Iterator[ParsedRow]:
    """Yield one :class:`ParsedRow` per Group ID, at the line of its first row."""
    lines = _lines(path)
    start = 1 if lines and lines[0].lower().startswith("last updated") else 0
    text = "".join(lines[start:])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        yield from _parse_rows(reader, start, "\x00" in text)  # one look at the file's text
    except csv.Error as exc:  # a field over csv.field_size_limit, say: the file is refused, named
        at = start + line_reached(reader)
        yield ParsedRow(at, problem=FieldProblem("file", f"line {at} is not valid CSV ({exc})", at), fatal=True)


def _parse_rows(reader: csv.DictReader[str], start: int, nul_possible: bool = True) -> Iterator[ParsedRow]:
    """``nul_possible``: the file's text holds a NUL somewhere; only then is each row's looked for."""
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        yield ParsedRow(start + 1, problem=FieldProblem("header", f"missing column(s): {', '.join(missing)}", start + 1), fatal=True)
        return
    width = len(header)
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for row in reader:
        line = start + reader.line_num
        if None in row or len(row) != width or any(v is None for v in row.values()):
            yield ParsedRow(line, problem=FieldProblem("columns", f"expected {width} columns", line))
            continue
        cells = {k.strip(): " ".join(v.split()) for k, v in row.items()}
        if nul_possible and (nul := next((k for k, v in cells.items() if "\x00" in v), None)):  # PostgreSQL cannot store it
            yield ParsedRow(line, problem=FieldProblem(nul, "holds a NUL character", line))
            continue
        group = cells["Group ID"]
        if not group.isdigit():
            yield ParsedRow(line, problem=FieldProblem("Group ID", "must be a number", line))
            continue
        groups.setdefault(group, []).append((line, cells))
    for group, rows in groups.items():
        line = rows[0][0]
        kind = _SUBJECTS.get(rows[0][1]["Group Type"].lower())
        if kind is None:
            yield ParsedRow(line, problem=FieldProblem("Group Type", "must be Individual, Entity or Ship", line))
            continue
        rows.sort(key=lambda r: (r[1]["Alias Type"].lower() != "primary name", r[0]))
        names = _unique(_name(cells) for _, cells in rows)
        if not names:
            yield ParsedRow(line, problem=FieldProblem("Name 6", "the target has no name", line))
            continue
        yield ParsedRow(line, draft=_draft(group, kind, names, [c for _, c in rows]))


def _name(cells: dict[str, str]) -> str:
    given = " ".join(cells[c] for c in NAME_COLUMNS if cells[c])
    return " ".join(p for p in (given, cells["Name 6"]) if p)


def _draft(group: str, kind: SubjectKind, names: tuple[str, ...], rows: list[dict[str, str]]) -> EntryDraft:
    identifiers: list[Identifier] = []
    unparsed: list[str] = []
    for cells in rows:
        for column, id_type in (("Passport Number", IdType.PASSPORT), ("National Identification Number", IdType.NATIONAL_ID)):
            raw = cells[column]
            if raw:
                found = _try(id_type, raw)
                if found is None:
                    unparsed.append(f"{column}: {raw}"[:200])
                else:
                    identifiers.append(found)
    first = rows[0]
    listed = _date(first["Listed On"])
    return EntryDraft(
        key=f"uk-{group}",
        subject=kind,
        identifiers=tuple(dict.fromkeys(identifiers)),
        party=Party(
            names=names,
            birth_dates=_unique(_dob(c["DOB"]) for c in rows),
            nationalities=_unique(c["Nationality"] for c in rows),
            countries=_unique(c["Country"] for c in rows),
        ),
        reason=" ".join(p for p in ("UK financial sanctions", first["Regime"]) if p),
        source=SOURCE,
        evidence_ref=f"uk:{group}",
        listed_at=listed,
        extra={"unparsed_ids": list(dict.fromkeys(unparsed))} if unparsed else {},
    )


def _dob(text: str) -> str:
    """``28/04/1937`` -> ``1937-04-28``; ``00/00/1960`` -> ``1960``; anything else as given."""
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        d, m, y = parts
        return y if d == "00" or m == "00" else f"{y}-{m}-{d}"
    return text


def _try(kind: IdType, raw: str) -> Identifier | None:
    try:
        return Identifier(kind, normalize(kind, raw))
    except InvalidIdentifier:
        return None


def _unique(values: Iterator[str] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
