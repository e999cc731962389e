"""The one way an SMS leaves the service: pick the recipient's language, apply the sending policy, write the row.

Callers run inside the transaction of the change that causes the SMS and enqueue the returned
`Outgoing` once it commits (`workers.sms_jobs.enqueue_after_commit`). A refused SMS is a row with status
`refused` and the reason, never a silent drop; the one refused when the service's daily limit is first reached
carries the coordinators' notices (`Outgoing.also`).
"""

from __future__ import annotations

import datetime as dt
import logging

from redis import Redis
from redis.exceptions import RedisError

from menus import catalog
from menus.turn import Lookups
from models import Message, Staff, utcnow
from models.connections import redis
from models.message import Outgoing
from models.sending_policy import Purpose, Recipient, decide, limit_refusal, purpose_named
from models.settings import SETTINGS, to_local
from models.sms_quota import PER_NUMBER, SAME_TEXT, SmsQuota, Spent

log = logging.getLogger(__name__)


def language_for(phone: str, lookups: Lookups) -> str:
    """The language this phone chose (as staff first, else as a person), else the service default."""
    staff = lookups.staff(phone)
    if staff is not None and staff.language:
        return staff.language
    person = lookups.person(phone)
    return (person.language if person else None) or SETTINGS.default_language


def recipient(phone: str, lookups: Lookups) -> Recipient:
    """What the sending policy needs to know of a number."""
    person = lookups.person(phone)
    return Recipient(
        phone=phone,
        is_staff=lookups.staff(phone) is not None,
        opted_out=bool(person and person.opted_out_at),
        unsafe=bool(person and person.unsafe_at),
    )


def notify(
    phone: str,
    text_key: str,
    params: dict[str, str] | None = None,
    purpose: str = "reply",
    *,
    language: str | None = None,
    lookups: Lookups | None = None,
) -> Outgoing:
    """Write the SMS `text_key` for `phone` in their language, if the policy allows it, and return the row."""
    lookups = lookups or Lookups()
    language = language or language_for(phone, lookups)
    return send_text(phone, catalog.text(text_key, language, params), purpose, lookups=lookups)


def send_text(phone: str, text: str, purpose: str, *, lookups: Lookups | None = None) -> Outgoing:
    """Write an SMS already rendered in the recipient's language (a flow screen), through the same policy."""
    kind = purpose_named(purpose)
    now = utcnow()
    if SETTINGS.sms_prefix and not kind.answers_sender:  # a message the service starts says who it is from
        text = f"{SETTINGS.sms_prefix} {text}"
    if kind.answers_sender:  # the hot path: a reply needs no look-up unless it is over a per-number limit
        verdict = decide(kind, Recipient(phone), now)
    else:
        lookups = lookups or Lookups()
        verdict = decide(kind, recipient(phone, lookups), now)
    if not verdict.allowed:
        return Message.record_refused(phone, text, purpose, verdict.reason or "refused")
    if kind.staff_only and kind.jumps_queue:  # no limit refuses an alert to staff: count it after the commit
        return Message.queue_outbound(phone, text, purpose, not_before=verdict.not_before)._replace(
            count_after_commit=True
        )
    spent = _spend(kind, phone, text, now, lookups)
    if spent.limit is not None:
        refused = Message.record_refused(phone, text, purpose, limit_refusal(spent.limit).reason or "refused")
        if spent.first_over_daily_limit:
            return refused._replace(also=tuple(_tell_coordinators(lookups)))
        return refused
    return Message.queue_outbound(phone, text, purpose, not_before=verdict.not_before)


def _spend(kind: Purpose, phone: str, text: str, now: dt.datetime, lookups: Lookups | None) -> Spent:
    """Count the SMS against the limits (staff are exempt from the per-number ones); one Redis call, two for
    a staff member over a per-number limit. With Redis down (or answering garbage) the SMS goes uncounted, logged:
    the service keeps answering, and its sends wait for Redis anyway."""
    staff_only = kind.staff_only  # decide() let it through: the recipient is staff
    try:
        quota = _quota(redis())
        day = to_local(now).date()
        spent = quota.spend(
            phone,
            text,
            now,
            day,
            per_number_limit=None if staff_only else SETTINGS.sms_replies_per_day,
            daily_limit=SETTINGS.sms_daily_limit,
            past_daily_limit=kind.jumps_queue,
        )
        if spent.limit in (SAME_TEXT, PER_NUMBER) and (lookups or Lookups()).staff(phone) is not None:
            spent = quota.spend(
                phone,
                text,
                now,
                day,
                per_number_limit=None,
                daily_limit=SETTINGS.sms_daily_limit,
                past_daily_limit=kind.jumps_queue,
            )
        return spent
    except RedisError as error:
        log.warning("SMS limits not counted for a %s SMS (%s): Redis unavailable", kind.name, type(error).__name__)
        return Spent()
    except Exception:  # a counting bug must not lose the person's SMS with the change that caused it
        log.exception("SMS limits not counted for a %s SMS", kind.name)
        return Spent()


def _tell_coordinators(lookups: Lookups | None) -> list[Outgoing]:
    """Tell every coordinator, once a day, that only urgent case alerts go until tomorrow."""
    log.warning("SMS_DAILY_LIMIT of %s reached: only urgent case alerts go until tomorrow", SETTINGS.sms_daily_limit)
    lookups = lookups or Lookups()
    written = []
    for member in Staff.coordinators():
        lookups.remember_staff(member)
        written.append(
            notify(
                member.phone,
                "sms.daily_limit_reached",
                {"count": str(SETTINGS.sms_daily_limit)},
                "alert",
                lookups=lookups,
            )
        )
    return written


_QUOTAS: dict[int, SmsQuota] = {}


def _quota(connection: Redis) -> SmsQuota:
    """The counters on this connection (one object per connection: it holds the registered script)."""
    found = _QUOTAS.get(id(connection))
    if found is None or found.connection is not connection:
        found = _QUOTAS[id(connection)] = SmsQuota(connection)
    return found
