"""Parsers that turn transfer files into :class:`ParsedTransfer` rows, with line numbers.

They never touch the store; ``finguard.ledger.service.import_transfers`` applies the rows in one
transaction. Formats (``read_transfers``):

``amlsim``
    IBM AMLSim ``transactions.csv`` (``sourceNodeId,targetNodeId,value,time``) with ``nodes.csv``
    beside it when present (``nodeid,isFraud,...``: the accounts and their fraud labels). AMLSim's
    ``time`` is a step; step ``n`` becomes ``epoch + n days`` (``epoch`` defaults to 2020-01-01
    UTC). Accounts are named ``amlsim:<nodeid>`` so they never collide with real account numbers.
    With ``nodes.csv``, a transfer naming a node it does not list is a bad row.
``amlsim-nodes``
    ``nodes.csv`` alone: accounts and labels, no transfers.
``amlworld``
    The AMLworld laundering-patterns JSON (``{"patterns": [{"pattern_type", "transactions":
    [...]}]}``). Each transfer gets its typology (``fan_out``, ``cycle``, ...), the attempt in
    its memo (``AMLworld attempt 12: FAN-OUT: ...``), its ``is_laundering`` label and its own
    currency (nothing is converted), and the id the transactions CSV gives the same transaction
    (:func:`amlworld_id`; both formats import under the source ``amlworld``), so importing both
    files of a data set stores each transaction once, and the patterns file, imported second,
    adds its typologies to the transfers the CSV stored. Times are UTC. A transfer paid in one
    currency and received in another is a bad row: a transfer has one currency.
    Accounts are named by their AMLworld account (``800737690``); numeric banks lose their padding.
``amlworld-csv``
    The AMLworld transactions CSV (``HI-Small_Trans.csv`` ...): ``Timestamp,From Bank,Account,
    To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,
    Is Laundering`` (the second ``Account`` may be ``Account.1``), read by position and streamed.
    Accounts and banks are named as by ``amlworld``, so both files of one data set meet on the
    same accounts; the payee's bank is kept, ``Payment Format`` is the channel, ``Is Laundering``
    (0 or 1) the ``label_laundering``. A transfer is what left the payer: the amount paid, in the
    payment currency (nothing is converted); when the amount or currency received differs (a
    currency exchange), the memo says ``received <amount> <code>``. Ids: see
    :class:`AmlworldRows`; the source is ``amlworld``, as for the patterns JSON, whose laundering
    transfers are rows of this file too and get the same ids.
``paysim``
    PaySim CSV. Step ``n`` becomes ``epoch + n hours``. ``PAYMENT`` goes to a merchant, ``CASH_OUT``
    to a cash point, ``DEBIT`` to an external bank; ``CASH_IN`` is money arriving from a cash point
    (``nameDest``) to the customer (``nameOrig``). ``isFraud`` is stored as ``label_laundering``.
``statement``
    A personal-account statement or wallet export of one account, as received: CSV (UTF-8,
    UTF-8-BOM, GBK/GB18030; comma or tab), XLSX or a text PDF, in any layout of
    ``statements.PROFILES`` (ICBC, CCB, ABC, BOC, BoCom, CMB, PSBC, Alipay, WeChat Pay), any
    layout with the usual column names (``generic``), or one described by a mapping file
    (``docs/statements.md``). Title, account, total and footer lines are found and skipped
    (skipped rows are reported). Each row becomes the canonical columns 交易时间, 交易金额,
    借贷标志, 对方账号, 对方户名, 对方行名, 余额, 摘要, 币种, 流水号, 交易渠道 (see
    :func:`statement_draft`). The own account is ``account``, else the statement's account line
    (账号：/卡号：), else, for a wallet export, ``<profile>:<holder>``. Times are China time
    (UTC+8). Counterparties named 微信/财付通/零钱(通)/支付宝/余额宝 are wallets,
    ATM/取现/取款/现金 cash, 消费/POS merchants. A row with no 对方账号 gets the counterparty
    ``<kind>:<对方户名 or 摘要>``. A 币种 other than the statement's currency is a bad row.

AMLSim and PaySim carry no currency: they are imported as ``currency`` (default CNY).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from finguard.core.csvheader import line_reached
from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.money import parse_money
from finguard.ledger.model import (
    CHINA_TZ,
    CURRENCY,
    AccountDraft,
    AccountKind,
    TransferDraft,
    check_account,
    exponent,
    parse_amount_fen,
)
from finguard.ledger.service import ParsedTransfer
from finguard.ledger.service.sheets import Sheet, read_sheet
from finguard.ledger.service.statements import Layout, detect, detect_mapped, load_mapping, rows_of

CHINA = CHINA_TZ
DEFAULT_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
MAX_TEXT = 200
MAX_STEP = 100_000


class TransferFormat(StrEnum):
    AMLSIM = "amlsim"
    AMLSIM_NODES = "amlsim-nodes"
    AMLWORLD = "amlworld"
    AMLWORLD_CSV = "amlworld-csv"
    PAYSIM = "paysim"
    STATEMENT = "statement"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    account: str | None = None  # the statement's own account
    currency: str = "CNY"
    epoch: datetime = field(default=DEFAULT_EPOCH)
    bank: str | None = None  # the statement's own bank
    holder: str | None = None  # the statement's account holder
    profile: str | None = None  # statement: a layout by name (statements.PROFILE_NAMES); None detects it
    mapping: Path | None = None  # statement: a TOML mapping file for any other layout

    def __post_init__(self) -> None:
        if not CURRENCY.match(self.currency):
            raise InvalidInput.for_field("currency", f"{self.currency[:10]!r} is not a 3-letter currency code such as CNY")
        if self.epoch.tzinfo is None:
            raise InvalidInput.for_field("epoch", "must carry a time zone")


def _hash_id(prefix: str, *parts: object) -> str:
    return prefix + hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=10).hexdigest()


def _text(value: object, name: str, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise InvalidInput.for_field(name, f"is longer than {limit} characters")
    if "\x00" in text:
        raise InvalidInput.for_field(name, NUL)
    return text or None


# PostgreSQL cannot store a NUL in text (SQLite can): refused on both, naming the column and line,
# in every column read (one the format ignores, such as AMLSim's tran_id, too).
NUL = "holds a NUL character; nothing was imported"


def _nul_column(names: Sequence[str], fields: Sequence[str | None]) -> str | None:
    """The first column whose cell holds a NUL character, if any."""
    for name, value in zip(names, fields, strict=False):
        if value is not None and "\x00" in value:
            return name
    return None


def _flag(value: object, name: str) -> bool:
    text = str(value).strip()
    if text in ("1", "1.0", "true", "True"):
        return True
    if text in ("0", "0.0", "false", "False", ""):
        return False
    raise InvalidInput.for_field(name, f"{text[:20]!r} is not 0 or 1")


def _step(value: object, name: str) -> int:
    text = str(value).strip()
    try:
        step = Decimal(text)
    except InvalidOperation:
        step = Decimal(-1)
    if not step.is_finite() or step != step.to_integral_value() or not 0 <= step <= MAX_STEP:
        raise InvalidInput.for_field(name, f"{text[:20]!r} is not a step number (0 to {MAX_STEP})")
    return int(step)


def _signed_fen(value: object, name: str, currency: str) -> int | None:
    """A balance: may be zero or negative (overdraft); empty means unknown."""
    if value is None or not str(value).strip():
        return None
    return parse_money(str(value), name, currency, allow_zero=True, allow_negative=True).minor


def _problem_row(line: int, exc: InvalidInput, prefix: str = "") -> ParsedTransfer:
    p = exc.problems[0] if exc.problems else FieldProblem("row", exc.message)
    return ParsedTransfer(line, problem=FieldProblem(prefix + p.field, p.problem, line))


def _csv_rows(stream: IO[str], required: tuple[str, ...], name: str) -> Iterator[tuple[int, dict[str, str]] | ParsedTransfer]:
    """Rows of a CSV with a header, as (line, record), or problem rows."""
    reader = csv.DictReader(stream)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        yield ParsedTransfer(1, problem=FieldProblem("header", f"is not valid CSV ({exc})", 1))
        return
    if not header:
        yield ParsedTransfer(1, problem=FieldProblem("header", f"the {name} file is empty; a header row is required", 1))
        return
    header = [h.strip() for h in header]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        yield ParsedTransfer(
            1, problem=FieldProblem("header", f"misses column(s) {', '.join(missing)}; required: {', '.join(required)}", 1)
        )
        return
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                yield ParsedTransfer(line, problem=FieldProblem("row", "has more fields than the header", line))
                continue
            if any(record.get(c) is None for c in required):
                yield ParsedTransfer(line, problem=FieldProblem("row", "has fewer fields than the header", line))
                continue
            if (nul := next((k for k, v in record.items() if v is not None and "\x00" in v), None)) is not None:
                yield ParsedTransfer(line, problem=FieldProblem(nul, NUL, line))
                continue
            yield line, record
    except csv.Error as exc:
        at = line_reached(reader)
        yield ParsedTransfer(at, problem=FieldProblem("row", f"is not valid CSV ({exc})", at))


# -- AMLSim -----------------------------------------------------------------------------------

AMLSIM_TX = ("sourceNodeId", "targetNodeId", "value", "time")
AMLSIM_NODES = ("nodeid", "isFraud")


def _amlsim_node(raw: str, name: str) -> str:
    text = raw.strip()
    if not text:
        raise InvalidInput.for_field(name, "is empty; a node id is required")
    return check_account(f"amlsim:{text}", name)


def parse_amlsim_nodes(stream: IO[str], known: set[str] | None = None) -> Iterator[ParsedTransfer]:
    for item in _csv_rows(stream, AMLSIM_NODES, "nodes.csv"):
        if isinstance(item, ParsedTransfer):
            if item.problem is not None:
                yield ParsedTransfer(item.line, problem=FieldProblem("nodes." + item.problem.field, item.problem.problem, item.line))
            continue
        line, rec = item
        try:
            account = _amlsim_node(rec["nodeid"], "nodeid")
            label = _flag(rec["isFraud"], "isFraud")
        except InvalidInput as exc:
            yield _problem_row(line, exc, "nodes.")
            continue
        if known is not None:
            known.add(account)
        yield ParsedTransfer(line, accounts=(AccountDraft(account, AccountKind.CUSTOMER, label_fraud=label),))


def parse_amlsim(stream: IO[str], options: ImportOptions, known: set[str] | None = None) -> Iterator[ParsedTransfer]:
    """``known``: the accounts of nodes.csv; a transfer naming another node is a bad row."""
    occurrences: dict[tuple[str, ...], int] = {}
    for item in _csv_rows(stream, AMLSIM_TX, "transactions.csv"):
        if isinstance(item, ParsedTransfer):
            yield item
            continue
        line, rec = item
        try:
            src = _amlsim_node(rec["sourceNodeId"], "sourceNodeId")
            dst = _amlsim_node(rec["targetNodeId"], "targetNodeId")
            for name, acct in (("sourceNodeId", src), ("targetNodeId", dst)):
                if known is not None and acct not in known:
                    raise InvalidInput.for_field(name, f"node {acct[7:]!r} is not in nodes.csv")
            fen = parse_amount_fen(rec["value"], "value", options.currency)
            step = _step(rec["time"], "time")
        except InvalidInput as exc:
            yield _problem_row(line, exc)
            continue
        key = (src, dst, str(fen), str(step))
        n = occurrences[key] = occurrences.get(key, 0) + 1
        draft = TransferDraft(
            external_id=_hash_id("s", *key, n),
            src_account=src,
            dst_account=dst,
            amount_fen=fen,
            currency=options.currency,
            at=options.epoch + timedelta(days=step),
            channel=None,
            memo=f"AMLSim step {step}",
        )
        yield ParsedTransfer(line, draft=draft, accounts=(AccountDraft(src), AccountDraft(dst)))


# -- AMLworld patterns ------------------------------------------------------------------------

AMLWORLD_CURRENCIES = {
    "US Dollar": "USD",
    "Euro": "EUR",
    "Yuan": "CNY",
    "Yen": "JPY",
    "UK Pound": "GBP",
    "Swiss Franc": "CHF",
    "Saudi Riyal": "SAR",
    "Rupee": "INR",
    "Ruble": "RUB",
    "Canadian Dollar": "CAD",
    "Australian Dollar": "AUD",
    "Mexican Peso": "MXN",
    "Shekel": "ILS",
    "Brazil Real": "BRL",
    "Bitcoin": "XBT",
}


def _amlworld_currency(value: object, name: str) -> str:
    code = AMLWORLD_CURRENCIES.get(str(value))
    if code is None:
        raise InvalidInput.for_field(name, f"unknown currency {str(value)[:40]!r}; accepted: {', '.join(AMLWORLD_CURRENCIES)}")
    return code


def _amlworld_time(value: object, name: str) -> datetime:
    text = str(value).strip()
    for fmt in ("%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise InvalidInput.for_field(name, f"{text[:40]!r} is not a time like 2022/09/01 00:06")


def amlworld_bank(value: object, name: str) -> str | None:
    """AMLworld banks are numbers that copies write zero-padded (``"010"``) or not (``"10"``): a
    numeric bank is stored without leading zeros, so every copy names a bank alike."""
    text = _text(value, name)
    if text is not None and text.isascii() and text.isdigit():
        return str(int(text))
    return text


def typology_code(pattern_type: str) -> str:
    """``"FAN-OUT:  Max 16-degree Fan-Out"`` -> ``"fan_out"``."""
    return pattern_type.split(":")[0].strip().lower().replace("-", "_")[:32]


def _amlworld_transfer(i: int, j: int, t: Any, typology: str, pattern: str, occurrences: dict[bytes, int]) -> ParsedTransfer:
    where = f"patterns[{i}].transactions[{j}]."
    if not isinstance(t, Mapping):
        raise InvalidInput.for_field(where.rstrip("."), "must be an object")
    paid = _amlworld_currency(t.get("payment_currency"), where + "payment_currency")
    received = _amlworld_currency(t.get("receiving_currency"), where + "receiving_currency")
    if paid != received:
        raise InvalidInput.for_field(
            where + "receiving_currency", f"currency mismatch: paid in {paid}, received in {received}; a transfer has one currency"
        )
    src = check_account(str(t.get("from_account") or ""), where + "from_account")
    dst = check_account(str(t.get("to_account") or ""), where + "to_account")
    src_bank = amlworld_bank(t.get("from_bank"), where + "from_bank")
    dst_bank = amlworld_bank(t.get("to_bank"), where + "to_bank")
    fen = parse_amount_fen(t.get("amount_paid"), where + "amount_paid", paid)
    raw_received = t.get("amount_received")
    received_fen = fen if raw_received is None else parse_amount_fen(raw_received, where + "amount_received", received)
    at = _amlworld_time(t.get("timestamp"), where + "timestamp")
    channel = _text(t.get("payment_format"), where + "payment_format", 64)
    label = t.get("is_laundering", 0)
    if label not in (0, 1, "0", "1"):
        raise InvalidInput.for_field(where + "is_laundering", f"{str(label)[:20]!r} is not 0 or 1")
    flag = "1" if label in (1, "1") else "0"
    content = (src_bank or "", src, dst_bank or "", dst, str(received_fen), received, str(fen), paid, channel or "", flag)
    draft = TransferDraft(
        external_id=amlworld_id(occurrences, at.strftime("%Y%m%d%H%M%S"), content),
        src_account=src,
        dst_account=dst,
        amount_fen=fen,
        currency=paid,
        at=at,
        channel=channel,
        memo=f"AMLworld attempt {i}: {pattern}"[:500],
        dst_bank=dst_bank,
        label_laundering=flag == "1",
        typology=typology,
    )
    return ParsedTransfer(j + 1, draft=draft, accounts=(AccountDraft(src, bank=src_bank), AccountDraft(dst, bank=dst_bank)))


def parse_amlworld_patterns(stream: IO[str]) -> Iterator[ParsedTransfer]:
    """Problems name the JSON path (``patterns[3].transactions[2].amount_paid``) and carry the
    transfer's running number in the file as their line."""
    try:
        data = json.load(stream, parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError) as exc:
        yield ParsedTransfer(1, problem=FieldProblem("file", f"is not valid JSON ({exc})", 1))
        return
    patterns = data.get("patterns") if isinstance(data, dict) else None
    if not isinstance(patterns, list):
        yield ParsedTransfer(1, problem=FieldProblem("patterns", "the file must be an object with a list 'patterns'", 1))
        return
    number = 0
    occurrences: dict[bytes, int] = {}
    for i, attempt in enumerate(patterns):
        txs = attempt.get("transactions") if isinstance(attempt, dict) else None
        pattern = attempt.get("pattern_type") if isinstance(attempt, dict) else None
        if not isinstance(txs, list) or not isinstance(pattern, str):
            number += 1
            problem = FieldProblem(f"patterns[{i}]", "must have a pattern_type and a list of transactions", number)
            yield ParsedTransfer(number, problem=problem)
            continue
        typology = typology_code(pattern)
        for j, t in enumerate(txs):
            number += 1
            try:
                row = _amlworld_transfer(i, j, t, typology, pattern, occurrences)
            except InvalidInput as exc:
                yield _problem_row(number, exc)
                continue
            yield ParsedTransfer(number, draft=row.draft, accounts=row.accounts)


