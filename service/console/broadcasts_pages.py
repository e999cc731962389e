"""The console's announcements (coordinators only; anyone else gets 404): `/console/broadcasts` lists them and
composes one (texts per language, a segment); the preview shows who gets it (and who was left out, why), each
language's text as it will go with its segments and cost, and when it will have gone out; confirming sends it; its
page shows the progress (sent, delivered, failed of the total: a bar that `static/broadcast-progress.js` updates
from the JSON endpoint where JavaScript is on, a refresh link where it is not) and, once done, the results; pause,
resume and cancel are POST forms. Sending, pausing, resuming and cancelling are audit events.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from menus.catalog import LANGUAGES
from menus.features.broadcasts import jobs
from menus.features.broadcasts.preview import preview
from models import Village, database
from models.audit import AuditEvent
from models.broadcast import Broadcast, BroadcastError, Segment, check_segment, check_texts
from models.person import STATUSES
from models.scope import sends_broadcasts
from models.settings import SETTINGS, to_local
from models.staff import Staff
from models.training import Training
from service.config import DEFAULT_SMS_COST
from service.console.auth import current_staff, login_required
from service.console.blueprint import bp
from service.console.texts import text
from workers.throttle import sends_per_minute

log = logging.getLogger(__name__)

ACTIONS = ("pause", "resume", "cancel")
"""What a coordinator may do to a broadcast on its page."""

TIME_FORMAT = "%Y-%m-%d %H:%M"

LIST_SIZE = 20
"""Broadcasts the list shows, newest first."""


def _coordinator() -> Staff:
    """The signed-in coordinator; 404 for anyone else (the pages do not exist for them)."""
    staff = current_staff()
    if not sends_broadcasts(staff):
        abort(404)
    return staff


def _form() -> tuple[dict[str, str], Segment]:
    """The texts and segment typed in the form (unchecked)."""
    texts = {lang: request.form.get(f"text_{lang}", "")[:2000] for lang in LANGUAGES}
    segment = Segment(
        *(request.form.get(name, "").strip()[:30] or None for name in ("village", "status", "language", "trained"))
    )
    return texts, segment


def _checked() -> tuple[dict[str, str], Segment]:
    """The form's texts and segment, checked (BroadcastError naming the field otherwise)."""
    texts, segment = _form()
    if segment.village and segment.village not in Village.names():
        raise BroadcastError("unknown village", "village")
    return check_texts(texts, SETTINGS.default_language, LANGUAGES), check_segment(segment, LANGUAGES)


def _compose(status: int = 200, error: str | None = None) -> ResponseReturnValue:
    """The list of broadcasts and the compose form (with what was typed, and the error, if any)."""
    texts, segment = _form()
    page = render_template(
        "console/broadcasts.html",
        broadcasts=_with_progress(Broadcast.latest(LIST_SIZE)),
        texts=texts,
        segment=segment,
        villages=Village.names(),
        statuses=STATUSES,
        languages=LANGUAGES,
        trainings=[t.code for t in Training.select(Training.code).order_by(Training.starts_at.desc()).limit(50)],
        error=error,
    )
    return page, status


def _with_progress(broadcasts: list[Broadcast]) -> list[tuple[Broadcast, dict[str, int]]]:
    """Each broadcast with its progress (one query for all)."""
    progress = Broadcast.progress_of(broadcasts)
    return [(b, progress[b.id]) for b in broadcasts]


def _error_key(error: BroadcastError) -> str:
    """The console text of a refused form: by the field at fault."""
    field = (error.field or "state").split("-")[0]
    return f"console.broadcast.error.{field}"


@bp.route("/broadcasts")
@login_required
def broadcasts() -> ResponseReturnValue:
    """The broadcasts, newest first, and the form to compose one."""
    _coordinator()
    return _compose()


