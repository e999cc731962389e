"""DESIGN's neutral words: what the service must never say to a reporter's number or a safe number (a worker's
phone may be read by an employer, an agent or an abusive relative)."""

from __future__ import annotations

import re

FORBIDDEN_WORDS = (
    # Indonesian
    "lapor", "laporan", "pelapor", "melapor", "kasus", "aduan", "pengaduan", "trafficking", "perdagangan",
    "kekerasan", "pelecehan", "dikurung", "disekap", "paspor", "disnaker", "dinas", "polisi", "kbri", "bp3mi",
    "kbmi", "migran", "tki", "kawalmigran",
    # English
    "report", "reports", "case", "cases", "abuse", "police", "embassy",
    # Javanese
    "kasusipun", "pulisi",
)  # fmt: skip
"""Whole words, lower case, in any of the three languages."""


def forbidden_in(text: str) -> list[str]:
    """The forbidden words `text` contains as whole words (case-insensitive)."""
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    return [word for word in FORBIDDEN_WORDS if word in words]
