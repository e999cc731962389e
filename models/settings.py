"""Settings the domain rules read (local time zone, default language), bound by `create_app()` like the database."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Jakarta"
"""Where the organisation is, when TIMEZONE is not set."""

QUIET_HOURS = (dt.time(21, 0), dt.time(6, 0))
"""Local quiet hours (start, end): what the service starts on its own waits for the end."""


@dataclass
class DomainSettings:
    """The settings bound for this process."""

    timezone: ZoneInfo
    default_language: str = "id"
    case_ack_minutes: float = 1440.0
    case_ack_minutes_urgent: float = 120.0


SETTINGS = DomainSettings(ZoneInfo(DEFAULT_TIMEZONE))
"""The process's settings; `configure` rebinds them (create_app does, so web, worker and CLI agree)."""


def configure(timezone: str, default_language: str, case_ack_minutes: float = 1440.0,
              case_ack_minutes_urgent: float = 120.0) -> None:
    """Bind the settings from the app's configuration."""
    SETTINGS.timezone = ZoneInfo(timezone)
    SETTINGS.default_language = default_language
    SETTINGS.case_ack_minutes = case_ack_minutes
    SETTINGS.case_ack_minutes_urgent = case_ack_minutes_urgent


def to_local(utc: dt.datetime) -> dt.datetime:
    """A stored naive UTC time as an aware time in the local zone."""
    return utc.replace(tzinfo=dt.timezone.utc).astimezone(SETTINGS.timezone)


def to_utc(local: dt.datetime) -> dt.datetime:
    """An aware (or naive local) time as the naive UTC the database stores."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=SETTINGS.timezone)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def quiet_hours_end(now: dt.datetime) -> dt.datetime | None:
    """If naive UTC `now` falls in local quiet hours, the naive UTC time they end; else None."""
    start, end = QUIET_HOURS
    local = to_local(now)
    clock = local.time()
    if end <= clock < start:
        return None
    day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return to_utc(dt.datetime.combine(day, end, tzinfo=SETTINGS.timezone))
