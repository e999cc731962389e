"""Outbound SMS gateways behind one interface, and the factory that picks one from the config."""
from __future__ import annotations

from typing import Any, Mapping

from workers.gateways.africastalking import AfricasTalkingGateway
from workers.gateways.base import ACCEPTED, REJECTED, RETRYABLE, Gateway, SendResult
from workers.gateways.outbox import OutboxGateway

BACKENDS = ("africastalking", "outbox")
"""Values SMS_BACKEND may take."""

DEFAULT_AT_TIMEOUT_SECONDS = 10.0
"""Seconds an Africa's Talking request may take when AT_TIMEOUT_SECONDS is not set."""

AT_PRODUCTION_URL = "https://api.africastalking.com"
AT_SANDBOX_URL = "https://api.sandbox.africastalking.com"
"""AT's base URLs, used when AT_API_URL is not set (the sandbox for the username "sandbox")."""


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
        default_url = AT_SANDBOX_URL if username == "sandbox" else AT_PRODUCTION_URL
        return AfricasTalkingGateway(
            username=username,
            api_key=str(config["AT_API_KEY"]).strip(),
            sender_id=str(config.get("AT_SENDER_ID") or "").strip() or None,
            api_url=str(config.get("AT_API_URL") or "").strip() or default_url,
            timeout=float(config.get("AT_TIMEOUT_SECONDS") or DEFAULT_AT_TIMEOUT_SECONDS),
        )
    raise ValueError(f"SMS_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")


__all__ = [
    "ACCEPTED", "BACKENDS", "REJECTED", "RETRYABLE",
    "AfricasTalkingGateway", "Gateway", "OutboxGateway", "SendResult", "make_gateway",
]