# -- AMLworld transactions CSV ----------------------------------------------------------------

AMLWORLD_CSV = (
    "Timestamp",
    "From Bank",
    "Account",
    "To Bank",
    "Account",
    "Amount Received",
    "Receiving Currency",
    "Amount Paid",
    "Payment Currency",
    "Payment Format",
    "Is Laundering",
)
# The two ``Account`` columns are named apart in problems the way pandas names them.
AMLWORLD_FIELDS = (*AMLWORLD_CSV[:4], "Account.1", *AMLWORLD_CSV[5:])


def amlworld_header_problem(header: Sequence[str]) -> FieldProblem | None:
    """Problem with an AMLworld header, or None. Columns are matched by position (two share a
    name); the second ``Account`` may be spelled ``Account.1``."""
    names = [h.strip() for h in header]
    if len(names) > 4 and names[4] == "Account.1":
        names[4] = "Account"
    if tuple(names) == AMLWORLD_CSV:
        return None
    want, got = Counter(AMLWORLD_CSV), Counter(names)
    parts = []
    if missing := list((want - got).elements()):
        parts.append(f"misses column(s) {', '.join(missing)}")
    if extra := list((got - want).elements()):
        parts.append(f"has unexpected column(s) {', '.join(n[:40] for n in extra[:10])}")
    if not parts:
        parts.append("has the right columns in the wrong order")
    return FieldProblem("header", f"{'; '.join(parts)}; expected, in this order: {','.join(AMLWORLD_CSV)}", 1)


