"""The advocacy loop: reports (USSD and SMS), the SMS texts about cases, staff commands, status look-ups, and the
escalation of a case nobody has taken. Its rules and records are `models.case`, `models.case_terms` and
`models.report_draft`; its SMS texts are the catalogs' `case.` keys."""

from __future__ import annotations

from menus.feature import Feature, Sweep, fixed_sample, longest_label
from menus.features.cases import desk, drafts, jobs, referral, report, retention, status, talk
from models.case import Case, CaseEvent
from models.sending_policy import Purpose

RECORDS = Feature(
    name="cases",
    models=(Case, CaseEvent),
    purposes=(
        Purpose("escalation", staff_only=True, jumps_queue=True),
        Purpose("case_news", requested=True, waits_out_quiet_hours=True),
        # an organiser's own words to the reporter (BALAS): news about the case, so it waits out quiet hours
        Purpose("case_reply", requested=True, waits_out_quiet_hours=True),
    ),
    jobs=(jobs.escalate, retention.forget_expired_cases),
    sweeps=(Sweep("escalations", jobs.due_escalations), Sweep("retention", retention.due_forgetting)),
    sms_prefixes=("case.",),
    sms_samples={
        "urgent": longest_label("case.urgent_mark"),
        "category": longest_label("case.category_short."),
        "country": longest_label("country."),
        "for_whom": longest_label("case.for_short."),
        "status": longest_label("case.status_short."),
        "case_list": fixed_sample("K7M-3QX dibukak maneh, ACD-EFH ditampa, JKM-NPR diterusake, ..."),
        "contact": lambda catalogs, language: max(
            (
                catalogs.text(key, language, {"phone": "+886912345678"})
                for key in ("case.contact_safe", "case.contact_unsafe", "case.contact_hidden")
            ),
            key=len,
        ),
    },
)
"""The cases' records, message purposes, escalation and retention jobs and sweeps, and the samples of their SMS
texts."""

FEATURES = (report.FEATURE, status.FEATURE, drafts.FEATURE, desk.FEATURE, talk.FEATURE, referral.FEATURE, RECORDS)
