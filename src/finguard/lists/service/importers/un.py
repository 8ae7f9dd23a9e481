"""Parser for the UN Security Council consolidated sanctions list (XML).

``CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL`` and ``CONSOLIDATED_LIST/ENTITIES/ENTITY`` become one
entry draft each. The document is parsed with :mod:`defusedxml`, so entity declarations and
external references are refused rather than expanded. A document that cannot be parsed yields a
single problem row carrying the line of the error; it never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from finguard.core.errors import FieldProblem, InvalidIdentifier
from finguard.core.identifiers import IdType, normalize
from finguard.lists.model.lists import EntryDraft, Identifier, Party, SubjectKind
from finguard.lists.service.importers import ParsedRow

SOURCE = "UN Security Council consolidated list"
MAX_COMMENTS = 2000
_RECORDS = {"INDIVIDUAL": SubjectKind.PERSON, "ENTITY": SubjectKind.ORGANISATION}
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
# "CAR diplomatic passport no. D00000898", "French passport number 05AT521433", "Diplomatic Passport: Z30321794"
_NUMBER_MARKER = re.compile(r".*(?:\bno\b\.?|\bnumber\b|:)\s*", re.IGNORECASE)
_PARENTHESES = re.compile(r"\([^()]*\)")


class _LineTreeBuilder(TreeBuilder):
    """A tree builder that remembers the source line where each record element starts."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: Any = None
        self.lines: dict[int, int] = {}

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        element = super().start(tag, attrs)
        if tag in _RECORDS and self.parser is not None:
            self.lines[id(element)] = int(self.parser.parser.CurrentLineNumber)
        return element


