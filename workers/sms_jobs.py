"""The send job: claim a queued message, hand it to the gateway, record what the provider said.

On a throttled backend (the phone: one request per message, SMSGATE_MAX_PER_MINUTE) a job sends its one
message once the throttle grants a permit; when the wait would be longer than PACE_WAIT_MAX the message
stays queued with its turn as `next_attempt_at` and a job scheduled for then, so no worker sleeps through
a backlog and nothing over the limit fails. Staff alerts and escalations use the `sms-urgent` queue and go
before the others.

Just before the gateway call the sending rules are decided again (`menus.notify.check_at_send`) for everything
but a direct reply: a message held for the morning, a retry or one waiting for the phone's turn does not go to a
number marked unsafe or opted out since; it is `refused` with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable

from peewee import Case
from redis.exceptions import RedisError

from menus.notify import check_at_send, tell_coordinators
from menus.turn import Lookups
from models import Message, database, utcnow
from models.jobs import SMS_QUEUE, SMS_URGENT_QUEUE, JobSpec, with_database
from models.message import Outgoing, send_job_id, turn_job_id
from models.phones import mask
from models.sending_policy import jumps_queue
from models.settings import SETTINGS, to_local
from models.sms_quota import ALERTS, SmsQuota
from workers.context import settings
from workers.gateways import ACCEPTED, REJECTED, Recipient, SendResult, make_gateway, message_ref
from workers.gateways.phones import PhoneSettings, is_pool, phones_of
from workers.gateways.rotation import next_day_starts, release, reserve
from workers.pool import after_send, before_send, reached_limit, route, settle_elsewhere
from workers.queues import enqueue, redis
from workers.throttle import Throttle, is_throttled

log = logging.getLogger(__name__)

SEND_JOB_TIMEOUT = 60
"""Seconds a send job may take (the gateway call itself has its own shorter timeout)."""


PACE_WAIT_MAX = 1.0
"""Seconds a send job may sleep for the throttle's permit; a longer wait defers the message to its turn."""

URGENT_WAIT_MAX = 5.0
"""Seconds a send job of an urgent message may sleep for its permit before it is scheduled for it instead."""

URGENT_HOLD_LATE = 2.0
"""Seconds past its turn an urgent message deferred by the throttle keeps ordinary ones out: RQ schedules whole
seconds and its scheduler looks once a second, so the job may start a little late."""


def whole_second(at: dt.datetime | None) -> dt.datetime | None:
    """`at` rounded up to a whole second: RQ schedules whole seconds (it drops the fraction), and a job started
    before its message is due would find nothing to send."""
    if at is None or not at.microsecond:
        return at
    return at.replace(microsecond=0) + dt.timedelta(seconds=1)


def send_spec(message_id: int, attempt: int, at: dt.datetime | None = None, urgent: bool = False) -> JobSpec:
    """The job that sends one attempt of one message, now or at `at` (naive UTC); `urgent` on the urgent queue.

    Retry policy: the job re-enqueues itself after SMS_RETRY_DELAYS on retryable errors only.
    """
    return JobSpec(
        "workers.sms_jobs.send_message",
        (message_id,),
        send_job_id(message_id, attempt),
        SMS_URGENT_QUEUE if urgent else SMS_QUEUE,
        whole_second(at),
        {"job_timeout": SEND_JOB_TIMEOUT},
    )


def later_spec(message_id: int, attempt: int, at: dt.datetime, urgent: bool = False) -> JobSpec:
    """The job that sends a message the sending rules held back just before the gateway call (quiet hours began,
    the limits could not count it, a broadcast continues tomorrow), at its `next_attempt_at` `at` (naive UTC).

    Its id is that of a turn for `at`, so the sweep sees it live; it is not the job that runs now.
    """
    return JobSpec(
        "workers.sms_jobs.send_message",
        (message_id,),
        turn_job_id(message_id, attempt, at),
        SMS_URGENT_QUEUE if urgent else SMS_QUEUE,
        whole_second(at),
        {"job_timeout": SEND_JOB_TIMEOUT},
    )


