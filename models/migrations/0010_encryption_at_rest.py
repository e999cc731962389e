"""Encryption at rest: the data key's check row, the lookup hashes beside the encrypted columns, and every value
written before this release encrypted under DATA_KEY (stories, notes, safe numbers, drafts, conversation answers,
SMS texts).

Frozen: the tables and columns are declared here as they stood at this release, never imported from `models.*`;
it encrypts with the process's bound keys, handed in by the runner as `migrator.data_cipher()`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import peewee
from playhouse.migrate import SchemaMigrator, migrate


TOKEN_PREFIX = "gAAAAA"

ENCRYPTED = (
    ("case", "story", ()),
    ("case", "safe_phone", ()),
    ("case_event", "note", ()),
    ("report_draft", "answers", ()),
    ("conversation", "inputs", ("[]",)),
    ("message", "text", ()),
)
"""Each encrypted column at this release, with the values it keeps plain ("" everywhere: it says nothing)."""

HASHED = (("case", "safe_phone", "safe_phone_hash"), ("message", "text", "text_hash"))
"""Each lookup hash column and the column it hashes."""


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create data_key_check with its row (a fresh lookup secret, encrypted with the first key), add
    case.safe_phone_hash and message.text_hash (indexed), widen case.safe_phone for its token on PostgreSQL, then
    hash and encrypt what is stored."""

    class DataKeyCheck(peewee.Model):
        token = peewee.TextField()
        created_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "data_key_check"

    db.create_tables([DataKeyCheck], safe=True)
    operations = [
        migrator.add_column("case", "safe_phone_hash", peewee.CharField(max_length=64, null=True)),
        migrator.add_index("case", ("safe_phone_hash",), False),
        migrator.add_column("message", "text_hash", peewee.CharField(max_length=64, null=True)),
        migrator.add_index("message", ("text_hash",), False),
    ]
    if isinstance(db, peewee.PostgresqlDatabase):  # SQLite keeps any length in a varchar
        operations.append(migrator.alter_column_type("case", "safe_phone", peewee.TextField(null=True)))
    migrate(*operations)

    fernet = migrator.data_cipher()
    row = db.execute_sql("SELECT token FROM data_key_check ORDER BY id LIMIT 1").fetchone()
    if row is None:
        token = fernet.encrypt(base64.urlsafe_b64encode(os.urandom(32))).decode()
        db.execute_sql(
            f"INSERT INTO data_key_check (token, created_at) VALUES ({db.param}, CURRENT_TIMESTAMP)", (token,)
        )
    else:
        token = row[0]
    secret = base64.urlsafe_b64decode(fernet.decrypt(token.encode()))

    p = db.param
    for table, column, hash_column in HASHED:
        rows = db.execute_sql(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()
        for key, value in rows:
            digest = hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()
            db.execute_sql(f'UPDATE "{table}" SET "{hash_column}" = {p} WHERE id = {p}', (digest, key))
    for table, column, plain in ENCRYPTED:
        rows = db.execute_sql(f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()
        for key, value in rows:
            if value == "" or value in plain or value.startswith(TOKEN_PREFIX):
                continue
            encrypted = fernet.encrypt(value.encode()).decode()
            db.execute_sql(f'UPDATE "{table}" SET "{column}" = {p} WHERE id = {p}', (encrypted, key))
