"""Announcements (broadcasts): one text per language to a segment of registered people, sent once to each.

A broadcast is a draft until it is sent; sending fixes its recipients (one row per phone, unique, so nothing
goes twice) after leaving out everyone the sending policy would refuse anyway: opted out (BERHENTI), marked
unsafe, staff, and numbers abroad (nothing unsolicited goes abroad). The send job (`menus.features.broadcasts`)
turns recipients into outbox rows in batches, marking each recipient in the transaction that writes its row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import peewee

from models.base import BaseModel, utcnow
from models.message import Message
from models.person import STATUSES, Person
from models.staff import Staff
from models.training import Enrollment, Training

STATES = ("draft", "sending", "paused", "cancelled", "done")
"""A broadcast's life: draft -> sending <-> paused -> done; cancelled from draft, sending or paused."""

OPEN_STATES = ("sending", "paused")
"""States in which recipients may still get their SMS."""

TEXT_MAX = 459
"""Characters of one language's text (three GSM-7 segments)."""

EXCLUSIONS = ("opted_out", "unsafe", "staff", "abroad")
"""Why someone of the segment is left out, in the order they are counted (each person counts once, first reason)."""

DELIVERY = {
    "queued": "waiting",
    "sending": "waiting",
    "sent": "sent",
    "delivered": "delivered",
    "failed": "failed",
    "rejected": "failed",
    "refused": "failed",
}
"""A message's status as the broadcast's progress counts it."""


class BroadcastError(ValueError):
    """A broadcast that cannot be made or changed as asked; `field` names the input at fault (None: its state)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Segment:
    """Who a broadcast is for: registered people, narrowed by any of these (None: everyone)."""

    village: str | None = None
    status: str | None = None
    language: str | None = None
    trained: str | None = None
    """A training's code: those who attended it."""

    def describe(self) -> dict[str, str]:
        """The filters set, by name."""
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class Audience:
    """A segment counted: the phones that get it (with their language) and how many were left out, by reason."""

    recipients: list[tuple[str, str | None]]
    left_out: dict[str, int]

    @property
    def count(self) -> int:
        """How many get it."""
        return len(self.recipients)


def check_texts(texts: dict[str, str], default_language: str, languages: tuple[str, ...]) -> dict[str, str]:
    """The texts cleaned (spaces folded, empty ones dropped); BroadcastError naming the field if the default
    language's text is missing, a language is unknown, or a text is too long."""
    cleaned: dict[str, str] = {}
    for language, raw in texts.items():
        if language not in languages:
            raise BroadcastError(f"unknown language {language!r}", f"text-{language}")
        text = " ".join((raw or "").split())
        if not text:
            continue
        if len(text) > TEXT_MAX:
            raise BroadcastError(
                f"text in {language} is {len(text)} characters; at most {TEXT_MAX}", f"text-{language}"
            )
        cleaned[language] = text
    if default_language not in cleaned:
        raise BroadcastError(f"the text in the default language ({default_language}) is required", "text")
    return cleaned


def check_segment(segment: Segment, languages: tuple[str, ...]) -> Segment:
    """The segment if every filter names something that exists; BroadcastError naming the filter otherwise."""
    if segment.status and segment.status not in STATUSES:
        raise BroadcastError(f"status must be one of {', '.join(STATUSES)}", "status")
    if segment.language and segment.language not in languages:
        raise BroadcastError(f"language must be one of {', '.join(languages)}", "language")
    training = Training.by_code(segment.trained) if segment.trained else None
    if segment.trained and training is None:
        raise BroadcastError(f"no training with code {segment.trained!r}", "trained")
    return Segment(segment.village, segment.status, segment.language, training.code if training else None)


