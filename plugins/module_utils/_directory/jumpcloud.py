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

import re
import threading
import time

from .base import AmbiguousWrite, DirectoryError, PolicyViolation, UserNotFound, run_bounded
# Whether requests is there, as callers read it here (the transport itself is http.py's).
from .http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR  # noqa: F401  pylint: disable=unused-import
from .http import RETRY_STATUSES, HttpClient
from .policy import jumpcloud_policy_violations
from .readback import ReadBackWrites

REGIONS = {
    "us": "https://console.jumpcloud.com",
    "eu": "https://console.eu.jumpcloud.com",
    "in": "https://console.in.jumpcloud.com",
}
OAUTH_TOKEN_URL = "https://admin-oauth.id.jumpcloud.com/oauth2/token"
PAGE = 100  # the API's maximum page size
BULK_JOB = 100  # users per bulk job: its results then fit one page
_BULK_DONE = ("finished", "failed")  # a job item's final states; any other is still under way
USER_FIELDS = ("_id", "username", "email", "organization", "account_locked", "account_locked_date",
               "activated", "badLoginAttempts", "password_date", "password_expiration_date", "password_expired",
               "password_never_expires", "state", "suspended", "totp_enabled", "mfa")
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
# A refusal by the password-history rule (JumpCloud's field name is maxHistory).
_HISTORY = re.compile(r"maxHistory|password history|one of the last \d+ passwords", re.IGNORECASE)
# Few users: one filtered query each is cheaper than listing the organisation.
_LIST_THRESHOLD = 10


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


