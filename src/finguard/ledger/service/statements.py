"""Statement profiles (#12): the layouts people receive from their bank or wallet, read as they are.

A statement is a table below some title and account lines and above some total and footer
lines. Reading one takes four steps, each written here:

1. **Find the header row** (:func:`detect`): the first 60 rows are compared with every profile's
   *signature* (column names only that layout has); the most specific profile whose signature a
   row holds wins. When none does, a row holding a date column and an amount (one signed
   column, one with a 借/贷 flag, or separate 收入/支出 or 借方/贷方 columns) is read by the
   ``generic`` profile. When no row qualifies, the error names the row that came closest and
   the known layouts, and points to a mapping file (``docs/statements.md``).
2. **Read the account lines** above the header: ``账号：``, ``卡号：``, ``支付宝账户：`` ... give
   the statement's own account when the caller names none; ``户名：``, ``姓名：`` its holder.
3. **Skip what is not a transaction, and say so**: blank rows, the header repeated on every PDF
   page, total lines (合计, 总计, 小计, 本页合计, 共N笔 ...), footer lines (以下空白, 打印时间,
   注：...), wallet rows that move no money between people (支付宝 不计收支, 微信 ``/``) and
   transactions that did not happen (交易关闭, 失败, 撤销). Each skipped row is reported with its
   line and reason; it is never a bad row and never silently dropped.
4. **Read each row into the canonical statement row** (交易时间, 交易金额, 借贷标志, 对方账号,
   对方户名, 对方行名, 余额, 摘要, 币种, 流水号, 交易渠道) that ``importers.statement_draft``
   turns into a transfer. Direction: separate 收入/支出 (贷方/借方) columns, a 借/贷 flag in its
   usual spellings, or the sign of one amount column. Date and time in one column or two.
   ``¥``, ``元`` and thousands separators are removed; a counterparty written in one cell
   (``6222.../张三``, ``张三 6222...``) is split into account and name.

A mapping file (TOML, :func:`load_mapping`) describes any other layout with the same roles.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.ledger.service.sheets import Sheet

HEADER_SEARCH = 60

# The roles a column can play, and the names banks give them (compared without spaces).
ROLES: dict[str, tuple[str, ...]] = {
    "date": ("交易日期", "记账日期", "记账日", "入账日期", "日期", "交易日"),
    "time": ("交易时间", "记账时间", "时间", "交易创建时间", "付款时间"),
    "amount": ("交易金额", "金额", "金额(元)", "金额（元）", "发生额", "交易金额(元)", "金额(元）"),
    "income": ("收入金额", "收入", "贷方发生额", "贷方金额", "贷方", "存入金额", "存入", "交易金额(收入)", "收入金额(元)",
               "转入金额", "收款金额", "入账金额"),
    "expense": ("支出金额", "支出", "借方发生额", "借方金额", "借方", "支取金额", "取出", "交易金额(支出)", "支出金额(元)",
                "转出金额", "付款金额", "出账金额"),
    "flag": ("借贷标志", "借贷", "收/支", "收支", "借贷方向", "收支类型", "借贷标记"),
    "balance": ("余额", "账户余额", "本次余额", "联机余额", "交易后余额", "余额(元)"),
    "cp_name": ("对方户名", "对方账户名", "对方名称", "交易对方", "对方姓名", "收/付款方名称"),
    "cp_account": ("对方账号", "对方卡号/账号", "对方账户", "对方卡号", "收/付款方账号"),
    "cp_both": ("对方账号与户名", "对手信息", "对方信息", "对方户名/账号"),
    "cp_bank": ("对方行名", "对方开户行", "对方银行", "对方开户机构"),
    "summary": ("摘要", "交易摘要", "交易名称", "交易类型", "交易用途", "用途", "交易分类", "附言", "商品说明", "商品"),
    "currency": ("币种", "币别", "货币", "交易币种"),
    "serial": ("流水号", "交易流水号", "日志号", "交易单号", "交易订单号", "交易号", "凭证号"),
    "channel": ("交易渠道", "渠道", "交易方式", "收/付款方式", "支付方式"),
    "status": ("交易状态", "当前状态", "状态"),
}

DEBIT_FLAGS = {"借", "D", "DR", "DEBIT", "支出", "支", "出", "借方", "借记", "转出", "付款", "-"}
CREDIT_FLAGS = {"贷", "C", "CR", "CREDIT", "收入", "收", "入", "贷方", "贷记", "转入", "收款", "+"}
NEUTRAL_FLAGS = {"不计收支", "/", "其他", "中性"}
FAILED_STATUS = ("关闭", "失败", "撤销", "未支付", "已冲正", "冲正")
TOTAL_WORDS = ("合计", "总计", "小计", "本页合计", "累计", "汇总", "共计", "TOTAL")
FOOTER_WORDS = ("以下空白", "打印时间", "打印日期", "注：", "注:", "说明：", "说明:", "温馨提示", "备注：", "---", "本明细", "共")
ACCOUNT_LINE = re.compile(r"(?:卡号/账号|账号/卡号|支付宝账户|微信号|卡号|账号|帐号|账户|帐户)\s*[:：]\s*\[?\s*([0-9A-Za-z@._\-*]{4,64})")
HOLDER_LINE = re.compile(r"(?:户名|姓名|客户名称|客户姓名|账户名称|微信昵称)\s*[:：]\s*\[?\s*([^\s,\]\[:：]{1,40})")
DATED = re.compile(r"\d{4}")
DIGITS = re.compile(r"[0-9*]{6,}")
CURRENCY_MARKS = str.maketrans("", "", "¥￥元 ")


@dataclass(frozen=True, slots=True)
class Profile:
    """A layout: its name, what it is, the column names that identify it, and the column each
    role takes (a role missing here is looked up in ``ROLES``)."""

    name: str
    label: str
    signature: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    debit: frozenset[str] = frozenset(DEBIT_FLAGS)
    credit: frozenset[str] = frozenset(CREDIT_FLAGS)
    wallet: bool = False  # a wallet export: the own account defaults to "<profile>:<holder>"


PROFILES: tuple[Profile, ...] = (
    Profile(
        "icbc",
        "中国工商银行 借记卡账户历史明细 (ICBC)",
        ("交易金额(收入)", "交易金额(支出)", "交易场所"),
        {"income": ("交易金额(收入)",), "expense": ("交易金额(支出)",), "summary": ("摘要",), "currency": ("交易币种",)},
    ),
    Profile(
        "ccb",
        "中国建设银行 个人活期账户交易明细 (CCB)",
        ("交易金额", "账户余额", "对方账号与户名"),
        {"summary": ("摘要",), "cp_both": ("对方账号与户名",)},
    ),
    Profile(
        "abc",
        "中国农业银行 银行卡交易明细清单 (ABC)",
        ("交易金额", "本次余额", "对手信息"),
        {"summary": ("交易用途", "摘要")},
    ),
    Profile(
        "boc",
        "中国银行 交易流水明细 (BOC)",
        ("记账日", "对方账户名", "对方卡号/账号"),
        {"summary": ("交易名称",), "cp_name": ("对方账户名",)},
    ),
    Profile(
        "bocom",
        "交通银行 账户交易明细 (BoCom)",
        ("借贷标志", "交易金额", "交易地点"),
        {"summary": ("摘要",), "channel": ("交易方式",)},
    ),
    Profile(
        "cmb",
        "招商银行 交易流水 (CMB)",
        ("记账日期", "联机余额", "对手信息"),
        {"summary": ("交易摘要",)},
    ),
    Profile(
        "psbc",
        "中国邮政储蓄银行 账户交易明细 (PSBC)",
        ("借方发生额", "贷方发生额"),
        {"summary": ("摘要",)},
    ),
    Profile(
        "alipay",
        "支付宝 交易明细 (Alipay)",
        ("交易对方", "收/支", "交易订单号"),
        {"time": ("交易时间", "交易创建时间"), "summary": ("商品说明", "交易分类"), "channel": ("收/付款方式",)},
        wallet=True,
    ),
    Profile(
        "wechat",
        "微信支付 账单明细 (WeChat Pay)",
        ("交易类型", "收/支", "交易单号"),
        {"amount": ("金额(元)", "金额（元）", "金额"), "summary": ("交易类型",), "channel": ("支付方式",)},
        wallet=True,
    ),
)
GENERIC = Profile("generic", "通用银行流水 (any layout with the usual column names)", ())
PROFILE_NAMES = (*(p.name for p in PROFILES), GENERIC.name)


def _key(cell: str) -> str:
    return cell.replace(" ", "").replace("\u3000", "").replace("（", "(").replace("）", ")")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a profile found its header and which column plays each role."""

    profile: Profile
    header_index: int
    columns: Mapping[str, int]  # role -> column index
    header: tuple[str, ...]
    account: str | None
    holder: str | None


