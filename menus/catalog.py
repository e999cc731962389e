"""Message catalogs (gettext .po files read with Babel), keyed by screen, falling back to Indonesian."""

from __future__ import annotations

import logging
import string
from pathlib import Path

from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

CATALOG_DIR = Path(__file__).parent / "catalogs"
FALLBACK_LANGUAGE = "id"
LANGUAGES = ("id", "jv", "en")


class MissingText(KeyError):
    """A key has no text in the fallback catalog."""


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def placeholders(text: str) -> set[str]:
    """Names of the `{placeholders}` in a catalog text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalogs:
    """The catalogs of one folder (`<language>.po`), each read once."""

    def __init__(self, folder: Path = CATALOG_DIR) -> None:
        self.folder = Path(folder)
        self.feature_folders: tuple[Path, ...] = ()
        self._loaded: dict[str, dict[str, str]] = {}

    def use_feature_folders(self, folders: tuple[Path, ...]) -> None:
        """Read the catalogs of features kept outside `menus/` from `folders` too (their keys only add)."""
        self.feature_folders = tuple(Path(folder) for folder in folders)
        self._loaded.clear()

    def load(self, language: str) -> dict[str, str]:
        """All translated texts of one language, by key."""
        if language not in self._loaded:
            texts: dict[str, str] = {}
            for folder in reversed((self.folder, *self.feature_folders)):  # the service's own texts win
                texts |= _read(folder / f"{language}.po")
            self._loaded[language] = texts
        return self._loaded[language]

    def keys(self) -> set[str]:
        """Every key of the fallback catalog."""
        return set(self.load(FALLBACK_LANGUAGE))

    def raw_text(self, key: str, language: str) -> str:
        """The unformatted text of `key` in `language`, else Indonesian; MissingText if neither has it."""
        text = self.load(language).get(key) if language in LANGUAGES else None
        if text is None:
            text = self.load(FALLBACK_LANGUAGE).get(key)
        if text is None:
            raise MissingText(key)
        return text

    def text(self, key: str, language: str, params: dict[str, str] | None = None) -> str:
        """The text of `key` in `language` with `{placeholders}` filled (missing ones left blank)."""
        try:
            raw = self.raw_text(key, language)
        except MissingText:
            log.error("missing catalog text %s", key)
            return key
        if "{" not in raw:
            return raw
        return raw.format_map(_Blank(params or {}))


def _read(path: Path) -> dict[str, str]:
    """The translated, not fuzzy texts of one .po file, by key (none if it does not exist)."""
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return {
            m.id: m.string
            for m in read_po(handle)
            if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy
        }


CATALOGS = Catalogs()
"""The service's catalogs."""

load = CATALOGS.load
keys = CATALOGS.keys
raw_text = CATALOGS.raw_text
text = CATALOGS.text
