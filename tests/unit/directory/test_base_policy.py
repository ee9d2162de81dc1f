"""_directory.base (retries, bounded runs) and _directory.policy, without any server."""

import random

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._directory import base  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.policy import (  # noqa: E402
    jumpcloud_policy_violations)


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now


def _flaky(failures):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return "done"
    return call, calls


def test_retries_retryable_errors_with_backoff_then_succeeds():
    clock = FakeClock()
    call, calls = _flaky([base.DirectoryError("429", 429, retryable=True)] * 3)
    assert base.with_retries(call, retries=3, sleep=clock.sleep, clock=clock.clock) == "done"
    assert len(calls) == 4 and len(clock.sleeps) == 3
    assert all(0 <= s <= 0.5 * 2 ** i for i, s in enumerate(clock.sleeps))


def test_retry_after_is_honoured():
    clock = FakeClock()
    call, _calls = _flaky([base.DirectoryError("429", 429, retryable=True, retry_after=7)])
    base.with_retries(call, retries=3, sleep=clock.sleep, clock=clock.clock)
    assert clock.sleeps == [7]


def test_gives_up_after_retries_and_on_non_retryable():
    clock = FakeClock()
    call, calls = _flaky([base.DirectoryError("503", 503, retryable=True)] * 5)
    with pytest.raises(base.DirectoryError) as info:
        base.with_retries(call, retries=2, sleep=clock.sleep, clock=clock.clock)
    assert info.value.status == 503 and len(calls) == 3
    call, calls = _flaky([base.DirectoryError("400", 400)])
    with pytest.raises(base.DirectoryError):
        base.with_retries(call, retries=5, sleep=clock.sleep, clock=clock.clock)
    assert len(calls) == 1


def test_deadline_bounds_total_time():
    clock = FakeClock()
    call, calls = _flaky([base.DirectoryError("429", 429, retryable=True, retry_after=20)] * 5)
    with pytest.raises(base.DirectoryError) as info:
        base.with_retries(call, retries=5, deadline=30, sleep=clock.sleep, clock=clock.clock)
    assert "time limit" in str(info.value) and clock.now <= 30 and len(calls) == 2


def test_backoff_is_jittered_and_capped():
    rng = random.Random(1)
    delays = [base.backoff_delay(10, base=0.5, cap=30, rng=rng) for _attempt in range(200)]
    assert max(delays) <= 30 and len(set(round(d, 3) for d in delays)) > 100


def test_run_bounded_keeps_order_and_reports_each_error():
    def work(item):
        if item % 3 == 0:
            raise base.DirectoryError("bad %d" % item)
        return item * 2
    results = base.run_bounded(list(range(1, 10)), work, concurrency=4)
    assert [r[0] for r in results] == list(range(1, 10))
    assert [r[1] for r in results if r[2] is None] == [2, 4, 8, 10, 14, 16]
    assert [str(r[2]) for r in results if r[2] is not None] == ["bad 3", "bad 6", "bad 9"]


def test_run_bounded_fail_fast_skips_the_rest():
    done = []

    def work(item):
        done.append(item)
        if item == 2:
            raise base.DirectoryError("boom")
        return item
    results = base.run_bounded([1, 2, 3, 4], work, concurrency=1, fail_fast=True)
    assert done == [1, 2] and "skipped" in str(results[3][2])


POLICY = {"enableMinLength": True, "minLength": 12, "needsLowercase": True, "needsUppercase": True,
          "needsNumeric": True, "needsSymbolic": True, "allowUsernameSubstring": False,
          "disallowCommonlyUsedPasswords": True, "disallowSequentialOrRepetitiveChars": True}


@pytest.mark.parametrize("password,broken", [
    ("Good-Pass-2026x!", []),
    ("short", ["at least 12 characters", "contains an uppercase letter", "contains a digit", "contains a symbol"]),
    ("Alice-Pass-2026!", ["does not contain the username"]),
    ("Goood-Pass-2026x!", ["no three repeated or sequential characters"]),
    ("Pass-abc-2026x!Z", ["no three repeated or sequential characters"]),
])
def test_jumpcloud_policy_names_every_broken_rule(password, broken):
    assert jumpcloud_policy_violations(password, POLICY, "alice") == broken


def test_common_password_and_presets():
    assert jumpcloud_policy_violations("password", {"disallowCommonlyUsedPasswords": True}) == ["not a commonly used password"]
    assert jumpcloud_policy_violations("abcdefg", {}, compliance="pci3") == ["contains a digit"]
    assert jumpcloud_policy_violations("abcdefgh1", {}, compliance="windows") == ["three of: lowercase, uppercase, digit, symbol"]
    assert jumpcloud_policy_violations("x", POLICY, compliance="something-new") == []
