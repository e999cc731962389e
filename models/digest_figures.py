"""The digest's figures: numbers only, by SQL aggregates, for the whole area and each village at once.

Every figure is one GROUP BY village query, so all scopes cost the same handful of statements whatever the
number of villages or rows. New registrations, reports, resolutions, trainings and follow-up answers count
what happened in the period; open, overdue and referred-and-waiting are the state when the digest is made.
No name, phone number, story or unreferred case code ever enters a figure.
The console's figures page (`models.period_figures`) reads these same statements (`compute`, `report_rows`,
`training_rows`) for any period, grouped further, so the page and `export digest` cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

import peewee

from models.cadre_figures import cadre_counts, median_hours
from models.case import Case
from models.case_terms import CATEGORIES, OPEN_STATUSES, UNACKNOWLEDGED
from models.digest_period import Period
from models.person import STATUSES, Person
from models.staff import Staff
from models.training import Enrollment, Training
from models.training_terms import SEATED

ALL = "all"
"""The scope of the whole area (a regency official, a coordinator); any other scope is a village name."""

EXPORT_FIELDS = (
    "scope",
    "period_start",
    "period_end",
    "registrations",
    "reports",
    "urgent",
    "open",
    "overdue",
    "referred_waiting",
    "resolved",
    "trainings_held",
    "attended",
    "applied",
    "cadres_new",
    "cadres_active",
    "cadre_cases",
    "cadre_visits",
    "cadre_first_action_hours",
)
"""The `export digest` record (DESIGN "Exports"; the cadre figures of issue 21 last)."""


@dataclass
class Figures:
    """What a digest says for one scope and period."""

    scope: str
    period: Period
    registrations_by_status: dict[str, int] = field(default_factory=dict)
    reports_by_category: dict[str, int] = field(default_factory=dict)
    urgent: int = 0
    open: int = 0
    overdue: int = 0
    referred_waiting: int = 0
    resolved: int = 0
    trainings_held: int = 0
    attended: int = 0
    applied: int = 0
    answered: int = 0
    """Follow-up answers received in the period (the applied rate is applied / answered)."""
    seated: int = 0
    """Seats taken at the trainings held in the period (attended or not; the waiting list not): the funnel's top."""
    attendees_applied: int = 0
    """Of those who attended the trainings held in the period, how many answered "applied" last (the funnel's end;
    `applied` counts the answers received in the period, whichever training they follow)."""
    waiting_by_organiser: dict[str, int] = field(default_factory=dict)
    """Open cases each organiser has taken, by first name (coordinators' digests only)."""
    cadres_new: int = 0
    """Cadres approved in the period (`models.cadre_figures`, by the village they applied for)."""
    cadres_active: int = 0
    """Cadres (promoted or not) who took a task in the period."""
    cadre_cases: int = 0
    """Cases that cadres (once promoted) handled in the period."""
    cadre_visits: int = 0
    """Returnee visits that cadres recorded in the period."""
    first_action_hours: list[float] = field(default_factory=list)
    """Hours from approval to first action of the cadres who first acted in the period."""

    @property
    def cadre_first_action_hours(self) -> int | None:
        """The median of `first_action_hours` in whole hours; None when no cadre first acted in the period."""
        return median_hours(self.first_action_hours)

    @property
    def has_cadres(self) -> bool:
        """Something happened among the cadres in the period (the digest then gives them a line)."""
        return bool(self.cadres_new or self.cadres_active or self.cadre_cases or self.cadre_visits)

    @property
    def registrations(self) -> int:
        """New registrations in the period."""
        return sum(self.registrations_by_status.values())

    @property
    def reports(self) -> int:
        """Cases opened in the period."""
        return sum(self.reports_by_category.values())

    @property
    def empty(self) -> bool:
        """Nothing happened and nothing is open: the digest says so in one line."""
        return not (
            self.registrations or self.reports or self.open or self.resolved or self.trainings_held or self.answered
        )

    def to_export(self) -> dict[str, object]:
        """Flat record for `export digest`."""
        return {
            "scope": self.scope,
            "period_start": self.period.first.isoformat(),
            "period_end": self.period.last.isoformat(),
            "registrations": self.registrations,
            "reports": self.reports,
            "urgent": self.urgent,
            "open": self.open,
            "overdue": self.overdue,
            "referred_waiting": self.referred_waiting,
            "resolved": self.resolved,
            "trainings_held": self.trainings_held,
            "attended": self.attended,
            "applied": self.applied,
            "cadres_new": self.cadres_new,
            "cadres_active": self.cadres_active,
            "cadre_cases": self.cadre_cases,
            "cadre_visits": self.cadre_visits,
            "cadre_first_action_hours": self.cadre_first_action_hours,
        }


