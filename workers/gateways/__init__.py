"""Outbound SMS gateways behind one interface, and the factory that picks one from the config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workers.gateways.africastalking import DEFAULT_TIMEOUT_SECONDS, AfricasTalkingGateway, default_api_url
from workers.gateways.base import (
    ACCEPTED,
    REJECTED,
    RETRYABLE,
    Gateway,
    Recipient,
    SendResult,
    message_id_of,
    message_ref,
)
from workers.gateways.outbox import OutboxGateway
from workers.gateways.smsgate import (
    DEFAULT_TIMEOUT_SECONDS as DEFAULT_SMSGATE_TIMEOUT_SECONDS,
)
from workers.gateways.smsgate import (
    DEFAULT_URL as DEFAULT_SMSGATE_URL,
)
from workers.gateways.smsgate import (
    SmsGateGateway,
)

BACKENDS = ("africastalking", "smsgate", "outbox")
"""Values SMS_BACKEND may take (the configuration checks against this)."""

RESENDS_SAFELY = {"africastalking": False, "smsgate": True, "outbox": True}
"""Whether a message whose send was interrupted (left `sending`) may be sent again without risking a second SMS:
the phone takes our reference as its message id and refuses it twice, the outbox is ours; Africa's Talking takes
no client id and has no look-up of a send by one, so an interrupted send may have gone."""


def resends_safely(config: Mapping[str, Any]) -> bool:
    """True if the configured backend cannot send one message twice when it is sent again (`RESENDS_SAFELY`)."""
    return RESENDS_SAFELY.get(str(config.get("SMS_BACKEND") or "outbox").strip().lower(), False)


def _required(config: Mapping[str, Any], backend: str, *settings: str) -> None:
    for setting in settings:
        if not str(config.get(setting) or "").strip():
            raise ValueError(f"{setting} is required when SMS_BACKEND={backend}")


def make_gateway(config: Mapping[str, Any]) -> Gateway:
    """Build the gateway named by config["SMS_BACKEND"]; raise ValueError naming a missing or bad setting."""
    backend = str(config.get("SMS_BACKEND") or "outbox").strip().lower()
    if backend == "outbox":
        return OutboxGateway()
    if backend == "africastalking":
        _required(config, backend, "AT_USERNAME", "AT_API_KEY")
        username = str(config["AT_USERNAME"]).strip()
        return AfricasTalkingGateway(
            username=username,
            api_key=str(config["AT_API_KEY"]).strip(),
            sender_id=str(config.get("AT_SENDER_ID") or "").strip() or None,
            api_url=str(config.get("AT_API_URL") or "").strip() or default_api_url(username),
            timeout=float(config.get("AT_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS),
        )
    if backend == "smsgate":
        _required(config, backend, "SMSGATE_USERNAME", "SMSGATE_PASSWORD")
        return SmsGateGateway(
            url=str(config.get("SMSGATE_URL") or "").strip() or DEFAULT_SMSGATE_URL,
            username=str(config["SMSGATE_USERNAME"]).strip(),
            password=str(config["SMSGATE_PASSWORD"]),
            timeout=float(config.get("SMSGATE_TIMEOUT_SECONDS") or DEFAULT_SMSGATE_TIMEOUT_SECONDS),
        )
    raise ValueError(f"SMS_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")


__all__ = [
    "ACCEPTED",
    "BACKENDS",
    "REJECTED",
    "RETRYABLE",
    "AfricasTalkingGateway",
    "Gateway",
    "OutboxGateway",
    "Recipient",
    "SendResult",
    "SmsGateGateway",
    "make_gateway",
    "message_id_of",
    "message_ref",
    "resends_safely",
]
