"""Encryption at rest (DESIGN "Safety and data protection"): what would hurt someone if a disk or a backup leaked is
stored as Fernet tokens under DATA_KEY (`cryptography`'s MultiFernet: the first key encrypts, every key decrypts),
and the columns compared in queries carry a keyed hash beside them, so no lookup needs the plain text.

The key stays outside the database. The database keeps one check row (`data_key_check`): a random lookup secret
encrypted with the key in use. Opening it proves the key is the right one (a wrong or missing key stops the start),
and it is the key of the lookup hashes (HMAC-SHA256), which therefore survive `keys rotate` unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import peewee
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from models.base import UNREACHABLE_ERRORS, BaseModel, database, utcnow
from models.binding import Binding

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gAAAAA"
"""How every Fernet token starts (version byte 0x80, then a timestamp's high bytes): a stored value without it was
written before encryption (a legacy plain value, readable until `keys rotate` encrypts it)."""

PLAIN_VALUES = ("",)
"""Values stored as they are: an empty text says nothing (an erased message keeps "")."""

ROTATE_BATCH = 500
"""Rows re-encrypted per statement batch by `keys rotate`."""

_CACHE = "_data_lookup_secret"
"""Where the lookup secret opened from a database's check row is kept: on that database object, as the prepared SQL
is (`models.base.cached_sql`), so a process that binds another database checks that one too."""


class DataKeyError(RuntimeError):
    """DATA_KEY cannot open this database's encrypted data (a wrong or missing key), or is no Fernet key."""


class DataKeys:
    """The keys of this process: the first encrypts, all decrypt. `source` is the generated file they came from (none
    when DATA_KEY is set), read again once when a value does not open (another process may have rotated)."""

    def __init__(self, keys: Sequence[str], source: Path | None = None) -> None:
        if not keys:
            raise DataKeyError("DATA_KEY holds no key")
        self.keys, self.source = list(keys), source
        self.fernet = MultiFernet([_fernet(key, position) for position, key in enumerate(self.keys, 1)])

    def reloaded(self) -> DataKeys | None:
        """The keys the source file holds now, if it changed since they were read; None otherwise."""
        if self.source is None:
            return None
        try:
            keys = parse_keys(self.source.read_text())
        except (OSError, DataKeyError):
            return None
        return DataKeys(keys, self.source) if keys != self.keys else None


def _fernet(key: str, position: int) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError:
        raise DataKeyError(
            f"DATA_KEY's key {position} is not a Fernet key (32 url-safe base64-encoded bytes): make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
        ) from None


def parse_keys(text: str) -> list[str]:
    """The comma-separated keys of DATA_KEY (or of the generated file), checked to be Fernet keys."""
    keys = [key.strip() for key in text.replace("\n", ",").split(",") if key.strip()]
    for position, key in enumerate(keys, 1):
        _fernet(key, position)
    return keys


def new_key() -> str:
    """A fresh Fernet key."""
    return Fernet.generate_key().decode()


_keys: Binding[DataKeys] = Binding("the data key (DATA_KEY)")


def bind_data_keys(keys: DataKeys) -> None:
    """Bind the process's data keys (create_app does, for web, worker and CLI alike)."""
    _keys.bind(keys)


def data_keys() -> DataKeys:
    """The bound data keys."""
    return _keys.get()


# Encrypting and opening values -------------------------------------------------------------------------------------


def encrypt(text: str) -> str:
    """`text` as a Fernet token under the first key (after this database's check row opened with the keys)."""
    _lookup_secret(required=False)
    return data_keys().fernet.encrypt(text.encode()).decode()


def decrypt(value: str, where: str = "a value") -> str:
    """The plain text of a stored value (a legacy plain value as it is)."""
    if not value.startswith(TOKEN_PREFIX):
        return value
    keys = data_keys()
    try:
        return keys.fernet.decrypt(value.encode()).decode()
    except InvalidToken:
        fresh = keys.reloaded()
        if fresh is not None:
            bind_data_keys(fresh)
            log.info("data keys read again from %s", fresh.source)
            return decrypt(value, where)
        raise DataKeyError(f"{where} does not open with DATA_KEY: {WRONG_KEY_ADVICE}") from None


def lookup_hash(value: str | None) -> str | None:
    """The keyed hash (HMAC-SHA256, hex) that queries compare instead of an encrypted value; None for None."""
    if value is None:
        return None
    secret = _lookup_secret(required=True)
    assert secret is not None
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(peewee.TextField):
    """A text column stored encrypted: `db_value` encrypts with the bound keys, `python_value` opens, so the
    model, `PreparedInsert` and `fetch_instance` read and write plain text and the table holds only tokens.
    Never compare it in a query: compare its lookup hash column (or open the few candidate rows)."""

    def __init__(
        self, *args: Any, plain: Sequence[str] = PLAIN_VALUES, lookup: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.plain, self.lookup = tuple(plain), lookup
        """`lookup`: the name of the column that keeps this one's lookup hash (`WithLookupHashes` fills it)."""

    def bind(self, model: type[peewee.Model], name: str, set_attribute: bool = True) -> None:
        super().bind(model, name, set_attribute)
        ENCRYPTED_FIELDS[(model._meta.table_name, self.column_name)] = self

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, peewee.Node):
            return value
        text = str(value)
        return text if text in self.plain else encrypt(text)

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return decrypt(value, f"{self.model._meta.table_name}.{self.column_name}")


ENCRYPTED_FIELDS: dict[tuple[str, str], EncryptedTextField] = {}
"""Every encrypted column of the models, by (table, column): what `keys rotate` re-encrypts."""


class WithLookupHashes(BaseModel):
    """A model whose encrypted columns keep a lookup hash: `update()` and `save()` write the hash with the column,
    whoever writes it (a hand-written insert passes it itself)."""

    @classmethod
    def _hashed(cls) -> list[tuple[EncryptedTextField, str]]:
        """(encrypted field, name of its lookup hash field) for each hashed column."""
        return [(f, f.lookup) for f in cls._meta.sorted_fields if isinstance(f, EncryptedTextField) and f.lookup]

    @classmethod
    def update(cls, __data: Any = None, **update: Any) -> peewee.ModelUpdate:
        data = cls._normalize_data(__data, update)  # type: ignore[attr-defined]  # not in peewee's stubs
        for field, lookup in cls._hashed():
            if field in data and not isinstance(data[field], peewee.Node):
                data[cls._meta.fields[lookup]] = lookup_hash(data[field])
        return super().update(data)

    def save(self, force_insert: bool = False, only: Any = None) -> Any:
        for field, lookup in self._hashed():
            if only is None or field in only or field.name in only:
                setattr(self, lookup, lookup_hash(getattr(self, field.name)))
                if only is not None:
                    only = [*only, self._meta.fields[lookup]]
        return super().save(force_insert=force_insert, only=only)


# The check row -----------------------------------------------------------------------------------------------------


class DataKeyCheck(BaseModel):
    """The one check row: this database's lookup secret, encrypted with the data key in use (migration 0009)."""

    token = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)


