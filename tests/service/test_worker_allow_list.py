"""The worker runs only the project's own job functions: a job naming anything else fails unrun and is logged."""

from __future__ import annotations

import logging
import shlex

import pytest
from rq import Worker
from rq.callbacks import Callback
from rq.job import JobStatus

from models.jobs import DEFAULT_QUEUE, QUEUES, JobSpec
from workers.cron import schedule
from workers.queues import WORKER_JOBS, JobNotAllowed, allowed_jobs, enqueue, queue
from workers.runner import run_worker


@pytest.fixture(params=["simple", "forking"])
def work(request, app, drain):
    """Both workers: the tests' burst worker (in process) and the forking one `flask worker` runs."""
    if request.param == "simple":
        return drain
    return lambda: run_worker(app.extensions["redis"], burst=True, worker_class=Worker)


@pytest.mark.parametrize("queue_name", QUEUES)
def test_a_job_naming_os_system_fails_unrun_and_is_logged(app, work, tmp_path, caplog, queue_name):
    proof = tmp_path / "pwned"
    job = queue(queue_name).enqueue("os.system", f"touch {shlex.quote(str(proof))}", job_id=f"evil-{queue_name}")

    with caplog.at_level(logging.ERROR, logger="workers.runner"):
        work()

    assert not proof.exists(), "os.system ran"
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert "JobNotAllowed" in job.latest_result().exc_string
    assert job.id in queue(queue_name).failed_job_registry
    if work.__name__ == "run":  # the in-process worker logs here; the forking one logs in its work horse
        assert any(
            f"refused job {job.id}" in r.getMessage() and "'os.system'" in r.getMessage() for r in caplog.records
        )


def test_a_project_job_carrying_a_callback_is_refused_too(app, drain):
    job = queue(DEFAULT_QUEUE).enqueue(
        "workers.sweep.sweep",
        on_failure=Callback("os.system"),
        on_success=Callback("os.system"),
        job_id="sweep-with-callback",
    )

    drain()

    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert "callbacks" in job.latest_result().exc_string


def test_the_project_jobs_still_run(app, drain):
    job = queue(DEFAULT_QUEUE).enqueue("workers.sweep.sweep", job_id="a-sweep")
    drain()
    assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_every_periodic_job_is_allowed(app):
    assert {f"{entry.func.__module__}.{entry.func.__qualname__}" for entry in schedule()} <= allowed_jobs()


def test_the_allow_list_is_what_the_features_declare_and_the_workers_own(app):
    declared = app.extensions["menus"].job_functions
    assert "menus.features.cases.jobs.escalate" in declared
    assert allowed_jobs() == declared | WORKER_JOBS
    assert {"workers.sms_jobs.send_message", "workers.sweep.sweep"} <= WORKER_JOBS


def test_a_job_spec_outside_the_allow_list_is_refused_before_it_reaches_redis(app):
    with pytest.raises(JobNotAllowed, match="os.system"):
        enqueue([JobSpec("os.system", ("true",), "evil")])
    assert queue(DEFAULT_QUEUE).fetch_job("evil") is None
