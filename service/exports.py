"""The exports (DESIGN "Exports"): what each one holds and how it is written, as JSON or spreadsheet-safe CSV.

One module for the command line (`export …`, service/cli.py) and the console's downloads
(service/console/exports_pages.py): the same records, fields and cells byte for byte. Who may export what is the
caller's rule; recording the export in the audit too (`models.audit.AuditEvent.record(actor, "export", what)`,
before reading, so `export audit` lists itself).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from menus.features.digests.jobs import village_heads_villages
from models import Case, Message, Person, Training, utcnow
from models.audit import EXPORT_FIELDS as AUDIT_FIELDS
from models.audit import AuditEvent
from models.digest_figures import ALL, compute
from models.digest_figures import EXPORT_FIELDS as DIGEST_FIELDS
from models.digest_period import last_complete

FORMATS = ("json", "csv")


@dataclass(frozen=True)
class ExportOptions:
    """What an export was asked for besides its name."""

    with_details: bool = False
    period: str = "week"
    scope: str | None = None
    """digest: only this scope's record (`all` or a village); None: every scope, as `export digest` writes."""


Rows = Callable[[ExportOptions], list[dict[str, object]]]


def _rows_of(model: type[Person] | type[Message] | type[Case], order: object) -> Rows:
    def rows(options: ExportOptions) -> list[dict[str, object]]:
        details = {"with_details": True} if options.with_details else {}
        return [row.to_export(**details) for row in model.select().order_by(order, model.id)]

    return rows


def _training_rows(options: ExportOptions) -> list[dict[str, object]]:
    measures = Training.measures()  # counted once, by SQL aggregates
    return [row.to_export(measures.get(row.id)) for row in Training.select().order_by(Training.starts_at, Training.id)]


def _digest_rows(options: ExportOptions) -> list[dict[str, object]]:
    villages = village_heads_villages() if options.scope in (None, ALL) else [options.scope]
    figures = compute(last_complete(options.period, utcnow()), villages, utcnow())
    return [f.to_export() for f in figures.values() if options.scope in (None, f.scope)]


def _audit_rows(options: ExportOptions) -> list[dict[str, object]]:
    return [event.to_export() for event in AuditEvent.select().order_by(AuditEvent.id)]


EXPORTS: dict[str, tuple[list[str], Rows]] = {
    "people": (
        ["phone", "name", "village", "status", "country", "language", "consent_at", "opted_out_at", "created_at"],
        _rows_of(Person, Person.created_at),
    ),
    "messages": (
        [
            "id",
            "phone",
            "direction",
            "purpose",
            "status",
            "provider_id",
            "segments",
            "encoding",
            "attempts",
            "last_error",
            "created_at",
        ],
        _rows_of(Message, Message.id),
    ),
    "cases": (
        [
            "code",
            "status",
            "category",
            "severity",
            "country",
            "village",
            "created_at",
            "acknowledged_at",
            "resolved_at",
            "events",
        ],
        _rows_of(Case, Case.created_at),
    ),
    "trainings": (
        [
            "code",
            "title",
            "kind",
            "starts",
            "place",
            "capacity",
            "status",
            "signed_up",
            "waitlisted",
            "attended",
            "applied",
            "needs_help",
        ],
        _training_rows,
    ),
    "digest": (list(DIGEST_FIELDS), _digest_rows),
    "audit": (list(AUDIT_FIELDS), _audit_rows),
}
"""Every export: its fields (DESIGN "Exports") and how its records are read."""

DETAIL_FIELDS = {"cases": ["story", "notes"]}
"""What `--with-details` adds, per export (the stories and notes of cases: personal, never exported by default)."""


def fields_of(what: str, options: ExportOptions) -> list[str]:
    """The columns of export `what` (with the detail fields when asked for and it has them)."""
    fields = EXPORTS[what][0]
    return fields + DETAIL_FIELDS.get(what, []) if options.with_details else list(fields)


def rows_of(what: str, options: ExportOptions) -> list[dict[str, object]]:
    """The records of export `what`."""
    return EXPORTS[what][1](options)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a CSV cell as a formula (OWASP's CSV injection list)."""

E164_FIELDS = frozenset({"phone", "actor"})
"""Columns that hold a validated E.164 number: `+` and digits only, never a formula, so left as they are."""

_E164 = re.compile(r"\+[0-9]{1,15}")


def spreadsheet_safe(field: str, value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a leading `'` before = + - @ (a name such as =HYPERLINK(…) or a
    village "+1"), except an E.164 number in a phone column, which a program reading the export would otherwise
    have to unquote."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if field in E164_FIELDS and _E164.fullmatch(value):
        return value
    return "'" + value


def as_json(rows: list[dict[str, object]]) -> str:
    """The records as the JSON array an export writes (one line per field, a newline at the end)."""
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def as_csv(fields: list[str], rows: list[dict[str, object]]) -> str:
    """The records as CSV with a header row, every cell spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({field: spreadsheet_safe(field, value) for field, value in row.items()} for row in rows)
    return out.getvalue()


def render(what: str, fmt: str, options: ExportOptions) -> tuple[str, int]:
    """Export `what` in `fmt` (`json` or `csv`): the text and how many records it holds."""
    rows = rows_of(what, options)
    text = as_json(rows) if fmt == "json" else as_csv(fields_of(what, options), rows)
    return text, len(rows)
