"""Three fake phones (the tests' fake SMS Gateway for Android app, one instance each) configured as SMSGATE_PHONES,
each on its own operators, and the helpers that play what happens to them: an SMS to one, its pings, its events."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from rq.registry import ScheduledJobRegistry

from models import Message, database
from models.jobs import QUEUES, enqueue_after_commit
from tests.support.clock import MONDAY_MORNING
from tests.support.fakes.smsgate import FakeSmsGate
from tests.support.settings import SMSGATE_SECRET, SMSGATE_TEST_PER_MINUTE
from workers.gateways.phones import PhoneSettings, normalise_prefix
from workers.queues import queue

URL = "/webhooks/smsgate"

OPERATORS = {
    "a": ("0814", "0815", "0816", "0855", "0856", "0857", "0858"),  # Indosat
    "b": ("0817", "0818", "0819", "0859", "0877", "0878"),  # XL
    "c": ("0811", "0812", "0813", "0821", "0822", "0823", "0851", "0852", "0853"),  # Telkomsel
}
"""Each fake phone's operator prefixes, as an organisation would write them."""

INDOSAT, XL, TELKOMSEL = "+62815", "+62817", "+62812"
"""Number starts on each operator (E.164)."""


def numbers(start: str, count: int, first: int = 1) -> list[str]:
    """`count` distinct mobile numbers starting with `start` (E.164)."""
    return [f"{start}{first + n:08d}" for n in range(count)]


class Pool:
    """The fake phones by name, and the app's SMSGATE_PHONES built from them."""

    def __init__(self, app, client, fakes: dict[str, FakeSmsGate]) -> None:
        self.app, self.client, self.fakes = app, client, fakes
        self.settings = {
            name: PhoneSettings(
                name=name,
                url=fake.url,
                username=fake.username,
                password=fake.password,
                max_per_minute=SMSGATE_TEST_PER_MINUTE,
                daily_limit=None,
                prefixes=tuple(normalise_prefix(p) for p in OPERATORS[name]),
                device_ids=(fake.device_id,),
                webhook_secret=fake.webhook_secret,
                timeout=2.0,
            )
            for name, fake in fakes.items()
        }
        self.apply()

    def apply(self) -> None:
        """Configure the app with the phones as they are now."""
        self.app.config.update(SMSGATE_PHONES=tuple(self.settings.values()))

    def change(self, name: str, **changes) -> None:
        """Change one phone's settings (its rate, its daily limit, its URL…)."""
        self.settings[name] = dataclasses.replace(self.settings[name], **changes)
        self.apply()

    def only(self, *names: str) -> None:
        """Keep only these phones in the pool."""
        self.settings = {name: self.settings[name] for name in names}
        self.apply()

    def post(self, name: str, kind: str, payload: dict, fake: FakeSmsGate | None = None):
        """One signed event from phone `name`, as its app posts it."""
        body, headers = (fake or self.fakes[name]).event(kind, payload)
        return self.client.post(URL, data=body, headers=headers)

    def sms(self, name: str, sender: str, text: str):
        """An SMS from `sender` reaching phone `name`."""
        response = self.post(name, "sms:received", self.fakes[name].received_payload(sender.lstrip("+"), text))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    def ping(self, name: str):
        """Phone `name` pings."""
        response = self.post(name, "system:ping", self.fakes[name].ping_payload())
        assert response.status_code == 200, response.get_data(as_text=True)

    def sent_by(self, name: str) -> list[str]:
        """Our references of the messages phone `name` took, in order."""
        return [sms.id for sms in self.fakes[name].sent]

    def phone_of(self, message_id: int) -> list[str]:
        """The phones that took the message `km-<id>` (exactly one when all went well)."""
        return [name for name, fake in self.fakes.items() if fake.message(f"km-{message_id}")]


@pytest.fixture(scope="session")
def fake_phones() -> Iterator[dict[str, FakeSmsGate]]:
    """Three fake phones, each with its own credentials, device id and signing key."""
    fakes = {
        name: FakeSmsGate(
            username=f"pool-{name}",
            password=f"pool-password-{name}",
            webhook_secret=f"pool-signing-key-of-phone-{name}-0123456789",
            device_id=f"poolDevice{name.upper()}0000000000",
        )
        for name in OPERATORS
    }
    for fake in fakes.values():
        fake.start()
    yield fakes
    for fake in fakes.values():
        fake.stop()


@pytest.fixture
def pool(app, client, fake_phones) -> Iterator[Pool]:
    """The app sending through the three fake phones (reset), every permit at once unless a test sets a rate."""
    for fake in fake_phones.values():
        fake.reset()
    app.config.update(
        SMS_BACKEND="smsgate",
        SMSGATE_WEBHOOK_SECRET=SMSGATE_SECRET,
        SMSGATE_TIMEOUT_SECONDS=2.0,
        SMSGATE_MAX_PER_MINUTE=SMSGATE_TEST_PER_MINUTE,
    )
    yield Pool(app, client, fake_phones)
    for fake in fake_phones.values():
        fake.reset()


@pytest.fixture
def redis_connection(app):
    """The app's Redis."""
    return app.extensions["redis"]


@pytest.fixture
def clock(app) -> Iterator[time_machine.Traveller]:
    """The service's clock, standing still on a Monday morning (a whole second) until a test moves it."""
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


def queue_texts(
    phones: list[str], purpose: str = "reply", text: str = "Terima kasih, pesan Anda sudah diterima."
) -> list[int]:
    """Write queued SMS as the service does and enqueue them after the commit; their ids."""
    with database.atomic():
        written = [Message.queue_outbound(phone, text, purpose) for phone in phones]
    enqueue_after_commit(written)
    return [o.message_id for o in written]


def next_job_at(redis) -> dt.datetime | None:
    """When the earliest scheduled job is due (aware UTC), or None."""
    times = []
    for name in QUEUES:
        registry = ScheduledJobRegistry(queue=queue(name, redis))
        for job_id in registry.get_job_ids():
            times.append(registry.get_scheduled_time(job_id))
    return min(times) if times else None


def run_until_done(drain, redis, clock: time_machine.Traveller, limit: dt.timedelta = dt.timedelta(hours=2)) -> None:
    """Work the queues with a burst worker, moving the clock to each scheduled job in turn, until none is left
    (or `limit` of service time passed)."""
    end = dt.datetime.now(dt.UTC) + limit
    drain()
    while (at := next_job_at(redis)) is not None and at <= end:
        clock.move_to(max(at, dt.datetime.now(dt.UTC)))
        drain()