def turn_spec(message_id: int, attempt: int, at: dt.datetime, urgent: bool = False) -> JobSpec:
    """The job that sends a message the throttle deferred to its turn `at` (naive UTC, its `next_attempt_at`)."""
    return JobSpec(
        "workers.sms_jobs.send_message",
        (message_id, True),
        turn_job_id(message_id, attempt, at),
        SMS_URGENT_QUEUE if urgent else SMS_QUEUE,
        at,
        {"job_timeout": SEND_JOB_TIMEOUT},
    )


def enqueue_after_commit(items: Iterable[Outgoing | JobSpec]) -> int:
    """Enqueue what a committed change wrote, in one round trip: its other jobs (e.g. a case's escalation) as
    they are, and sends of its SMS rows (refused ones stay as they are); return how many jobs.

    Rows of one text and due time (a fan-out: a cancellation to 5,000 people) get one job per BATCH_LIMIT
    rows, not one each: every send job takes its batch of same-text companions and goes on until none is
    left due, so the rows without a job of their own are sent by the others (and by the sweep, late, if a
    job is lost). On a throttled backend every row gets its own job: one send each, paced.
    """
    specs: list[JobSpec] = []
    groups: dict[tuple[str, dt.datetime | None, bool], int] = {}
    one_each = is_throttled(settings())
    uncounted: list[Outgoing] = []
    for item in _with_companions(items):
        if isinstance(item, JobSpec):
            specs.append(item)
            continue
        if item.refused:
            continue
        if item.count_after_commit:
            uncounted.append(item)
        if item.text is None or one_each:
            specs.append(send_spec(item.message_id, 0, item.due_at, item.urgent))
            continue
        key = (item.text, item.due_at, item.urgent)  # an alert's job goes on the urgent queue, never behind others
        if groups.get(key, 0) % BATCH_LIMIT == 0:
            specs.append(send_spec(item.message_id, 0, item.due_at, item.urgent))
        groups[key] = groups.get(key, 0) + 1
    count_after_commit(uncounted)
    return enqueue(specs)


def count_after_commit(written: list[Outgoing]) -> None:
    """Add the alerts written (never refused by the limits) to the alerts' share of the day, in one Redis round
    trip once their transaction committed, not while it held its locks; the first time in a day they pass their
    share the coordinators are told (once). With Redis down they go uncounted, logged."""
    if not written:
        return
    try:
        passed = SmsQuota(redis()).count(to_local(utcnow()).date(), len(written), SETTINGS.sms_daily_limit, ALERTS)
    except RedisError as error:
        log.warning("%s alerts not counted in the day's SMS total (%s)", len(written), type(error).__name__)
        return
    if passed:
        with database.atomic():
            notices = tell_coordinators(ALERTS)
        enqueue_after_commit(notices)


def _with_companions(items: Iterable[Outgoing | JobSpec]) -> Iterable[Outgoing | JobSpec]:
    """The items and, after each row, the rows written with it (`Outgoing.also`)."""
    for item in items:
        yield item
        if isinstance(item, Outgoing):
            yield from _with_companions(item.also)


UNSENT_STATUSES = ("queued", "sending")
"""Statuses an accepted send moves to `sent`; a later one (set by a provider event that came first) stays."""

BATCH_LIMIT = 100
"""Most recipients in one provider call (AT takes a comma list)."""


MAX_BATCHES_PER_JOB = 20
"""Batches one send job goes on to while same-text rows are due (then the rest wait for their own jobs)."""