def amlworld_id(occurrences: dict[bytes, int], stamp: str, fields: Sequence[str]) -> str:
    """The id of an AMLworld transaction, the same in the transactions CSV and the patterns JSON:
    ``w<time>.<hash of its parsed values>.<n>`` (``stamp``: the time as ``20220901002000``), ``n``
    counting the file's transactions with that content (``occurrences``, one per file)."""
    digest = hashlib.blake2b("\x1f".join((stamp, *fields)).encode(), digest_size=10).digest()
    n = occurrences[digest] = occurrences.get(digest, 0) + 1
    return f"w{stamp}.{digest.hex()}.{n}"


class AmlworldRows:
    """Turns AMLworld transaction rows into transfers, one file at a time.

    Every row gets the id ``w<time>.<hash of its content>.<n>`` (:func:`amlworld_id`), where ``n`` counts the rows of the
    file with that content: AMLworld holds exact duplicate rows, and each is a transfer of its own,
    while the same file imported again gives the same ids. The content hash is of the parsed values
    (banks without padding, amounts in minor units), so copies that spell them differently agree.
    The time (``20220901002000``) leads so that ids of a file in time order are stored in order,
    which keeps the ledger's ``(source, external_id)`` index writes local.
    """

    def __init__(self) -> None:
        self._occurrences: dict[bytes, int] = {}
        self._last_time: tuple[str, datetime, str] | None = None
        self._banks: dict[tuple[str, str], str | None] = {}

    def _time(self, text: str) -> tuple[datetime, str]:
        # Files are in time order and times are to the minute: most rows repeat the last time.
        last = self._last_time
        if last is not None and last[0] == text:
            return last[1], last[2]
        at = _amlworld_time(text, "Timestamp")
        self._last_time = (text, at, at.strftime("%Y%m%d%H%M%S"))
        return at, self._last_time[2]

    def _bank(self, text: str, name: str) -> str | None:
        key = (text, name)
        if key not in self._banks:
            if len(self._banks) >= 100_000:  # a few thousand banks; a bound against odd files
                self._banks.clear()
            self._banks[key] = amlworld_bank(text, name)
        return self._banks[key]

    def parse(self, line: int, fields: Sequence[str]) -> ParsedTransfer:
        """One row: a transfer or the problem with it, never an exception."""
        if len(fields) != len(AMLWORLD_CSV):
            return ParsedTransfer(line, problem=FieldProblem("row", f"has {len(fields)} fields; the header has {len(AMLWORLD_CSV)}", line))
        ts, from_bank, from_account, to_bank, to_account, received, received_cur, paid, paid_cur, fmt, flag = fields
        try:
            at, stamp = self._time(ts)
            src_bank = self._bank(from_bank, "From Bank")
            src = check_account(from_account, "Account")
            dst_bank = self._bank(to_bank, "To Bank")
            dst = check_account(to_account, "Account.1")
            received_code = _amlworld_currency(received_cur.strip(), "Receiving Currency")
            received_fen = parse_amount_fen(received, "Amount Received", received_code)
            paid_code = _amlworld_currency(paid_cur.strip(), "Payment Currency")
            fen = parse_amount_fen(paid, "Amount Paid", paid_code)
            channel = _text(fmt, "Payment Format", 64)
            label = flag.strip()
            if label not in ("0", "1"):
                raise InvalidInput.for_field("Is Laundering", f"{label[:20]!r} is not 0 or 1")
        except InvalidInput as exc:
            return _problem_row(line, exc)
        content = (src_bank or "", src, dst_bank or "", dst, str(received_fen), received_code, str(fen), paid_code, channel or "", label)
        external_id = amlworld_id(self._occurrences, stamp, content)
        memo = None
        if (received_fen, received_code) != (fen, paid_code):
            memo = f"received {Decimal(received_fen).scaleb(-exponent(received_code)):f} {received_code}"
        draft = TransferDraft(
            external_id=external_id,
            src_account=src,
            dst_account=dst,
            amount_fen=fen,
            currency=paid_code,
            at=at,
            channel=channel,
            memo=memo,
            dst_bank=dst_bank,
            label_laundering=label == "1",
        )
        return ParsedTransfer(line, draft=draft, accounts=(AccountDraft(src, bank=src_bank), AccountDraft(dst, bank=dst_bank)))


