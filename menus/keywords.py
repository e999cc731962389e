"""The SMS keyword table and a matcher: case-insensitive, alias-aware (id, en, jv), typo-tolerant."""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

KEYWORDS: dict[str, tuple[str, ...]] = {
    "DAFTAR": ("DAFTAR", "REGISTER", "REG", "JOIN", "NDAFTAR"),
    "LAPOR": ("LAPOR", "REPORT", "ADUAN", "NGADU"),
    "LATIH": ("LATIH", "PELATIHAN", "TRAINING", "TRAIN", "GLADHEN"),
    "INFO": ("INFO", "INFORMASI", "INFORMATION"),
    "CEK": ("CEK", "CHECK", "CEKAGEN"),
    "STATUS": ("STATUS",),
    "BAHASA": ("BAHASA", "LANGUAGE", "LANG", "BASA"),
    "BERHENTI": ("BERHENTI", "STOP", "UNREG", "LEREN", "MANDHEG"),
    "MULAI": ("MULAI", "START", "WIWIT"),
    "BANTUAN": ("BANTUAN", "HELP", "TOLONG", "PITULUNG", "MENU"),
}
"""Each keyword with its aliases; the first alias is the Indonesian keyword shown to users."""

ALIASES: dict[str, str] = {alias: keyword for keyword, aliases in KEYWORDS.items() for alias in aliases}

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


def match(text: str) -> Match:
    """Match the first word of an SMS against the keyword table."""
    words = (text or "").strip().split(maxsplit=1)
    if not words:
        return Match(None, "", False)
    first = words[0].upper().strip(".,!?:;#")
    argument = words[1].strip() if len(words) > 1 else ""
    if first in ALIASES:
        return Match(ALIASES[first], argument, True)
    if len(first) < 3 or len(first) > 20:
        return Match(None, argument, False)
    found = process.extractOne(first, list(ALIASES), scorer=fuzz.ratio, score_cutoff=SUGGEST_SCORE)
    if not found:
        return Match(None, argument, False)
    alias, score, _ = found
    keyword = ALIASES[alias]
    if score >= TYPO_SCORE:
        return Match(keyword, argument, False)
    return Match(None, argument, False, suggestion=keyword)
