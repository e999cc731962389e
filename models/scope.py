"""Who sees what (DESIGN "Console"): one rule, read by the console's pages and the SMS commands alike.

Cases: organisers and coordinators see every case of the area; an official a case referred to their agency (or to
them), with the reporter's number and words only when the reporter consented (`case_access.may_read`,
`readable_by`, `may_share_identity_with`). A village head sees their village's figures, and a case only
when it was referred to them personally (the SMS desk hands it to them when the labour office has nobody).
People: organisers and coordinators only; a person's number whole only to coordinators, masked to organisers (a
list of numbers is what a leak would hurt most). Everything outside one's scope is as if it did not exist (the
console answers 404, never 403).
"""

from __future__ import annotations

import peewee

from models.case import HANDLER_ROLES, Case
from models.case_access import may_read, may_share_identity_with, readable_by
from models.person import Person
from models.phones import mask
from models.staff import Staff


def sees_cases(staff: Staff) -> bool:
    """True if the staff member has a case list at all (a village head has figures, not a list)."""
    return staff.role in HANDLER_ROLES or (staff.role == "official" and not staff.village)


def may_open_case(staff: Staff, case: Case) -> bool:
    """True if the case's page (or DETAIL) is theirs to open."""
    return may_read(case, staff)


def cases_for(staff: Staff) -> peewee.ModelSelect[Case]:
    """The cases the staff member may list and open, as a query to filter and page."""
    return readable_by(staff)


def sees_people(staff: Staff) -> bool:
    """Organisers and coordinators search people and open their pages; officials (village heads too) never."""
    return staff.role in HANDLER_ROLES


def may_open_person(staff: Staff, person: Person) -> bool:
    """True if this person's page is theirs to open (every person, for those who see people)."""
    return sees_people(staff) and person.phone is not None


def shown_number(staff: Staff, phone: str | None) -> str:
    """A person's number as this staff member may read it: whole for coordinators, masked for everyone else."""
    if not phone:
        return ""
    return phone if staff.role == "coordinator" else mask(phone)


def shown_case_number(staff: Staff, case: Case, phone: str | None) -> str:
    """A case's reporter or safe number on its page: whole to whoever handles the case (they are the ones to call,
    DESIGN "Console"), and to an official only with the reporter's consent; otherwise nothing."""
    if not phone or not may_share_identity_with(case, staff):
        return ""
    return phone


def manages_staff(staff: Staff) -> bool:
    """Coordinators add, change and remove staff and set up villages (the console's staff pages); nobody else."""
    return staff.role == "coordinator"


EXPORTS_BY_ROLE = {
    "coordinator": ("people", "messages", "cases", "trainings", "digest", "audit"),
    "organizer": ("cases", "trainings", "digest"),
    "official": ("digest",),
}
"""What each role may download from the console (the CLI, on the server, exports everything). Coordinators: all of
it, case stories and notes too. Organisers: the cases (the list they already see whole, without stories), trainings
and the digest; not people or messages, lists of whole numbers they only see masked. Officials, village heads too:
the digest only, of their own scope (a regency official the whole area, a village head their village); cases
referred to them stay on their pages. Any other role: nothing (the exports page is 404)."""


def exports_for(staff: Staff) -> tuple[str, ...]:
    """The exports this staff member may download, in the order the console offers them."""
    return EXPORTS_BY_ROLE.get(staff.role, ())


def may_export_details(staff: Staff) -> bool:
    """True if they may add case stories and notes to a cases export (coordinators only: personal data in bulk)."""
    return staff.role == "coordinator"


def sends_broadcasts(staff: Staff) -> bool:
    """Coordinators compose, send, pause and cancel announcements (the console's broadcast pages); nobody else."""
    return staff.role == "coordinator"
