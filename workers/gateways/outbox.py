"""Local gateway for development and the simulator: accepts every message and sends nothing.

The message rows are already in the database; the simulator shows them from there.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from models.phones import mask
from workers.gateways.base import ACCEPTED, Recipient, SendResult

log = logging.getLogger(__name__)


class OutboxGateway:
    """Accepts every phone with a local provider id ("outbox-<hex>") and no cost."""

    name = "outbox"

    def send(self, text: str, recipients: Sequence[Recipient]) -> list[SendResult]:
        """Accept `text` for every recipient; nothing leaves the machine."""
        results = [
            SendResult(phone=r.phone, outcome=ACCEPTED, provider_id="outbox-" + uuid.uuid4().hex) for r in recipients
        ]
        for result in results:
            log.debug("outbox accepted for %s: %s", mask(result.phone), result.provider_id)
        return results
