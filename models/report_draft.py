"""Answers of a USSD report kept while the session runs, so a dropped session does not lose the report."""

from __future__ import annotations

import datetime as dt
import json

import peewee

from models.base import BaseModel, PreparedInsert, hot_statements, prepared, utcnow
from models.crypto import EncryptedTextField

SILENCE = dt.timedelta(minutes=5)
"""A report session silent this long was dropped (telcos end sessions after about 180 s)."""


hot_statements("insert.report_draft.keep", "report_draft.discard")  # every report step after the problem is chosen


class ReportDraft(BaseModel):
    """One USSD session's report answers once the problem category is chosen; gone once the case is opened."""

    session_key = peewee.CharField(max_length=120, unique=True)
    phone = peewee.CharField(max_length=20)
    answers = EncryptedTextField()
    updated_at = peewee.DateTimeField(default=utcnow, index=True)

    @classmethod
    def keep(cls, session_key: str, phone: str, answers: dict[str, str]) -> None:
        """Store the answers so far (one row per session; a replayed step just rewrites them)."""
        DRAFT_UPSERT.execute(session_key=session_key, phone=phone, answers=json.dumps(answers), updated_at=utcnow())

    @classmethod
    def discard(cls, session_key: str) -> None:
        """Forget a session's draft (its case is open)."""
        cls._meta.database.execute_sql(
            prepared("report_draft.discard", lambda: cls.delete().where(cls.session_key == "")), (session_key,)
        )

    @classmethod
    def silent(cls, now: dt.datetime) -> peewee.ModelSelect[ReportDraft]:
        """Drafts whose session has been silent for SILENCE: dropped sessions."""
        return cls.select().where(cls.updated_at <= now - SILENCE)

    @classmethod
    def take(cls, session_key: str) -> tuple[str, dict[str, str]] | None:
        """Remove a session's draft and return (phone, answers); None if there is none (already taken)."""
        draft = cls.get_or_none(cls.session_key == session_key)
        if draft is None:
            return None
        if not cls.delete().where(cls.id == draft.id).execute():
            return None
        return draft.phone, json.loads(draft.answers)


DRAFT_UPSERT = PreparedInsert(
    "report_draft.keep",
    ReportDraft,
    ("session_key", "phone", "answers", "updated_at"),
    on_conflict={
        "conflict_target": [ReportDraft.session_key],
        "update": {ReportDraft.answers: peewee.EXCLUDED.answers, ReportDraft.updated_at: peewee.EXCLUDED.updated_at},
    },
)
"""The upsert behind `ReportDraft.keep`, on every report step once the problem is chosen."""
