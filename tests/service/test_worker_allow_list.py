"""The worker runs only the project's own job functions: a job naming anything else fails unrun and is logged."""
from __future__ import annotations

import logging
import shlex

import pytest
from rq import Worker
from rq.callbacks import Callback
from rq.job import JobStatus

from workers.cron import SCHEDULE
from workers.queues import DEFAULT_QUEUE, JOB_FUNCTIONS, QUEUES, JobSpec, queue
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
        assert any(f"refused job {job.id}" in r.getMessage() and "'os.system'" in r.getMessage()
                   for r in caplog.records)


def test_a_project_job_carrying_a_callback_is_refused_too(app, drain):
    job = queue(DEFAULT_QUEUE).enqueue("workers.sweep.sweep", on_failure=Callback("os.system"),
                                       on_success=Callback("os.system"), job_id="sweep-with-callback")

    drain()

    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert "callbacks" in job.latest_result().exc_string


def test_the_project_jobs_still_run(app, drain):
    job = queue(DEFAULT_QUEUE).enqueue("workers.sweep.sweep", job_id="a-sweep")
    drain()
    assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_every_periodic_job_is_allowed():
    assert {f"{entry.func.__module__}.{entry.func.__qualname__}" for entry in SCHEDULE} <= JOB_FUNCTIONS


def test_a_job_spec_outside_the_allow_list_is_refused_when_built():
    with pytest.raises(ValueError, match="os.system"):
        JobSpec("os.system", ("true",), "evil")
