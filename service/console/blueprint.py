"""The console's blueprint: every console view (sign-in, pages) is registered on it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")
"""Blueprint `console` at `/console`; templates are `service/templates/console/*.html`."""
