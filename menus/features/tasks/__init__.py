"""Tasks for staff about one person (mentoring now, returnee visits next): `AMBIL <id>` takes one, `BERES <id> <note>`
closes it with an outcome. Its rules and records are `models.task`."""

from __future__ import annotations

from menus.feature import Feature, fixed_sample
from models.task import Task

FEATURE = Feature(
    name="tasks",
    models=(Task,),
    sms_samples={"task_id": fixed_sample("99999")},
)
"""The tasks' records, and the sample of the task number other features' alerts carry."""
