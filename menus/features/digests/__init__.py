"""Digests for officials, village heads and coordinators: figures only, weekly and monthly, once per recipient and
period. Its figures are `models.digest_figures` and `models.digest_period`, its record `models.digest_delivery`;
its SMS texts the catalogs' `digest.` keys."""

from __future__ import annotations

from menus.feature import CronEntry, Feature, Sweep, fixed_sample
from menus.features.digests import jobs
from models.digest_delivery import DigestDelivery
from models.sending_policy import Purpose

FEATURE = Feature(
    name="digests",
    models=(DigestDelivery,),
    purposes=(Purpose("digest", staff_only=True, waits_out_quiet_hours=True),),
    jobs=(jobs.send_digests,),
    sweeps=(Sweep("digests", jobs.due_digests),),
    cron=(
        CronEntry(jobs.weekly_digests, "0 7 * * 1"),  # Mondays 07:00 local: last week
        CronEntry(jobs.monthly_digests, "0 7 1 * *"),  # the 1st at 07:00 local: last month
    ),
    sms_prefixes=("digest.",),
    sms_samples={
        "period": fixed_sample("28/12-3/1"),
        "scope": fixed_sample("Kemiriombo Kidul Wetan Lor Jaya"),
        "held": fixed_sample("999"),
        "attended": fixed_sample("9999"),
        "applied": fixed_sample("9999"),
        "answered": fixed_sample("9999"),
        "open": fixed_sample("9999"),
        "overdue": fixed_sample("999"),
        "referred": fixed_sample("999"),
        "resolved": fixed_sample("999"),
        "detail": fixed_sample("Siti 12, Ani 9, Bambang 7, Wiwit 3"),
    },
)
"""Digests: their delivery record, purpose, job, cron entries and make-up sweep, and the samples of their texts."""
