"""GSM 03.38 facts: which text fits the basic alphabet, and how many SMS segments a text costs."""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The 128 characters of the GSM 03.38 default alphabet (escape included)."""

GSM7_EXTENSION = "^{}\\[~]|€\f"
"""Characters reached through the escape: each counts as two."""

_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}


def _class_of(characters: frozenset[str] | str, negate: bool = False) -> re.Pattern[str]:
    return re.compile("[" + ("^" if negate else "") + "".join(re.escape(ch) for ch in sorted(characters)) + "]")


# One regex scan each instead of a Python loop per character (these run on every USSD reply).
_OUTSIDE_BASIC = _class_of(_BASIC, negate=True)
_OUTSIDE_GSM7 = _class_of(_BASIC | frozenset(GSM7_EXTENSION), negate=True)
_EXTENSION_CHAR = _class_of(GSM7_EXTENSION)
_ASTRAL_CHAR = re.compile("[\U00010000-\U0010ffff]")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


class SmsSize(NamedTuple):
    """Encoding and segment count of one SMS text."""

    encoding: str
    units: int
    segments: int


def is_gsm7_basic(text: str) -> bool:
    """True if every character is in the GSM-7 basic set (no extension characters)."""
    return _OUTSIDE_BASIC.search(text) is None


def non_gsm7_basic(text: str) -> list[str]:
    """The characters of `text` outside the GSM-7 basic set, in order of first appearance."""
    return list(dict.fromkeys(_OUTSIDE_BASIC.findall(text)))


def sms_size(text: str) -> SmsSize:
    """Encoding (gsm7 or ucs2), length in code units and segments for an SMS text."""
    if _OUTSIDE_GSM7.search(text) is None:
        units = len(text) + len(_EXTENSION_CHAR.findall(text))
        single, multi, encoding = GSM7_SINGLE, GSM7_MULTI, "gsm7"
    else:
        units = len(text) + len(_ASTRAL_CHAR.findall(text))
        single, multi, encoding = UCS2_SINGLE, UCS2_MULTI, "ucs2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return SmsSize(encoding, units, segments)


_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\t": " ",
    }
)


_LATIN_LETTERS = {
    "ß": "ss",
    "Æ": "AE",
    "æ": "ae",
    "Œ": "OE",
    "œ": "oe",
    "Ø": "O",
    "ø": "o",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ð": "D",
    "ð": "d",
    "Þ": "Th",
    "þ": "th",
    "ı": "i",
    "Ŋ": "N",
    "ŋ": "n",
    "\u2044": "/",
}
"""Latin letters (and a look-alike) that Unicode does not decompose into a base letter and marks."""

_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=2048)
def _latin(character: str) -> str:
    """ASCII for one character: its Latin base letters without marks (î -> i, ﬁ -> fi), or "" if it has none."""
    if character in _LATIN_LETTERS:
        return _LATIN_LETTERS[character]
    decomposed = unicodedata.normalize("NFKD", character)
    base = "".join(_LATIN_LETTERS.get(c, c) for c in decomposed if not unicodedata.combining(c))
    return _NON_ASCII.sub("", base)


@lru_cache(maxsize=2048)
def _gsm7_stand_in(character: str) -> str:
    """What replaces one character outside the GSM-7 basic set: its Latin base if GSM-7 has it, else nothing."""
    return _OUTSIDE_BASIC.sub("", _latin(character))


def to_latin(text: str) -> str:
    """Plain ASCII: typographic look-alikes folded, diacritics stripped (Sîtì -> Siti), what has no Latin base
    dropped."""
    return _NON_ASCII.sub(lambda m: _latin(m.group()), text.translate(_FOLD))


def fold_to_gsm7(text: str) -> str:
    """GSM-7 basic text: look-alikes folded, other letters transliterated (î -> i, é stays), the rest dropped."""
    folded = text.translate(_FOLD)
    if _OUTSIDE_BASIC.search(folded) is None:
        return folded
    folded = unicodedata.normalize("NFC", folded)  # "e" + a combining acute is "é", which GSM-7 has
    return _OUTSIDE_BASIC.sub(lambda m: _gsm7_stand_in(m.group()), folded)
