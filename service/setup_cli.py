"""Setting up an organisation: `village add NAME [NAME…]`, `village list`, `staff list [--full]`, `staff remove
--phone P [--handover]` (DESIGN "Setting up and running an organisation")."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import cast

import click
from flask import Flask
from flask.cli import AppGroup
from peewee import fn

from menus.notify import notify
from menus.turn import Lookups
from models import Person, Staff, Village, database
from models.audit import CLI_ACTOR, AuditEvent
from models.gsm import fold_to_gsm7
from models.jobs import enqueue_after_commit
from models.message import Outgoing
from models.phones import InvalidPhone, mask, to_e164
from models.staff import StaffError
from models.staffing import Removal, VillageError, add_villages, remove_staff, staffing_problems

log = logging.getLogger(__name__)

village_cli = AppGroup("village", help="The villages registration offers.")

HANDOVER_CODES_SHOWN = 8
"""The most case codes the new holder's SMS lists (two segments at most); KASUS lists them all."""

ROLE_ORDER = {"organizer": 0, "coordinator": 1, "official": 2}


@village_cli.command("add")
@click.argument("names", nargs=-1, required=True)
def village_add(names: tuple[str, ...]) -> None:
    """Add villages at the end of the list (a name already there, in any case, is left as it is)."""
    try:
        with database.atomic():
            added, there = add_villages(list(names))
            for name in added:
                AuditEvent.record(CLI_ACTOR, "village_added", name)
    except VillageError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    for name in added:
        click.echo(f"added {name}")
    for name in there:
        click.echo(f"already there: {name}")
    click.echo(f"{len(Village.names())} villages")


@village_cli.command("list")
def village_list() -> None:
    """The villages in menu order, with the people registered in each."""
    counts = registered_by_village()
    names = Village.names()
    for position, name in enumerate(names, start=1):
        click.echo(f"{position}. {name} ({counts.get(name, 0)} registered)")
    if not names:
        click.echo("no villages yet: add them with `village add NAME [NAME...]`")


def registered_by_village() -> dict[str, int]:
    """How many people are registered in each village (by name; the console's village list too)."""
    return dict(
        cast(  # peewee's stubs type a `.tuples()` query as yielding model instances
            "Iterable[tuple[str, int]]",
            Person.select(Person.village, fn.COUNT(Person.id))
            .where(Person.village.is_null(False))
            .group_by(Person.village)
            .tuples(),
        )
    )


@click.command("list")
@click.option("--full", is_flag=True, help="Show whole phone numbers (personal data: mind who is watching).")
def staff_list(full: bool) -> None:
    """Every staff member: number (masked unless --full), name, role, village, agency, language, active."""
    members = sorted(Staff.select(), key=lambda s: (not s.active, ROLE_ORDER.get(s.role, 9), s.name.casefold(), s.id))
    rows = [("phone", "name", "role", "village", "agency", "language", "active")]
    rows += [
        (
            s.phone if full else mask(s.phone),
            s.name,
            s.role,
            s.village or "-",
            s.referral_agency or "-",
            s.language or "-",
            "yes" if s.active else "no",
        )
        for s in members
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())
    for problem in staffing_problems():
        click.echo(f"warning: {problem}", err=True)


@click.command("remove")
@click.option("--phone", required=True, help="The staff member's number (08…, 628… or +62…).")
@click.option(
    "--handover",
    is_flag=True,
    help="Hand their open cases to the first active coordinator (told by SMS) instead of refusing.",
)
def staff_remove(phone: str, handover: bool) -> None:
    """Take someone off the staff: history kept, no alerts, no commands; refused while they hold open cases
    unless --handover."""
    try:
        e164 = to_e164(phone)
    except InvalidPhone:
        raise click.BadParameter(f"{phone!r} is not a phone number", param_hint="--phone") from None
    try:
        with database.atomic():
            removal = remove_staff(e164, handover)
            told = tell_holder(removal)
            if removal.was_active:
                AuditEvent.record(CLI_ACTOR, "staff_removed", e164)
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    enqueue_after_commit([told] if told else [])
    staff = removal.staff
    if not removal.was_active:
        click.echo(f"{staff.name} ({mask(staff.phone)}) was already removed; nothing changed")
        return
    if removal.holder is not None:
        codes = ", ".join(case.display_code for case in removal.handed_over)
        click.echo(
            f"{len(removal.handed_over)} open case(s) handed to {removal.holder.name} "
            f"({mask(removal.holder.phone)}), told by SMS: {codes}"
        )
    click.echo(f"{staff.name} ({mask(staff.phone)}) removed: no alerts, no commands; their history is kept")
    log.info("staff %s removed (%s cases handed over)", mask(staff.phone), len(removal.handed_over))
    for problem in staffing_problems():
        click.echo(f"warning: {problem}", err=True)


def tell_holder(removal: Removal) -> Outgoing | None:
    """The new holder's SMS naming the cases handed to them (write it in the removal's transaction; the console too)."""
    if removal.holder is None or not removal.handed_over:
        return None
    codes = [case.display_code for case in removal.handed_over]
    shown = ", ".join(codes[:HANDOVER_CODES_SHOWN]) + (", ..." if len(codes) > HANDOVER_CODES_SHOWN else "")
    lookups = Lookups()
    lookups.remember_staff(removal.holder)
    params = {"count": str(len(codes)), "name": fold_to_gsm7(removal.staff.name), "codes": shown}
    return notify(removal.holder.phone, "staff.handover", params, "alert", lookups=lookups)


def init_app(app: Flask, staff_group: click.Group) -> None:
    """Register `village …` and add `list` and `remove` to the `staff` group."""
    staff_group.add_command(staff_list)
    staff_group.add_command(staff_remove)
    app.cli.add_command(village_cli)
