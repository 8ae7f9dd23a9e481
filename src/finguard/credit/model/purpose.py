"""Loan purpose (贷款用途): where disbursed money went, from the fund-flow ledger's trace.

The trace (``finguard.ledger``) follows the disbursed amount forward from the borrower's account
over a horizon. Each account the money reaches is put in a category by a configurable mapping
(exact accounts, account prefixes, or words in the account's name or the transfer's memo):
securities, real estate, wealth management, another lender (repaying other loans), a related
party (accounts the bank knows), or back to the borrower (a round trip, from the second hop on).
A category that received at least ``min_share`` of the loan and ``min_amount_fen`` is flagged,
with the transfers that carried the money there.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.credit.model.decision import Reason, yuan
from finguard.ledger.model import Trace, TraceEdge


class Category(StrEnum):
    SECURITIES = "securities"
    REAL_ESTATE = "real_estate"
    WEALTH = "wealth_management"
    OTHER_LENDER = "other_lender"
    RELATED_PARTY = "related_party"
    BORROWER = "borrower"


LABELS: dict[Category, tuple[str, str]] = {
    Category.SECURITIES: ("证券、期货账户", "securities or futures accounts"),
    Category.REAL_ESTATE: ("房地产企业", "real-estate firms"),
    Category.WEALTH: ("理财、基金产品", "wealth-management or fund products"),
    Category.OTHER_LENDER: ("偿还其他贷款", "repaying other loans"),
    Category.RELATED_PARTY: ("关联方", "related parties"),
    Category.BORROWER: ("回流至借款人", "back to the borrower"),
}


@dataclass(frozen=True, slots=True)
class CategoryMap:
    accounts: Mapping[str, Category] = field(default_factory=dict)
    prefixes: tuple[tuple[str, Category], ...] = ()
    words: tuple[tuple[str, Category], ...] = (
        ("证券", Category.SECURITIES), ("期货", Category.SECURITIES), ("securities", Category.SECURITIES),
        ("房地产", Category.REAL_ESTATE), ("置业", Category.REAL_ESTATE), ("地产", Category.REAL_ESTATE),
        ("real estate", Category.REAL_ESTATE),
        ("理财", Category.WEALTH), ("基金", Category.WEALTH), ("资产管理", Category.WEALTH), ("wealth", Category.WEALTH),
        ("还款", Category.OTHER_LENDER), ("小额贷款", Category.OTHER_LENDER), ("loan repayment", Category.OTHER_LENDER),
    )  # fmt: skip

    def category(self, account: str, name: str | None, memo: str | None) -> Category | None:
        if account in self.accounts:
            return self.accounts[account]
        for prefix, cat in self.prefixes:
            if account.startswith(prefix):
                return cat
        text = f"{name or ''} {memo or ''}".lower()
        for word, cat in self.words:
            if word in text:
                return cat
        return None


def parse_category_map(doc: Any) -> CategoryMap:
    """``{"accounts": {acct: category}, "prefixes": {prefix: category}, "words": {word: category}}``;
    sections given replace the defaults."""
    if not isinstance(doc, Mapping):
        raise InvalidInput.for_field("categories", "must be a JSON object")
    problems = []
    parts: dict[str, dict[str, Category]] = {}
    for section in ("accounts", "prefixes", "words"):
        raw = doc.get(section, None)
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            problems.append(FieldProblem(f"categories.{section}", "must be an object"))
            continue
        parts[section] = {}
        for k, v in raw.items():
            try:
                parts[section][str(k)] = Category(str(v))
            except ValueError:
                problems.append(FieldProblem(f"categories.{section}.{k}", f"must be one of {', '.join(c.value for c in Category)}"))
    if problems:
        raise InvalidInput("the category mapping is not valid", problems=problems)
    base = CategoryMap()
    return CategoryMap(
        accounts=parts.get("accounts", {}),
        prefixes=tuple(parts["prefixes"].items()) if "prefixes" in parts else base.prefixes,
        words=tuple((w.lower(), c) for w, c in parts["words"].items()) if "words" in parts else base.words,
    )


@dataclass(frozen=True, slots=True)
class PurposeParams:
    min_share: float = 0.10
    min_amount_fen: int = 10_000 * 100
    categories: CategoryMap = field(default_factory=CategoryMap)


@dataclass(frozen=True, slots=True)
class PurposeFinding:
    loan_fen: int
    amounts: dict[Category, int]
    reasons: tuple[Reason, ...]
    edges: tuple[TraceEdge, ...]  # the transfers that carried the money into flagged categories

    def as_details(self, trace: Trace) -> dict[str, Any]:
        return {
            "loan_fen": self.loan_fen,
            "amounts_fen": {c.value: v for c, v in self.amounts.items()},
            "flags": [r.code for r in self.reasons],
            "reason": {"zh": " ".join(r.zh for r in self.reasons), "en": " ".join(r.en for r in self.reasons)},
            "trace": {"root": trace.root, "amount_fen": trace.amount_fen, "start": trace.start.isoformat(), "end": trace.end.isoformat(),
                      "edges": [e.as_dict() for e in self.edges[:200]], "truncated": trace.truncated},
        }  # fmt: skip


def assess_trace(trace: Trace, borrower: Collection[str], related: Collection[str], p: PurposeParams) -> PurposeFinding | None:
    """What of the traced loan reached each category; None when nothing reaches the thresholds."""
    amounts: dict[Category, int] = {}
    carried: dict[Category, list[TraceEdge]] = {}
    for e in trace.edges:
        if e.dst in borrower:
            cat: Category | None = Category.BORROWER if e.hop >= 2 else None
        elif e.dst in related:
            cat = Category.RELATED_PARTY
        else:
            acct = trace.accounts.get(e.dst)
            cat = p.categories.category(e.dst, acct.name if acct else None, e.memo)
        if cat is None:
            continue
        amounts[cat] = amounts.get(cat, 0) + e.carried_fen
        carried.setdefault(cat, []).append(e)
    floor = max(p.min_amount_fen, int(trace.amount_fen * p.min_share))
    flagged = {c: v for c, v in amounts.items() if v >= floor}
    if not flagged:
        return None
    reasons = []
    for c, v in sorted(flagged.items(), key=lambda kv: -kv[1]):
        zh, en = LABELS[c]
        share = v / trace.amount_fen if trace.amount_fen else 0.0
        reasons.append(Reason(f"PURPOSE_{c.name}", "alert", f"贷款资金中{yuan(v)}元（{share:.0%}）流向{zh}。",
                              f"CNY {yuan(v)} ({share:.0%}) of the loan went to {en}."))  # fmt: skip
    edges = tuple(sorted({e.index: e for c in flagged for e in _paths(trace, carried[c])}.values(), key=lambda e: e.index))
    return PurposeFinding(trace.amount_fen, flagged, tuple(reasons), edges)


def _paths(trace: Trace, ends: Sequence[TraceEdge]) -> list[TraceEdge]:
    """The edges ``ends`` and every edge that funded them, back to the disbursement."""
    by_index = {e.index: e for e in trace.edges}
    out: list[TraceEdge] = []
    todo = list(ends)
    seen: set[int] = set()
    while todo:
        e = todo.pop()
        if e.index in seen:
            continue
        seen.add(e.index)
        out.append(e)
        todo += [by_index[i] for i, _amt in e.parents if i in by_index]
    return out