AMLWORLD_COLUMNS = (*AMLWORLD_CSV[:4], "Account.1", *AMLWORLD_CSV[5:])  # as problems name them


def parse_amlworld_csv(stream: IO[str]) -> Iterator[ParsedTransfer]:
    """Streams the file: one row in memory at a time (plus one small hash per row seen)."""
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield ParsedTransfer(1, problem=FieldProblem("header", f"is not valid CSV ({exc})", 1))
        return
    if not header:
        yield ParsedTransfer(1, problem=FieldProblem("header", "the AMLworld file is empty; a header row is required", 1))
        return
    problem = amlworld_header_problem(header)
    if problem is not None:
        yield ParsedTransfer(1, problem=problem)
        return
    rows = AmlworldRows()
    try:
        for fields in reader:
            if not fields:  # a blank line is no row
                continue
            if "\x00" in "".join(fields) and (nul := _nul_column(AMLWORLD_COLUMNS, fields)) is not None:
                yield ParsedTransfer(reader.line_num, problem=FieldProblem(nul, NUL, reader.line_num))
                continue
            yield rows.parse(reader.line_num, fields)
    except csv.Error as exc:
        yield ParsedTransfer(reader.line_num, problem=FieldProblem("row", f"is not valid CSV ({exc})", reader.line_num))