WRONG_KEY_ADVICE = (
    "the data in this database was encrypted with another key. Set DATA_KEY to the key(s) it was encrypted with "
    "(comma-separated, the newest first), or point INSTANCE_PATH at the folder whose `data_key` file holds them. "
    "A key generated because none was set cannot open data encrypted before; nothing was written meanwhile"
)


def new_check_token() -> str:
    """A check row's token: a fresh random lookup secret encrypted with the first key (migration 0009 writes it)."""
    return data_keys().fernet.encrypt(base64.urlsafe_b64encode(os.urandom(32))).decode()


def check_data_key() -> bool:
    """Open this database's check row with the bound keys (at start): DataKeyError if they cannot; False if there
    is nothing to check yet (no migration 0009, or the database is unreachable: checked again before any write)."""
    try:
        return _lookup_secret(required=False) is not None
    except UNREACHABLE_ERRORS as error:
        log.warning("the data key is checked once the database answers (%s)", type(error).__name__)
        return False


def _lookup_secret(required: bool) -> bytes | None:
    """The lookup secret of the bound database, opened from its check row once per database object; None (or,
    `required`, DataKeyError) while the database has no check table yet."""
    cache = database.obj.__dict__
    secret = cache.get(_CACHE)
    if secret is not None:
        return secret
    if not DataKeyCheck.table_exists():
        if required:
            raise DataKeyError("the database has no data key check yet: run `flask --app service db upgrade`")
        return None
    row = DataKeyCheck.select().order_by(DataKeyCheck.id).first()
    if row is None:  # the table exists without its row (made by hand): the key in use starts it
        row = DataKeyCheck.create(token=new_check_token())
    secret = cache[_CACHE] = _open_check(row.token)
    return secret


