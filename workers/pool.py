"""The pool of phones on the smsgate backend: which phone sends a message, and what a phone's drop or return does.

Routing (`choose`), in this order:
1. a staff alert or escalation (an urgent purpose) takes the phone in rotation whose next permit comes first;
2. a message already waiting for its turn on a phone in rotation stays there;
3. a message to someone who wrote to the service goes through the phone they last wrote to (a conversation stays
   on one number: people trust the number they texted, and an abuser watching the phone sees one contact);
4. else the phone whose operator prefixes match the recipient's number, when it is free (its next turn no more
   than PREFIX_PATIENCE after the least loaded phone's): an SMS within one operator is cheaper or free;
5. else the least loaded phone (the earliest next turn; then the most of its daily limit left).
A retry after a failure on one phone goes through another when there is one. When no phone is in rotation the
message goes through one not at its daily limit anyway (the send itself tells; one phone configured the old way
works as it always did); with every phone at its daily limit it waits for the next day.

A phone dropping out (silent, refusing sends, at its daily limit) is announced once to the coordinators by SMS and
its waiting messages are moved at once to the other phones (their jobs run now and route again); a message that
phone may hold (its answer was lost) is first checked on that phone's app (`settle_elsewhere`), so it is never sent
twice. A phone that pings again is back in rotation, announced once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from peewee import fn
from redis import Redis

from menus.notify import tell_coordinators_of
from models import Message, database
from models.jobs import SMS_QUEUE, SMS_URGENT_QUEUE, JobSpec, enqueue_after_commit
from models.message import turn_job_id
from models.phones import mask
from models.sending_policy import jumps_queue
from workers.gateways.base import ACCEPTED, RETRYABLE, Recipient, SendResult, message_ref
from workers.gateways.phones import PhoneSettings, is_pool, phones_of
from workers.gateways.rotation import (
    DROP_AFTER_FAILURES,
    FAILING,
    FULL,
    REASON_WORDS,
    SILENT,
    PhoneState,
    clear_full,
    clear_unsure,
    mark_out,
    mark_unsure,
    read_states,
    record_accepted,
    record_failure,
    record_phone_ping,
    record_send_news,
    release,
    tell_of_drop,
    tell_of_return,
    told_of_return,
    unsure_phone,
)
from workers.gateways.smsgate import RECORD_READ_ERRORS, classify_failure
from workers.queues import enqueue
from workers.throttle import Throttle, phone_throttle

log = logging.getLogger(__name__)

PREFIX_PATIENCE = 30.0
"""Seconds a recipient on a phone's operator waits for that phone beyond the least loaded one's next turn."""

SEND_JOB_TIMEOUT = 60
"""Seconds a moved message's send job may take (as `workers.sms_jobs.SEND_JOB_TIMEOUT`)."""

NOTICE_KEYS = {SILENT: "pool.phone_out.silent", FAILING: "pool.phone_out.failing", FULL: "pool.phone_out.full"}
"""The coordinators' SMS when a phone drops out, by the reason."""


@dataclass(frozen=True)
class Route:
    """The phone a message goes through, its throttle, and whether the message holds a turn there."""

    phone: PhoneSettings
    throttle: Throttle
    has_turn: bool


def load(throttle: Throttle, urgent: bool) -> float:
    """Seconds until the phone can take a message: its next permit (urgent) or its next free turn."""
    permit, turn = throttle.next_free()
    return permit if urgent else turn


def choose(
    states: Sequence[PhoneState],
    loads: Mapping[str, float],
    recipient: str,
    *,
    urgent: bool,
    bound: str | None,
    wrote_to: str | None,
    avoid: str | None,
) -> PhoneState | None:
    """The phone a message goes through (the module's routing order), or None when every phone is at its daily
    limit. `loads`: seconds until each phone (by name) can take it; `bound`: the phone it waits on for its turn;
    `wrote_to`: the phone the recipient last wrote to; `avoid`: the phone its last attempt failed on."""
    room = [s for s in states if s.left_today != 0]
    candidates = [s for s in room if s.in_rotation] or room
    if not candidates:
        return None
    if avoid and len(candidates) > 1:
        candidates = [s for s in candidates if s.phone.name != avoid] or candidates
    order = {s.phone.name: index for index, s in enumerate(states)}

    def least_loaded(among: Sequence[PhoneState]) -> PhoneState:
        return min(
            among,
            key=lambda s: (
                loads[s.phone.name],
                -(s.left_today if s.left_today is not None else 1 << 30),
                order[s.phone.name],
            ),
        )

    if urgent:
        return least_loaded(candidates)
    by_name = {s.phone.name: s for s in candidates}
    for preferred in (bound, wrote_to):
        if preferred is not None and preferred in by_name:
            return by_name[preferred]
    best = least_loaded(candidates)
    operators = [s for s in candidates if s.phone.serves(recipient)]
    if operators:
        local = least_loaded(operators)
        if loads[local.phone.name] <= loads[best.phone.name] + PREFIX_PATIENCE:
            return local
    return best


