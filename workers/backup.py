"""Backups: a consistent copy of the database while the service runs, a restore into an empty database, and the
nightly backup that keeps BACKUP_KEEP of them in BACKUP_DIR.

SQLite is copied with its online backup API (`sqlite3.Connection.backup`, in one step: one read snapshot, writers
go on in WAL mode); PostgreSQL with `pg_dump` in its custom format (one snapshot too) and `pg_restore`. Both copy
the stored bytes as they are, so what is encrypted at rest stays encrypted and reads back with the same key.
Neither ever writes over anything: a backup goes to a new file only, a restore into a database without tables only.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee

from models import database, utcnow
from models.jobs import with_database
from workers.context import settings

log = logging.getLogger(__name__)

NIGHTLY_BACKUP_CRON = "30 2 * * *"
"""When the nightly backup runs (TIMEZONE local time): the quietest hour of a village's night."""

BACKUP_JOB_TIMEOUT = 3600
"""Seconds the nightly backup may run."""

DEFAULT_BACKUP_KEEP = 14
"""How many nightly backups BACKUP_DIR keeps when BACKUP_KEEP is not set (the oldest go first)."""

BACKUP_NAME = "kawalmigran-{stamp}{suffix}"
"""A nightly backup's file name: its UTC time, so names sort as times do."""

NIGHTLY_NAME = re.compile(r"kawalmigran-\d{8}T\d{6}Z\.(sqlite3|pgdump)")
"""The names the nightly backup writes (and the only files its rotation ever deletes)."""

SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
"""A backup's file suffix per database kind."""

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
"""How a backup file starts: SQLite's own header, or pg_dump's custom format."""

BACKUP_FILE_MODE = 0o600
"""A backup holds everything the service holds: readable by the service's user only."""

TOOL_TIMEOUT = BACKUP_JOB_TIMEOUT
"""Seconds pg_dump or pg_restore may run."""


class BackupError(RuntimeError):
    """A backup or restore refused or failed; the message says why, for the person at the terminal."""


def kind_of(db: peewee.Database) -> str:
    """ "sqlite" or "postgresql" (the databases the service supports)."""
    if isinstance(db, peewee.SqliteDatabase):
        return "sqlite"
    if isinstance(db, peewee.PostgresqlDatabase):
        return "postgresql"
    raise BackupError(f"backups support SQLite and PostgreSQL, not {type(db).__name__}")


def backup(db: peewee.Database, target: Path) -> Path:
    """Write a consistent copy of `db` to the new file `target` (refused if it exists) while the service runs."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists: a backup never writes over a file; choose a new name")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a folder")
    kind = kind_of(db)
    log.info("backing up the %s database to %s", kind, target)
    with _partial_file(target) as partial:
        if kind == "sqlite":
            _sqlite_backup(db, partial)
        else:
            _pg_dump(db, partial)
        _publish(partial, target)
    log.info("backup written: %s (%s bytes)", target, target.stat().st_size)
    return target


def restore(db: peewee.Database, source: Path) -> None:
    """Restore the backup `source` into `db`, which must hold no table at all (refused otherwise)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    kind = kind_of(db)
    found = backup_kind(source)
    if found != kind:
        raise BackupError(f"{source} is a {found or 'unknown'} file, not a backup of a {kind} database")
    tables = user_tables(db)
    if tables:
        raise BackupError(
            f"the database is not empty ({len(tables)} tables, e.g. {tables[0]}): a restore never writes over data; "
            "point DATABASE_URL at a new, empty database (a new SQLite file, or `createdb`) and restore there"
        )
    log.info("restoring %s into the empty %s database", source, kind)
    if kind == "sqlite":
        _sqlite_restore(db, source)
    else:
        _pg_restore(db, source)
    log.info("restored: %s tables; run `db upgrade` if the code is newer than the backup", len(user_tables(db)))


