"""GSM 03.38 facts: which text fits the basic alphabet, and how many SMS segments a text costs."""
from __future__ import annotations

import math
from typing import NamedTuple

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The 128 characters of the GSM 03.38 default alphabet (escape included)."""

GSM7_EXTENSION = "^{}\\[~]|€\f"
"""Characters reached through the escape: each counts as two."""

_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


class SmsSize(NamedTuple):
    """Encoding and segment count of one SMS text."""

    encoding: str
    units: int
    segments: int


def is_gsm7_basic(text: str) -> bool:
    """True if every character is in the GSM-7 basic set (no extension characters)."""
    return all(ch in _BASIC for ch in text)


def non_gsm7_basic(text: str) -> list[str]:
    """The characters of `text` outside the GSM-7 basic set, in order of first appearance."""
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in _BASIC:
            seen.setdefault(ch)
    return list(seen)


def sms_size(text: str) -> SmsSize:
    """Encoding (gsm7 or ucs2), length in code units and segments for an SMS text."""
    if all(ch in _BASIC or ch in _EXTENSION for ch in text):
        units = sum(2 if ch in _EXTENSION else 1 for ch in text)
        single, multi, encoding = GSM7_SINGLE, GSM7_MULTI, "gsm7"
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi, encoding = UCS2_SINGLE, UCS2_MULTI, "ucs2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return SmsSize(encoding, units, segments)


_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u2026": "...", "\u00a0": " ", "\t": " ",
})


def fold_to_gsm7(text: str) -> str:
    """Replace typographic look-alikes with GSM-7 characters and drop the rest (for echoing user text)."""
    text = text.translate(_FOLD)
    return "".join(ch for ch in text if ch in _BASIC)
