"""A digest as an SMS: short labels, one figure each, in the recipient's language, within three GSM-7 segments.

Numbers only: the figures carry no name (a coordinator's "waiting on" line names organisers by first name,
staff, not people served), no phone number, no code and no story.
"""

from __future__ import annotations

from collections.abc import Callable

from menus import catalog
from menus.fitting import fits
from models.digest_figures import ALL, Figures

DIGEST_SEGMENTS = 3
"""A digest fits this many SMS segments."""


def render(figures: Figures, language: str, waiting: dict[str, int] | None = None) -> str:
    """The digest text; the detail lists (registrations by status, reports by problem, waiting per organiser, then
    a coordinator's cadre line) are dropped, last first, until it fits DIGEST_SEGMENTS."""

    def t(key: str, **params: object) -> str:
        return catalog.text(key, language, {k: str(v) for k, v in params.items()})

    scope = t("digest.scope_all") if figures.scope == ALL else figures.scope
    title = t(f"digest.title.{figures.period.kind}", period=figures.period.label, scope=scope)
    if figures.empty and not waiting and not (waiting is not None and figures.has_cadres):
        return f"{title} {t('digest.empty')}"

    registrations = ", ".join(f"{t('status_short.' + s)} {n}" for s, n in figures.registrations_by_status.items())
    reports = ", ".join(f"{t('case.category_short.' + c)} {n}" for c, n in figures.reports_by_category.items())
    waiting_on = ", ".join(f"{name} {n}" for name, n in (waiting or {}).items())

    def compose(details: set[str]) -> str:
        parts = [title]
        if figures.registrations:
            parts.append(
                t("digest.registrations", count=figures.registrations)
                + _detail("registrations" in details and registrations)
            )
        if figures.reports:
            parts.append(
                t("digest.reports", count=figures.reports, urgent=figures.urgent)
                + _detail("reports" in details and reports)
            )
        parts.append(
            t(
                "digest.cases",
                open=figures.open,
                overdue=figures.overdue,
                referred=figures.referred_waiting,
                resolved=figures.resolved,
            )
        )
        if figures.trainings_held or figures.answered:
            parts.append(
                t(
                    "digest.trainings",
                    held=figures.trainings_held,
                    attended=figures.attended,
                    applied=figures.applied,
                    answered=figures.answered,
                )
            )
        if waiting is not None and figures.has_cadres and "cadres" in details:
            hours = figures.cadre_first_action_hours
            parts.append(
                t(
                    "digest.cadres",
                    new=figures.cadres_new,
                    active=figures.cadres_active,
                    cases=figures.cadre_cases,
                    visits=figures.cadre_visits,
                    hours="-" if hours is None else hours,
                )
            )
        if waiting_on and "waiting" in details:
            parts.append(t("digest.waiting", detail=waiting_on))
        return " ".join(parts)

    return _first_that_fits(
        compose,
        [
            {"registrations", "reports", "waiting", "cadres"},
            {"reports", "waiting", "cadres"},
            {"waiting", "cadres"},
            {"cadres"},
            set(),
        ],
    )


def _detail(items: str | bool) -> str:
    return f" ({items})." if items else "."


def _first_that_fits(compose: Callable[[set[str]], str], choices: list[set[str]]) -> str:
    for details in choices:
        text = compose(details)
        if fits(text, DIGEST_SEGMENTS):
            return text
    return text
