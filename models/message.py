"""Every SMS in and out: the outbox that jobs send from, and the inbox that de-duplicates providers' retries."""

from __future__ import annotations

import datetime as dt
import logging
from typing import NamedTuple

import peewee

from models.base import PreparedInsert, cached_sql, database, hot_statements, iso_utc, utcnow
from models.crypto import EncryptedTextField, WithLookupHashes, lookup_hash
from models.gsm import sms_size
from models.phones import mask
from models.sending_policy import jumps_queue

log = logging.getLogger(__name__)

STATUSES = ("queued", "sending", "sent", "delivered", "failed", "rejected", "refused")
"""`refused`: the sending policy did not send it (`last_error` says why)."""

STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "failed": 3, "rejected": 3, "delivered": 4, "refused": 5}
"""A delivery report never moves a message back to an earlier status (reports can arrive out of order)."""

ERROR_MAX = 200
"""Characters of an error or refusal reason kept."""


def send_job_id(message_id: int, attempt: int) -> str:
    """The RQ job id of one send attempt (stable, so duplicates collapse)."""
    return f"sms-{message_id}-{attempt}"


def turn_job_id(message_id: int, attempt: int, turn: dt.datetime) -> str:
    """The RQ job id of a send attempt deferred by the throttle to its turn `turn` (its `next_attempt_at`)."""
    return f"sms-{message_id}-{attempt}-turn-{turn:%Y%m%dT%H%M%S%f}"


hot_statements("insert.message.outbound")  # every SMS written
hot_statements("message.claim", "message.sent")  # a fan-out's batches of 100: bench/broadcast.py


class Outgoing(NamedTuple):
    """An outbound row just written: what to enqueue once the transaction commits."""

    message_id: int
    due_at: dt.datetime | None = None
    refused: bool = False
    text: str | None = None
    """The text written (messages of one text and due time are sent in batches: see `enqueue_after_commit`)."""
    urgent: bool = False
    """Its purpose jumps the queue when sends are throttled (`models.sending_policy.jumps_queue`)."""
    also: tuple[Outgoing, ...] = ()
    """Other rows written with this one (the coordinators' notices when the daily SMS limit is first reached)."""
    count_after_commit: bool = False
    """An alert to staff: no limit refuses it, so it joins the day's SMS total after the commit
    (`workers.sms_jobs.enqueue_after_commit`), not by a Redis call while the transaction holds its locks."""


