"""Small shared pieces: object ids, timestamps, the API error type and its body forms."""

import datetime
import functools
import http
import itertools
import math
import os
import random
import re
import time

OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")


class ObjectIds:
    """MongoDB-style ids (24 hex): 4-byte seconds, 5 process-random bytes, 3-byte counter.

    Ids made in one second sort in creation order, like JumpCloud's, so `sort=_id` pages stably.
    """

    def __init__(self):
        self._process = os.urandom(5).hex()
        self._counter = itertools.count(random.randrange(0x100000))

    def new(self, timestamp):
        return "%08x%s%06x" % (int(timestamp) & 0xFFFFFFFF, self._process, next(self._counter) & 0xFFFFFF)


@functools.lru_cache(maxsize=4096)  # seeding formats the same instant thousands of times
def iso(timestamp):
    """JumpCloud's timestamp text: UTC, milliseconds, trailing Z (e.g. 2024-05-01T10:00:00.000Z)."""
    if timestamp is None:
        return None
    seconds = math.floor(timestamp)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%03dZ" % int((timestamp - seconds) * 1000)


def parse_iso(text):
    """Seconds since the epoch for an ISO 8601 date-time; ValueError when it is not one."""
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def phrase(status):
    return http.HTTPStatus(status).phrase


class ApiError(Exception):
    """An HTTP error answer. `form` picks the body shape, because JumpCloud uses several:

    - "standard": {"code", "message", "status"} (the Error definition of both specs);
    - "message":  {"message"} only (the older v1 form);
    - "details":  standard plus `details` (v2's ErrorDetails, google.rpc style);
    - "oauth":    {"error", "error_description"} (RFC 6749 section 5.2, the token endpoint).
    Messages never quote request values: a value could be a password.
    """

    def __init__(self, status, message, form="standard", details=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.form = form
        self.details = details or []
        self.headers = headers or {}

    def body(self):
        if self.form == "message":
            return {"message": self.message}
        if self.form == "oauth":
            return {"error": self.message, "error_description": self.details[0] if self.details else self.message}
        body = {"code": self.status, "message": self.message, "status": phrase(self.status)}
        if self.form == "details":
            body["details"] = self.details
        return body


def bad_request(message, violations=None, v2=False):
    """400 for a request the schema rejects; v2 routes add google.rpc.BadRequest field violations."""
    if v2:
        details = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": path, "description": text} for path, text in (violations or [])]}]
        return ApiError(400, message, form="details", details=details)
    return ApiError(400, message)
