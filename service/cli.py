"""Command-line interface: `flask --app service NAME` (db, staff, training, export, worker, cron, sweep, demo,
menus)."""

from __future__ import annotations

import datetime as dt
import logging
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from menus.catalog import LANGUAGES
from menus.check import check
from menus.features import discover
from menus.features.trainings.jobs import training_specs
from menus.registry import build_registry
from models import Staff, Training, Village, database, utcnow
from models.audit import CLI_ACTOR, AuditEvent
from models.digest_period import PERIOD_KINDS
from models.jobs import enqueue_after_commit
from models.migrate import CodeOlderThanDatabase, upgrade
from models.phones import mask
from models.settings import to_local, to_utc
from models.staff import AGENCIES, ROLES
from models.staffing import StaffFieldError, checked_entry, save_staff, staffing_problems
from service import backup_cli, doctor, setup_cli
from service.broadcast_cli import broadcast_cli
from service.console import cli as console_cli
from service.digest_cli import digest_cli
from service.exports import DETAIL_FIELDS, EXPORTS, FORMATS, Counted, ExportOptions, stream
from service.gateway_cli import gateway_cli
from service.health import warn_at_start
from service.training_cli import training_cli
from workers.cron import build_scheduler
from workers.queues import redis
from workers.runner import run_worker
from workers.sweep import sweep

log = logging.getLogger(__name__)

db_cli = AppGroup("db", help="Database schema.")
staff_cli = AppGroup("staff", help="Organisers, coordinators and officials.")
demo_cli = AppGroup("demo", help="Demo data for a local run.")
menus_cli = AppGroup("menus", help="Menus and catalogs.")

DEMO_VILLAGES = ["Tracap", "Kaliwiro", "Pesodongan", "Gondowulan", "Lamuk", "Selomanik", "Tanjunganom", "Winongsari"]
DEMO_STAFF = [
    ("+6283000000001", "Siti Pengurus", "organizer", "Tracap"),
    ("+6283000000002", "Pak Bambang Disnakertrans", "official", None),
    ("+6283000000003", "Bu Rina Koordinator", "coordinator", None),
]
"""Demo staff on numbers that cannot be real: 0830 is a mobile prefix no Indonesian operator uses (they parse as
valid, so the simulator can use them; no SIM answers them)."""
DEMO_TRAININGS = [
    ("KOPI1", "Budidaya kopi", "economic", 7),
    ("AMAN1", "Migrasi aman", "education", 8),
]
"""Demo trainings: code, title, kind, and how many days after the day of the seed they start."""
DEMO_TRAINING_TIME = dt.time(8, 0)
"""The demo trainings start at this local time (TIMEZONE)."""
DEMO_TRAINING_PLACE = "Balai Desa Tracap"
DEMO_TRAINING_CAPACITY = 20


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the numbered migrations not applied yet."""
    try:
        applied = upgrade()
    except CodeOlderThanDatabase as error:
        raise click.ClickException(str(error)) from None
    log.info("database is up to date (%s applied now)", len(applied))


@staff_cli.command("add")
@click.option("--phone", required=True, help="Phone number (08…, 628… or +62…).")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--village", default=None)
@click.option(
    "--agency",
    default=None,
    type=click.Choice(AGENCIES, case_sensitive=False),
    help="An official's agency (default: disnaker); a village head has a village and no agency.",
)
@click.option(
    "--language",
    default=None,
    type=click.Choice(LANGUAGES),
    help="Language of the SMS this number gets (default: DEFAULT_LANGUAGE).",
)
def staff_add(phone: str, name: str, role: str, village: str | None, agency: str | None, language: str | None) -> None:
    """Add a staff member, or update the one with this phone."""
    try:
        entry = checked_entry(phone, name, role, village, agency, language, LANGUAGES)
    except StaffFieldError as error:
        raise click.BadParameter(str(error), param_hint=f"--{error.field}") from None
    with database.atomic():
        _, created = save_staff(entry)
        AuditEvent.record(CLI_ACTOR, "staff_added" if created else "staff_changed", entry.phone)
    log.info("staff %s (%s) saved as %s", entry.name, mask(entry.phone), role)


@click.command("export")
@click.argument("what", type=click.Choice(list(EXPORTS)))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--with-details", is_flag=True, help="cases: add each case's story and notes (personal data).")
@click.option(
    "--period", type=click.Choice(PERIOD_KINDS), default=None, help="digest: the last complete week (default) or month."
)
def export(what: str, fmt: str, with_details: bool, period: str | None) -> None:
    """Write records as a JSON array (or CSV) to stdout; logs go to stderr."""
    if with_details and what not in DETAIL_FIELDS:
        raise click.UsageError(f"--with-details applies to {', '.join(DETAIL_FIELDS)} only")
    if period is not None and what != "digest":
        raise click.UsageError("--period applies to digest only")
    AuditEvent.record(CLI_ACTOR, "export", what)  # before reading: `export audit` lists itself too
    counted = Counted(())
    for chunk in stream(what, fmt, ExportOptions(with_details, period or "week"), counted):
        sys.stdout.write(chunk)
    log.info("exported %s %s", counted.count, what)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker on every project queue, with the scheduler."""
    warn_at_start(current_app)
    run_worker(redis(), burst=burst)