class Message(WithLookupHashes):
    """One SMS. Outbound rows are written with the change that causes them, then sent by a job."""

    direction = peewee.CharField(max_length=3)
    phone = peewee.CharField(max_length=20, index=True)
    text = EncryptedTextField(lookup="text_hash")
    text_hash = peewee.CharField(max_length=64, null=True, index=True)
    """The text's lookup hash (`models.crypto.lookup_hash`): sends of one text are batched by it."""
    channel = peewee.CharField(max_length=10, default="sms")
    purpose = peewee.CharField(max_length=20)
    status = peewee.CharField(max_length=10, index=True)
    provider_id = peewee.CharField(max_length=100, null=True)
    segments = peewee.IntegerField(default=1)
    encoding = peewee.CharField(max_length=5, default="gsm7")
    cost = peewee.CharField(max_length=30, null=True)
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.CharField(max_length=ERROR_MAX, null=True)
    next_attempt_at = peewee.DateTimeField(null=True)
    pool_phone = peewee.CharField(max_length=20, null=True)
    """The phone of the smsgate pool (its SMSGATE_PHONES name) an SMS came in on, or goes or went out through."""
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("direction", "provider_id"), True),)

    @classmethod
    def text_is(cls, text: str) -> peewee.Expression:
        """Where a message's text is `text`: compared by its lookup hash (the text itself is encrypted)."""
        return cls.text_hash == lookup_hash(text)

    @classmethod
    def queue_outbound(cls, phone: str, text: str, purpose: str, not_before: dt.datetime | None = None) -> Outgoing:
        """Write an outbound SMS as queued (due at once or at `not_before`); call inside the causing transaction.

        Only the sending policy (`menus.notify`) calls this: every SMS is decided there first.
        """
        size = sms_size(text)
        now = utcnow()
        message_id = OUTBOUND_INSERT.inserted_id(
            direction="out",
            phone=phone,
            text=text,
            text_hash=lookup_hash(text),
            channel="sms",
            purpose=purpose,
            status="queued",
            segments=size.segments,
            encoding=size.encoding,
            attempts=0,
            last_error=None,
            next_attempt_at=not_before,
            created_at=now,
            updated_at=now,
        )
        return Outgoing(message_id, not_before, False, text, jumps_queue(purpose))

    @classmethod
    def record_refused(cls, phone: str, text: str, purpose: str, reason: str) -> Outgoing:
        """Keep a message the sending policy refused, with the reason, instead of dropping it silently."""
        size = sms_size(text)
        message = cls.create(
            direction="out",
            phone=phone,
            text=text,
            purpose=purpose,
            status="refused",
            segments=size.segments,
            encoding=size.encoding,
            last_error=reason[:ERROR_MAX],
        )
        log.info("%s SMS to %s refused: %s", purpose, mask(phone), reason)
        return Outgoing(message.id, None, refused=True)

    @classmethod
    def record_inbound(cls, phone: str, text: str, provider_id: str, via: str | None = None) -> Message | None:
        """Store an incoming SMS once (`via`: the pool's phone it came to); None if this provider id was stored
        before (a replay)."""
        size = sms_size(text)
        try:
            with cls._meta.database.atomic():
                return cls.create(
                    direction="in",
                    phone=phone,
                    text=text,
                    purpose="inbound",
                    status="delivered",
                    provider_id=provider_id,
                    segments=size.segments,
                    encoding=size.encoding,
                    pool_phone=via or None,
                )
        except peewee.IntegrityError:
            return None

    @classmethod
    def last_written_to(cls, phone: str) -> str | None:
        """The pool's phone this number last wrote to (a conversation stays on one number), or None."""
        found = (
            cls.select(cls.pool_phone)
            .where((cls.direction == "in") & (cls.phone == phone) & cls.pool_phone.is_null(False))
            .order_by(cls.id.desc())
            .first()
        )
        return found.pool_phone if found is not None else None

    @classmethod
    def record_delivery(
        cls, provider_id: str, status: str, failure_reason: str | None, message_id: int | None = None
    ) -> bool:
        """Apply a delivery report (our status word) to the message the provider knows by `provider_id`.

        False if no message has that id. A report never moves a message back (they arrive out of order),
        except that `delivered` always wins; a failure keeps the provider's reason. A provider that echoes our
        own reference may report before the send job stored its answer: `message_id` (read from that
        reference) then finds the row, which takes `provider_id` now.
        """
        fields: dict[str, object] = {}
        message = cls.get_or_none((cls.direction == "out") & (cls.provider_id == provider_id))
        if message is None and message_id is not None:
            message = cls.get_or_none((cls.id == message_id) & (cls.direction == "out") & cls.provider_id.is_null())
            fields["provider_id"] = provider_id
        if message is None:
            return False
        if STATUS_RANK[status] >= STATUS_RANK.get(message.status, 0) or status == "delivered":
            fields.update({"status": status, "updated_at": utcnow()})
            if status in ("failed", "rejected") and failure_reason:
                fields["last_error"] = failure_reason[:ERROR_MAX]
        if fields:
            cls.update(**fields).where(cls.id == message.id).execute()
        return True

    @classmethod
    def claim_each(cls, ids: list[int]) -> list[int]:
        """Move each of these messages that is queued and due to sending, in one transaction; the ids this run got
        (the others were claimed by another run first, or are not due). `claim_for_sending` for a batch: one
        statement written once, bound per message, instead of one built by peewee each (a broadcast's 20,000)."""
        if not ids:
            return []
        now = utcnow()
        sql = cached_sql("message.claim", _claim_sql)
        with database.atomic():
            return [i for i in ids if database.execute_sql(sql, (now, i, now)).rowcount == 1]

    @classmethod
    def record_sent(cls, sent: list[tuple[int, str | None, str | None]]) -> None:
        """Store the provider's ids and costs of messages it accepted, (id, provider_id, cost) each, in one
        transaction: `sent` unless a provider event moved one on first (its status and error stay)."""
        now = utcnow()
        sql = cached_sql("message.sent", _sent_sql)
        with database.atomic():
            for message_id, provider_id, cost in sent:
                database.execute_sql(sql, (provider_id, cost, now, message_id))

    def claim_for_sending(self) -> bool:
        """Move a queued message that is due to sending; False if another run got it first, or not yet due."""
        now = utcnow()
        claimed = (
            Message.update(status="sending", attempts=Message.attempts + 1, updated_at=now)
            .where(
                (Message.id == self.id)
                & (Message.status == "queued")
                & (Message.next_attempt_at.is_null() | (Message.next_attempt_at <= now))
            )
            .execute()
        )
        return claimed == 1

    @classmethod
    def due_unsent(cls, now: dt.datetime) -> peewee.ModelSelect[Message]:
        """Outbound messages waiting to be sent whose time has come."""
        return cls.select().where(
            (cls.direction == "out")
            & (cls.status == "queued")
            & (cls.next_attempt_at.is_null() | (cls.next_attempt_at <= now))
        )

    @classmethod
    def free_stuck(cls, now: dt.datetime, after: dt.timedelta) -> int:
        """Queue again messages left `sending` for longer than `after` (their worker died); return how many."""
        return (
            cls.update(status="queued", last_error="worker lost while sending", updated_at=now)
            .where((cls.status == "sending") & (cls.updated_at < now - after))
            .execute()
        )

    @classmethod
    def fail_stuck(cls, now: dt.datetime, after: dt.timedelta, reason: str) -> int:
        """Mark `failed`, with `reason`, messages left `sending` for longer than `after` whose send may have gone
        (a provider without our id cannot tell): kept for a human rather than sent twice; return how many."""
        return (
            cls.update(status="failed", last_error=reason[:ERROR_MAX], updated_at=now)
            .where((cls.status == "sending") & (cls.updated_at < now - after))
            .execute()
        )

    def job_id(self) -> str:
        """The RQ job id for this message's current attempt."""
        return send_job_id(self.id, self.attempts)

    def to_export(self) -> dict[str, object]:
        """Flat record for `export messages`."""
        return {
            "id": self.id,
            "phone": self.phone,
            "direction": self.direction,
            "purpose": self.purpose,
            "status": self.status,
            "provider_id": self.provider_id,
            "segments": self.segments,
            "encoding": self.encoding,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": iso_utc(self.created_at),
        }


def _claim_sql() -> str:
    """The claim of one message (`Message.claim_each`): updated time, id, now."""
    p = database.obj.param
    return (
        f"UPDATE message SET status = 'sending', attempts = attempts + 1, updated_at = {p} "
        f"WHERE id = {p} AND status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= {p})"
    )


def _sent_sql() -> str:
    """An accepted send (`Message.record_sent`): provider id, cost, updated time, id. A status a provider event set
    before the answer (delivered, failed…) stays, with its error."""
    p = database.obj.param
    unsent = "status IN ('queued', 'sending')"
    return (
        f"UPDATE message SET status = CASE WHEN {unsent} THEN 'sent' ELSE status END, provider_id = {p}, cost = {p}, "
        f"last_error = CASE WHEN {unsent} THEN NULL ELSE last_error END, next_attempt_at = NULL, updated_at = {p} "
        f"WHERE id = {p}"
    )


OUTBOUND_INSERT = PreparedInsert(
    "message.outbound",
    Message,
    (
        "direction",
        "phone",
        "text",
        "text_hash",
        "channel",
        "purpose",
        "status",
        "segments",
        "encoding",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ),
    returns_id=True,
)
"""The insert behind `queue_outbound`, on the hot path of every registration."""
