"""The fund-flow ledger (#5): transfers between accounts, account kinds, amounts in minor units.

Money here is an integer number of minor units (``*_fen``): hundredths of the currency unit
(fen for CNY, cents for USD; also for JPY, whose sources quote two decimals), and
hundred-millionths for Bitcoin (``XBT``, satoshi). An amount with more decimals than its currency
allows is rejected, never rounded. Floats never enter a transfer: :class:`TransferDraft` refuses
them.

Terminal account kinds end a trace: money that reaches a merchant, a cash withdrawal, a wallet
top-up or an account at another bank has left the part of the ledger we can follow.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.identifiers import IdType, normalize
from finguard.core.money import MAX_MINOR, format_money, parse_money, places

MAX_FEN = MAX_MINOR
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_ACCOUNT = 128
# Chinese bank statements are in China time (no daylight saving); summaries show dates in it.
CHINA_TZ = timezone(timedelta(hours=8), "CST")


class AccountKind(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    CASH = "cash"  # a cash withdrawal (ATM, agent cash-out) or deposit
    WALLET = "wallet"  # a payment wallet top-up: WeChat 零钱 / 零钱通, Alipay
    EXTERNAL = "external"  # an account outside the ledger (another bank, unknown counterparty)

    @property
    def terminal(self) -> bool:
        return self is not AccountKind.CUSTOMER


# The monitors' columns carry each transfer's currency as a small integer: its position here
# (0: any other currency). Fixed, so codes mean the same in every process and in the mirror.
FRAME_CURRENCIES = (
    "", "CNY", "USD", "EUR", "HKD", "JPY", "GBP", "CHF", "AUD", "CAD", "SGD", "KRW", "INR", "RUB", "MXN", "ILS", "BRL",
    "SAR", "XBT", "NZD", "SEK", "NOK", "DKK", "THB", "MYR", "IDR", "PHP", "TRY", "ZAR", "PLN", "CZK", "HUF", "RON", "ISK",
    "BGN",
)  # fmt: skip


def exponent(currency: str) -> int:
    return places(currency)


def parse_amount_fen(raw: object, field_name: str = "amount", currency: str = "CNY") -> int:
    """A positive amount as integer minor units (:func:`finguard.core.money.parse_money`)."""
    return parse_money(raw, field_name, currency).minor


def format_amount(fen: int, currency: str = "CNY") -> str:
    """``400000`` CNY -> ``"4,000"`` (:func:`finguard.core.money.format_money`)."""
    return format_money(fen, currency)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_account(value: str, field_name: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput.for_field(field_name, "is empty; an account number or name is required")
    if len(value) > MAX_ACCOUNT:
        raise InvalidInput.for_field(field_name, f"is longer than {MAX_ACCOUNT} characters")
    if not value.isprintable() and (bad := _CONTROL.search(value)):  # PostgreSQL cannot store NUL; SQLite could
        raise InvalidInput.for_field(field_name, f"holds a control character ({bad.group()!r}); an id is printable text")
    return value


@dataclass(frozen=True, slots=True)
class AccountDraft:
    """What an import learned about an account. A later import fills gaps but never downgrades a
    terminal kind back to customer (see ``store.ledger_repo``)."""

    account: str
    kind: AccountKind = AccountKind.CUSTOMER
    name: str | None = None
    bank: str | None = None
    label_fraud: bool | None = None


@dataclass(frozen=True, slots=True)
class TransferDraft:
    """A transfer as a source states it, before it has a ledger id."""

    external_id: str
    src_account: str
    dst_account: str
    amount_fen: int
    currency: str
    at: datetime
    channel: str | None = None
    memo: str | None = None
    src_name: str | None = None
    dst_name: str | None = None
    dst_bank: str | None = None
    balance_after_fen: int | None = None
    label_laundering: bool | None = None
    typology: str | None = None

    def __post_init__(self) -> None:
        if type(self.amount_fen) is not int or self.amount_fen <= 0:
            raise InvalidInput.for_field("amount", f"must be a positive integer number of minor units, not {self.amount_fen!r}")
        if self.balance_after_fen is not None and type(self.balance_after_fen) is not int:
            raise InvalidInput.for_field("balance", f"must be an integer number of minor units, not {self.balance_after_fen!r}")
        if not CURRENCY.match(self.currency):
            raise InvalidInput.for_field("currency", f"{self.currency!r} is not a 3-letter currency code")
        if self.at.tzinfo is None:
            raise InvalidInput.for_field("at", "must carry a time zone")


@dataclass(frozen=True, slots=True)
class Transfer:
    """A stored transfer: the draft plus its ledger id and source."""

    id: int
    source: str
    draft: TransferDraft

    @property
    def src(self) -> str:
        return self.draft.src_account

    @property
    def dst(self) -> str:
        return self.draft.dst_account

    @property
    def amount_fen(self) -> int:
        return self.draft.amount_fen

    @property
    def at(self) -> datetime:
        return self.draft.at

    def as_dict(self) -> dict[str, Any]:
        d = self.draft
        return {
            "id": self.id,
            "source": self.source,
            "external_id": d.external_id,
            "src_account": d.src_account,
            "dst_account": d.dst_account,
            "amount": format_amount(d.amount_fen, d.currency).replace(",", ""),
            "amount_fen": d.amount_fen,
            "currency": d.currency,
            "at": d.at.isoformat(),
            "channel": d.channel,
            "memo": d.memo,
            "src_name": d.src_name,
            "dst_name": d.dst_name,
            "dst_bank": d.dst_bank,
            "balance_after_fen": d.balance_after_fen,
            "label_laundering": d.label_laundering,
            "typology": d.typology,
        }


@dataclass(frozen=True, slots=True)
class Account:
    account: str
    kind: AccountKind
    name: str | None = None
    bank: str | None = None
    label_fraud: bool | None = None


# Wallet providers named in statements, and the plain-language label of a top-up to each.
WALLET_LABELS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("微信", "财付通", "零钱"), "微信零钱充值", "WeChat wallet top-up"),
    (("支付宝", "余额宝", "alipay"), "支付宝充值", "Alipay top-up"),
)
KIND_LABELS: dict[AccountKind, tuple[str, str]] = {
    AccountKind.CUSTOMER: ("账户", "account"),
    AccountKind.MERCHANT: ("商户消费", "merchant payment"),
    AccountKind.CASH: ("取现", "cash withdrawal"),
    AccountKind.WALLET: ("钱包充值", "wallet top-up"),
    AccountKind.EXTERNAL: ("他行或外部账户", "account outside the ledger"),
}


def kind_label(kind: AccountKind, name: str | None, lang: str) -> str:
    """What reaching an account of this kind means, e.g. ``WeChat wallet top-up``."""
    if kind is AccountKind.WALLET and name:
        low = name.casefold()
        for words, zh, en in WALLET_LABELS:
            if any(w in low for w in words):
                return zh if lang == "zh" else en
    zh, en = KIND_LABELS[kind]
    return zh if lang == "zh" else en


class Direction(StrEnum):
    FORWARD = "forward"  # where did the money go
    BACKWARD = "backward"  # where did it come from


class Method(StrEnum):
    FIFO = "fifo"  # first in, first out (Clayton's rule)
    LIFO = "lifo"  # last in, first out
    PROPORTIONAL = "proportional"  # every payment carries a pro-rata share ("haircut")


class EndReason(StrEnum):
    TERMINAL = "terminal"  # reached a merchant, cash, wallet or external account
    REMAINS = "remains"  # forward: still in the account when the horizon ended; backward: was there before it began
    HOP_LIMIT = "hop_limit"  # made the maximum number of hops
    TRUNCATED = "truncated"  # a work bound stopped the trace here
    RETURNED = "returned"  # came back to the starting account (when everything that moved is traced)
    # the ledger holds no history of the account (no statement of it, no payment out of it):
    # forward, the money left the ledger's view there; backward, it entered the view there
    LEFT_VIEW = "left_view"


@dataclass(frozen=True, slots=True)
class TraceParams:
    account: str
    direction: Direction = Direction.FORWARD
    method: Method = Method.FIFO
    hops: int = 6
    horizon_days: float = 30.0
    start_transfer: int | None = None
    amount_fen: int | None = None  # default: the start transfer's amount, or all that moved
    at: datetime | None = None  # default: the start transfer's time, or the first transfer
    currency: str | None = None
    max_per_node: int = 1000
    max_edges: int = 5000

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.hops <= 20:
            problems.append(("hops", "must be between 1 and 20"))
        if not 0 < self.horizon_days <= 3660:
            problems.append(("horizon_days", "must be more than 0 and at most 3660 days"))
        if self.amount_fen is not None and (type(self.amount_fen) is not int or self.amount_fen <= 0):
            problems.append(("amount", "must be a positive amount"))
        if not 1 <= self.max_per_node <= 1_000_000:
            problems.append(("max_per_node", "must be between 1 and 1,000,000"))
        if not 1 <= self.max_edges <= 1_000_000:
            problems.append(("max_edges", "must be between 1 and 1,000,000"))
        if self.at is not None and self.at.tzinfo is None:
            problems.append(("at", "must carry a time zone"))
        elif self.at is not None and not 1900 <= self.at.year <= 2200:
            problems.append(("at", "must be between the years 1900 and 2200"))
        if self.currency is not None and not CURRENCY.match(self.currency):
            problems.append(("currency", "must be a 3-letter currency code"))
        if problems:
            from finguard.core.errors import FieldProblem

            raise InvalidInput(f"{problems[0][0]}: {problems[0][1]}", problems=[FieldProblem(f, p) for f, p in problems])


@dataclass(frozen=True, slots=True)
class TraceEdge:
    """One transfer that carried traced money. ``parents`` say which earlier edges funded it
    (edge index, minor units); the root's money has parent ``-1``."""

    index: int
    transfer_id: int
    src: str
    dst: str
    at: datetime
    amount_fen: int  # the whole transfer
    carried_fen: int  # the traced part of it
    hop: int
    parents: tuple[tuple[int, int], ...]
    memo: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "transfer_id": self.transfer_id,
            "src": self.src,
            "dst": self.dst,
            "at": self.at.isoformat(),
            "amount_fen": self.amount_fen,
            "carried_fen": self.carried_fen,
            "hop": self.hop,
            "parents": [{"edge": e, "fen": f} for e, f in self.parents],
            "memo": self.memo,
        }


