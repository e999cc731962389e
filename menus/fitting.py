"""Fitting SMS texts to their segment budget: a value or a list cut to what fits (ending in "..."), or a list in
pages."""

from __future__ import annotations

from collections.abc import Callable

from models.gsm import sms_size

MAX_SEGMENTS = 2
"""Replies, alerts and lists fit this many GSM-7 segments (the budget `menus check` holds SMS texts to)."""

ELLIPSIS = "..."
"""Ends a value or a list cut to fit."""


def fits(text: str, segments: int = MAX_SEGMENTS) -> bool:
    """True if `text` fits `segments` SMS segments."""
    return sms_size(text).segments <= segments


def list_that_fits(render: Callable[[str], str], items: list[str], separator: str, segments: int = MAX_SEGMENTS) -> str:
    """The items joined by `separator`, as many as keep `render(joined)` within `segments`, ending in "..."
    when some were left out; "..." alone if not even one fits."""
    for count in range(len(items), 0, -1):
        shown = separator.join(items[:count]) + (f"{separator}{ELLIPSIS}" if count < len(items) else "")
        if fits(render(shown), segments):
            return shown
    return ELLIPSIS


def cut_to_fit(render: Callable[[str], str], value: str, segments: int = MAX_SEGMENTS) -> str:
    """`value` if `render(value)` fits `segments`; else its longest start (at a word end when it can) ending in
    "..."; else ""."""
    if fits(render(value), segments):
        return value
    best, low, high = "", 1, len(value) - 1
    while low <= high:
        middle = (low + high) // 2
        start = value[:middle]
        if value[middle] != " " and " " in start.strip():
            start = start.rsplit(" ", 1)[0]
        candidate = start.rstrip() + ELLIPSIS
        if fits(render(candidate), segments):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def pages(render: Callable[[list[str], int, int], str], items: list[str]) -> list[list[str]]:
    """Items split into pages, each as many as fit: `render(page_items, left_after_page, next_page_number)`."""
    found: list[list[str]] = []
    start = 0
    while start < len(items):
        end = start + 1
        while end < len(items) and fits(render(items[start : end + 1], len(items) - end - 1, len(found) + 2)):
            end += 1
        found.append(items[start:end])
        start = end
    return found
