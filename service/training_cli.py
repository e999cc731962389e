"""`flask --app service training add|list|cancel|move|attend`: the organisers' training calendar.

Times are typed in local time (TIMEZONE) and stored as UTC. Every change that concerns participants
tells them by SMS through the sending policy; the messages and the steps' jobs are enqueued after commit.
"""

from __future__ import annotations

import datetime as dt
import logging

import click
from flask.cli import AppGroup

from menus.features.trainings import calendar
from models.jobs import enqueue_after_commit
from models.message import Outgoing
from models.phones import InvalidPhone, to_e164
from models.training import Training
from models.training_terms import KINDS, TrainingError

log = logging.getLogger(__name__)

training_cli = AppGroup("training", help="Trainings: add, list, cancel, move, attendance.")


def parse_start(value: str) -> dt.datetime:
    """`YYYY-MM-DD HH:MM` in local time, as naive UTC; a clear error otherwise."""
    try:
        return calendar.parse_start(value)
    except TrainingError as error:
        raise click.BadParameter(str(error), param_hint="--starts") from None


def find(code: str) -> Training:
    """The training with this code, or a clear error naming it."""
    training = Training.by_code(code)
    if training is None:
        raise click.BadParameter(f"no training with code {code!r} (see `training list`)", param_hint="--code")
    return training


def _fail(error: TrainingError) -> None:
    """A refused change as a clear CLI error: naming the option at fault, or the training's state."""
    if error.field is None:
        raise click.ClickException(str(error))
    raise click.BadParameter(str(error), param_hint=f"--{error.field}")


@training_cli.command("add")
@click.option("--code", required=True, help="3 to 10 letters or digits, e.g. KOPI1.")
@click.option("--title", required=True)
@click.option("--starts", required=True, help='Local time, "YYYY-MM-DD HH:MM".')
@click.option("--place", required=True)
@click.option("--capacity", required=True, type=click.IntRange(min=1))
@click.option("--kind", type=click.Choice(KINDS), default="economic", show_default=True)
def training_add(code: str, title: str, starts: str, place: str, capacity: int, kind: str) -> None:
    """Add a planned training; its reminder and follow-ups are scheduled."""
    starts_at = parse_start(starts)
    try:
        training, jobs = calendar.add(code, title, kind, starts_at, place, capacity)
    except TrainingError as error:
        _fail(error)
    enqueue_after_commit(jobs)
    click.echo(
        f"training {training.code} added: {training.title}, {training.starts_label} at {training.place}, "
        f"{training.capacity} seats"
    )


@training_cli.command("list")
def training_list() -> None:
    """Every training, soonest first, with its seats and waiting list."""
    measures = Training.measures()
    trainings = list(Training.select().order_by(Training.starts_at, Training.code))
    if not trainings:
        click.echo("no trainings yet (add one with `training add`)")
    for training in trainings:
        counts = measures.get(training.id, {})
        click.echo(
            f"{training.code:<10} {training.starts_label} {training.status:<9} "
            f"{counts.get('signed_up', 0)}/{training.capacity} seats, {counts.get('waitlisted', 0)} waiting, "
            f"{counts.get('attended', 0)} attended  {training.title} ({training.place})"
        )


@training_cli.command("cancel")
@click.option("--code", required=True)
def training_cancel(code: str) -> None:
    """Cancel a training and tell everyone signed up or waiting, by SMS."""
    training = find(code)
    try:
        written = calendar.cancel(training)
    except TrainingError as error:
        _fail(error)
    enqueue_after_commit(written)
    click.echo(f"training {training.code} cancelled; {_told(written)}")


@training_cli.command("move")
@click.option("--code", required=True)
@click.option("--starts", default=None, help='New local start, "YYYY-MM-DD HH:MM".')
@click.option("--capacity", type=int, default=None, help="New number of seats (never below those signed up).")
def training_move(code: str, starts: str | None, capacity: int | None) -> None:
    """Move a training (its reminder and follow-ups move with it) or change its seats; participants are told."""
    if starts is None and capacity is None:
        raise click.UsageError("give --starts, --capacity or both")
    training = find(code)
    starts_at = parse_start(starts) if starts is not None else None
    try:
        written, after_commit = calendar.change(training, calendar.Change(starts_at=starts_at, capacity=capacity))
    except TrainingError as error:
        _fail(error)
    enqueue_after_commit(after_commit)
    click.echo(f"training {training.code}: {training.starts_label}, {training.capacity} seats; {_told(written)}")


@training_cli.command("attend")
@click.option("--code", required=True)
@click.option("--phone", "phones", required=True, multiple=True, help="A participant present (repeat the option).")
def training_attend(code: str, phones: tuple[str, ...]) -> None:
    """Mark participants attended (and the training held; the rest of the signed-up become absent)."""
    training = find(code)
    numbers = []
    for raw in phones:
        try:
            numbers.append(to_e164(raw))
        except InvalidPhone:
            raise click.BadParameter(f"{raw!r} is not a phone number", param_hint="--phone") from None
    try:
        marked, strangers = calendar.attend(training, numbers)
    except TrainingError as error:
        _fail(error)
    click.echo(
        f"training {training.code}: {len(marked)} marked attended"
        + (f"; not signed up: {', '.join(strangers)}" if strangers else "")
    )
    if strangers and not marked:
        raise SystemExit(1)


def _told(written: list[Outgoing]) -> str:
    told, refused = calendar.told_count(written)
    return f"{told} people told by SMS" + (f" ({refused} refused by the sending policy)" if refused else "")
