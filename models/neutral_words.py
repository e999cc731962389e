"""Neutral words: what never goes in an SMS to a reporter's or a safe number (a phone may be read by an employer or
an agent)."""

from __future__ import annotations

import re

NOT_NEUTRAL = (
    "lapor", "kasus", "aduan", "trafficking", "perdagangan", "kekerasan", "leceh", "kurung", "sekap", "paspor",
    "disnaker", "dinas", "polisi", "kbri", "bp3mi", "bp2mi", "kp2mi", "kbmi", "migran", "tki", "kawalmigran",
    "report", "case", "abuse", "police", "embassy", "passport",
)  # fmt: skip
"""Words (and, from five letters, the words they are part of) never sent to a reporter's or a safe number: a phone
may be read by an employer or an agent (DESIGN "The SMS report")."""


def non_neutral_word(text: str) -> str | None:
    """The first word of `text` that names a report, a case, abuse, an agency or the organisation, if any."""
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if any(word == stem or (len(stem) >= 5 and stem in word) for stem in NOT_NEUTRAL):
            return word
    return None
