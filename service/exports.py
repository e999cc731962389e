"""The exports (DESIGN "Exports"): what each one holds and how it is written, as JSON or spreadsheet-safe CSV.

One module for the command line (`export …`, service/cli.py) and the console's downloads
(service/console/exports_pages.py): the same records, fields and cells byte for byte. Who may export what is the
caller's rule; recording the export in the audit too (`models.audit.AuditEvent.record(actor, "export", what)`,
before reading, so `export audit` lists itself). Records are read and written as a stream (`stream`): a district's
200,000 people never sit in memory at once, and a download starts at once.
"""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from peewee import fn

from menus.features.digests.jobs import village_heads_villages
from models import Case, CaseEvent, Message, Person, Training, utcnow
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


Record = dict[str, object]
Rows = Callable[[ExportOptions], Iterable[Record]]


def _rows_of(model: type[Person] | type[Message], order: object) -> Rows:
    def rows(options: ExportOptions) -> Iterator[Record]:
        return (row.to_export() for row in model.select().order_by(order, model.id).iterator())

    return rows


EXPORTED_CASE_COLUMNS = (
    Case.id, Case.code, Case.status, Case.category, Case.severity, Case.country, Case.village, Case.created_at,
    Case.acknowledged_at, Case.resolved_at,
)  # fmt: skip
"""What a case's record is made of: without details, nothing encrypted is read (or decrypted)."""


def _case_rows(options: ExportOptions) -> Iterator[Record]:
    events = CaseEvent.select(fn.COUNT(CaseEvent.id)).where(CaseEvent.case == Case.id)
    columns = (Case,) if options.with_details else EXPORTED_CASE_COLUMNS
    query = Case.select(*columns, events.alias("event_count")).order_by(Case.created_at, Case.id)
    return (case.to_export(options.with_details, events=case.event_count) for case in query.iterator())


def _training_rows(options: ExportOptions) -> list[Record]:
    measures = Training.measures()  # counted once, by SQL aggregates
    return [row.to_export(measures.get(row.id)) for row in Training.select().order_by(Training.starts_at, Training.id)]


def _digest_rows(options: ExportOptions) -> list[Record]:
    villages = village_heads_villages() if options.scope in (None, ALL) else [options.scope]
    figures = compute(last_complete(options.period, utcnow()), villages, utcnow())
    return [f.to_export() for f in figures.values() if options.scope in (None, f.scope)]


def _audit_rows(options: ExportOptions) -> Iterator[Record]:
    return (event.to_export() for event in AuditEvent.select().order_by(AuditEvent.id).iterator())


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
        _case_rows,
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


def rows_of(what: str, options: ExportOptions) -> Iterable[Record]:
    """The records of export `what`, read as they are written."""
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


CHUNK = 64 * 1024
"""About how many characters a stream gives at a time."""


def json_chunks(rows: Iterable[Record]) -> Iterator[str]:
    """The records as the JSON array an export writes, in pieces: exactly `json.dumps(rows, ensure_ascii=False,
    indent=1)` and a newline (each record is that array's item: one level deeper, one space more)."""
    opened = False
    for row in rows:
        yield ("[\n" if not opened else ",\n") + textwrap.indent(json.dumps(row, ensure_ascii=False, indent=1), " ")
        opened = True
    yield "\n]\n" if opened else "[]\n"


def csv_chunks(fields: list[str], rows: Iterable[Record]) -> Iterator[str]:
    """The records as CSV with a header row, every cell spreadsheet-safe, in pieces."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({field: spreadsheet_safe(field, value) for field, value in row.items()})
        if out.tell() >= CHUNK:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _batched(pieces: Iterable[str]) -> Iterator[str]:
    """Small pieces joined into chunks of about CHUNK characters (one write, one HTTP chunk each)."""
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(batch)
            batch, size = [], 0
    if batch:
        yield "".join(batch)


@dataclass
class Counted:
    """Records passing through, counted (how many an export wrote, known once it is written)."""

    rows: Iterable[Record]
    count: int = field(default=0)

    def __iter__(self) -> Iterator[Record]:
        for row in self.rows:
            self.count += 1
            yield row


def stream(what: str, fmt: str, options: ExportOptions, counted: Counted | None = None) -> Iterator[str]:
    """Export `what` in `fmt` (`json` or `csv`) as text chunks; the records are read while it is written. Pass
    `counted` (its rows are ignored) to learn how many records were written."""
    rows = Counted(rows_of(what, options))
    pieces = json_chunks(rows) if fmt == "json" else csv_chunks(fields_of(what, options), rows)
    yield from _batched(pieces)
    if counted is not None:
        counted.count = rows.count


def render(what: str, fmt: str, options: ExportOptions) -> tuple[str, int]:
    """Export `what` in `fmt` whole: the text and how many records it holds (tests, small exports)."""
    counted = Counted(())
    text = "".join(stream(what, fmt, options, counted))
    return text, counted.count
