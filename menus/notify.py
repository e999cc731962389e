"""The one way an SMS leaves the service: pick the recipient's language, apply the sending policy, write the row.

Callers run inside the transaction of the change that causes the SMS and enqueue the returned
`Outgoing` once it commits (`workers.sms_jobs.enqueue_after_commit`). A refused SMS is a row with status
`refused` and the reason, never a silent drop; the one refused when a share of the service's daily limit is first
used up carries the coordinators' notices (`Outgoing.also`). `check_at_send` is the same policy asked again by the
send job, just before the gateway call, for everything but a direct reply.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import NamedTuple

from redis import Redis
from redis.exceptions import RedisError

from menus import catalog
from menus.turn import Lookups
from models import Message, Staff, utcnow
from models.connections import redis
from models.message import Outgoing
from models.sending_policy import (
    COUNT_AT_SEND,
    Purpose,
    Recipient,
    UnknownPurpose,
    decide,
    limit_refusal,
    purpose_named,
)
from models.settings import QUIET_HOURS, SETTINGS, to_local, to_utc
from models.sms_quota import (
    BROADCAST_LIMIT,
    BROADCASTS,
    DAILY_LIMIT,
    PER_NUMBER,
    SAME_TEXT,
    SmsQuota,
    Spent,
    share_limit,
)

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
    if spent is None:  # the limits could not count it: it waits for them, queued (the send job counts it)
        written = Message.queue_outbound(phone, text, purpose, not_before=verdict.not_before)
        _mark_waiting(written.message_id, f"{COUNT_AT_SEND}Redis unavailable when written")
        return written
    if spent.limit is not None:
        notices = _notices(kind, spent, lookups)
        if kind.bulk and spent.limit in (DAILY_LIMIT, BROADCAST_LIMIT):  # a broadcast continues the next day
            written = Message.queue_outbound(phone, text, purpose, not_before=next_morning(now))
            _mark_waiting(written.message_id, f"{COUNT_AT_SEND}{BROADCAST_WAITS}")
            return written._replace(also=notices)
        refused = Message.record_refused(phone, text, purpose, limit_refusal(spent.limit, kind).reason or "refused")
        return refused._replace(also=notices)
    return Message.queue_outbound(phone, text, purpose, not_before=verdict.not_before)


BROADCAST_WAITS = "today's share of broadcasts is used up; continues tomorrow"
"""Why a broadcast over its share waits (`last_error` of the queued row, after COUNT_AT_SEND)."""

LIMITS_RETRY = dt.timedelta(minutes=1)
"""How long a message the limits could not count (Redis unavailable) waits before the send job tries again."""


class AtSend(NamedTuple):
    """What the sending rules say of a queued message just before the gateway call."""

    go: bool
    reason: str | None = None
    """Refused (not `go`, no `wait_until`): why, for `last_error`."""
    wait_until: dt.datetime | None = None
    """Not yet: stays queued until then (naive UTC), with `note` as its `last_error`."""
    note: str | None = None
    counted: bool = False
    """The limits counted it just now: its COUNT_AT_SEND mark is spent."""
    notices: tuple[Outgoing, ...] = ()
    """The coordinators' notices written (a share used up): enqueue once committed."""


def check_at_send(
    phone: str, text: str, purpose: str, note: str | None, now: dt.datetime, lookups: Lookups | None = None
) -> AtSend:
    """Decide again, just before the gateway call, for a queued message of `purpose` whose `last_error` is `note`:
    the number may have been marked unsafe, opted out or left the staff since it was written, quiet hours may have
    begun (a retry), and a message written while Redis was down (or a broadcast continuing the next day) is
    counted now. A direct reply goes (it answers the person's own message). Call inside a transaction: a share
    used up writes the coordinators' notices."""
    try:
        kind = purpose_named(purpose)
    except UnknownPurpose:
        log.error("message of unknown purpose %s: checked as a message the service starts", purpose)
        kind = Purpose(purpose or "unknown")
    if kind.answers_sender:
        return AtSend(True)
    lookups = lookups or Lookups()
    verdict = decide(kind, recipient(phone, lookups), now)
    if not verdict.allowed:
        return AtSend(False, verdict.reason or "refused")
    if verdict.not_before is not None:
        return AtSend(False, wait_until=verdict.not_before, note=note)
    if not (note or "").startswith(COUNT_AT_SEND):
        return AtSend(True)
    spent = _spend(kind, phone, text, now, lookups)
    if spent is None:
        return AtSend(False, wait_until=now + LIMITS_RETRY, note=f"{COUNT_AT_SEND}Redis unavailable")
    if spent.limit is None:
        return AtSend(True, counted=True)
    notices = _notices(kind, spent, lookups)
    if kind.bulk and spent.limit in (DAILY_LIMIT, BROADCAST_LIMIT):
        return AtSend(False, wait_until=next_morning(now), note=f"{COUNT_AT_SEND}{BROADCAST_WAITS}", notices=notices)
    return AtSend(False, limit_refusal(spent.limit, kind).reason or "refused", notices=notices)


