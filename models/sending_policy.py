"""The one sending policy: by purpose, whether an SMS may go to a number, and when (DESIGN "Safety", "Time").

Every outbound SMS is decided here before its row is written; a refusal is kept as a row with the reason.
`decide` applies the rules that need no counting (the number's country, staff-only, unsafe, opt-out, abroad,
quiet hours); `limit_refusal` words what the counters of `models.sms_quota` refused (the same text within 10
minutes, SMS_REPLIES_PER_DAY to one number, a purpose's share of the service's SMS_DAILY_LIMIT), which
`menus.notify` asks once the rules allow an SMS. The send job decides again just before the gateway call for
everything but a direct reply (DESIGN "Sending limits"): a number may have been marked unsafe or opted out since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from models.phones import is_indonesian
from models.settings import SETTINGS, quiet_hours_end
from models.sms_quota import (
    ALERTS,
    BROADCAST_LIMIT,
    DAILY_LIMIT,
    PER_NUMBER,
    REPLIES,
    SAME_TEXT,
    SAME_TEXT_WINDOW,
    SERVICE,
    share_limit,
)

PURPOSE_MAX = 20
"""Longest purpose name (the `message.purpose` column)."""


@dataclass(frozen=True)
class Purpose:
    """What an SMS is for, and so which rules apply to it."""

    name: str
    answers_sender: bool = False
    """A reply to the recipient's own message or action: goes at once, to anyone, whatever the marks."""
    requested: bool = False
    """The recipient asked for this kind of message: a number abroad still gets it (an opted-out one does not: a
    BERHENTI stops everything but replies and staff messages)."""
    staff_only: bool = False
    """Only for registered staff numbers (case details never reach anyone else this way)."""
    waits_out_quiet_hours: bool = False
    """Started by the service on its own and not urgent: waits for the end of quiet hours."""
    jumps_queue: bool = False
    """An urgent case alert (staff alerts and escalations of cases): goes before every other waiting SMS when
    sends are throttled, and still goes once its share of the service's SMS_DAILY_LIMIT is passed."""
    bulk: bool = False
    """A message to many (a broadcast): takes at most half of SMS_DAILY_LIMIT; beyond that it continues the next
    day."""

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= PURPOSE_MAX:
            raise ValueError(f"purpose name {self.name!r} must have 1 to {PURPOSE_MAX} characters")

    @property
    def share(self) -> str:
        """Its share of SMS_DAILY_LIMIT (`models.sms_quota`): replies, alerts, or what the service starts itself."""
        if self.answers_sender:
            return REPLIES
        return ALERTS if self.jumps_queue else SERVICE


SERVICE_PURPOSES: tuple[Purpose, ...] = (
    Purpose("reply", answers_sender=True),
    Purpose("welcome", answers_sender=True),
    Purpose("confirmation", answers_sender=True),
    Purpose("alert", staff_only=True, jumps_queue=True),
    Purpose("broadcast", waits_out_quiet_hours=True, bulk=True),
)
"""The purposes of the service itself (DESIGN "Time": replies and staff alerts go at once); the features declare
theirs (`Feature.purposes`: case news, reminders, digests…) and `use_purposes` adds them."""

_purposes: dict[str, Purpose] = {p.name: p for p in SERVICE_PURPOSES}


def use_purposes(declared: Iterable[Purpose]) -> None:
    """Know the service's purposes and `declared` (the features'), bound at start; a name taken twice is an error."""
    table = {p.name: p for p in SERVICE_PURPOSES}
    for purpose in declared:
        if purpose.name in table and table[purpose.name] != purpose:
            raise ValueError(f"purpose {purpose.name} is declared twice")
        table[purpose.name] = purpose
    global _purposes
    _purposes = table


def purposes() -> dict[str, Purpose]:
    """Every purpose known to this process, by name."""
    return dict(_purposes)


