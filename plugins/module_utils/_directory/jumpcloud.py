# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""JumpCloud's directory API: one HTTP client, and the backend the directory modules use.

Runs on the controller (delegate_to: localhost), so it uses requests: one pooled
session (keep-alive across thousands of calls, safe for bounded concurrent use),
TLS verification with a CA bundle, timeouts. Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import email.utils
import json
import re
import threading
import time
import traceback
from urllib.parse import urlsplit

from .base import DirectoryError, PolicyViolation, UserNotFound, run_bounded, with_retries
from .policy import jumpcloud_policy_violations

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

REGIONS = {
    "us": "https://console.jumpcloud.com",
    "eu": "https://console.eu.jumpcloud.com",
    "in": "https://console.in.jumpcloud.com",
}
OAUTH_TOKEN_URL = "https://admin-oauth.id.jumpcloud.com/oauth2/token"
RETRY_STATUSES = (429, 500, 502, 503, 504)
PAGE = 100  # the API's maximum page size
BULK_JOB = 100  # users per bulk job: its results then fit one page
_BULK_DONE = ("finished", "failed")  # a job item's final states; any other is still under way
USER_FIELDS = ("_id", "username", "email", "organization", "account_locked", "account_locked_date",
               "activated", "badLoginAttempts", "password_date", "password_expiration_date", "password_expired",
               "password_never_expires", "state", "suspended", "totp_enabled", "mfa")
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
# Few users: one filtered query each is cheaper than listing the organisation.
_LIST_THRESHOLD = 10


def _retry_after(value):
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or odd."""
    if not value:
        return None
    try:
        return max(0.0, min(float(value), 120.0))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, min(parsed.timestamp() - time.time(), 120.0)) if parsed else None


class _Answer:
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


def _error_text(answer):
    """JumpCloud's error bodies: prefer `message`, then `error`, then the raw text (short)."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error", "status"):
            if body.get(key):
                detail = body[key]
                if body.get("details"):
                    details = [str(d.get("message", d)) if isinstance(d, dict) else str(d) for d in body["details"]]
                    detail = "%s (%s)" % (detail, "; ".join(details))
                return str(detail)
    text = (answer.body or b"").decode("utf-8", "replace").strip()
    return text[:200] if text else answer.reason or "no detail"


