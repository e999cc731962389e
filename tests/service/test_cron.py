"""The cron schedule: cron times are TIMEZONE local time whatever the host's timezone; jobs land as JSON jobs."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest
import time_machine
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from models.jobs import DEFAULT_QUEUE
from workers.cron import Entry, build_scheduler, next_run, schedule


def morning_job() -> None:
    """Stands in for a 07:00 job (never run here: the test only looks at what lands in the queue)."""


@pytest.fixture(params=["UTC", "America/New_York"])
def host_tz(request):
    """Set the host's own timezone (TZ) for the test, and restore it afterwards."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_a_cron_entry_at_0700_local_fires_at_0000_utc_on_a_host_set_to_utc(app, host_tz):
    redis = app.extensions["redis"]
    queue = Queue(DEFAULT_QUEUE, connection=redis, serializer=JSONSerializer)
    schedule = (Entry(morning_job, DEFAULT_QUEUE, cron="0 7 * * *"),)

    with time_machine.travel(datetime(2026, 3, 1, 23, 59, 30, tzinfo=UTC), tick=False) as traveller:
        scheduler = build_scheduler(redis, "Asia/Jakarta", schedule)
        [cron_job] = scheduler.get_jobs()
        assert cron_job.next_enqueue_time == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
        assert not cron_job.should_run()
        assert scheduler.enqueue_jobs() == []
        assert queue.count == 0, "06:59:30 in Jakarta: not due yet"

        traveller.move_to(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
        assert scheduler.enqueue_jobs() == [cron_job]
        [job_id] = queue.job_ids
        job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
        assert job.func_name == f"{__name__}.morning_job"
        assert cron_job.next_enqueue_time == datetime(2026, 3, 3, 0, 0, tzinfo=UTC), "tomorrow 07:00 Jakarta"
        assert scheduler.enqueue_jobs() == [], "fires once"
        assert queue.count == 1


def test_the_sweep_runs_at_once_then_every_minute_and_the_digests_wait_for_their_day(app):
    redis = app.extensions["redis"]
    queue = Queue(DEFAULT_QUEUE, connection=redis, serializer=JSONSerializer)
    with time_machine.travel(datetime(2026, 3, 3, 0, 0, tzinfo=UTC), tick=False) as traveller:  # a Tuesday
        scheduler = build_scheduler(redis, "Asia/Jakarta")
        assert [j.func_name for j in scheduler.get_jobs()] == [
            "workers.sweep.sweep",
            "menus.features.digests.jobs.weekly_digests",
            "menus.features.digests.jobs.monthly_digests",
        ]
        assert len(scheduler.enqueue_jobs()) == 1
        traveller.shift(59)
        assert scheduler.enqueue_jobs() == []
        traveller.shift(1)
        assert len(scheduler.enqueue_jobs()) == 1
    assert queue.count == 2
    assert all(
        Job.fetch(i, connection=redis, serializer=JSONSerializer).func_name == "workers.sweep.sweep"
        for i in queue.job_ids
    )


@pytest.mark.parametrize(
    "cron, after, zone, expected",
    [
        ("0 7 * * *", datetime(2026, 3, 1, 23, 59, tzinfo=UTC), "Asia/Jakarta", datetime(2026, 3, 2, 0, 0, tzinfo=UTC)),
        ("0 7 * * *", datetime(2026, 3, 2, 0, 0, tzinfo=UTC), "Asia/Jakarta", datetime(2026, 3, 3, 0, 0, tzinfo=UTC)),
        # Monday 07:00 local; 2026-03-02 is a Monday
        ("0 7 * * 1", datetime(2026, 2, 27, 12, 0, tzinfo=UTC), "Asia/Jakarta", datetime(2026, 3, 2, 0, 0, tzinfo=UTC)),
        ("0 7 1 * *", datetime(2026, 3, 1, 0, 0, tzinfo=UTC), "Asia/Jakarta", datetime(2026, 4, 1, 0, 0, tzinfo=UTC)),
        # 02:30 does not exist on 2026-03-08 in New York: it fires at 03:30 EDT, late rather than never
        (
            "30 2 * * *",
            datetime(2026, 3, 8, 0, 0, tzinfo=UTC),
            "America/New_York",
            datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        ),
        # 01:30 happens twice on 2026-11-01 (05:30 and 06:30 UTC): it fired at the first, so next is tomorrow
        (
            "30 1 * * *",
            datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
            "America/New_York",
            datetime(2026, 11, 2, 6, 30, tzinfo=UTC),
        ),
    ],
)
def test_next_run_reads_cron_in_local_time(cron, after, zone, expected):
    assert next_run(cron, after, zone) == expected


@pytest.mark.parametrize(
    "options", [{}, {"interval": 60, "cron": "* * * * *"}, {"interval": 0}, {"cron": "every morning"}]
)
def test_a_bad_entry_is_refused_when_declared(options):
    with pytest.raises(ValueError):
        Entry(morning_job, DEFAULT_QUEUE, **options)


def test_every_entry_of_the_schedule_is_registered(app):
    scheduler = build_scheduler(app.extensions["redis"], "Asia/Jakarta")
    assert len(scheduler.get_jobs()) == len(schedule())


def test_an_unknown_timezone_fails_at_start_up(app):
    with pytest.raises(Exception, match="Nowhere/Land"):
        build_scheduler(app.extensions["redis"], "Nowhere/Land")
