"""The outbound messages the service stored, as a test reads them."""

from __future__ import annotations

from models import Message


def outbox(phone: str | None = None, purpose: str | None = None) -> list[Message]:
    """Outbound messages, oldest first, optionally for one phone or purpose."""
    query = Message.select().where(Message.direction == "out")
    if phone:
        query = query.where(Message.phone == phone)
    if purpose:
        query = query.where(Message.purpose == purpose)
    return list(query.order_by(Message.id))