@dataclass(frozen=True, slots=True)
class TraceEnd:
    """Where a part of the traced money ended, and why the trace stopped there."""

    account: str
    kind: AccountKind
    name: str | None
    amount_fen: int
    reason: EndReason
    hop: int
    first_at: datetime | None
    last_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "kind": self.kind.value,
            "name": self.name,
            "label_en": kind_label(self.kind, self.name, "en"),
            "label_zh": kind_label(self.kind, self.name, "zh"),
            "amount_fen": self.amount_fen,
            "reason": self.reason.value,
            "hop": self.hop,
            "first_at": self.first_at.isoformat() if self.first_at else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
        }


@dataclass(frozen=True, slots=True)
class Trace:
    """A finished trace. Money is conserved: ``sum(end.amount_fen) == amount_fen``."""

    params: TraceParams
    root: str
    root_kind: AccountKind
    root_name: str | None
    currency: str
    amount_fen: int
    start: datetime
    end: datetime
    start_transfer: Transfer | None
    edges: tuple[TraceEdge, ...]
    ends: tuple[TraceEnd, ...]
    accounts: dict[str, Account] = field(default_factory=dict)
    truncated: bool = False
    truncated_reasons: tuple[str, ...] = ()
    transfers_examined: int = 0

    def as_dict(self) -> dict[str, Any]:
        p = self.params
        return {
            "account": self.root,
            "direction": p.direction.value,
            "method": p.method.value,
            "hops": p.hops,
            "horizon_days": p.horizon_days,
            "currency": self.currency,
            "amount": format_amount(self.amount_fen, self.currency).replace(",", ""),
            "amount_fen": self.amount_fen,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "start_transfer": self.start_transfer.as_dict() if self.start_transfer else None,
            "edges": [e.as_dict() for e in self.edges],
            "ends": [e.as_dict() for e in self.ends],
            "accounts": {
                a.account: {"kind": a.kind.value, "name": a.name, "bank": a.bank, "label_fraud": a.label_fraud}
                for a in self.accounts.values()
            },
            "truncated": self.truncated,
            "truncated_reasons": list(self.truncated_reasons),
            "transfers_examined": self.transfers_examined,
        }