def audience(segment: Segment, default_language: str) -> Audience:
    """Registered people of `segment` who would get a broadcast, and how many were left out for each reason."""
    query = Person.select(Person.phone, Person.language, Person.opted_out_at, Person.unsafe_at).where(
        Person.consent_at.is_null(False) & Person.status.is_null(False)
    )
    if segment.village:
        query = query.where(Person.village == segment.village)
    if segment.status:
        query = query.where(Person.status == segment.status)
    if segment.language:
        same = Person.language == segment.language
        query = query.where(same | Person.language.is_null() if segment.language == default_language else same)
    if segment.trained:
        attended = (
            Enrollment.select(Enrollment.phone)
            .join(Training)
            .where((Training.code == segment.trained) & (Enrollment.status == "attended"))
        )
        query = query.where(Person.phone.in_(attended))
    # peewee's stubs type a `.tuples()` query as yielding model instances: cast to the rows it yields
    active = Staff.select(Staff.phone).where(Staff.active == True)  # noqa: E712
    staff = {phone for (phone,) in cast("Iterable[tuple[str]]", active.tuples())}
    left_out = dict.fromkeys(EXCLUSIONS, 0)
    recipients: list[tuple[str, str | None]] = []
    rows = cast("Iterable[tuple[str, str | None, object, object]]", query.order_by(Person.id).tuples().iterator())
    for phone, language, opted_out_at, unsafe_at in rows:
        reason = _left_out_because(phone, opted_out_at, unsafe_at, staff)
        if reason:
            left_out[reason] += 1
        else:
            recipients.append((phone, language))
    return Audience(recipients, left_out)


def _left_out_because(phone: str, opted_out_at: object, unsafe_at: object, staff: set[str]) -> str | None:
    """The first reason this number gets no broadcast, or None."""
    if opted_out_at is not None:
        return "opted_out"
    if unsafe_at is not None:
        return "unsafe"
    if phone in staff:
        return "staff"
    if not phone.startswith("+62"):
        return "abroad"
    return None


