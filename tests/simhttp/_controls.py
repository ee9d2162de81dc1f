"""Test controls every stand-in shares: which calls a rule hits (Trigger), injected faults (5xx, slow,
malformed or truncated answers, connection resets) and how they are carried out around a call, and the
call log. Rate limits are each stand-in's own (their headers differ)."""

import collections
import random
import re
import threading
import time

from ._server import Reply

# Where each fault strikes by default: "before" the request is processed (nothing changes) or
# "after" (the change is made, then the answer is lost or spoiled, as with a gateway timeout).
FAULT_PHASES = {"error": "before", "reset": "before", "slow": "before", "malformed": "after", "truncated": "after"}


class Trigger:
    """Which API calls a rule hits.

    match:    regex searched in "METHOD /path" (default: every API call; /__sim/ is never hit)
    count:    only the next N matching calls (alone: exactly the next N)
    every:    each Nth matching call
    fraction: a random share of matching calls, reproducible with `seed`
    With none of count/every/fraction, every matching call is hit.
    """

    def __init__(self, match=None, count=None, every=None, fraction=None, seed=None):
        if every is not None and fraction is not None:
            raise ValueError("choose every or fraction, not both")
        if every is not None and every < 1:
            raise ValueError("every must be >= 1")
        if fraction is not None and not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        if count is not None and count < 0:
            raise ValueError("count must be >= 0")
        self.match = re.compile(match) if match else None
        self.remaining = count
        self.every = every
        self.fraction = fraction
        self.random = random.Random(seed)
        self.seen = 0

    def fires(self, method, path):
        if self.match is not None and not self.match.search("%s %s" % (method, path)):
            return False
        if self.remaining == 0:
            return False
        self.seen += 1
        if self.every is not None and self.seen % self.every:
            return False
        if self.fraction is not None and self.random.random() >= self.fraction:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


class Fault:
    def __init__(self, kind, trigger, status=500, seconds=1.0, phase=None):
        if kind not in FAULT_PHASES:
            raise ValueError("fault kind must be one of %s" % ", ".join(sorted(FAULT_PHASES)))
        if phase not in (None, "before", "after"):
            raise ValueError("phase must be before or after")
        if kind == "error" and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status")
        self.kind = kind
        self.trigger = trigger
        self.status = status
        self.seconds = seconds
        self.phase = phase or FAULT_PHASES[kind]
        self.hits = 0


class Controls:
    """Thread-safe holder of the call log, the rate limit and the fault rules."""

    def __init__(self):
        self.lock = threading.Lock()
        self.log = []
        self.rate_limit = None
        self.faults = []

    def record(self, call):
        with self.lock:
            call["seq"] = len(self.log) + 1
            self.log.append(call)

    def calls(self, route=None):
        with self.lock:
            return [dict(call) for call in self.log if route is None or call["route"] == route]

    def clear_calls(self):
        with self.lock:
            del self.log[:]

    def route_counts(self):
        with self.lock:
            return dict(collections.Counter(call["route"] or "unrouted" for call in self.log))

    def limit(self, method, path):
        with self.lock:
            return None if self.rate_limit is None else self.rate_limit.check(method, path)

    def pick_fault(self, method, path):
        """The first fault rule that fires for this call (one fault per call at most)."""
        with self.lock:
            for fault in self.faults:
                if fault.trigger.fires(method, path):
                    fault.hits += 1
                    return fault
            return None


def apply_fault(fault, serve, error_reply, json_type="application/json"):
    """The Reply for a call a fault rule hit. serve() -> Reply runs the call (before the fault for phase
    "after": the change is made, then the answer is lost or spoiled); error_reply(status) -> Reply is the
    stand-in's error answer."""
    reply = serve() if fault.phase == "after" else None
    if fault.kind == "slow":
        time.sleep(fault.seconds)
        return reply or serve()
    if fault.kind == "error":
        return error_reply(fault.status)
    if fault.kind == "reset":
        return Reply(0, action="reset")
    reply = reply or Reply(200, b"{}", {"Content-Type": json_type})
    if fault.kind == "malformed":
        spoiled = reply.body[:len(reply.body) // 2] + b"\n<html><body>upstream error</body></html>"
        return Reply(reply.status, spoiled, dict(reply.headers, **{"Content-Type": json_type}))
    return Reply(reply.status, reply.body, reply.headers, action="truncate")
