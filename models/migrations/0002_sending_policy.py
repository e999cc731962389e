"""The sending policy's marks: a staff member's language, and a person's number marked unsafe to contact."""
import peewee
from playhouse.migrate import migrate


def up(migrator, db) -> None:
    """Add staff.language and person.unsafe_at (both empty for existing rows)."""
    migrate(
        migrator.add_column("staff", "language", peewee.CharField(max_length=5, null=True)),
        migrator.add_column("person", "unsafe_at", peewee.DateTimeField(null=True)),
    )
