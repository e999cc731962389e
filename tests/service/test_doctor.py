"""`flask --app service doctor` on a production configuration: it passes on a good one and fails, naming the
problem, on each misconfiguration (one case each)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from redis import Redis

from models import Message, Staff, utcnow
from service import doctor
from tests.conftest import REDIS_BINARY
from tests.support.ports import free_port
from tests.support.process_output import OutputWatcher
from workers.gateways.phone_status import record_ping

ORGANISER, COORDINATOR = "+6281322220001", "+6281322220002"


@pytest.fixture(scope="module")
def redis_with_password():
    """A Redis of the tests' own that demands a password, as production's does: its URL."""
    folder = tempfile.mkdtemp(prefix="km-doctor-redis-")
    port, password = free_port(), secrets.token_urlsafe(24)
    process = subprocess.Popen(
        [str(REDIS_BINARY), "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", ""]
        + ["--appendonly", "yes", "--requirepass", password],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = OutputWatcher(process.stdout)
    assert output.wait_for("Ready to accept connections", timeout=30), output.text
    yield f"redis://:{password}@127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)
    shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Deployment:
    """What a doctor test changes: the app's settings and the records it reads."""

    app: object
    redis: Redis

    @property
    def config(self):
        return self.app.config  # type: ignore[attr-defined]

    def real_now(self) -> dt.datetime:
        """Redis' clock: the real time, even when the suite runs from a pinned --clock."""
        seconds, microseconds = self.redis.time()
        return dt.datetime.fromtimestamp(seconds + microseconds / 1e6, dt.UTC)


@pytest.fixture
def good(app, redis_with_password, tmp_path, monkeypatch):
    """A deployment doctor finds nothing wrong with: random secrets, the phone backend with a recent ping, a
    Redis with a password, a backup folder, an organiser and a coordinator."""
    monkeypatch.delenv("BACKUP_DIR", raising=False)
    app.config.update(
        SECRET_KEY=secrets.token_urlsafe(32),
        WEBHOOK_TOKEN=secrets.token_urlsafe(32),
        SMS_BACKEND="smsgate",
        SMSGATE_USERNAME="kbmi",
        SMSGATE_PASSWORD=secrets.token_urlsafe(16),
        SMSGATE_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        SIMULATOR_ENABLED=False,
        REDIS_URL=redis_with_password,
        BACKUP_DIR=str(tmp_path),
    )
    Staff.create(phone=ORGANISER, name="Siti", role="organizer")
    Staff.create(phone=COORDINATOR, name="Rina", role="coordinator")
    connection = Redis.from_url(redis_with_password)
    connection.flushdb()
    deployment = Deployment(app, connection)
    with time_machine.travel(deployment.real_now(), tick=True):
        record_ping(connection, utcnow(), "phone1", "pass")
    yield deployment
    connection.flushdb()


def run_doctor(runner, deployment: Deployment, shift: dt.timedelta = dt.timedelta()):
    with time_machine.travel(deployment.real_now() + shift, tick=True):
        return runner.invoke(args=["doctor"])


def test_doctor_passes_a_good_production_configuration(runner, good):
    result = run_doctor(runner, good)
    assert result.exit_code == 0, result.output
    assert "problem:" not in result.output and result.output.rstrip().endswith("0 warning(s)") is (
        not good.config["DATABASE_URL"].startswith("sqlite")
    )
    assert "ok: the phone pinged" in result.output and "ok: Redis" in result.output


def test_doctor_accepts_the_secrets_generated_into_the_instance_folder(runner, good):
    for name, file_name in (("SECRET_KEY", "secret_key"), ("WEBHOOK_TOKEN", "webhook_token")):
        good.config[name] = generated(Path(good.app.instance_path), file_name)  # type: ignore[attr-defined]
    result = run_doctor(runner, good)
    assert result.exit_code == 0, result.output
    assert "ok: SECRET_KEY: generated" in result.output and "ok: WEBHOOK_TOKEN: generated" in result.output


def generated(folder: Path, name: str) -> str:
    """The secret the service generated into the instance folder (generated here as it would be, if not yet)."""
    path = folder / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def _sqlite_under_load(deployment: Deployment, monkeypatch, send_sms) -> None:
    if not deployment.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite only")
    monkeypatch.setattr(doctor, "SQLITE_MESSAGES_PER_DAY", 1)
    for number in range(2):  # two SMS in the last day: over the (lowered) load
        Message.record_inbound("+6281322229999", "HALO", f"load-{number}")


def _set(**settings) -> Callable[..., None]:
    return lambda deployment, monkeypatch, send_sms: deployment.config.update(settings)


def _remove(phone: str) -> Callable[..., None]:
    return lambda deployment, monkeypatch, send_sms: Staff.update(active=False).where(Staff.phone == phone).execute()


def _silent_phone(deployment: Deployment, monkeypatch, send_sms) -> None:
    with time_machine.travel(deployment.real_now() - dt.timedelta(minutes=20), tick=False):
        record_ping(deployment.redis, utcnow(), "phone1", "pass")


