"""`flask --app service doctor`: check a production configuration, print what is wrong, exit 1 on any problem.

Each check returns findings: a `problem` makes the exit code 1 (the deployment is not ready, or not safe), a
`warning` is printed and passes (worth knowing, not wrong), `ok` and `note` say what was checked and what could not
be. It reads the settings the service runs with (environment and `.env`), the database and Redis they name, the
phone's last ping and the clocks it can reach.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click
import peewee
from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError, ResponseError

from models import Message, Staff, database, utcnow
from models.migrate import pending_migrations, unknown_migrations
from models.staffing import staffing_problems
from workers.gateways.phone_status import phone_health
from workers.gateways.phones import is_pool, phones_of
from workers.gateways.rotation import REASON_WORDS, read_states
from workers.queues import connect_redis

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32
"""Fewest characters a secret set by hand may have (a generated one has 43)."""

MIN_DISTINCT_CHARACTERS = 10
"""Fewer different characters than this and a secret is a pattern (`aaaa…`, `1234…`), not a secret."""

OBVIOUS_WORDS = ("secret", "changeme", "change-me", "change_me", "password", "example", "default", "test", "dev")
"""Parts of a value someone typed as a placeholder, or copied from a tutorial or from the tests."""

SQLITE_MESSAGES_PER_DAY = 1000
"""More SMS in and out in the last 24 hours than this and SQLite (one writer at a time) is under load: every report
step and every delivery report waits for the lock. PostgreSQL is the deployment database."""

CLOCK_TOLERANCE = dt.timedelta(seconds=30)
"""How far this server's clock may be from another clock it can read (the database's, Redis') before schedules
(quiet hours, digests, escalations) and the phone's signed events (5 minutes' tolerance) go wrong."""

TIMEDATECTL_SECONDS = 5


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's answer."""

    level: str
    """`problem` (exit 1), `warning`, `ok` or `note`."""
    text: str


def problem(text: str) -> Finding:
    return Finding("problem", text)


def warning(text: str) -> Finding:
    return Finding("warning", text)


def ok(text: str) -> Finding:
    return Finding("ok", text)


def note(text: str) -> Finding:
    return Finding("note", text)


def weak_secret(value: str) -> str | None:
    """Why `value` is no secret (too short, a pattern, a placeholder word), or None."""
    if len(value) < MIN_SECRET_LENGTH:
        return f"only {len(value)} characters (at least {MIN_SECRET_LENGTH})"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"only {len(set(value))} different characters"
    word = next((word for word in OBVIOUS_WORDS if word in value.lower()), None)
    if word:
        return f"it contains {word!r}: a placeholder, not a secret"
    return None


def _generated(instance_path: Path, file_name: str, value: str) -> bool:
    """Whether `value` is the secret the service generated into `instance/` (random, 43 characters)."""
    try:
        return (instance_path / file_name).read_text().strip() == value
    except OSError:
        return False


