"""Risk lists, their entries and the change log, as pure values."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any

from finguard.core.errors import InvalidInput
from finguard.core.identifiers import IdType, normalize


class ListKind(StrEnum):
    FRAUD_ACCOUNT = "fraud_account"
    MULE_ACCOUNT = "mule_account"
    DISHONEST_DEBTOR = "dishonest_debtor"
    SANCTIONS = "sanctions"
    INTERNAL = "internal"
    ALLOW = "allow"


class RiskLevel(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, value: object, field: str = "risk_level") -> RiskLevel:
        if isinstance(value, RiskLevel):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value in (1, 2, 3, 4):
            return cls(value)
        if isinstance(value, str):
            text = value.strip().lower()
            if text.isdigit() and int(text) in (1, 2, 3, 4):
                return cls(int(text))
            for level in cls:
                if level.name.lower() == text:
                    return level
        raise InvalidInput.for_field(field, f"{str(value)[:40]!r} is not a risk level; accepted: low, medium, high, critical")

    @property
    def label(self) -> str:
        return self.name.lower()


class SubjectKind(StrEnum):
    IDENTIFIER = "identifier"  # an account, card, phone ... on its own
    PERSON = "person"
    ORGANISATION = "organisation"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"


class ChangeOp(StrEnum):
    ADD = "add"
    MODIFY = "modify"
    DELIST = "delist"


_CODE = re.compile(r"[a-z0-9][a-z0-9_\-]{1,63}")


def validate_list_code(code: object) -> str:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidInput.for_field("code", "must be 2 to 64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit")
    return code


@dataclass(frozen=True, slots=True)
class RiskList:
    code: str
    name: str
    kind: ListKind
    owner: str
    default_level: RiskLevel
    description: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Identifier:
    type: IdType
    value: str  # normalised

    @classmethod
    def parse(cls, id_type: str, raw: object, field: str | None = None) -> Identifier:
        value = normalize(id_type, raw, field)
        return cls(IdType(id_type), value)


@dataclass(frozen=True, slots=True)
class Party:
    """A named person or organisation on a list."""

    names: tuple[str, ...]  # the first is the primary name
    birth_dates: tuple[str, ...] = ()  # ISO dates or years as the source gives them
    nationalities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    gender: str | None = None

    @property
    def primary_name(self) -> str:
        return self.names[0] if self.names else ""


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """An entry as a source states it, before it has an id: the unit of import and of diffing."""

    key: str  # stable within the list: the source's own id, or type:value for identifiers
    subject: SubjectKind
    identifiers: tuple[Identifier, ...] = ()
    party: Party | None = None
    risk_level: RiskLevel | None = None  # None: the list's default
    reason: str = ""
    source: str = ""
    evidence_ref: str = ""
    listed_at: datetime | None = None
    expires_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """The facts that a diff compares: everything except the key itself."""
        data = draft_to_dict(self)
        data.pop("key")
        return data

    def content_hash(self) -> str:
        return content_hash(draft_to_dict(self))


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    list_code: str
    list_kind: ListKind
    draft: EntryDraft
    risk_level: RiskLevel
    version: int
    created_seq: int
    updated_seq: int
    delisted_at: datetime | None = None
    delist_reason: str | None = None

    def is_active(self, now: datetime) -> bool:
        if self.delisted_at is not None:
            return False
        expires = self.draft.expires_at
        return expires is None or expires > now


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the append-only change log: who changed what, when, and the entry after it."""

    seq: int
    at: datetime
    actor: str
    op: ChangeOp
    list_code: str
    entry_id: int
    entry_key: str
    snapshot: dict[str, Any]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, StrEnum):
        return str(value)
    return value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def draft_to_dict(draft: EntryDraft) -> dict[str, Any]:
    """The draft as JSON-ready data (built by hand: ``dataclasses.asdict`` deep-copies and is slow)."""
    p = draft.party
    return {
        "key": draft.key,
        "subject": draft.subject.value,
        "identifiers": [{"type": i.type.value, "value": i.value} for i in draft.identifiers],
        "party": None
        if p is None
        else {
            "names": list(p.names),
            "birth_dates": list(p.birth_dates),
            "nationalities": list(p.nationalities),
            "countries": list(p.countries),
            "gender": p.gender,
        },
        "risk_level": int(draft.risk_level) if draft.risk_level is not None else None,
        "reason": draft.reason,
        "source": draft.source,
        "evidence_ref": draft.evidence_ref,
        "listed_at": _iso(draft.listed_at),
        "expires_at": _iso(draft.expires_at),
        "extra": _jsonable(draft.extra) if draft.extra else {},
    }


def content_hash(data: dict[str, Any]) -> str:
    """SHA-256 of a draft's data without its key: equal content, equal hash."""
    content = {k: v for k, v in data.items() if k != "key"}
    raw = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def draft_from_dict(data: dict[str, Any]) -> EntryDraft:
    party = data.get("party")
    return EntryDraft(
        key=data["key"],
        subject=SubjectKind(data["subject"]),
        identifiers=tuple(Identifier(IdType(i["type"]), i["value"]) for i in data.get("identifiers") or ()),
        party=Party(
            names=tuple(party.get("names") or ()),
            birth_dates=tuple(party.get("birth_dates") or ()),
            nationalities=tuple(party.get("nationalities") or ()),
            countries=tuple(party.get("countries") or ()),
            gender=party.get("gender"),
        )
        if party
        else None,
        risk_level=RiskLevel(data["risk_level"]) if data.get("risk_level") else None,
        reason=data.get("reason") or "",
        source=data.get("source") or "",
        evidence_ref=data.get("evidence_ref") or "",
        listed_at=datetime.fromisoformat(data["listed_at"]) if data.get("listed_at") else None,
        expires_at=datetime.fromisoformat(data["expires_at"]) if data.get("expires_at") else None,
        extra=dict(data.get("extra") or {}),
    )
