"""Validators for free-text answers: each returns (clean value, None) or (None, error catalog key)."""

from __future__ import annotations

import re

from models.gsm import to_latin
from models.person import NAME_MAX, VILLAGE_MAX

_NAME = re.compile(r"^[^\W\d_]+(?:[ .'-]+[^\W\d_]+)*\.?$")
_PLACE = re.compile(r"^[^\W_]+(?:[ .'/-]+[^\W_]+)*\.?$")


def _clean(text: str) -> str:
    """Plain Latin letters with single spaces: a name typed with diacritics is transliterated, not cut."""
    return " ".join(to_latin(text).split())


def validate_name(text: str) -> tuple[str | None, str | None]:
    """A person's name: letters, spaces and . ' - ; 2 to 30 characters."""
    value = _clean(text)
    if len(value) < 2 or len(value) > NAME_MAX or len(text) > 3 * NAME_MAX or not _NAME.match(value):
        return None, "error.name"
    return value.title() if value.islower() or value.isupper() else value, None


def validate_place(text: str) -> tuple[str | None, str | None]:
    """A village or place name: letters, digits, spaces and . ' / - ; 2 to 30 characters."""
    value = _clean(text)
    if len(value) < 2 or len(value) > VILLAGE_MAX or len(text) > 3 * VILLAGE_MAX or not _PLACE.match(value):
        return None, "error.place"
    return value.title() if value.islower() or value.isupper() else value, None