def _roles(header: tuple[str, ...], profile: Profile) -> dict[str, int]:
    keys = [_key(c) for c in header]
    found: dict[str, int] = {}
    for role, names in ROLES.items():
        for name in (*profile.columns.get(role, ()), *names):
            k = _key(name)
            if k in keys and keys.index(k) not in found.values():
                found[role] = keys.index(k)
                break
    return found


def _usable(roles: Mapping[str, int]) -> bool:
    dated = "date" in roles or "time" in roles
    amount = "amount" in roles or ("income" in roles and "expense" in roles)
    return dated and amount


def _account_lines(rows: tuple[tuple[str, ...], ...]) -> tuple[str | None, str | None]:
    account = holder = None
    for row in rows:
        text = " ".join(c for c in row if c)
        if account is None and (m := ACCOUNT_LINE.search(text)):
            account = m.group(1)
        if holder is None and (m := HOLDER_LINE.search(text)):
            holder = m.group(1)
    return account, holder


def detect(sheet: Sheet, profile: str | None = None) -> Layout:
    """The profile and header row of a statement (``profile`` forces one by name)."""
    if profile is not None and profile not in PROFILE_NAMES:
        raise InvalidInput.for_field("profile", f"unknown profile {profile[:40]!r}; known: {', '.join(PROFILE_NAMES)}")
    candidates = [p for p in PROFILES if profile in (None, p.name)]
    best: tuple[int, int, Profile] | None = None
    closest: tuple[int, int] = (0, -1)
    for i, row in enumerate(sheet.rows[:HEADER_SEARCH]):
        keys = {_key(c) for c in row if c}
        for p in candidates:
            if all(_key(s) in keys for s in p.signature) and _usable(_roles(row, p)):
                score = len(p.signature)
                if best is None or score > best[0]:
                    best = (score, i, p)
        known = sum(1 for names in ROLES.values() if any(_key(n) in keys for n in names))
        closest = max(closest, (known, i))
    if best is None and profile in (None, GENERIC.name):
        for i, row in enumerate(sheet.rows[:HEADER_SEARCH]):
            if _usable(_roles(row, GENERIC)):
                best = (0, i, GENERIC)
                break
    if best is None:
        _score, near = closest
        seen = f"; the closest row is line {sheet.lines[near]}: {' | '.join(c for c in sheet.rows[near] if c)[:200]}" if near >= 0 else ""
        raise InvalidInput.for_field(
            "file",
            f"no known statement layout: no row in the first {HEADER_SEARCH} holds a date column and an amount "
            f"(one signed amount, an amount with a 借/贷 flag, or separate 收入/支出 columns){seen}. "
            f"Known layouts: {', '.join(PROFILE_NAMES)}. For any other layout write a mapping file (docs/statements.md) "
            "and pass it with --mapping",
        )
    _score, index, chosen = best
    account, holder = _account_lines(sheet.rows[:index])
    return Layout(chosen, index, _roles(sheet.rows[index], chosen), sheet.rows[index], account, holder)


