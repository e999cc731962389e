"""Small charts drawn on the server as inline SVG: horizontal bars (stacked when there are several series) and
columns over time (stacked or side by side). No script and no style attribute (the console's CSP): colours are
the classes `s0`…`s7` of console.css, sizes are SVG attributes. Each chart is an image with a <title> and a
<desc>, every bar carries its own <title> (its label, series and value), and the numbers are written next to
the bars; the page puts the same numbers in a table below each chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 420
"""Every chart is this many units wide (it scales to the screen: console.css `.chart svg`)."""
LABEL_WIDTH = 150
"""Horizontal bars: the room on the left for the row's label."""
ROW, BAR = 26, 18
PLOT_HEIGHT, AXIS = 180, 30
"""Columns: the plot's height and the room below it for the labels."""
MAX_LABELS = 6
"""Columns: at most this many labels under the axis (every n-th column's when there are more)."""
SERIES_CLASSES = 8
"""console.css has colours for series s0 to s7."""

Format = Callable[[float], str]


@dataclass(frozen=True)
class Row:
    """One bar or column: its label and one value per series."""

    label: str
    values: Sequence[float | None]


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


LABEL_CHARS = 20
"""Horizontal bars: a longer label is cut (with …) to fit on the left; the bar's <title> and the table have it whole."""


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _title(text: str) -> Markup:
    return Markup("<title>{}</title>").format(text)


def _frame(key: str, title: str, description: str, height: float, body: list[Markup]) -> Markup:
    head = Markup(
        '<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{k}-t {k}-d" '
        'class="chart-svg"><title id="{k}-t">{title}</title><desc id="{k}-d">{desc}</desc>'
    ).format(w=WIDTH, h=int(height), k=key, title=title, desc=description)
    return head + Markup("").join(body) + Markup("</svg>")


def _series_class(index: int) -> str:
    return f"s{index % SERIES_CLASSES}"


def _rect(x: float, y: float, width: float, height: float, css: str, tip: str) -> Markup:
    return Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" class="{}">{}</rect>').format(
        x, y, max(width, 0.0), max(height, 0.0), css, _title(tip)
    )


def _text(x: float, y: float, text: str, css: str, anchor: str = "start") -> Markup:
    return Markup('<text x="{:.1f}" y="{:.1f}" text-anchor="{}" class="{}">{}</text>').format(x, y, anchor, css, text)


def hbars(
    key: str,
    title: str,
    description: str,
    rows: Sequence[Row],
    series: Sequence[str],
    fmt: Format = _number,
    totals: Sequence[str] | None = None,
) -> Markup:
    """Horizontal bars, one row each (label on the left, the row's total or `totals[i]` after the bar), stacked
    by series. `key` makes the chart's ids unique on the page."""
    plot = WIDTH - LABEL_WIDTH - 64
    largest = max((sum(v or 0 for v in row.values) for row in rows), default=0) or 1
    body: list[Markup] = []
    for i, row in enumerate(rows):
        y = 6 + i * ROW
        body.append(_text(LABEL_WIDTH - 6, y + BAR - 5, _short(row.label), "label", "end"))
        x = float(LABEL_WIDTH)
        for s, value in enumerate(row.values):
            if not value:
                continue
            width = plot * value / largest
            tip = f"{row.label}: {fmt(value)}" if len(series) < 2 else f"{row.label}, {series[s]}: {fmt(value)}"
            body.append(_rect(x, y, width, BAR, f"bar {_series_class(s)}", tip))
            x += width
        total = totals[i] if totals is not None else fmt(sum(v or 0 for v in row.values))
        body.append(_text(x + 5, y + BAR - 5, total, "value"))
    return _frame(key, title, description, 12 + len(rows) * ROW, body)


def columns(
    key: str,
    title: str,
    description: str,
    rows: Sequence[Row],
    series: Sequence[str],
    fmt: Format = _number,
    stacked: bool = True,
) -> Markup:
    """Columns over time, one per row (step), stacked by series or side by side (`stacked=False`), on an axis
    from 0 to a round maximum with its value written at the top and the middle."""
    left, top = 72, 12
    plot_width = WIDTH - left - 8
    heights = [
        sum(v or 0 for v in row.values) if stacked else max((v or 0 for v in row.values), default=0) for row in rows
    ]
    largest = _round_up(max(heights, default=0))
    slot = plot_width / max(len(rows), 1)
    gap = min(6.0, slot * 0.2)
    every = -(-len(rows) // MAX_LABELS) if rows else 1
    bottom = top + PLOT_HEIGHT
    body = [
        Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" class="axis"></line>').format(left, bottom, WIDTH - 8, bottom),
        _text(left - 4, top + 4, fmt(largest), "tick", "end"),
        _text(left - 4, top + PLOT_HEIGHT / 2 + 4, fmt(largest / 2), "tick", "end"),
        _text(left - 4, bottom, "0", "tick", "end"),
        Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid"></line>').format(left, top, WIDTH - 8, top),
        Markup('<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" class="grid"></line>').format(
            left, top + PLOT_HEIGHT / 2, WIDTH - 8, top + PLOT_HEIGHT / 2
        ),
    ]
    for i, row in enumerate(rows):
        x0 = left + i * slot + gap / 2
        width = slot - gap
        if stacked:
            y = float(bottom)
            for s, value in enumerate(row.values):
                if not value:
                    continue
                height = PLOT_HEIGHT * value / largest
                y -= height
                body.append(_rect(x0, y, width, height, f"bar {_series_class(s)}", _tip(row, series, s, fmt)))
        else:
            each = width / max(len(row.values), 1)
            for s, value in enumerate(row.values):
                if value is None:
                    continue
                height = PLOT_HEIGHT * value / largest
                body.append(
                    _rect(
                        x0 + s * each,
                        bottom - height,
                        each,
                        height,
                        f"bar {_series_class(s)}",
                        _tip(row, series, s, fmt),
                    )
                )
        if i % every == 0:
            body.append(_text(x0 + width / 2, bottom + 16, row.label, "tick", "middle"))
    return _frame(key, title, description, bottom + AXIS, body)


def funnel(key: str, title: str, description: str, steps: Sequence[tuple[str, int]]) -> Markup:
    """A funnel: one bar per step, each labelled with its number and its share of the first step."""
    first = steps[0][1] if steps else 0
    shares = [f"{n} ({round(100 * n / first)}%)" if first else str(n) for _, n in steps]
    return hbars(key, title, description, [Row(label, [n]) for label, n in steps], [title], totals=shares)


def _tip(row: Row, series: Sequence[str], index: int, fmt: Format) -> str:
    value = row.values[index] or 0
    return f"{row.label}: {fmt(value)}" if len(series) < 2 else f"{row.label}, {series[index]}: {fmt(value)}"


def _round_up(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2 or 5 times a power of ten; 1 for nothing)."""
    if value <= 0:
        return 1
    scale = 1.0
    while scale * 10 <= value:
        scale *= 10
    while scale > value:
        scale /= 10
    return next(step * scale for step in (1, 2, 5, 10) if step * scale >= value)


def legend(series: Sequence[str]) -> Markup:
    """The series' names with their colours, as an HTML list (it wraps on a narrow screen)."""
    items = Markup("").join(
        Markup('<li><span class="swatch {}"></span>{}</li>').format(_series_class(i), escape(name))
        for i, name in enumerate(series)
    )
    return Markup('<ul class="legend">{}</ul>').format(items)
