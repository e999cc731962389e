"""Handing a case over (ALIH): who may pass it on, and to whom a typed phone number or first name points.

A case always has a holder once taken: its holder or a coordinator passes it to another organiser or coordinator
(never a cadre or an official), with a `handover` event on its timeline (`record_handover`). From then on the
reporter's news and messages flow through the new holder (`case_talk.message_recipients`, `Case.holder`).
"""

from __future__ import annotations

from dataclasses import dataclass

from models.case import HANDLER_ROLES, Case, require_handler
from models.case_terms import OPEN_STATUSES
from models.phones import InvalidPhone, to_e164
from models.staff import Staff

PASSERS = ("coordinator",)
"""Roles that may pass on any held case; anyone else only a case they hold."""


def held_by(phone: str) -> list[Case]:
    """The open cases this number holds (it took them), oldest first: what leaving the staff hands over."""
    return list(
        Case.select()
        .where(Case.status.in_(OPEN_STATUSES) & (Case.assignee == phone))
        .order_by(Case.created_at, Case.id)
    )


def record_handover(case: Case, holder: Staff, actor: str, channel: str = "cli") -> None:
    """`holder` now holds the case (its status stays): a `handover` event whose note is the new holder's
    number, so the timeline says who held it when. A case always has a holder once taken."""
    require_handler(holder)
    case.change("handover", actor, channel, holder.phone, assignee=holder.phone)


class HandoverError(ValueError):
    """A handover the rules refuse; `reason` says why (a feature turns it into a text)."""

    def __init__(self, reason: str, message: str, candidates: list[Staff] | None = None) -> None:
        super().__init__(message)
        self.reason, self.candidates = reason, candidates or []


@dataclass(frozen=True)
class Handover:
    """What a handover did: the case, who held it before and who holds it now."""

    case: Case
    previous: Staff | None
    holder: Staff


def handover_target(typed: str) -> Staff:
    """The active organiser or coordinator that a phone number or a first name (any case) names. HandoverError
    'nobody' when none does, 'several' (with them) when a first name is shared."""
    typed = " ".join(typed.split())
    if not typed:
        raise HandoverError("nobody", "no one named")
    handlers = Staff.active_in_roles(HANDLER_ROLES)
    try:
        phone = to_e164(typed)
    except InvalidPhone:
        phone = None
    if phone is not None:
        by_phone = [s for s in handlers if s.phone == phone]
        if by_phone:
            return by_phone[0]
    first = typed.split()[0].casefold()
    named = [s for s in handlers if s.name.split() and s.name.split()[0].casefold() == first]
    if len(named) == 1:
        return named[0]
    if named:
        raise HandoverError("several", f"{len(named)} staff named {first}", named)
    raise HandoverError("nobody", "no organiser or coordinator by that number or name")


def hand_over(case: Case, sender: Staff, typed: str, channel: str = "sms") -> Handover:
    """Pass a held, open case to the organiser or coordinator `typed` names: its holder or a coordinator may.
    HandoverError 'not_held' (closed, or nobody took it), 'not_yours', 'nobody', 'several' or 'same'."""
    if case.status not in OPEN_STATUSES or not case.assignee:
        raise HandoverError("not_held", f"case {case.display_code} is not held")
    if case.assignee != sender.phone and sender.role not in PASSERS:
        raise HandoverError("not_yours", f"case {case.display_code} is held by someone else")
    holder = handover_target(typed)
    if holder.phone == case.assignee:
        raise HandoverError("same", f"case {case.display_code} is held by them already")
    previous = case.holder()
    record_handover(case, holder, actor=sender.phone, channel=channel)
    return Handover(case, previous, holder)
