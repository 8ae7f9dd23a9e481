"""Due-diligence batch reports: CSV and a printable HTML page (Chinese or English)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from finguard.core.errors import FieldProblem
from finguard.core.exports import SafeDictWriter
from finguard.screening.service.diligence import Screening

_env = Environment(loader=FileSystemLoader(Path(__file__).parents[1] / "templates"), autoescape=select_autoescape(["html"]))

LABELS = {
    "zh": {
        "title": "交易对手尽职调查报告",
        "summary": "共筛查 {n} 个对象：命中 {m} 个，疑似命中 {c} 个，未命中 {x} 个。",
        "party": "对象",
        "purpose": "用途",
        "outcome": "结论",
        "hits": "命中记录",
        "listed": "名单中的名称",
        "list": "名单",
        "score": "分值",
        "why": "原因",
        "rejected": "无法处理的行",
        "line": "行",
        "match": "命中",
        "close_match": "疑似命中",
        "no_match": "未命中",
        "seq": "名单版本（变更序号）",
    },
    "en": {
        "title": "Counterparty due diligence report",
        "summary": "{n} parties screened: {m} match, {c} close match, {x} no match.",
        "party": "Party",
        "purpose": "Purpose",
        "outcome": "Outcome",
        "hits": "Hits",
        "listed": "Listed name",
        "list": "List",
        "score": "Score",
        "why": "Why",
        "rejected": "Rows that could not be processed",
        "line": "Line",
        "match": "match",
        "close_match": "close match",
        "no_match": "no match",
        "seq": "List version (change sequence)",
    },
}

CSV_COLUMNS = (
    "party_key",
    "name",
    "kind",
    "purpose",
    "outcome",
    "entry_id",
    "list_code",
    "listed_name",
    "score",
    "hit_outcome",
    "explanation",
    "seq",
)


def render_report(results: Sequence[Screening], problems: Sequence[FieldProblem], fmt: str, lang: str) -> tuple[str, str]:
    """The report body and its media type; ``fmt`` is csv or html."""
    if fmt == "csv":
        out = io.StringIO()
        writer = SafeDictWriter(out, CSV_COLUMNS)
        writer.writeheader()
        for r in results:
            base = {
                "party_key": r.party.key,
                "name": r.party.name,
                "kind": r.party.kind.value,
                "purpose": r.party.purpose.value,
                "outcome": r.outcome.value,
                "seq": r.seq,
            }
            visible = [h for h in r.hits if not h.suppressed]
            if not visible:
                writer.writerow(base)
            for h in visible:
                why = "; ".join(f"{f.name} {f.contribution:+.2f}: {f.explanation}" for f in h.hit.features)
                writer.writerow(
                    {
                        **base,
                        "entry_id": h.hit.entry_id,
                        "list_code": h.hit.list_code,
                        "listed_name": h.hit.listed_name,
                        "score": f"{h.hit.score:.4f}",
                        "hit_outcome": h.hit.outcome,
                        "explanation": why,
                    }
                )
        return out.getvalue(), "text/csv"
    labels = LABELS.get(lang, LABELS["en"])
    counts = {k: sum(1 for r in results if r.outcome.value == k) for k in ("match", "close_match", "no_match")}
    summary = labels["summary"].format(n=len(results), m=counts["match"], c=counts["close_match"], x=counts["no_match"])
    html = _env.get_template("report.html").render(t=labels, lang=lang, results=results, problems=problems, summary=summary)
    return html, "text/html; charset=utf-8"
