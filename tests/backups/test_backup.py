"""Backups: `backup --to FILE` while SMS arrive, `restore --from FILE` into an empty database, every table back row
by row (on SQLite or PostgreSQL, whichever the suite runs on); both refuse to write over anything; the nightly
backup keeps BACKUP_KEEP files."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest
from playhouse.db_url import parse

from models import Case, DigestDelivery, Enrollment, ReportDraft, Task, Training, Village, utcnow
from models.jobs import JobSpec, job_path
from tests.support.paths import ROOT
from tests.support.phones import Phone
from tests.support.registration import register_by_sms
from tests.support.settings import SHORT_CODE, TOKEN
from tests.support.staff import ORGANIZER
from workers.backup import NIGHTLY_BACKUP_CRON, nightly_backup
from workers.cron import next_run, schedule
from workers.queues import enqueue

REPORTER = "+6281234567111"
MEMBER = "+6281234567001"
STORY = "gaji belum dibayar 3 bulan, paspor ditahan agen"
AFTER_THE_BACKUP = 5
"""SMS that still arrive once the backup has finished (so the copy was taken while they were arriving)."""

Rows = dict[str, list[dict[str, Any]]]

EVERY_KIND = (
    *("person", "staff", "village", "message", "conversation", "case", "case_event", "report_draft"),
    *("training", "training_step", "enrollment", "task", "digest_delivery", "schema_migration"),
)
"""The tables `every_kind_of_row` fills (the comparison covers every table the database has, these and any other)."""


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


@pytest.fixture
def new_database(database_url, tmp_path) -> Iterator[Callable[[], str]]:
    """Make new, empty databases of the suite's kind: a new SQLite file, or a PostgreSQL database created for the
    test (CREATE DATABASE) and dropped after it."""
    created: list[str] = []
    admin = psycopg2.connect(database_url) if is_postgres(database_url) else None

    def make() -> str:
        name = f"km_restore_{uuid.uuid4().hex[:12]}"
        if admin is None:
            return f"sqlite:///{tmp_path / name}.db"
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return database_url.rsplit("/", 1)[0] + "/" + name

    yield make
    if admin is not None:
        with admin.cursor() as cursor:
            for name in created:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def flask_command(database_url: str, redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `flask --app service ARGS` as an operator would, in a process of its own, against `database_url` (a new
    database only: a process closing the suite's SQLite file may take its WAL away from this one, whose locks
    `create_app` loses each time it makes the file private again)."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "WEBHOOK_TOKEN": TOKEN}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "service", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def table_rows(url: str) -> Rows:
    """Every table of the database at `url` with every row (and PostgreSQL's sequences), read with the driver."""
    if is_postgres(url):
        connection: Any = psycopg2.connect(url)
        listing = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
    else:
        connection = sqlite3.connect(parse(url)["database"])
        listing = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY 1"
    try:
        cursor = connection.cursor()
        cursor.execute(listing)
        rows: Rows = {}
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT * FROM "{table}"')
            names = [column[0] for column in cursor.description]
            rows[table] = sorted((dict(zip(names, row)) for row in cursor.fetchall()), key=repr)
        if is_postgres(url):
            cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
            rows["(sequences)"] = sorted(({"name": n, "last": v} for n, v in cursor.fetchall()), key=repr)
        return rows
    finally:
        connection.close()


def every_kind_of_row(send_sms) -> None:
    """Villages, staff (the fixture), people, a case with its events (the story, a note, the reporter's later
    message), SMS in and out, a training with an enrollment and a mentoring task, a digest delivery, a dropped
    report's draft, a conversation half way."""
    for position, name in enumerate(("Tracap", "Lamuk")):
        Village.create(name=name, position=position)
    register_by_sms(Phone(send_sms, MEMBER))
    reporter, organiser = Phone(send_sms, REPORTER), Phone(send_sms, ORGANIZER)
    for answer in ("LAPOR", "1", "1", "4", "1", f"1 {STORY}"):
        reporter.say(answer)
    code = Case.get().display_code
    organiser.say(f"TERIMA {code}")
    organiser.say(f"CATAT {code} sudah telepon, majikan di Kowloon")
    reporter.say("Gaji sudah dibayar sebagian")
    training = Training.add("KOPI9", "Budidaya kopi", "economic", utcnow() + dt.timedelta(days=40), "Balai Desa", 20)
    enrollment = Enrollment.create(training=training, phone=MEMBER, status="attended", queued_at=utcnow())
    Task.open("mentoring", MEMBER, "Tracap", "help", f"enrollment:{enrollment.id}")
    DigestDelivery.create(phone=ORGANIZER, kind="week", period_start=dt.date(2026, 11, 16), scope="all")
    ReportDraft.keep("ussd:ATUid_dropped", "+6281234567002", {"for_whom": "1", "category": "wages"})
    Phone(send_sms, "+6281234567003").say("DAFTAR")


def arriving_ids(rows: Rows) -> list[int]:
    """The numbers of the arriving SMS a database holds (inbound ids `arriving-N`), in order."""
    ids = [m["provider_id"] for m in rows["message"] if m["direction"] == "in"]
    return sorted(int(i.split("-")[1]) for i in ids if i and i.startswith("arriving-"))


def test_a_backup_taken_while_sms_arrive_restores_every_row(
    app, case_staff, send_sms, client, runner, database_url, redis_url, tmp_path, new_database
):
    every_kind_of_row(send_sms)
    before = table_rows(database_url)
    empty = [table for table in EVERY_KIND if not before.get(table)]
    assert not empty, f"every kind of row is there: {empty} are empty"

    backed_up, first_ones_in = threading.Event(), threading.Event()
    posted: list[str] = []
    failures: list[str] = []

    def sms_keep_arriving() -> None:
        after = 0
        while after < AFTER_THE_BACKUP and len(posted) < 5000:
            number = len(posted)
            sender = f"+62812555{number:05d}"
            response = client.post(
                f"/webhooks/at/sms?token={TOKEN}",
                data={
                    "from": sender,
                    "to": SHORT_CODE,
                    "text": "INFO",
                    "id": f"arriving-{number}",
                    "date": "2026-11-28 06:04:45",
                },
            )
            if response.status_code != 200:
                failures.append(f"{number}: {response.status_code}")
            posted.append(sender)
            if number == 10:
                first_ones_in.set()
            after += backed_up.is_set()

    writer = threading.Thread(target=sms_keep_arriving)
    writer.start()
    try:
        assert first_ones_in.wait(60)
        during = tmp_path / "during.backup"
        result = runner.invoke(args=["backup", "--to", str(during)])
    finally:
        backed_up.set()
        writer.join(120)
    assert not failures, failures
    assert result.exit_code == 0, result.output
    assert result.stdout == "", "progress goes to stderr, nothing to stdout"
    assert during.stat().st_mode & 0o077 == 0, "a backup holds everything: its owner's only"

    restored_url = new_database()
    result = flask_command(restored_url, redis_url, "restore", "--from", str(during))
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
    snapshot, final = table_rows(restored_url), table_rows(database_url)

    # One moment: the SMS that had arrived by then, in order, each with its answer; none of those after it.
    held = arriving_ids(snapshot)
    assert held == list(range(len(held))), "the SMS that had arrived, none skipped"
    assert 10 < len(held) <= len(posted) - AFTER_THE_BACKUP, "taken while SMS were arriving"
    assert arriving_ids(final) == list(range(len(posted)))
    answered = {m["phone"] for m in snapshot["message"] if m["direction"] == "out"}
    assert all(posted[n] in answered for n in held), "each SMS in the copy has its answer in it"
    # What the arriving SMS did not touch is back exactly: the case, its events, the training, the digest...
    untouched = [table for table in before if before[table] == final[table]]
    assert {"case", "case_event", "training", "enrollment", "digest_delivery", "report_draft"} <= set(untouched), (
        untouched
    )
    for table in untouched:
        assert snapshot[table] == final[table], f"{table} differs after the restore"

    # Once they have stopped, a backup brings every row of every table back, byte for byte.
    quiet = tmp_path / "quiet.backup"
    result = runner.invoke(args=["backup", "--to", str(quiet)])
    assert (result.exit_code, result.stdout) == (0, ""), result.output
    restored_url = new_database()
    assert flask_command(restored_url, redis_url, "restore", "--from", str(quiet)).returncode == 0
    restored = table_rows(restored_url)
    assert restored.keys() == final.keys()
    for table in final:
        assert restored[table] == final[table], f"{table} differs after the restore"
    exported = flask_command(restored_url, redis_url, "export", "cases", "--with-details")
    assert STORY in exported.stdout, "the story reads back from the restored database (with the key, if encrypted)"


def test_backup_never_writes_over_a_file(runner, tmp_path):
    target = tmp_path / "kept.backup"
    target.write_bytes(b"yesterday's backup")

    result = runner.invoke(args=["backup", "--to", str(target)])

    assert result.exit_code != 0
    assert "already exists" in result.stderr and result.stdout == ""
    assert target.read_bytes() == b"yesterday's backup"
    assert [path.name for path in tmp_path.iterdir()] == ["kept.backup"], "no partial file left behind"


def test_restore_refuses_a_database_that_is_not_empty(app, case_staff, send_sms, runner, tmp_path):
    every_kind_of_row(send_sms)
    backup_file = tmp_path / "today.backup"
    assert runner.invoke(args=["backup", "--to", str(backup_file)]).exit_code == 0
    cases = Case.select().count()

    result = runner.invoke(args=["restore", "--from", str(backup_file)])

    assert result.exit_code != 0
    assert "not empty" in result.stderr and result.stdout == ""
    assert Case.select().count() == cases


def test_restore_refuses_a_file_that_is_no_backup(new_database, redis_url, tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a backup")

    result = flask_command(new_database(), redis_url, "restore", "--from", str(not_a_backup))

    assert result.returncode != 0
    assert "not a backup" in result.stderr and result.stdout == ""


def test_the_nightly_backup_runs_at_0230_local_only_when_backup_dir_is_set(app, tmp_path):
    assert nightly_backup not in [entry.func for entry in schedule()], "off by default"
    app.config["BACKUP_DIR"] = str(tmp_path)
    [entry] = [entry for entry in schedule() if entry.func is nightly_backup]
    assert entry.cron == NIGHTLY_BACKUP_CRON
    after = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    assert next_run(entry.cron, after, "Asia/Jakarta") == dt.datetime(2026, 11, 28, 19, 30, tzinfo=dt.UTC)


def test_the_nightly_backup_keeps_the_newest_backup_keep_files(app, drain, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / f"kawalmigran-202611{day:02d}T193000Z.sqlite3" for day in (20, 21, 22, 23)]
    for path in old:
        path.write_bytes(b"an older backup")
    other = folder / "README.txt"
    other.write_text("not ours")
    app.config.update(BACKUP_DIR=str(folder), BACKUP_KEEP=3)

    assert enqueue([JobSpec(job_path(nightly_backup), (), "nightly-backup-test")]) == 1
    assert drain()

    kept = sorted(path.name for path in folder.iterdir() if path.name.startswith("kawalmigran-"))
    assert len(kept) == 3, kept
    assert kept[:2] == [old[2].name, old[3].name], "the oldest went first"
    suffix = ".pgdump" if is_postgres(app.config["DATABASE_URL"]) else ".sqlite3"
    assert kept[2].endswith(suffix) and (folder / kept[2]).stat().st_size > 0
    assert other.read_text() == "not ours", "only the nightly backups' own files are ever deleted"
