"""Charts as SVG markup, drawn on the server: pure functions, no Django, no JavaScript.

The SVG scales to the width of its container (viewBox, no fixed size), names itself to
assistive technology (role="img", <title>, <desc>, aria-labelledby) and carries only
presentation attributes, never style attributes or scripts, so the Content-Security-Policy
has nothing to refuse. Pages put the numbers beside each chart in a table; the chart is the
picture of that table, not its only copy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

# Okabe-Ito colours (told apart with the common colour-vision deficiencies), and a dash
# pattern per series so lines differ without colour too.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")
# Wide for desktops; pages also draw a narrow one (NARROW) that a phone shows instead, so
# that its text is not shrunk to a few pixels when the picture scales down.
WIDTH, HEIGHT = 720, 300
NARROW = 360
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56
X_LABEL_SPACING = 72  # viewBox units per x-axis label at most
MAX_DOTS = 60  # with more periods than this the dots would merge into the line


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]  # one per period; None where there is nothing to show


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def nice_ticks(top: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round tick values from 0 to at least `top` (1, 2, 2.5 or 5 times a power of ten;
    whole numbers only when `integer`, for counts of articles)."""
    if not top or top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * power for m in steps if m * power >= raw)
    if integer:
        step = max(1, round(step))
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def style(index: int) -> tuple[str, str]:
    """(colour, dash pattern) of the index-th series; legends draw their swatches with it."""
    return COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]


def swatch(index: int) -> str:
    """A small SVG line in the index-th series' colour and dash, for a legend beside a chart."""
    colour, dash = style(index)
    dasharray = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        '<svg class="swatch" viewBox="0 0 24 8" width="24" height="8" aria-hidden="true" '
        f'focusable="false"><line x1="0" y1="4" x2="24" y2="4" stroke="{colour}" '
        f'stroke-width="3"{dasharray}/></svg>'
    )


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    periods: Sequence[str],
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    integer: bool = True,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    """A line per series over the periods, with axes, tick labels and a dot (with a tooltip
    title) per value. `fmt` writes the values (tick labels and tooltips); `integer` keeps
    the ticks on whole numbers (counts)."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    values = [v for s in series for v in s.values if v is not None]
    ticks = nice_ticks(max(values, default=0), integer=integer)
    top = ticks[-1] or 1
    n = len(periods)

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / n if n else 0)

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * v / top

    out = [
        f'<svg class="chart" id="{_e(chart_id)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet" '
        'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-desc">{_e(description)}</desc>',
        '<g class="grid" stroke="#ddd" stroke-width="1">',
    ]
    for t in ticks:
        out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y(t):.1f}" y2="{y(t):.1f}"/>')
    out.append("</g>")
    out.append('<g class="y-ticks" fill="#444" text-anchor="end">')
    for t in ticks:
        out.append(f'<text x="{LEFT - 6}" y="{y(t) + 4:.1f}">{_e(fmt(t))}</text>')
    out.append("</g>")
    every = max(1, math.ceil(n / max(2, plot_w // X_LABEL_SPACING)))
    out.append('<g class="x-ticks" fill="#444" text-anchor="middle">')
    for i, period in enumerate(periods):
        if i % every == 0:
            base = TOP + plot_h
            out.append(
                f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{base}" y2="{base + 4}" stroke="#444"/>'
            )
            out.append(f'<text x="{x(i):.1f}" y="{base + 18}">{_e(period)}</text>')
    out.append("</g>")
    out.append(
        f'<line class="axis" x1="{LEFT}" x2="{width - RIGHT}" y1="{TOP + plot_h}" '
        f'y2="{TOP + plot_h}" stroke="#444"/>'
    )
    out.append(
        f'<text class="axis-label" x="{LEFT + plot_w / 2:.1f}" y="{height - 8}" '
        f'text-anchor="middle" fill="#222">{_e(x_label)}</text>'
    )
    out.append(
        f'<text class="axis-label" transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" fill="#222">{_e(y_label)}</text>'
    )
    for index, s in enumerate(series):
        colour, dash = style(index)
        dasharray = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="series s{index}">')
        # Break the line where a value is missing rather than drawing through the gap.
        runs, run = [], []
        for i, v in enumerate(s.values):
            if v is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((x(i), y(v)))
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                d = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
                out.append(
                    f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2.5" '
                    f'stroke-linejoin="round"{dasharray}/>'
                )
        # A value between two gaps has no line: it always gets its dot.
        alone = {
            i
            for i, v in enumerate(s.values)
            if v is not None
            and (i == 0 or s.values[i - 1] is None)
            and (i == n - 1 or s.values[i + 1] is None)
        }
        for i, v in enumerate(s.values):
            if v is not None and (n <= MAX_DOTS or i in alone):
                out.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}">'
                    f"<title>{_e(s.label)}, {_e(periods[i])}: {_e(fmt(v))}</title></circle>"
                )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
