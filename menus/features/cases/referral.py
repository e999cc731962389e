"""Referral: `RUJUK <code> [DISNAKER|BP3MI|POLISI|KBRI]` hands a case to an official of the named agency (the
regency labour office when none is named), who gets its summary by SMS; a referral the official has not taken
within REFERRAL_ACK_DAYS reminds them once and tells the coordinators.

Who a case goes to, and when a referral is due, are `models.case_referral` rules (`referral_official`, `refer`); what
the official then does (TERIMA, CATAT, SELESAI) is answered by the desk's commands and passed back to the case's
holder (`referral_texts.to_holder`). The reminder is a job scheduled for the case's `referral_due_at` (the due
row) once RUJUK commits; the sweep fires a due reminder whose job Redis lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from menus.feature import Feature, StaffKeyword, Sweep, fixed_sample, longest_label
from menus.features.cases import referral_texts
from menus.features.cases.commands import named_case, names_a_case, sender
from menus.features.cases.desk import _changed, _done, _params
from menus.turn import Lookups
from models import database, utcnow
from models.case import Case
from models.case_referral import claim_referral_reminder, due_referral_reminders, refer, referral_official
from models.gsm import fold_to_gsm7
from models.jobs import DEFAULT_QUEUE, JobSpec, enqueue_after_commit, job_path, with_database
from models.phones import mask
from models.sending_policy import Purpose

if TYPE_CHECKING:
    from menus.staff_commands import StaffCommand
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

TYPED_AGENCY_MAX = 20
"""The longest agency word echoed back when it is not one RUJUK knows."""

_NOT_WORD = re.compile(r"[^0-9A-Za-z]")


# RUJUK ------------------------------------------------------------------------------------------------------


def rujuk(turn: SmsTurn, command: StaffCommand) -> None:
    """RUJUK <code> [agency]: refer the case to an official of the agency (default disnaker, or the case's village
    head when disnaker has nobody), who gets its summary by SMS; the reminder is scheduled for its due time."""
    staff, case = sender(turn), named_case(turn, command)
    if case is None:
        return
    typed = _NOT_WORD.sub("", fold_to_gsm7(command.rest.split()[0]))[:TYPED_AGENCY_MAX] if command.rest else ""
    agency = referral_texts.AGENCY_WORDS.get(typed.upper()) if typed else None
    if typed and agency is None:
        log.info("RUJUK %s from %s: unknown agency", case.display_code, mask(turn.phone))
        turn.reply("case.refer.unknown_agency", {**_params(case, turn.language), "agency": typed})
        return
    official = referral_official(agency, case.village)
    if official is None:
        log.warning("RUJUK %s from %s: no official of %s", case.display_code, mask(turn.phone), agency or "default")
        if agency is None:
            turn.reply("case.refer.no_official", _params(case, turn.language))
        else:
            label = referral_texts.agency_label(agency, turn.language)
            turn.reply("case.refer.no_agency_official", {**_params(case, turn.language), "agency": label})
        return
    if _changed(turn, command, case, lambda: refer(case, staff, official, turn.channel)):
        _done(turn, case, "case.refer.done", {"name": fold_to_gsm7(official.name)})
        turn.outgoing.append(referral_texts.to_official(case, official, turn.lookups))
        turn.outgoing.append(reminder_spec(case.id, case.referral_due_at))


# The reminder of a referral nobody took ---------------------------------------------------------------------


def reminder_job_id(case_id: int) -> str:
    """The RQ job id of a case's referral reminder (stable, so the job and the sweep's copy collapse into one)."""
    return f"case-{case_id}-referral-reminder"


@with_database
def remind_referral(case_id: int) -> str:
    """Remind the official of a referral they have not taken once it is due, and tell the coordinators.

    Idempotent: the claim on the case row lets one run through per referral; a referral taken, resolved or
    already reminded does nothing, one not yet due waits (its job is rescheduled or the sweep fires it then).
    """
    case = Case.get_or_none(Case.id == case_id)
    if case is None:
        log.warning("referral reminder for unknown case %s", case_id)
        return "missing"
    if case.status != "referred" or case.referral_due_at is None or case.referral_reminded_at is not None:
        log.info("case %s is %s: no referral reminder", case.display_code, case.status)
        return "skipped"
    now = utcnow()
    if case.referral_due_at > now:
        log.info("case %s: the referral reminder is not due yet", case.display_code)
        return "not due"
    days = max(1, (now - (case.referred_at or now)).days)
    with database.atomic():
        if not claim_referral_reminder(case):
            return "skipped"
        written = referral_texts.reminders(case, days, Lookups())
    enqueue_after_commit(written)
    log.info("case %s: referral reminded (%s SMS)", case.display_code, len(written))
    return "reminded"


def reminder_spec(case_id: int, at: dt.datetime | None = None) -> JobSpec:
    """The job that reminds a case's official of the referral, at `at` (naive UTC; None means now)."""
    return JobSpec(job_path(remind_referral), (case_id,), reminder_job_id(case_id), DEFAULT_QUEUE, at)


def due_reminders(now: dt.datetime) -> Iterable[JobSpec]:
    """Sweep: each due referral reminder (the sweep enqueues those Redis does not hold)."""
    return [reminder_spec(case.id) for case in due_referral_reminders(now)]


FEATURE = Feature(
    name="case_referral",
    staff_commands=(StaffKeyword("RUJUK", rujuk, names_a_case),),
    purposes=(
        Purpose(referral_texts.PASSED_BACK, staff_only=True),
        Purpose(referral_texts.REMINDER, staff_only=True, waits_out_quiet_hours=True),
    ),
    jobs=(remind_referral,),
    sweeps=(Sweep("referral reminders", due_reminders),),
    sms_samples={
        "agency": lambda catalogs, language: max(
            longest_label("case.agency.")(catalogs, language), "W" * TYPED_AGENCY_MAX, key=len
        ),
        "official": lambda catalogs, language: catalogs.text(
            "case.official_label",
            language,
            {"name": "Raden Mas Bambang Sri Wahyuningsih", "agency": longest_label("case.agency.")(catalogs, language)},
        ),
        "official_note": fixed_sample(""),  # cut to what the text leaves (`referral_texts.to_holder`)
    },
)
"""RUJUK, its purposes (what the official did, passed back; the reminder), the reminder's job and sweep."""
