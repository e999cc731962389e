"""`staff set-password --phone P`: a one-time code for a staff member's first console password, on the server."""

from __future__ import annotations

import logging

import click

from models import Staff, database
from models.console import CODE_VALID, ResetCode
from models.phones import InvalidPhone, mask, to_e164

log = logging.getLogger(__name__)


@click.command("set-password")
@click.option("--phone", required=True, help="The staff member's number (08…, 628… or +62…).")
def staff_set_password(phone: str) -> None:
    """Print a one-time code to set this staff member's console password at /console/password (no SMS sent):
    for the first coordinator, or when SMS cannot reach them. Earlier codes stop working."""
    try:
        e164 = to_e164(phone)
    except InvalidPhone:
        raise click.BadParameter(f"{phone!r} is not a phone number", param_hint="--phone") from None
    staff = Staff.for_phone(e164)
    if staff is None:
        raise click.ClickException(f"{mask(e164)} is not an active staff number (add it with `staff add`)")
    with database.atomic():
        code = ResetCode.issue(staff)
    log.info("console code made on the command line for staff %s (%s)", staff.id, mask(e164))
    click.echo(
        f"One-time code for {staff.name}: {code}\n"
        f"Valid {CODE_VALID.seconds // 60} minutes. Open /console/password, type the number {e164}, "
        "choose 'I have a code', then this code and the new password."
    )


def init_app(staff_group: click.Group) -> None:
    """Add `set-password` to the `staff` group."""
    staff_group.add_command(staff_set_password)
