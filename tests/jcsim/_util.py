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


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))")


def parse_date_time(text):
    """Seconds since the epoch for an RFC 3339 date-time (Swagger's `format: date-time`): full date, T,
    full time, Z or a numeric offset; fractions optional; a leap second (:60) counts as :59.
    ValueError for anything else: a bare date, no offset, ISO 8601's basic or week forms, 2024-02-30."""
    found = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        raise ValueError("not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(part) for part in found.group(1, 2, 3, 4, 5, 6))
    offset = datetime.timedelta(0)
    if found.group(8):
        offset_hours, offset_minutes = int(found.group(9)), int(found.group(10))
        if offset_hours > 23 or offset_minutes > 59:
            raise ValueError("offset out of range")
        offset = datetime.timedelta(hours=offset_hours, minutes=offset_minutes) * (-1 if found.group(8) == "-" else 1)
    if second == 60:
        second = 59
    moment = datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.timezone(offset))
    return moment.timestamp() + float(found.group(7) or 0)


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
