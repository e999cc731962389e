"""SMS Gateway for Android's webhook: its signature, and its events as typed payloads (errors name the field).

An event is JSON `{"deviceId", "event", "id", "payload": {...}, "webhookId"}`; `id` is unique per event
and is what an incoming SMS is de-duplicated on (the payload's `messageId` is derived from the content).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from models.phones import InvalidPhone, to_e164
from service.webhooks.payloads import MAX_SMS_TEXT, BadPayload
from workers.gateways.smsgate import provider_words

MAX_CLOCK_SKEW_SECONDS = 300
"""A signed event whose X-Timestamp is further than this from our clock is refused as a replay."""

SIGNATURE_HEADER, TIMESTAMP_HEADER = "X-Signature", "X-Timestamp"
"""The headers the app signs with (app docs, "Payload Signing")."""

RECEIVED, PING = "sms:received", "system:ping"
"""Event types with their own payloads; the message status events are in `SMSGATE_EVENT_STATUS`."""


def signature(secret: str, body: bytes, timestamp: str) -> str:
    """The app's signature: hex HMAC-SHA256 over the raw body followed by the timestamp, keyed with the secret."""
    return hmac.new(secret.encode("utf-8"), body + timestamp.encode("utf-8"), hashlib.sha256).hexdigest()


class HeaderLookup(Protocol):
    """What `signature_problem` reads of the headers: the request's Headers, or a dict."""

    def get(self, key: str, default: str) -> str: ...


def signature_problem(secret: str, body: bytes, headers: HeaderLookup, now: float) -> str | None:
    """Why a request is not a genuine, fresh event from the app (None if it is); compared in constant time."""
    if not secret:
        return "SMSGATE_WEBHOOK_SECRET is not set"
    given, timestamp = headers.get(SIGNATURE_HEADER, "").strip(), headers.get(TIMESTAMP_HEADER, "").strip()
    if not given or not timestamp:
        return "signature or timestamp missing"
    expected = signature(secret, body, timestamp)
    if not hmac.compare_digest(expected.encode("ascii"), given.lower().encode("utf-8", "replace")):
        return "wrong signature"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "timestamp is not Unix seconds"
    if abs(now - sent_at) > MAX_CLOCK_SKEW_SECONDS:
        return f"timestamp {now - sent_at:+.0f} s off: refused as a replay"
    return None


def _string(data: Mapping[str, Any], field: str, name: str, allow_empty: bool = False, max_length: int = 200) -> str:
    value = data.get(field)
    if value is None:
        raise BadPayload(name, "is required")
    if not isinstance(value, str):
        raise BadPayload(name, "must be a string")
    if not allow_empty and not value.strip():
        raise BadPayload(name, "must not be empty")
    if len(value) > max_length:
        raise BadPayload(name, f"is longer than {max_length} characters")
    return value


def _object(data: Mapping[str, Any], field: str, name: str) -> Mapping[str, Any]:
    value = data.get(field)
    if value is None:
        raise BadPayload(name, "is required")
    if not isinstance(value, dict):
        raise BadPayload(name, "must be an object")
    return value


def sender_phone(raw: str) -> str | None:
    """A sender's number in E.164: the app may leave out the `+` of an international number (`6281…`,
    `85291…`); None for a sender that is no phone number (a carrier's name or short code)."""
    text = raw.strip()
    if text.isdigit() and not text.startswith("0"):
        text = "+" + text
    try:
        return to_e164(text)
    except InvalidPhone:
        return None


def parse_time(value: str, name: str) -> dt.datetime:
    """An ISO 8601 time (the phone's local time with its offset) as naive UTC; BadPayload(name) otherwise.

    A time without an offset is taken as it is: it is not stored, and refusing it would lose the SMS."""
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadPayload(name, "must be an ISO 8601 time such as 2024-06-22T15:46:11.000+07:00") from None
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


@dataclass(frozen=True)
class Event:
    """The envelope of one event."""

    event: str
    event_id: str
    device_id: str | None
    payload: Mapping[str, Any]

    @classmethod
    def event_type(cls, body: bytes) -> tuple[str, dict[str, Any]]:
        """The event's type and the whole decoded body; BadPayload if the body is not an event."""
        try:
            data = json.loads(body)
        except ValueError:
            raise BadPayload("body", "is not JSON") from None
        if not isinstance(data, dict):
            raise BadPayload("body", "must be a JSON object")
        return _string(data, "event", "event", max_length=60).strip(), data

    @classmethod
    def parse(cls, event: str, data: Mapping[str, Any]) -> Event:
        """Validate the envelope of an event we use."""
        event_id = _string(data, "id", "id", max_length=100).strip()
        payload = _object(data, "payload", "payload")
        device_id = data.get("deviceId")
        return cls(event, event_id, device_id if isinstance(device_id, str) else None, payload)


@dataclass(frozen=True)
class SmsReceived:
    """`sms:received`: an SMS the phone got. `sender` is None when it is not a phone number we can answer."""

    sender: str | None
    raw_sender: str
    text: str
    received_at: dt.datetime

    @classmethod
    def parse(cls, payload: Mapping[str, Any]) -> SmsReceived:
        """Validate an `sms:received` payload."""
        raw_sender = _string(payload, "phoneNumber", "payload.phoneNumber", max_length=40)
        text = _string(payload, "message", "payload.message", allow_empty=True, max_length=10 * MAX_SMS_TEXT)
        received_at = parse_time(
            _string(payload, "receivedAt", "payload.receivedAt", max_length=40), "payload.receivedAt"
        )
        return cls(sender_phone(raw_sender), raw_sender, text[:MAX_SMS_TEXT], received_at)


@dataclass(frozen=True)
class MessageStatus:
    """`sms:sent`, `sms:delivered`, `sms:failed`: news of a message we sent, by the id we gave it."""

    message_id: str
    reason: str | None

    @classmethod
    def parse(cls, payload: Mapping[str, Any]) -> MessageStatus:
        """Validate a message status payload (`reason` comes with `sms:failed`: the phone's words, escaped and cut)."""
        message_id = _string(payload, "messageId", "payload.messageId", max_length=100).strip()
        reason = payload.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise BadPayload("payload.reason", "must be a string")
        return cls(message_id, provider_words(reason) if reason else None)


@dataclass(frozen=True)
class Ping:
    """`system:ping`: the phone is alive; `health` is its own verdict (pass, warn, fail) when it sends one."""

    health: str | None

    @classmethod
    def parse(cls, payload: Mapping[str, Any]) -> Ping:
        """Validate a ping payload (`health` optional: `{"status": …, "checks": …}`)."""
        health = payload.get("health")
        if health is None:
            return cls(None)
        if not isinstance(health, dict):
            raise BadPayload("payload.health", "must be an object")
        status = health.get("status")
        if status is not None and not isinstance(status, str):
            raise BadPayload("payload.health.status", "must be a string")
        return cls(status[:20] if status else None)