class Broadcast(BaseModel):
    """An announcement: its texts by language, its segment, its state and who made it."""

    texts_json = peewee.TextField()
    village = peewee.CharField(max_length=30, null=True)
    status = peewee.CharField(max_length=10, null=True)
    language = peewee.CharField(max_length=5, null=True)
    trained = peewee.CharField(max_length=10, null=True)
    state = peewee.CharField(max_length=10, default="draft", index=True)
    created_by = peewee.CharField(max_length=20)
    """A staff phone, or `cli`."""
    total = peewee.IntegerField(default=0)
    """Recipients, fixed when sending starts."""
    left_out_json = peewee.TextField(default="{}")
    """How many of the segment were left out, by reason (when sending started)."""
    step = peewee.IntegerField(default=0)
    """How many chunks the send job has written: the next chunk's job id (the sweep re-fires a lost one)."""
    resume_at = peewee.DateTimeField(null=True)
    """When the send job goes on (quiet hours, or the day's share used up); None: at once."""
    created_at = peewee.DateTimeField(default=utcnow)
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    @property
    def texts(self) -> dict[str, str]:
        """Its text in each language it has."""
        loaded: dict[str, str] = json.loads(self.texts_json)
        return loaded

    @property
    def left_out(self) -> dict[str, int]:
        """How many of its segment were left out, by reason."""
        loaded: dict[str, int] = json.loads(self.left_out_json or "{}")
        return loaded

    @property
    def segment(self) -> Segment:
        """Who it is for."""
        return Segment(self.village, self.status, self.language, self.trained)

    def text_for(self, language: str | None, default_language: str) -> str:
        """The text in `language`, else in the default language."""
        texts = self.texts
        return texts.get(language or default_language) or texts[default_language]

    @classmethod
    def draft(cls, texts: dict[str, str], segment: Segment, created_by: str) -> Broadcast:
        """A new draft (texts and segment checked by the caller: `check_texts`, `check_segment`)."""
        return cls.create(
            texts_json=json.dumps(texts, ensure_ascii=False, sort_keys=True),
            village=segment.village,
            status=segment.status,
            language=segment.language,
            trained=segment.trained,
            created_by=created_by,
        )

    def start(self, default_language: str, now: dt.datetime | None = None) -> int:
        """Fix the recipients and move a draft to sending; return how many. Call inside a transaction."""
        if self.state != "draft":
            raise BroadcastError(f"broadcast {self.id} is {self.state}, not a draft")
        now = now or utcnow()
        found = audience(self.segment, default_language)
        rows = [
            {"broadcast": self.id, "phone": phone, "language": language or default_language, "created_at": now}
            for phone, language in found.recipients
        ]
        for start in range(0, len(rows), 100):
            BroadcastRecipient.insert_many(rows[start : start + 100]).on_conflict_ignore().execute()
        self.update_fields(
            state="sending",
            total=found.count,
            left_out_json=json.dumps(found.left_out, sort_keys=True),
            started_at=now,
            resume_at=None,
        )
        return found.count

    def pause(self) -> None:
        """Stop further batches (what was written goes on); resume goes on from there."""
        self._move(("sending",), "paused")

    def resume(self) -> None:
        """Go on with a paused broadcast."""
        self._move(("paused",), "sending")

    def cancel(self) -> None:
        """Send no more of it (what was already written goes on)."""
        self._move(("draft", "sending", "paused"), "cancelled", finished=True)

    def finish(self) -> None:
        """Every recipient has their message row."""
        self._move(("sending",), "done", finished=True)

    def _move(self, allowed: tuple[str, ...], state: str, finished: bool = False) -> None:
        """Change the state if it is one of `allowed` (one statement, so two clicks cannot both move it)."""
        fields: dict[str, object] = {"state": state, "updated_at": utcnow()}
        if finished:
            fields["finished_at"] = utcnow()
        moved = Broadcast.update(**fields).where((Broadcast.id == self.id) & Broadcast.state.in_(allowed)).execute()
        if not moved:
            current = Broadcast.get_by_id(self.id).state
            raise BroadcastError(f"broadcast {self.id} is {current}: cannot be {state}")
        self.state = state

    def waiting(self, limit: int) -> list[BroadcastRecipient]:
        """Recipients without their message row yet, in order (the next batch)."""
        return list(
            BroadcastRecipient.select()
            .where((BroadcastRecipient.broadcast == self.id) & BroadcastRecipient.written_at.is_null())
            .order_by(BroadcastRecipient.id)
            .limit(limit)
        )

    def progress(self) -> dict[str, int]:
        """Of its total: how many are written, and their messages waiting, sent, delivered or failed."""
        return Broadcast.progress_of([self])[self.id]

    @classmethod
    def progress_of(cls, broadcasts: list[Broadcast]) -> dict[int, dict[str, int]]:
        """`progress` of each of these broadcasts, by id, in one query."""
        found = {
            b.id: {"total": b.total, "written": 0, **dict.fromkeys(("waiting", "sent", "delivered", "failed"), 0)}
            for b in broadcasts
        }
        if not found:
            return found
        rows = cast(
            "Iterable[tuple[int, str, int]]",
            Message.select(BroadcastRecipient.broadcast, Message.status, peewee.fn.COUNT(Message.id))
            .join(BroadcastRecipient, on=(BroadcastRecipient.message_id == Message.id))
            .where(BroadcastRecipient.broadcast.in_(list(found)))
            .group_by(BroadcastRecipient.broadcast, Message.status)
            .tuples(),
        )
        for broadcast_id, status, count in rows:
            counts = found[broadcast_id]
            counts[DELIVERY.get(status, "waiting")] += count
            counts["written"] += count
        return found

    @classmethod
    def latest(cls, limit: int = 50) -> list[Broadcast]:
        """The newest broadcasts first."""
        return list(cls.select().order_by(cls.id.desc()).limit(limit))

    @classmethod
    def sending(cls) -> list[Broadcast]:
        """Broadcasts whose send job should be running (or waiting for its time)."""
        return list(cls.select().where(cls.state == "sending"))


class BroadcastRecipient(BaseModel):
    """One person a broadcast goes to, once: marked in the transaction that writes their SMS row."""

    broadcast = peewee.ForeignKeyField(Broadcast, backref="recipients", on_delete="CASCADE")
    phone = peewee.CharField(max_length=20)
    language = peewee.CharField(max_length=5)
    message_id = peewee.IntegerField(null=True)
    written_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "broadcast_recipient"
        indexes = (
            (("broadcast", "phone"), True),
            (("broadcast", "written_at"), False),
            (("message_id",), False),
        )

    def mark_written(self, message_id: int, now: dt.datetime) -> bool:
        """Record its SMS row; False if another run wrote one first (the caller rolls back its own)."""
        return bool(
            BroadcastRecipient.update(message_id=message_id, written_at=now)
            .where((BroadcastRecipient.id == self.id) & BroadcastRecipient.written_at.is_null())
            .execute()
        )