@with_database
def send_message(message_id: int, has_turn: bool = False) -> str:
    """Send one queued message, batched with other queued messages of the same text (one provider call
    each batch), then go on with further batches of that text while some are due; on a throttled backend,
    send it alone once the throttle lets it (`has_turn`: the throttle deferred it to now).

    A message in any other status is left alone, so the job is idempotent; the companions' own jobs
    find them already sent and do nothing.
    """
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        log.warning("send job for unknown message %s", message_id)
        return "missing"
    if is_throttled(settings()):
        return _send_paced(message, has_turn)
    if message.direction != "out" or not message.claim_for_sending():
        log.info("message %s is %s, not sending it again", message_id, message.status)
        return "skipped"
    outcome = _send_batch(message)
    for _ in range(MAX_BATCHES_PER_JOB - 1):
        lead = next((m for m in _due_with_text(message.text) if m.claim_for_sending()), None)
        if lead is None:
            break
        _send_batch(lead)
    return outcome


def _send_paced(message: Message, has_turn: bool) -> str:
    """Send one message through a phone of the pool (`workers.pool.route`) when that phone's throttle grants a
    permit and its daily limit has room; defer it to its turn there if that is too far off."""
    if message.direction != "out" or message.status != "queued":
        log.info("message %s is %s, not sending it again", message.id, message.status)
        return "skipped"
    urgent = jumps_queue(message.purpose)
    early = (message.next_attempt_at - utcnow()).total_seconds() if message.next_attempt_at else 0.0
    if early > PACE_WAIT_MAX:  # a duplicate job: the one scheduled for its time sends it
        log.info("message %s is not due for %.1fs; its own job sends it", message.id, early)
        return "skipped"
    if early > 0:  # a worker whose clock is a little behind the one that set the turn
        time.sleep(early)
    config, connection = settings(), redis()
    in_pool = is_pool(phones_of(config))
    for _ in range(len(phones_of(config)) + 1):  # a phone found at its daily limit: the next one
        path = route(message, config, connection, utcnow(), has_turn)
        if path is None:
            return _wait_for_room(message)
        deadline = time.monotonic() + (URGENT_WAIT_MAX if urgent else PACE_WAIT_MAX)
        while (wait := path.throttle.acquire(urgent, path.has_turn)) > 0:
            if time.monotonic() + wait > deadline:
                return _defer(message, path.throttle, wait, urgent, path.has_turn, path.phone)
            time.sleep(wait)
        counted = reserve(connection, path.phone, utcnow())
        reached_limit(path.phone, counted, utcnow(), connection, in_pool)
        if counted is not None:
            break
    else:
        return _wait_for_room(message)
    if not message.claim_for_sending():
        release(connection, path.phone, utcnow())
        log.info("message %s was claimed by another job", message.id)
        return "skipped"
    message = Message.get_by_id(message.id)  # as claimed: its attempts now count this one
    outcome = _still_goes([message])
    if outcome:
        release(connection, path.phone, utcnow())
        return outcome[message.id]
    settled = settle_elsewhere(message, path.phone, config, connection)
    if settled is not None:  # another phone holds it, or cannot say whether it does
        release(connection, path.phone, utcnow())
        return record_result(message, settled, config["SMS_RETRY_DELAYS"])
    before_send(message, path.phone, connection, in_pool)
    [result] = _one_per_message(
        [message], path.phone.gateway().send(message.text, [Recipient(message.phone, message_ref(message.id))])
    )
    after_send(message, path.phone, result, config, connection, utcnow())
    return record_result(message, result, config["SMS_RETRY_DELAYS"])


def _wait_for_room(message: Message) -> str:
    """Every phone has sent its daily limit: the message waits for the next local day, with a job for then."""
    at = next_day_starts(utcnow())
    with database.atomic():
        Message.update(next_attempt_at=at, last_error=ALL_PHONES_FULL, updated_at=utcnow()).where(
            (Message.id == message.id) & (Message.status == "queued")
        ).execute()
    enqueue([later_spec(message.id, message.attempts, at, jumps_queue(message.purpose))])
    log.warning("message %s waits until %s: %s", message.id, at, ALL_PHONES_FULL)
    return "waiting"


ALL_PHONES_FULL = "waits for tomorrow: every phone has sent its daily limit (SMSGATE_..._DAILY_LIMIT)"
"""Why a message waits when no phone of the pool has room today."""


