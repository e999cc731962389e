"""Trainings: sign-up and waiting list (USSD and SMS), attendance by staff SMS, the reminder and the follow-ups and
their answers. Its rules and records are `models.training` and `models.training_terms`; its SMS texts the
catalogs' `training.` keys."""

from __future__ import annotations

from menus.feature import Feature, Sweep, fixed_sample
from menus.features.trainings import attendance, followup, jobs, signup, walk_ins
from models.sending_policy import Purpose
from models.training import Enrollment, Training, TrainingStep

RECORDS = Feature(
    name="trainings",
    models=(Training, TrainingStep, Enrollment),
    purposes=(
        Purpose("reminder", requested=True, waits_out_quiet_hours=True),
        Purpose("followup", requested=True, waits_out_quiet_hours=True),
        Purpose("training_news", requested=True, waits_out_quiet_hours=True),
    ),
    jobs=(jobs.run_step,),
    sweeps=(Sweep("training steps", jobs.due_steps),),
    sms_prefixes=("training.sms.", "training.staff.", "training.mentoring."),
    sms_samples={
        "title": fixed_sample("Budidaya kopi dan pengolahan pasca panen"),
        "date": fixed_sample("31/12 08:00"),
        "place": fixed_sample("Balai Desa Tanjunganom Kidul K"),
        "seats": fixed_sample("999"),
        "training_list": fixed_sample(
            "KOPI1 Budidaya kopi arabika 12/12 08:00; TERNAK2 Ternak kambing dan ayam 14/12 "
            "09:00; AMAN3 Migrasi aman ke Hong Kong 20/12 08:00; ..."
        ),
        "marked": fixed_sample("...4567, ...8910, ...1112, ...1314, ...1516, ...1718, ...1920, ...2122"),
        "others": fixed_sample("...2324, ...2526, 0812abc, 12345"),
    },
)
"""The trainings' records, message purposes, scheduled steps and sweep, and the samples of their SMS texts."""

FEATURES = (signup.FEATURE, attendance.FEATURE, followup.FEATURE, walk_ins.FEATURE, RECORDS)
