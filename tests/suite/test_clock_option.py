"""`--clock`: the whole suite from a pinned instant, the clock running on from there."""

from __future__ import annotations

import pytest

from tests.support.paths import ROOT

pytest_plugins = ["pytester"]

A_TEST_THAT_READS_THE_CLOCK = """
import datetime as dt
import time


def test_now():
    start = dt.datetime.now(dt.timezone.utc)
    assert dt.datetime(2026, 12, 6, 16, 30, tzinfo=dt.timezone.utc) <= start < dt.datetime(2026, 12, 6, 16, 31,
                                                                                          tzinfo=dt.timezone.utc)
    time.sleep(0.05)
    assert dt.datetime.now(dt.timezone.utc) > start, "the clock runs on"
"""


@pytest.fixture
def suite(pytester, monkeypatch):
    """A pytest run in a child process with this suite's hooks (not its fixtures) and one test reading the clock."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest(
        "from tests.conftest import (pytest_addoption, pytest_configure, pytest_report_header,\n"
        "                            pytest_unconfigure)\n"
    )
    pytester.makepyfile(test_now=A_TEST_THAT_READS_THE_CLOCK)
    return pytester


def test_the_session_starts_at_the_instant_and_the_clock_runs(suite):
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "--clock", "2026-12-06 23:30+07:00")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["clock: started at 2026-12-06T23:30:00+07:00 (--clock)"])


def test_without_the_option_the_clock_is_the_real_one(suite):
    suite.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(failed=1)


@pytest.mark.parametrize("instant", ["2026-12-06 23:30", "Sunday night"])
def test_an_instant_without_its_offset_is_refused(suite, instant):
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "--clock", instant)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --clock: *"])
