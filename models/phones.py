"""Phone numbers: parse what arrives (08…, 628…, +628…, +852…) into E.164, and mask them for logs."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "ID"


class InvalidPhone(ValueError):
    """The text is not a phone number we can reach."""


@lru_cache(maxsize=8192)
def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """Normalise a phone number to E.164; raise InvalidPhone if it is not a valid number (cached: every
    USSD step of a session carries the same number, and parsing costs a fifth of a millisecond)."""
    text = (raw or "").strip()
    if not text or len(text) > 20 or not any(ch.isdigit() for ch in text):
        raise InvalidPhone(f"not a phone number: {mask(text)}")
    if text.startswith("62") and not text.startswith("+"):
        text = "+" + text
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"not a phone number: {mask(text)}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {mask(text)}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_forms(e164: str) -> tuple[str, ...]:
    """Other ways people write an Indonesian number in a text (0812…, 62812…); none for a number abroad."""
    if not is_indonesian(e164):
        return ()
    return ("0" + e164[3:], e164[1:])


def is_indonesian(e164: str) -> bool:
    """True for +62 numbers."""
    return e164.startswith("+62")


KEPT_DIGITS = 3
"""Trailing digits a masked number keeps, enough to tell apart the numbers in one log."""


def _country_code(phone: str) -> str:
    """The `+CC` a number starts with (ITU codes are prefix-free, 1 to 3 digits), or "" when it has none."""
    if not phone.startswith("+"):
        return ""
    for length in (1, 2, 3):
        digits = phone[1 : 1 + length]
        if digits.isdigit() and int(digits) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return "+" + digits
    return ""


def mask(phone: str) -> str:
    """Mask a phone number for logs, keeping only the country code and the last 3 digits: +62********890."""
    phone = phone or ""
    if len(phone) <= 2 * KEPT_DIGITS:
        return "*" * len(phone)
    prefix = _country_code(phone)
    return prefix + "*" * (len(phone) - len(prefix) - KEPT_DIGITS) + phone[-KEPT_DIGITS:]
