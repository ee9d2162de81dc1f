"""pytest wiring shared by all test suites: host fixtures (shared helpers: credsync_testlib)."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import macsim  # noqa: E402  pylint: disable=wrong-import-position
import badinput_lib  # noqa: E402  pylint: disable=wrong-import-position
from credsync_testlib import run_tool  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import


@pytest.fixture
def make_host(tmp_path):
    """make_host(scenario_dict) -> macsim.Host in a fresh temporary directory."""
    counter = [0]

    def _make(scenario=None, **kwargs):
        counter[0] += 1
        return macsim.create_host(str(tmp_path / ("host%d" % counter[0])), scenario or {}, **kwargs)

    return _make


@pytest.fixture
def run():
    return run_tool


_FIGURES = []


def pytest_runtest_logreport(report):
    """Collect the bad-input and fault suites' verdicts (from xdist workers too: user_properties travel)."""
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == badinput_lib.PROPERTY:
            _FIGURES.append(json.loads(value))


def pytest_terminal_summary(terminalreporter):
    """One figure line per suite, after the test results."""
    lines = badinput_lib.summary_lines(_FIGURES)
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)
