"""Frozen migrations: a database built by the first migration alone upgrades to head and keeps its rows."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import peewee
import pytest

from menus.features import default_registry
from models import (
    Conversation,
    Message,
    Person,
    Staff,
    Village,
    bind_database,
    database,
)
from models.crypto import DataKeys, bind_data_keys, parse_keys
from models.migrate import SchemaMigration, migration_names, upgrade

FIRST = "0001_initial"

ROWS_AT_0001: dict[str, list[dict[str, Any]]] = {
    "person": [
        {
            "phone": "+6281200000001",
            "name": "Siti",
            "village": "Sukamaju",
            "status": "aktif",
            "country": "hongkong",
            "language": "id",
            "consent_at": dt.datetime(2025, 1, 2, 3, 4, 5),
            "consent_version": "consent-v1",
            "registered_via": "ussd",
            "registration_key": "ATUid_1",
            "opted_out_at": None,
            "created_at": dt.datetime(2025, 1, 2, 3, 4, 5),
            "updated_at": dt.datetime(2025, 1, 2, 3, 4, 6),
        },
        {
            "phone": "+6281200000002",
            "name": None,
            "village": None,
            "status": None,
            "country": None,
            "language": None,
            "consent_at": None,
            "consent_version": None,
            "registered_via": None,
            "registration_key": None,
            "opted_out_at": dt.datetime(2025, 2, 1, 0, 0, 0),
            "created_at": dt.datetime(2025, 1, 3, 0, 0, 0),
            "updated_at": dt.datetime(2025, 2, 1, 0, 0, 0),
        },
    ],
    "staff": [
        {
            "phone": "+6281300000001",
            "name": "Bu Ani",
            "role": "organizer",
            "village": "Sukamaju",
            "active": True,
            "created_at": dt.datetime(2025, 1, 1, 8, 0, 0),
        },
    ],
    "village": [
        {"name": "Sukamaju", "position": 1},
        {"name": "Cibeureum", "position": 2},
    ],
    "message": [
        {
            "direction": "in",
            "phone": "+6281200000001",
            "text": "DAFTAR",
            "channel": "sms",
            "purpose": "inbound",
            "status": "delivered",
            "provider_id": "ATXid_1",
            "segments": 1,
            "encoding": "gsm7",
            "cost": None,
            "attempts": 0,
            "last_error": None,
            "next_attempt_at": None,
            "created_at": dt.datetime(2025, 1, 2, 3, 0, 0),
            "updated_at": dt.datetime(2025, 1, 2, 3, 0, 0),
        },
        {
            "direction": "out",
            "phone": "+6281200000001",
            "text": "Terima kasih",
            "channel": "sms",
            "purpose": "registered",
            "status": "failed",
            "provider_id": "ATPid_2",
            "segments": 1,
            "encoding": "gsm7",
            "cost": "KES 0.8000",
            "attempts": 3,
            "last_error": "InsufficientBalance",
            "next_attempt_at": dt.datetime(2025, 1, 2, 3, 10, 0),
            "created_at": dt.datetime(2025, 1, 2, 3, 4, 5),
            "updated_at": dt.datetime(2025, 1, 2, 3, 9, 0),
        },
    ],
    "conversation": [
        {
            "phone": "+6281200000001",
            "flow": "report",
            "inputs": '["1", "2"]',
            "started_by": "ATXid_1",
            "screen": "report.detail",
            "invalid_answers": 1,
            "updated_at": dt.datetime(2025, 1, 2, 3, 5, 0),
            "last_help_at": None,
        },
    ],
}
"""Rows as the 0001 schema stored them, written with plain SQL (live models may have more columns)."""


@contextlib.contextmanager
def _throwaway_url(suite_url: str, folder: Path) -> Iterator[str]:
    """The URL of a new empty database of the suite's kind: a SQLite file, or a PostgreSQL database dropped after."""
    scheme = urlsplit(suite_url).scheme
    if scheme.startswith("sqlite"):
        yield f"sqlite:///{folder / 'migrate.db'}"
        return
    if not scheme.startswith("postgres"):
        pytest.skip(f"no throwaway database for {scheme}")
    import psycopg2

    name = f"km_migrate_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(suite_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlsplit(suite_url)._replace(path=f"/{name}").geturl()
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        admin.close()


@pytest.fixture
def empty_database(database_url, tmp_path) -> Iterator[peewee.Database]:
    """A fresh empty database bound to the models as the app binds it (with the suite's data key); the suite's
    binding is restored after."""
    previous = database.obj
    bind_data_keys(DataKeys(parse_keys(os.environ["DATA_KEY"])))
    with _throwaway_url(database_url, tmp_path) as url:
        db = bind_database(url)
        try:
            yield db
        finally:
            if not db.is_closed():
                db.close()
            db.close_all()
            database.initialize(previous)


def _insert(db: peewee.Database, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(f'"{column}"' for column in row)
    marks = ", ".join(db.param for _ in row)
    values = [value.isoformat(" ") if isinstance(value, dt.datetime) else value for value in row.values()]
    db.execute_sql(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', values)


def test_rows_written_at_0001_read_back_at_head(empty_database):
    assert upgrade(FIRST) == [FIRST]
    assert [m.name for m in SchemaMigration.select()] == [FIRST]
    with empty_database.atomic():
        for table, rows in ROWS_AT_0001.items():
            for row in rows:
                _insert(empty_database, table, row)

    assert upgrade() == migration_names()[1:]

    found = {
        "person": [Person.get(Person.phone == row["phone"]) for row in ROWS_AT_0001["person"]],
        "staff": [Staff.get(Staff.phone == row["phone"]) for row in ROWS_AT_0001["staff"]],
        "village": [Village.get(Village.name == row["name"]) for row in ROWS_AT_0001["village"]],
        "message": [Message.get(Message.provider_id == row["provider_id"]) for row in ROWS_AT_0001["message"]],
        "conversation": [Conversation.get(Conversation.phone == row["phone"]) for row in ROWS_AT_0001["conversation"]],
    }
    for table, rows in ROWS_AT_0001.items():
        for row, instance in zip(rows, found[table]):
            assert {column: getattr(instance, column) for column in row} == row, table
    assert Village.names() == ["Sukamaju", "Cibeureum"]
    assert Message.record_inbound("+6281200000001", "DAFTAR", "ATXid_1") is None


def test_head_has_every_live_model_column(empty_database):
    upgrade()
    tables = set(empty_database.get_tables())
    for model in [*default_registry().tables(), SchemaMigration]:
        table = model._meta.table_name
        assert table in tables, f"{model.__name__}: table {table} has no migration"
        columns = {column.name: column for column in empty_database.get_columns(table)}
        for field in model._meta.sorted_fields:
            assert field.column_name in columns, f"{model.__name__}.{field.name} has no migration"
            assert columns[field.column_name].null == field.null, f"{model.__name__}.{field.name} nullability"


def test_upgrade_refuses_an_unknown_target(empty_database):
    with pytest.raises(ValueError, match="9999_nothing"):
        upgrade("9999_nothing")
