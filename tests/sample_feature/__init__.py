"""A feature kept outside the service, to show that adding one touches only its own folder, its catalog texts and
its table: `INGATKAN <what>` asks "in how many minutes?" and texts the sender back then; staff ask `INGATAN` for
how many are waiting. It registers itself through the `FEATURE_MODULES` setting, nothing else.

Its keyword, screens, staff command, SMS purpose, model, job and sweep are all declared below.
"""

from __future__ import annotations

from pathlib import Path

from menus.feature import Feature, Keyword, StaffKeyword, Sweep, fixed_sample
from menus.screens import End, Input
from models.sending_policy import Purpose
from tests.sample_feature import jobs
from tests.sample_feature.conversation import ROOT, count_waiting, keep_reminder, start, validate_minutes, validate_what
from tests.sample_feature.reminder import Reminder

FEATURE = Feature(
    name="sample_reminders",
    roots=(ROOT,),
    screens=(
        Input(ROOT, "sample.ask_what", store="what", validator="sample_what", next="sample.minutes"),
        Input("sample.minutes", "sample.ask_minutes", store="minutes", validator="sample_minutes", next="sample.kept"),
        End("sample.kept", "sample.kept", action="sample_keep"),
    ),
    actions={"sample_keep": keep_reminder},
    validators={"sample_what": validate_what, "sample_minutes": validate_minutes},
    keywords=(Keyword("INGATKAN", ("REMIND",), start),),
    staff_commands=(StaffKeyword("INGATAN", count_waiting, lambda command: command.code.isdigit()),),
    models=(Reminder,),
    purposes=(Purpose("sample_reminder", requested=True),),
    jobs=(jobs.send_reminder,),
    sweeps=(Sweep("sample reminders", jobs.due_reminders),),
    sms_prefixes=("sample.sms.",),
    sms_samples={"what": fixed_sample("minum obat dan telepon ibu")},
    catalog_folder=Path(__file__).parent / "catalogs",
)
"""Reminders by SMS: the sample feature."""
