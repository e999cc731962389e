"""The sections of the figures page, in order: each one a chart and the table of its numbers, built from a
`models.period_figures.PeriodFigures`. To add a section, write a builder (figures -> Section, or None to leave it
out) and append it to SECTIONS; its words go in the catalogs under `console.figures.<key>.*`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from models.case_terms import CATEGORIES
from models.digest_figures import ALL
from models.period_figures import DELAY_CLASSES, PeriodFigures
from models.person import STATUSES
from service.console import charts
from service.console.texts import text

Cell = str | int


@dataclass(frozen=True)
class Table:
    """A section's numbers: column heads, rows (the first cell names the row) and an optional total row."""

    head: list[str]
    rows: list[list[Cell]]
    foot: list[Cell] | None = None


@dataclass(frozen=True)
class Section:
    """One part of the page: its heading, a chart (with its legend when it has several series), the table of the
    same numbers and a note on how they are counted."""

    key: str
    title: str
    table: Table
    chart: Markup | None = None
    legend: Markup | None = None
    note: str = ""
    extra: list[Table] = field(default_factory=list)
    """More tables (their rows may be drawn in `more_charts`)."""
    more_charts: list[Markup] = field(default_factory=list)


Builder = Callable[[PeriodFigures], "Section | None"]


def duration(minutes: float) -> str:
    """A time to the first action as staff read it: minutes, hours or days."""
    if minutes < 60:
        return text("console.figures.minutes", n=round(minutes))
    if minutes < 48 * 60:
        return text("console.figures.hours", n=f"{minutes / 60:.1f}".rstrip("0").rstrip("."))
    return text("console.figures.days", n=f"{minutes / 1440:.1f}".rstrip("0").rstrip("."))


def _village_label(village: str) -> str:
    return village or text("console.figures.other_village")


def reports_section(figures: PeriodFigures) -> Section:
    """Reports per step (day, week or month) by problem, stacked."""
    present = [c for c in CATEGORIES if any(step.get(c) for step in figures.reports_by_step)]
    names = [text(f"case.category_short.{c}") for c in present]
    rows = [
        charts.Row(step.label, [counts.get(c, 0) for c in present])
        for step, counts in zip(figures.steps, figures.reports_by_step, strict=True)
    ]
    title = text("console.figures.reports.title", unit=text(f"console.figures.unit.{figures.unit}"))
    table = Table(
        [text("console.figures.col.step"), *names, text("console.figures.col.total")],
        [[row.label, *[int(v or 0) for v in row.values], int(sum(v or 0 for v in row.values))] for row in rows],
        [
            text("console.figures.col.total"),
            *[figures.totals.reports_by_category.get(c, 0) for c in present],
            figures.totals.reports,
        ],
    )
    chart = charts.columns("reports", title, text("console.figures.reports.desc"), rows, names)
    return Section("reports", title, table, chart, charts.legend(names) if len(names) > 1 else None)


def delays_section(figures: PeriodFigures) -> Section:
    """The time from a report to its first action: median and 90th percentile per step, and how many in each
    class of time over the whole period."""
    series = [text("console.figures.delays.median"), text("console.figures.delays.p90")]
    rows = [
        charts.Row(step.label, [d.median_minutes, d.p90_minutes])
        for step, d in zip(figures.steps, figures.delays_by_step, strict=True)
    ]
    title = text("console.figures.delays.title")
    table = Table(
        [
            text("console.figures.col.step"),
            *series,
            text("console.figures.delays.taken"),
            text("console.figures.delays.waiting"),
        ],
        [
            [step.label, _maybe(d.median_minutes), _maybe(d.p90_minutes), d.taken, d.waiting]
            for step, d in zip(figures.steps, figures.delays_by_step, strict=True)
        ],
        [
            text("console.figures.col.total"),
            _maybe(figures.delays.median_minutes),
            _maybe(figures.delays.p90_minutes),
            figures.delays.taken,
            figures.delays.waiting,
        ],
    )
    classes = _delay_class_names()
    spread_rows: list[list[Cell]] = [[name, n] for name, n in zip(classes, figures.delays.classes, strict=True)]
    spread_rows.append([text("console.figures.delays.waiting"), figures.delays.waiting])
    spread = Table([text("console.figures.delays.class"), text("console.figures.col.cases")], spread_rows)
    chart = charts.columns(
        "delays", title, text("console.figures.delays.desc"), rows, series, fmt=duration, stacked=False
    )
    spread_chart = charts.hbars(
        "delay-classes",
        text("console.figures.delays.spread"),
        text("console.figures.delays.spread"),
        [charts.Row(str(row[0]), [int(row[1])]) for row in spread.rows],
        [text("console.figures.col.cases")],
    )
    note = text("console.figures.delays.note")
    return Section("delays", title, table, chart, charts.legend(series), note, [spread], [spread_chart])


def _maybe(minutes: float | None) -> str:
    return "-" if minutes is None else duration(minutes)


