"""The interface every SMS gateway implements: who a send goes to, and the outcome for each of them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

ACCEPTED, REJECTED, RETRYABLE = "accepted", "rejected", "retryable"
"""Outcomes: accepted by the provider (not yet delivered); rejected for good; failed in a way a retry can fix."""

REF_PREFIX = "km-"
"""Our reference of an outbound message as a provider sees it: `km-<message id>`."""

_REF = re.compile(r"km-(\d{1,18})(?:-[0-9a-f]{10})?")
"""`km-<id>`, or `km-<id>-<digest>`: the phone app's id for a message whose plain reference it held for another."""


def message_ref(message_id: int) -> str:
    """The reference that goes with every send of one message (the same on every attempt)."""
    return f"{REF_PREFIX}{int(message_id)}"


def message_id_of(ref: str) -> int | None:
    """The message id inside one of our references; None for anything else."""
    found = _REF.fullmatch((ref or "").strip())
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Recipient:
    """One addressee of a send: an E.164 phone and our reference of the message to it.

    A provider that takes a client id (SMS Gateway for Android) sends `ref` as the message id, so a retry
    after a lost answer cannot send the SMS twice; one that does not (Africa's Talking) ignores it.
    """

    phone: str
    ref: str


@dataclass(frozen=True)
class SendResult:
    """What the gateway said about one recipient of one send."""

    phone: str
    outcome: str
    provider_id: str | None = None
    cost: str | None = None
    error: str | None = None
    unsure: bool = False
    """A retryable failure after which the provider may hold the message all the same (its answer was lost): a pool
    asks that phone before the message goes through another one."""


class Gateway(Protocol):
    """Sends one text to many recipients; never raises for provider errors, returns one result per recipient."""

    name: str

    def send(self, text: str, recipients: Sequence[Recipient]) -> list[SendResult]:
        """Send `text` to every recipient; one result per recipient, in order."""
