"""The interface every SMS gateway implements, and the outcome of sending to one recipient."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

ACCEPTED, REJECTED, RETRYABLE = "accepted", "rejected", "retryable"
"""Outcomes: accepted by the provider (not yet delivered); rejected for good; failed in a way a retry can fix."""


@dataclass(frozen=True)
class SendResult:
    """What the gateway said about one recipient of one send."""

    phone: str
    outcome: str
    provider_id: str | None = None
    cost: str | None = None
    error: str | None = None


class Gateway(Protocol):
    """Sends one text to many E.164 numbers; never raises for provider errors, returns one result per phone."""

    name: str

    def send(self, text: str, phones: list[str]) -> list[SendResult]:
        """Send `text` to every phone; one result per phone, in order."""
