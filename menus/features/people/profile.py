"""Profile: a registered person sees their data and changes village, status, country or language."""

from __future__ import annotations

from menus.feature import Feature, MenuEntry
from menus.features.people.registration import STATUS_ASK, village_question
from menus.screens import MAIN_MENU, End, Menu, Option, Switch
from menus.turn import FlowTurn
from models import database
from models.returnee import Returnee

ROOT = "profile"
"""The profile screen (USSD main menu "Profil saya"; SMS `DAFTAR` once registered)."""


def save_profile(turn: FlowTurn) -> None:
    """Save the fields changed in this session (saving the same values again changes nothing)."""
    person = turn.person
    if not person or not person.is_registered:
        return
    fields = {k: turn.answers[k] for k in ("village", "status", "country") if k in turn.answers}
    if fields:
        previous = person.status
        with database.atomic():
            person.update_fields(**fields)
            Returnee.note_status(person.phone, previous, person.status)  # a purna's visit and check-ins (issue 21)


FEATURE = Feature(
    name="profile",
    menu_entries=(MenuEntry(MAIN_MENU, Option("main.profile", ROOT, when="registered"), order=20),),
    roots=(ROOT,),
    screens=(
        Menu(
            ROOT,
            "profile.title",
            options=(
                Option("profile.change_village", "profile.village"),
                Option("profile.change_status", STATUS_ASK),
                Option("profile.change_country", "profile.country", when="has_country"),
                Option("profile.change_language", "language"),
            ),
        ),
        *village_question("profile.village", "profile.village", "profile.village_other", "profile.saved"),
        Switch(
            "profile.country",
            cases=(
                ("status_is_calon", "country.calon"),
                ("status_is_aktif", "country.aktif"),
            ),
            default="country.purna",
        ),
        End("profile.saved", "profile.saved", action="save_profile"),
    ),
    actions={"save_profile": save_profile},
)
"""The profile, built on registration's status and country screens."""
