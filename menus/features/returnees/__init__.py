"""Returnees: a person registered (or changed) to purna opens a visit for their village's organisers and cadres
(KUNJUNG, CATAT KUNJUNG), reminded after 7 days and passed to the coordinators after 14 while untaken; check-ins
1, 3, 6 and 12 months after the return. Its rules and records are `models.returnee` (and the visit and mentoring
tasks `models.task`); its texts are in its own catalogs folder (`returnee.` keys)."""

from __future__ import annotations

from pathlib import Path

from menus.feature import Feature, Sweep
from menus.features.returnees import checkins, jobs, visits
from models.returnee import Returnee, ReturneeStep
from models.sending_policy import Purpose

RECORDS = Feature(
    name="returnees",
    models=(Returnee, ReturneeStep),
    purposes=(
        Purpose("visit_task", staff_only=True, waits_out_quiet_hours=True),
        Purpose("checkin", waits_out_quiet_hours=True),
        Purpose("returnee_news", requested=True, waits_out_quiet_hours=True),
    ),
    jobs=(jobs.run_step,),
    sweeps=(Sweep("returnee steps", jobs.due_steps),),
    sms_prefixes=("returnee.sms.",),
    catalog_folder=Path(__file__).parent / "catalogs",
)
"""The returnees' records, message purposes, scheduled steps and sweep."""

FEATURES = (checkins.FEATURE, visits.FEATURE, RECORDS)