def route(
    message: Message, config: Mapping[str, Any], connection: Redis, now: dt.datetime, has_turn: bool
) -> Route | None:
    """The route of one message now (None: every phone is at its daily limit)."""
    phones = phones_of(config)
    throttles = {p.name: phone_throttle(p, connection) for p in phones}
    urgent = jumps_queue(message.purpose)
    if not is_pool(phones):
        [phone] = phones
        states = read_states(connection, phones, now)
        if states[0].left_today == 0:
            return None
        return Route(phone, throttles[phone.name], has_turn)
    states = read_states(connection, phones, now)
    loads = {s.phone.name: load(throttles[s.phone.name], urgent) for s in states}
    retried = not has_turn and message.attempts > 0 and bool(message.last_error)
    chosen = choose(
        states,
        loads,
        message.phone,
        urgent=urgent,
        bound=message.pool_phone if not retried else None,
        wrote_to=Message.last_written_to(message.phone),
        avoid=message.pool_phone if retried else None,
    )
    if chosen is None:
        return None
    name = chosen.phone.name
    return Route(chosen.phone, throttles[name], has_turn and name == message.pool_phone)


def bind(message: Message, phone: PhoneSettings, at: dt.datetime | None = None) -> None:
    """Keep which phone the message waits on or goes through (and, with `at`, its turn there)."""
    fields: dict[str, object] = {"pool_phone": phone.name or None}
    if at is not None:
        fields["next_attempt_at"] = at
    with database.atomic():
        Message.update(**fields).where(Message.id == message.id).execute()


def settle_elsewhere(
    message: Message, phone: PhoneSettings, config: Mapping[str, Any], connection: Redis
) -> SendResult | None:
    """Before a message goes through `phone`: if another phone may hold it (its answer was lost), ask that phone's
    app. Its accepted result if that phone holds it; a retryable result if that phone cannot say (the message is not
    sent twice: it waits and asks again); None if it may go (no phone holds it)."""
    other = unsure_phone(connection, message.id)
    if other is None or other == phone.name:
        return None
    old = next((p for p in phones_of(config) if p.name == other), None)
    if old is None:  # a phone no longer configured cannot be asked
        clear_unsure(connection, message.id)
        return None
    recipient = Recipient(message.phone, message_ref(message.id))
    try:
        found = old.gateway().find_sent(message.text, recipient)
    except RECORD_READ_ERRORS as exc:
        _, problem = classify_failure(exc)
        log.warning(
            "message %s may have gone through phone %s, which cannot say (%s): not sent through %s",
            message.id,
            old.label,
            problem,
            phone.label,
        )
        error = f"may have gone through phone {old.label}, which cannot say ({problem}): not sent twice"
        return SendResult(message.phone, RETRYABLE, error=error[:200])
    clear_unsure(connection, message.id)
    if found is not None:
        log.info("message %s to %s was taken by phone %s after all", message.id, mask(message.phone), old.label)
        bind(message, old)
        return found
    return None


def before_send(message: Message, phone: PhoneSettings, connection: Redis, pool: bool) -> None:
    """Just before the gateway call: the message goes through `phone` (and, in a pool, may be held there until
    the answer says)."""
    if pool:
        bind(message, phone)
        mark_unsure(connection, message.id, phone)


def after_send(
    message: Message,
    phone: PhoneSettings,
    result: SendResult,
    config: Mapping[str, Any],
    connection: Redis,
    now: dt.datetime,
) -> None:
    """What the phone's answer says of the phone: accepted (its last send; no failure in a row), or a failure
    (counted: enough in a row take it out of rotation); what the app did not take is not counted to its day."""
    pool = is_pool(phones_of(config))
    if result.outcome == ACCEPTED:
        if record_accepted(connection, phone, now) and pool:
            log.info("phone %s is back in rotation: a send tried again got through", phone.label)
            come_back(phone, connection)
        clear_unsure(connection, message.id)
        return
    if not result.unsure:
        clear_unsure(connection, message.id)
        release(connection, phone, now)
    if result.outcome != RETRYABLE or not pool:
        return
    if record_failure(connection, phone, now) >= DROP_AFTER_FAILURES and mark_out(connection, phone, FAILING, now):
        drop(phone, FAILING, now, connection)


def sending_news(
    config: Mapping[str, Any], connection: Redis, phone: PhoneSettings, failed: bool, now: dt.datetime
) -> None:
    """The phone's news of one send (`sms:sent`, `sms:failed`): DROP_AFTER_FAILURES failed in a row (a SIM out of
    credit takes every message and sends none) take it out of rotation like failing requests do."""
    if not is_pool(phones_of(config)):
        return
    if record_send_news(connection, phone, failed, now) >= DROP_AFTER_FAILURES and mark_out(
        connection, phone, FAILING, now
    ):
        drop(phone, FAILING, now, connection)