class JumpCloudClient(HttpClient):
    """JumpCloud's API over the shared transport: x-api-key or an OAuth2 bearer token, and x-org-id."""

    def __init__(self, base_url, api_key=None, client_id=None, client_secret=None, org_id=None,
                 token_url=OAUTH_TOKEN_URL, validate_certs=True, ca_path=None, timeout=30, retries=3, concurrency=8):
        if not api_key and not (client_id and client_secret):
            raise DirectoryError("JumpCloud credentials missing: give api_key (or JUMPCLOUD_API_KEY) or client_id "
                                 "and client_secret of a service account")
        super(JumpCloudClient, self).__init__(base_url, validate_certs, ca_path, timeout, retries, concurrency)
        self.api_key = api_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.org_id = org_id
        self.token_url = token_url
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
                                     retry_after=self._wait(answer))
            try:
                body = answer.json()
                token, lifetime = body["access_token"], int(body.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise DirectoryError("%s: the answer holds no access token" % what, answer.status, retryable=True)
            self._token = token
            self._token_expires = time.time() + max(60, lifetime) - 60
            return self._token

    # -- paging ---------------------------------------------------------------------------
    def iter_listing(self, path, params=None, page=PAGE):
        """Every record of a V1 list (`{"results": [...], "totalCount": N}`), `page` at a time by skip, each
        page with request()'s retries. Sorted by _id unless params say otherwise: JumpCloud advises a sort
        whenever skip pages, so that no record is seen twice or missed."""
        params = dict(params or {})
        params.setdefault("sort", "_id")
        skip = 0
        while True:
            answer = self.request("GET", path, params=dict(params, limit=page, skip=skip)) or {}
            results = answer.get("results") or []
            yield from results
            skip += len(results)
            if len(results) < page or skip >= int(answer.get("totalCount", skip)):
                return

    def iter_graph(self, path, params=None, page=PAGE):
        """Every object of a V2 list (a JSON array, such as a graph traversal), `page` at a time by skip, each
        page with request()'s retries; a short page is the last."""
        skip = 0
        while True:
            results = self.request("GET", path, params=dict(params or {}, limit=page, skip=skip)) or []
            yield from results
            skip += len(results)
            if len(results) < page:
                return

    def _error_text(self, answer):
        return _error_text(answer)

    def _token_expired(self):
        if self.api_key or not self._token:
            return False
        self._token = None  # an expired token: fetch a new one and try again
        return True


class JumpCloudDirectory(ReadBackWrites):
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
        params = {"fields": self._fields()}
        if filters:
            params["filter"] = filters
        return self.client.iter_listing("/api/systemusers", params)

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
    # Lost answers are resolved by reading the user back (ReadBackWrites): password_date for a password.
    history_refusal = _HISTORY

    def _read_user(self, user_id):
        return self.client.request("GET", "/api/systemusers/" + user_id, params={"fields": self._fields()}) or {}

    def _send_action(self, user, action):
        self.client.request("POST", "/api/systemusers/%s/%s" % (user["_id"], action), write=True)

    def set_password(self, user, password, temporary=False):
        """PUT the password (ends the user's sessions); temporary: then expire it, so it must change at next login.

        Returns {outcome: set | already_set, changed, note?}; raises DirectoryError (outcome failed, or set when
        only the expiry failed) or UnknownOutcome.
        """
        path = "/api/systemusers/" + user["_id"]
        return self._set_and_settle(user, lambda: self.client.request("PUT", path, body={"password": password},
                                                                      write=True), temporary)

    def set_passwords_bulk(self, changes, temporary=False, concurrency=1, fail_fast=False):
        """Passwords by V2 bulk jobs: changes [(key, user, password, unlock)] -> {key: result dict or DirectoryError}.

        Jobs of BULK_JOB users, `concurrency` at a time, each waited for; temporary: each user written is
        then expired (one call per user). Users named twice are refused before this (the modules check).
        A job whose answer or results are lost is resolved by reading its users back, as a single PUT is.
        """
        items = []
        for key, user, password, unlock in changes:
            fields = {"id": user["_id"], "password": password}
            if unlock:
                fields["account_locked"] = False
            items.append((key, user, fields))
        stop = []

        def job(index):
            batch = items[index:index + BULK_JOB]
            if stop:
                return dict((key, DirectoryError("skipped: an earlier user failed (fail_fast)")) for key, _u, _f in batch)
            done = self._bulk_job(batch, temporary, self.client.retries)
            if fail_fast and any(isinstance(value, DirectoryError) for value in done.values()):
                stop.append(True)
            return done

        outcome = {}
        for _index, done, _error in run_bounded(list(range(0, len(items), BULK_JOB)), job, concurrency):
            outcome.update(done)
        return outcome

    def _bulk_job(self, items, temporary, sends_left):
        """One PATCH /api/v2/bulk/users job of [(key, user, fields)], waited for: {key: result dict or DirectoryError}."""
        results, lost = None, None
        try:
            answer = self.client.request("PATCH", "/api/v2/bulk/users", body=[fields for _k, _u, fields in items],
                                         write=True)
            job_id = answer.get("jobId") if isinstance(answer, dict) else None
            if not job_id:
                raise AmbiguousWrite("PATCH /api/v2/bulk/users: accepted, but the answer names no job")
            try:
                results = self._job_results(job_id, len(items))
            except DirectoryError as exc:
                raise AmbiguousWrite("bulk job %s: its results were not read (%s)" % (job_id, exc), pending=True)
        except AmbiguousWrite as exc:
            lost = exc
        except DirectoryError as exc:
            return dict((key, exc) for key, _user, _fields in items)
        outcome, unsure = {}, []
        if results is not None:
            by_user = {}
            for index, result in enumerate(results):
                # Results name their user in persistedFields.id; failing that, they follow the job's order.
                user_id = ((result.get("persistedFields") or {}).get("id") if isinstance(result, dict) else None) or (
                    items[index][2]["id"] if index < len(items) else None)
                by_user[user_id] = result if isinstance(result, dict) else {}
            for key, user, fields in items:
                result = by_user.get(fields["id"])
                if result is None or result.get("status") not in _BULK_DONE:
                    unsure.append((key, user, fields))
                elif result.get("status") != "finished":
                    refusal = DirectoryError("bulk job %s: %s" % (job_id, result.get("statusMsg") or result.get("status")),
                                             400)
                    try:
                        outcome[key] = self._refused_password(user, user.get("password_date"), refusal)
                    except DirectoryError as exc:
                        outcome[key] = exc
                else:
                    outcome[key] = {"outcome": "set", "changed": True}
            lost = AmbiguousWrite("bulk job %s gave no final result for this user" % job_id, pending=True)
        else:
            unsure = list(items)
        if unsure:
            outcome.update(self._resolve_bulk(unsure, lost, temporary, sends_left))
        for key, user, _fields in items:
            result = outcome[key]
            if not isinstance(result, dict) or result.pop("expiry_done", False) or not temporary:
                continue
            try:
                self._settled_write(user, "expire", lambda record: record.get("password_expired") is True, result)
            except DirectoryError as exc:
                outcome[key] = exc
        return outcome

    def _resolve_bulk(self, items, exc, temporary, sends_left):
        """The users of a job whose answer was lost, read back: set, sent again in a new job, failed, or unknown."""
        befores = dict((user["_id"], user.get("password_date")) for _k, user, _f in items)
        found = self._read_back(list(befores), lambda record: record.get("password_date") != befores.get(
            record.get("_id")), exc.pending)
        outcome, resend = {}, []
        for key, user, fields in items:
            changed, state = found[user["_id"]]
            if changed:
                outcome[key] = {"outcome": "set", "changed": True,
                                "note": "%s; read back: the password was set at %s" % (exc, state.get("password_date"))}
            elif changed is None or exc.pending:
                outcome[key] = self._unknown(exc, state, exc.pending)
            elif sends_left <= 0:
                outcome[key] = DirectoryError("%s; read back: the password is not set" % exc, exc.status)
            else:
                resend.append((key, user, fields))
        if resend:
            for key, result in self._bulk_job(resend, temporary, sends_left - 1).items():
                if isinstance(result, dict):
                    # expired (when temporary) by that job already
                    result = dict(result, expiry_done=True, note="%s; read back: not set, so sent again in a new job"
                                  % exc)
                outcome[key] = result
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
            finished = all(isinstance(result, dict) and result.get("status") in _BULK_DONE for result in results)
            if len(results) >= count and finished:
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