def _defer(
    message: Message, throttle: Throttle, wait: float, urgent: bool, has_turn: bool, phone: PhoneSettings
) -> str:
    """Leave the message queued until its turn on `phone` (urgent ones, and those whose turn came, at the next
    permit; others behind every message already waiting) with a job scheduled for then."""
    delay = wait if urgent or has_turn else throttle.turn()
    at = utcnow() + dt.timedelta(seconds=delay)
    with database.atomic():
        moved = (
            Message.update(next_attempt_at=at, updated_at=utcnow(), pool_phone=phone.name or None)
            .where((Message.id == message.id) & (Message.status == "queued"))
            .execute()
        )
    if moved:
        if urgent:  # ordinary senders keep out until its job, scheduled in whole seconds, had its permit
            throttle.hold(delay + URGENT_HOLD_LATE)
        enqueue([turn_spec(message.id, message.attempts, at, urgent)])
        log.info("message %s waits %.1fs for its turn (at most %s a minute)", message.id, delay, throttle.per_minute)
    return "waiting"


def _send_batch(lead: Message) -> str:
    """Send a claimed message and its claimed companions in one provider call; the lead's outcome."""
    batch = [lead.id] + Message.claim_each([m.id for m in _companions(lead)])
    messages = list(Message.select().where(Message.id.in_(batch)).order_by(Message.id))
    held = _still_goes(messages)
    messages = [m for m in messages if m.id not in held]
    if not messages:
        return held[lead.id]
    gateway = make_gateway(settings())
    results = gateway.send(lead.text, [Recipient(m.phone, message_ref(m.id)) for m in messages])
    paired = list(zip(messages, _one_per_message(messages, results)))
    outcomes = record_accepted([(m, result) for m, result in paired if result.outcome == ACCEPTED])
    outcomes.update(
        {
            m.id: record_result(m, result, settings()["SMS_RETRY_DELAYS"])
            for m, result in paired
            if result.outcome != ACCEPTED
        }
    )
    return held.get(lead.id) or outcomes[lead.id]


def record_accepted(accepted: list[tuple[Message, SendResult]]) -> dict[int, str]:
    """Store the sends a provider accepted in one batch (`record_result` of each, in one transaction)."""
    Message.record_sent([(m.id, result.provider_id, result.cost) for m, result in accepted])
    for m, result in accepted:
        log.info("message %s to %s accepted by %s", m.id, mask(m.phone), result.provider_id)
    return {m.id: "sent" for m, _ in accepted}


def _still_goes(claimed: list[Message]) -> dict[int, str]:
    """Decide the sending rules again for messages just claimed, before the gateway call; return those that do not
    go now and what became of them: `refused` (the reason kept in `last_error`) or `waiting` (queued again, their
    claim undone, with a job for when they may go)."""
    now = utcnow()
    lookups = Lookups()
    held: dict[int, str] = {}
    later: list[JobSpec] = []
    notices: list[Outgoing] = []
    for message in claimed:
        with database.atomic():
            check = check_at_send(message.phone, message.text, message.purpose, message.last_error, now, lookups)
            notices.extend(check.notices)
            claim = (Message.id == message.id) & (Message.status == "sending")
            if check.go:
                if check.counted:
                    Message.update(last_error=None).where(claim).execute()
                    message.last_error = None
                continue
            if check.wait_until is None:
                reason = (check.reason or "refused")[:200]
                Message.update(
                    status="refused", attempts=Message.attempts - 1, last_error=reason, updated_at=now
                ).where(claim).execute()
                log.info("message %s to %s not sent: %s", message.id, mask(message.phone), reason)
                held[message.id] = "refused"
                continue
            Message.update(
                status="queued",
                attempts=Message.attempts - 1,
                next_attempt_at=check.wait_until,
                last_error=check.note,
                updated_at=now,
            ).where(claim).execute()
            later.append(later_spec(message.id, message.attempts - 1, check.wait_until, jumps_queue(message.purpose)))
            log.info("message %s waits until %s: %s", message.id, check.wait_until, check.note or "quiet hours")
            held[message.id] = "waiting"
    enqueue_after_commit(notices)
    enqueue(later)
    return held


