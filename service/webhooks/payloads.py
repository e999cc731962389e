"""Typed payloads of Africa's Talking callbacks, validated at the edge: errors name the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from models.phones import InvalidPhone, to_e164

MAX_SMS_TEXT = 2000
"""Longest inbound SMS text kept (AT delivers concatenated SMS well under this)."""

DATE_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S")
"""The date layouts AT sends (`2017-05-03T06:04:45Z`, `2017-05-03 06:04:45`) and close variants."""


class BadPayload(ValueError):
    """A callback field is missing or malformed."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


def required(form: Mapping[str, str], field: str, allow_empty: bool = False, max_length: int = 200) -> str:
    """A field that must be present (and non-blank unless `allow_empty`)."""
    value = form.get(field)
    if value is None:
        raise BadPayload(field, "is required")
    if not allow_empty and not value.strip():
        raise BadPayload(field, "must not be empty")
    if len(value) > max_length:
        raise BadPayload(field, f"is longer than {max_length} characters")
    return value


def phone_field(form: Mapping[str, str], field: str) -> str:
    """A required phone number field, normalised to E.164."""
    try:
        return to_e164(required(form, field, max_length=30))
    except InvalidPhone:
        raise BadPayload(field, "is not a phone number") from None


def parse_date(value: str) -> dt.datetime:
    """Parse AT's date (either layout) as naive UTC; raise BadPayload('date') otherwise."""
    for layout in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), layout)
        except ValueError:
            continue
    raise BadPayload("date", "must look like 2017-05-03T06:04:45Z or 2017-05-03 06:04:45")


@dataclass(frozen=True)
class UssdStep:
    """One USSD request."""

    session_id: str
    phone: str
    text: str
    service_code: str

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> UssdStep:
        """Validate a USSD callback form."""
        session_id = required(form, "sessionId")
        phone = phone_field(form, "phoneNumber")
        text = required(form, "text", allow_empty=True, max_length=1000)
        return cls(session_id.strip(), phone, text, form.get("serviceCode", ""))


@dataclass(frozen=True)
class IncomingSms:
    """One incoming SMS."""

    sender: str
    to: str
    text: str
    provider_id: str
    date: dt.datetime
    link_id: str | None

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> IncomingSms:
        """Validate an incoming SMS callback form."""
        sender = phone_field(form, "from")
        to = required(form, "to", max_length=30)
        text = required(form, "text", allow_empty=True, max_length=10 * MAX_SMS_TEXT)[:MAX_SMS_TEXT]
        provider_id = required(form, "id").strip()
        date = parse_date(required(form, "date"))
        return cls(sender, to.strip(), text, provider_id, date, form.get("linkId") or None)


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery report for a message we sent."""

    provider_id: str
    status: str
    failure_reason: str | None

    @classmethod
    def parse(cls, form: Mapping[str, str], known_statuses: Mapping[str, str]) -> DeliveryReport:
        """Validate a delivery report; the status must be one of AT's known words."""
        provider_id = required(form, "id").strip()
        status = required(form, "status").strip()
        if status not in known_statuses:
            raise BadPayload("status", f"must be one of {', '.join(known_statuses)}")
        return cls(provider_id, status, (form.get("failureReason") or None))


@dataclass(frozen=True)
class OptOut:
    """A bulk SMS opt-out."""

    phone: str
    sender_id: str | None

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> OptOut:
        """Validate an opt-out callback."""
        return cls(phone_field(form, "phoneNumber"), form.get("senderId") or None)


@dataclass(frozen=True)
class UssdSessionEnd:
    """AT's end-of-session notification."""

    session_id: str
    status: str
    duration_ms: str | None
    error_message: str | None

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> UssdSessionEnd:
        """Validate an end-of-session callback."""
        return cls(
            required(form, "sessionId"),
            form.get("status", ""),
            form.get("durationInMillis"),
            form.get("errorMessage") or None,
        )
