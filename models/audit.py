"""Who looked at what: every opening of a case or a person's page in the console, and every export."""

from __future__ import annotations

import peewee

from models.base import BaseModel, iso_utc, utcnow
from models.staff import Staff

KINDS = (
    "case_opened",
    "person_opened",
    "export",
    "staff_added",
    "staff_changed",
    "staff_removed",
    "village_added",
    "broadcast_sent",
    "broadcast_pause",
    "broadcast_resume",
    "broadcast_cancel",
)
"""What an audit event records: a case page opened (target: its code), a person's page opened (target: the person's
id), an export (target: what was exported, e.g. `cases`), a staff member added, changed or removed in the console
or on the command line (target: their phone), a village added (target: its name), a broadcast sent, paused,
resumed or cancelled (target: its id)."""

CLI_ACTOR = "cli"
"""The actor of what was done on the server's command line (`export …`, `staff add`, `staff remove`, `village
add`), where no staff member signed in."""

EXPORT_FIELDS = ("created_at", "actor", "kind", "target")
"""The fields of `export audit`."""


class AuditEvent(BaseModel):
    """One audit event: who (a staff phone, or `cli`), when, what (KINDS) and of which target."""

    actor = peewee.CharField(max_length=20)
    kind = peewee.CharField(max_length=16)
    target = peewee.CharField(max_length=40)
    created_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "audit_event"
        indexes = ((("kind", "target", "created_at"), False),)

    @classmethod
    def record(cls, staff: Staff | str, kind: str, target: str | int) -> AuditEvent:
        """Record that `staff` (a staff member, or CLI_ACTOR) did `kind` to `target`, now."""
        if kind not in KINDS:
            raise ValueError(f"audit kind must be one of {', '.join(KINDS)}, got {kind!r}")
        actor = staff.phone if isinstance(staff, Staff) else staff
        return cls.create(actor=actor, kind=kind, target=str(target)[:40])

    @classmethod
    def of_target(cls, kind: str, target: str | int, limit: int = 50) -> list[AuditEvent]:
        """The latest events of one kind on one target, newest first (who has looked at a case)."""
        return list(
            cls.select()
            .where((cls.kind == kind) & (cls.target == str(target)))
            .order_by(cls.created_at.desc(), cls.id.desc())
            .limit(limit)
        )

    def to_export(self) -> dict[str, object]:
        """The flat record `export audit` writes."""
        return {"created_at": iso_utc(self.created_at), "actor": self.actor, "kind": self.kind, "target": self.target}
