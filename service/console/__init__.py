"""The organisers' console: server-rendered pages for staff under `/console` (blueprint `console`).

Interfaces for its pages: register views on `service.console.blueprint.bp`; decorate them with
`service.console.auth.login_required` and read the staff member with `current_staff()`; render templates that extend
`console/base.html` (blocks `title` and `content`; the globals `t(key, **params)` for console texts, `lang`, `staff`
and Flask-WTF's `csrf_token()` for every POST form); record openings and exports with
`models.audit.AuditEvent.record(staff, kind, target)`. Every console response carries `no-store` and a CSP without
inline script or style (`service.console.security`).
"""

from __future__ import annotations

from flask import Flask, current_app, g, url_for

from service.console import auth, pages, security
from service.console.blueprint import bp
from service.console.texts import language, text

NAV = (
    ("console.today", "console.nav.today"),
    ("console.cases", "console.nav.cases"),
    ("console.people", "console.nav.people"),
    ("console.trainings", "console.nav.trainings"),
    ("console.broadcasts", "console.nav.broadcasts"),
    ("console.figures", "console.nav.figures"),
    ("console.staff", "console.nav.staff"),
)
"""The console's menu: endpoint and text key; an endpoint not built yet is left out."""

__all__ = ["auth", "bp", "init_app", "pages"]


@bp.context_processor
def _template_globals() -> dict[str, object]:
    menu = [(url_for(endpoint), text(key), endpoint) for endpoint, key in NAV if endpoint in current_app.view_functions]
    return {"t": text, "lang": language(), "staff": g.get("staff"), "console_menu": menu}


def init_app(app: Flask) -> None:
    """Register the console: its blueprint, CSRF, the limiter, the session cookie's flags and the headers."""
    security.init_app(app)
    app.register_blueprint(bp)
