"""Digests for officials, village heads and coordinators: every Monday 07:00 (last week), every 1st 07:00
(last month), and on `digest send`. One digest per recipient and period: a `DigestDelivery` row decides, in
the transaction that writes the SMS, so the cron, the command, a repeat and a worker that died midway
together still send each digest once. The sweep sends a period's digests late if the cron missed them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from menus.features.digests.texts import render
from menus.notify import language_for, send_text
from menus.turn import Lookups
from models import DigestDelivery, Staff, database, utcnow
from models.digest_figures import ALL, Figures, compute, waiting_by_organiser
from models.digest_period import Period, last_complete
from models.jobs import DEFAULT_QUEUE, JobSpec, enqueue_after_commit, job_path, with_database
from models.message import Outgoing
from models.migrate import deployed_at
from models.phones import mask
from models.settings import to_local

log = logging.getLogger(__name__)

DIGEST_ROLES = ("official", "coordinator")
SEND_HOUR = 7
"""Digests are due at 07:00 local: Mondays for the week, the 1st for the month."""
MAKE_UP_WINDOW = dt.timedelta(days=2)
"""How long after its send time a digest the cron missed is still sent by the sweep (later it is stale news)."""


@dataclass(frozen=True)
class Digest:
    """One recipient's digest of one period: who, which scope, the text."""

    staff: Staff
    scope: str
    text: str


def scope_of(member: Staff) -> str:
    """A village head (an official with a village) sees the village; regency officials and coordinators all."""
    return member.village if member.role == "official" and member.village else ALL


def recipients() -> list[Staff]:
    """Active officials and coordinators, by name."""
    return list(
        Staff.select()
        .where((Staff.active == True) & Staff.role.in_(DIGEST_ROLES))  # noqa: E712
        .order_by(Staff.name, Staff.id)
    )


def village_heads_villages() -> list[str]:
    """The villages that have a village head (each gets its own digest scope)."""
    return sorted({scope_of(m) for m in recipients()} - {ALL})


def before_deployment(period: Period) -> bool:
    """Whether `period` ended before this deployment's database existed: its digest would report nothing the
    service could have seen (a first start on the 2nd of a month must not send last month's empty digest)."""
    born = deployed_at()
    return born is not None and period.end <= born


def prepare(period: Period, now: dt.datetime | None = None) -> list[Digest]:
    """Every recipient's digest text for `period` (nothing written); none for a period that ended before the
    deployment existed."""
    now = now or utcnow()
    if before_deployment(period):
        log.info("%s digest %s: none, the period ended before this deployment existed", period.kind, period.label)
        return []
    staff = recipients()
    villages = sorted({scope_of(m) for m in staff} - {ALL})
    figures: dict[str, Figures] = compute(period, villages, now)
    waiting = waiting_by_organiser() if any(m.role == "coordinator" for m in staff) else {}
    lookups = Lookups()
    digests = []
    for member in staff:
        lookups.remember_staff(member)
        language = language_for(member.phone, lookups)
        scope = scope_of(member)
        text = render(figures[scope], language, waiting if member.role == "coordinator" else None)
        digests.append(Digest(member, scope, text))
    return digests


def send(period: Period, now: dt.datetime | None = None) -> list[Outgoing]:
    """Write each recipient's digest once (a recipient whose digest of this period was taken is skipped);
    enqueue each SMS as soon as its row commits. Returns what was written now."""
    written = []
    for digest in prepare(period, now):
        with database.atomic():
            claimed = DigestDelivery.claim(digest.staff.phone, period.kind, period.first, digest.scope)
            if claimed is None:
                continue
            outgoing = send_text(digest.staff.phone, digest.text, "digest")
            claimed.message_id = outgoing.message_id
            claimed.save(only=[DigestDelivery.message_id])
        enqueue_after_commit([outgoing])
        written.append(outgoing)
        log.info("%s digest %s sent to %s (%s)", period.kind, period.label, mask(digest.staff.phone), digest.scope)
    return written


@with_database
def send_digests(kind: str) -> int:
    """Job (cron, sweep, `digest send`): send the last complete `kind` period's digests not sent yet."""
    period = last_complete(kind, utcnow())
    return len(send(period))


def digest_spec(kind: str, period: Period) -> JobSpec:
    """The job that sends one period's digests (its id names the period, so repeats collapse while queued)."""
    return JobSpec(job_path(send_digests), (kind,), f"digest-{kind}-{period.first:%Y%m%d}", DEFAULT_QUEUE)


def due_digests(now: dt.datetime) -> list[JobSpec]:
    """Sweep: from a period's send time (07:00 the day after it ends) and for MAKE_UP_WINDOW after, enqueue
    its digests if some recipient has none (the cron missed them); a stale digest is not sent."""
    local = to_local(now).replace(tzinfo=None)
    staff = {m.phone for m in recipients()}
    due = []
    for kind in ("week", "month"):
        period = last_complete(kind, now)
        send_at = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(SEND_HOUR))
        if not send_at <= local < send_at + MAKE_UP_WINDOW or before_deployment(period):
            continue
        if staff - DigestDelivery.delivered(kind, period.first):
            due.append(digest_spec(kind, period))
    return due


def weekly_digests() -> int:
    """Cron: Mondays 07:00, last week's digests."""
    return send_digests("week")


def monthly_digests() -> int:
    """Cron: the 1st at 07:00, last month's digests."""
    return send_digests("month")
