"""Signing up for trainings: "Pelatihan" in USSD (upcoming list, detail, sign-up, "Pelatihan saya") and
`LATIH [code]` / `BATAL <code>` by SMS. An unregistered caller gives consent and a name first (the short
form of registration). A full training offers the waiting list; a cancellation promotes the first in line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from menus import catalog
from menus.feature import Feature, Keyword, MenuEntry, Placeholder, fixed_sample
from menus.features.trainings import notices
from menus.fitting import list_that_fits
from menus.screens import MAIN_MENU, End, Input, Menu, Option, Switch
from menus.turn import FlowTurn
from models import Person, database
from models.message import Outgoing
from models.phones import mask
from models.training import Enrollment, Training
from models.training_terms import TrainingError

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

ROOT = "training"
"""USSD main menu "Pelatihan"."""

BY_CODE = "training.by_code"
"""`LATIH <code>` by SMS: the code is the first answer."""

MAX_LISTED = 18
"""Most upcoming trainings a list shows (three USSD pages)."""

OUTCOME_TEXTS = {
    "signed_up": "training.signed",
    "waitlisted": "training.waitlisted",
    "already_signed_up": "training.already",
    "already_waitlisted": "training.already_waitlisted",
}
"""The end screen's text for each outcome of a sign-up."""


SMS_TEXTS = {
    "training.withdrawn": "training.sms.withdrawn",
    "training.withdraw_none": "training.sms.withdraw_none",
    "training.closed": "training.sms.closed",
}
"""The SMS reply to `BATAL <code>` for each outcome of the USSD cancellation."""


def _chosen(turn: FlowTurn, answer: str = "training_code") -> Training | None:
    code = turn.answers.get(answer, "")
    key = f"training:{code}"
    if key not in turn.memo:
        turn.memo[key] = Training.by_code(code) if code else None
    return turn.memo[key]


def upcoming_options(turn: FlowTurn, target: str) -> list[Option]:
    """Option source: upcoming trainings, soonest first, as `CODE Title dd/mm`."""
    if "upcoming" not in turn.memo:
        turn.memo["upcoming"] = list(Training.upcoming().limit(MAX_LISTED))
    return [
        Option(f"{t.code} {t.title} {t.starts_label[:5]}", target, value=t.code, literal=True)
        for t in turn.memo["upcoming"]
    ]


def my_options(turn: FlowTurn, target: str) -> list[Option]:
    """Option source: the caller's upcoming trainings (seat or waiting list)."""
    if "mine" not in turn.memo:
        turn.memo["mine"] = list(Enrollment.of_phone(turn.phone).limit(MAX_LISTED))
    language = turn.ctx.language
    return [
        Option(
            catalog.text(
                f"training.mine_item.{e.status}",
                language,
                {"code": e.training.code, "date": e.training.starts_label[:5]},
            ),
            target,
            value=e.training.code,
            literal=True,
        )
        for e in turn.memo["mine"]
    ]


def has_consented(turn: FlowTurn) -> bool:
    """The caller gave consent and a name before (full registration or the short form)."""
    person = turn.person
    return bool(person and person.has_consented)


def sign_up(turn: FlowTurn) -> str | None:
    """Sign the caller up (consent and name first, if they gave them now); the text of the outcome.

    Over USSD a confirmation SMS follows a new seat or waiting place; over SMS this reply is the confirmation.
    """
    training = _chosen(turn)
    if training is None:
        return "training.closed"
    try:
        with database.atomic():
            if "name" in turn.answers and not has_consented(turn):
                Person.consent_for_training(
                    turn.phone, name=turn.answers["name"], language=turn.ctx.language, via=turn.ctx.channel
                )
                turn.lookups.forget(turn.phone)
            _, outcome = training.sign_up(turn.phone)
            if turn.ctx.channel == "ussd" and outcome in ("signed_up", "waitlisted"):
                turn.queued(notices.confirmation(training, turn.phone, outcome, turn.lookups))
    except TrainingError as error:
        log.info("sign-up for %s refused: %s", training.code, error)
        return error.key
    return OUTCOME_TEXTS[outcome]


def withdraw(turn: FlowTurn) -> str | None:
    """Cancel the caller's seat or waiting place in the chosen training; promote the first in line."""
    training = _chosen(turn, "my_code")
    if training is None:
        return "training.withdraw_none"
    return _withdraw(training, turn.phone, turn.queued, turn)


def _withdraw(training: Training, phone: str, queue: Callable[[Outgoing], None], turn: FlowTurn | SmsTurn) -> str:
    try:
        with database.atomic():
            cancelled, promoted = training.withdraw(phone)
            if promoted is not None:
                queue(notices.promoted(training, promoted, turn.lookups))
    except TrainingError as error:
        log.info("cancellation for %s refused: %s", training.code, error)
        return error.key
    return "training.withdrawn" if cancelled is not None else "training.withdraw_none"


def validate_code(text: str) -> tuple[str | None, str | None]:
    """A training code that takes sign-ups now."""
    training = Training.by_code(text.split()[0] if text.split() else "")
    if training is None or not training.is_open():
        return None, "error.training_code"
    return training.code, None


