"""Bar charts as inline SVG, drawn on the server: no script, no download, prints as it shows."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..rules import vn_num

BAR = "#1f6f8b"
BAR_ALT = "#c9a227"
TEXT = "#222"
FONT = 'font-family="Times New Roman, serif"'


def _heading(width: int, title: str) -> str:
    head = f'<text x="{width / 2}" y="16" text-anchor="middle" font-weight="bold" fill="{TEXT}">'
    return f"{head}{escape(title)}</text>"


def vertical_bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    highlight: Sequence[bool] | None = None,
    width: int = 760,
    height: int = 260,
) -> str:
    """Give back an SVG of vertical bars (one per label), values written above the bars."""
    n = max(1, len(labels))
    top, bottom, left, right = 30, 48, 36, 10
    plot_w, plot_h = width - left - right, height - top - bottom
    vmax = max([v for v in values] + [0]) or 1
    step = plot_w / n
    bw = max(4.0, step * 0.7)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
        _heading(width, title),
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#888"/>',
    ]
    small = n > 18
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * (v / vmax)
        x = left + i * step + (step - bw) / 2
        y = top + plot_h - h
        colour = BAR_ALT if highlight and highlight[i] else BAR
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{escape(lab)}: {vn_num(v)} {escape(unit)}</title></rect>"
        )
        if not small:
            out.append(
                f'<text x="{x + bw / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="{TEXT}">'
                f"{vn_num(v)}</text>"
            )
        if not small or i % max(1, n // 12) == 0:
            tx, ty = x + bw / 2, top + plot_h + 14
            rot = f' transform="rotate(-35 {tx:.1f} {ty:.1f})"' if n > 8 else ""
            anchor = "end" if n > 8 else "middle"
            out.append(
                f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}"{rot} fill="{TEXT}">'
                f"{escape(lab)}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def horizontal_bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    width: int = 760,
    row: int = 26,
) -> str:
    """Give back an SVG of horizontal bars: long Vietnamese labels stay readable on the left."""
    # The label column fits the longest label (about 7 px a character at 13 px), within reason.
    longest = max((len(lab) for lab in labels), default=0)
    left, right, top = min(width // 2, max(120, int(longest * 7.2) + 14)), 70, 28
    height = top + row * max(1, len(labels)) + 8
    plot_w = width - left - right
    vmax = max([v for v in values] + [0]) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart" {FONT} font-size="13">',
        f"<title>{escape(title)}</title>",
        _heading(width, title),
    ]
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        w = plot_w * (v / vmax)
        out.append(
            f'<text x="{left - 6}" y="{y + row * 0.65:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{escape(lab)}</text>"
        )
        out.append(
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{BAR}">'
            f"<title>{escape(lab)}: {vn_num(v)} {escape(unit)}</title></rect>"
        )
        out.append(f'<text x="{left + w + 4:.1f}" y="{y + row * 0.65:.1f}" fill="{TEXT}">{vn_num(v)}</text>')
    out.append("</svg>")
    return "".join(out)