# -- PaySim -----------------------------------------------------------------------------------

PAYSIM = ("step", "type", "amount", "nameOrig", "nameDest", "isFraud")
PAYSIM_KIND = {
    "PAYMENT": AccountKind.MERCHANT,
    "CASH_OUT": AccountKind.CASH,
    "DEBIT": AccountKind.EXTERNAL,
    "TRANSFER": AccountKind.CUSTOMER,
    "CASH_IN": AccountKind.CASH,
}


def parse_paysim(stream: IO[str], options: ImportOptions) -> Iterator[ParsedTransfer]:
    occurrences: dict[tuple[str, ...], int] = {}
    for item in _csv_rows(stream, PAYSIM, "PaySim"):
        if isinstance(item, ParsedTransfer):
            yield item
            continue
        line, rec = item
        try:
            kind_name = rec["type"].strip()
            kind = PAYSIM_KIND.get(kind_name)
            if kind is None:
                raise InvalidInput.for_field("type", f"unknown type {kind_name[:20]!r}; accepted: {', '.join(PAYSIM_KIND)}")
            orig = check_account(rec["nameOrig"], "nameOrig")
            dest = check_account(rec["nameDest"], "nameDest")
            fen = parse_amount_fen(rec["amount"], "amount", options.currency)
            step = _step(rec["step"], "step")
            fraud = _flag(rec["isFraud"], "isFraud")
            balance = _signed_fen(rec.get("newbalanceOrig"), "newbalanceOrig", options.currency)
        except InvalidInput as exc:
            yield _problem_row(line, exc)
            continue
        # CASH_IN: the customer pays cash in at an agent, whose e-money flows to the customer.
        if kind_name == "CASH_IN":
            src, dst = dest, orig
            accounts = (AccountDraft(dest, AccountKind.CASH), AccountDraft(orig))
        else:
            src, dst = orig, dest
            accounts = (AccountDraft(orig), AccountDraft(dest, kind))
        key = (str(step), kind_name, src, dst, str(fen))
        n = occurrences[key] = occurrences.get(key, 0) + 1
        draft = TransferDraft(
            external_id=_hash_id("y", *key, n),
            src_account=src,
            dst_account=dst,
            amount_fen=fen,
            currency=options.currency,
            at=options.epoch + timedelta(hours=step),
            channel=kind_name,
            balance_after_fen=balance,
            label_laundering=fraud,
        )
        yield ParsedTransfer(line, draft=draft, accounts=accounts)


