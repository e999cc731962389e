"""The data key: bound and checked at start (a wrong or missing key stops the service), and `keys rotate`."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from models import database
from models.crypto import (
    DataKeyError,
    DataKeys,
    bind_data_keys,
    check_data_key,
    data_keys,
    new_key,
    parse_keys,
    reencrypt_all,
)

log = logging.getLogger(__name__)

keys_cli = AppGroup("keys", help="The data key (DATA_KEY) that encrypts stories, notes, numbers and SMS texts.")


def check_at_start() -> None:
    """Open the database's check row with the bound keys; DataKeyError (the start stops) when they cannot."""
    opened_here = database.is_closed()
    try:
        check_data_key()
    finally:
        if opened_here and not database.is_closed():
            database.close()


def _write_key_file(path: Path, keys: list[str]) -> None:
    """Replace the generated key file (0600) in one step: a crash leaves the old file or the new, never half."""
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(",".join(keys) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _progress(line: str) -> None:
    click.echo(line, err=True)


@keys_cli.command("rotate")
@click.option(
    "--drop-old",
    is_flag=True,
    help="Do not add a key: re-encrypt under the first, check that nothing needs an older one, then drop the older.",
)
def rotate(drop_old: bool) -> None:
    """Re-encrypt every encrypted value under a new key, keeping the old key readable until done."""
    keys = data_keys()
    try:
        if drop_old:
            _drop_old(keys)
        elif keys.source is not None:
            fresh = DataKeys([new_key(), *keys.keys], keys.source)
            _write_key_file(keys.source, fresh.keys)  # the new key is kept before anything is encrypted with it
            bind_data_keys(fresh)
            _progress(f"added a new key first in {keys.source} (the older keys stay readable)")
            _reencrypt()
            _progress(
                f"done: every value is under the new key. The older keys stay in {keys.source} for processes still "
                "running with them: restart the web, worker and cron processes, then run "
                "`flask --app service keys rotate --drop-old` to remove them"
            )
        elif len(keys.keys) == 1:
            _progress(
                "DATA_KEY is set in the environment, which this command cannot change. Add a new key first: set "
                "DATA_KEY=<new key>,<current key> for every process (web, worker, cron), restart them, then run "
                f"`flask --app service keys rotate` again. A new key: {new_key()}"
            )
            sys.exit(1)
        else:
            _reencrypt()
            _progress(
                "done: every value is under DATA_KEY's first key. Once every process runs with it, run "
                "`flask --app service keys rotate --drop-old`, then set DATA_KEY to the first key alone"
            )
    except DataKeyError as error:
        raise click.ClickException(str(error)) from None


def _reencrypt(first_key_only: bool = False) -> None:
    rewritten = reencrypt_all(_progress, first_key_only=first_key_only)
    _progress(f"re-encrypted {rewritten} values")


def _drop_old(keys: DataKeys) -> None:
    if len(keys.keys) == 1:
        _progress("there is only one key: nothing to drop")
        return
    _reencrypt(first_key_only=True)
    if keys.source is None:
        _progress("done: no value needs an older key. Set DATA_KEY to its first key alone and restart every process")
        return
    _write_key_file(keys.source, keys.keys[:1])
    bind_data_keys(DataKeys(keys.keys[:1], keys.source))
    _progress(f"done: no value needs an older key; {keys.source} keeps the first key alone")


def init_app(app: Flask) -> None:
    """Bind the data keys from DATA_KEY (or the generated file), check them against the database, add `keys`."""
    source, configured = app.config.get("DATA_KEY_FILE"), app.config["DATA_KEY"]
    keys = parse_keys(configured) if isinstance(configured, str) else list(configured)
    bind_data_keys(DataKeys(keys, Path(source) if source else None))
    check_at_start()
    app.cli.add_command(keys_cli)
