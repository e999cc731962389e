"""Every SMS in and out: the outbox that jobs send from, and the inbox that de-duplicates AT's retries."""
from __future__ import annotations

import peewee

from models.base import BaseModel, PreparedInsert, utcnow
from models.gsm import sms_size

STATUSES = ("queued", "sending", "sent", "delivered", "failed", "rejected")
DIRECTIONS = ("in", "out")
FINAL_STATUSES = ("delivered", "failed", "rejected")


class Message(BaseModel):
    """One SMS. Outbound rows are written with the change that causes them, then sent by a job."""

    direction = peewee.CharField(max_length=3)
    phone = peewee.CharField(max_length=20, index=True)
    text = peewee.TextField()
    channel = peewee.CharField(max_length=10, default="sms")
    purpose = peewee.CharField(max_length=20)
    status = peewee.CharField(max_length=10, index=True)
    provider_id = peewee.CharField(max_length=100, null=True)
    segments = peewee.IntegerField(default=1)
    encoding = peewee.CharField(max_length=5, default="gsm7")
    cost = peewee.CharField(max_length=30, null=True)
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.CharField(max_length=200, null=True)
    next_attempt_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("direction", "provider_id"), True),)

    @classmethod
    def queue_outbound(cls, phone: str, text: str, purpose: str) -> int:
        """Write an outbound SMS as queued and return its id; call inside the transaction of the change that causes it."""
        size = sms_size(text)
        now = utcnow()
        return OUTBOUND_INSERT.inserted_id(
            direction="out", phone=phone, text=text, channel="sms", purpose=purpose, status="queued",
            segments=size.segments, encoding=size.encoding, attempts=0, created_at=now, updated_at=now,
        )

    @classmethod
    def record_inbound(cls, phone: str, text: str, provider_id: str) -> "Message | None":
        """Store an incoming SMS once; None if this provider id was stored before (a replay)."""
        size = sms_size(text)
        try:
            with cls._meta.database.atomic():
                return cls.create(
                    direction="in", phone=phone, text=text, purpose="inbound", status="delivered",
                    provider_id=provider_id, segments=size.segments, encoding=size.encoding,
                )
        except peewee.IntegrityError:
            return None

    def claim_for_sending(self) -> bool:
        """Move a queued message to sending; False if another run got it first or it is not queued."""
        now = utcnow()
        claimed = (
            Message.update(status="sending", attempts=Message.attempts + 1, updated_at=now)
            .where((Message.id == self.id) & (Message.status == "queued"))
            .execute()
        )
        return claimed == 1

    def job_id(self) -> str:
        """The RQ job id for this message's current attempt (stable, so duplicates collapse)."""
        return f"sms-{self.id}-{self.attempts}"

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
            "created_at": self.created_at.isoformat(timespec="seconds") + "Z",
        }


OUTBOUND_INSERT = PreparedInsert(
    "message.outbound", Message,
    ("direction", "phone", "text", "channel", "purpose", "status", "segments", "encoding", "attempts",
     "created_at", "updated_at"),
    returns_id=True,
)
"""The insert behind `queue_outbound`, on the hot path of every registration."""
