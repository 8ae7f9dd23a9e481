"""Name / ID-number consistency through a registry adapter.

In production the adapter calls the bank's real-name verification channel (the public-security
citizen identity service, through whichever provider the bank contracts); here it is a Protocol
with one implementation over a local file (``identity.store.registry_file``) for tests and the
demo.  A registry that cannot be asked gives ``unavailable``, never ``consistent``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class NameIdOutcome(StrEnum):
    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class NameIdResult:
    outcome: NameIdOutcome
    source: str
    detail: str = ""


class RegistryUnavailable(Exception):
    """The registry could not answer (file missing, service down)."""


class IdentityRegistry(Protocol):
    name: str

    def name_for(self, id_number: str) -> str | None:
        """The registered name for an 18-digit resident ID number, or None if unknown."""
        ...


def normalise_name(name: str) -> str:
    """NFKC, no spaces or middle dots (·, used between the parts of transliterated names), upper case."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "·.•・").upper()


def check_name_id(registry: IdentityRegistry, name: str, id_number: str) -> NameIdResult:
    try:
        registered = registry.name_for(id_number)
    except RegistryUnavailable as exc:
        return NameIdResult(NameIdOutcome.UNAVAILABLE, registry.name, str(exc))
    if registered is None:
        return NameIdResult(NameIdOutcome.NOT_FOUND, registry.name)
    if normalise_name(registered) == normalise_name(name):
        return NameIdResult(NameIdOutcome.CONSISTENT, registry.name)
    return NameIdResult(NameIdOutcome.INCONSISTENT, registry.name)