@click.command("cron")
def cron() -> None:
    """Run RQ's cron scheduler with the project's periodic jobs (the sweep, the features' cron entries)."""
    build_scheduler(redis(), current_app.config["TIMEZONE"]).start()


@click.command("sweep")
def sweep_command() -> None:
    """Run the periodic sweep once: fire every kind of scheduled work that is due and whose job Redis lost."""
    fired = sweep()
    log.info("sweep: %s", ", ".join(f"{name} {count} fired" for name, count in fired.items()))


@demo_cli.command("seed")
def demo_seed() -> None:
    """Seed villages, one organiser, one coordinator, one official and two trainings (only what is missing); only
    with SMS_BACKEND=outbox, so demo staff never reach a deployment that sends real SMS."""
    if current_app.config["SMS_BACKEND"] != "outbox":
        raise click.ClickException(
            f"demo seed runs only with SMS_BACKEND=outbox (this is {current_app.config['SMS_BACKEND']}): "
            "demo staff would become real staff"
        )
    today = to_local(utcnow()).date()
    added: list[Training] = []
    with database.atomic():
        for position, name in enumerate(DEMO_VILLAGES):
            Village.get_or_create(name=name, defaults={"position": position})
        for phone, name, role, village in DEMO_STAFF:
            Staff.get_or_create(phone=phone, defaults={"name": name, "role": role, "village": village})
        for code, title, kind, days in DEMO_TRAININGS:
            if Training.by_code(code) is None:
                starts_at = to_utc(dt.datetime.combine(today + dt.timedelta(days=days), DEMO_TRAINING_TIME))
                added.append(Training.add(code, title, kind, starts_at, DEMO_TRAINING_PLACE, DEMO_TRAINING_CAPACITY))
    enqueue_after_commit([spec for training in added for spec in training_specs(training)])
    log.info(
        "demo data: %s villages, %s staff, %s trainings (%s added now)",
        Village.select().count(),
        Staff.select().count(),
        Training.select().count(),
        len(added),
    )


@menus_cli.command("check")
def menus_check() -> None:
    """Check every name the screens use resolves, and render every screen in every language."""
    villages = Village.names() if _has_tables() else None
    report = check(
        build_registry(discover(current_app.config.get("FEATURE_MODULES") or ()), strict=False), villages or None
    )
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    for unstaffed in staffing_problems() if villages is not None else ():  # a warning: staff come after the schema
        click.echo(f"warning: {unstaffed}", err=True)
    click.echo(f"menus check: {report.rendered} screens rendered, {len(report.problems)} problems", err=True)
    if not report.ok:
        sys.exit(1)


def _has_tables() -> bool:
    try:
        return Village.table_exists()
    except Exception:  # no database yet is fine for a static check
        return False


def init_app(app: Flask) -> None:
    """Register the CLI commands."""
    for command in (
        db_cli,
        staff_cli,
        demo_cli,
        menus_cli,
        training_cli,
        broadcast_cli,
        digest_cli,
        gateway_cli,
        export,
        worker,
        cron,
        sweep_command,
    ):
        app.cli.add_command(command)
    setup_cli.init_app(app, staff_cli)
    console_cli.init_app(staff_cli)
    doctor.init_app(app)
    backup_cli.init_app(app)
