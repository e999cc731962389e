"""Jobs a change leaves are enqueued in one Redis transaction, whatever their order: one due later may come first."""

from __future__ import annotations

import datetime as dt

from rq.registry import ScheduledJobRegistry

from models import utcnow
from models.jobs import DEFAULT_QUEUE, JobSpec
from workers.queues import enqueue, job_is_live, queue


def test_a_job_for_later_before_a_job_for_now_both_arrive(app):
    later = JobSpec("workers.sweep.sweep", (), "sweep-later", DEFAULT_QUEUE, utcnow() + dt.timedelta(minutes=5))
    now = JobSpec("workers.sweep.sweep", (), "sweep-now", DEFAULT_QUEUE)

    assert enqueue([later, now]) == 2

    assert queue(DEFAULT_QUEUE).job_ids == ["sweep-now"]
    assert ScheduledJobRegistry(queue=queue(DEFAULT_QUEUE)).get_job_ids() == ["sweep-later"]
    assert job_is_live("sweep-later") and job_is_live("sweep-now")
