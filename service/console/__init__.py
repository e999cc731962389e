"""The organisers' console: server-rendered pages for staff under `/console` (blueprint `console`).

Interfaces for its pages: register views on `service.console.blueprint.bp`; decorate them with
`service.console.auth.login_required` and read the staff member with `current_staff()`; render templates that extend
`console/base.html` (blocks `title` and `content`; the globals `t(key, **params)` for console texts, `lang`, `staff`
and Flask-WTF's `csrf_token()` for every POST form); record openings and exports with
`models.audit.AuditEvent.record(staff, kind, target)`; a page in `NAV` that only some roles have sets
`view.menu_shown_to = predicate(staff)` so the menu leaves it out for the others. Every console response carries
`no-store` and a CSP without inline script or style (`service.console.security`).
"""

from __future__ import annotations

from flask import Flask, current_app, g, url_for

from service.console import auth, exports_pages, pages, security, staff_pages, tasks_pages
from service.console import broadcasts_pages as broadcasts_pages  # /console/broadcasts
from service.console import cadres_pages as cadres_pages  # /console/cadres
from service.console import figures_pages as figures_pages  # /console/figures
from service.console import trainings_pages as trainings_pages  # /console/trainings
from service.console.blueprint import bp
from service.console.texts import language, text

NAV = (
    ("console.today", "console.nav.today"),
    ("console.cases", "console.nav.cases"),
    ("console.people", "console.nav.people"),
    ("console.trainings", "console.nav.trainings"),
    ("console.tasks", "console.nav.tasks"),
    ("console.cadres", "console.nav.cadres"),
    ("console.broadcasts", "console.nav.broadcasts"),
    ("console.figures", "console.nav.figures"),
    ("console.staff", "console.nav.staff"),
    ("console.exports", "console.nav.exports"),
)
"""The console's menu: endpoint and text key; an endpoint not built yet is left out."""

__all__ = ["auth", "bp", "exports_pages", "init_app", "pages", "staff_pages", "tasks_pages"]


def _shown(endpoint: str) -> bool:
    """A menu entry is shown once its view exists, and only to whom its `menu_shown_to(staff)` (a view function's
    attribute, when set) admits: a page that would be 404 for someone is not in their menu."""
    view = current_app.view_functions.get(endpoint)
    rule = getattr(view, "menu_shown_to", None)
    return view is not None and (rule is None or (g.get("staff") is not None and bool(rule(g.staff))))


@bp.context_processor
def _template_globals() -> dict[str, object]:
    menu = [(url_for(endpoint), text(key), endpoint) for endpoint, key in NAV if _shown(endpoint)]
    return {"t": text, "lang": language(), "staff": g.get("staff"), "console_menu": menu}


def init_app(app: Flask) -> None:
    """Register the console: its blueprint, CSRF, the limiter, the session cookie's flags and the headers."""
    security.init_app(app)
    app.register_blueprint(bp)
