"""Encryption at rest: a story, a note, a reporter's words and a safe number are nowhere in plain text (the
instance folder, the SQLite file and its WAL, the logs, PostgreSQL's dump); lookups and batching still work;
`keys rotate` keeps everything readable; a wrong or missing key stops the start."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from rq import SimpleWorker

from models import Case, CaseEvent, Message, ReportDraft, database
from models.case_access import open_reported_from, reported_from
from models.case_talk import heard_from_safe_phone, open_for_sender
from models.crypto import TOKEN_PREFIX, DataKeyError, new_key
from models.migrate import upgrade
from service import create_app
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.settings import SHORT_CODE, TOKEN
from tests.support.staff import ORGANIZER, add_case_staff
from workers.runner import run_worker
from workers.sms_jobs import _companions, _due_with_text

REPORTER = "+6281234567111"
SAFE_PHONE = "+6281298765432"
WORD = "Zwetschgenkuchenmajikan"
"""A word that appears nowhere but in what the tests say (the story, the note, the reporter's words)."""
STORY = f"gaji belum dibayar, {WORD} menahan saya"

ENCRYPTED_COLUMNS = (
    ("case", "story"),
    ("case", "safe_phone"),
    ("case_event", "note"),
    ("message", "text"),
    ("report_draft", "answers"),
    ("conversation", "inputs"),
)


def _sms_sender(client) -> Callable[..., Any]:
    numbers = iter(range(1, 10_000))

    def send(phone: str, text: str, id: str | None = None):
        return client.post(
            f"/webhooks/at/sms?token={TOKEN}",
            data={
                "from": phone,
                "to": SHORT_CODE,
                "text": text,
                "id": id or f"enc-{next(numbers)}",
                "date": "2026-11-28T06:04:45Z",
            },
        )

    return send


def _report_with_the_word(app: Flask) -> Case:
    """A report by SMS whose story holds WORD, a safe number given, an organiser's CATAT and the reporter's
    later words repeating it; every SMS sent by a real worker."""
    send = _sms_sender(app.test_client())
    reporter, organiser = Phone(send, REPORTER), Phone(send, ORGANIZER)
    for answer in ("LAPOR", "1", "1", "4", "1", f"1 {STORY}"):
        reporter.say(answer)
    case = Case.get()
    Case.update(safe_phone=SAFE_PHONE).where(Case.id == case.id).execute()
    organiser.say(f"TERIMA {case.display_code}")
    organiser.say(f"CATAT {case.display_code} sudah telepon, {WORD} di Kowloon")
    reporter.say(f"{WORD} mengambil HP saya")
    run_worker(app.extensions["redis"], burst=True, worker_class=SimpleWorker)
    return Case.get_by_id(case.id)


def _raw(table: str, column: str) -> list[str]:
    return [value for (value,) in database.execute_sql(f'SELECT "{column}" FROM "{table}"').fetchall() if value]


@pytest.fixture
def own_instance(tmp_path, monkeypatch, base_config) -> Iterator[tuple[Path, Callable[..., Flask]]]:
    """An instance folder of its own holding a SQLite database and the generated data key (DATA_KEY unset);
    yields (folder, make_app). The shared database and key are bound again afterwards."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("INSTANCE_PATH", str(folder))
    monkeypatch.delenv("DATA_KEY", raising=False)
    url = f"sqlite:///{folder / 'kawalmigran.db'}"

    def make_app(**extra: Any) -> Flask:
        return create_app({**base_config, "DATABASE_URL": url, **extra})

    app = make_app()
    app.extensions["redis"].flushdb()
    with app.app_context():
        upgrade()
        add_case_staff()
    database.close()
    try:
        yield folder, make_app
    finally:
        if not database.is_closed():
            database.close()
        monkeypatch.undo()
        create_app(base_config).extensions["redis"].flushdb()


def test_a_story_is_in_no_file_of_the_instance_folder_nor_in_the_sqlite_file_its_wal_or_the_logs(
    own_instance, caplog, capfd
):
    caplog.set_level(logging.DEBUG)  # peewee's DEBUG lines carry every query's parameters
    folder, make_app = own_instance
    app = make_app()
    with app.app_context():
        case = _report_with_the_word(app)
        assert case.story == STORY and case.safe_phone == SAFE_PHONE, "the model reads plain text"
        assert any(WORD in (event.note or "") for event in case.events), "the note and the words joined the case"
        assert any(WORD in m.text for m in outbox(ORGANIZER, "alert")), "the alert carried the story"
        assert (folder / "kawalmigran.db-wal").exists(), "the WAL holds the latest writes"
        for table, column in ENCRYPTED_COLUMNS:
            for value in _raw(table, column):
                assert value.startswith(TOKEN_PREFIX) or value == "[]", (table, column)
        everything = [path for path in folder.rglob("*") if path.is_file()]
        assert {"kawalmigran.db", "kawalmigran.db-wal", "data_key"} <= {path.name for path in everything}
        for path in everything:
            data = path.read_bytes()
            assert WORD.encode() not in data and SAFE_PHONE.encode() not in data, path.name
            assert WORD.encode("utf-16-le") not in data, path.name
    logged = caplog.text + "".join(capfd.readouterr())
    assert WORD not in logged and "Zwetschgen" not in logged


def test_a_story_is_not_in_the_shared_database_nor_in_pg_dump(app, case_staff):
    _report_with_the_word(app)
    for table in database.get_tables():
        columns = [column.name for column in database.get_columns(table)]
        for column in columns:
            for value in _raw(table, column):
                assert WORD not in str(value) and SAFE_PHONE not in str(value), (table, column)
    url = app.config["DATABASE_URL"]
    if not url.startswith("postgres"):
        return
    if shutil.which("pg_dump") is None:
        pytest.skip("no pg_dump: the raw columns above were read instead")
    database.commit() if database.in_transaction() else None
    parts = urlsplit(url)
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            parts.path.lstrip("/"),
        ],
        env={**os.environ, "PGPASSWORD": parts.password or ""},
        capture_output=True,
        timeout=120,
        check=True,
    ).stdout
    assert b"data_key_check" in dump and len(dump) > 1000, "the dump holds the tables"
    assert WORD.encode() not in dump and SAFE_PHONE.encode() not in dump


def test_lookups_by_the_safe_number_and_the_batching_of_one_text_compare_hashes(app, case_staff):
    case = _report_with_the_word(app)
    assert open_for_sender(SAFE_PHONE) == case
    assert list(open_reported_from(SAFE_PHONE)) == [], "a safe number that has not written gains nothing"
    heard_from_safe_phone(case)
    assert list(open_reported_from(SAFE_PHONE)) == [case]
    assert list(reported_from(SAFE_PHONE)) == [case]

    news = [Message.queue_outbound(phone, "Pertemuan besok jam 9", "broadcast") for phone in ("+628111", "+628222")]
    other = Message.queue_outbound("+628333", "Pertemuan lusa jam 9", "broadcast")
    first = Message.get_by_id(news[0].message_id)
    assert [m.id for m in _companions(first)] == [news[1].message_id]
    assert [m.id for m in _due_with_text("Pertemuan besok jam 9")] == [n.message_id for n in news]
    assert other.message_id not in {m.id for m in _due_with_text("Pertemuan besok jam 9")}
    tokens = {value for value in _raw("message", "text") if "Pertemuan" in value}
    assert not tokens, "the texts are stored encrypted, each under its own random IV"


def test_a_report_drafts_and_a_legacy_plain_value_are_read_and_rotate_encrypts_the_legacy_one(app, case_staff, runner):
    ReportDraft.keep("ATUid_enc", REPORTER, {"category": "wages", "story": STORY})
    assert all(value.startswith(TOKEN_PREFIX) for value in _raw("report_draft", "answers"))
    assert ReportDraft.take("ATUid_enc") == (REPORTER, {"category": "wages", "story": STORY})

    case = _report_with_the_word(app)
    database.execute_sql(f"UPDATE \"case\" SET story = 'written before encryption' WHERE id = {case.id}")
    assert Case.get_by_id(case.id).story == "written before encryption", "a legacy plain value reads as it is"
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 1 and "DATA_KEY is set in the environment" in result.output, result.output


def test_keys_rotate_keeps_every_story_readable_and_an_old_key_alone_then_stops_the_start(own_instance, monkeypatch):
    folder, make_app = own_instance
    app = make_app()
    with app.app_context():
        case = _report_with_the_word(app)
        before = {(table, column): _raw(table, column) for table, column in ENCRYPTED_COLUMNS}
    old_key = (folder / "data_key").read_text().strip()
    assert len(old_key.split(",")) == 1

    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "added a new key first" in result.output and "case.story: 1 rows" in result.output
    assert "--drop-old" in result.output
    keys = (folder / "data_key").read_text().strip().split(",")
    assert len(keys) == 2 and keys[1] == old_key, "the new key first, the old one kept"
    assert oct((folder / "data_key").stat().st_mode & 0o777) == "0o600"

    app = make_app()  # a process started after the rotation
    with app.app_context():
        again = Case.get_by_id(case.id)
        assert again.story == STORY and again.safe_phone == SAFE_PHONE
        assert any(WORD in (event.note or "") for event in CaseEvent.select())
        assert open_for_sender(SAFE_PHONE) == again, "the lookup hashes survive the rotation"
        for (table, column), values in before.items():
            after = _raw(table, column)
            assert len(after) == len(values) and not set(after) & (set(values) - {"[]"}), (table, column)
    database.close()

    monkeypatch.setenv("DATA_KEY", old_key)
    with pytest.raises(DataKeyError, match="does not open this database"):
        make_app()
    monkeypatch.delenv("DATA_KEY")

    result = make_app().test_cli_runner().invoke(args=["keys", "rotate", "--drop-old"])
    assert result.exit_code == 0, result.output
    assert (folder / "data_key").read_text().strip() == keys[0]
    with make_app().app_context():
        assert Case.get_by_id(case.id).story == STORY


def test_keys_rotate_with_data_key_in_the_environment_reencrypts_under_its_first_key(own_instance, monkeypatch):
    folder, make_app = own_instance
    current = (folder / "data_key").read_text().strip()
    app = make_app()
    with app.app_context():
        case = _report_with_the_word(app)
    database.close()
    fresh = new_key()
    monkeypatch.setenv("DATA_KEY", f"{fresh},{current}")
    result = make_app().test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0 and "DATA_KEY's first key" in result.output, result.output
    database.close()
    monkeypatch.setenv("DATA_KEY", fresh)
    with make_app().app_context():
        assert Case.get_by_id(case.id).story == STORY


def test_a_wrong_key_stops_create_app_with_a_clear_message_and_a_missing_one_too(own_instance, monkeypatch):
    folder, make_app = own_instance
    monkeypatch.setenv("DATA_KEY", new_key())
    with pytest.raises(DataKeyError, match="encrypted with another key. Set DATA_KEY"):
        make_app()
    monkeypatch.delenv("DATA_KEY")
    (folder / "data_key").unlink()  # the key lost: a new one is generated, and cannot open the data
    with pytest.raises(DataKeyError, match="does not open this database"):
        make_app()
