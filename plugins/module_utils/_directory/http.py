# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The HTTP transport the REST directories (JumpCloud, Okta) share: one pooled session, readable errors, retries.

Runs on the controller with requests: one session (keep-alive across thousands of calls, safe for bounded
concurrent use), TLS verification with a CA bundle, timeouts. A directory's client subclasses HttpClient and
says how it authenticates, how its errors read and how long a refusal asks to wait. Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import email.utils
import json
import random
import time
import traceback
from urllib.parse import urlsplit

from .base import AmbiguousWrite, DirectoryError, with_retries

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3 import exceptions as urllib3_errors
    # Failures that happen before a request is sent (NameResolutionError is urllib3 2's).
    _NOT_CONNECTED = tuple(getattr(urllib3_errors, name) for name in (
        "NewConnectionError", "ConnectTimeoutError", "NameResolutionError") if hasattr(urllib3_errors, name))
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_WAIT = 120.0  # seconds: the longest a refusal's own wait (Retry-After, a rate-limit reset) is honoured


def retry_after(value):
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or odd."""
    if not value:
        return None
    try:
        return max(0.0, min(float(value), MAX_WAIT))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, min(parsed.timestamp() - time.time(), MAX_WAIT)) if parsed else None


def rate_limit_wait(reset, date, cap=MAX_WAIT, rng=random):
    """Seconds to wait for a rate limit's reset (X-Rate-Limit-Reset, UTC epoch seconds), or None when unreadable.

    Measured against the answer's Date (the server's clock, not ours) plus one second, as Okta's SDK does, then
    spread by up to a second of jitter, so that workers refused together do not all come back at once.
    """
    try:
        moment = email.utils.parsedate_to_datetime(date).timestamp() if date else None
        reset = float(reset)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return max(0.0, min(cap, reset - moment + 1)) + rng.uniform(0, 1.0)


class Answer:
    """An HTTP answer read in full; `body` is None when it was cut short."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def json(self):
        """The body as JSON; ValueError when it is missing, cut short or not JSON."""
        if not self.body:
            raise ValueError("no body")
        return json.loads(self.body.decode("utf-8"))

    def text(self, limit=200):
        text = (self.body or b"").decode("utf-8", "replace").strip()
        return text[:limit] if text else self.reason or "no detail"


