"""`backup --to FILE` and `restore --from FILE`: a consistent copy while the service runs, and back into an empty
database. Progress goes to stderr (the log), nothing to stdout; a refusal exits non-zero and says why."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import Flask

from models import database
from workers.backup import BackupError, backup, restore

log = logging.getLogger(__name__)


@click.command("backup")
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A new file (never one that exists).",
)
def backup_command(target: Path) -> None:
    """Write a consistent copy of the database to a new file while the service runs (it holds everything: keep it
    as safe as the server)."""
    try:
        backup(database.obj, target)
    except BackupError as error:
        raise click.ClickException(str(error)) from None


@click.command("restore")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file written by `backup` (or the nightly backup).",
)
def restore_command(source: Path) -> None:
    """Restore a backup into the database DATABASE_URL names, which must be empty (no tables); then `db upgrade`."""
    try:
        restore(database.obj, source)
    except BackupError as error:
        raise click.ClickException(str(error)) from None


def init_app(app: Flask) -> None:
    """Register `backup` and `restore`."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
