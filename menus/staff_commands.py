"""Staff commands: matched exactly (never fuzzily) against the keywords the features declare, one parser for all.

They are read only from registered staff numbers; from anyone else "Terima kasih pak" or "Selesai kerja"
is an ordinary message, unless the command's own test finds it plainly meant for staff (`StaffKeyword`).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from models.codes import normalise_code

_PUNCTUATION = ".,!?:;#"


@dataclass(frozen=True)
class StaffCommand:
    """`<KEYWORD> <code> [rest]`: the keyword, the code normalised (upper case, no dash), the rest as typed."""

    keyword: str
    code: str
    rest: str


def parse(text: str, keywords: Container[str]) -> StaffCommand | None:
    """The staff command this SMS is, if its first word is exactly one of `keywords` (any case), or its first two
    words are one ("CATAT KUNJUNG 12 …", before "CATAT" alone); else None."""
    words = (text or "").strip().split(maxsplit=3)
    if not words:
        return None
    if len(words) > 1:
        pair = f"{words[0].upper().strip(_PUNCTUATION)} {words[1].upper().strip(_PUNCTUATION)}"
        if pair in keywords:
            return StaffCommand(
                pair, normalise_code(words[2]) if len(words) > 2 else "", words[3].strip() if len(words) > 3 else ""
            )
    words = (text or "").strip().split(maxsplit=2)
    keyword = words[0].upper().strip(_PUNCTUATION)
    if keyword not in keywords:
        return None
    code = normalise_code(words[1]) if len(words) > 1 else ""
    rest = words[2].strip() if len(words) > 2 else ""
    return StaffCommand(keyword, code, rest)
