"""Who may read a case and what of it (the scope rule `models.scope` applies), and which cases a number may ask
about as their reporter or safe number."""

from __future__ import annotations

import peewee

from models.case import HANDLER_ROLES, Case
from models.case_terms import OPEN_STATUSES
from models.staff import Staff


def may_read(case: Case, staff: Staff) -> bool:
    """The scope rule (DETAIL, the console): organisers and coordinators read every case of the area; an
    official a case referred to their agency, or to them (a village head: only that); nobody else any.
    `readable_by` is the same rule as a query."""
    if staff.role in HANDLER_ROLES:
        return True
    if staff.role != "official":
        return False
    agency = staff.referral_agency
    return case.referred_to == staff.phone or (agency is not None and case.referred_agency == agency)


def readable_by(staff: Staff) -> peewee.ModelSelect[Case]:
    """The cases `may_read` lets this staff member read, as a query (the console's lists)."""
    if staff.role in HANDLER_ROLES:
        return Case.select()
    if staff.role != "official":
        return Case.select().where(Case.id.is_null())
    mine = Case.referred_to == staff.phone
    agency = staff.referral_agency
    return Case.select().where(mine | (Case.referred_agency == agency) if agency is not None else mine)


def may_share_identity_with(case: Case, staff: Staff) -> bool:
    """Organisers and coordinators see who reported; an official only once the case is referred to them (or
    their agency) with the reporter's consent (DESIGN "Safety": officials get aggregates otherwise)."""
    if staff.role != "official":
        return True
    return case.consent_to_refer and may_read(case, staff)


def may_see_status(case: Case, phone: str) -> bool:
    """Only the reporter's number, the safe number once it has written, and active staff may ask for a case's
    status."""
    if phone == case.reporter_phone or (phone == case.safe_phone and case.safe_phone_seen_at is not None):
        return True
    return Staff.for_phone(phone) is not None


def reported_from(phone: str) -> peewee.ModelSelect[Case]:
    """Cases reported from this phone or naming it as a safe number that has written, newest first."""
    return (
        Case.select()
        .where((Case.reporter_phone == phone) | (Case.safe_phone_is(phone) & Case.safe_phone_seen_at.is_null(False)))
        .order_by(Case.created_at.desc(), Case.id.desc())
    )


def open_reported_from(phone: str) -> peewee.ModelSelect[Case]:
    """Open cases reported from this phone or naming it as a safe number that has written, oldest first (a number
    only typed in by a reporter gains nothing: neither STATUS nor a hold on its own erasure)."""
    named = Case.safe_phone_is(phone) & Case.safe_phone_seen_at.is_null(False)
    return (
        Case.select()
        .where(((Case.reporter_phone == phone) | named) & Case.status.in_(OPEN_STATUSES))
        .order_by(Case.created_at, Case.id)
    )
