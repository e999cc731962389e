"""Walk-ins: someone who came to a training without signing up is added on the day (the console's attendance page),
counted as attended, and asked for consent by SMS; their "YA" or "TIDAK" is answered here.

The consent SMS names what is kept (name and number), what for (this training's follow-ups at 30 and 90 days, and
news of trainings), and what happens without a yes (the name is erased and the number no longer used). The answer is
the first word of any SMS that is no keyword, while a walk-in of that number waits for one (`on_unmatched_sms`): yes
words record the consent with the wording's version (`models.walk_in`), no words erase the name. Other messages from
the number go the usual way.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from menus.feature import Feature
from menus.features.trainings import notices
from menus.notify import notify
from menus.turn import Lookups
from models import database
from models.message import Outgoing
from models.phones import mask
from models.sending_policy import Purpose
from models.training import Enrollment, Training
from models.walk_in import WalkIn

if TYPE_CHECKING:
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

CONSENT_PURPOSE = "walk_in_consent"
"""The consent question to a walk-in: they gave their number to the organiser to be asked (a number abroad gets it;
an opted-out or unsafe one does not), and it waits out quiet hours."""

YES_WORDS: dict[str, str | None] = {
    **dict.fromkeys(("YA", "IYA", "Y", "1", "SETUJU", "OK")),
    "YES": "en",
    "NGGIH": "jv",
    "INGGIH": "jv",
}
"""First words that say yes, and the language they tell (None: the language the number had)."""
NO_WORDS = frozenset({"TIDAK", "TDK", "GAK", "NGGAK", "2", "NO", "MBOTEN", "BOTEN"})
"""First words that say no."""

_FIRST_WORD = re.compile(r"[A-Za-z0-9]+")


def add(training: Training, phone: str, name: str, added_by: str) -> tuple[Enrollment, WalkIn | None, list[Outgoing]]:
    """Register a walk-in as attended and write the consent SMS (none to a person who consented before); call
    inside a transaction; (their enrollment, the walk-in awaiting consent or None, the SMS to enqueue)."""
    enrollment, walk_in, new = WalkIn.register(training, phone, name, added_by)
    if not new:
        return enrollment, walk_in, []
    return enrollment, walk_in, [consent_request(training, phone)]


def consent_request(training: Training, phone: str) -> Outgoing:
    """The SMS that asks a walk-in's consent (in the service's language: they chose none yet)."""
    return notify(
        phone, "training.sms.walk_in_consent", notices.training_params(training), CONSENT_PURPOSE, lookups=Lookups()
    )


def answer(turn: SmsTurn) -> bool:
    """A walk-in's yes or no to the consent SMS; False for anything else (it goes the usual way)."""
    found = _FIRST_WORD.search(turn.text)
    word = found.group(0).upper() if found else ""
    if word not in YES_WORDS and word not in NO_WORDS:
        return False
    waiting = WalkIn.awaiting(turn.phone)
    if waiting is None:
        return False
    training = waiting.enrollment.training
    with database.atomic():
        if word in YES_WORDS:
            language = YES_WORDS[word] or turn.language
            waiting.accept(language)
            turn.lookups.forget(turn.phone)
            turn.language = language
            turn.reply("training.sms.walk_in_yes", notices.training_params(training))
        else:
            waiting.refuse()
            turn.reply("training.sms.walk_in_no", notices.training_params(training))
    log.info("walk-in %s answered %s for training %s", mask(turn.phone), waiting.answer, training.code)
    return True


FEATURE = Feature(
    name="training_walk_ins",
    models=(WalkIn,),
    purposes=(Purpose(CONSENT_PURPOSE, requested=True, waits_out_quiet_hours=True),),
    on_unmatched_sms=answer,
)
"""Walk-ins' consent: its table, the purpose of its SMS, and the answer."""
