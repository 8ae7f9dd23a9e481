"""The payee check: request, hits, and the rule that turns hits into an outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from finguard.core.errors import FieldProblem, InvalidIdentifier, InvalidInput
from finguard.core.identifiers import IdType, normalize
from finguard.core.money import parse_money
from finguard.lists.model.lists import ListKind, RiskLevel


class Outcome(StrEnum):
    PASS = "pass"
    WARN = "warn"
    BLOCK = "block"
    UNAVAILABLE = "unavailable"


class MatchKind(StrEnum):
    EXACT = "exact"  # an identifier equal after normalisation
    NAME = "name"  # a name matched by the name matcher


# Request fields that carry an identifier, and the identifier type each one is.
CHECK_FIELDS: tuple[tuple[str, IdType], ...] = (
    ("account", IdType.ACCOUNT),
    ("card", IdType.CARD),
    ("phone", IdType.PHONE),
    ("id_number", IdType.ID_NUMBER),
    ("uscc", IdType.USCC),
    ("email", IdType.EMAIL),
    ("device", IdType.DEVICE),
    ("ip", IdType.IP),
)
MAX_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """What a caller asks about a payee. All identifier fields are raw, as typed."""

    account: str | None = None
    card: str | None = None
    phone: str | None = None
    id_number: str | None = None
    uscc: str | None = None
    email: str | None = None
    device: str | None = None
    ip: str | None = None
    name: str | None = None
    bank: str | None = None
    channel: str | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Probe:
    """One normalised identifier to look up, and the request field it came from."""

    field: str
    id_type: IdType
    value: str


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    probes: tuple[Probe, ...]
    name: str | None
    bank: str | None
    channel: str | None
    amount: Decimal | None


def parse_request(req: CheckRequest) -> ParsedRequest:
    """Normalise every identifier; report every bad field at once."""
    problems: list[FieldProblem] = []
    probes: list[Probe] = []
    for name, id_type in CHECK_FIELDS:
        raw = getattr(req, name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            probes.append(Probe(name, id_type, normalize(id_type, raw, name)))
        except InvalidIdentifier as exc:
            problems.extend(exc.problems)
    name_value = req.name.strip() if isinstance(req.name, str) else None
    if name_value and len(name_value) > MAX_NAME_LENGTH:
        problems.append(FieldProblem("name", f"is longer than {MAX_NAME_LENGTH} characters"))
    amount: Decimal | None = None
    if req.amount is not None:
        try:
            amount = parse_money(req.amount, "amount", allow_zero=True).decimal
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    if not probes and not name_value:
        raise InvalidInput.for_field("payee", "give at least one of account, card, phone, id_number, uscc, email, device, ip or name")
    return ParsedRequest(tuple(probes), name_value or None, req.bank, req.channel, amount)


@dataclass(frozen=True, slots=True)
class Hit:
    """One list entry that matched one field of the request."""

    list_code: str
    list_kind: ListKind
    entry_id: int
    entry_key: str
    field: str
    match: MatchKind
    risk_level: RiskLevel
    reason: str
    source: str
    evidence_ref: str
    listed_at: datetime | None
    matched_value: str
    score: float = 1.0  # 1.0 for exact identifier equality

    @property
    def is_allow(self) -> bool:
        return self.list_kind is ListKind.ALLOW


@dataclass(frozen=True, slots=True)
class CheckResult:
    check_id: str
    outcome: Outcome
    risk_level: RiskLevel | None
    hits: tuple[Hit, ...]
    seq: int  # the change-log sequence this answer reflects
    checked_at: datetime
    reasons: tuple[str, ...] = field(default_factory=tuple)
    # The name's own outcome beside the identifiers': match / close_match / no_match; None without a name.
    name_outcome: str | None = None


# The order in which outcomes protect the payer: a combination may raise an outcome, never lower it.
SEVERITY: dict[Outcome, int] = {Outcome.PASS: 0, Outcome.WARN: 1, Outcome.BLOCK: 2, Outcome.UNAVAILABLE: 3}


def cleared(risk: Hit, allow: list[Hit]) -> Hit | None:
    """The allow hit that clears ``risk``, if any: an allow entry that names the same identifier
    (same request field, same value, matched exactly) at a level at least the risk's.

    A verification is a statement about one identifier. It never reaches another field of the
    request (a verified account does not vouch for the card beside it), and a name match, exact
    or fuzzy, never clears anything and is never cleared: names are shared by many people.
    """
    if risk.match is not MatchKind.EXACT:
        return None
    for a in allow:
        same = a.match is MatchKind.EXACT and a.field == risk.field and a.matched_value == risk.matched_value
        if same and a.risk_level >= risk.risk_level:
            return a
    return None


def decide(hits: tuple[Hit, ...] | list[Hit]) -> tuple[Outcome, RiskLevel | None, tuple[str, ...]]:
    """Turn hits into an outcome. The policy, in order:

    1. Each risk hit on an identifier is cleared by an allow entry on **that** identifier at a
       level at least its own (:func:`cleared`): the bank verified this payee, which outweighs
       risk entries of lower or equal level on it; a higher-level risk entry (e.g. a critical
       police report after the verification) still stands.
    2. No risk hit left: ``pass``.
    3. An identifier hit left at ``high`` or ``critical``: ``block``; otherwise ``warn``.
       A name hit alone never blocks: names are shared by many innocent people.

    Each field is judged on its own hits, and the request takes the worst: no combination of
    fields lowers the outcome any one of them has alone, and an allow-listed value weighs
    exactly as an unlisted one on every other field (no public oracle).
    """
    allow = [h for h in hits if h.is_allow]
    risk: list[Hit] = []
    reasons: list[str] = []
    for h in hits:
        if h.is_allow:
            continue
        by = cleared(h, allow)
        if by is None:
            risk.append(h)
        else:
            reasons.append(f"{h.field}: allow-list entry at level {by.risk_level.label} outweighs risk level {h.risk_level.label}")
    if not risk:
        top_cleared = max((h.risk_level for h in hits if not h.is_allow), default=None)
        return Outcome.PASS, top_cleared, tuple(reasons) or ("no risk list entry matched",)
    top = max(h.risk_level for h in risk)
    id_top = max((h.risk_level for h in risk if h.match is MatchKind.EXACT), default=None)
    if id_top is not None and id_top >= RiskLevel.HIGH:
        return Outcome.BLOCK, top, (f"identifier listed at risk level {id_top.label}", *reasons)
    return Outcome.WARN, top, (f"listed at risk level {top.label}", *reasons)


# Public advice depends on the outcome only, never on which list or why: identical answers
# for every hit keep the public view from revealing list contents.
PUBLIC_ADVICE: dict[Outcome, dict[str, str]] = {
    Outcome.BLOCK: {
        "zh": "高风险：请勿向该收款人转账。如您被要求转账，极可能是诈骗，请立即拨打全国反诈专线 96110 或报警 110。",
        "en": "High risk: do not transfer money to this payee. If someone asked you to pay, it is very likely a scam: "
        "call the anti-fraud hotline 96110 or the police on 110 now.",
    },
    Outcome.WARN: {
        "zh": "存在风险：请暂停转账，通过官方渠道核实收款人身份；如有疑问请拨打反诈专线 96110。",
        "en": "Caution: pause the transfer and verify the payee through an official channel; "
        "if in doubt, call the anti-fraud hotline 96110.",
    },
    Outcome.PASS: {
        "zh": "未发现风险记录。这不代表对方一定可信：凡是要求您转账到“安全账户”的，都是诈骗。",
        "en": "No risk record found. This does not prove the payee is trustworthy: "
        "anyone asking you to move money to a 'safe account' is a scammer.",
    },
    Outcome.UNAVAILABLE: {
        "zh": "暂时无法完成核验，请稍后重试；在核验完成之前请勿转账。",
        "en": "The check cannot be completed right now. Please try again later and do not transfer until it completes.",
    },
}


@dataclass(frozen=True, slots=True)
class PublicAnswer:
    """What the public sees: the outcome and advice. Never a list, an entry or a reason."""

    check_id: str
    outcome: Outcome
    advice_zh: str
    advice_en: str


def public_view(result: CheckResult) -> PublicAnswer:
    advice = PUBLIC_ADVICE[result.outcome]
    return PublicAnswer(result.check_id, result.outcome, advice["zh"], advice["en"])
