"""The console's words: `console.*` keys of the service's catalogs (block `# console (issue 18)`), in the language
the staff member picked (`?lang=en` on any page, kept in the session; Bahasa Indonesia first)."""

from __future__ import annotations

from flask import request, session

from menus import catalog

CONSOLE_LANGUAGES = ("id", "en")
"""Languages the console offers: Indonesian first, English selectable."""

DEFAULT_CONSOLE_LANGUAGE = "id"

LANGUAGE_KEY = "lang"
"""Session key of the chosen language."""


def remember_language() -> None:
    """Keep `?lang=` (when it names a console language) in the session for the pages that follow."""
    wanted = request.args.get("lang", "")
    if wanted in CONSOLE_LANGUAGES and session.get(LANGUAGE_KEY) != wanted:
        session[LANGUAGE_KEY] = wanted


def language() -> str:
    """The console language of this request."""
    chosen = session.get(LANGUAGE_KEY)
    return chosen if chosen in CONSOLE_LANGUAGES else DEFAULT_CONSOLE_LANGUAGE


def text(key: str, **params: object) -> str:
    """The text of catalog key `key` in the console language, `{placeholders}` filled from `params`."""
    return catalog.text(key, language(), {name: str(value) for name, value in params.items()})