def jumps_queue(purpose: str) -> bool:
    """True if SMS of this purpose (a stored `message.purpose`) go first when sends are throttled."""
    found = _purposes.get(purpose)
    return bool(found and found.jumps_queue)


class UnknownPurpose(KeyError):
    """A caller named a purpose the policy does not know: a programming error, refused loudly."""


@dataclass(frozen=True)
class Recipient:
    """What the policy needs to know of a number."""

    phone: str
    is_staff: bool = False
    opted_out: bool = False
    unsafe: bool = False


@dataclass(frozen=True)
class Verdict:
    """Send (at once, or not before a time), or refuse with a reason."""

    allowed: bool
    reason: str | None = None
    not_before: dt.datetime | None = None


SEND_NOW = Verdict(True)


def purpose_named(name: str) -> Purpose:
    """The purpose called `name`; UnknownPurpose if there is none."""
    try:
        return _purposes[name]
    except KeyError:
        raise UnknownPurpose(name) from None


def allowed_country(phone: str) -> bool:
    """True if an E.164 number's country calling code is in SMS_ALLOWED_COUNTRY_CODES (SMS pumping goes elsewhere)."""
    return phone.startswith(SETTINGS.sms_allowed_prefixes)


def decide(purpose: Purpose, recipient: Recipient, now: dt.datetime) -> Verdict:
    """Apply the rules in order: the country, staff-only purposes (staff are staff: a staff number once marked
    unsafe in a test report still gets them), unsafe numbers, opt-out, numbers abroad, quiet hours (a reply to the
    sender is checked for its country only)."""
    if not allowed_country(recipient.phone):
        return Verdict(False, "refused: country code not in SMS_ALLOWED_COUNTRY_CODES")
    if purpose.answers_sender:
        return SEND_NOW
    if purpose.staff_only:
        if not recipient.is_staff:
            return Verdict(False, f"refused: {purpose.name} is for staff only")
    elif recipient.unsafe:
        return Verdict(False, "refused: number marked unsafe to contact, not a reply")
    elif recipient.opted_out:
        return Verdict(False, "refused: number opted out of unsolicited SMS")
    elif not purpose.requested and not is_indonesian(recipient.phone):
        return Verdict(False, "refused: number abroad did not ask for this")
    if purpose.waits_out_quiet_hours:
        until = quiet_hours_end(now)
        if until is not None:
            return Verdict(True, None, until)
    return SEND_NOW


SHARE_WORDS = {REPLIES: "replies", ALERTS: "case alerts", SERVICE: "news, reminders, digests and broadcasts"}
"""What each share of SMS_DAILY_LIMIT is for, in a refusal's reason."""


def limit_refusal(limit: str, purpose: Purpose | None = None) -> Verdict:
    """The refusal for an SMS of `purpose` the counters did not let through (`models.sms_quota`'s limit names)."""
    share = purpose.share if purpose is not None else REPLIES
    reasons = {
        SAME_TEXT: f"refused: same text to this number within {SAME_TEXT_WINDOW.seconds // 60} minutes",
        PER_NUMBER: f"refused: {SETTINGS.sms_replies_per_day} SMS to this number today (SMS_REPLIES_PER_DAY)",
        DAILY_LIMIT: f"refused: {share_limit(SETTINGS.sms_daily_limit, share)} {SHARE_WORDS[share]} sent today "
        f"(their share of SMS_DAILY_LIMIT {SETTINGS.sms_daily_limit}); case alerts still go",
        BROADCAST_LIMIT: f"refused: broadcasts take at most half of SMS_DAILY_LIMIT {SETTINGS.sms_daily_limit}",
    }
    return Verdict(False, reasons.get(limit, f"refused: {limit}"))


COUNT_AT_SEND = "waits for the SMS limits: "
"""How `last_error` of a queued message starts when the limits have not counted it yet (Redis was down when it was
written, or a broadcast continues the next day): the send job counts it just before the gateway call."""