# -- trace parameters from text: the one parser the API, the CLI and the staff form share -------

TRACE_FIELDS = ("account", "direction", "method", "hops", "horizon_days", "start_transfer", "amount", "at", "currency")
TRACE_DEFAULTS = {"direction": "forward", "method": "fifo", "hops": "6", "horizon_days": "30"}
_INT = re.compile(r"\d{1,18}")

def parse_time(raw: str, field: str) -> datetime:
    """ISO 8601 (a space instead of ``T`` is fine); a time or date without a zone is China time."""
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.for_field(field, f"{raw[:40]!r} is not a date or time such as 2024-03-15 or 2024-03-15 10:00") from None
    return at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)

def parse_account(raw: str) -> str:
    if not raw:
        raise InvalidInput.for_field("account", "is required")
    if len(raw) > MAX_ACCOUNT or _CONTROL.search(raw):
        raise InvalidInput.for_field("account", f"must be 1 to {MAX_ACCOUNT} characters without control characters")
    return raw

def parse_trace_params(raw: Mapping[str, object]) -> TraceParams:
    """Trace parameters from the API, the CLI or the staff form, as text or typed values; every
    bad field is reported at once. Missing fields take the defaults of :class:`TraceParams`."""
    v = {k: "" if raw.get(k) is None else str(raw.get(k)).strip() for k in TRACE_FIELDS}
    for k, d in TRACE_DEFAULTS.items():
        v[k] = v[k] or d
    problems: list[FieldProblem] = []

    def check(parse: Any, *args: Any) -> Any:
        try:
            return parse(*args)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            return None

    account = check(parse_account, v["account"]) or "?"
    if v["direction"] not in {d.value for d in Direction}:
        problems.append(FieldProblem("direction", "must be forward or backward"))
    if v["method"] not in {m.value for m in Method}:
        problems.append(FieldProblem("method", "must be fifo, lifo or proportional"))
    hops = int(v["hops"]) if re.fullmatch(r"\d{1,3}", v["hops"]) else None
    if hops is None:
        problems.append(FieldProblem("hops", "must be a whole number from 1 to 20"))
    try:
        horizon: float | None = float(Decimal(v["horizon_days"]))
    except InvalidOperation:
        horizon = None
    if horizon is None or horizon != horizon or horizon in (float("inf"), float("-inf")):
        problems.append(FieldProblem("horizon_days", "must be a number of days, e.g. 30"))
        horizon = None
    start = None
    if v["start_transfer"]:
        start = int(v["start_transfer"]) if _INT.fullmatch(v["start_transfer"]) and int(v["start_transfer"]) > 0 else None
        if start is None:
            problems.append(FieldProblem("start_transfer", "must be a transfer id (a whole number)"))
    currency = v["currency"].upper() or None
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
        problems.append(FieldProblem("currency", "must be a 3-letter code such as CNY"))
        currency = None
    amount = check(parse_amount_fen, v["amount"], "amount", currency or "CNY") if v["amount"] else None
    at = check(parse_time, v["at"], "at") if v["at"] else None
    try:
        # Fields that could not be read take a valid stand-in, so the rest are still checked.
        params = TraceParams(
            account=account,
            direction=Direction(v["direction"]) if not any(p.field == "direction" for p in problems) else Direction.FORWARD,
            method=Method(v["method"]) if not any(p.field == "method" for p in problems) else Method.FIFO,
            hops=6 if hops is None else hops,
            horizon_days=30.0 if horizon is None else horizon,
            start_transfer=start,
            amount_fen=amount,
            at=at,
            currency=currency,
        )
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    return params