# -- Chinese bank statement -------------------------------------------------------------------

STATEMENT_REQUIRED = ("交易时间", "交易金额", "借贷标志")
DEBIT = {"借", "D", "DR", "支出", "出", "借方"}
CREDIT = {"贷", "C", "CR", "收入", "入", "贷方"}
CASH_WORDS = ("ATM", "取现", "取款", "现金")
WALLET_WORDS = ("微信", "财付通", "零钱", "支付宝", "余额宝")
MERCHANT_WORDS = ("消费", "POS")
CURRENCY_NAMES = {
    "人民币": "CNY",
    "人民币元": "CNY",
    "RMB": "CNY",
    "美元": "USD",
    "欧元": "EUR",
    "港币": "HKD",
    "港元": "HKD",
    "日元": "JPY",
    "英镑": "GBP",
}
TIME_FORMATS = ("%Y%m%d %H:%M:%S", "%Y%m%d %H%M%S", "%Y%m%d%H%M%S", "%Y%m%d")


def counterparty_kind(summary: str, name: str) -> AccountKind:
    """What a statement row's counterparty is, from its 摘要 and 对方户名."""
    text = f"{summary} {name}".upper()
    if any(w in text for w in CASH_WORDS):
        return AccountKind.CASH
    if any(w in text for w in WALLET_WORDS):
        return AccountKind.WALLET
    if any(w in text for w in MERCHANT_WORDS):
        return AccountKind.MERCHANT
    return AccountKind.CUSTOMER