def _never_connected(exc):
    """Whether a ConnectionError happened before the request could be sent (no connection was made)."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, _NOT_CONNECTED)


def _connection_failure(exc):
    """A short, value-free name for a connection failure (the exception's text may hold a URL, never a secret)."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    inner = reason.args[-1] if getattr(reason, "args", None) else None
    name = type(inner).__name__ if isinstance(inner, BaseException) else type(reason or exc).__name__
    return name


class HttpClient:
    """All HTTP to one directory goes through request(): auth headers, retries, readable errors.

    Subclasses give _auth_headers(), and may give _error_text(answer) (the directory's error bodies),
    _wait(answer) (seconds a refusal asks to wait), _token_expired() (after a 401: drop a cached token, and the call is
    retried) and _observe(answer) (every answer, e.g. rate-limit headers).
    """

    def __init__(self, base_url, validate_certs=True, ca_path=None, timeout=30, retries=3, concurrency=8):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(concurrency, 4))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        # Given with each request: a session's own `verify` loses to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.
        self.verify = (ca_path or True) if validate_certs else False
        self.session.headers.update({"Accept": "application/json"})
        self.calls = 0  # API calls made through request(), retries included

    # -- hooks ----------------------------------------------------------------------------
    def _auth_headers(self):
        return {}

    def _error_text(self, answer):
        return answer.text()

    def _wait(self, answer):
        return retry_after(answer.headers.get("Retry-After"))

    def _token_expired(self):
        return False

    def _observe(self, answer):
        pass

    # -- transport ------------------------------------------------------------------------
    def _send(self, method, url, what, write=False, **kwargs):
        """One exchange, its body read in full (an answer cut short has body None).

        write: the call changes something. Once it may have reached the server, a failure is an
        AmbiguousWrite (never retried here: the backend reads the user back); before that, it is retryable.
        """
        try:
            response = self.session.request(method, url, timeout=self.timeout, verify=self.verify, stream=True,
                                            **kwargs)
        except requests.exceptions.SSLError as exc:
            raise DirectoryError("%s: TLS verification failed (%s); set ca_path to the CA bundle, or validate_certs: "
                                 "false for a lab" % (what, type(exc).__name__))
        except requests.exceptions.ConnectTimeout as exc:
            raise DirectoryError("%s: connection to %s failed (%s)" % (what, urlsplit(url).netloc, type(exc).__name__),
                                 retryable=True)
        except requests.exceptions.ReadTimeout:
            # The server has had the request all along: a write may be under way. Reads are retried.
            if write:
                raise AmbiguousWrite("%s: no answer within %ss" % (what, self.timeout), pending=True)
            raise DirectoryError("%s: no answer within %ss" % (what, self.timeout), retryable=True)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            text = "%s: connection to %s failed (%s)" % (what, urlsplit(url).netloc, _connection_failure(exc))
            if write and not _never_connected(exc):
                raise AmbiguousWrite(text)
            raise DirectoryError(text, retryable=True)
        except (requests.exceptions.RequestException, ValueError, UnicodeError) as exc:
            # An invalid header or URL: requests quotes the value (an API key, say) in its message, so only
            # the kind of error is told. The modules refuse such values first; this is the last guard.
            raise DirectoryError("%s: the request could not be made (%s); check the URL and the credentials for "
                                 "line breaks or characters an HTTP header cannot carry" % (what, type(exc).__name__))
        try:
            body = response.content
        except requests.exceptions.RequestException:
            body = None
        finally:
            response.close()
        answer = Answer(response.status_code, response.reason, response.headers, body)
        self._observe(answer)
        return answer

    def request(self, method, path, params=None, body=None, write=False, with_headers=False):
        """One API call with retries on 429/5xx/timeouts (jittered backoff, the directory's own wait honoured).

        write: the call changes something. It is retried only when it cannot have been made (429, a refused
        connection, an expired token); a 5xx or a lost answer raises AmbiguousWrite. A 2xx answer whose body
        is spoiled still means done and gives None. path may be a full URL of the same directory (a paging link).
        with_headers: (payload, headers).
        """
        absolute = path.startswith(("https://", "http://"))
        url = path if absolute else self.base_url + path
        what = "%s %s" % (method, urlsplit(url).path if absolute else path)

        def once():
            self.calls += 1
            kwargs = {"params": params, "headers": self._auth_headers()}
            if body is not None:
                kwargs["json"] = body
            answer = self._send(method, url, what, write=write, **kwargs)
            status = answer.status
            if status in RETRY_STATUSES:
                text = "%s: HTTP %d: %s" % (what, status, self._error_text(answer))
                if write and status != 429:
                    raise AmbiguousWrite(text, status)
                raise DirectoryError(text, status, retryable=True, retry_after=self._wait(answer))
            if status == 401 and self._token_expired():
                raise DirectoryError("%s: HTTP 401 (token expired)" % what, status, retryable=True, retry_after=0)
            if status >= 400:
                raise DirectoryError("%s: HTTP %d: %s" % (what, status, self._error_text(answer)), status)
            if answer.body is None:
                text = "%s: HTTP %d, but the answer was cut short" % (what, status)
                if write:  # most likely done; the backend reads the user back to know
                    raise AmbiguousWrite(text, status)
                raise DirectoryError(text, status, retryable=True)
            payload = None
            if answer.body:
                try:
                    payload = answer.json()
                except ValueError:
                    text = "%s: HTTP %d, but the answer is not JSON" % (what, status)
                    if write:
                        raise AmbiguousWrite(text, status)
                    raise DirectoryError(text, status, retryable=True)
            return (payload, answer.headers) if with_headers else payload

        return with_retries(once, retries=self.retries, deadline=self.timeout * (self.retries + 1))
