"""Outbound SMS gateways behind one interface, and the factory that picks one from the config."""
from __future__ import annotations

from typing import Any, Mapping

from workers.gateways.africastalking import DEFAULT_TIMEOUT_SECONDS, AfricasTalkingGateway, default_api_url
from workers.gateways.base import ACCEPTED, REJECTED, RETRYABLE, Gateway, SendResult
from workers.gateways.outbox import OutboxGateway

BACKENDS = ("africastalking", "outbox")
"""Values SMS_BACKEND may take (the configuration checks against this)."""


def make_gateway(config: Mapping[str, Any]) -> Gateway:
    """Build the gateway named by config["SMS_BACKEND"]; raise ValueError naming a missing or bad setting."""
    backend = str(config.get("SMS_BACKEND") or "outbox").strip().lower()
    if backend == "outbox":
        return OutboxGateway()
    if backend == "africastalking":
        for setting in ("AT_USERNAME", "AT_API_KEY"):
            if not str(config.get(setting) or "").strip():
                raise ValueError(f"{setting} is required when SMS_BACKEND=africastalking")
        username = str(config["AT_USERNAME"]).strip()
        return AfricasTalkingGateway(
            username=username,
            api_key=str(config["AT_API_KEY"]).strip(),
            sender_id=str(config.get("AT_SENDER_ID") or "").strip() or None,
            api_url=str(config.get("AT_API_URL") or "").strip() or default_api_url(username),
            timeout=float(config.get("AT_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS),
        )
    raise ValueError(f"SMS_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")


__all__ = [
    "ACCEPTED", "BACKENDS", "REJECTED", "RETRYABLE",
    "AfricasTalkingGateway", "Gateway", "OutboxGateway", "SendResult", "make_gateway",
]
