"""The figures page, `/console/figures`: any period's numbers as charts drawn on the server (no script), with the
digest's own figures at the top.

Period: `?period=last_week|last_month|this_year` (the first two are the digests' periods exactly), or
`?from=YYYY-MM-DD&to=YYYY-MM-DD` (local days, both included; 30/11/2026 is read too); last month when nothing is
asked. Bad days answer 400 with the form and what is wrong, and no figures.
Scope is the digest's (`menus.features.digests.jobs.scope_of`): a village head sees their own village only
(`?village=` naming another is 404); organisers, coordinators and regency officials see the whole area and may
narrow it to one configured village. Everyone sees numbers only: no name, number, code or story is on the page.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from menus.features.digests.jobs import scope_of
from models import Village, utcnow
from models.digest_figures import ALL, EXPORT_FIELDS
from models.digest_period import Period, PeriodError, between, last_complete, parse_day, this_year
from models.period_figures import period_figures
from service.console import figure_sections
from service.console.auth import current_staff, login_required
from service.console.blueprint import bp

log = logging.getLogger(__name__)

SHORTCUTS = {
    "last_week": lambda now: last_complete("week", now),
    "last_month": lambda now: last_complete("month", now),
    "this_year": this_year,
}
"""The period links above the form."""
DEFAULT_SHORTCUT = "last_month"

SUMMARY_FIELDS = tuple(name for name in EXPORT_FIELDS if name not in ("scope", "period_start", "period_end"))
"""The digest's figures the page opens with: the `export digest` record without its scope and days (a figure
added to the export is shown too; its label is `console.figures.field.<name>`)."""


def chosen_period(args: dict[str, str], now: dt.datetime) -> Period:
    """The period the query string asks for (a shortcut, or from and to); PeriodError naming the field at fault."""
    shortcut = args.get("period", "")
    if shortcut in SHORTCUTS:
        return SHORTCUTS[shortcut](now)
    if not args.get("from") and not args.get("to"):
        return SHORTCUTS[DEFAULT_SHORTCUT](now)
    first = parse_day(args.get("from", ""), "from")
    last = parse_day(args.get("to", ""), "to")
    return between(first, last, now)


def chosen_scope(asked: str) -> str:
    """The scope the signed-in staff member sees: their village for a village head (404 if they ask for another),
    else the whole area or the configured village they ask for (404 for one not on the list)."""
    own = scope_of(current_staff())
    wanted = asked.strip().casefold()
    if own != ALL:
        if wanted and wanted != own.casefold():
            abort(404)
        return own
    if not wanted:
        return ALL
    found = next((name for name in Village.names() if name.casefold() == wanted), None)
    if found is None:
        abort(404)
    return found


@bp.route("/figures")
@login_required
def figures() -> ResponseReturnValue:
    """The figures of a period for the staff member's scope: the digest's numbers, then each section's chart and
    table."""
    args = {key: value.strip()[:20] for key, value in request.args.items()}
    scope = chosen_scope(args.get("village", ""))
    now = utcnow()
    own = scope_of(current_staff())
    form = {
        "villages": Village.names() if own == ALL else [],
        "village": "" if scope == ALL else scope,
        "shortcuts": list(SHORTCUTS),
    }
    try:
        period = chosen_period(args, now)
    except PeriodError as error:
        log.info("figures: period refused (%s)", error)
        return (
            render_template(
                "console/figures.html",
                error=error,
                shown=None,
                form={**form, "from": args.get("from", ""), "to": args.get("to", "")},
            ),
            400,
        )
    shown = period_figures(period, scope, Village.names() if scope == ALL else [scope], now)
    return render_template(
        "console/figures.html",
        error=None,
        shown=shown,
        summary=[(name, shown.totals.to_export()[name]) for name in SUMMARY_FIELDS],
        sections=figure_sections.build(shown),
        form={**form, "from": period.first.isoformat(), "to": period.last.isoformat()},
    )
