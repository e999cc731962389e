"""Tasks for staff about one person (mentoring now, returnee visits next): `AMBIL <id>` takes one, `BERES <id> <note>`
closes it with an outcome, for organisers, coordinators and cadres. Its rules and records are `models.task`; its texts
(the SMS answers and the console's task list) are in its own `catalogs/` folder."""

from __future__ import annotations

from pathlib import Path

from menus.feature import Feature, fixed_sample, longest_label
from menus.features.tasks.commands import STAFF_COMMANDS
from models.task import Task

FEATURE = Feature(
    name="tasks",
    staff_commands=STAFF_COMMANDS,
    models=(Task,),
    sms_prefixes=("tasks.sms.",),
    sms_samples={"task_id": fixed_sample("999999"), "task_kind": longest_label("tasks.kind.")},
    catalog_folder=Path(__file__).parent / "catalogs",
)
"""The task commands and records; `task_id` is the sample of the task number other features' alerts carry too."""
