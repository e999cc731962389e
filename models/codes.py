"""Case and training codes as people type them, brought to the one form they are stored in."""

from __future__ import annotations


def normalise_code(raw: str | None) -> str:
    """A code as typed ("k7-m3qx", "Kopi-1.") in one form: upper case, letters and digits only."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())