MISCONFIGURATIONS = {
    "short secret": (_set(SECRET_KEY="kbmi-2026"), "problem: SECRET_KEY is weak: only 9 characters"),
    "obvious secret": (
        _set(WEBHOOK_TOKEN="changeme-changeme-changeme-changeme"),
        "problem: WEBHOOK_TOKEN is weak",
    ),
    "a pattern for a secret": (_set(SECRET_KEY="a" * 40), "problem: SECRET_KEY is weak: only 1 different"),
    "a placeholder left": (
        _set(SMSGATE_PASSWORD="CHANGE_TO_THE_PHONE_PASSWORD"),
        "problem: SMSGATE_PASSWORD still holds the placeholder",
    ),
    "simulator on": (_set(SIMULATOR_ENABLED=True), "problem: the simulator is on"),
    "outbox backend": (_set(SMS_BACKEND="outbox"), "problem: SMS_BACKEND=outbox sends nothing"),
    "SQLite under load": (_sqlite_under_load, "problem: SQLite under load"),
    "Redis without a password": (None, "problem: REDIS_URL carries no password"),
    "no backup folder": (_set(BACKUP_DIR=""), "problem: BACKUP_DIR is not set"),
    "backup folder missing": (_set(BACKUP_DIR="/nonexistent/backups"), "problem: BACKUP_DIR /nonexistent/backups"),
    "no organiser": (_remove(ORGANISER), "problem: no active organiser"),
    "no coordinator": (_remove(COORDINATOR), "problem: no active coordinator"),
    "phone silent": (_silent_phone, "problem: the phone is silent: no ping from the phone for 20 minutes"),
    "clock not in sync": ("clock", "problem: the clock is 3600 s ahead of Redis's"),
}


@pytest.mark.parametrize("name", list(MISCONFIGURATIONS))
def test_doctor_fails_on_each_misconfiguration(runner, good, monkeypatch, send_sms, redis_url, name):
    change, expected = MISCONFIGURATIONS[name]
    shift = dt.timedelta()
    if change == "clock":
        shift = dt.timedelta(hours=1)
    elif change is None:
        good.config["REDIS_URL"] = redis_url  # the suite's Redis: no password
    else:
        change(good, monkeypatch, send_sms)
    result = run_doctor(runner, good, shift)
    assert result.exit_code == 1, result.output
    assert expected in result.output, result.output


def test_doctor_reports_a_database_newer_than_the_code(runner, good):
    from models.migrate import SchemaMigration

    SchemaMigration.create(name="0999_from_a_newer_release")
    try:
        result = run_doctor(runner, good)
    finally:
        SchemaMigration.delete().where(SchemaMigration.name == "0999_from_a_newer_release").execute()
    assert result.exit_code == 1 and "0999_from_a_newer_release, unknown to this code" in result.output


# The deploy folder -------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
DESIGN_SETTINGS = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "WEBHOOK_TOKEN",
    "SMS_BACKEND",
    "AT_USERNAME",
    "AT_API_KEY",
    "AT_SENDER_ID",
    "AT_API_URL",
    "USSD_SERVICE_CODE",
    "TIMEZONE",
    "DEFAULT_LANGUAGE",
    "CASE_ACK_MINUTES",
    "CASE_ACK_MINUTES_URGENT",
    "SMS_RETRY_DELAYS",
    "SMSGATE_URL",
    "SMSGATE_USERNAME",
    "SMSGATE_PASSWORD",
    "SMSGATE_WEBHOOK_SECRET",
    "SMSGATE_MAX_PER_MINUTE",
    "SMSGATE_DEVICE_ID",
    "INSTANCE_PATH",
    "SMSGATE_PHONES",
    "SMS_PREFIX",
    "REPORTS_PER_DAY",
    "REFERRAL_ACK_DAYS",
    "DATA_KEY",
    "BACKUP_DIR",
    "BACKUP_KEEP",
    "RETENTION_DAYS",
    "CONSOLE_IDLE_MINUTES",
    "TRUSTED_PROXIES",
    "SMS_COST",
)
"""DESIGN's configuration table, every variable."""


def readme_settings() -> set[str]:
    """The variables the README's Configuration table names."""
    text = (ROOT / "README.md").read_text()
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}


def test_env_example_lists_every_setting_with_its_meaning():
    example = (ROOT / "deploy" / "env.example").read_text()
    named, explained = set(), set()
    block_has_words = False
    for line in example.splitlines():
        setting = re.match(r"#?([A-Z][A-Z0-9_]+)=", line)
        if setting:
            named.add(setting[1])
            if block_has_words:
                explained.add(setting[1])
        else:  # a comment explains the settings below it, up to the next blank line
            block_has_words = bool(line.strip()) and (block_has_words or line.startswith("# "))
    assert set(DESIGN_SETTINGS) - named == set()
    assert readme_settings() - named == set()
    assert named - explained == set(), "every setting has a comment above it saying what it is"


def test_the_systemd_units_run_the_procfile_processes():
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    for process, command in procfile.items():
        unit = (ROOT / "deploy" / f"kawalmigran-{process}.service").read_text()
        [exec_start] = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
        assert exec_start == f"ExecStart=/opt/kawalmigran/.venv/bin/{command}"
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy 127.0.0.1:5000" in caddy