def parse_statement_time(raw: str) -> datetime:
    text = raw.strip().replace("/", "-").replace("T", " ")
    if not text:
        raise InvalidInput.for_field("交易时间", "is empty; a time such as 2024-03-15 10:23:45 is required")
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for fmt in TIME_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise InvalidInput.for_field("交易时间", f"{raw.strip()[:40]!r} is not a time such as 2024-03-15 10:23:45")
    if not 1980 <= parsed.year <= 2100:
        raise InvalidInput.for_field("交易时间", f"{raw.strip()[:40]!r} is outside 1980-2100")
    local = parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)
    return local.astimezone(UTC)


def _statement_currency(raw: str) -> str:
    text = raw.strip()
    code = CURRENCY_NAMES.get(text) or CURRENCY_NAMES.get(text.upper()) or text.upper()
    if not CURRENCY.match(code):
        raise InvalidInput.for_field("币种", f"{text[:20]!r} is not a currency (人民币, CNY, USD, ...)")
    return code


def statement_draft(rec: Mapping[str, str | None], options: ImportOptions, occurrence: dict[tuple[str, ...], int]) -> ParsedTransfer:
    """One statement row; raises :class:`InvalidInput` naming the field."""
    if not options.account:
        raise InvalidInput.for_field("account", "a statement import needs the statement's own account")
    own = check_account(options.account, "account")

    def get(name: str) -> str:
        value = rec.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise InvalidInput.for_field(name, "must be text")
        if len(value) > 500:
            raise InvalidInput.for_field(name, "is longer than 500 characters")
        if "\x00" in value:
            raise InvalidInput.for_field(name, NUL)
        return value.strip()

    at = parse_statement_time(get("交易时间"))
    flag = get("借贷标志").upper()
    if flag in DEBIT:
        outgoing = True
    elif flag in CREDIT:
        outgoing = False
    else:
        raise InvalidInput.for_field("借贷标志", f"{flag[:10]!r} is not 借/贷 (or D/C, 支出/收入)")
    amount_text = get("交易金额")
    if amount_text.startswith("-"):
        raise InvalidInput.for_field("交易金额", f"{amount_text[:40]} is negative; amounts are positive and 借贷标志 gives the direction")
    fen = parse_amount_fen(amount_text, "交易金额", options.currency)
    if get("币种"):
        code = _statement_currency(get("币种"))
        if code != options.currency:
            raise InvalidInput.for_field(
                "币种",
                f"currency mismatch: the row is in {code}, the statement is imported as {options.currency}; import each currency apart",
            )
    balance = _signed_fen(get("余额"), "余额", options.currency)
    summary, name, bank, number = get("摘要"), get("对方户名"), get("对方行名"), get("对方账号")
    kind = counterparty_kind(summary, name)
    if number:
        other = check_account(number, "对方账号")
    else:
        label = name or summary
        if not label:
            raise InvalidInput.for_field("对方账号", "is empty, and so are 对方户名 and 摘要: the counterparty cannot be named")
        if kind is AccountKind.CUSTOMER:
            kind = AccountKind.EXTERNAL
        other = check_account(f"{kind.value}:{label}", "对方户名")
    key = (at.isoformat(), "D" if outgoing else "C", str(fen), other, str(balance), summary)
    n = occurrence[key] = occurrence.get(key, 0) + 1
    serial = get("流水号")
    draft = TransferDraft(
        external_id=check_account(serial, "流水号") if serial else _hash_id("b", *key, n),
        src_account=own if outgoing else other,
        dst_account=other if outgoing else own,
        amount_fen=fen,
        currency=options.currency,
        at=at,
        channel=_text(get("交易渠道"), "交易渠道", 64),
        memo=summary or None,
        src_name=(options.holder if outgoing else name) or None,
        dst_name=(name if outgoing else options.holder) or None,
        dst_bank=(bank if outgoing else options.bank) or None,
        balance_after_fen=balance,
    )
    accounts = (
        AccountDraft(own, AccountKind.CUSTOMER, options.holder, options.bank),
        AccountDraft(other, kind, name or None, bank or None),
    )
    return ParsedTransfer(0, draft=draft, accounts=accounts)


@dataclass(frozen=True, slots=True)
class OpenedStatement:
    """A statement file read and its layout found: what an import needs before its first row."""

    sheet: Sheet
    layout: Layout
    options: ImportOptions
    account_from: str  # where the own account came from: "the caller", "the account line", "the holder line"

    @property
    def note(self) -> str:
        return (
            f"layout {self.layout.profile.name} ({self.layout.profile.label}), {self.sheet.container}"
            f"{' ' + self.sheet.encoding if self.sheet.encoding else ''}, header at line {self.sheet.lines[self.layout.header_index]}, "
            f"account {self.options.account} from {self.account_from}"
        )


