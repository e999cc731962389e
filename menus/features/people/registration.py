"""Registration: consent first, then name, village, status and the destination country; a welcome SMS.

The same screens serve USSD ("Daftar" in the main menu) and SMS (`DAFTAR`, a conversation). The status
and country screens are shared with the profile feature, which reaches them through `status.ask`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from menus import catalog
from menus.feature import Condition, Feature, Keyword, MenuEntry, Placeholder, fixed_sample, longest_label
from menus.notify import notify
from menus.screens import MAIN_MENU, End, Input, Menu, Option, Switch
from menus.turn import FlowTurn
from menus.validators import validate_name, validate_place
from models import Person, database
from models.person import COUNTRIES, STATUSES, STATUSES_WITH_COUNTRY
from models.returnee import Returnee

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

ROOT = "register.consent"
"""Where registration starts (USSD main menu "Daftar", SMS `DAFTAR`)."""

STATUS_ASK = "status.ask"
"""The status question: registration's, or the profile's "new status" once registered."""

SAVED_PROFILE = "profile.saved"
"""Where a registered person's changes end (declared by the profile feature)."""

COUNTRY_OPTIONS = tuple(Option(f"country.{c}", "country.after", value=c) for c in COUNTRIES)
STATUS_OPTIONS = tuple(Option(f"status.{s}", "status.after", value=s) for s in STATUSES)


def village_question(menu_id: str, title: str, other_id: str, next_screen: str) -> tuple[Menu, Input]:
    """The village question: the configured villages (paged) and "Lainnya", which asks for the name."""
    return (
        Menu(
            menu_id,
            title,
            source="villages",
            source_target=next_screen,
            store="village",
            options=(Option("village.other", other_id),),
        ),
        Input(other_id, "register.village_other", store="village", validator="place", next=next_screen),
    )


def _status_is(status: str) -> Condition:
    """The condition that the profile's status is `status`."""
    return lambda turn: turn.profile("status") == status


def is_registered(turn: FlowTurn) -> bool:
    """Registered before this session began (so a replayed session walks the same path)."""
    person = turn.person
    return bool(person and person.is_registered and person.registration_key != turn.ctx.session_key)


def save_registration(turn: FlowTurn) -> None:
    """Store the registration once (a replayed last step changes nothing) and write the welcome SMS."""
    answers = turn.answers
    status = answers.get("status")
    if not answers.get("name") or status not in STATUSES:
        log.error("registration end reached without answers")
        return
    with database.atomic():
        registered = Person.register(
            turn.phone,
            name=answers["name"],
            village=answers.get("village"),
            status=status,
            country=answers.get("country") if status in STATUSES_WITH_COUNTRY else None,
            language=turn.ctx.language,
            via=turn.ctx.channel,
            registration_key=turn.ctx.session_key,
        )
        if registered:
            Returnee.note_status(turn.phone, None, status)  # a purna's visit and check-ins (issue 21)
            turn.queued(
                notify(
                    turn.phone,
                    "sms.welcome",
                    {"name": answers["name"]},
                    "welcome",
                    language=turn.ctx.language,
                    lookups=turn.lookups,
                )
            )
            log.info("registered a person via %s", turn.ctx.channel)


def village_options(turn: FlowTurn, target: str) -> list[Option]:
    """The configured villages, in menu order."""
    return [Option(name, target, value=name, literal=True) for name in turn.lookups.villages()]


def _label(prefix: str, field: str) -> Placeholder:
    def value(turn: FlowTurn) -> str:
        stored = turn.profile(field)
        return catalog.text(f"{prefix}{stored}", turn.ctx.language) if stored else "-"

    return Placeholder(value, longest_label(prefix))


def _start(turn: SmsTurn, found: Match) -> None:
    registered = turn.person is not None and turn.person.is_registered
    turn.start_flow("profile" if registered else ROOT)


FEATURE = Feature(
    name="registration",
    menu_entries=(MenuEntry(MAIN_MENU, Option("main.register", ROOT, when="not_registered"), order=10),),
    roots=(ROOT,),
    screens=(
        Menu(
            ROOT,
            "register.consent",
            options=(
                Option("register.agree", "register.name"),
                Option("register.disagree", "register.declined"),
            ),
        ),
        End("register.declined", "register.declined"),
        Input("register.name", "register.name", store="name", validator="name", next="register.village"),
        *village_question("register.village", "register.village", "register.village_other", STATUS_ASK),
        Switch(STATUS_ASK, cases=(("registered", "profile.status"),), default="register.status"),
        Menu("register.status", "register.status", store="status", options=STATUS_OPTIONS),
        Menu("profile.status", "profile.status", store="status", options=STATUS_OPTIONS),
        Switch(
            "status.after",
            cases=tuple((f"status_is_{s}", f"country.{s}") for s in STATUSES_WITH_COUNTRY),
            default="country.after",
        ),
        *(
            Menu(f"country.{s}", f"country.{s}", store="country", options=COUNTRY_OPTIONS)
            for s in STATUSES_WITH_COUNTRY
        ),
        Switch("country.after", cases=(("registered", SAVED_PROFILE),), default="register.done"),
        End("register.done", "register.done", action="save_registration"),
    ),
    conditions={
        "registered": is_registered,
        "not_registered": lambda turn: not is_registered(turn),
        "has_country": lambda turn: turn.profile("status") in STATUSES_WITH_COUNTRY,
        **{f"status_is_{s}": _status_is(s) for s in STATUSES},
    },
    actions={"save_registration": save_registration},
    sources={"villages": village_options},
    validators={"name": validate_name, "place": validate_place},
    placeholders={
        "name": Placeholder(lambda turn: turn.profile("name") or "", fixed_sample("Sri Wahyuningsih Kusumawardani")),
        "village": Placeholder(
            lambda turn: turn.profile("village") or "", fixed_sample("Tanjunganom Kidul Kaliwiro Lor")
        ),
        "status": _label("status_short.", "status"),
        "country": _label("country.", "country"),
    },
    keywords=(Keyword("DAFTAR", ("REGISTER", "REG", "JOIN", "NDAFTAR"), _start),),
)
"""Registration, declared once for USSD and SMS."""