class JumpCloudClient:
    """All HTTP to JumpCloud goes through request(): auth headers, retries, readable errors."""

    def __init__(self, base_url, api_key=None, client_id=None, client_secret=None, org_id=None,
                 token_url=OAUTH_TOKEN_URL, validate_certs=True, ca_path=None, timeout=30, retries=3, concurrency=8):
        if not api_key and not (client_id and client_secret):
            raise DirectoryError("JumpCloud credentials missing: give api_key (or JUMPCLOUD_API_KEY) or client_id "
                                 "and client_secret of a service account")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.org_id = org_id
        self.token_url = token_url
        self.timeout = timeout
        self.retries = retries
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(concurrency, 4))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        # Given with each request: a session's own `verify` loses to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.
        self.verify = (ca_path or True) if validate_certs else False
        self.session.headers.update({"Accept": "application/json"})
        self._token_lock = threading.Lock()
        self._token = None
        self._token_expires = 0.0

    # -- auth ---------------------------------------------------------------------------
    def _auth_headers(self):
        headers = {}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        else:
            headers["Authorization"] = "Bearer " + self._bearer()
        if self.org_id:
            headers["x-org-id"] = self.org_id
        return headers

    def _bearer(self):
        """OAuth2 client-credentials token, cached for its lifetime (less a minute of margin)."""
        with self._token_lock:
            if self._token and time.time() < self._token_expires:
                return self._token
            what = "OAuth2 token request"
            answer = self._send("POST", self.token_url, what, data={"grant_type": "client_credentials", "scope": "api"},
                                auth=(self.client_id, self.client_secret))
            if answer.status != 200:
                raise DirectoryError("%s refused: HTTP %d: %s" % (what, answer.status, _error_text(answer)), answer.status,
                                     retryable=answer.status in RETRY_STATUSES,
                                     retry_after=_retry_after(answer.headers.get("Retry-After")))
            try:
                body = answer.json()
                token, lifetime = body["access_token"], int(body.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise DirectoryError("%s: the answer holds no access token" % what, answer.status, retryable=True)
            self._token = token
            self._token_expires = time.time() + max(60, lifetime) - 60
            return self._token

    # -- transport ------------------------------------------------------------------------
    def _send(self, method, url, what, write=False, **kwargs):
        """One exchange, its body read in full (an answer cut short has body None)."""
        try:
            response = self.session.request(method, url, timeout=self.timeout, verify=self.verify, stream=True,
                                            **kwargs)
        except requests.exceptions.SSLError as exc:
            raise DirectoryError("%s: TLS verification failed (%s); set ca_path to the CA bundle, or validate_certs: "
                                 "false for a lab" % (what, type(exc).__name__))
        except requests.exceptions.ReadTimeout:
            # The server has had the request all along: a write may be under way, and sending it again
            # could apply it twice (a password twice is then refused by the history rule). Reads are retried.
            raise DirectoryError("%s: no answer within %ss%s" % (
                what, self.timeout, "; not sent again, as the change may have been made" if write else ""),
                retryable=not write)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise DirectoryError("%s: connection to %s failed (%s)" % (what, urlsplit(url).netloc, type(exc).__name__),
                                 retryable=True)
        try:
            body = response.content
        except requests.exceptions.RequestException:
            body = None
        finally:
            response.close()
        return _Answer(response.status_code, response.reason, response.headers, body)

    def request(self, method, path, params=None, body=None, write=False):
        """One API call with retries on 429/5xx/timeouts (jittered backoff, Retry-After honoured).

        write: the call changes something, so a 2xx answer whose body is spoiled still means done and
        gives None (sending it again could apply the change twice).
        """
        what = "%s %s" % (method, path)
        url = self.base_url + path

        def once():
            kwargs = {"params": params, "headers": self._auth_headers()}
            if body is not None:
                kwargs["json"] = body
            answer = self._send(method, url, what, write=write, **kwargs)
            status = answer.status
            if status in RETRY_STATUSES:
                raise DirectoryError("%s: HTTP %d: %s" % (what, status, _error_text(answer)), status, retryable=True,
                                     retry_after=_retry_after(answer.headers.get("Retry-After")))
            if status == 401 and not self.api_key and self._token:
                self._token = None  # an expired token: fetch a new one and try again
                raise DirectoryError("%s: HTTP 401 (token expired)" % what, status, retryable=True, retry_after=0)
            if status >= 400:
                raise DirectoryError("%s: HTTP %d: %s" % (what, status, _error_text(answer)), status)
            if answer.body is None and not write:
                raise DirectoryError("%s: HTTP %d, but the answer was cut short" % (what, status), status, retryable=True)
            if not answer.body:
                return None
            try:
                return answer.json()
            except ValueError:
                if write:
                    return None
                raise DirectoryError("%s: HTTP %d, but the answer is not JSON" % (what, status), status, retryable=True)

        return with_retries(once, retries=self.retries, deadline=self.timeout * (self.retries + 1))


class JumpCloudDirectory:
    """The directory operations the modules need, on JumpCloud's v1 API."""

    provider = "jumpcloud"

    def __init__(self, client):
        self.client = client
        self._policy = None

    # -- users ----------------------------------------------------------------------------
    def _fields(self):
        return " ".join(USER_FIELDS)

    def iter_users(self, filters=None):
        """Every user, paged by 100 and sorted by _id as JumpCloud advises for skip paging."""
        skip = 0
        while True:
            params = {"limit": PAGE, "skip": skip, "sort": "_id", "fields": self._fields()}
            if filters:
                params["filter"] = filters
            page = self.client.request("GET", "/api/systemusers", params=params) or {}
            results = page.get("results", [])
            yield from results
            skip += len(results)
            if len(results) < PAGE or skip >= int(page.get("totalCount", skip)):
                return

    def find_user(self, identifier):
        """One user by id, username or email; unknown or ambiguous is an error."""
        if _OBJECT_ID.match(identifier):
            try:
                return self.client.request("GET", "/api/systemusers/" + identifier, params={"fields": self._fields()})
            except DirectoryError as exc:
                if exc.status == 404:  # the server's words tell a wrong x-org-id from an unknown user
                    raise UserNotFound("no JumpCloud user with id %s (%s)" % (identifier, exc), 404)
                raise
        # One search for username or email, so a name that is one user's username and another's
        # email is reported as ambiguous, as the list form does.
        page = self.client.request("POST", "/api/search/systemusers", body={
            "filter": {"or": [{"username": identifier}, {"email": identifier}]},
            "fields": self._fields(), "limit": 2, "skip": 0}) or {}
        return self._one(identifier, page.get("results", []))

    @staticmethod
    def _one(identifier, matches):
        if not matches:
            raise UserNotFound("no JumpCloud user with username, email or id %r" % identifier)
        if len(matches) > 1:
            raise DirectoryError("%r is ambiguous: it matches %s" % (
                identifier, ", ".join("%s (%s)" % (m.get("username"), m.get("_id")) for m in matches)))
        return matches[0]

    def resolve(self, identifiers):
        """{identifier: user or DirectoryError}: few users one query each, many by one paged listing."""
        if len(identifiers) <= _LIST_THRESHOLD:
            resolved = {}
            for identifier in identifiers:
                try:
                    resolved[identifier] = self.find_user(identifier)
                except DirectoryError as exc:
                    resolved[identifier] = exc
            return resolved
        index = {}
        for user in self.iter_users():
            for key in (user.get("_id"), (user.get("username") or "").lower(), (user.get("email") or "").lower()):
                if key:
                    index.setdefault(key, {})[user["_id"]] = user
        resolved = {}
        for identifier in identifiers:
            matches = list(index.get(identifier if _OBJECT_ID.match(identifier) else identifier.lower(), {}).values())
            try:
                resolved[identifier] = self._one(identifier, matches)
            except DirectoryError as exc:
                resolved[identifier] = exc
        return resolved

    # -- policy ---------------------------------------------------------------------------
    def password_policy(self, org_id):
        """settings.passwordPolicy and passwordCompliance of the organisation, read once."""
        if self._policy is None:
            org = self.client.request("GET", "/api/organizations/" + org_id) or {}
            settings = org.get("settings") or {}
            self._policy = (settings.get("passwordPolicy") or {}, settings.get("passwordCompliance"))
        return self._policy

    def check_password(self, user, password):
        """Raise PolicyViolation naming every rule the password breaks (nothing is sent)."""
        org_id = self.client.org_id or user.get("organization")
        if not org_id:
            return
        policy, compliance = self.password_policy(org_id)
        broken = jumpcloud_policy_violations(password, policy, user.get("username"), compliance)
        if broken:
            raise PolicyViolation(broken)

    # -- writes ---------------------------------------------------------------------------
    def set_password(self, user, password, temporary=False):
        """PUT the password (ends the user's sessions); temporary: expire it so it must change at next login."""
        self.client.request("PUT", "/api/systemusers/" + user["_id"], body={"password": password}, write=True)
        if temporary:
            self.client.request("POST", "/api/systemusers/%s/expire" % user["_id"], write=True)

    def unlock(self, user):
        self.client.request("POST", "/api/systemusers/%s/unlock" % user["_id"], write=True)

    def set_passwords_bulk(self, changes, temporary=False, concurrency=1, fail_fast=False):
        """Passwords by V2 bulk jobs: changes [(key, user, password, unlock)] -> {key: None (done) or DirectoryError}.

        Jobs of BULK_JOB users, `concurrency` at a time, each waited for; temporary: each user written is
        then expired (one call per user). A user named twice is sent once (one job item per user).
        """
        outcome, items, sent = {}, [], {}
        for key, user, password, unlock in changes:
            if user["_id"] in sent:
                outcome[key] = DirectoryError("the same user as %r, which is sent once" % sent[user["_id"]])
                continue
            sent[user["_id"]] = key
            fields = {"id": user["_id"], "password": password}
            if unlock:
                fields["account_locked"] = False
            items.append((key, fields))
        stop = []

        def job(index):
            batch = items[index:index + BULK_JOB]
            if stop:
                return dict((key, DirectoryError("skipped: an earlier user failed (fail_fast)")) for key, _f in batch)
            done = self._bulk_job(batch, temporary)
            if fail_fast and any(done.values()):
                stop.append(True)
            return done

        for _index, done, _error in run_bounded(list(range(0, len(items), BULK_JOB)), job, concurrency):
            outcome.update(done)
        return outcome

    def _bulk_job(self, items, temporary):
        """One PATCH /api/v2/bulk/users job of [(key, fields)], its results waited for: {key: None or DirectoryError}."""
        try:
            # write: a job whose answer is lost may be under way; it is reported, never sent again.
            answer = self.client.request("PATCH", "/api/v2/bulk/users", body=[fields for _key, fields in items],
                                         write=True)
            job_id = answer.get("jobId") if isinstance(answer, dict) else None
            if not job_id:
                raise DirectoryError("PATCH /api/v2/bulk/users: accepted, but the answer names no job; not sent again, "
                                     "as the change may have been made")
            results = self._job_results(job_id, len(items))
        except DirectoryError as exc:
            return dict((key, exc) for key, _fields in items)
        by_user = {}
        for index, result in enumerate(results):
            # Results name their user in persistedFields.id; failing that, they follow the job's order.
            user_id = (result.get("persistedFields") or {}).get("id") or (
                items[index][1]["id"] if index < len(items) else None)
            by_user[user_id] = result
        outcome = {}
        for key, fields in items:
            result = by_user.get(fields["id"])
            if result is None:
                outcome[key] = DirectoryError("bulk job %s gave no result for this user; the change may have been made"
                                              % job_id)
            elif result.get("status") != "finished":
                outcome[key] = DirectoryError("bulk job %s: %s" % (job_id, result.get("statusMsg") or result.get("status")))
            else:
                outcome[key] = None
                if temporary:
                    try:
                        self.client.request("POST", "/api/systemusers/%s/expire" % fields["id"], write=True)
                    except DirectoryError as exc:
                        outcome[key] = DirectoryError("password set, but expiring it failed: %s" % exc, exc.status)
        return outcome

    def _job_results(self, job_id, count):
        """A bulk job's results (paged) once none is under way; polled with backoff within the client's time limit."""
        path = "/api/v2/bulk/users/%s/results" % job_id
        limit = self.client.timeout * (self.client.retries + 1)
        started, delay = time.monotonic(), 0.2
        while True:
            time.sleep(delay)
            results = []
            while True:
                page = self.client.request("GET", path, params={"limit": PAGE, "skip": len(results)})
                if not isinstance(page, list):
                    raise DirectoryError("GET %s: the answer is not a list of results" % path)
                results.extend(page)
                if len(page) < PAGE or len(results) >= count:
                    break
            if len(results) >= count and all(result.get("status") in _BULK_DONE for result in results):
                return results
            if time.monotonic() - started + delay > limit:
                raise DirectoryError("bulk job %s still under way after %ss; the change may have been made" % (
                    job_id, limit))
            delay = min(delay * 2, 5.0)


def user_facts(user):
    """What the modules return about a user (no secret is ever part of a user record)."""
    mfa = user.get("mfa") or {}
    return {
        "id": user.get("_id"),
        "username": user.get("username"),
        "email": user.get("email"),
        "state": user.get("state"),
        "activated": user.get("activated"),
        "suspended": user.get("suspended"),
        "account_locked": bool(user.get("account_locked")),
        "account_locked_date": user.get("account_locked_date"),
        "bad_login_attempts": user.get("badLoginAttempts"),
        "password_expired": bool(user.get("password_expired")),
        "password_expiration_date": user.get("password_expiration_date"),
        "password_date": user.get("password_date"),
        "password_never_expires": user.get("password_never_expires"),
        "mfa_configured": bool(mfa.get("configured")),
        "totp_enabled": bool(user.get("totp_enabled")),
    }


def build_client(params):
    """A JumpCloudClient from the modules' connection options (doc fragment macfleet.credsync.directory)."""
    base_url = params.get("base_url") or REGIONS[params.get("region") or "us"]
    return JumpCloudClient(
        base_url, api_key=params.get("api_key"), client_id=params.get("client_id"),
        client_secret=params.get("client_secret"), org_id=params.get("org_id"),
        token_url=params.get("oauth_token_url") or OAUTH_TOKEN_URL, validate_certs=params.get("validate_certs", True),
        ca_path=params.get("ca_path"), timeout=params.get("timeout") or 30, retries=params.get("retries", 3),
        concurrency=params.get("max_concurrency") or 8)