# -- the account register (#13): settlement accounts opened, changed, closed ------------------------


class AccountEventKind(StrEnum):
    OPENED = "opened"
    CHANGED = "changed"
    CLOSED = "closed"


class SettlementAccountType(StrEnum):
    """The account classes of the PBOC account rules: personal bank settlement accounts of class
    I, II and III; corporate basic, general, special and temporary deposit accounts."""

    PERSONAL_I = "personal_i"
    PERSONAL_II = "personal_ii"
    PERSONAL_III = "personal_iii"
    CORP_BASIC = "corp_basic"
    CORP_GENERAL = "corp_general"
    CORP_SPECIAL = "corp_special"
    CORP_TEMPORARY = "corp_temporary"

    @property
    def personal(self) -> bool:
        return self.value.startswith("personal")


class HolderIdType(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证
    PASSPORT = "passport"  # 护照
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证 / 居住证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证 / 居住证
    FOREIGN_RESIDENCE = "foreign_residence"  # 外国人永久居留身份证
    USCC = "uscc"  # 统一社会信用代码
    OTHER = "other"


ACCOUNT_TYPE_LABELS: dict[SettlementAccountType, tuple[str, str]] = {
    SettlementAccountType.PERSONAL_I: ("个人Ⅰ类银行结算账户", "personal class I settlement account"),
    SettlementAccountType.PERSONAL_II: ("个人Ⅱ类银行结算账户", "personal class II settlement account"),
    SettlementAccountType.PERSONAL_III: ("个人Ⅲ类银行结算账户", "personal class III settlement account"),
    SettlementAccountType.CORP_BASIC: ("基本存款账户", "basic deposit account"),
    SettlementAccountType.CORP_GENERAL: ("一般存款账户", "general deposit account"),
    SettlementAccountType.CORP_SPECIAL: ("专用存款账户", "special deposit account"),
    SettlementAccountType.CORP_TEMPORARY: ("临时存款账户", "temporary deposit account"),
}
ID_TYPE_LABELS: dict[HolderIdType, tuple[str, str]] = {
    HolderIdType.RESIDENT_ID: ("居民身份证", "resident identity card"),
    HolderIdType.PASSPORT: ("护照", "passport"),
    HolderIdType.HK_MACAO_PERMIT: ("港澳居民来往内地通行证", "Hong Kong / Macao resident permit"),
    HolderIdType.TAIWAN_PERMIT: ("台湾居民来往大陆通行证", "Taiwan resident permit"),
    HolderIdType.FOREIGN_RESIDENCE: ("外国人永久居留身份证", "foreigner permanent residence card"),
    HolderIdType.USCC: ("统一社会信用代码", "unified social credit code"),
    HolderIdType.OTHER: ("其他证件", "other document"),
}
EVENT_LABELS = {AccountEventKind.OPENED: "开户", AccountEventKind.CHANGED: "变更", AccountEventKind.CLOSED: "销户"}

# What a CSV may say for each code, beside the code itself (Chinese names and the usual short forms).
_ACCOUNT_TYPE_WORDS = {
    **{label.lower(): t for t, (zh, en) in ACCOUNT_TYPE_LABELS.items() for label in (zh, en)},
    "i类户": SettlementAccountType.PERSONAL_I, "ⅰ类户": SettlementAccountType.PERSONAL_I, "一类户": SettlementAccountType.PERSONAL_I,
    "ii类户": SettlementAccountType.PERSONAL_II, "ⅱ类户": SettlementAccountType.PERSONAL_II, "二类户": SettlementAccountType.PERSONAL_II,
    "iii类户": SettlementAccountType.PERSONAL_III, "ⅲ类户": SettlementAccountType.PERSONAL_III,
    "三类户": SettlementAccountType.PERSONAL_III,
    "基本户": SettlementAccountType.CORP_BASIC, "一般户": SettlementAccountType.CORP_GENERAL,
    "专用户": SettlementAccountType.CORP_SPECIAL, "临时户": SettlementAccountType.CORP_TEMPORARY,
}
_ID_TYPE_WORDS = {label.lower(): t for t, (zh, en) in ID_TYPE_LABELS.items() for label in (zh, en)} | {"身份证": HolderIdType.RESIDENT_ID}
_EVENT_WORDS = {zh: k for k, zh in EVENT_LABELS.items()}
_BRANCH = re.compile(r"[0-9A-Za-z]{4,32}")
MAX_HOLDER = 200
MAX_REASON = 500


def mask_id_number(value: str) -> str:
    """An ID number as logs and error messages show it: the first 3 and last 4 characters."""
    if len(value) <= 4:
        return "*" * len(value)
    keep = 3 if len(value) >= 10 else 1
    return value[:keep] + "*" * (len(value) - keep - 4) + value[-4:]


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """A settlement account opened, changed or closed, with what the PBOC account-management
    filing needs. ``id_number`` is kept whole (the filing needs it) and never shown in a repr."""

    account: str
    event: AccountEventKind
    event_date: date
    account_type: SettlementAccountType
    holder_name: str
    id_type: HolderIdType
    id_number: str = field(repr=False)
    branch_code: str
    reason: str = ""

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    def fingerprint(self) -> str:
        """The same event recorded twice (a file imported again) has the same fingerprint."""
        text = "\x1f".join((self.account, self.event.value, self.event_date.isoformat(), self.account_type.value,
                            self.holder_name, self.id_type.value, self.id_number, self.branch_code, self.reason))
        return hashlib.sha256(text.encode()).hexdigest()


def _code(raw: object, words: Mapping[str, Any], enum: Any, field_name: str, problems: list[FieldProblem]) -> Any:
    text = str(raw or "").strip()
    try:
        return enum(text.lower())
    except ValueError:
        found = words.get(text.lower())
        if found is None:
            problems.append(FieldProblem(field_name, f"must be one of {', '.join(e.value for e in enum)}"))
        return found


def parse_account_event(raw: Mapping[str, object]) -> AccountEvent:
    """One event from its raw fields (an API body or a CSV row); every bad field is reported at
    once (``InvalidInput``), naming the field; an ID number is never echoed back."""
    problems: list[FieldProblem] = []
    account = ""
    try:
        account = normalize(IdType.ACCOUNT, str(raw.get("account") or ""))
    except InvalidInput:
        problems.append(FieldProblem("account", "must be an account number (6 to 34 digits)"))
    event = _code(raw.get("event"), _EVENT_WORDS, AccountEventKind, "event", problems)
    day: date | None = None
    try:
        day = date.fromisoformat(str(raw.get("event_date") or "").strip())
    except ValueError:
        problems.append(FieldProblem("event_date", "must be a date, YYYY-MM-DD"))
    account_type = _code(raw.get("account_type"), _ACCOUNT_TYPE_WORDS, SettlementAccountType, "account_type", problems)
    holder = " ".join(str(raw.get("holder_name") or "").split())
    if not holder or len(holder) > MAX_HOLDER:
        problems.append(FieldProblem("holder_name", f"is required, at most {MAX_HOLDER} characters"))
    id_type = _code(raw.get("id_type"), _ID_TYPE_WORDS, HolderIdType, "id_type", problems)
    id_number = re.sub(r"\s+", "", str(raw.get("id_number") or "")).upper()
    if id_type is not None:
        id_number = _check_id(id_type, id_number, problems)
    if account_type is not None and id_type is not None:
        if account_type.personal and id_type is HolderIdType.USCC:
            problems.append(FieldProblem("id_type", "a personal account's holder is a person: not a unified social credit code"))
        if not account_type.personal and id_type not in (HolderIdType.USCC, HolderIdType.OTHER):
            problems.append(FieldProblem("id_type", "a corporate account's holder is identified by its uscc (or other)"))
    branch = str(raw.get("branch_code") or "").strip()
    if not _BRANCH.fullmatch(branch):
        problems.append(FieldProblem("branch_code", "must be 4 to 32 letters or digits"))
    reason = " ".join(str(raw.get("reason") or "").split())
    if len(reason) > MAX_REASON:
        problems.append(FieldProblem("reason", f"is longer than {MAX_REASON} characters"))
    elif event in (AccountEventKind.CHANGED, AccountEventKind.CLOSED) and not reason:
        problems.append(FieldProblem("reason", "is required when an account is changed or closed"))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    assert event is not None and day is not None and account_type is not None and id_type is not None
    return AccountEvent(account, event, day, account_type, holder, id_type, id_number, branch, reason)


def _check_id(id_type: HolderIdType, value: str, problems: list[FieldProblem]) -> str:
    checked = {HolderIdType.RESIDENT_ID: IdType.ID_NUMBER, HolderIdType.USCC: IdType.USCC,
               HolderIdType.PASSPORT: IdType.PASSPORT}.get(id_type)
    if checked is not None:
        try:
            return normalize(checked, value)
        except InvalidInput:
            problems.append(FieldProblem("id_number", f"is not a valid {id_type.value} number"))
            return value
    if not re.fullmatch(r"[0-9A-Z()\-]{4,64}", value):
        problems.append(FieldProblem("id_number", "must be 4 to 64 letters or digits"))
    return value
