"""The SMS keyword matcher: case-insensitive, alias-aware (id, en, jv), typo-tolerant.

The words come from the features (`Registry.aliases`); staff commands are matched apart, exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

TYPO_SCORE = 80.0
"""Similarity (0-100) at which a word is taken as a mistyped keyword."""

SUGGEST_SCORE = 60.0
"""Similarity at which an unknown word earns a "did you mean" hint."""


@dataclass(frozen=True)
class Match:
    """The keyword a message starts with (None if unknown), the rest of the text, and a suggestion."""

    keyword: str | None
    argument: str
    exact: bool
    suggestion: str | None = None


def match(text: str, aliases: Mapping[str, str]) -> Match:
    """Match the first word of an SMS against `aliases` (every word a keyword answers to -> the keyword)."""
    words = (text or "").strip().split(maxsplit=1)
    if not words:
        return Match(None, "", False)
    first = words[0].upper().strip(".,!?:;#")
    argument = words[1].strip() if len(words) > 1 else ""
    if first in aliases:
        return Match(aliases[first], argument, True)
    if len(first) < 3 or len(first) > 20:
        return Match(None, argument, False)
    found = process.extractOne(first, list(aliases), scorer=fuzz.ratio, score_cutoff=SUGGEST_SCORE)
    if not found:
        return Match(None, argument, False)
    alias, score, _ = found
    keyword = aliases[alias]
    if score >= TYPO_SCORE:
        return Match(keyword, argument, False)
    return Match(None, argument, False, suggestion=keyword)
