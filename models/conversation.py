"""SMS conversation state: where a phone is in a flow, kept between messages."""

from __future__ import annotations

import datetime as dt
import json

import peewee

from models.base import BaseModel, utcnow
from models.crypto import EncryptedTextField

CONVERSATION_TTL = dt.timedelta(hours=24)
"""A conversation idle longer than this starts over."""

MAX_INVALID_ANSWERS = 3
"""After this many invalid answers in a row a conversation ends quietly (an auto-responder, not a person)."""

MAX_INPUTS = 60
"""A conversation given more answers than this ends quietly, as a USSD session ignores them (`menus.ussd`): every
SMS replays all the answers, and no dialogue needs that many (an auto-responder paging back and forth does)."""

HELP_REPLY_INTERVAL = dt.timedelta(hours=1)
"""At most one unsolicited help reply per number in this time (no loops with auto-responders)."""


class Conversation(BaseModel):
    """One row per phone: the flow it is in and the answers given so far."""

    phone = peewee.CharField(max_length=20, unique=True)
    flow = peewee.CharField(max_length=40, null=True)
    inputs = EncryptedTextField(default="[]", plain=("", "[]"))
    """The answers so far, encrypted (they may hold a story); no answers is stored as "[]", plainly."""
    started_by = peewee.CharField(max_length=100, null=True)
    screen = peewee.CharField(max_length=60, null=True)
    invalid_answers = peewee.IntegerField(default=0)
    updated_at = peewee.DateTimeField(default=utcnow)
    last_help_at = peewee.DateTimeField(null=True)
    expires_at = peewee.DateTimeField(null=True)
    """When a conversation started with its own lifetime ends (a follow-up question waits days, not hours)."""

    @classmethod
    def for_phone(cls, phone: str) -> Conversation:
        """The conversation row for this phone, created empty if missing."""
        conversation, _ = cls.get_or_create(phone=phone)
        return conversation

    @classmethod
    def open_for(cls, phone: str) -> bool:
        """True while this phone is in a live conversation (a report, a registration, a question waiting)."""
        conversation = cls.get_or_none(cls.phone == phone)
        return conversation is not None and conversation.active_inputs() is not None

    def active_inputs(self) -> list[str] | None:
        """The inputs of a live conversation, or None if there is none or it expired."""
        if not self.flow:
            return None
        now = utcnow()
        if (now > self.expires_at) if self.expires_at else (now - self.updated_at > CONVERSATION_TTL):
            return None
        return json.loads(self.inputs)

    def start(self, flow: str, started_by: str, lasts: dt.timedelta | None = None) -> None:
        """Begin a conversation in `flow`, keyed by what started it (a message id, a follow-up); it lasts
        CONVERSATION_TTL from its last answer, or `lasts` from now when given."""
        now = utcnow()
        self.flow, self.inputs, self.started_by, self.updated_at = flow, "[]", started_by, now
        self.screen, self.invalid_answers = flow, 0
        self.expires_at = now + lasts if lasts else None
        self.save()

    def advance(self, inputs: list[str], screen: str, invalid: bool = False) -> None:
        """Keep the conversation going with these inputs, now showing `screen`; count invalid answers in a row."""
        self.inputs, self.screen, self.updated_at = json.dumps(inputs), screen, utcnow()
        self.invalid_answers = self.invalid_answers + 1 if invalid else 0
        self.save()

    def finish(self) -> None:
        """End the conversation."""
        self.flow, self.inputs, self.started_by, self.screen, self.updated_at = None, "[]", None, None, utcnow()
        self.invalid_answers, self.expires_at = 0, None
        self.save()

    @classmethod
    def ended(cls, now: dt.datetime) -> peewee.Expression:
        """Conversations no longer live at `now` (their last answer a day old, or their own lifetime over) that
        still hold answers."""
        over = (cls.expires_at.is_null(False) & (cls.expires_at <= now)) | (
            cls.expires_at.is_null() & (cls.updated_at <= now - CONVERSATION_TTL)
        )
        return over & (cls.flow.is_null(False) | (cls.inputs != "[]"))

    @classmethod
    def forget_ended(cls, now: dt.datetime) -> int:
        """Delete the answers of every conversation that is over (they may hold a story or a name); return how
        many. The row stays for its help-reply limit."""
        return (
            cls.update(flow=None, inputs="[]", started_by=None, screen=None, invalid_answers=0, expires_at=None)
            .where(cls.ended(now))
            .execute()
        )

    def may_send_help(self) -> bool:
        """True if no unsolicited help went to this phone within the interval; records it if so."""
        now = utcnow()
        if self.last_help_at and now - self.last_help_at < HELP_REPLY_INTERVAL:
            return False
        self.last_help_at = now
        self.save()
        return True
