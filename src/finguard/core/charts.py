"""Server-drawn SVG charts for the staff pages: no script, no CDN, no inline style.

Each function returns the SVG text of one chart: ``role="img"`` with a ``<title>`` (and
``aria-labelledby`` pointing at it) so a screen reader names the chart, a ``<title>`` on every bar
saying its label and count, and presentation attributes only, so the pages' Content-Security-Policy
(no inline style) holds. Every label is escaped here; callers pass translated text and wrap the
result in ``Markup``. The view boxes are narrow (380 units) and the SVGs scale to their box
(``class="chart"``: full width up to 34rem), so 13-unit text stays readable on a 390 px phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 380
FONT = 13
INK, SOFT, RULE, BAR = "#333", "#555", "#ccc", "#1f6feb"


def _open(svg_id: str, title: str, width: int, height: int) -> list[str]:
    tid = f"{svg_id}-title"
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(svg_id)}" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-labelledby="{escape(tid)}">', f'<title id="{escape(tid)}">{escape(title)}</title>']


def _top(values: Sequence[int]) -> int:
    return max([*values, 1])


def hbars(items: Sequence[tuple[str, int]], title: str, svg_id: str = "bars", colour: str = BAR,
          label_w: int = 150, width: int = WIDTH) -> str:
    """Horizontal bars, one per (label, count), longest first as given, the count after each bar."""
    row_h = 26
    height = 8 + row_h * max(len(items), 1)
    top = _top([n for _, n in items])
    parts = _open(svg_id, title, width, height)
    for i, (label, n) in enumerate(items):
        y = 4 + i * row_h
        w = (width - label_w - 56) * n / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="{FONT}" fill="{INK}">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 9}" fill="{colour}" fill-opacity="0.8" '
                     f'data-label="{escape(label)}" data-n="{n}"><title>{escape(label)}: {n:,}</title></rect>')
        parts.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 17}" font-size="{FONT}" fill="{INK}">{n:,}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_columns(groups: Sequence[tuple[str, Sequence[tuple[str, str, int]]]], title: str, colours: dict[str, str],
                    svg_id: str = "stacked", width: int = WIDTH, height: int = 210) -> str:
    """Vertical columns, one per (group label, segments); each segment is (series key, series
    label, count), stacked bottom up in the order given, coloured by ``colours[key]``; the total
    above each column."""
    pad_l, pad_b, pad_t = 34, 26, 18
    plot_h = height - pad_b - pad_t
    totals = [sum(n for _, _, n in segs) for _, segs in groups]
    top = _top(totals)
    step = (width - pad_l) / max(len(groups), 1)
    parts = _open(svg_id, title, width, height)
    base = pad_t + plot_h
    parts.append(f'<line x1="{pad_l}" y1="{base}" x2="{width}" y2="{base}" stroke="{RULE}"/>')
    parts.append(f'<text x="{pad_l - 5}" y="{pad_t + 4}" text-anchor="end" font-size="12" fill="{SOFT}">{top:,}</text>')
    parts.append(f'<text x="{pad_l - 5}" y="{base}" text-anchor="end" font-size="12" fill="{SOFT}">0</text>')
    for i, ((label, segs), total) in enumerate(zip(groups, totals, strict=True)):
        x = pad_l + step * i + step * 0.18
        w = step * 0.64
        y: float = base
        for key, seg_label, n in segs:
            if n <= 0:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colours.get(key, BAR)}" '
                         f'data-group="{i}" data-series="{escape(key)}" data-n="{n}">'
                         f'<title>{escape(label)} · {escape(seg_label)}: {n:,}</title></rect>')
        parts.append(f'<text x="{x + w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="12" fill="{INK}">{total:,}</text>')
        parts.append(f'<text x="{x + w / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="{FONT}" fill="{INK}">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(points: Sequence[tuple[str, int]], title: str, svg_id: str = "columns", colour: str = BAR,
            width: int = WIDTH, height: int = 170, every: int = 7) -> str:
    """A column per (label, count) in order (a day each, say), the label under every ``every``-th
    column and the last, the largest count on the axis."""
    pad_l, pad_b, pad_t = 34, 24, 10
    plot_h = height - pad_b - pad_t
    top = _top([n for _, n in points])
    step = (width - pad_l) / max(len(points), 1)
    base = pad_t + plot_h
    parts = _open(svg_id, title, width, height)
    parts.append(f'<line x1="{pad_l}" y1="{base}" x2="{width}" y2="{base}" stroke="{RULE}"/>')
    parts.append(f'<text x="{pad_l - 5}" y="{pad_t + 10}" text-anchor="end" font-size="12" fill="{SOFT}">{top:,}</text>')
    parts.append(f'<text x="{pad_l - 5}" y="{base}" text-anchor="end" font-size="12" fill="{SOFT}">0</text>')
    last = len(points) - 1
    for i, (label, n) in enumerate(points):
        x = pad_l + step * i + step * 0.12
        h = plot_h * n / top
        parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.76:.1f}" height="{h:.1f}" fill="{colour}" '
                     f'data-label="{escape(label)}" data-n="{n}"><title>{escape(label)}: {n:,}</title></rect>')
        if i == last or (i % every == 0 and last - i >= every // 2):
            anchor = "end" if i == last else "start" if i == 0 else "middle"
            parts.append(f'<text x="{x + step * 0.38:.1f}" y="{height - 7}" text-anchor="{anchor}" font-size="12" fill="{SOFT}">'
                         f'{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
