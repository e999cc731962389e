"""Staff commands: their own keyword table, matched exactly (never fuzzily), and one parser for all of them.

They are read only from registered staff numbers; from anyone else "Terima kasih pak" or "Selesai kerja"
is an ordinary message. Handlers come from the features (see `menus.registry`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

STAFF_KEYWORDS = ("TERIMA", "CATAT", "RUJUK", "SELESAI", "BUKA", "KASUS", "HADIR", "DETAIL")
"""Every staff command; each must have exactly one handler among the features (checked at start)."""

_PUNCTUATION = ".,!?:;#"
_CODE_CHARS = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True)
class StaffCommand:
    """`<KEYWORD> <code> [rest]`: the keyword, the code normalised (upper case, no dash), the rest as typed."""

    keyword: str
    code: str
    rest: str


def normalise_code(raw: str) -> str:
    """A case or training code as typed ("k7-m3qx", "K7M3QX.") in one form: upper case, letters and digits."""
    return _CODE_CHARS.sub("", raw.upper())


def addressed_to_staff(command: StaffCommand, looks_like_case_code: bool) -> bool:
    """True if a staff word from someone else is plainly a staff command ("TERIMA K7M3RX", "HADIR KOPI1 0812…"),
    not ordinary words ("Terima kasih pak", "Hadir pak")."""
    if looks_like_case_code:
        return True
    return command.keyword == "HADIR" and bool(command.code) and any(ch.isdigit() for ch in command.rest)


def parse(text: str) -> StaffCommand | None:
    """The staff command this SMS is, if its first word is exactly a staff keyword (any case); else None."""
    words = (text or "").strip().split(maxsplit=2)
    if not words:
        return None
    keyword = words[0].upper().strip(_PUNCTUATION)
    if keyword not in STAFF_KEYWORDS:
        return None
    code = normalise_code(words[1]) if len(words) > 1 else ""
    rest = words[2].strip() if len(words) > 2 else ""
    return StaffCommand(keyword, code, rest)