def listing(trainings: list[Training], language: str) -> str:
    """Codes, titles and dates, soonest first: as many as keep the `LATIH` reply within the SMS budget."""
    items = [f"{t.code} {t.title} {t.starts_label}" for t in trainings]
    return list_that_fits(
        lambda shown: catalog.text("training.sms.list", language, {"training_list": shown}), items, "; "
    )


def _latih(turn: SmsTurn, found: Match) -> None:
    argument = found.argument.strip()
    if argument:
        turn.start_flow(BY_CODE, first_inputs=[argument])
        return
    trainings = list(Training.upcoming().limit(MAX_LISTED))
    if not trainings:
        turn.reply("training.sms.none")
        return
    turn.reply("training.sms.list", {"training_list": listing(trainings, turn.language)})


def _batal(turn: SmsTurn, found: Match) -> None:
    argument = found.argument.strip()
    training = Training.by_code(argument.split()[0]) if argument else None
    if training is None:
        log.info("BATAL from %s without a known training code", mask(turn.phone))
        mine = [e.training.code for e in Enrollment.of_phone(turn.phone)]
        turn.reply("training.sms.batal_help", {"codes": ", ".join(mine) or "-"})
        return
    key = _withdraw(training, turn.phone, turn.outgoing.append, turn)
    turn.reply(SMS_TEXTS[key], notices.training_params(training))


def _text_of(field: str) -> Placeholder:
    def value(turn: FlowTurn) -> str:
        training = _chosen(turn) or _chosen(turn, "my_code")
        return str(getattr(training, field)) if training else "-"

    return Placeholder(
        value,
        fixed_sample(
            {
                "code": "KOPI2026",
                "title": "Budidaya kopi dan pengolahan pasca panen",
                "starts_label": "31/12 08:00",
                "place": "Balai Desa Tanjunganom Kidul",
            }[field]
        ),
    )


def _seats(turn: FlowTurn) -> str:
    training = _chosen(turn)
    if training is None:
        return "-"
    left = training.seats_left()
    if left:
        return catalog.text("training.seats_left", turn.ctx.language, {"seats": str(left)})
    return catalog.text("training.full", turn.ctx.language)


def _seats_sample(catalogs, language: str) -> str:
    return max(
        catalogs.text("training.full", language),
        catalogs.text("training.seats_left", language, {"seats": "999"}),
        key=len,
    )


FEATURE = Feature(
    name="training_signup",
    menu_entries=(MenuEntry(MAIN_MENU, Option("main.training", ROOT), order=40),),
    roots=(ROOT, BY_CODE),
    screens=(
        Switch(ROOT, cases=(("has_upcoming", "training.list"),), default="training.none"),
        Menu(
            "training.list",
            "training.title",
            source="upcoming_trainings",
            source_target="training.detail",
            store="training_code",
            options=(Option("training.mine_label", "training.mine"),),
        ),
        Menu("training.none", "training.none", options=(Option("training.mine_label", "training.mine"),)),
        Menu("training.detail", "training.detail", options=(Option("training.join", "training.gate"),)),
        Input(BY_CODE, "training.ask_code", store="training_code", validator="training_code", next="training.gate"),
        Switch("training.gate", cases=(("has_consented", "training.signed"),), default="training.consent"),
        Menu(
            "training.consent",
            "training.consent",
            options=(
                Option("register.agree", "training.name"),
                Option("register.disagree", "training.declined"),
            ),
        ),
        End("training.declined", "training.declined"),
        Input("training.name", "register.name", store="name", validator="name", next="training.signed"),
        End(
            "training.signed",
            "training.signed",
            action="training_sign_up",
            other_texts=("training.waitlisted", "training.already", "training.already_waitlisted", "training.closed"),
        ),
        Menu(
            "training.mine",
            "training.mine",
            source="my_trainings",
            source_target="training.mine_detail",
            store="my_code",
            empty="training.mine_empty",
        ),
        Menu(
            "training.mine_detail", "training.mine_detail", options=(Option("training.withdraw", "training.withdrawn"),)
        ),
        End(
            "training.withdrawn",
            "training.withdrawn",
            action="training_withdraw",
            other_texts=("training.withdraw_none", "training.closed"),
        ),
    ),
    conditions={
        "has_upcoming": lambda turn: bool(upcoming_options(turn, ROOT)),
        "has_consented": has_consented,
    },
    actions={"training_sign_up": sign_up, "training_withdraw": withdraw},
    sources={"upcoming_trainings": upcoming_options, "my_trainings": my_options},
    validators={"training_code": validate_code},
    placeholders={
        "training_code": _text_of("code"),
        "training_title": _text_of("title"),
        "training_date": _text_of("starts_label"),
        "training_place": _text_of("place"),
        "training_seats": Placeholder(_seats, _seats_sample),
    },
    keywords=(
        Keyword("LATIH", ("PELATIHAN", "TRAINING", "TRAIN", "GLADHEN"), _latih, interrupts_text=True),
        Keyword("BATAL", ("CANCEL", "BATALKAN", "BATALNO"), _batal, interrupts_text=True),
    ),
)
"""Training sign-up and cancellation, declared once for USSD and SMS."""