def _open_check(token: str) -> bytes:
    keys = data_keys()
    try:
        return base64.urlsafe_b64decode(keys.fernet.decrypt(token.encode()))
    except InvalidToken:
        fresh = keys.reloaded()
        if fresh is not None:
            bind_data_keys(fresh)
            return _open_check(token)
        source = f" (the keys of {keys.source})" if keys.source else ""
        raise DataKeyError(f"DATA_KEY{source} does not open this database: {WRONG_KEY_ADVICE}") from None


def opens_with_first_key_only(token: str) -> bool:
    """True if `token` opens with the first key alone (what dropping the older keys needs)."""
    try:
        Fernet(data_keys().keys[0].encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


# Rotation ----------------------------------------------------------------------------------------------------------


def reencrypt_all(progress: Callable[[str], None], first_key_only: bool = False) -> int:
    """Re-encrypt every encrypted value, the check row included, under the first key (legacy plain values are
    encrypted); each row is written only if it did not change meanwhile. Return how many values were rewritten.
    `first_key_only`: then check that every value opens with the first key alone (DataKeyError if one does not)."""
    _lookup_secret(required=True)
    fernet = data_keys().fernet
    tables = [(DataKeyCheck._meta.table_name, DataKeyCheck.token)]
    tables += [(table, field) for (table, _), field in sorted(ENCRYPTED_FIELDS.items())]
    rewritten = 0
    for table, field in tables:
        model = field.model
        if not model.table_exists():
            continue
        done = last = 0
        raw = peewee.Entity(field.column_name)  # the stored token itself: no converter opens it
        while True:
            rows = _raw_rows(
                model.select(model._meta.primary_key, raw)
                .where(model._meta.primary_key > last)
                .order_by(model._meta.primary_key)
                .limit(ROTATE_BATCH)
            )
            if not rows:
                break
            with database.atomic():
                for key, value in rows:
                    if value is None or value in getattr(field, "plain", ()):
                        continue
                    token = value.encode()
                    fresh = fernet.rotate(token) if value.startswith(TOKEN_PREFIX) else fernet.encrypt(token)
                    changed = (
                        model.update({field: peewee.Value(fresh.decode())})
                        .where((model._meta.primary_key == key) & (raw == peewee.Value(value)))
                        .execute()
                    )
                    rewritten += changed
            done += len(rows)
            last = rows[-1][0]
            progress(f"{table}.{field.column_name}: {done} rows")
        if first_key_only:
            _check_first_key(model, field, raw, table)
    return rewritten


def _raw_rows(query: peewee.Query) -> list[tuple[Any, ...]]:
    """The rows as stored (peewee's row wrapper would open an encrypted column selected by its name)."""
    sql, params = query.sql()
    return list(database.execute_sql(sql, params).fetchall())


def _check_first_key(model: type[peewee.Model], field: peewee.Field, raw: peewee.Entity, table: str) -> None:
    stale = 0
    for (value,) in _raw_rows(model.select(raw).where(raw.is_null(False))):
        if value.startswith(TOKEN_PREFIX) and not opens_with_first_key_only(value):
            stale += 1
    if stale:
        raise DataKeyError(
            f"{stale} values of {table}.{field.column_name} still need an older key (written by a process that had "
            "not restarted yet): restart every process with the new key first, then run this again"
        )
