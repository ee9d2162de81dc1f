"""jcsim's own test control: JumpCloud's rate limit (429 with an optional Retry-After). The shared ones
(Trigger, Fault, the call log) are simhttp's."""

import collections
import email.utils
import math
import time


class RateLimit:
    """429 for the calls a Trigger picks and/or above `per_second` admitted calls in any 1 s window.

    retry_after: seconds for a Retry-After header (None: no header, JumpCloud's header is
    unconfirmed); http_date=True sends it as an HTTP-date instead of seconds.
    """

    def __init__(self, trigger=None, per_second=None, retry_after=None, http_date=False):
        self.trigger = trigger
        self.per_second = per_second
        self.retry_after = retry_after
        self.http_date = http_date
        self.window = collections.deque()
        self.limited = 0

    def check(self, method, path):
        """Headers for a 429 (a dict, maybe empty), or None when the call may proceed."""
        wait = None
        if self.trigger is not None and self.trigger.fires(method, path):
            wait = self.retry_after
        elif self.per_second is not None:
            now = time.monotonic()
            while self.window and self.window[0] <= now - 1.0:
                self.window.popleft()
            if len(self.window) >= self.per_second:
                wait = self.retry_after if self.retry_after is not None else max(1, math.ceil(self.window[0] + 1.0 - now))
            else:
                self.window.append(now)
                return None
        else:
            return None
        self.limited += 1
        if wait is None:
            return {}
        if self.http_date:
            return {"Retry-After": email.utils.formatdate(time.time() + wait, usegmt=True)}
        return {"Retry-After": str(int(wait))}
