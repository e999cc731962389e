"""Downloads from the console (`/console/exports`): the CLI's exports (`service.exports`: the same records and the
same spreadsheet-safe CSV cells, byte for byte), as JSON or CSV.

Who may download what is `models.scope.exports_for` (coordinators everything; organisers cases, trainings and the
digest; officials and village heads the digest only); anything else is 404, as if it did not exist. An official's
digest holds only their own scope's record (`menus.features.digests.jobs.scope_of`: a regency official the whole
area, a village head their village), the record their SMS digest carries; coordinators and organisers get every
scope, as `export digest` writes. Case stories and notes (`--with-details`) are for coordinators only. Each
download is an audit event (`export`, what), recorded before it is read as the CLI does; a refused form changes
nothing. Downloads are streamed (written while the records are read) and carry `Content-Disposition: attachment`
and `no-store`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import Response, abort, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

from menus.features.digests.jobs import scope_of
from models import Staff, utcnow
from models.audit import AuditEvent
from models.digest_period import PERIOD_KINDS, last_complete
from models.phones import mask
from models.scope import exports_for, may_export_details
from models.settings import to_local
from service.console.auth import current_staff, login_required
from service.console.blueprint import bp
from service.console.texts import text
from service.exports import DETAIL_FIELDS, FORMATS, Counted, ExportOptions, stream

log = logging.getLogger(__name__)

MEDIA_TYPES = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def _allowed() -> tuple[Staff, tuple[str, ...]]:
    """The signed-in staff member and what they may export; 404 for someone who may export nothing."""
    staff = current_staff()
    allowed = exports_for(staff)
    if not allowed:
        abort(404)
    return staff, allowed


def digest_scope(staff: Staff) -> str | None:
    """Which digest record a staff member's export holds: None (every scope) for those who see every case,
    else their own scope (`scope_of`: `all` for a regency official, the village for a village head)."""
    return None if staff.role in ("coordinator", "organizer") else scope_of(staff)


def _page(allowed: tuple[str, ...], values: dict[str, str], error: str | None = None, status: int = 200):
    page = render_template(
        "console/exports.html",
        allowed=allowed,
        formats=FORMATS,
        periods=PERIOD_KINDS,
        values=values,
        details=may_export_details(current_staff()) and any(what in DETAIL_FIELDS for what in allowed),
        village_head=current_staff().role == "official" and bool(current_staff().village),
        error=error,
    )
    return page, status


@bp.route("/exports", methods=["GET", "POST"])
@login_required
def exports() -> ResponseReturnValue:
    """The form (what, format, the digest's period, a cases export's details) and, on POST, the download."""
    staff, allowed = _allowed()
    if request.method == "GET":
        return _page(allowed, {"what": allowed[0], "format": "csv", "period": "week"})
    values = {key: request.form.get(key, "")[:20] for key in ("what", "format", "period", "details")}
    what, fmt = values["what"], values["format"]
    with_details = values["details"] == "1"
    if what not in allowed or (with_details and not may_export_details(staff)):
        abort(404)
    if fmt not in FORMATS:
        return _page(allowed, values, text("console.exports.error.format"), 400)
    if what == "digest" and values["period"] not in PERIOD_KINDS:
        return _page(allowed, values, text("console.exports.error.period"), 400)
    if with_details and what not in DETAIL_FIELDS:
        return _page(allowed, values, text("console.exports.error.details"), 400)
    period = values["period"] if what == "digest" else "week"
    AuditEvent.record(staff, "export", what)  # before reading: the audit's own export lists itself, as the CLI's
    options = ExportOptions(with_details, period, digest_scope(staff) if what == "digest" else None)

    def chunks() -> Iterator[str]:
        counted = Counted(())
        yield from stream(what, fmt, options, counted)
        log.info("exported %s %s from the console by %s", counted.count, what, mask(staff.phone))

    response = Response(stream_with_context(chunks()), mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(what, fmt, period)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _filename(what: str, fmt: str, period: str) -> str:
    """`kawalmigran-<what>-<local date>.<fmt>`; a digest's names its period (`digest-week-<first day>`)."""
    if what == "digest":
        return f"kawalmigran-digest-{period}-{last_complete(period, utcnow()).first:%Y-%m-%d}.{fmt}"
    return f"kawalmigran-{what}-{to_local(utcnow()):%Y-%m-%d}.{fmt}"


exports.menu_shown_to = lambda staff: bool(exports_for(staff))  # type: ignore[attr-defined]