def next_morning(now: dt.datetime) -> dt.datetime:
    """The end of quiet hours on the local day after naive UTC `now` (when a broadcast over its share goes on)."""
    tomorrow = to_local(now).date() + dt.timedelta(days=1)
    return to_utc(dt.datetime.combine(tomorrow, QUIET_HOURS[1], tzinfo=SETTINGS.timezone))


def _mark_waiting(message_id: int, note: str) -> None:
    """Keep why a queued message waits for the limits (its `last_error`: the send job counts it then)."""
    Message.update(last_error=note[:200]).where(Message.id == message_id).execute()


def _notices(kind: Purpose, spent: Spent, lookups: Lookups | None) -> tuple[Outgoing, ...]:
    """The coordinators' notices when this SMS is the first of the day its share refused: the broadcasts' half, or
    the purpose's share."""
    if not spent.first_over_daily_limit:
        return ()
    return tuple(tell_coordinators(BROADCASTS if spent.limit == BROADCAST_LIMIT else kind.share, lookups))


def _spend(kind: Purpose, phone: str, text: str, now: dt.datetime, lookups: Lookups | None) -> Spent | None:
    """Count the SMS against the limits (staff are exempt from the per-number ones); one Redis call, two for
    a staff member over a per-number limit. With Redis down (or answering garbage) a reply or an alert goes
    uncounted, logged (the service keeps answering, and alerts are never refused); a message the service starts
    on its own is not counted and gets None: it waits for the limits (they fail closed)."""
    staff_only = kind.staff_only  # decide() let it through: the recipient is staff
    fails_open = kind.answers_sender or kind.jumps_queue
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
            share=kind.share,
            broadcast=kind.bulk,
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
                share=kind.share,
                broadcast=kind.bulk,
            )
        return spent
    except RedisError as error:
        outcome = "sent uncounted" if fails_open else "kept queued until they count it"
        log.warning("SMS limits unavailable for a %s SMS (%s): %s", kind.name, type(error).__name__, outcome)
    except Exception:  # a counting bug must not lose the person's SMS with the change that caused it
        log.exception("SMS limits failed for a %s SMS", kind.name)
    return Spent() if fails_open else None


def tell_coordinators(share: str, lookups: Lookups | None = None) -> list[Outgoing]:
    """Tell every coordinator, once a day and share (the counters say when), that `share` of SMS_DAILY_LIMIT is used
    up (replies, what the service starts, broadcasts) or passed (alerts, which still go)."""
    count = share_limit(SETTINGS.sms_daily_limit, share)
    log.warning("SMS_DAILY_LIMIT's share for %s (%s today) is used up", share, count)
    lookups = lookups or Lookups()
    written = []
    for member in Staff.coordinators():
        lookups.remember_staff(member)
        written.append(notify(member.phone, f"sms.share_used.{share}", {"count": str(count)}, "alert", lookups=lookups))
    return written


def tell_coordinators_of(text_key: str, params: dict[str, str]) -> list[Outgoing]:
    """Tell every active coordinator `text_key` with `params` in their language, as an alert (it goes at once, before
    other waiting SMS): a phone of the pool out of rotation, or back."""
    lookups = Lookups()
    written = []
    for member in Staff.coordinators():
        lookups.remember_staff(member)
        written.append(notify(member.phone, text_key, params, "alert", lookups=lookups))
    return written


_QUOTAS: dict[int, SmsQuota] = {}


def _quota(connection: Redis) -> SmsQuota:
    """The counters on this connection (one object per connection: it holds the registered script)."""
    found = _QUOTAS.get(id(connection))
    if found is None or found.connection is not connection:
        found = _QUOTAS[id(connection)] = SmsQuota(connection)
    return found
