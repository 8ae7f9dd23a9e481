"""A trace in plain words, in Chinese and English: where the money went and when.

"Of the 4,000 yuan transferred on 2024-03-15 from account 6222..., 4,000 yuan went to
财付通-微信零钱 (WeChat wallet top-up) on 2024-03-15." Dates are shown in China time.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from finguard.ledger.model import CHINA_TZ, Direction, EndReason, Trace, TraceEnd, format_amount, kind_label

MAX_LINES = 8
METHOD_ZH = {"fifo": "先进先出", "lifo": "后进先出", "proportional": "按比例"}
METHOD_EN = {"fifo": "FIFO", "lifo": "LIFO", "proportional": "proportional"}


def money(fen: int, currency: str, lang: str) -> str:
    amount = format_amount(fen, currency)
    if currency == "CNY":
        return f"{amount}元" if lang == "zh" else f"{amount} yuan"
    return f"{amount} {currency}"


def _day(at: datetime, lang: str, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日" if lang == "zh" else local.date().isoformat()


def _days(first: datetime | None, last: datetime | None, lang: str, tz: tzinfo) -> str:
    if first is None or last is None:
        return ""
    a, b = _day(first, lang, tz), _day(last, lang, tz)
    if a == b:
        return a
    return f"{a}至{b}" if lang == "zh" else f"between {a} and {b}"


def _who(end: TraceEnd) -> str:
    # Counterparties without an account number are named "<kind>:<name>": the name says it all.
    if not end.name or end.account in (end.name, f"{end.kind.value}:{end.name}"):
        return end.name or end.account
    return f"{end.name} ({end.account})"


def _opening(trace: Trace, lang: str, tz: tzinfo) -> str:
    amt = money(trace.amount_fen, trace.currency, lang)
    root = f"{trace.root_name}（{trace.root}）" if trace.root_name and lang == "zh" else trace.root
    forward = trace.params.direction is Direction.FORWARD
    t = trace.start_transfer
    if lang == "zh":
        if t is not None:
            verb = "转出" if forward else "转入"
            return f"账户{root}于{_day(t.at, lang, tz)}{verb}的{amt}中，"
        if trace.params.amount_fen is not None:
            return f"账户{root}在{_day(trace.start, lang, tz)}持有的{amt}中，"
        span = _days(min(trace.start, trace.end), max(trace.start, trace.end), lang, tz)
        return f"账户{root}在{span}{'转出' if forward else '转入'}的{amt}中，"
    if t is not None:
        return f"Of the {amt} transferred on {_day(t.at, lang, tz)} {'from' if forward else 'into'} account {root}, "
    if trace.params.amount_fen is not None:
        return f"Of {amt} held in account {root} on {_day(trace.start, lang, tz)}, "
    span = _days(min(trace.start, trace.end), max(trace.start, trace.end), lang, tz)
    return f"Of the {amt} that {'left' if forward else 'reached'} account {root} {span}, "


def _clause(end: TraceEnd, trace: Trace, lang: str, tz: tzinfo) -> str:
    amt = money(end.amount_fen, trace.currency, lang)
    when = _days(end.first_at, end.last_at, lang, tz)
    forward = trace.params.direction is Direction.FORWARD
    label = kind_label(end.kind, end.name, lang)
    who = _who(end)
    hops = end.hop
    if lang == "zh":
        after = f"（经{hops}次转账）" if hops > 1 else ""
        if end.reason is EndReason.TERMINAL:
            return f"{amt}于{when}{'转入' if forward else '来自'}{who}（{label}）{after}"
        if end.reason is EndReason.REMAINS:
            return f"{amt}在追踪期结束时仍在账户{who}" if forward else f"{amt}在追踪期开始前已在账户{who}"
        if end.reason is EndReason.LEFT_VIEW:
            if forward:
                return f"{amt}于{when}转入账户{who}后离开了账本视野（我们未持有该账户的流水）"
            return f"{amt}来自账户{who}（我们未持有该账户的流水，无法继续追溯）"
        if end.reason is EndReason.HOP_LIMIT:
            return f"{amt}经{hops}次转账到达账户{who}（达到跳数上限，未继续追踪）"
        if end.reason is EndReason.RETURNED:
            return f"{amt}于{when}回到了账户{who}"
        return f"{amt}在追踪被截断时位于账户{who}"
    after = f" after {hops} transfers" if hops > 1 else ""
    on = f" on {when}" if when and not when.startswith("between") else (f" {when}" if when else "")
    if end.reason is EndReason.TERMINAL:
        return f"{amt} {'went to' if forward else 'came from'} {who} ({label}){on}{after}"
    if end.reason is EndReason.REMAINS:
        if forward:
            return f"{amt} was still in account {who} when the {trace.params.horizon_days:g}-day horizon ended"
        return f"{amt} was already in account {who} before the {trace.params.horizon_days:g}-day horizon began"
    if end.reason is EndReason.LEFT_VIEW:
        if forward:
            return f"{amt} left the ledger's view at account {who}{on} (we hold no statement of that account)"
        return f"{amt} came from account {who}, of which we hold no statement"
    if end.reason is EndReason.HOP_LIMIT:
        return f"{amt} reached account {who} after {hops} transfers (the hop limit) and was not followed further"
    if end.reason is EndReason.RETURNED:
        return f"{amt} came back to account {who}{on}"
    return f"{amt} was at account {who} when the trace was cut short"


def summarize(trace: Trace, lang: str = "en", tz: tzinfo = CHINA_TZ) -> str:
    """The trace in a few sentences, largest amounts first."""
    zh = lang == "zh"
    clauses = [_clause(e, trace, lang, tz) for e in trace.ends[:MAX_LINES]]
    rest = trace.ends[MAX_LINES:]
    if rest:
        fen = sum(e.amount_fen for e in rest)
        amt = money(fen, trace.currency, lang)
        clauses.append(f"其余{amt}分布在{len(rest)}处" if zh else f"{amt} more ended in {len(rest)} other places")
    if not clauses:
        clauses.append("没有找到资金去向" if zh else "nothing could be traced")
    sep = "；" if zh else "; "
    text = _opening(trace, lang, tz) + sep.join(clauses) + ("。" if zh else ".")
    p = trace.params
    if zh:
        text += f"（{METHOD_ZH[p.method.value]}归属，最多{p.hops}跳，{p.horizon_days:g}天内。）"
    else:
        text += f" ({METHOD_EN[p.method.value]} attribution, up to {p.hops} hops, {p.horizon_days:g}-day horizon.)"
    if trace.truncated:
        reasons = "; ".join(trace.truncated_reasons[:3])
        text += f" 注意：追踪被截断：{reasons}。" if zh else f" Note: the trace was truncated: {reasons}."
    return text
