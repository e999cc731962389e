"""What a feature's functions see during one request: the caller, their answers, cached look-ups; a USSD or SMS
flow step (`FlowTurn`) or one incoming SMS being answered (`SmsTurn`)."""

from __future__ import annotations

from typing import Any, Protocol

from menus.engine import Context
from models import Person, Staff, Village
from models.jobs import AfterCommit


class Lookups:
    """Per-request cache of what features read often: people and staff by phone, the village list."""

    def __init__(self) -> None:
        self._people: dict[str, Person | None] = {}
        self._staff: dict[str, Staff | None] = {}
        self._villages: list[str] | None = None

    def person(self, phone: str) -> Person | None:
        """The person with this phone (read once per request)."""
        if phone not in self._people:
            self._people[phone] = Person.for_phone(phone)
        return self._people[phone]

    def staff(self, phone: str) -> Staff | None:
        """The active staff member with this phone (read once per request)."""
        if phone not in self._staff:
            self._staff[phone] = Staff.for_phone(phone)
        return self._staff[phone]

    def remember_staff(self, staff: Staff) -> None:
        """Keep a staff row already loaded (e.g. an alert's recipients) so it is not read again."""
        self._staff[staff.phone] = staff

    def villages(self) -> list[str]:
        """The configured village names, in menu order (read once per request)."""
        if self._villages is None:
            self._villages = Village.names()
        return self._villages

    def forget(self, phone: str | None = None) -> None:
        """Drop what a write may have changed: one phone's rows, or everything."""
        if phone is None:
            self._people.clear()
            self._staff.clear()
        else:
            self._people.pop(phone, None)
            self._staff.pop(phone, None)


class FlowTurn:
    """One engine run's view for conditions, actions, sources and placeholders."""

    __slots__ = ("ctx", "lookups", "memo")

    def __init__(self, ctx: Context, lookups: Lookups) -> None:
        self.ctx, self.lookups = ctx, lookups
        self.memo: dict[str, Any] = {}
        """What a feature computed once for this run (a screen renders its options and texts more than once)."""

    @property
    def phone(self) -> str:
        """The caller's E.164 number."""
        return self.ctx.phone

    @property
    def answers(self) -> dict[str, str]:
        """What the caller answered so far in this session or conversation."""
        return self.ctx.answers

    @property
    def person(self) -> Person | None:
        """The caller's person row, if any."""
        return self.lookups.person(self.ctx.phone)

    def profile(self, field: str) -> Any:
        """This session's answer for `field`, else the stored profile's value, else None."""
        if field in self.ctx.answers:
            return self.ctx.answers[field]
        person = self.person
        return getattr(person, field) if person is not None else None

    def queued(self, outgoing: AfterCommit) -> None:
        """Remember an SMS written by an action (or a job it schedules), to enqueue once the transaction commits."""
        self.ctx.outgoing.append(outgoing)


def help_key(key: str, ussd_code: str) -> str:
    """A help text's catalog key: `key` (it names the USSD code), or `key.no_ussd` where no code is offered."""
    return key if ussd_code else f"{key}.no_ussd"


class SmsTurn(Protocol):
    """What keyword handlers and staff commands see of one incoming SMS being answered (`menus.sms_router`)."""

    phone: str
    text: str
    ussd_code: str
    """The USSD code help texts offer; empty where the backend cannot serve USSD (a phone's SIM)."""
    language: str
    lookups: Lookups
    outgoing: list[AfterCommit]
    channel: str
    """Where the command came from, recorded on the case's timeline: "sms", or "console" (the same handlers)."""

    @property
    def person(self) -> Person | None:
        """The sender's person row, if any."""

    @property
    def staff(self) -> Staff | None:
        """The sender as active staff, if they are."""

    def reply(self, key: str, params: dict[str, str] | None = None) -> None:
        """Answer the sender with a catalog text, in their language."""

    def reply_text(self, text: str) -> None:
        """Answer the sender with text already rendered in their language."""

    def start_flow(self, root: str, first_inputs: list[str] | None = None) -> None:
        """Begin a conversation at `root` and send its screen."""
