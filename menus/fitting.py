"""Fitting SMS texts to their segment budget: lists cut to the items that fit, ending in "..."."""
from __future__ import annotations

from typing import Callable

from models.gsm import sms_size

MAX_SEGMENTS = 2
"""Replies, alerts and lists fit this many GSM-7 segments (the budget `menus check` holds SMS texts to)."""


def fits(text: str, segments: int = MAX_SEGMENTS) -> bool:
    """True if `text` fits `segments` SMS segments."""
    return sms_size(text).segments <= segments


def list_that_fits(render: Callable[[str], str], items: list[str], separator: str,
                   segments: int = MAX_SEGMENTS) -> str:
    """The items joined by `separator`, as many as keep `render(joined)` within `segments`, ending in "..."
    when some were left out; "..." alone if not even one fits."""
    for count in range(len(items), 0, -1):
        shown = separator.join(items[:count]) + (f"{separator}..." if count < len(items) else "")
        if fits(render(shown), segments):
            return shown
    return "..."
