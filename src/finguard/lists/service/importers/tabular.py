"""The documented CSV and JSON Lines list formats (see docs/list-format.md), and export to them.

CSV columns (header required; only ``id_type`` + ``id_value`` or ``name`` are mandatory):
``key, subject, id_type, id_value, name, aliases, birth_date, nationality, risk_level,
reason, source, evidence_ref, listed_at, expires_at``. ``aliases`` are separated by ``|``.

JSON Lines: one object per line with the same fields, where ``identifiers`` may be a list of
``{"type", "value"}`` and ``aliases`` a list of strings.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import IO, Any

from finguard.core import jsonsafe
from finguard.core.csvheader import dict_reader, header_problem, known_case, line_reached
from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.exports import SafeDictWriter, unsafe_cell
from finguard.core.identifiers import IdType
from finguard.lists.model.lists import EntryDraft, Identifier, Party, RiskLevel, SubjectKind, draft_to_dict
from finguard.lists.service.importers import ParsedRow

CSV_COLUMNS = (
    "key",
    "subject",
    "id_type",
    "id_value",
    "name",
    "aliases",
    "birth_date",
    "nationality",
    "risk_level",
    "reason",
    "source",
    "evidence_ref",
    "listed_at",
    "expires_at",
)
MAX_FIELD = 2000


def _parse_time(value: object, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput.for_field(field, "must be an ISO 8601 date or date-time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value.strip()), datetime.min.time())
        except ValueError:
            raise InvalidInput.for_field(field, f"{value[:40]!r} is not an ISO 8601 date or date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput.for_field(name, "must be a string")
    if len(value) > MAX_FIELD:
        raise InvalidInput.for_field(name, f"is longer than {MAX_FIELD} characters")
    return value.strip()


def draft_from_record(record: dict[str, Any]) -> EntryDraft:
    """Build a draft from one CSV row or JSON object; raise InvalidInput naming the field."""
    identifiers: list[Identifier] = []
    raw_ids = record.get("identifiers")
    if raw_ids is not None:
        if not isinstance(raw_ids, list):
            raise InvalidInput.for_field("identifiers", "must be a list of {type, value} objects")
        for i, item in enumerate(raw_ids):
            if not isinstance(item, dict) or "type" not in item or "value" not in item:
                raise InvalidInput.for_field(f"identifiers[{i}]", "must be an object with type and value")
            identifiers.append(Identifier.parse(str(item["type"]), item["value"], f"identifiers[{i}]"))
    id_type, id_value = _text(record, "id_type"), _text(record, "id_value")
    if id_type or id_value:
        if not (id_type and id_value):
            raise InvalidInput.for_field("id_value" if id_type else "id_type", "id_type and id_value go together")
        if id_type not in IdType.__members__.values():
            raise InvalidInput.for_field("id_type", f"unknown identifier type {id_type[:40]!r}; accepted: {', '.join(IdType)}")
        identifiers.append(Identifier.parse(id_type, id_value, "id_value"))
    name = _text(record, "name")
    aliases_raw = record.get("aliases") or []
    if isinstance(aliases_raw, str):
        aliases = [a.strip() for a in aliases_raw.split("|") if a.strip()]
    elif isinstance(aliases_raw, list) and all(isinstance(a, str) for a in aliases_raw):
        aliases = [a.strip() for a in aliases_raw if a.strip()]
    else:
        raise InvalidInput.for_field("aliases", "must be a list of strings or a '|'-separated string")
    if not identifiers and not name:
        raise InvalidInput.for_field("id_value", "a row needs an identifier (id_type + id_value) or a name")
    subject_raw = _text(record, "subject") or ("person" if name and not identifiers else "identifier")
    try:
        subject = SubjectKind(subject_raw)
    except ValueError:
        raise InvalidInput.for_field("subject", f"unknown subject {subject_raw!r}; accepted: {', '.join(SubjectKind)}") from None
    party = None
    if name or aliases:
        if not name:
            raise InvalidInput.for_field("name", "aliases need a name")
        birth, nationality = _text(record, "birth_date"), _text(record, "nationality")
        party = Party(
            names=tuple(dict.fromkeys([name, *aliases])),
            birth_dates=(birth,) if birth else (),
            nationalities=(nationality,) if nationality else (),
        )
    level_raw = record.get("risk_level")
    level = None if level_raw in (None, "") else RiskLevel.parse(level_raw)
    key = _text(record, "key") or (f"{identifiers[0].type}:{identifiers[0].value}" if identifiers else f"name:{name.casefold()}")
    return EntryDraft(
        key=key,
        subject=subject,
        identifiers=tuple(dict.fromkeys(identifiers)),
        party=party,
        risk_level=level,
        reason=_text(record, "reason"),
        source=_text(record, "source"),
        evidence_ref=_text(record, "evidence_ref"),
        listed_at=_parse_time(record.get("listed_at"), "listed_at"),
        expires_at=_parse_time(record.get("expires_at"), "expires_at"),
    )


def _nul_field(value: Any, at: str) -> str | None:
    """The field (``aliases[1]``, ``identifiers[0].value``) whose text holds a NUL character."""
    if isinstance(value, str):
        return at if "\x00" in value else None
    if isinstance(value, list):
        return next((f for i, v in enumerate(value) if (f := _nul_field(v, f"{at}[{i}]")) is not None), None)
    if isinstance(value, dict):
        return next((f for k, v in value.items() if (f := _nul_field(v, f"{at}.{k}" if at else str(k))) is not None), None)
    return None


def _row(line: int, record: dict[str, Any], nul_possible: bool) -> ParsedRow:
    # PostgreSQL cannot store a NUL in text (SQLite can): refused on both, named with its line.
    # ``nul_possible``: the caller's one look at the row's text found one (or could not rule it
    # out); only then is the record walked to name the field (walking every row cost ~5 % of a
    # 100,000-row import).
    if nul_possible and (nul := _nul_field(record, "")) is not None:
        return ParsedRow(line, problem=FieldProblem(nul, "holds a NUL character", line))
    try:
        return ParsedRow(line, draft=draft_from_record(record))
    except InvalidInput as exc:
        problem = exc.problems[0] if exc.problems else FieldProblem("row", exc.message)
        return ParsedRow(line, problem=FieldProblem(problem.field, problem.problem, line))


def parse_csv(stream: IO[str]) -> Iterator[ParsedRow]:
    reader = dict_reader(stream, CSV_COLUMNS)  # a comma, or the semicolon / tab a spreadsheet used
    if (problem := header_problem(reader)) is not None:  # e.g. a bare carriage return in the header line
        yield ParsedRow(1, problem=problem, fatal=True)
        return
    if reader.fieldnames is None:
        yield ParsedRow(1, problem=FieldProblem("header", "the file is empty; a header row is required", 1), fatal=True)
        return
    known_case(reader, CSV_COLUMNS)  # a spreadsheet's `Key;Name;Kind` names the same columns
    assert reader.fieldnames is not None
    unknown = [c for c in reader.fieldnames if c not in CSV_COLUMNS]
    if unknown:
        yield ParsedRow(
            1, problem=FieldProblem("header", f"unknown column {unknown[0]!r}; accepted: {', '.join(CSV_COLUMNS)}", 1), fatal=True
        )
        return
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                yield ParsedRow(line, problem=FieldProblem("row", "has more fields than the header", line))
                continue
            cells = {k: unsafe_cell(v) for k, v in record.items() if v is not None}
            yield _row(line, cells, "\x00" in "".join(cells.values()))  # one look at the row's text
    except csv.Error as exc:
        at = line_reached(reader)
        yield ParsedRow(at, problem=FieldProblem("row", f"is not valid CSV ({exc})", at), fatal=True)


def parse_jsonl(stream: IO[str]) -> Iterator[ParsedRow]:
    for line_no, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = jsonsafe.loads(line, "row", exact=False)
        except InvalidInput as exc:
            yield ParsedRow(line_no, problem=FieldProblem("row", exc.problems[0].problem, line_no))
            continue
        if not isinstance(record, dict):
            yield ParsedRow(line_no, problem=FieldProblem("row", "must be a JSON object", line_no))
            continue
        # JSON text holds a NUL only escaped (a raw control character is not JSON): one look at the line
        yield _row(line_no, record, "\\u0000" in line or "\x00" in line)


def export_records(drafts: Iterable[tuple[EntryDraft, RiskLevel]]) -> Iterator[dict[str, Any]]:
    """Entries as JSON Lines records (the import format, so an export re-imports unchanged)."""
    for draft, level in drafts:
        data = draft_to_dict(draft)
        party = data.pop("party") or {}
        names = party.get("names") or []
        yield {
            "key": data["key"],
            "subject": data["subject"],
            "identifiers": data["identifiers"],
            "name": names[0] if names else "",
            "aliases": names[1:],
            "birth_date": (party.get("birth_dates") or [""])[0],
            "nationality": (party.get("nationalities") or [""])[0],
            "risk_level": RiskLevel(level).label if draft.risk_level is not None else "",
            "reason": data["reason"],
            "source": data["source"],
            "evidence_ref": data["evidence_ref"],
            "listed_at": data["listed_at"] or "",
            "expires_at": data["expires_at"] or "",
        }


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    n = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """CSV holds one identifier per row: an entry with several identifiers keeps its first."""
    writer = SafeDictWriter(out, CSV_COLUMNS)
    writer.writeheader()
    n = 0
    for record in records:
        ids = record["identifiers"]
        row = {k: record.get(k, "") for k in CSV_COLUMNS if k not in ("id_type", "id_value", "aliases")}
        row["id_type"] = ids[0]["type"] if ids else ""
        row["id_value"] = ids[0]["value"] if ids else ""
        row["aliases"] = "|".join(record["aliases"])
        writer.writerow(row)
        n += 1
    return n
