"""The phones SMS go through on the smsgate backend: a pool (`SMSGATE_PHONES=a,b,c`) or the one phone configured
the old way, each with its own app URL and credentials, rate, daily limit, operator prefixes, device ids and
signing key.

`phones_of(config)` is the one place that says which phones there are. A pool's phones are named (`a`, `b`…); the
phone configured the old way has the empty name and keeps the Redis keys it always had, so a deployment that does
not set SMSGATE_PHONES sees nothing change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workers.gateways.smsgate import DEFAULT_MAX_PER_MINUTE, DEFAULT_TIMEOUT_SECONDS, DEFAULT_URL, SmsGateGateway

SINGLE = ""
"""The name of the one phone configured the old way (SMSGATE_URL, SMSGATE_USERNAME…)."""

NAME = re.compile(r"[a-z][a-z0-9]{0,11}")
"""A pool phone's name: a letter, then letters or digits, at most 12 (it goes into env names and Redis keys)."""

STATUS_KEY = "smsgate:phone"
"""The Redis hash of the single phone's state (last ping, last send…); a pool phone's is `smsgate:phones:<name>`."""

POOL_KEY = "smsgate:phones"
"""Where a pool phone's Redis keys start."""


@dataclass(frozen=True)
class PhoneSettings:
    """One phone of the pool as configured."""

    name: str
    url: str
    username: str
    password: str = field(repr=False)
    max_per_minute: int = DEFAULT_MAX_PER_MINUTE
    daily_limit: int | None = None
    """SMS a day the phone's SIM may send (the operator's limit for a prepaid SIM); None: no limit."""
    prefixes: tuple[str, ...] = ()
    """Operator prefixes as national numbers without the leading 0 (`811` for 0811): recipients there go
    through this phone when it is free."""
    device_ids: tuple[str, ...] = ()
    """The app's device id(s) of this phone: an event's `deviceId` says which phone it came to."""
    webhook_secret: str = field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def label(self) -> str:
        """How logs, `gateway status` and coordinators' SMS name the phone."""
        return self.name or "phone"

    @property
    def status_key(self) -> str:
        """The Redis hash of this phone's state."""
        return STATUS_KEY if self.name == SINGLE else f"{POOL_KEY}:{self.name}"

    @property
    def throttle_prefix(self) -> str:
        """Where this phone's throttle keeps its keys (the single phone: where it always did)."""
        return "smsgate:throttle" if self.name == SINGLE else f"{POOL_KEY}:{self.name}:throttle"

    def gateway(self) -> SmsGateGateway:
        """A gateway that sends through this phone's app."""
        return SmsGateGateway(url=self.url, username=self.username, password=self.password, timeout=self.timeout)

    def serves(self, phone: str) -> bool:
        """True if `phone` (E.164) is on one of this phone's operator prefixes."""
        national = national_number(phone)
        return bool(national) and any(national.startswith(prefix) for prefix in self.prefixes)


def national_number(phone: str) -> str:
    """An Indonesian number as its national significant digits (`+62812…`, `62812…`, `0812…` -> `812…`); empty for
    a number abroad."""
    digits = "".join(ch for ch in str(phone) if ch.isdigit())
    if str(phone).strip().startswith("0"):
        return digits[1:]
    if digits.startswith("62"):
        return digits[2:]
    return ""


def normalise_prefix(raw: str) -> str:
    """An operator prefix as configured (`0811`, `62811`, `+62811`, `811`) -> `811`; ValueError if it is not one."""
    text = raw.strip()
    digits = text.lstrip("+")
    if not digits.isdigit():
        raise ValueError(f"{raw!r} is not an operator prefix such as 0811")
    if text.startswith("0"):
        national = digits[1:]
    elif digits.startswith("62"):  # a national prefix starts with 8: 62… is the country code
        national = digits[2:]
    else:
        national = digits
    if not 2 <= len(national) <= 6 or not national.startswith("8"):
        raise ValueError(f"{raw!r} is not an Indonesian mobile operator prefix such as 0811")
    return national


def single_phone(config: Mapping[str, Any]) -> PhoneSettings:
    """The one phone configured the old way (SMSGATE_URL, _USERNAME, _PASSWORD, _MAX_PER_MINUTE, _DEVICE_ID…)."""
    devices = config.get("SMSGATE_DEVICE_ID") or ()
    if isinstance(devices, str):
        devices = tuple(part.strip() for part in devices.split(",") if part.strip())
    daily = config.get("SMSGATE_DAILY_LIMIT")
    return PhoneSettings(
        name=SINGLE,
        url=str(config.get("SMSGATE_URL") or DEFAULT_URL).strip(),
        username=str(config.get("SMSGATE_USERNAME") or "").strip(),
        password=str(config.get("SMSGATE_PASSWORD") or ""),
        max_per_minute=int(config.get("SMSGATE_MAX_PER_MINUTE") or DEFAULT_MAX_PER_MINUTE),
        daily_limit=int(daily) if daily else None,
        prefixes=(),
        device_ids=tuple(devices),
        webhook_secret=str(config.get("SMSGATE_WEBHOOK_SECRET") or ""),
        timeout=float(config.get("SMSGATE_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS),
    )


def phones_of(config: Mapping[str, Any]) -> tuple[PhoneSettings, ...]:
    """The phones of the smsgate backend: SMSGATE_PHONES's (as `service.config` parsed them), else the single one."""
    pool = config.get("SMSGATE_PHONES") or ()
    if pool:
        return tuple(pool)
    return (single_phone(config),)


def is_pool(phones: Iterable[PhoneSettings]) -> bool:
    """True for more than one phone: only then are phones taken out of rotation and their messages moved."""
    return len(tuple(phones)) > 1


def phone_named(config: Mapping[str, Any], name: str | None) -> PhoneSettings | None:
    """The configured phone called `name`, or None."""
    return next((p for p in phones_of(config) if p.name == (name or SINGLE)), None)