def _count_if(condition: peewee.Expression) -> peewee.Function:
    return peewee.fn.SUM(peewee.Case(None, ((condition, 1),), 0))


def _in(column: peewee.Field, period: Period) -> peewee.Expression:
    return (column >= period.start) & (column < period.end)


# peewee's stubs type a `.tuples()` query as yielding model instances: each query below is cast to the rows it
# yields (village or name first, then its counts; a SUM over no row is None).


def compute(period: Period, villages: list[str], now: dt.datetime) -> dict[str, Figures]:
    """Figures for the whole area (`ALL`) and for each of `villages`, keyed by scope."""
    scopes = {ALL: Figures(ALL, period), **{village: Figures(village, period) for village in villages}}

    def add(village: str | None, apply) -> None:
        apply(scopes[ALL])
        if village in scopes and village != ALL:
            apply(scopes[village])

    registrations = cast(
        "Iterable[tuple[str | None, str, int]]",
        (
            Person.select(Person.village, Person.status, peewee.fn.COUNT(Person.id).alias("n"))
            .where(_in(Person.consent_at, period) & Person.status.in_(STATUSES))
            .group_by(Person.village, Person.status)
            .tuples()
        ),
    )
    for village, status, n in registrations:
        add(
            village,
            lambda f, s=status, n=n: f.registrations_by_status.__setitem__(s, f.registrations_by_status.get(s, 0) + n),
        )

    for village, category, n, urgent in report_rows(period):

        def count(f: Figures, c=category, n=n, u=int(urgent or 0)) -> None:
            f.reports_by_category[c] = f.reports_by_category.get(c, 0) + n
            f.urgent += u

        add(village, count)

    states = cast(
        "Iterable[tuple[str | None, int, int | None, int | None]]",
        (
            Case.select(
                Case.village,
                peewee.fn.COUNT(peewee.SQL("*")),
                _count_if(Case.status.in_(UNACKNOWLEDGED) & (Case.ack_due_at < now)),
                _count_if(Case.status == "referred"),
            )
            .where(Case.status.in_(OPEN_STATUSES))
            .group_by(Case.village)
            .tuples()
        ),
    )
    for village, n, overdue, referred in states:

        def state(f: Figures, n=n, o=int(overdue or 0), r=int(referred or 0)) -> None:
            f.open += n
            f.overdue += o
            f.referred_waiting += r

        add(village, state)

    resolved = cast(
        "Iterable[tuple[str | None, int]]",
        (
            Case.select(Case.village, peewee.fn.COUNT(Case.id))
            .where(_in(Case.resolved_at, period))
            .group_by(Case.village)
            .tuples()
        ),
    )
    for village, n in resolved:
        add(village, lambda f, n=n: setattr(f, "resolved", f.resolved + n))

    _trainings(period, scopes, add)
    for village, counts in cadre_counts(period).items():

        def cadres(f: Figures, c=counts) -> None:
            f.cadres_new += c.new
            f.cadres_active += c.active
            f.cadre_cases += c.cases
            f.cadre_visits += c.visits
            f.first_action_hours += c.first_action_hours

        add(village, cadres)
    _order(scopes)
    return scopes


def report_rows(period: Period, *by: peewee.Node) -> Iterable[tuple]:
    """Cases opened in the period: (village, category, *by, cases, urgent) rows, grouped by village, category and
    each of `by` (the console's figures add the month; the digest adds nothing)."""
    return cast(
        "Iterable[tuple]",
        Case.select(Case.village, Case.category, *by, peewee.fn.COUNT(Case.id), _count_if(Case.severity == "urgent"))
        .where(_in(Case.created_at, period))
        .group_by(Case.village, Case.category, *by)
        .tuples(),
    )