class _Unreadable(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_un(xml_path: Path) -> Iterator[ParsedRow]:
    """Yield one :class:`ParsedRow` per INDIVIDUAL and ENTITY, in document order."""
    try:
        root, lines = _parse(xml_path.read_bytes())
    except _Unreadable as exc:
        yield ParsedRow(exc.line, problem=FieldProblem("xml", exc.message, exc.line), fatal=True)
        return
    if root.tag != "CONSOLIDATED_LIST":
        yield ParsedRow(1, problem=FieldProblem("xml", f"root element is <{root.tag[:40]}>, expected <CONSOLIDATED_LIST>", 1), fatal=True)
        return
    seen: set[str] = set()
    ordinal = 0
    for element in root.iter():
        if element.tag not in _RECORDS:
            continue
        ordinal += 1
        line = lines.get(id(element), ordinal)
        data_id = _text(element, "DATAID")
        names = _names(element)
        if not data_id:
            yield ParsedRow(line, problem=FieldProblem("DATAID", "is missing", line))
        elif data_id in seen:
            yield ParsedRow(line, problem=FieldProblem("DATAID", f"{data_id[:20]} appears more than once", line))
        elif not names:
            yield ParsedRow(line, problem=FieldProblem("FIRST_NAME", "the record has no name", line))
        else:
            seen.add(data_id)
            yield ParsedRow(line, draft=_draft(element, data_id, names))


def _parse(data: bytes) -> tuple[Element, dict[int, int]]:
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(data)
        root: Element = parser.close()
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        raise _Unreadable(line, f"malformed XML: {exc}") from None
    except DefusedXmlException as exc:
        line = int(parser.parser.CurrentLineNumber) or 1
        raise _Unreadable(line, f"refused unsafe XML ({type(exc).__name__}): DTDs and entities are not accepted") from None
    return root, builder.lines


def _draft(element: Element, data_id: str, names: list[str]) -> EntryDraft:
    list_type = _text(element, "UN_LIST_TYPE")
    reference = _text(element, "REFERENCE_NUMBER")
    identifiers, unparsed = _documents(element)
    extra: dict[str, object] = {"comments": _text(element, "COMMENTS1")[:MAX_COMMENTS]}
    if unparsed:
        extra["unparsed_ids"] = unparsed
    return EntryDraft(
        key=f"un-{data_id}",
        subject=_RECORDS[element.tag],
        identifiers=tuple(dict.fromkeys(identifiers)),
        party=Party(
            names=tuple(names),
            birth_dates=_unique(_birth_date(dob) for dob in element.iter("INDIVIDUAL_DATE_OF_BIRTH")),
            nationalities=_unique(_clean(v.text) for n in element.iter("NATIONALITY") for v in n.iter("VALUE")),
            countries=_unique(
                _clean(c.text) for tag in ("INDIVIDUAL_ADDRESS", "ENTITY_ADDRESS") for a in element.iter(tag) for c in a.iter("COUNTRY")
            ),
            gender=_text(element, "GENDER") or None,
        ),
        reason=" ".join(part for part in ("UN Security Council", list_type, reference) if part),
        source=SOURCE,
        evidence_ref=f"un:{reference or data_id}",
        listed_at=_listed_on(_text(element, "LISTED_ON")),
        extra=extra,
    )


def _names(element: Element) -> list[str]:
    if element.tag == "INDIVIDUAL":
        primary = " ".join(part for part in (_text(element, tag) for tag in _NAME_PARTS) if part)
    else:
        primary = _text(element, "FIRST_NAME")
    aliases = (_clean(a.findtext("ALIAS_NAME")) for tag in ("INDIVIDUAL_ALIAS", "ENTITY_ALIAS") for a in element.iter(tag))
    candidates = [primary, _text(element, "NAME_ORIGINAL_SCRIPT"), *aliases]
    return list(_unique(candidates)) if primary else []


def _birth_date(dob: Element) -> str:
    """DATE as given (ISO), else YEAR, else ``FROM_YEAR-TO_YEAR``."""
    value = _text(dob, "DATE") or _text(dob, "YEAR")
    if value:
        return value
    start, end = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
    return f"{start}-{end}" if start and end else start or end


def _documents(element: Element) -> tuple[list[Identifier], list[str]]:
    identifiers: list[Identifier] = []
    unparsed: list[str] = []
    for doc in element.iter("INDIVIDUAL_DOCUMENT"):
        raw = _text(doc, "NUMBER")
        if not raw:
            continue
        kind_text = _text(doc, "TYPE_OF_DOCUMENT")
        country = _text(doc, "ISSUING_COUNTRY") or _text(doc, "COUNTRY_OF_ISSUE")
        found = _document(kind_text.lower(), clean_document_number(raw), country)
        if found is None:
            unparsed.append(f"{kind_text or 'document'}: {raw}")
        else:
            identifiers.append(found)
    return identifiers, unparsed


def _document(kind_text: str, number: str, country: str) -> Identifier | None:
    if not any(ch.isdigit() for ch in number):
        return None
    if "passport" in kind_text or "pasaporte" in kind_text or "passeport" in kind_text:
        return _try(IdType.PASSPORT, number)
    if "national identification" in kind_text:
        if (not country or "china" in country.lower()) and (found := _try(IdType.ID_NUMBER, number)):
            return found
        return _try(IdType.NATIONAL_ID, number)
    return _try(IdType.OTHER_ID, number)


def clean_document_number(raw: str) -> str:
    """Strip the prose the list puts around document numbers.

    ``"CAR diplomatic passport no. D00000898"`` -> ``"D00000898"``;
    ``"563210184 (Expires 18 Jun. 2018)"`` -> ``"563210184"``; ``"Libya B014995"`` -> ``"B014995"``;
    ``"R00012098, South Sudan"`` -> ``"R00012098"``.
    """
    text = _PARENTHESES.sub(" ", raw).strip()
    text = _NUMBER_MARKER.sub("", text, count=1).strip() or text
    text = text.split(",")[0]  # "R00012098, South Sudan"
    words = text.split()
    while len(words) > 1 and len(words[0]) >= 3 and words[0].isalpha():
        words.pop(0)  # leading country or document words: "Libya", "Jordan", "British"
    return " ".join(words)


def _try(kind: IdType, raw: str) -> Identifier | None:
    try:
        return Identifier(kind, normalize(kind, raw))
    except InvalidIdentifier:
        return None


def _listed_on(text: str) -> datetime | None:
    """LISTED_ON as midnight UTC; a few values carry a time zone suffix (``2001-01-25-05:00``)."""
    try:
        return datetime.combine(date.fromisoformat(text[:10]), time(), UTC)
    except ValueError:
        return None


def _text(element: Element, tag: str) -> str:
    return _clean(element.findtext(tag))


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _unique(values: Iterator[str] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
