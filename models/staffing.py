"""Setting up an organisation: its village list, the roles a report needs, and taking someone off the staff (their
open cases handed to a coordinator first), above the staff and case models."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from models.case import Case
from models.gsm import fold_to_gsm7, is_gsm7_basic
from models.handover import held_by, record_handover
from models.phones import InvalidPhone, mask, to_e164
from models.staff import ROLES, Staff, StaffError, Village, official_agency
from models.task import Task

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


STAFF_NAME_MAX = 60
"""Longest staff name (the column)."""


class StaffFieldError(StaffError):
    """A staff record the rules refuse because of one field (`phone`, `name`, `role`, `village`, `agency`,
    `language`): the CLI names the option, the console marks the form's field; the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def known_village(typed: str | None) -> str | None:
    """The configured village `typed` names (any case), spelt as the list spells it; None for nothing typed.
    Refuses (StaffFieldError) a village not on the list: a village head's digest counts that village's people, a
    misspelt one would count nobody."""
    if typed is None or not typed.strip():
        return None
    names = Village.names()
    found = next((name for name in names if name.casefold() == typed.strip().casefold()), None)
    if found is None:
        known = ", ".join(names) or "none yet (add them with `village add`)"
        raise StaffFieldError("village", f"{typed!r} is not a configured village; villages: {known}")
    return found


@dataclass(frozen=True)
class StaffEntry:
    """A staff record as checked by `checked_entry`, ready to store."""

    phone: str
    name: str
    role: str
    village: str | None
    agency: str | None
    language: str | None


def checked_entry(
    phone: str,
    name: str,
    role: str,
    village: str | None = None,
    agency: str | None = None,
    language: str | None = None,
    languages: Collection[str] = (),
) -> StaffEntry:
    """The staff record these typed values make (phone as E.164, name trimmed, village as the list spells it, an
    official's agency), or StaffFieldError naming the first field the rules refuse. `languages`: those the
    catalogs have (the menus layer knows them); an empty language means none given."""
    try:
        e164 = to_e164(phone)
    except InvalidPhone:
        raise StaffFieldError("phone", f"{phone!r} is not a phone number") from None
    name = name.strip()
    if not name:
        raise StaffFieldError("name", "must not be empty")
    if len(name) > STAFF_NAME_MAX:
        raise StaffFieldError("name", f"must be at most {STAFF_NAME_MAX} characters")
    if role not in ROLES:
        raise StaffFieldError("role", f"must be one of {', '.join(ROLES)}, got {role!r}")
    language = language.strip() if language and language.strip() else None
    if language is not None and language not in languages:
        raise StaffFieldError("language", f"must be one of {', '.join(languages)}, got {language!r}")
    village = known_village(village)
    try:
        agency = official_agency(role, village, agency)
    except StaffError as error:
        raise StaffFieldError("agency", str(error)) from None
    return StaffEntry(e164, name, role, village, agency, language)


def save_staff(entry: StaffEntry) -> tuple[Staff, bool]:
    """Add the staff member, or update (and make active again) the one with this phone; a language not given keeps
    the one stored. Returns (the staff member, whether they are new). Call inside a transaction."""
    staff = Staff.get_or_none(Staff.phone == entry.phone)
    if staff is None:
        created = Staff.create(
            phone=entry.phone,
            name=entry.name,
            role=entry.role,
            village=entry.village,
            agency=entry.agency,
            language=entry.language,
        )
        return created, True
    staff.name, staff.role, staff.village, staff.active = entry.name, entry.role, entry.village, True
    staff.agency, staff.language = entry.agency, entry.language or staff.language
    staff.save()
    return staff, False


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
    released_tasks: int = 0
    """Tasks they had taken and not closed, open again for others to take (a visit is not left with nobody)."""


def remove_staff(phone: str, handover: bool, channel: str = "cli") -> Removal:
    """Deactivate the staff member with this number: their history stays, they get no alerts, their commands are
    not read. Refused (StaffError) while they hold open cases, unless `handover`: then the first active coordinator
    (by name; not themselves) takes each, with a `handover` event. Tasks they took and did not close are open again
    (a visit or mentoring task is not left with someone who left). Call inside a transaction."""
    staff = Staff.get_or_none(Staff.phone == phone)
    if staff is None:
        raise StaffError(f"no staff member has the number {mask(phone)}")
    if not staff.active:
        return Removal(staff, was_active=False)
    held = held_by(staff.phone)
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
            record_handover(case, holder, actor=staff.phone, channel=channel)
    released = (
        Task.update(status="open", holder=None, taken_at=None)
        .where((Task.holder == staff.phone) & (Task.status == "taken"))
        .execute()
    )
    staff.active = False
    staff.save(only=[Staff.active])
    return Removal(staff, held, holder, released_tasks=released)
