"""The schedule before and after a change as an SVG chart: the balance owed (lines) and the
amount debited each month (bars). Plain SVG with presentation attributes only, so the pages'
Content-Security-Policy (no inline style, no script) holds."""

from __future__ import annotations

from html import escape
from typing import Any

from finguard.core.charts import hbars
from finguard.core.money import format_yuan
from finguard.loans.model.schedule import Schedule

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 760, 260, 80, 16, 24, 40
BEFORE, AFTER = "#9aa5b1", "#1f6feb"


def comparison_svg(before: Schedule, after: Schedule, lang: str = "zh") -> str:
    dues = sorted({r.due for r in before.rows} | {r.due for r in after.rows})
    index = {d: i for i, d in enumerate(dues)}
    top = max([r.opening_fen for r in before.rows + after.rows] + [1])
    pay_top = max([r.payment_fen for r in before.rows + after.rows] + [1])
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    step = plot_w / max(len(dues), 1)

    def x(i: int) -> float:
        return PAD_L + step * (i + 0.5)

    def y(fen: int) -> float:
        return PAD_T + plot_h * (1 - fen / top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
             f'aria-label="{escape("还款计划变更前后" if lang == "zh" else "schedule before and after")}">']
    parts.append(f'<line x1="{PAD_L}" y1="{PAD_T + plot_h}" x2="{WIDTH - PAD_R}" y2="{PAD_T + plot_h}" stroke="#ccc"/>')
    for frac in (0.0, 0.5, 1.0):
        value = round(top * frac)
        parts.append(f'<text x="{PAD_L - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" fill="#555">'
                     f'{escape(format_yuan(value))}</text>')
    bar_w = max(step * 0.35, 1.0)
    for schedule, colour, offset in ((before, BEFORE, -bar_w), (after, AFTER, 0.0)):
        for r in schedule.rows:
            h = plot_h * 0.35 * r.payment_fen / pay_top
            parts.append(f'<rect x="{x(index[r.due]) + offset:.1f}" y="{PAD_T + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{colour}" fill-opacity="0.35"><title>{r.due} {escape(format_yuan(r.payment_fen))}</title></rect>')
        points = " ".join(f"{x(index[r.due]):.1f},{y(r.closing_fen):.1f}" for r in schedule.rows)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    labels = (("变更前：本金余额 / 月供", "变更后：本金余额 / 月供") if lang == "zh"
              else ("before: balance / payment", "after: balance / payment"))
    for i, (label, colour) in enumerate(zip(labels, (BEFORE, AFTER), strict=True)):
        lx = PAD_L + 10 + i * 260
        parts.append(f'<rect x="{lx}" y="{HEIGHT - 18}" width="12" height="4" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 18}" y="{HEIGHT - 12}" font-size="12" fill="#333">{escape(label)}</text>')
    parts.append(f'<text x="{PAD_L}" y="{PAD_T + plot_h + 16}" font-size="11" fill="#555">{dues[0] if dues else ""}</text>')
    parts.append(f'<text x="{WIDTH - PAD_R}" y="{PAD_T + plot_h + 16}" text-anchor="end" font-size="11" fill="#555">'
                 f'{dues[-1] if dues else ""}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(items: list[tuple[str, int]], title: str) -> str:
    """Horizontal bars, one per (label, count): a campaign's reach and response, education totals
    (drawn by ``core.charts.hbars``, the staff pages' one bar chart)."""
    return hbars(items, title, svg_id="campaign-chart", label_w=220, width=640)


SERIES = {"sent": "#9aa5b1", "delivered": "#1f6feb", "replied": "#2da44e", "opted_out": "#cf222e"}
SERIES_LABEL = {"zh": {"sent": "已发送", "delivered": "已送达", "replied": "已回复", "opted_out": "退订"},
                "en": {"sent": "sent", "delivered": "delivered", "replied": "replied", "opted_out": "opted out"}}


def timeline_svg(days: list[dict[str, Any]], title: str, lang: str = "zh") -> str:
    """Reach and response per day: for each day, a group of four bars (sent, delivered, replied,
    opted out), a legend, the largest count on the axis and each bar's figure in its tooltip."""
    labels = SERIES_LABEL["zh" if lang == "zh" else "en"]
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    top = max([d[k] for d in days for k in SERIES] + [1])
    step = plot_w / max(len(days), 1)
    bar_w = max(step * 0.8 / len(SERIES), 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
             f'aria-label="{escape(title)}" data-chart="timeline">',
             f'<text x="{PAD_L}" y="14" font-size="13" fill="#333">{escape(title)}</text>',
             f'<line x1="{PAD_L}" y1="{PAD_T + plot_h}" x2="{WIDTH - PAD_R}" y2="{PAD_T + plot_h}" stroke="#ccc"/>',
             f'<text x="{PAD_L - 6}" y="{PAD_T + 4}" text-anchor="end" font-size="11" fill="#555">{top:,}</text>',
             f'<text x="{PAD_L - 6}" y="{PAD_T + plot_h + 4}" text-anchor="end" font-size="11" fill="#555">0</text>']
    for i, d in enumerate(days):
        left = PAD_L + step * i + step * 0.1
        for j, key in enumerate(SERIES):
            h = plot_h * d[key] / top
            parts.append(f'<rect x="{left + j * bar_w:.1f}" y="{PAD_T + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{SERIES[key]}" data-series="{key}" data-day="{escape(d["day"])}" data-count="{d[key]}">'
                         f'<title>{escape(d["day"])} {escape(labels[key])}: {d[key]:,}</title></rect>')
        if len(days) <= 14 or i in (0, len(days) - 1):
            parts.append(f'<text x="{PAD_L + step * (i + 0.5):.1f}" y="{PAD_T + plot_h + 14}" text-anchor="middle" font-size="10" '
                         f'fill="#555">{escape(d["day"][5:])}</text>')
    for j, key in enumerate(SERIES):
        lx = PAD_L + 10 + j * 150
        parts.append(f'<rect x="{lx}" y="{HEIGHT - 16}" width="12" height="8" fill="{SERIES[key]}"/>')
        parts.append(f'<text x="{lx + 18}" y="{HEIGHT - 8}" font-size="12" fill="#333">{escape(labels[key])}</text>')
    parts.append("</svg>")
    return "".join(parts)
