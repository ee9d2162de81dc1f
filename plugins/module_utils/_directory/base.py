# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every directory backend shares: errors, the user record, retries, bulk runs.

Private to the collection; runs on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import datetime
import random
import time
from concurrent.futures import ThreadPoolExecutor


class DirectoryError(Exception):
    """A readable, secret-free failure; `status` is the HTTP/LDAP code when there was one."""

    def __init__(self, message, status=None, retryable=False, retry_after=None):
        super(DirectoryError, self).__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class UserNotFound(DirectoryError):
    pass


class AmbiguousWrite(DirectoryError):
    """A write was sent and its answer lost (a 5xx, a reset connection, no answer in time): it may have been made.

    Never sent again as is: the backend reads the user back first. pending: the server may still be working
    on it (no answer in time), so a read-back that shows nothing yet proves nothing.
    """

    def __init__(self, message, status=None, pending=False):
        super(AmbiguousWrite, self).__init__(message, status)
        self.pending = pending


class UnknownOutcome(DirectoryError):
    """A write whose answer was lost and whose effect could not be read back: it may or may not have been made."""

    outcome = "unknown"


UNKNOWN_ADVICE = ("check the user with directory_user_info (password_date) and run again soon with the same password: "
                  "if this run set it, the directory refuses it as a recent password and, the password being set "
                  "within already_set_within, the user is reported already_set")


class PolicyViolation(DirectoryError):
    """The password breaks the directory's policy: nothing was sent."""

    def __init__(self, rules):
        super(PolicyViolation, self).__init__("the password breaks the password policy: %s" % "; ".join(rules))
        self.rules = rules


def timestamp_age(stamp, now=None):
    """Seconds from a JumpCloud timestamp (2024-05-01T10:00:00.000Z) to `now` (an aware datetime, default the
    present); None when absent or unreadable."""
    if not stamp or not isinstance(stamp, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return ((now or datetime.datetime.now(datetime.timezone.utc)) - moment).total_seconds()


def backoff_delay(attempt, base=0.5, cap=30.0, rng=random):
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0, min(cap, base * (2 ** attempt)))


def with_retries(call, retries=3, deadline=None, base=0.5, cap=30.0, sleep=time.sleep, clock=time.monotonic):
    """Run call(); retry DirectoryErrors marked retryable, honouring Retry-After, within a deadline.

    deadline: seconds from now after which no retry is started (bounded total time).
    """
    started = clock()
    attempt = 0
    while True:
        try:
            return call()
        except DirectoryError as exc:
            if not exc.retryable or attempt >= retries:
                raise
            delay = exc.retry_after if exc.retry_after is not None else backoff_delay(attempt, base, cap)
            if deadline is not None and clock() - started + delay > deadline:
                raise DirectoryError("%s (gave up: retrying would pass the %ss time limit)" % (exc, deadline),
                                     exc.status)
            sleep(delay)
            attempt += 1


def run_bounded(items, work, concurrency, fail_fast=False):
    """work(item) for each item with at most `concurrency` in flight; results in input order.

    Each result is (item, value, error). With fail_fast, items not yet started after the
    first error are skipped (error "skipped: an earlier user failed").
    """
    results = [None] * len(items)
    stop = [False]

    def one(index):
        item = items[index]
        if stop[0]:
            results[index] = (item, None, DirectoryError("skipped: an earlier user failed (fail_fast)"))
            return
        try:
            results[index] = (item, work(item), None)
        except DirectoryError as exc:
            results[index] = (item, None, exc)
            if fail_fast:
                stop[0] = True

    if concurrency <= 1 or len(items) <= 1:
        for index in range(len(items)):
            one(index)
    else:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
            list(pool.map(one, range(len(items))))
    return results
