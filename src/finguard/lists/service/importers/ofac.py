"""Parser for the OFAC SDN list in its legacy CSV form.

Four headerless files: ``sdn.csv`` (one row per entry), ``alt.csv`` (aliases), ``add.csv``
(addresses) and, optionally, ``sdn_comments.csv`` (the tail of remarks too long for sdn.csv).
``-0-`` marks an empty field. The remarks column carries dates of birth, nationalities and
identifiers as ``;``-separated phrases; the ones we recognise become identifiers, the ones that
look like identifiers but do not normalise are kept in ``extra["unparsed_ids"]``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from finguard.core.errors import FieldProblem, InvalidIdentifier, InvalidInput
from finguard.core.identifiers import IdType, normalize, normalize_phone
from finguard.lists.model.lists import EntryDraft, Identifier, Party, SubjectKind
from finguard.lists.service.importers import ParsedRow

SOURCE = "OFAC SDN"
SDN_COLUMNS = 12
_EMPTY = "-0-"
_T = TypeVar("_T")

_SUBJECTS = {
    "individual": SubjectKind.PERSON,
    "vessel": SubjectKind.VESSEL,
    "aircraft": SubjectKind.AIRCRAFT,
}

# Remark labels that introduce an identifier ("alt." prefix removed); matched case-insensitively, longest first.
_LABEL_GROUPS: dict[IdType, str] = {
    IdType.PASSPORT: "Passport|Diplomatic Passport|Passport Booklet|Passport Booklet:|British National Overseas Passport",
    IdType.NATIONAL_ID: (
        "National ID No.|Identification Number|National Foreign ID Number|Citizen's Card Number|"
        "Personal ID Card|Tazkira National ID Card|Turkish Identification Number|D.N.I.|Numero de Identidad"
    ),
    IdType.EMAIL: "Email Address|Email",
    IdType.PHONE: "Phone Number|Phone No.|Phone|Telephone|Telephone:|Telephone No.|Telephone Number|Telephone Number:",
    IdType.USCC: "Unified Social Credit Code (USCC)|United Social Credit Code Certificate (USCCC)",
    IdType.BIC: "SWIFT/BIC",
    IdType.LEI: "LEI",
    IdType.OTHER_ID: (
        "Tax ID No.|Registration ID|Registration Number|Cedula No.|RFC|R.F.C.|R.F.C. #|C.U.R.P.|C.U.R.P. #|"
        "NIT #|RUC #|RIF #|Company Number|UK Company Number|Commercial Registry Number|"
        "Business Registration Number|Business Registration Document #|Public Registration Number|"
        "Government Gazette Number|Folio Mercantil No.|Matricula Mercantil No|V.A.T. Number|C.R. No.|"
        "Trade License No.|Electoral Registry No.|Credencial electoral|Driver's License No.|SSN|I.F.E.|"
        "C.U.I.T.|C.U.I.P.|C.U.I.|LE Number|Residency Number|Branch Unit Number|"
        "Certificate of Incorporation Number|Chamber of Commerce Number|Legal Entity Number|"
        "Enterprise Number|RTN|N.I.E.|C.I.F.|Travel Document Number|Birth Certificate Number|"
        "Registered Charity No.|US FEIN|Business Number|Immigration No.|D-U-N-S Number|"
        "Vessel Registration Identification"
    ),
}
_LABELS = {label: kind for kind, labels in _LABEL_GROUPS.items() for label in labels.split("|")}
_LABEL_ORDER = sorted(_LABELS, key=len, reverse=True)
_CHINA_LABELS = {"National ID No.", "Identification Number", "Citizen's Card Number"}
_ALT = re.compile(r"^alt\.\s*", re.IGNORECASE)
_COUNTRY = re.compile(r"(.*?)\s+\(([^()]*)\)(?:\s.*)?")  # "X123 (Iraq) issued 2001" -> "X123", "Iraq"
_NUMBER_WORD = re.compile(r"^(?:no\.?:?|#|[a-z.]{2,6}:)\s*", re.IGNORECASE)  # "No.:", "#", "CNIC:", "CUD:"
_NATIONALITY = re.compile(r"(?:nationality|citizen)\s+(.+)", re.IGNORECASE)
_GENDER = re.compile(r"gender\s+(male|female)", re.IGNORECASE)


def parse_ofac(sdn_path: Path, alt_path: Path | None = None, add_path: Path | None = None) -> Iterator[ParsedRow]:
    """Yield one :class:`ParsedRow` per physical sdn.csv record, in file order."""
    aliases = _load_aliases(alt_path) if alt_path is not None else {}
    countries = _load_countries(add_path) if add_path is not None else {}
    comments_path = sdn_path.with_name("sdn_comments.csv")
    comments = _load_comments(comments_path) if comments_path.is_file() else {}
    seen: set[str] = set()
    for line, row in _read_rows(sdn_path):
        if len(row) != SDN_COLUMNS:
            yield _problem(line, "columns", f"expected {SDN_COLUMNS} columns, found {len(row)}")
            continue
        ent_num = _clean(row[0])
        if not ent_num.isdigit():
            yield _problem(line, "ent_num", "is missing" if not ent_num else f"{ent_num[:20]!r} is not a number")
            continue
        if ent_num in seen:
            yield _problem(line, "ent_num", f"{ent_num} appears more than once")
            continue
        seen.add(ent_num)
        name = _clean(row[1])
        if not name:
            yield _problem(line, "SDN_Name", "is empty")
            continue
        remarks = _clean(row[11]) + comments.get(ent_num, "")
        yield ParsedRow(line, draft=_draft(ent_num, name, row, remarks, aliases.get(ent_num, []), countries.get(ent_num, [])))


@dataclass(slots=True)
class _Remarks:
    birth_dates: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    gender: str | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)


def _draft(ent_num: str, name: str, row: list[str], remarks: str, aliases: list[tuple[int, str]], countries: list[str]) -> EntryDraft:
    programs = [p for p in (part.strip(" []") for part in re.split(r"\]\s*\[", _clean(row[3]))) if p]
    title = _clean(row[4])
    facts = _parse_remarks(remarks)
    names = _unique([name, *(alias for _, alias in sorted(aliases))])
    reason = f"OFAC SDN programs: {', '.join(programs)}" + (f"; {title}" if title else "")
    extra: dict[str, object] = {"programs": programs, "remarks": remarks}
    if facts.unparsed:
        extra["unparsed_ids"] = facts.unparsed
    return EntryDraft(
        key=f"ofac-{ent_num}",
        subject=_SUBJECTS.get(_clean(row[2]).lower(), SubjectKind.ORGANISATION),
        identifiers=tuple(_unique(facts.identifiers)),
        party=Party(
            names=tuple(names),
            birth_dates=tuple(_unique(facts.birth_dates)),
            nationalities=tuple(_unique(facts.nationalities)),
            countries=tuple(_unique(countries)),
            gender=facts.gender,
        ),
        reason=reason,
        source=SOURCE,
        evidence_ref=f"ofac:{ent_num}",
        extra=extra,
    )


def _parse_remarks(remarks: str) -> _Remarks:
    """Pick dates of birth, nationalities, gender and identifiers out of an SDN remarks text."""
    out = _Remarks()
    for raw_part in remarks.split(";"):
        part = raw_part.strip().rstrip(".").strip()
        text = _ALT.sub("", part)
        if not text:
            continue
        if text[:4].lower() == "dob ":
            out.birth_dates.append(_birth_date(text[4:]))
        elif (m := _NATIONALITY.fullmatch(text)) and not text.lower().startswith("nationality of registration"):
            out.nationalities.append(m.group(1).strip())
        elif m := _GENDER.fullmatch(text):
            out.gender = m.group(1).capitalize()
        else:
            label = next((lb for lb in _LABEL_ORDER if text.lower().startswith(lb.lower() + " ")), None)
            if label is None:
                continue
            rest = text[len(label) :].strip()
            if _LABELS[label] not in (IdType.EMAIL, IdType.PHONE, IdType.BIC) and not any(ch.isdigit() for ch in rest):
                continue  # not an identifier: "Passport issued in Sarajevo", "NIT # Provisional"
            found = _identifier(label, rest)
            if found is None:
                out.unparsed.append(part)
            else:
                out.identifiers.append(found)
    return out


def _identifier(label: str, rest: str) -> Identifier | None:
    kind = _LABELS[label]
    if kind is IdType.PHONE:
        return _phone(rest)
    if kind is IdType.EMAIL:
        return _try(IdType.EMAIL, rest)
    country = ""
    if m := _COUNTRY.fullmatch(rest):
        rest, country = m.group(1), m.group(2).strip()
    value = re.sub(r"[()#]", "", _NUMBER_WORD.sub("", rest).split(",")[0]).strip()
    if label in _CHINA_LABELS and country.lower() == "china" and (found := _try(IdType.ID_NUMBER, value)):
        return found
    if value.upper().startswith("IMO") and (found := _try(IdType.IMO, value)):
        return found  # "Vessel Registration Identification IMO 9187629"
    if label == "Legal Entity Number" and (found := _try(IdType.LEI, value)):
        return found
    return _try(kind, value)


def _phone(raw: str) -> Identifier | None:
    """OFAC writes international numbers without the '+' (``8613314257947``, ``79315403678``).

    Read as CN national numbers some of those are "valid" and wrong (``79110354982`` would become
    ``+8679110354982``), so a number without '+' and without a trunk '0' is tried as ``+digits``
    first and only then as a national number.
    """
    digits = re.sub(r"\D", "", raw.split("ext")[0])
    candidates = [raw]
    if not raw.lstrip().startswith("+") and digits:
        if digits.startswith("00"):
            candidates = ["+" + digits[2:]]
        elif not digits.startswith("0"):
            candidates = ["+" + digits, raw]
    for candidate in candidates:
        try:
            return Identifier(IdType.PHONE, normalize_phone(candidate))
        except InvalidIdentifier:
            continue
    return None


def _try(kind: IdType, raw: str) -> Identifier | None:
    try:
        return Identifier(kind, normalize(kind, raw))
    except InvalidIdentifier:
        return None


def _birth_date(text: str) -> str:
    """``01 Jan 1970`` -> ``1970-01-01``; years, ranges and ``circa`` dates stay as given."""
    value = text.strip()
    try:
        return datetime.strptime(value, "%d %b %Y").date().isoformat()
    except ValueError:
        return value


def _load_aliases(path: Path) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for _, row in _read_rows(path):
        if len(row) < 4:
            continue
        ent_num, alt_num, name = _clean(row[0]), _clean(row[1]), _clean(row[3])
        if ent_num and name:
            out.setdefault(ent_num, []).append((int(alt_num) if alt_num.isdigit() else 0, name))
    return out


def _load_countries(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for _, row in _read_rows(path):
        if len(row) < 5:
            continue
        ent_num, country = _clean(row[0]), _clean(row[4])
        if ent_num and country:
            out.setdefault(ent_num, []).append(country)
    return out


def _load_comments(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for _, row in _read_rows(path):
        if len(row) >= 2 and (ent_num := _clean(row[0])):
            out[ent_num] = out.get(ent_num, "") + "".join(row[1:])
    return out


def _read_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (first physical line, fields) per CSV record; blank lines and the DOS EOF mark are skipped."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text.replace("\x1a", ""), newline=""))
    nul_possible = "\x00" in text  # one look at the file's text; only then is each row's looked at
    line = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                if nul_possible and any("\x00" in cell for cell in row):  # PostgreSQL cannot store it: the file is refused, named
                    problem = f"{path.name} line {line} holds a NUL character"
                    raise InvalidInput(f"file: {problem}", problems=[FieldProblem("file", problem, line)])
                yield line, row
            line = reader.line_num + 1
    except csv.Error as exc:  # a field over csv.field_size_limit, say: the import refuses the file, named
        problem = f"{path.name} line {reader.line_num} is not valid CSV ({exc})"
        raise InvalidInput(f"file: {problem}", problems=[FieldProblem("file", problem, reader.line_num)]) from None


def _clean(value: str) -> str:
    text = value.strip()
    return "" if text == _EMPTY else text


def _unique(items: list[_T]) -> list[_T]:
    return list(dict.fromkeys(items))


def _problem(line: int, field_name: str, problem: str) -> ParsedRow:
    return ParsedRow(line, problem=FieldProblem(field_name, problem, line))
