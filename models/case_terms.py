"""What a case is made of: problem categories and severity, who a report is about, statuses, codes and the
answers a report brings. Pure facts and small functions; the case record and its rules are in `models.case`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from models.settings import SETTINGS

CATEGORIES = ("wages", "documents", "violence", "confined", "deceived", "stranded", "illness", "other")
"""Problem categories, tied to ILO forced-labour indicators and BP2MI complaint categories (DESIGN "Domain"):
unpaid wages; passport or documents held; violence or abuse; confined / not allowed to leave; deceived by a
broker or agency, excessive fees, debt; wants to come home / deported / stranded; illness, accident or death;
other."""

URGENT_CATEGORIES = frozenset({"violence", "confined", "illness"})
"""Categories that make a case urgent: alerted to coordinators and officials at once, shorter deadline."""

FOR_WHOM = ("self", "family", "other")
"""Who the report is about: the reporter, a family member, someone else."""

STATUSES = ("new", "acknowledged", "referred", "resolved", "reopened")
OPEN_STATUSES = ("new", "acknowledged", "referred", "reopened")
UNACKNOWLEDGED = ("new", "reopened")
"""Statuses in which nobody has taken the case yet: the escalation clock runs."""

CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
"""Letters and digits that cannot be mistaken for each other read aloud or on a small screen (no 0/O, 1/I/L,
2/Z, 5/S, 8/B, G/6, Q)."""

CODE_LENGTH = 6
"""23^6 = 148 million codes: random, so one code tells nothing about another."""

NOTE_MAX = 300
STORY_MAX = 480


class CaseError(ValueError):
    """A case operation that is not allowed; `key` is the catalog key that tells the sender why."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def new_code() -> str:
    """A fresh random case code (stored without its dash)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def looks_like_code(code: str) -> bool:
    """True if `code` (normalised: upper case, no dash) has the exact shape of a case code."""
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def display_code(code: str) -> str:
    """A code as people read it: K7M-3QX."""
    return f"{code[:3]}-{code[3:]}"


def severity_of(category: str, said_unsafe: bool = False) -> str:
    """`urgent` for violence, confinement and illness/accident/death, and whenever the reporter said SMS to them is
    not safe (someone who cannot be texted is watched); `normal` otherwise."""
    return "urgent" if said_unsafe or category in URGENT_CATEGORIES else "normal"


CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "violence": (
        "pukul",
        "dipukul",
        "memukul",  # Indonesian prefixes change the word's start: me- + pukul is memukul
        "siksa",
        "menyiksa",
        "menganiaya",
        "menampar",
        "memperkosa",
        "melecehkan",
        "disiksa",
        "aniaya",
        "dianiaya",
        "perkosa",
        "diperkosa",
        "lecehkan",
        "dilecehkan",
        "tampar",
        "ditampar",
        "kekerasan",
        "digebugi",
        "dipun gebag",
        "beat",
        "abuse",
        "rape",
        "hit",
    ),
    "confined": (
        "kurung",
        "dikurung",
        "mengurung",
        "sekap",
        "disekap",
        "menyekap",
        "dikunci",
        "tidak boleh keluar",
        "dilarang keluar",
        "mboten angsal medal",
        "locked",
        "confined",
        "not allowed out",
    ),
    "illness": (
        "sakit",
        "kecelakaan",
        "meninggal",
        "wafat",
        "luka",
        "rumah sakit",
        "gerah",
        "sick",
        "accident",
        "died",
        "hospital",
        "injured",
    ),
    "documents": ("paspor", "passport", "dokumen", "ktp", "visa", "documents"),
    "wages": ("gaji", "upah", "bayaran", "dibayar", "blanja", "salary", "wage", "wages", "paid"),
    "deceived": (
        "agen",
        "calo",
        "sponsor",
        "pt ",
        "utang",
        "hutang",
        "potongan",
        "tipu",
        "ditipu",
        "biaya",
        "agency",
        "broker",
        "debt",
        "fee",
        "cheated",
    ),
    "stranded": ("pulang", "deportasi", "dideportasi", "terlantar", "kabur", "mantuk", "home", "deported", "stranded"),
}
"""Words of a story that name its problem, by category, in the order they are looked for: the urgent ones first
(a story of a beating over unpaid wages is about the beating). Indonesian, Javanese and English, lower case."""


def category_from_words(story: str) -> str:
    """The problem a story's words name (the first category in CATEGORY_WORDS with a word in it), else `other`."""
    words = f" {' '.join(story.lower().split())} "
    for category, found in CATEGORY_WORDS.items():
        if any(f" {word.strip()} " in words or (len(word) > 4 and word in words) for word in found):
            return category
    return "other"


def ack_minutes(severity: str) -> float:
    """Minutes an unacknowledged case of this severity waits before it escalates."""
    return SETTINGS.case_ack_minutes_urgent if severity == "urgent" else SETTINGS.case_ack_minutes


@dataclass(frozen=True)
class Report:
    """What a reporter answered: enough to open a case."""

    reporter_phone: str
    for_whom: str
    category: str
    country: str | None
    safe_to_contact: bool
    safe_phone: str | None
    story: str | None
    consent_to_refer: bool
    channel: str
    source_key: str
    incomplete: bool = False
    said_unsafe: bool = False
    """The reporter answered that SMS to their number is not safe (an unanswered question marks nothing)."""