def check_secrets(config: Mapping[str, Any], instance_path: Path) -> list[Finding]:
    """SECRET_KEY and WEBHOOK_TOKEN: generated into instance/, or long and random; the phone's signing key too."""
    findings = []
    for name, file_name in (("SECRET_KEY", "secret_key"), ("WEBHOOK_TOKEN", "webhook_token")):
        value = str(config.get(name) or "")
        if value and _generated(instance_path, file_name, value):
            findings.append(ok(f"{name}: generated into {instance_path / file_name}"))
            continue
        why = weak_secret(value)
        if why:
            findings.append(
                problem(
                    f"{name} is weak: {why}. Unset it to have one generated into instance/, or set "
                    "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                )
            )
        else:
            findings.append(ok(f"{name}: set, {len(value)} characters"))
    if config.get("SMS_BACKEND") == "smsgate":
        keys = {"SMSGATE_WEBHOOK_SECRET": str(config.get("SMSGATE_WEBHOOK_SECRET") or "")}
        if is_pool(phones_of(config)):
            keys = {
                f"SMSGATE_{p.name.upper()}_WEBHOOK_SECRET (or the shared one)": p.webhook_secret
                for p in phones_of(config)
            }
        for name, secret in keys.items():
            why = weak_secret(secret)
            if why:
                findings.append(problem(f"{name} is weak: {why}"))
    return findings


PLACEHOLDER = "CHANGE_TO_"
"""What `deploy/env.example` puts where a value of the organisation's own belongs."""


def check_placeholders(config: Mapping[str, Any]) -> list[Finding]:
    """No setting still holds a placeholder from `deploy/env.example`."""
    return [
        problem(f"{name} still holds the placeholder from deploy/env.example ({PLACEHOLDER}…): put the real value")
        for name, value in sorted(config.items())
        if isinstance(value, str) and PLACEHOLDER in value
    ]


def check_backend(config: Mapping[str, Any]) -> list[Finding]:
    """A backend that reaches real phones, with its credentials; the simulator off."""
    findings = []
    backend = config.get("SMS_BACKEND")
    if backend == "outbox":
        findings.append(problem("SMS_BACKEND=outbox sends nothing to any phone (it is for the simulator): set smsgate"))
    elif backend == "smsgate" and is_pool(phones_of(config)):
        for phone in phones_of(config):
            key = f"SMSGATE_{phone.name.upper()}_"
            if not (phone.username and phone.password):
                findings.append(problem(f"phone {phone.name} without {key}USERNAME or {key}PASSWORD: it refuses sends"))
            else:
                findings.append(ok(f"SMS_BACKEND=smsgate: phone {phone.name} at {phone.url}"))
    elif backend == "smsgate":
        missing = [name for name in ("SMSGATE_USERNAME", "SMSGATE_PASSWORD") if not config.get(name)]
        if missing:
            findings.append(problem(f"SMS_BACKEND=smsgate without {', '.join(missing)}: the phone refuses every send"))
        else:
            findings.append(ok(f"SMS_BACKEND=smsgate at {config.get('SMSGATE_URL')}"))
    elif backend == "africastalking":
        missing = [name for name in ("AT_USERNAME", "AT_API_KEY") if not config.get(name)]
        if missing:
            findings.append(problem(f"SMS_BACKEND=africastalking without {', '.join(missing)}"))
        elif config.get("AT_USERNAME") == "sandbox":
            findings.append(problem("AT_USERNAME=sandbox: Africa's Talking's sandbox delivers to no real phone"))
        else:
            findings.append(ok("SMS_BACKEND=africastalking"))
    if config.get("SIMULATOR_ENABLED"):
        findings.append(
            problem("the simulator is on (SIMULATOR=1): it shows anyone's messages; unset SIMULATOR in production")
        )
    return findings


def check_database(config: Mapping[str, Any]) -> list[Finding]:
    """The database answers, its schema matches the code, SQLite is not under load, the roles are filled."""
    url = str(config.get("DATABASE_URL") or "")
    try:
        database.execute_sql("SELECT 1")
    except Exception as error:  # any driver error: the database cannot be reached
        return [problem(f"the database does not answer ({type(error).__name__}): check DATABASE_URL")]
    findings = []
    unknown = unknown_migrations()
    pending = pending_migrations()
    if unknown:
        findings.append(
            problem(f"the database has migration {', '.join(unknown)}, unknown to this code: the code is older")
        )
    if pending:
        findings.append(problem(f"migrations not applied: {', '.join(pending)}: run `flask --app service db upgrade`"))
        return findings
    if url.startswith("sqlite"):
        since = utcnow() - dt.timedelta(days=1)
        recent = Message.select().where(Message.created_at >= since).count()
        if recent > SQLITE_MESSAGES_PER_DAY:
            findings.append(
                problem(
                    f"SQLite under load: {recent} SMS in the last 24 hours (more than {SQLITE_MESSAGES_PER_DAY}); "
                    "SQLite writes one at a time: move to PostgreSQL, the deployment database (README)"
                )
            )
        else:
            findings.append(
                warning(
                    "SQLite: fine for a small organisation; PostgreSQL is the deployment database (README "
                    f"'Running it on a server'); {recent} SMS in the last 24 hours"
                )
            )
    else:
        findings.append(ok("database: PostgreSQL, schema up to date"))
    if not Staff.table_exists():
        return findings
    findings += [problem(text) for text in staffing_problems()]
    if not staffing_problems():
        findings.append(ok("staff: an active organiser and an active coordinator"))
    return findings


def redis_password(url: str) -> str | None:
    """The password REDIS_URL carries (in its user info, or `?password=` for a socket), or None."""
    parts = urlsplit(url)
    return parts.password or next(iter(parse_qs(parts.query).get("password", [])), None)


def check_redis(config: Mapping[str, Any], connection: Redis) -> list[Finding]:
    """Redis answers, with a password, and keeps its data across a restart."""
    findings = []
    if not redis_password(str(config.get("REDIS_URL") or "")):
        findings.append(
            problem("REDIS_URL carries no password: set `requirepass` in redis.conf and put it in REDIS_URL")
        )
    try:
        connection.ping()
    except RedisError as error:
        return [*findings, problem(f"Redis does not answer ({type(error).__name__}): check REDIS_URL")]
    try:
        appendonly = connection.config_get("appendonly").get("appendonly")
    except ResponseError:  # CONFIG renamed or disabled, as hardened set-ups do
        appendonly = None
    if appendonly == "no":
        findings.append(
            warning("Redis appendonly is off: a restart loses queued jobs until the sweep finds them (appendonly yes)")
        )
    if not findings:
        findings.append(ok("Redis: answers, with a password"))
    return findings


def check_backups(config: Mapping[str, Any]) -> list[Finding]:
    """BACKUP_DIR set to a folder the service can write."""
    folder = str(config.get("BACKUP_DIR") or os.environ.get("BACKUP_DIR") or "").strip()
    if not folder:
        return [problem("BACKUP_DIR is not set: no nightly backup is made (README 'Backups')")]
    path = Path(folder)
    if not path.is_dir():
        return [problem(f"BACKUP_DIR {folder} is not a folder")]
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        return [problem(f"BACKUP_DIR {folder} cannot be written ({error.strerror})")]
    return [ok(f"BACKUP_DIR {folder}")]


def check_phone(config: Mapping[str, Any], connection: Redis) -> list[Finding]:
    """With the phone backend: a ping from the phone in the last 15 minutes."""
    if config.get("SMS_BACKEND") != "smsgate":
        return []
    if is_pool(phones_of(config)):
        try:
            states = read_states(connection, phones_of(config), utcnow())
        except RedisError:
            return [problem("the phones' last pings cannot be read: Redis does not answer")]
        return [
            problem(f"phone {s.phone.name} is out of rotation: {REASON_WORDS[s.why_out]}")
            if s.why_out
            else problem(f"phone {s.phone.name} has never pinged: turn pings on in its app")
            if s.ping is None
            else ok(f"phone {s.phone.name} pinged in the last 15 minutes")
            for s in states
        ]
    try:
        health = phone_health(connection, utcnow())
    except RedisError:
        return [problem("the phone's last ping cannot be read: Redis does not answer")]
    if health.state != "ok":
        return [problem(f"the phone is silent: {health.reason}")]
    return [ok("the phone pinged in the last 15 minutes")]


def _timedatectl() -> tuple[str, dt.datetime | bool] | None:
    """systemd's own verdict (NTP synchronised: yes/no), or None where there is no timedatectl or no systemd."""
    binary = shutil.which("timedatectl")
    if binary is None:
        return None
    try:
        answer = subprocess.run(
            [binary, "show", "--property=NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=TIMEDATECTL_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = answer.stdout.strip()
    if answer.returncode != 0 or value not in ("yes", "no"):
        return None
    return "timedatectl", value == "yes"


def _database_clock() -> tuple[str, dt.datetime | bool] | None:
    """PostgreSQL's now() (another server's clock when the database runs elsewhere); SQLite has no clock of its
    own."""
    if not isinstance(database.obj, peewee.PostgresqlDatabase):
        return None
    try:
        value = database.execute_sql("SELECT now()").fetchone()[0]
    except Exception:  # the database check says why it does not answer
        return None
    return "the database", value.astimezone(dt.UTC)


def _redis_clock(connection: Redis) -> tuple[str, dt.datetime | bool] | None:
    """Redis' TIME (its server's clock)."""
    try:
        seconds, microseconds = connection.time()
    except RedisError:
        return None
    return "Redis", dt.datetime.fromtimestamp(seconds + microseconds / 1e6, dt.UTC)


def check_clock(connection: Redis) -> list[Finding]:
    """This server's clock is synchronised (timedatectl) and agrees with the other clocks it can read."""
    findings = []
    sources = [_timedatectl(), _database_clock(), _redis_clock(connection)]
    for source in sources:
        if source is None:
            continue
        name, value = source
        if isinstance(value, bool):
            findings.append(
                ok("clock: synchronised (timedatectl)")
                if value
                else problem("the clock is not synchronised (timedatectl): `timedatectl set-ntp true`")
            )
            continue
        drift = dt.datetime.now(dt.UTC) - value
        if abs(drift) > CLOCK_TOLERANCE:
            side = "ahead of" if drift > dt.timedelta() else "behind"
            findings.append(
                problem(
                    f"the clock is {abs(drift.total_seconds()):.0f} s {side} {name}'s: schedules and the phone's "
                    "signed events need it right (`timedatectl set-ntp true`)"
                )
            )
        else:
            findings.append(ok(f"clock: agrees with {name}'s"))
    if not findings:
        findings.append(note("clock not checked: no timedatectl answer and no other clock to compare with"))
    return findings


def diagnose(config: Mapping[str, Any], instance_path: Path, connection: Redis) -> list[Finding]:
    """Every check's findings, in the order the README lists them."""
    return [
        *check_secrets(config, instance_path),
        *check_placeholders(config),
        *check_backend(config),
        *check_database(config),
        *check_redis(config, connection),
        *check_backups(config),
        *check_phone(config, connection),
        *check_clock(connection),
    ]


@click.command("doctor")
def doctor() -> None:
    """Check a production configuration; print what is wrong and exit 1 on any problem."""
    connection = connect_redis(current_app.config["REDIS_URL"])
    findings = diagnose(current_app.config, Path(current_app.instance_path), connection)
    for finding in findings:
        click.echo(f"{finding.level}: {finding.text}")
    problems = sum(1 for f in findings if f.level == "problem")
    warnings = sum(1 for f in findings if f.level == "warning")
    click.echo(f"doctor: {problems} problem(s), {warnings} warning(s)")
    if problems:
        sys.exit(1)


def init_app(app: Flask) -> None:
    """Register `doctor`."""
    app.cli.add_command(doctor)
