"""`flask --app service broadcast send|list|pause|resume|cancel`: announcements to a segment of registered people.

`send` has no prompt: `--dry-run` prints the preview (recipients, who was left out and why, each language's text
as it will go with its segments and cost, when it will have gone out) and sends nothing; without it the same
preview is printed and the broadcast starts. The default language's text is `--text`; `--text-jv` and `--text-en`
give the other languages' (those without one get the default language's).
"""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from menus.catalog import LANGUAGES
from menus.features.broadcasts import jobs
from menus.features.broadcasts.preview import Preview, preview
from models import database
from models.audit import CLI_ACTOR, AuditEvent
from models.broadcast import Broadcast, BroadcastError, Segment, check_segment, check_texts
from models.settings import SETTINGS, to_local
from service.config import DEFAULT_SMS_COST
from workers.throttle import sends_per_minute

log = logging.getLogger(__name__)

broadcast_cli = AppGroup("broadcast", help="Announcements: send (or preview), list, pause, resume, cancel.")

TIME_FORMAT = "%Y-%m-%d %H:%M"

REASONS = {"opted_out": "opted out (BERHENTI)", "unsafe": "marked unsafe", "staff": "staff", "abroad": "abroad"}
"""How the CLI names why someone was left out."""


def sms_cost() -> int:
    """SMS_COST: rupiah a segment."""
    return int(current_app.config.get("SMS_COST", DEFAULT_SMS_COST))


def broadcast_preview(texts: dict[str, str], segment: Segment) -> Preview:
    """The preview with this service's SMS_COST and the gateway's sends a minute."""
    return preview(texts, segment, cost_per_segment=sms_cost(), per_minute=sends_per_minute(current_app.config))


def rupiah(amount: int) -> str:
    """An amount as Indonesians write it: dots between thousands."""
    return f"{amount:,}".replace(",", ".")


def preview_lines(shown: Preview) -> list[str]:
    """The preview as the CLI prints it."""
    lines = [f"recipients: {shown.recipients}"]
    lines += [f"  left out, {REASONS[reason]}: {count}" for reason, count in shown.left_out.items()]
    for text in shown.texts:
        lines.append(
            f"[{text.language}] {text.recipients} recipients, {text.segments} segment(s) {text.encoding}, "
            f"Rp {rupiah(text.cost)}"
        )
        lines.append(f"  {text.text}")
    lines.append(f"cost: Rp {rupiah(shown.cost)} ({shown.segments} segments)")
    plan = shown.schedule
    rate = f"{plan.per_minute} a minute" if plan.per_minute else "no throttle"
    lines.append(f"starts: {to_local(plan.starts_at):{TIME_FORMAT}} (local)")
    ends = f"{to_local(plan.ends_at):{TIME_FORMAT}}" if plan.ends_at else "more than a year"
    lines.append(
        f"done by: {ends} (local), over {plan.days} day(s): broadcasts' share {plan.share_per_day} a day, "
        f"{plan.share_left_today} left today; gateway {rate}"
    )
    return lines


def _fail(error: BroadcastError) -> None:
    """A refused broadcast as a clear CLI error naming the option at fault."""
    if error.field is None:
        raise click.ClickException(str(error))
    raise click.BadParameter(str(error), param_hint=f"--{error.field}")


def find(broadcast_id: int) -> Broadcast:
    """The broadcast with this id, or a clear error."""
    found = Broadcast.get_or_none(Broadcast.id == broadcast_id)
    if found is None:
        raise click.BadParameter(f"no broadcast {broadcast_id} (see `broadcast list`)", param_hint="ID")
    return found


@broadcast_cli.command("send")
@click.option("--text", "text_default", required=True, help="The text in the default language (DEFAULT_LANGUAGE).")
@click.option("--text-id", "text_id", default=None, help="The Indonesian text, if the default language is another.")
@click.option("--text-jv", "text_jv", default=None, help="The Javanese (krama) text; without it: the default text.")
@click.option("--text-en", "text_en", default=None, help="The English text; without it: the default text.")
@click.option("--village", default=None)
@click.option("--status", default=None, help="calon, aktif, purna or keluarga.")
@click.option("--language", default=None, help="Only people who chose this language (id, jv, en).")
@click.option("--trained", default=None, help="Only people who attended this training (its code).")
@click.option("--dry-run", is_flag=True, help="Print the preview and send nothing.")
def send_command(
    text_default: str,
    text_id: str | None,
    text_jv: str | None,
    text_en: str | None,
    village: str | None,
    status: str | None,
    language: str | None,
    trained: str | None,
    dry_run: bool,
) -> None:
    """Send a text to a segment of registered people (opted-out, unsafe, staff and numbers abroad left out)."""
    given = {"id": text_id, "jv": text_jv, "en": text_en}
    texts = {lang: value for lang, value in given.items() if value}
    texts[SETTINGS.default_language] = text_default
    try:
        texts = check_texts(texts, SETTINGS.default_language, LANGUAGES)
        segment = check_segment(Segment(village or None, status or None, language or None, trained or None), LANGUAGES)
    except BroadcastError as error:
        _fail(error)
        return
    shown = broadcast_preview(texts, segment)
    for line in preview_lines(shown):
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing sent")
        return
    if not shown.recipients:
        raise click.ClickException("nobody to send to: nothing sent")
    with database.atomic():
        broadcast = Broadcast.draft(texts, segment, CLI_ACTOR)
        AuditEvent.record(CLI_ACTOR, "broadcast_sent", broadcast.id)
    count = jobs.begin(broadcast)
    click.echo(f"broadcast {broadcast.id}: sending to {count} recipients")


@broadcast_cli.command("list")
def list_command() -> None:
    """The latest broadcasts: id, state, sent/delivered/failed of total, segment, first words."""
    for broadcast in Broadcast.latest():
        counts = broadcast.progress()
        segment = ", ".join(f"{k}={v}" for k, v in broadcast.segment.describe().items()) or "everyone"
        words = broadcast.text_for(None, SETTINGS.default_language)[:40]
        click.echo(
            f"{broadcast.id}\t{broadcast.state}\t{counts['sent'] + counts['delivered']}/{counts['delivered']}/"
            f"{counts['failed']} of {counts['total']}\t{segment}\t{words}"
        )


def _change(broadcast_id: int, action: str) -> None:
    """Pause, resume or cancel a broadcast; a clear error if its state does not allow it."""
    broadcast = find(broadcast_id)
    try:
        if action == "resume":
            jobs.resume(broadcast)
        else:
            with database.atomic():
                broadcast.pause() if action == "pause" else broadcast.cancel()
        AuditEvent.record(CLI_ACTOR, f"broadcast_{action}", broadcast.id)
    except BroadcastError as error:
        _fail(error)
    click.echo(f"broadcast {broadcast.id}: {Broadcast.get_by_id(broadcast.id).state}")


@broadcast_cli.command("pause")
@click.argument("broadcast_id", type=int, metavar="ID")
def pause_command(broadcast_id: int) -> None:
    """Stop a broadcast's further batches (resume goes on from there)."""
    _change(broadcast_id, "pause")


@broadcast_cli.command("resume")
@click.argument("broadcast_id", type=int, metavar="ID")
def resume_command(broadcast_id: int) -> None:
    """Go on with a paused broadcast."""
    _change(broadcast_id, "resume")


@broadcast_cli.command("cancel")
@click.argument("broadcast_id", type=int, metavar="ID")
def cancel_command(broadcast_id: int) -> None:
    """Send no more of a broadcast (what was already handed to the sender goes)."""
    _change(broadcast_id, "cancel")
