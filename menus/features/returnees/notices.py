"""Every SMS about returnees, written through the sending policy in each recipient's language.

Staff hear of visits and mentoring tasks (the person's name, number, village and country: they go and see them);
the returnee hears only neutral words: the check-in question and, when asked for, the upcoming trainings.
"""

from __future__ import annotations

from menus import catalog
from menus.notify import language_for, notify
from menus.turn import Lookups
from models.message import Outgoing
from models.person import Person
from models.returnee import Returnee, village_team
from models.staff import Staff
from models.task import Task
from models.training import Training
from models.training_terms import local_label

VISIT_PURPOSE = "visit_task"
"""Visits and mentoring tasks for organisers and cadres: staff only, not urgent (they wait out quiet hours)."""

CHECKIN_PURPOSE = "checkin"
"""The check-in question: started by the service (quiet hours wait; no SMS abroad or to an opted-out number)."""

NEWS_PURPOSE = "returnee_news"
"""The upcoming trainings a returnee said they want (at a visit): asked for, not urgent."""

TRAININGS_LISTED = 3
"""At most this many upcoming trainings in the list a returnee gets."""


def _country(returnee: Returnee, language: str) -> str:
    return catalog.text(f"country.{returnee.country}", language) if returnee.country else "-"


def _to_staff(members: list[Staff], key: str, params: dict[str, str], returnee: Returnee) -> list[Outgoing]:
    lookups = Lookups()
    written = []
    for member in members:
        lookups.remember_staff(member)
        language = language_for(member.phone, lookups)
        written.append(
            notify(
                member.phone,
                key,
                {**params, "country": _country(returnee, language)},
                VISIT_PURPOSE,
                language=language,
                lookups=lookups,
            )
        )
    return written


def _visit_params(returnee: Returnee, task_id: int) -> dict[str, str]:
    return {
        "task_id": str(task_id),
        "name": returnee.name or "-",
        "village": returnee.village or "-",
        "phone": returnee.phone,
    }


def visit_opened(returnee: Returnee, task: Task) -> list[Outgoing]:
    """Tell the village's organisers and cadres to visit the returnee (KUNJUNG <id> takes it)."""
    return _to_staff(village_team(returnee.village), "returnee.sms.visit", _visit_params(returnee, task.id), returnee)


def visit_reminder(returnee: Returnee, task: Task) -> list[Outgoing]:
    """Remind the village's organisers and cadres once that nobody took the visit."""
    return _to_staff(
        village_team(returnee.village), "returnee.sms.visit_reminder", _visit_params(returnee, task.id), returnee
    )


def visit_escalation(returnee: Returnee, task: Task) -> list[Outgoing]:
    """Tell the coordinators that a visit is still untaken two weeks on."""
    return _to_staff(Staff.coordinators(), "returnee.sms.visit_escalation", _visit_params(returnee, task.id), returnee)


def mentoring_opened(returnee: Returnee, task: Task, how: str) -> list[Outgoing]:
    """Tell the village's organisers and cadres that the returnee needs help (`how`: at a visit or a check-in)."""
    return _to_staff(
        village_team(returnee.village),
        f"returnee.sms.help_{how}",
        _visit_params(returnee, task.id),
        returnee,
    )


def trainings_list(language: str) -> str:
    """The upcoming trainings, one line each (code, title, local date): what a returnee who wants training gets."""
    items = [f"{t.code} {t.title} {local_label(t.starts_at)}" for t in Training.upcoming().limit(TRAININGS_LISTED)]
    return "; ".join(items)


def trainings_for(person: Person, purpose: str) -> Outgoing:
    """The upcoming trainings for a returnee (or that none is planned yet), with how to sign up."""
    lookups = Lookups()
    language = language_for(person.phone, lookups)
    listed = trainings_list(language)
    key = "returnee.sms.trainings" if listed else "returnee.sms.no_trainings"
    return notify(person.phone, key, {"training_list": listed}, purpose, language=language, lookups=lookups)


def checkin_question(phone: str) -> Outgoing:
    """The neutral check-in question (1 fine, 2 needs help, 3 trainings)."""
    return notify(phone, "returnee.sms.checkin", None, CHECKIN_PURPOSE)
