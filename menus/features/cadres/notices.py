"""Every SMS about cadres and handovers, written through the sending policy in each recipient's language.

Who is told is decided by `models.cadre` and `models.handover`; this module turns those decisions into catalog
texts. Texts to the applicant name no case and carry nothing about anyone else.
"""

from __future__ import annotations

from menus import catalog
from menus.notify import language_for, notify
from menus.turn import Lookups
from models.cadre import CadreApplication
from models.message import Outgoing
from models.staff import Staff

CADRE_PURPOSE = "cadre_news"
"""Applications, decisions and promotions: not urgent, so they wait out quiet hours."""

HANDOVER_PURPOSE = "alert"
"""A case handed over is a case alert to its new holder (as `staff remove --handover` tells them)."""


def application_alert(application: CadreApplication) -> list[Outgoing]:
    """Tell every coordinator of a new application: its number, the name, village, help and why."""
    lookups = Lookups()
    params = {
        "id": str(application.id),
        "name": application.name,
        "village": application.village,
        "phone": application.phone,
        "why": application.why or "-",
    }
    written = []
    for coordinator in Staff.coordinators():
        lookups.remember_staff(coordinator)
        written.append(
            notify(
                coordinator.phone,
                "cadre.sms.applied",
                {**params, "helps": _help_label(application.helps, coordinator.phone, lookups)},
                CADRE_PURPOSE,
                lookups=lookups,
            )
        )
    return written


def _help_label(helps: str, phone: str, lookups: Lookups) -> str:
    return catalog.text(f"cadre.helps_short.{helps}", language_for(phone, lookups))


def approved(application: CadreApplication, cadre: Staff, mentor: Staff) -> list[Outgoing]:
    """The new cadre hears who their mentor is; the mentor, who their cadre is (and their number)."""
    lookups = Lookups()
    written = [
        notify(
            cadre.phone,
            "cadre.sms.welcome",
            {"name": cadre.name, "mentor": mentor.name, "phone": mentor.phone},
            CADRE_PURPOSE,
            lookups=lookups,
        )
    ]
    written.append(
        notify(
            mentor.phone,
            "cadre.sms.mentee",
            {"name": cadre.name, "village": application.village, "phone": cadre.phone},
            CADRE_PURPOSE,
            lookups=lookups,
        )
    )
    return written


def refused(application: CadreApplication) -> Outgoing:
    """The applicant hears, kindly, that they were not taken this time."""
    return notify(application.phone, "cadre.sms.refused", {"name": application.name}, CADRE_PURPOSE)


def promoted(organiser: Staff) -> Outgoing:
    """The promoted cadre hears they are an organiser now (case alerts from now on)."""
    return notify(organiser.phone, "cadre.sms.promoted", {"name": organiser.name}, CADRE_PURPOSE)


def handed_over(code: str, holder: Staff, sender: Staff, previous: Staff | None) -> list[Outgoing]:
    """The new holder hears the case is theirs (from whom); a previous holder who did not pass it on, that it was."""
    lookups = Lookups()
    written = [
        notify(
            holder.phone,
            "cadre.sms.case_received",
            {"code": code, "from": sender.name},
            HANDOVER_PURPOSE,
            lookups=lookups,
        )
    ]
    if previous is not None and previous.phone not in (sender.phone, holder.phone):
        written.append(
            notify(
                previous.phone,
                "cadre.sms.case_passed",
                {"code": code, "holder": holder.name, "from": sender.name},
                HANDOVER_PURPOSE,
                lookups=lookups,
            )
        )
    return written