# -- mapping files ----------------------------------------------------------------------------

MAPPING_KEYS = {"name", "columns", "debit", "credit"}


def load_mapping(path: Path) -> Profile:
    """A layout described in TOML: ``[columns]`` maps roles to the file's column names."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput.for_field("mapping", f"is not a readable TOML file ({exc})") from None
    unknown = set(data) - MAPPING_KEYS
    if unknown:
        raise InvalidInput.for_field("mapping", f"unknown key(s) {', '.join(sorted(unknown))}; accepted: {', '.join(sorted(MAPPING_KEYS))}")
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise InvalidInput.for_field("mapping.columns", "is required: a table mapping roles (date, amount, ...) to column names")
    mapped: dict[str, tuple[str, ...]] = {}
    for role, name in columns.items():
        if role not in ROLES:
            raise InvalidInput.for_field(f"mapping.columns.{role}", f"is not a role; roles: {', '.join(ROLES)}")
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput.for_field(f"mapping.columns.{role}", "must be the column's name in the file")
        mapped[role] = (name.strip(),)
    if not _usable({r: 0 for r in mapped}) or ("amount" not in mapped and not {"income", "expense"} <= set(mapped)):
        raise InvalidInput.for_field("mapping.columns", "needs date (or time) and amount, or date and both income and expense")
    flags: dict[str, frozenset[str]] = {}
    for side, default in (("debit", DEBIT_FLAGS), ("credit", CREDIT_FLAGS)):
        words = data.get(side, [])
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise InvalidInput.for_field(f"mapping.{side}", 'must be a list of words, such as ["转出"]')
        flags[side] = frozenset(default | {w.strip().upper() for w in words})
    name = str(data.get("name") or path.stem)[:60]
    return Profile(f"mapping:{name}", name, tuple(v[0] for v in mapped.values()), mapped, flags["debit"], flags["credit"])


def detect_mapped(sheet: Sheet, mapping: Profile) -> Layout:
    for i, row in enumerate(sheet.rows[:HEADER_SEARCH]):
        keys = {_key(c) for c in row if c}
        if all(_key(s) in keys for s in mapping.signature):
            keys_list = [_key(c) for c in row]
            cols = {role: keys_list.index(_key(names[0])) for role, names in mapping.columns.items()}
            account, holder = _account_lines(sheet.rows[:i])
            return Layout(mapping, i, cols, row, account, holder)
    raise InvalidInput.for_field(
        "mapping", f"no row in the first {HEADER_SEARCH} holds every mapped column ({', '.join(mapping.signature)})"
    )


# -- rows -------------------------------------------------------------------------------------


def _time_text(date: str, time: str) -> str:
    date = date.replace("年", "-").replace("月", "-").replace("日", " ").strip()
    time = time.strip()
    if (len(time) >= 10 and any(ch in time for ch in "-/年")) or (time.isdigit() and len(time) == 14):
        return time  # the time column holds the date too
    if date and time:
        return f"{date} {time}"
    return date or time


def _amount(text: str) -> str:
    return text.translate(CURRENCY_MARKS).replace("CNY", "").replace("RMB", "").strip()


def split_counterparty(text: str) -> tuple[str, str]:
    """``6222.../张三``, ``张三/6222...``, ``张三 6222...`` -> (account, name)."""
    text = text.strip()
    for sep in ("/", "|", " ", "\u3000"):
        if sep in text:
            parts = [p.strip() for p in text.split(sep) if p.strip()]
            accounts = [p for p in parts if DIGITS.fullmatch(p.replace("-", ""))]
            if len(accounts) == 1:
                return accounts[0], " ".join(p for p in parts if p is not accounts[0])
    if DIGITS.fullmatch(text.replace("-", "")):
        return text, ""
    return "", text


@dataclass(frozen=True, slots=True)
class Row:
    """A statement row in the canonical columns, a reason to skip it, or the problem with it."""

    record: dict[str, str] | None = None
    skipped: str | None = None
    problem: FieldProblem | None = None


def _skip_reason(cells: tuple[str, ...], header: tuple[str, ...], get: Mapping[str, str]) -> str | None:
    filled = [c for c in cells if c]
    if not filled:
        return "blank"
    if [_key(c) for c in cells[: len(header)]] == [_key(c) for c in header]:
        return "the header repeated (page break)"
    first = _key(filled[0]).upper()
    dated = bool(DATED.search(get.get("date", "") + get.get("time", "")))
    if any(first.startswith(w) for w in TOTAL_WORDS) or (not dated and any(w in c for c in filled for w in TOTAL_WORDS[:-1])):
        return "a total line (合计)"
    if any(first.startswith(w) for w in FOOTER_WORDS) or len(filled) == 1 or (not dated and len(filled) == 2):
        return "a title or footer line"
    return None


def read_row(cells: tuple[str, ...], layout: Layout, line: int) -> Row:
    header = layout.header
    get = {role: (cells[i] if i < len(cells) else "") for role, i in layout.columns.items()}
    reason = _skip_reason(cells, header, get)
    if reason is not None:
        return Row(skipped=reason)
    p = layout.profile
    status = get.get("status", "")
    if status and any(w in status for w in FAILED_STATUS):
        return Row(skipped=f"a transaction that did not happen ({status})")
    flag_text = get.get("flag", "").strip().upper()
    if flag_text in NEUTRAL_FLAGS:
        return Row(skipped=f"moves no money between people ({get.get('flag')}: {get.get('summary', '')})")
    income, expense = _amount(get.get("income", "")), _amount(get.get("expense", ""))
    amount = _amount(get.get("amount", ""))

    def nonzero(text: str) -> bool:
        return bool(text) and text.lstrip("+-").replace(",", "").strip("0.") != ""

    if "income" in get or "expense" in get:
        if nonzero(income) and nonzero(expense):
            return _bad(line, "收入/支出", f"both columns hold an amount ({income}, {expense}); a row moves money one way")
        if nonzero(income):
            amount, outgoing = income.lstrip("+-"), False
        elif nonzero(expense):
            amount, outgoing = expense.lstrip("+-"), True
        elif not amount:
            return _bad(line, "收入/支出", "both are empty; one of them must hold the amount")
        else:
            outgoing = None
    else:
        outgoing = None
    if outgoing is None:
        if flag_text:
            if flag_text in p.debit:
                outgoing = True
            elif flag_text in p.credit:
                outgoing = False
            else:
                return _bad(line, "借贷标志", f"{flag_text[:10]!r} is not a direction (借/贷, D/C, 支出/收入, 收/支)")
            amount = amount.lstrip("+")
        elif amount.startswith("-"):
            amount, outgoing = amount[1:], True
        else:
            amount, outgoing = amount.lstrip("+"), False
    if not amount:
        return _bad(line, "交易金额", "is empty; an amount such as 4000.00 is required")
    account, name = get.get("cp_account", ""), get.get("cp_name", "")
    if get.get("cp_both"):
        split_account, split_name = split_counterparty(get["cp_both"])
        account, name = account or split_account, name or split_name
    if account in ("/", "-", "--"):
        account = ""
    if name in ("/", "-", "--"):
        name = ""
    record = {
        "交易时间": _time_text(get.get("date", ""), get.get("time", "")),
        "交易金额": amount,
        "借贷标志": "借" if outgoing else "贷",
        "对方账号": account,
        "对方户名": name,
        "对方行名": get.get("cp_bank", ""),
        "余额": _amount(get.get("balance", "")),
        "摘要": get.get("summary", ""),
        "币种": get.get("currency", ""),
        "流水号": get.get("serial", ""),
        "交易渠道": get.get("channel", ""),
    }
    return Row(record=record)


def _bad(line: int, name: str, problem: str) -> Row:
    return Row(problem=FieldProblem(name, problem, line))


def rows_of(sheet: Sheet, layout: Layout) -> Iterator[tuple[int, Row]]:
    """Every row below the header, with its line."""
    for cells, line in zip(sheet.rows[layout.header_index + 1 :], sheet.lines[layout.header_index + 1 :], strict=True):
        yield line, read_row(cells, layout, line)