def training_rows(period: Period) -> Iterable[tuple[str | None, int, int, int, int | None]]:
    """The seats of trainings held in the period, by the people's villages: (village, trainings with an attendee
    from there, seated (signed up and kept their seat), attended, attended and applied by their latest
    follow-up answer) rows."""
    attended = Enrollment.status == "attended"
    latest = peewee.fn.COALESCE(Enrollment.answer_90, Enrollment.answer_30)
    return cast(
        "Iterable[tuple[str | None, int, int, int, int | None]]",
        Enrollment.select(
            Person.village,
            peewee.fn.COUNT(peewee.fn.DISTINCT(peewee.Case(None, ((attended, Enrollment.training),), None))),
            peewee.fn.COUNT(Enrollment.id),
            _count_if(attended),
            _count_if(attended & (latest == "applied")),
        )
        .join(Training)
        .switch(Enrollment)
        .join(Person, peewee.JOIN.LEFT_OUTER, on=(Person.phone == Enrollment.phone))
        .where(Enrollment.status.in_(SEATED) & (Training.status == "held") & _in(Training.starts_at, period))
        .group_by(Person.village)
        .tuples(),
    )


def _trainings(period: Period, scopes: dict[str, Figures], add) -> None:
    """Trainings held in the period with their attendees, and follow-up answers received in it, by the
    attendees' villages; the area counts every training held."""
    scopes[ALL].trainings_held = (
        Training.select().where((Training.status == "held") & _in(Training.starts_at, period)).count()
    )
    for village, trainings, seated, n, applied in training_rows(period):
        scopes[ALL].attended += n
        scopes[ALL].seated += seated
        scopes[ALL].attendees_applied += int(applied or 0)
        if village in scopes and village != ALL:
            scopes[village].attended += n
            scopes[village].seated += seated
            scopes[village].attendees_applied += int(applied or 0)
            scopes[village].trainings_held += trainings
    answers = cast(
        "Iterable[tuple[str | None, int | None, int | None]]",
        Enrollment.select(
            Person.village,
            _count_if(_in(Enrollment.answered_30_at, period)) + _count_if(_in(Enrollment.answered_90_at, period)),
            _count_if(_in(Enrollment.answered_30_at, period) & (Enrollment.answer_30 == "applied"))
            + _count_if(_in(Enrollment.answered_90_at, period) & (Enrollment.answer_90 == "applied")),
        )
        .join(Person, peewee.JOIN.LEFT_OUTER, on=(Person.phone == Enrollment.phone))
        .where(_in(Enrollment.answered_30_at, period) | _in(Enrollment.answered_90_at, period))
        .group_by(Person.village)
        .tuples(),
    )
    for village, answered, applied in answers:

        def count(f: Figures, a=int(answered or 0), p=int(applied or 0)) -> None:
            f.answered += a
            f.applied += p

        add(village, count)


def _order(scopes: dict[str, Figures]) -> None:
    for figures in scopes.values():
        figures.reports_by_category = {
            c: figures.reports_by_category[c] for c in CATEGORIES if c in figures.reports_by_category
        }
        figures.registrations_by_status = {
            s: figures.registrations_by_status[s] for s in STATUSES if s in figures.registrations_by_status
        }


def waiting_by_organiser() -> dict[str, int]:
    """Open cases each active organiser or coordinator has taken, by first name (a coordinator's digest)."""
    count = peewee.fn.COUNT(peewee.SQL("*"))  # not COUNT(id): the (status, village, ack_due_at, assignee) index answers
    rows = cast(
        "Iterable[tuple[str | None, int]]",
        (
            Case.select(Staff.name, count)
            .join(Staff, on=(Staff.phone == Case.assignee))
            .where(Case.status.in_(("acknowledged", "referred")) & (Staff.active == True))  # noqa: E712
            .group_by(Staff.name)
            .order_by(count.desc(), Staff.name)
            .tuples()
        ),
    )
    waiting: dict[str, int] = defaultdict(int)
    for name, n in rows:
        waiting[(name or "-").split()[0]] += n
    return dict(waiting)
