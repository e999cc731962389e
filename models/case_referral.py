"""Referrals: a case handed to an official (an agency's, or a village head), what the official does with it, and
the one reminder when they have not taken it in time (`SETTINGS.referral_ack_days`)."""

from __future__ import annotations

import datetime as dt

import peewee

from models.base import utcnow
from models.case import NOW, Case, require_handler
from models.case_terms import CaseError
from models.settings import SETTINGS
from models.staff import DEFAULT_AGENCY, Staff


def refer(case: Case, staff: Staff, official: Staff, channel: str = "sms") -> None:
    """Hand the case to an official (`referral_official`); it counts as taken. The official has
    REFERRAL_ACK_DAYS to take it before they are reminded."""
    require_handler(staff)
    if case.status not in ("new", "acknowledged", "reopened"):
        raise CaseError("case.error.not_referable", f"case is {case.status}")
    case.change(
        "referred",
        staff.phone,
        channel,
        official.referral_agency,
        status="referred",
        referred_to=official.phone,
        referred_agency=official.referral_agency,
        referred_at=NOW,
        referral_due_at=utcnow() + dt.timedelta(days=SETTINGS.referral_ack_days),
        referral_accepted_at=None,
        referral_reminded_at=None,
        assignee=case.assignee or staff.phone,
        acknowledged_at=case.acknowledged_at or utcnow(),
        next_escalation_at=None,
    )


def accept_referral(case: Case, official: Staff, channel: str = "sms") -> None:
    """The official the case was referred to takes it (it stays referred), once: taking it again changes
    nothing."""
    _require_referred_to(case, official)
    if case.referral_accepted_at is None:
        case.change("referral_accepted", official.phone, channel, None, referral_accepted_at=NOW, referral_due_at=None)


def note_referral(case: Case, official: Staff, note: str, channel: str = "sms") -> None:
    """The official notes what they did on a case referred to them (so they have taken it)."""
    _require_referred_to(case, official)
    if not note.strip():
        raise CaseError("case.error.note_empty", "a note needs text")
    case.change("note", official.phone, channel, note.strip(), **_taken_by_official(case))


def resolve_referral(case: Case, official: Staff, note: str | None = None, channel: str = "sms") -> None:
    """The official closes a case referred to them (its holder may open it again with BUKA)."""
    _require_referred_to(case, official)
    case.change(
        "resolved",
        official.phone,
        channel,
        note,
        status="resolved",
        resolved_at=NOW,
        next_escalation_at=None,
        **_taken_by_official(case),
    )


def _require_referred_to(case: Case, official: Staff) -> None:
    """An official acts only on a case referred to them and still referred."""
    if official.role != "official" or case.referred_to != official.phone or case.status != "referred":
        raise CaseError("case.error.not_yours", "only the official it was referred to")


def _taken_by_official(case: Case) -> dict[str, object]:
    """What an official's note or resolution says besides: they have taken the referral, nothing to remind."""
    return {"referral_accepted_at": case.referral_accepted_at or NOW, "referral_due_at": None}


def referred_to_official(official: Staff) -> peewee.ModelSelect[Case]:
    """Referred cases waiting for this official (DETAIL), oldest first."""
    return (
        Case.select()
        .where((Case.status == "referred") & (Case.referred_to == official.phone))
        .order_by(Case.referred_at, Case.id)
    )


def due_referral_reminders(now: dt.datetime) -> peewee.ModelSelect[Case]:
    """Referred cases whose official has not taken them by their due time and was not reminded yet."""
    return Case.select().where(
        (Case.status == "referred") & (Case.referral_due_at <= now) & Case.referral_reminded_at.is_null()
    )


def claim_referral_reminder(case: Case) -> bool:
    """Mark the referral reminded if it is still referred, untaken, due and not reminded; once."""
    now = utcnow()
    claimed = (
        Case.update(referral_reminded_at=now, referral_due_at=None, updated_at=now)
        .where(
            (Case.id == case.id)
            & (Case.status == "referred")
            & (Case.referral_due_at <= now)
            & Case.referral_accepted_at.is_null()
            & Case.referral_reminded_at.is_null()
        )
        .execute()
    )
    if claimed:
        case.referral_reminded_at, case.referral_due_at, case.updated_at = now, None, now
        case.record("referral_reminded", "system", "system", case.referred_agency)
    return bool(claimed)


def referred_official(case: Case) -> Staff | None:
    """The official the case is referred to, while they are active staff."""
    return Staff.for_phone(case.referred_to) if case.referred_to else None


def referral_news_recipients(case: Case) -> list[Staff]:
    """Who hears what the official did: the case's holder; when they left, the coordinators."""
    holder = Staff.for_phone(case.assignee) if case.assignee else None
    return [holder] if holder is not None else Staff.coordinators()


def referral_official(agency: str | None = None, village: str | None = None) -> Staff | None:
    """Who RUJUK refers a case to: an active official of the named agency, first by name. With no agency named,
    one of disnaker's, else the head of the case's `village`; never another village's head. None: nobody."""
    officials = Staff.officials_of(agency or DEFAULT_AGENCY)
    if officials:
        return officials[0]
    if agency is None and village:
        return Staff.village_head(village)
    return None
