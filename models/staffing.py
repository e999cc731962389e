"""Setting up an organisation: its village list, the roles a report needs, and taking someone off the staff (their
open cases handed to a coordinator first), above the staff and case models."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.case import Case
from models.gsm import fold_to_gsm7, is_gsm7_basic
from models.phones import mask
from models.staff import Staff, StaffError, Village

REQUIRED_ROLES = ("organizer", "coordinator")
"""Roles a report needs: organisers get its alert and take it, coordinators hear of escalations and get the
cases of someone who leaves. Without one of them a report would alert nobody, or a case could lose its holder."""

VILLAGE_NAME_MAX = 30
"""Longest village name (the column, and a USSD option line with room to spare)."""


class VillageError(ValueError):
    """A village name the list cannot hold; the message says why."""


def village_name(typed: str) -> str:
    """A village name as the menus show it: GSM-7 (a pasted curly quote or accent folded), single spaces."""
    name = " ".join(fold_to_gsm7(typed).split())
    if not name:
        raise VillageError(f"{typed!r} is not a village name (empty once folded to GSM-7)")
    if len(name) > VILLAGE_NAME_MAX:
        raise VillageError(f"{name!r} is longer than {VILLAGE_NAME_MAX} characters")
    if not is_gsm7_basic(name) or not any(c.isalpha() for c in name):
        raise VillageError(f"{name!r} is not a village name a basic phone can show")
    return name


def add_villages(typed: list[str]) -> tuple[list[str], list[str]]:
    """Add villages at the end of the list, in the order given; a name already there (any case) is left as it is.
    Returns (added, already there, as the list spells them). Validates every name before adding any."""
    names = [village_name(name) for name in typed]
    existing = {name.casefold(): name for name in Village.names()}
    position = max((v.position for v in Village.select(Village.position)), default=-1)
    added: list[str] = []
    there: list[str] = []
    for name in names:
        if name.casefold() in existing:
            there.append(existing[name.casefold()])
            continue
        position += 1
        Village.create(name=name, position=position)
        existing[name.casefold()] = name
        added.append(name)
    return added, there


def missing_roles() -> list[str]:
    """The REQUIRED_ROLES no active staff member has, in that order."""
    active = {staff.role for staff in Staff.select(Staff.role).where(Staff.active == True).distinct()}  # noqa: E712
    return [role for role in REQUIRED_ROLES if role not in active]


MISSING_ROLE_REASONS = {
    "organizer": "no active organiser: a report would alert nobody (add one with `staff add --role organizer`)",
    "coordinator": "no active coordinator: escalations reach nobody and a leaving organiser's cases have nowhere to "
    "go (add one with `staff add --role coordinator`)",
}
"""What a missing role means, as the start-up log, /healthz, `menus check` and `doctor` say it."""


def staffing_problems() -> list[str]:
    """One sentence per required role nobody holds (empty: the service can alert and escalate)."""
    return [MISSING_ROLE_REASONS[role] for role in missing_roles()]


@dataclass(frozen=True)
class Removal:
    """What taking someone off the staff did."""

    staff: Staff
    handed_over: list[Case] = field(default_factory=list)
    holder: Staff | None = None
    """Who holds the handed-over cases now (the first active coordinator)."""
    was_active: bool = True


def remove_staff(phone: str, handover: bool, channel: str = "cli") -> Removal:
    """Deactivate the staff member with this number: their history stays, they get no alerts, their commands are
    not read. Refused (StaffError) while they hold open cases, unless `handover`: then the first active coordinator
    (by name; not themselves) takes each, with a `handover` event. Call inside a transaction."""
    staff = Staff.get_or_none(Staff.phone == phone)
    if staff is None:
        raise StaffError(f"no staff member has the number {mask(phone)}")
    if not staff.active:
        return Removal(staff, was_active=False)
    held = Case.held_by(staff.phone)
    holder = None
    if held and not handover:
        codes = ", ".join(case.display_code for case in held)
        raise StaffError(
            f"{staff.name} ({mask(staff.phone)}) holds {len(held)} open case(s): {codes}. Hand them over first: "
            "add --handover (they go to the first active coordinator), or pass each on by SMS"
        )
    if held:
        holder = next((c for c in Staff.coordinators() if c.phone != staff.phone), None)
        if holder is None:
            raise StaffError(
                f"{staff.name} holds {len(held)} open case(s) and there is no other active coordinator to hand them "
                "to: add one first (`staff add --role coordinator`)"
            )
        for case in held:
            case.hand_over(holder, actor=staff.phone, channel=channel)
    staff.active = False
    staff.save(only=[Staff.active])
    return Removal(staff, held, holder)
