"""Settings the domain rules read (local time zone, default language), bound by `create_app()` like the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Jakarta"
"""Where the organisation is, when TIMEZONE is not set."""

QUIET_HOURS = (dt.time(21, 0), dt.time(6, 0))
"""Local quiet hours (start, end): what the service starts on its own waits for the end."""

DEFAULT_SMS_REPLIES_PER_DAY = 30
"""SMS a day to one number that is not staff, when SMS_REPLIES_PER_DAY is not set."""

DEFAULT_SMS_DAILY_LIMIT = 2000
"""SMS a day across the service after which only urgent case alerts go out, when SMS_DAILY_LIMIT is not set."""

DEFAULT_REPORTS_PER_DAY = 3
"""New cases one number may open a day (local day), when REPORTS_PER_DAY is not set; more join its latest open case."""

DEFAULT_REFERRAL_ACK_DAYS = 3.0
"""Days before an official who has not taken a referral is reminded, when REFERRAL_ACK_DAYS is not set."""

DEFAULT_RETENTION_DAYS = 730
"""Days a resolved case keeps its story, notes and numbers, when RETENTION_DAYS is not set; then only its figures."""

DEFAULT_ALLOWED_COUNTRY_CODES = (
    "62",  # Indonesia
    "852",
    "886",
    "60",
    "65",
    "966",
    "82",
    "81",  # Hong Kong, Taiwan, Malaysia, Singapore, Saudi Arabia, Korea, Japan
    "673",  # Brunei
    "971",
    "974",
    "965",
    "973",
    "968",  # the other Gulf states: UAE, Qatar, Kuwait, Bahrain, Oman
)
"""Country calling codes an SMS may go to, when SMS_ALLOWED_COUNTRY_CODES is not set (DESIGN's destinations)."""


@dataclass
class DomainSettings:
    """The settings bound for this process."""

    timezone: ZoneInfo
    default_language: str = "id"
    case_ack_minutes: float = 1440.0
    case_ack_minutes_urgent: float = 120.0
    sms_replies_per_day: int = DEFAULT_SMS_REPLIES_PER_DAY
    sms_daily_limit: int = DEFAULT_SMS_DAILY_LIMIT
    sms_allowed_prefixes: tuple[str, ...] = tuple("+" + code for code in DEFAULT_ALLOWED_COUNTRY_CODES)
    """`+CC` of every allowed country calling code (a number is allowed if it starts with one)."""
    sms_prefix: str = ""
    """Put before every SMS the service starts (SMS_PREFIX); empty by default: a name says what a message is about."""
    reports_per_day: int = DEFAULT_REPORTS_PER_DAY
    """New cases one number may open a local day (REPORTS_PER_DAY): a flood from one phone buries nobody's report."""
    referral_ack_days: float = DEFAULT_REFERRAL_ACK_DAYS
    """Days an official has to take a referral before they are reminded, once, and the coordinators told."""
    retention_days: int = DEFAULT_RETENTION_DAYS
    """Days a resolved case keeps its story, notes and numbers (RETENTION_DAYS); then only its figures stay."""


SETTINGS = DomainSettings(ZoneInfo(DEFAULT_TIMEZONE))
"""The process's settings; `configure` rebinds them (create_app does, so web, worker and CLI agree)."""


def configure(
    timezone: str,
    default_language: str,
    case_ack_minutes: float = 1440.0,
    case_ack_minutes_urgent: float = 120.0,
    sms_replies_per_day: int = DEFAULT_SMS_REPLIES_PER_DAY,
    sms_daily_limit: int = DEFAULT_SMS_DAILY_LIMIT,
    sms_allowed_country_codes: tuple[str, ...] = DEFAULT_ALLOWED_COUNTRY_CODES,
    *,
    sms_prefix: str = "",
    referral_ack_days: float = DEFAULT_REFERRAL_ACK_DAYS,
    reports_per_day: int = DEFAULT_REPORTS_PER_DAY,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> None:
    """Bind the settings from the app's configuration."""
    SETTINGS.timezone = ZoneInfo(timezone)
    SETTINGS.default_language = default_language
    SETTINGS.case_ack_minutes = case_ack_minutes
    SETTINGS.case_ack_minutes_urgent = case_ack_minutes_urgent
    SETTINGS.sms_replies_per_day = sms_replies_per_day
    SETTINGS.sms_daily_limit = sms_daily_limit
    SETTINGS.sms_allowed_prefixes = tuple("+" + code.lstrip("+") for code in sms_allowed_country_codes)
    SETTINGS.sms_prefix = sms_prefix
    SETTINGS.referral_ack_days = referral_ack_days
    SETTINGS.reports_per_day = reports_per_day
    SETTINGS.retention_days = retention_days


def to_local(utc: dt.datetime) -> dt.datetime:
    """A stored naive UTC time as an aware time in the local zone."""
    return utc.replace(tzinfo=dt.UTC).astimezone(SETTINGS.timezone)


def to_utc(local: dt.datetime) -> dt.datetime:
    """An aware (or naive local) time as the naive UTC the database stores."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=SETTINGS.timezone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def quiet_hours_end(now: dt.datetime) -> dt.datetime | None:
    """If naive UTC `now` falls in local quiet hours, the naive UTC time they end; else None."""
    start, end = QUIET_HOURS
    local = to_local(now)
    clock = local.time()
    if end <= clock < start:
        return None
    day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return to_utc(dt.datetime.combine(day, end, tzinfo=SETTINGS.timezone))
