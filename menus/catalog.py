"""Message catalogs (gettext .po files read with Babel), keyed by screen, falling back to Indonesian."""
from __future__ import annotations

import logging
import string
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

CATALOG_DIR = Path(__file__).parent / "catalogs"
FALLBACK_LANGUAGE = "id"
LANGUAGES = ("id", "jv", "en")


class MissingText(KeyError):
    """A key has no text in the fallback catalog."""


@lru_cache(maxsize=None)
def load(language: str) -> dict[str, str]:
    """All translated texts of one language's catalog, by key."""
    path = CATALOG_DIR / f"{language}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def keys() -> set[str]:
    """Every key of the fallback catalog."""
    return set(load(FALLBACK_LANGUAGE))


def raw_text(key: str, language: str) -> str:
    """The unformatted text of `key` in `language`, else Indonesian; MissingText if neither has it."""
    text = load(language).get(key) if language in LANGUAGES else None
    if text is None:
        text = load(FALLBACK_LANGUAGE).get(key)
    if text is None:
        raise MissingText(key)
    return text


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def placeholders(text: str) -> set[str]:
    """Names of the `{placeholders}` in a catalog text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def text(key: str, language: str, params: dict[str, str] | None = None) -> str:
    """The text of `key` in `language` with `{placeholders}` filled (missing ones left blank)."""
    try:
        raw = raw_text(key, language)
    except MissingText:
        log.error("missing catalog text %s", key)
        return key
    return raw.format_map(_Blank(params or {}))
