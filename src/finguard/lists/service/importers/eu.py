"""Parser for the EU consolidated list of persons, groups and entities subject to EU financial
sanctions, in the Financial Sanctions Files (FSF) XML layout (``xmlFullSanctionsList_1_1``).

The root is ``<export generationDate="..." globalFileId="...">`` in the namespace
``http://eu.europa.ec/fpi/fsd/export``; each ``<sanctionEntity logicalId="..." euReferenceNumber="...">``
becomes one entry draft (key ``eu-<logicalId>``) with its ``subjectType`` (``person`` or
``enterprise``), ``nameAlias`` (``wholeName``, ``gender``), ``citizenship``, ``birthdate``,
``identification`` (``identificationTypeCode``, ``number``, ``countryIso2Code``) and ``address``
children and its ``regulation``'s programme and publication date. Parsed with :mod:`defusedxml`;
a document that cannot be parsed yields one fatal problem row, it never raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from finguard.core.errors import FieldProblem, InvalidIdentifier
from finguard.core.identifiers import IdType, normalize
from finguard.lists.model.lists import EntryDraft, Identifier, Party, SubjectKind
from finguard.lists.service.importers import ParsedRow

SOURCE = "EU financial sanctions (consolidated list)"
NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"
_SUBJECTS = {"person": SubjectKind.PERSON, "enterprise": SubjectKind.ORGANISATION}
# identificationTypeCode -> the identifier type it is stored as
_ID_TYPES = {"passport": IdType.PASSPORT, "id": IdType.NATIONAL_ID, "swiftbic": IdType.BIC}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [c for c in element if _local(c.tag) == name]


def read_eu(data: bytes) -> tuple[Element | None, ParsedRow | None]:
    try:
        root: Element = fromstring(data, forbid_dtd=True)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        return None, ParsedRow(line, problem=FieldProblem("xml", f"malformed XML: {exc}", line), fatal=True)
    except DefusedXmlException as exc:
        return None, ParsedRow(1, problem=FieldProblem("xml", f"refused unsafe XML ({type(exc).__name__})", 1), fatal=True)
    if _local(root.tag) != "export":
        return None, ParsedRow(1, problem=FieldProblem("xml", f"root element is <{_local(root.tag)[:40]}>, expected <export>", 1),
                               fatal=True)
    return root, None


def eu_source_date(path: Path) -> datetime | None:
    """The file's ``generationDate`` (its publication time)."""
    root, _ = read_eu(path.read_bytes())
    return _when(root.get("generationDate", "")) if root is not None else None


def parse_eu(path: Path) -> Iterator[ParsedRow]:
    """Yield one :class:`ParsedRow` per ``sanctionEntity``, in document order (line: its ordinal)."""
    root, problem = read_eu(path.read_bytes())
    if problem is not None:
        yield problem
        return
    assert root is not None
    seen: set[str] = set()
    for ordinal, element in enumerate((e for e in root if _local(e.tag) == "sanctionEntity"), 1):
        logical = (element.get("logicalId") or "").strip()
        subject = _children(element, "subjectType")
        kind = _SUBJECTS.get(subject[0].get("code", "") if subject else "")
        names = _unique(" ".join((a.get("wholeName") or "").split()) for a in _children(element, "nameAlias"))
        if not logical:
            yield ParsedRow(ordinal, problem=FieldProblem("logicalId", "is missing", ordinal))
        elif logical in seen:
            yield ParsedRow(ordinal, problem=FieldProblem("logicalId", f"{logical[:20]} appears more than once", ordinal))
        elif kind is None:
            yield ParsedRow(ordinal, problem=FieldProblem("subjectType", "must be person or enterprise", ordinal))
        elif not names:
            yield ParsedRow(ordinal, problem=FieldProblem("nameAlias", "the entity has no name", ordinal))
        else:
            seen.add(logical)
            yield ParsedRow(ordinal, draft=_draft(element, logical, kind, names))


def _draft(element: Element, logical: str, kind: SubjectKind, names: tuple[str, ...]) -> EntryDraft:
    identifiers: list[Identifier] = []
    unparsed: list[str] = []
    for ident in _children(element, "identification"):
        number = (ident.get("number") or ident.get("latinNumber") or "").strip()
        if not number:
            continue
        code = ident.get("identificationTypeCode", "")
        found = _try(_ID_TYPES.get(code, IdType.OTHER_ID), number)
        if found is None:
            unparsed.append(f"{code or 'document'}: {number}"[:200])
        else:
            identifiers.append(found)
    regulations = _children(element, "regulation")
    programme = regulations[0].get("programme", "") if regulations else ""
    published = [_when(r.get("publicationDate", "")) for r in regulations]
    listed = min((p for p in published if p is not None), default=None)
    reference = (element.get("euReferenceNumber") or "").strip()
    genders = [a.get("gender", "") for a in _children(element, "nameAlias") if a.get("gender")]
    extra: dict[str, object] = {"un_id": element.get("unitedNationId", "")} if element.get("unitedNationId") else {}
    remarks = [" ".join((r.text or "").split()) for r in _children(element, "remark")]
    if any(remarks):
        extra["remarks"] = " ".join(r for r in remarks if r)[:2000]
    if unparsed:
        extra["unparsed_ids"] = unparsed
    return EntryDraft(
        key=f"eu-{logical}",
        subject=kind,
        identifiers=tuple(dict.fromkeys(identifiers)),
        party=Party(
            names=names,
            birth_dates=_unique(b.get("birthdate") or b.get("year") or "" for b in _children(element, "birthdate")),
            nationalities=_unique(c.get("countryDescription") or c.get("countryIso2Code") or ""
                                  for c in _children(element, "citizenship")),
            countries=_unique(a.get("countryDescription") or a.get("countryIso2Code") or "" for a in _children(element, "address")),
            gender={"M": "Male", "F": "Female"}.get(genders[0], genders[0]) if genders else None,
        ),
        reason=" ".join(p for p in ("EU financial sanctions", programme, reference) if p),
        source=SOURCE,
        evidence_ref=f"eu:{reference or logical}",
        listed_at=listed,
        extra=extra,
    )


def _try(kind: IdType, raw: str) -> Identifier | None:
    try:
        return Identifier(kind, normalize(kind, raw))
    except InvalidIdentifier:
        return None


def _when(text: str) -> datetime | None:
    """``2024-05-06T17:47:56.157+02:00`` as an aware time; a bare date as midnight UTC."""
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(text[:10]), time(), UTC)
        except ValueError:
            return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _unique(values: Iterator[str] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
