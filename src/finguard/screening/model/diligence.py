"""Counterparty due diligence: who is screened, for what purpose, and what analysts decided."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.identifiers import IdType
from finguard.core.text import MAX_NAME_INPUT
from finguard.lists.model.lists import Identifier
from finguard.screening.model.names import clean_text, fold, is_han, strip_legal_forms, to_simplified


class Purpose(StrEnum):
    CONTRACT = "contract"
    MERCHANT = "merchant"
    SUPPLIER = "supplier"
    HIRE = "hire"
    CUSTOMER = "customer"


class PartyKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class DecisionKind(StrEnum):
    FALSE_POSITIVE = "false_positive"
    CONFIRMED = "confirmed"


class ScreenOutcome(StrEnum):
    MATCH = "match"
    CLOSE_MATCH = "close_match"
    NO_MATCH = "no_match"


@dataclass(frozen=True, slots=True)
class Counterparty:
    """A person or company the bank or its client is about to deal with."""

    key: str  # the caller's own id for the party (customer number, supplier code, ...)
    kind: PartyKind
    name: str
    purpose: Purpose
    birth_date: str | None = None
    country: str | None = None
    gender: str | None = None
    identifiers: tuple[Identifier, ...] = ()

    def data(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "purpose": self.purpose.value,
            "birth_date": self.birth_date,
            "country": self.country,
            "gender": self.gender,
            "identifiers": [{"type": i.type.value, "value": i.value} for i in self.identifiers],
        }

    def data_hash(self) -> str:
        """Changes when anything screened about the party changes (not the purpose)."""
        data = self.data()
        data.pop("purpose")
        raw = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


def infer_kind(name: str, purpose: str) -> PartyKind:
    """The kind of a party whose record does not say: a legal form in the name (``Co., Ltd.``,
    ``LLC``, ``有限公司``, ``OAO``, ``A.Ş.``, ``Α.Ε.``, ``주식회사``, ``sp. z o.o.``: see
    :func:`~finguard.screening.model.names.strip_legal_forms`) makes it an organisation; a supplier known only by identifiers is
    one too; otherwise a person. A supplier's name without a legal form stays a person: sole
    traders supply too, and screening a listed person as an organisation would lower an exact name
    match to "no match" (the kind-mismatch penalty), hiding exactly whom the check is for."""
    if purpose == Purpose.SUPPLIER and not name.strip():
        return PartyKind.ORGANISATION
    cleaned = clean_text(name)  # NFKC: ㈜ is (주), ㈱ (株)
    text = to_simplified(cleaned) if any(is_han(ch) for ch in cleaned) else fold(cleaned)
    return PartyKind.ORGANISATION if strip_legal_forms(text)[1] else PartyKind.PERSON


def counterparty_from_record(record: dict[str, Any], *, default_purpose: str = "customer") -> Counterparty:
    """Build and validate a counterparty from one CSV row / JSON object; every problem named."""
    problems: list[FieldProblem] = []

    def text(name: str, limit: int = 500) -> str | None:
        value = record.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            problems.append(FieldProblem(name, "must be a string"))
            return None
        if len(value) > limit:
            problems.append(FieldProblem(name, f"is longer than {limit} characters"))
            return None
        return value.strip() or None

    name = text("name", MAX_NAME_INPUT)
    has_ids = bool(record.get("identifiers")) or bool(record.get("id_value"))
    if name is None and not has_ids and not any(p.field == "name" for p in problems):
        problems.append(FieldProblem("name", "is required (or an identifier: a party known only by identifiers is screened by them)"))
    key = text("key", 200) or (name or "")[:200]
    purpose_raw = text("purpose", 32) or default_purpose
    kind_raw = text("kind", 32) or infer_kind(name or "", purpose_raw).value
    kind = PartyKind.PERSON
    try:
        kind = PartyKind(kind_raw)
    except ValueError:
        problems.append(FieldProblem("kind", f"unknown kind {kind_raw!r}; accepted: person, organisation"))
    purpose = Purpose.CUSTOMER
    try:
        purpose = Purpose(purpose_raw)
    except ValueError:
        problems.append(FieldProblem("purpose", f"unknown purpose {purpose_raw!r}; accepted: {', '.join(Purpose)}"))
    identifiers: list[Identifier] = []
    raw_ids = record.get("identifiers") or []
    if isinstance(record.get("id_type"), str) and record.get("id_value"):
        raw_ids = [*raw_ids, {"type": record["id_type"], "value": record["id_value"]}] if isinstance(raw_ids, list) else raw_ids
    if not isinstance(raw_ids, list):
        problems.append(FieldProblem("identifiers", "must be a list of {type, value} objects"))
        raw_ids = []
    for i, item in enumerate(raw_ids):
        if not isinstance(item, dict) or item.get("type") not in IdType.__members__.values():
            problems.append(FieldProblem(f"identifiers[{i}].type", f"must be one of {', '.join(IdType)}"))
            continue
        try:
            identifiers.append(Identifier.parse(str(item["type"]), item.get("value"), f"identifiers[{i}].value"))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    fields = {"birth_date": text("birth_date", 40), "country": text("country", 100), "gender": text("gender", 20)}
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    if not key and identifiers:
        key = f"{identifiers[0].type.value}:{identifiers[0].value}"
    return Counterparty(key, kind, name or "", purpose, identifiers=tuple(identifiers), **fields)


@dataclass(frozen=True, slots=True)
class Decision:
    """An analyst's judgement on a (party, list entry) pair. Decisions are appended, never edited."""

    party_key: str
    entry_id: int
    decision: DecisionKind
    reason: str
    actor: str
    at: datetime
    party_hash: str
    entry_version: int

    def still_applies(self, party_hash: str, entry_version: int) -> bool:
        """A decision holds until the party record or the list entry changes."""
        return self.party_hash == party_hash and self.entry_version == entry_version