def open_statement(path: Path, options: ImportOptions) -> OpenedStatement:
    """Read the file, find its layout (a mapping file, a named profile, or detection) and its own account."""
    sheet = read_sheet(path)
    layout = detect_mapped(sheet, load_mapping(options.mapping)) if options.mapping else detect(sheet, options.profile)
    account, source = options.account, "the caller"
    if not account and layout.account:
        account, source = layout.account, "the account line"
    if not account and layout.profile.wallet and layout.holder:
        account, source = f"{layout.profile.name}:{layout.holder}", "the holder line"
    if not account:
        raise InvalidInput.for_field(
            "account",
            "a statement import needs the statement's own account: give it (--account); no 账号/卡号 line was found above the header",
        )
    holder = options.holder or layout.holder
    return OpenedStatement(sheet, layout, replace(options, account=account, holder=holder), source)


def parse_statement(statement: OpenedStatement) -> Iterator[ParsedTransfer]:
    occurrence: dict[tuple[str, ...], int] = {}
    for line, row in rows_of(statement.sheet, statement.layout):
        if row.skipped == "blank":
            continue
        if row.skipped is not None:
            yield ParsedTransfer(line, skipped=row.skipped)
            continue
        if row.problem is not None:
            yield ParsedTransfer(line, problem=row.problem)
            continue
        assert row.record is not None
        try:
            parsed = statement_draft(row.record, statement.options, occurrence)
        except InvalidInput as exc:
            yield _problem_row(line, exc)
            continue
        yield ParsedTransfer(line, draft=parsed.draft, accounts=parsed.accounts)


# -- dispatch ---------------------------------------------------------------------------------


def source_name(fmt: TransferFormat, options: ImportOptions) -> str:
    """Statements of one account share a source, so overlapping statements never double-count."""
    if fmt is TransferFormat.STATEMENT:
        return f"statement:{options.account}"
    if fmt is TransferFormat.AMLSIM_NODES:
        return "amlsim"
    if fmt is TransferFormat.AMLWORLD_CSV:
        return TransferFormat.AMLWORLD.value  # one transaction has one id in both files
    return fmt.value


def parse_format(fmt: str) -> TransferFormat:
    try:
        return TransferFormat(fmt)
    except ValueError:
        raise InvalidInput.for_field("format", f"unknown format {fmt[:40]!r}; accepted: {', '.join(TransferFormat)}") from None


def read_transfers(fmt: str, path: Path, options: ImportOptions) -> tuple[str, Iterator[ParsedTransfer]]:
    """The source name and the rows of a transfer file. AMLSim takes its directory or
    ``transactions.csv`` and reads ``nodes.csv`` beside it when there is one."""
    source, _note, rows = read_transfers_noted(fmt, path, options)
    return source, rows


def read_transfers_noted(fmt: str, path: Path, options: ImportOptions) -> tuple[str, str | None, Iterator[ParsedTransfer]]:
    """:func:`read_transfers`, and what the reader found (a statement's layout and own account)."""
    kind = parse_format(fmt)
    if kind is TransferFormat.STATEMENT:
        statement = open_statement(path, options)
        return source_name(kind, statement.options), statement.note, parse_statement(statement)
    if kind is TransferFormat.AMLSIM and path.is_dir():
        path = path / "transactions.csv"
    if not path.is_file():
        raise InvalidInput.for_field("file", f"{path} does not exist")
    return source_name(kind, options), None, _rows(kind, path, options)


def _rows(kind: TransferFormat, path: Path, options: ImportOptions) -> Iterator[ParsedTransfer]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            if kind is TransferFormat.AMLSIM:
                nodes = path.with_name("nodes.csv")
                known: set[str] | None = None
                if nodes.is_file() and nodes != path:
                    known = set()
                    with nodes.open(newline="", encoding="utf-8-sig") as node_stream:
                        yield from parse_amlsim_nodes(node_stream, known)
                yield from parse_amlsim(stream, options, known)
            elif kind is TransferFormat.AMLSIM_NODES:
                yield from parse_amlsim_nodes(stream)
            elif kind is TransferFormat.AMLWORLD:
                yield from parse_amlworld_patterns(stream)
            elif kind is TransferFormat.AMLWORLD_CSV:
                yield from parse_amlworld_csv(stream)
            else:
                yield from parse_paysim(stream, options)
    except UnicodeDecodeError as exc:
        yield ParsedTransfer(0, problem=FieldProblem("file", f"is not UTF-8 or GB18030 text ({exc.reason} at byte {exc.start})", 0))