def _due_with_text(text: str) -> list[Message]:
    """A few queued messages of this text that are due now, oldest first (candidates for the next batch)."""
    now = utcnow()
    return list(
        Message.select()
        .where(
            (Message.direction == "out")
            & (Message.status == "queued")
            & Message.text_is(text)
            & (Message.next_attempt_at.is_null() | (Message.next_attempt_at <= now))
        )
        .order_by(Message.id)
        .limit(5)
    )


def _companions(message: Message) -> list[Message]:
    """Other queued messages with the same text that are due now, one per phone other than this message's.

    A provider answers one message id per number in a call, so two rows for the same number in one call
    would get the same provider id; the second row is sent by its own job instead.
    """
    now = utcnow()
    found = (
        Message.select(Message.id, Message.phone)  # not the text: each would be decrypted
        .where(
            (Message.direction == "out")
            & (Message.status == "queued")
            & Message.text_is(message.text)
            & (Message.id != message.id)
            & (Message.phone != message.phone)
            & (Message.next_attempt_at.is_null() | (Message.next_attempt_at <= now))
        )
        .order_by(Message.id)
        .limit(4 * BATCH_LIMIT)
    )
    one_per_phone = {m.phone: m for m in reversed(list(found))}
    return sorted(one_per_phone.values(), key=lambda m: m.id)[: BATCH_LIMIT - 1]


def _one_per_message(messages: list[Message], results: list[SendResult]) -> list[SendResult]:
    """The gateway's results in message order; a missing one is a retryable error."""
    if len(results) == len(messages):
        return results
    log.error("gateway returned %s results for %s messages", len(results), len(messages))
    return [
        results[i] if i < len(results) else SendResult(m.phone, "retryable", error="no result from gateway")
        for i, m in enumerate(messages)
    ]


def record_result(message: Message, result: SendResult, retry_delays: list[float]) -> str:
    """Store the outcome of one attempt and schedule the next one if a retry can help."""
    now = utcnow()
    if result.outcome == ACCEPTED:
        # a provider event (SMS Gateway for Android's sms:sent, sms:failed…) may have moved it on before this answer
        unsent = Message.status.in_(UNSENT_STATUSES)
        _update(
            message,
            status=Case(None, [(unsent, "sent")], Message.status),
            provider_id=result.provider_id,
            cost=result.cost,
            last_error=Case(None, [(unsent, None)], Message.last_error),
            next_attempt_at=None,
            updated_at=now,
        )
        log.info("message %s to %s accepted by %s", message.id, mask(message.phone), result.provider_id)
        return "sent"
    if result.outcome == REJECTED:
        _update(message, status="rejected", last_error=(result.error or "rejected")[:200], updated_at=now)
        log.warning("message %s to %s rejected: %s", message.id, mask(message.phone), result.error)
        return "rejected"
    retry_number = max(1, message.attempts)  # the attempt just made (claimed) is counted
    if retry_number > len(retry_delays):
        _update(
            message,
            status="failed",
            updated_at=now,
            last_error=f"gave up after {message.attempts} attempts: {result.error}"[:200],
        )
        log.error("message %s to %s failed after %s attempts", message.id, mask(message.phone), message.attempts)
        return "failed"
    delay = retry_delays[retry_number - 1]
    _update(
        message,
        status="queued",
        last_error=(result.error or "retryable error")[:200],
        updated_at=now,
        next_attempt_at=now + dt.timedelta(seconds=delay),
    )
    log.warning(
        "message %s: retryable error (%s); attempt %s in %ss", message.id, result.error, message.attempts + 1, delay
    )
    enqueue([send_spec(message.id, message.attempts, now + dt.timedelta(seconds=delay), jumps_queue(message.purpose))])
    return "retry"


def _update(message: Message, **fields: object) -> None:
    with database.atomic():
        Message.update(**fields).where(Message.id == message.id).execute()