def reached_limit(phone: PhoneSettings, counted: int | None, now: dt.datetime, connection: Redis, pool: bool) -> None:
    """After counting a send to the phone's day (`counted`: the day's count, None when refused): at its daily limit
    the phone drops out (announced once)."""
    limit = phone.daily_limit
    if not limit or (counted is not None and counted < limit):
        return
    if pool and mark_out(connection, phone, FULL, now):
        drop(phone, FULL, now, connection)
    elif not pool and counted == limit:
        log.warning("phone %s reached its daily limit of %s SMS: the rest wait for tomorrow", phone.label, limit)


def drop(phone: PhoneSettings, reason: str, now: dt.datetime, connection: Redis) -> int:
    """A phone is out of rotation: tell the coordinators (once, and not again within an hour) and move the
    messages waiting for their turn on it to the other phones at once; return how many moved."""
    log.error("phone %s out of rotation: %s", phone.label, REASON_WORDS[reason])
    params = {"phone": phone.label, "limit": str(phone.daily_limit or 0)}
    with database.atomic():
        notices = tell_coordinators_of(NOTICE_KEYS[reason], params) if tell_of_drop(connection, phone, now) else []
        waiting = list(
            Message.select(Message.id, Message.attempts, Message.purpose).where(
                (Message.direction == "out") & (Message.status == "queued") & (Message.pool_phone == phone.name)
            )
        )
        if waiting:
            Message.update(next_attempt_at=now, updated_at=now).where(
                Message.id.in_([m.id for m in waiting]) & (Message.status == "queued")
            ).execute()
    enqueue_after_commit(notices)
    enqueue(moved_spec(m.id, m.attempts, now, jumps_queue(m.purpose)) for m in waiting)
    if waiting:
        log.warning("%s messages waiting on phone %s move to the other phones", len(waiting), phone.label)
    return len(waiting)


def moved_spec(message_id: int, attempt: int, at: dt.datetime, urgent: bool) -> JobSpec:
    """The job that sends a message moved off a dropped phone, now (an id of its own, beside its old turn's job)."""
    return JobSpec(
        "workers.sms_jobs.send_message",
        (message_id,),
        turn_job_id(message_id, attempt, at) + "-moved",
        SMS_URGENT_QUEUE if urgent else SMS_QUEUE,
        None,
        {"job_timeout": SEND_JOB_TIMEOUT},
    )


def pinged(
    config: Mapping[str, Any], connection: Redis, device_id: str | None, health: str | None, now: dt.datetime
) -> PhoneSettings | None:
    """Keep a ping from the phone with `device_id` (the single phone: any device the webhook let through); a phone
    that was out of rotation is back (announced once). The phone, or None if no phone has that device id."""
    phones = phones_of(config)
    phone = phone_of_device(phones, device_id)
    if phone is None:
        return None
    back = record_phone_ping(connection, phone, now, device_id, health)
    if back and is_pool(phones):
        log.info("phone %s is back in rotation: it pinged", phone.label)
    if is_pool(phones):
        come_back(phone, connection)  # also a return whose announcement failed on an earlier ping
    return phone


def come_back(phone: PhoneSettings, connection: Redis) -> None:
    """Tell the coordinators a phone is back, if they were told it dropped (once; if the database cannot take the
    SMS now, the phone's next ping tells them)."""
    if not tell_of_return(connection, phone):
        return
    try:
        with database.atomic():
            notices = tell_coordinators_of("pool.phone_back", {"phone": phone.label})
    except Exception:
        told_of_return(connection, phone, written=False)
        raise
    told_of_return(connection, phone, written=True)
    enqueue_after_commit(notices)


def phone_of_device(phones: Sequence[PhoneSettings], device_id: str | None) -> PhoneSettings | None:
    """The phone an event came to, by its deviceId (the single phone takes every device the webhook allowed)."""
    if not is_pool(phones):
        return phones[0]
    return next((p for p in phones if device_id and device_id in p.device_ids), None)


def watch_pool(config: Mapping[str, Any], connection: Redis, now: dt.datetime) -> list[PhoneState]:
    """Every phone's state; a phone newly silent drops out (announced, its messages moved) and one whose daily limit
    passed with the day is back. Run by the sweep, /healthz and `gateway status`."""
    phones = phones_of(config)
    states = read_states(connection, phones, now)
    if not is_pool(phones):
        return states
    for state in states:
        if state.silent and state.out is None and mark_out(connection, state.phone, SILENT, now):
            drop(state.phone, SILENT, now, connection)
        elif state.out == FULL and state.left_today != 0 and clear_full(connection, state.phone):
            log.info("phone %s is back in rotation: a new day", state.phone.label)
    return read_states(connection, phones, now)


def queued_per_phone() -> dict[str | None, int]:
    """Outbound messages waiting, by the phone they wait on (None: not routed yet)."""
    query = (
        Message.select(Message.pool_phone, fn.COUNT(Message.id).alias("waiting"))
        .where((Message.direction == "out") & (Message.status.in_(("queued", "sending"))))
        .group_by(Message.pool_phone)
    )
    return {row.pool_phone or None: int(getattr(row, "waiting", 0)) for row in query}
