"""Which phones may post events: SMSGATE_DEVICE_ID, or else the app's own device list, learnt by a worker.

An event signed with our key but sent by another device (an old phone still registered, a second app on the same
account) is refused. With SMSGATE_DEVICE_ID set, only those ids are taken. Without it, the worker reads the app's
device list (`GET /devices` through the client) and keeps the ids in Redis (key `smsgate:devices`, fields `ids`,
`learnt_at`); the webhook only reads them. Until the list is learnt, or while it cannot be (the app unreachable,
wrong credentials: logged at error level by the job), events get 503: refused, and kept by the app, which retries
for about two days. An id missing from a list learnt more than RELEARN_AFTER ago makes the worker read it again
(a phone added since); missing from a fresh list, the event is refused for good (403).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from redis import Redis

from models.base import iso_utc, utcnow
from models.jobs import DEFAULT_QUEUE, JobSpec
from workers.context import settings
from workers.gateways.phones import phones_of
from workers.gateways.smsgate import RECORD_READ_ERRORS, classify_failure
from workers.queues import redis

log = logging.getLogger(__name__)

DEVICES_KEY = "smsgate:devices"
"""The Redis hash holding the device ids learnt from the app."""

LEARN_REQUEST_KEY = "smsgate:devices:asked"
"""Set while a learning job is asked for and not done, so a burst of events asks once (the job clears it; it
expires after LEARN_REQUEST_SECONDS should the job be lost)."""

LEARN_REQUEST_SECONDS = 60
"""How long an asked-for learning job holds off the next request if it never runs."""

RELEARN_AFTER = dt.timedelta(minutes=10)
"""An unknown device id makes the worker read a list older than this again; a fresher list is believed."""

ALLOWED, REFUSED, LEARNING = "allowed", "refused", "learning"
"""Verdicts on an event's device: take it; refuse it for good (403); refuse it for now, the list is being learnt
(503, the app retries)."""


@dataclass(frozen=True)
class DeviceList:
    """The device ids the app listed, and when (naive UTC)."""

    ids: frozenset[str]
    learnt_at: dt.datetime


def known_devices(connection: Redis) -> DeviceList | None:
    """The learnt device list, or None if none is."""
    # redis-py types every reply bytes | str whatever decode_responses; this connection's replies are bytes
    fields = {k.decode(): v.decode() for k, v in connection.hgetall(DEVICES_KEY).items()}  # type: ignore[union-attr]
    if not fields.get("learnt_at"):
        return None
    ids = frozenset(i for i in fields.get("ids", "").split(",") if i)
    return DeviceList(ids, dt.datetime.fromisoformat(fields["learnt_at"].removesuffix("Z")))


def store_devices(connection: Redis, ids: list[str], at: dt.datetime) -> None:
    """Keep the app's device ids, learnt at `at` (naive UTC)."""
    connection.hset(DEVICES_KEY, mapping={"ids": ",".join(sorted(set(ids))), "learnt_at": iso_utc(at)})


def verdict(device_id: str | None, known: DeviceList | None, now: dt.datetime) -> str:
    """ALLOWED for a device in the learnt list; LEARNING when there is no list or an unknown id meets a stale one;
    REFUSED for an event that names no device, or one a fresh list does not hold."""
    if not device_id:
        return REFUSED
    if known is not None and device_id in known.ids:
        return ALLOWED
    if known is None or now - known.learnt_at > RELEARN_AFTER:
        return LEARNING
    return REFUSED


def ask_to_learn(connection: Redis) -> bool:
    """True if a learning job should be enqueued now (none is asked for and not done)."""
    return bool(connection.set(LEARN_REQUEST_KEY, "1", nx=True, ex=LEARN_REQUEST_SECONDS))


def learn_spec() -> JobSpec:
    """The job that reads the app's device list (one at a time: a stable id)."""
    return JobSpec(
        "workers.gateways.smsgate_devices.learn_devices",
        (),
        "smsgate-learn-devices",
        DEFAULT_QUEUE,
        None,
        {"job_timeout": 60, "result_ttl": 0},
    )


def learn_devices() -> str:
    """Job: read the device ids from the app's device list and keep them in Redis; on failure keep nothing and
    say so at error level (events stay refused, the app keeps retrying them)."""
    config = settings()
    redis().delete(LEARN_REQUEST_KEY)  # from now on an event may ask again: for a phone added after this read
    try:
        gateway = phones_of(config)[0].gateway()  # learnt for one phone only: a pool names its phones' device ids
    except ValueError as error:
        return _not_learnt(f"the phone's settings: {error}")
    try:
        ids = gateway.device_ids()
    except RECORD_READ_ERRORS as error:
        return _not_learnt(classify_failure(error)[1])
    if not ids:
        return _not_learnt("the app lists no device")
    store_devices(redis(), ids, utcnow())
    log.info("smsgate: %d device id(s) learnt from the app's device list: %s", len(ids), ", ".join(ids))
    return "learnt"


def _not_learnt(problem: str) -> str:
    log.error(
        "smsgate: could not learn the phone's device id from the app's device list (%s): every event is refused "
        "(503, the app retries) until it can, or until SMSGATE_DEVICE_ID is set",
        problem,
    )
    return "failed"