@bp.route("/broadcasts/preview", methods=["POST"])
@login_required
def broadcast_preview() -> ResponseReturnValue:
    """What the composed broadcast will be: recipients, left out, texts, segments, cost, when it will have gone."""
    _coordinator()
    try:
        texts, segment = _checked()
    except BroadcastError as error:
        return _compose(400, _error_key(error))
    shown = preview(
        texts,
        segment,
        cost_per_segment=int(current_app.config.get("SMS_COST", DEFAULT_SMS_COST)),
        per_minute=sends_per_minute(current_app.config),
    )
    return render_template(
        "console/broadcast_preview.html",
        shown=shown,
        texts=texts,
        segment=segment,
        starts=to_local(shown.schedule.starts_at).strftime(TIME_FORMAT),
        ends=to_local(shown.schedule.ends_at).strftime(TIME_FORMAT) if shown.schedule.ends_at else None,
    )


@bp.route("/broadcasts/send", methods=["POST"])
@login_required
def broadcast_send() -> ResponseReturnValue:
    """Send the previewed broadcast (checked again) and show its progress."""
    staff = _coordinator()
    try:
        texts, segment = _checked()
    except BroadcastError as error:
        return _compose(400, _error_key(error))
    with database.atomic():
        broadcast = Broadcast.draft(texts, segment, staff.phone)
        AuditEvent.record(staff, "broadcast_sent", broadcast.id)
    count = jobs.begin(broadcast)
    log.info("console: staff %s sent broadcast %s to %s recipients", staff.id, broadcast.id, count)
    return redirect(url_for("console.broadcast", broadcast_id=broadcast.id), 303)


def _broadcast(broadcast_id: int) -> Broadcast:
    """The broadcast with this id, or 404."""
    found = Broadcast.get_or_none(Broadcast.id == broadcast_id)
    if found is None:
        abort(404)
    return found


@bp.route("/broadcasts/<int:broadcast_id>")
@login_required
def broadcast(broadcast_id: int) -> ResponseReturnValue:
    """One broadcast: its progress while it goes, its results afterwards, and what may be done to it."""
    _coordinator()
    found = _broadcast(broadcast_id)
    return render_template(
        "console/broadcast.html",
        broadcast=found,
        counts=found.progress(),
        texts=found.texts,
        created=to_local(found.created_at).strftime(TIME_FORMAT),
        resumes=to_local(found.resume_at).strftime(TIME_FORMAT) if found.resume_at else None,
        actions=_actions(found),
    )


@bp.route("/broadcasts/<int:broadcast_id>/progress")
@login_required
def broadcast_progress(broadcast_id: int) -> ResponseReturnValue:
    """The progress as JSON, for the page's script."""
    _coordinator()
    found = _broadcast(broadcast_id)
    return jsonify(
        {**found.progress(), "state": found.state, "state_label": text(f"console.broadcast.state.{found.state}")}
    )


@bp.route("/broadcasts/<int:broadcast_id>/<action>", methods=["POST"])
@login_required
def broadcast_action(broadcast_id: int, action: str) -> ResponseReturnValue:
    """Pause, resume or cancel a broadcast (refused, with a notice, if its state does not allow it)."""
    staff = _coordinator()
    if action not in ACTIONS:
        abort(404)
    found = _broadcast(broadcast_id)
    try:
        if action == "resume":
            jobs.resume(found)
        else:
            with database.atomic():
                found.pause() if action == "pause" else found.cancel()
        AuditEvent.record(staff, f"broadcast_{action}", found.id)
        flash(f"console.broadcast.done.{action}")
    except BroadcastError:
        flash("console.broadcast.error.state")
    return redirect(url_for("console.broadcast", broadcast_id=found.id), 303)


def _actions(broadcast: Broadcast) -> list[str]:
    """The actions its state allows."""
    return {"sending": ["pause", "cancel"], "paused": ["resume", "cancel"], "draft": ["cancel"]}.get(
        broadcast.state, []
    )
