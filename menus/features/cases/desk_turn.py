"""The SMS desk's commands done from somewhere other than SMS (the console): the same handlers, the same domain
operations and the same SMS to the same people; only the answer to the one who acted is shown, not texted.

`act(staff, "TERIMA", code, note)` plays the command as if the staff member had sent `TERIMA <code> <note>`,
with `channel` on the case's timeline; the caller commits, then enqueues what it wrote
(`models.jobs.enqueue_after_commit`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from menus import catalog
from menus.features.cases import desk, referral, talk
from menus.staff_commands import StaffCommand
from menus.turn import Lookups
from models import database
from models.codes import normalise_code
from models.jobs import AfterCommit
from models.person import Person
from models.staff import Staff

if TYPE_CHECKING:
    from menus.feature import StaffHandler

HANDLERS: dict[str, StaffHandler] = {
    "TERIMA": desk.terima,
    "CATAT": desk.catat,
    "BALAS": talk.balas,
    "RUJUK": referral.rujuk,
    "SELESAI": desk.selesai,
    "BUKA": desk.buka,
}
"""The desk's actions on one case, by the keyword that does them by SMS."""


@dataclass
class DeskTurn:
    """A staff member's command played outside SMS (a `menus.turn.SmsTurn`): answers are kept as texts."""

    staff_member: Staff
    text: str
    language: str
    channel: str
    ussd_code: str = ""
    lookups: Lookups = field(default_factory=Lookups)
    outgoing: list[AfterCommit] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    phone: str = field(init=False)
    """The staff member's number (who acted)."""

    def __post_init__(self) -> None:
        self.phone = self.staff_member.phone

    @property
    def person(self) -> Person | None:
        """The staff member's person row, if any."""
        return self.lookups.person(self.phone)

    @property
    def staff(self) -> Staff | None:
        """The staff member who acts."""
        return self.staff_member

    def reply(self, key: str, params: dict[str, str] | None = None) -> None:
        """Keep the answer the command would have texted back."""
        self.answers.append(catalog.text(key, self.language, params))

    def reply_text(self, text: str) -> None:
        """Keep an answer already rendered."""
        self.answers.append(text)

    def start_flow(self, root: str, first_inputs: list[str] | None = None) -> None:
        """The desk's commands start no conversation."""
        raise RuntimeError(f"a desk command tried to start the flow {root}")


def act(staff: Staff, keyword: str, code: str, note: str, language: str, channel: str = "console") -> DeskTurn:
    """Do one desk command on a case in a transaction of its own; the turn holds the answers and what to enqueue
    after the commit (the caller enqueues it). KeyError for a keyword the desk does not have."""
    handler = HANDLERS[keyword]
    rest = " ".join(note.split())
    turn = DeskTurn(staff, f"{keyword} {code} {rest}".strip(), language, channel)
    with database.atomic():
        handler(turn, StaffCommand(keyword, normalise_code(code) or "", rest))
    return turn