def _delay_class_names() -> list[str]:
    bounds = [duration(0), *(duration(m) for m in DELAY_CLASSES)]
    names = [text("console.figures.delays.range", low=low, high=high) for low, high in zip(bounds, bounds[1:])]
    return [*names, text("console.figures.delays.over", low=bounds[-1])]


def open_section(figures: PeriodFigures) -> Section:
    """Open cases by village now (overdue ones among them)."""
    villages = [(v, f) for v, f in figures.by_village.items() if v or f.open]
    title = text("console.figures.open.title")
    rows = [charts.Row(_village_label(v), [f.open]) for v, f in villages]
    table = Table(
        [text("console.figures.col.village"), *(text(f"console.figures.field.{f}") for f in ("open", "overdue"))],
        [[_village_label(v), f.open, f.overdue] for v, f in villages],
        [text("console.figures.col.total"), figures.totals.open, figures.totals.overdue],
    )
    chart = charts.hbars("open", title, text("console.figures.open.desc"), rows, [title])
    return Section("open", title, table, chart, None, text("console.figures.open.note"))


def funnel_section(figures: PeriodFigures) -> Section:
    """The trainings held in the period: seats taken, attended, applied (by their latest follow-up answer)."""
    totals = figures.totals
    steps = [
        (text("console.figures.funnel.seated"), totals.seated),
        (text("console.figures.funnel.attended"), totals.attended),
        (text("console.figures.funnel.applied"), totals.attendees_applied),
    ]
    title = text("console.figures.funnel.title", held=totals.trainings_held)
    table = Table(
        [text("console.figures.funnel.step"), text("console.figures.col.people")],
        [[label, n] for label, n in steps],
    )
    chart = charts.funnel("funnel", title, text("console.figures.funnel.desc"), steps)
    note = text("console.figures.funnel.note", answered=totals.answered, applied=totals.applied)
    return Section("funnel", title, table, chart, None, note)


def registrations_section(figures: PeriodFigures) -> Section:
    """New registrations in the period by village, stacked by status."""
    villages = [(v, f) for v, f in figures.by_village.items() if f.registrations or figures.scope != ALL]
    present = [s for s in STATUSES if figures.totals.registrations_by_status.get(s)]
    names = [text(f"console.person_status.{s}") for s in present]
    rows = [charts.Row(_village_label(v), [f.registrations_by_status.get(s, 0) for s in present]) for v, f in villages]
    title = text("console.figures.registrations.title")
    table = Table(
        [text("console.figures.col.village"), *names, text("console.figures.col.total")],
        [[row.label, *[int(v or 0) for v in row.values], int(sum(v or 0 for v in row.values))] for row in rows],
        [
            text("console.figures.col.total"),
            *[figures.totals.registrations_by_status.get(s, 0) for s in present],
            figures.totals.registrations,
        ],
    )
    chart = charts.hbars("registrations", title, text("console.figures.registrations.desc"), rows, names)
    return Section("registrations", title, table, chart, charts.legend(names) if len(names) > 1 else None)


CADRE_FIELDS = ("cadres_new", "cadres_active", "cadre_cases", "cadre_visits")
"""The cadres' counts in the cadres' table (the median hours to a first action follows them)."""


def _hours(hours: int | None) -> str:
    return "-" if hours is None else duration(hours * 60)


def cadres_section(figures: PeriodFigures) -> Section | None:
    """The cadres of the period by the village they applied for: new, active, cases and visits handled, and the
    median time to a new cadre's first action; left out when no cadre did anything in the period."""
    totals = figures.totals
    if not totals.has_cadres:
        return None
    villages = [(v, f) for v, f in figures.by_village.items() if f.has_cadres]
    title = text("console.figures.cadres.title")
    work = [text("console.figures.field.cadre_visits"), text("console.figures.field.cadre_cases")]
    rows = [charts.Row(_village_label(v), [f.cadre_visits, f.cadre_cases]) for v, f in villages]
    table = Table(
        [
            text("console.figures.col.village"),
            *(text(f"console.figures.field.{name}") for name in CADRE_FIELDS),
            text("console.figures.field.cadre_first_action_hours"),
        ],
        [
            [_village_label(v), *(getattr(f, name) for name in CADRE_FIELDS), _hours(f.cadre_first_action_hours)]
            for v, f in villages
        ],
        [
            text("console.figures.col.total"),
            *(getattr(totals, name) for name in CADRE_FIELDS),
            _hours(totals.cadre_first_action_hours),
        ],
    )
    chart = charts.hbars("cadres", title, text("console.figures.cadres.desc"), rows, work)
    return Section("cadres", title, table, chart, charts.legend(work), text("console.figures.cadres.note"))


SECTIONS: list[Builder] = [
    reports_section,
    delays_section,
    open_section,
    funnel_section,
    registrations_section,
    cadres_section,
]
"""The page's sections in order (issue 21's cadres last)."""


def build(figures: PeriodFigures) -> list[Section]:
    """Every section the figures call for, in order."""
    return [section for builder in SECTIONS if (section := builder(figures)) is not None]
