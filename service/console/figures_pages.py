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
import hashlib
import json
import logging

from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from menus.features.digests.jobs import scope_of
from models import Village, utcnow
from models.digest_figures import ALL, EXPORT_FIELDS
from models.digest_period import Period, PeriodError, between, last_complete, parse_day, this_year
from models.period_figures import PeriodFigures, as_record, from_record, period_figures
from models.settings import to_local
from service.console import figure_sections
from service.console.auth import current_staff, login_required
from service.console.blueprint import bp
from workers.queues import redis

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


DEFAULT_CACHE_SECONDS = 300
"""FIGURES_CACHE_SECONDS when not set: a period's figures for a scope are counted once and shown for this long (a
year of a large district takes a few hundred milliseconds to count; "open now" is then up to 5 minutes old, and
the page says when it was counted). 0 counts them at every request."""


def cached_figures(period: Period, scope: str, villages: list[str], now: dt.datetime) -> tuple[PeriodFigures, str]:
    """The period's figures for the scope, and when they were counted (naive UTC, ISO): kept in Redis for
    FIGURES_CACHE_SECONDS; counted again when they are older or Redis does not answer."""
    seconds = int(current_app.config.get("FIGURES_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    listed = hashlib.sha256("|".join(villages).encode()).hexdigest()[:12]
    key = f"km:figures:{scope}:{period.kind}:{period.first}:{period.last}:{listed}"
    if seconds > 0:
        try:
            kept = redis().get(key)
            if kept:
                record = json.loads(kept)
                age = (now - dt.datetime.fromisoformat(record["at"])).total_seconds()
                if 0 <= age < seconds:  # by our clock, not only Redis's expiry
                    return from_record(record["figures"]), record["at"]
        except (RedisError, ValueError, KeyError, TypeError) as error:
            log.warning("figures: kept figures unreadable, counting again (%s)", error)
    figures = period_figures(period, scope, villages, now)
    if seconds > 0:
        try:
            redis().set(key, json.dumps({"at": now.isoformat(), "figures": as_record(figures)}), ex=seconds)
        except RedisError as error:
            log.warning("figures: not kept (%s)", error)
    return figures, now.isoformat()


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


def own_scope() -> str:
    """The figures the signed-in staff member may see: the digest's scope (`scope_of`), except that a cadre (a
    volunteer in training, working in one village) sees their village's only, and a cadre with no village none
    (404)."""
    staff = current_staff()
    if staff.role == "cadre":
        if not staff.village:
            abort(404)
        return str(staff.village)
    return scope_of(staff)


def chosen_scope(asked: str) -> str:
    """The scope the signed-in staff member sees: their village for a village head (404 if they ask for another),
    else the whole area or the configured village they ask for (404 for one not on the list)."""
    own = own_scope()
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
    own = own_scope()
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
    shown, counted = cached_figures(period, scope, Village.names() if scope == ALL else [scope], now)
    return render_template(
        "console/figures.html",
        error=None,
        shown=shown,
        counted=f"{to_local(dt.datetime.fromisoformat(counted)):%d/%m/%Y %H:%M}",
        summary=[(name, shown.totals.to_export()[name]) for name in SUMMARY_FIELDS],
        sections=figure_sections.build(shown),
        form={**form, "from": period.first.isoformat(), "to": period.last.isoformat()},
    )