def backup_kind(path: Path) -> str | None:
    """ "sqlite" or "postgresql" for a backup file by its first bytes, None for anything else."""
    with open(path, "rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


def user_tables(db: peewee.Database) -> list[str]:
    """The tables of the database's own (none: it is empty), in every schema but the system's."""
    if kind_of(db) == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
    else:
        sql = (
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        )
    return [row[0] for row in db.execute_sql(sql).fetchall()]


@contextmanager
def _partial_file(target: Path) -> Iterator[Path]:
    """A new private file beside `target` to write into; removed afterwards (published or not)."""
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(descriptor)
    os.chmod(name, BACKUP_FILE_MODE)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _publish(partial: Path, target: Path) -> None:
    """Give the finished `partial` its name, never replacing a file that appeared meanwhile."""
    try:
        os.link(partial, target)  # fails if target exists: no overwrite, no half-written file under its name
    except FileExistsError:
        raise BackupError(f"{target} appeared while the backup ran: left as it was; choose a new name") from None


def _sqlite_backup(db: peewee.Database, partial: Path) -> None:
    partial.unlink()  # sqlite3 creates the file; mkstemp only reserved the name
    target = sqlite3.connect(partial)
    try:
        os.chmod(partial, BACKUP_FILE_MODE)
        db.connection().backup(target)  # pages=-1: every page in one step, from one read snapshot
        (verdict,) = target.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"the copy failed SQLite's check: {verdict}")
        target.execute("PRAGMA journal_mode = delete")  # one self-contained file, no -wal beside it
    finally:
        target.close()


def _sqlite_restore(db: peewee.Database, source: Path) -> None:
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        (verdict,) = backup_file.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"{source} failed SQLite's check: {verdict}")
        backup_file.backup(db.connection())
    finally:
        backup_file.close()


def _pg_environment(db: peewee.Database) -> dict[str, str]:
    """libpq's environment for the bound database (the password never goes on a command line)."""
    params = db.connect_params
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "sslmode": "PGSSLMODE"}
    env = {**os.environ, "PGDATABASE": str(db.database)}
    env.update({variable: str(params[key]) for key, variable in names.items() if params.get(key) is not None})
    return env


def _pg_tool(db: peewee.Database, name: str) -> str:
    """The path of pg_dump or pg_restore for this server: its own major version's (Debian keeps each under
    /usr/lib/postgresql/N/bin), else the one on PATH, refused if older than the server."""
    server = int(db.execute_sql("SELECT current_setting('server_version_num')").fetchone()[0]) // 10000
    versioned = Path(f"/usr/lib/postgresql/{server}/bin/{name}")
    tool = str(versioned) if versioned.is_file() else shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is missing: install PostgreSQL's client tools (Debian: postgresql-client-{server})")
    answer = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", answer)
    if found is None or int(found.group(1)) < server:
        raise BackupError(
            f"{tool} ({answer.strip()}) is older than the server (PostgreSQL {server}): "
            f"install postgresql-client-{server}"
        )
    return tool


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False)
    for line in result.stderr.splitlines():
        log.info("%s: %s", Path(command[0]).name, line)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed (exit {result.returncode}): {result.stderr.strip()}")


def _pg_dump(db: peewee.Database, partial: Path) -> None:
    tool = _pg_tool(db, "pg_dump")
    _run([tool, "--format=custom", f"--file={partial}"], _pg_environment(db))


def _pg_restore(db: peewee.Database, source: Path) -> None:
    tool = _pg_tool(db, "pg_restore")
    command = [tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    _run([*command, f"--dbname={db.database}", str(source)], _pg_environment(db))


def nightly_name(db: peewee.Database, now: dt.datetime) -> str:
    """The file name of a nightly backup taken at `now` (naive UTC)."""
    return BACKUP_NAME.format(stamp=now.strftime("%Y%m%dT%H%M%SZ"), suffix=SUFFIXES[kind_of(db)])


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest nightly backups in `folder` beyond the newest `keep`; return what was deleted."""
    found = sorted(path for path in folder.iterdir() if NIGHTLY_NAME.fullmatch(path.name))
    old = found[: max(len(found) - keep, 0)]
    for path in old:
        path.unlink()
        log.info("deleted the old backup %s (keeping %s)", path.name, keep)
    return old


@with_database
def nightly_backup() -> str:
    """Job (cron, NIGHTLY_BACKUP_CRON): back up into BACKUP_DIR, then keep its newest BACKUP_KEEP backups."""
    config = settings()
    folder = config.get("BACKUP_DIR")
    if not folder:
        log.info("BACKUP_DIR is not set: no nightly backup")
        return "off"
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = database.obj
    written = backup(db, folder / nightly_name(db, utcnow()))
    rotate(folder, int(config.get("BACKUP_KEEP") or DEFAULT_BACKUP_KEEP))
    return written.name
