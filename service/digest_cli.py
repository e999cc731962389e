"""`flask --app service digest send [--period week|month] [--dry-run]`: the digests, now, once per recipient."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from menus.features.digests.jobs import prepare, send
from models import utcnow
from models.digest_period import PERIOD_KINDS, last_complete
from models.phones import mask

digest_cli = AppGroup("digest", help="Digests for officials, village heads and coordinators.")


@digest_cli.command("send")
@click.option(
    "--period",
    type=click.Choice(PERIOD_KINDS),
    default="week",
    show_default=True,
    help="The last complete week (Monday-Sunday) or calendar month.",
)
@click.option("--dry-run", is_flag=True, help="Print each recipient's text; send nothing.")
def digest_send(period: str, dry_run: bool) -> None:
    """Send the period's digest to each official, village head and coordinator who has not had it."""
    chosen = last_complete(period, utcnow())
    if dry_run:
        digests = prepare(chosen)
        for digest in digests:
            click.echo(f"--- {mask(digest.staff.phone)} ({digest.staff.role}, {digest.scope})\n{digest.text}")
        click.echo(f"dry run: {len(digests)} digests for {period} {chosen.label}, nothing sent")
        return
    written = send(chosen)
    refused = sum(1 for outgoing in written if outgoing.refused)
    click.echo(
        f"{period} {chosen.label}: {len(written)} digests written now"
        + (f" ({refused} refused by the sending policy)" if refused else "")
        + "; recipients who had it already were skipped"
    )
