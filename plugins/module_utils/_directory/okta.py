# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Okta's management API: one HTTP client (SSWS API token or an OAuth 2.0 service app), and the backend the
directory modules use.

Runs on the controller over the transport shared with JumpCloud (http.HttpClient). Okta's rate limits are
honoured from the X-Rate-Limit-* headers (a spent budget pauses every worker until its reset; a 429 waits for
it), lists are paged by the Link header's next cursor, and a lost write is resolved by reading the user back
(readback.ReadBackWrites) as with JumpCloud. Private to the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import base64
import json
import re
import threading
import time
import traceback
import uuid
from urllib.parse import quote, urlsplit

from .base import AmbiguousWrite, DirectoryError, PolicyViolation, UnknownOutcome, UserNotFound
from .http import RETRY_STATUSES, HttpClient, rate_limit_wait, retry_after
from .policy import okta_policy_violations
from .readback import ReadBackWrites

try:
    from requests.utils import parse_header_links
except ImportError:  # requests is checked by the module (http.HAS_REQUESTS)
    parse_header_links = None

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

DEFAULT_SCOPES = ("okta.users.read", "okta.users.manage", "okta.policies.read")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PAGE = 200  # users per page (the default; Okta names no maximum)
_USER_ID = re.compile(r"^00u[0-9A-Za-z]{17}$")
# Okta's refusal of a recent password (cause "password: Password has been used too recently").
_HISTORY = re.compile(r"used too recently|password history", re.IGNORECASE)
# Statuses in which Okta expires a password (expire_password and its temp-password form).
EXPIRABLE = ("ACTIVE", "PASSWORD_EXPIRED", "RECOVERY")
_LIST_THRESHOLD = 10  # few users: one GET each; more: one paged listing of the org
_TOKEN_RENEWAL = 300  # seconds before its expiry a token is renewed (the SDK's oauthTokenRenewalOffset)


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_int(text):
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def load_private_key(text):
    """(RSA private key, kid from a JWK or None) from a PEM or an RSA JWK; DirectoryError naming no part of it."""
    if not HAS_CRYPTOGRAPHY:
        raise DirectoryError("the Python library cryptography is needed for an OAuth service app (private_key)")
    text = text.strip()
    try:
        if text.startswith("{"):
            jwk = json.loads(text)
            if jwk.get("kty") != "RSA":
                raise ValueError("not RSA")
            public = rsa.RSAPublicNumbers(_b64url_int(jwk["e"]), _b64url_int(jwk["n"]))
            key = rsa.RSAPrivateNumbers(
                _b64url_int(jwk["p"]), _b64url_int(jwk["q"]), _b64url_int(jwk["d"]), _b64url_int(jwk["dp"]),
                _b64url_int(jwk["dq"]), _b64url_int(jwk["qi"]), public).private_key()
            return key, jwk.get("kid")
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeError) as exc:
        raise DirectoryError("private_key is not an unencrypted PEM RSA private key or an RSA JWK with its private "
                             "parts (%s)" % type(exc).__name__)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DirectoryError("private_key must be an RSA key: Okta's service apps sign with RS256")
    return key, None


def _error_text(answer):
    """Okta's error body: summary (code): causes; else the raw text (short)."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("errorSummary"):
        causes = [str(cause.get("errorSummary")) for cause in body.get("errorCauses") or []
                  if isinstance(cause, dict) and cause.get("errorSummary")]
        return "%s (%s)%s" % (body["errorSummary"], body.get("errorCode"), ": " + "; ".join(causes) if causes else "")
    if isinstance(body, dict) and body.get("error"):
        return "%s: %s" % (body["error"], body.get("error_description") or "")
    return answer.text()


class OktaClient(HttpClient):
    """Okta's API over the shared transport: SSWS or Bearer auth, X-Rate-Limit-* honoured, Link paging."""

    def __init__(self, org_url, api_token=None, client_id=None, private_key=None, private_key_id=None, scopes=None,
                 validate_certs=True, ca_path=None, timeout=30, retries=3, concurrency=8):
        if api_token and (client_id or private_key):
            raise DirectoryError("give api_token (SSWS) or an OAuth service app (client_id and private_key), not both")
        if not api_token and not (client_id and private_key):
            raise DirectoryError("Okta credentials missing: give api_token (or OKTA_CLIENT_TOKEN), or client_id and "
                                 "private_key of an OAuth service app")
        super(OktaClient, self).__init__(org_url, validate_certs, ca_path, timeout, retries, concurrency)
        self.api_token = api_token
        self.client_id = client_id
        self.scopes = list(scopes or DEFAULT_SCOPES)
        self.token_url = self.base_url + "/oauth2/v1/token"
        self._key, jwk_kid = load_private_key(private_key) if private_key else (None, None)
        self.key_id = private_key_id or jwk_kid
        self._token_lock = threading.Lock()
        self._token = None
        self._token_expires = 0.0
        self._pause_lock = threading.Lock()
        self._pause_until = 0.0  # monotonic time until which no request is sent (a spent rate-limit budget)
        self.paused = 0  # how many times a spent budget paused the workers (benchmarks read it)

    # -- auth ---------------------------------------------------------------------------
    def _auth_headers(self):
        if self.api_token:
            return {"Authorization": "SSWS " + self.api_token}
        return {"Authorization": "Bearer " + self._bearer()}

    def _assertion(self):
        """A private_key_jwt client assertion: RS256, iss = sub = client_id, aud = the token endpoint, 5 minutes."""
        now = int(time.time())
        head = {"alg": "RS256", "typ": "JWT"}
        if self.key_id:
            head["kid"] = self.key_id
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.token_url, "iat": now, "exp": now + 300,
                  "jti": str(uuid.uuid4())}
        signing_input = "%s.%s" % (_b64url(json.dumps(head).encode("utf-8")), _b64url(json.dumps(claims).encode("utf-8")))
        signature = self._key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64url(signature)

    def _bearer(self):
        """A service app's access token (client_credentials, private_key_jwt), renewed 5 minutes before expiry."""
        with self._token_lock:
            if self._token and time.time() < self._token_expires:
                return self._token
            what = "OAuth 2.0 token request"
            answer = self._send("POST", self.token_url, what, data={
                "grant_type": "client_credentials", "scope": " ".join(self.scopes),
                "client_assertion_type": ASSERTION_TYPE, "client_assertion": self._assertion()})
            if answer.status != 200:
                raise DirectoryError("%s refused: HTTP %d: %s" % (what, answer.status, _error_text(answer)), answer.status,
                                     retryable=answer.status in RETRY_STATUSES, retry_after=self._wait(answer))
            try:
                body = answer.json()
                token, lifetime = body["access_token"], int(body.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise DirectoryError("%s: the answer holds no access token" % what, answer.status, retryable=True)
            self._token = token
            self._token_expires = time.time() + max(60, lifetime - _TOKEN_RENEWAL)
            return self._token

    def _token_expired(self):
        if self.api_token or not self._token:
            return False
        self._token = None  # revoked or expired early: fetch a new one and try again
        return True

    # -- rate limits ----------------------------------------------------------------------
    def _error_text(self, answer):
        return _error_text(answer)

    def _wait(self, answer):
        """A 429's wait: until X-Rate-Limit-Reset by the answer's Date (plus jitter); else Retry-After."""
        wait = rate_limit_wait(answer.headers.get("X-Rate-Limit-Reset"), answer.headers.get("Date"))
        return wait if wait is not None else retry_after(answer.headers.get("Retry-After"))

    def _observe(self, answer):
        """An answer that spends the budget (Remaining 0, Limit not 0) holds every worker until its reset."""
        if answer.status < 400 and answer.headers.get("X-Rate-Limit-Remaining") == "0" and \
                answer.headers.get("X-Rate-Limit-Limit") not in (None, "0"):
            wait = rate_limit_wait(answer.headers.get("X-Rate-Limit-Reset"), answer.headers.get("Date"))
            if wait:
                with self._pause_lock:
                    self._pause_until = max(self._pause_until, time.monotonic() + wait)
                    self.paused += 1

    def _send(self, method, url, what, write=False, **kwargs):
        with self._pause_lock:
            pause = self._pause_until - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        return super(OktaClient, self)._send(method, url, what, write=write, **kwargs)

    # -- paging ---------------------------------------------------------------------------
    def pages(self, path, params=None):
        """Every item of a list, page after page by the Link header's rel="next" (its cursor is opaque)."""
        url, query, seen = path, params, set()
        while url:
            items, headers = self.request("GET", url, params=query, with_headers=True)
            if not isinstance(items, list):
                raise DirectoryError("GET %s: the answer is not a list" % urlsplit(url).path)
            yield from items
            seen.add(url)
            url, query = self._next_link(headers.get("Link")), None
            if url in seen:
                # A cursor that leads back to a page already read would page forever (and list users twice).
                raise DirectoryError("GET %s: the next page's link leads back to a page already read; paging "
                                     "stopped" % urlsplit(url).path)

    def _next_link(self, header):
        for link in parse_header_links(header) if header else []:
            if link.get("rel") == "next" and link.get("url"):
                # Only a link to this org is followed: the credentials go with it.
                target, org = urlsplit(link["url"]), urlsplit(self.base_url)
                if (target.scheme.lower(), target.netloc.lower()) != (org.scheme.lower(), org.netloc.lower()):
                    raise DirectoryError("the next page's link points away from the org URL (another host or "
                                         "scheme); not followed")
                return link["url"]
        return None


def _record(raw):
    """The user record the modules work with (_id, username, account_locked... as for every provider)."""
    profile = raw.get("profile") or {}
    credentials = raw.get("credentials") or {}
    status = raw.get("status")
    return {
        "_id": raw.get("id"),
        "username": profile.get("login"),
        "email": profile.get("email"),
        "first_name": profile.get("firstName"),
        "last_name": profile.get("lastName"),
        "profile": profile,
        "status": status,
        "transitioning_to": raw.get("transitioningToStatus"),
        "created": raw.get("created"),
        "activated": raw.get("activated"),
        "status_changed": raw.get("statusChanged"),
        "last_login": raw.get("lastLogin"),
        "last_updated": raw.get("lastUpdated"),
        "password_date": raw.get("passwordChanged"),
        "account_locked": status == "LOCKED_OUT",
        "password_expired": status == "PASSWORD_EXPIRED",
        "provider_type": (credentials.get("provider") or {}).get("type") or "OKTA",
        "has_password": "password" in credentials,
    }


class OktaDirectory(ReadBackWrites):
    """The directory operations the modules need, on Okta's management API."""

    provider = "okta"
    history_refusal = _HISTORY
    # Okta cannot expire the password of a locked-out user: with unlock, the account is unlocked first.
    unlock_before_set = True

    def __init__(self, client):
        self.client = client
        self._policies = None
        self._policy_lock = threading.Lock()

    # -- users ----------------------------------------------------------------------------
    def find_user(self, identifier):
        """One user by id, login, or a login's short name (the part before @) that names one user."""
        if _is_me(identifier):
            raise _me_refused(identifier)
        try:
            return _record(self.client.request("GET", "/api/v1/users/" + quote(identifier, safe="")) or {})
        except DirectoryError as exc:
            if exc.status == 404:
                raise UserNotFound("no Okta user with id, login or login short name %r" % identifier, 404)
            raise

    def iter_users(self, filters=None):
        """Every user (DEPROVISIONED ones only when a search names them); filters: Okta search expressions, all of
        which must match (such as status eq "LOCKED_OUT")."""
        params = {"limit": PAGE}
        if filters:
            params["search"] = " and ".join("(%s)" % expression for expression in filters)
        for raw in self.client.pages("/api/v1/users", params):
            yield _record(raw)

    def resolve(self, identifiers):
        """{identifier: user or DirectoryError}: few users one GET each, many by one paged listing of the org."""
        resolved = {}
        if len(identifiers) <= _LIST_THRESHOLD:
            for identifier in identifiers:
                try:
                    resolved[identifier] = self.find_user(identifier)
                except DirectoryError as exc:
                    resolved[identifier] = exc
            return resolved
        index, short = {}, {}
        for user in self.iter_users():
            index[user["_id"]] = user
            login = (user["username"] or "").lower()
            index[login] = user
            short.setdefault(login.split("@")[0], []).append(user)
        for identifier in identifiers:
            if _is_me(identifier):
                resolved[identifier] = _me_refused(identifier)
                continue
            key = identifier if _USER_ID.match(identifier) else identifier.lower()
            user = index.get(key)
            if user is None and "@" not in key and len(short.get(key, [])) == 1:
                user = short[key][0]
            resolved[identifier] = user if user is not None else UserNotFound(
                "no Okta user with id, login or login short name %r (deprovisioned users are not looked at)"
                % identifier)
        return resolved

    # -- policy ---------------------------------------------------------------------------
    def password_policies(self):
        """The org's ACTIVE password policies by priority, read once."""
        with self._policy_lock:
            if self._policies is None:
                try:
                    policies = [p for p in self.client.pages("/api/v1/policies", {"type": "PASSWORD"})
                                if isinstance(p, dict) and p.get("status", "ACTIVE") == "ACTIVE"]
                except DirectoryError as exc:
                    if exc.status != 403:
                        raise
                    raise DirectoryError("%s; the password policy is checked before any password is sent, so the "
                                         "token or service app must be allowed to read it (scope okta.policies.read, "
                                         "and an admin role that may read policies)" % exc, exc.status)
                self._policies = sorted(policies, key=lambda p: p.get("priority") or 0)
            return self._policies

    def policy_for(self, user):
        """The policy that applies: the first by priority for the user's provider whose groups include one of the
        user's (Okta documents no exact rule; this is the Admin Console's). The user's groups are read only when
        a policy is scoped narrower than the default policy's groups (Everyone)."""
        policies = [p for p in self.password_policies() if _provider_of(p) in ("ANY", user["provider_type"])]
        if not policies:
            return None
        system = [p for p in self.password_policies() if p.get("system")]
        everyone = set(_groups_of(system[0])) if system else set()
        first = policies[0]
        if everyone and everyone <= set(_groups_of(first)):
            return first
        groups = set(g.get("id") for g in self.client.request("GET", "/api/v1/users/%s/groups" % user["_id"]) or []
                     if isinstance(g, dict))
        for policy in policies:
            if groups & set(_groups_of(policy)):
                return policy
        return system[0] if system else None

    def check_password(self, user, password):
        """Raise PolicyViolation naming every rule the password breaks (nothing is sent); a user whose password
        another directory masters is refused too."""
        _okta_sourced(user, "set its password")
        policy = self.policy_for(user)
        if policy is None:
            return
        complexity = ((policy.get("settings") or {}).get("password") or {}).get("complexity") or {}
        broken = okta_policy_violations(password, complexity, user["username"], user["profile"])
        if broken:
            raise PolicyViolation(["%s (policy %s)" % (rule, policy.get("name")) for rule in broken])

    def check_reset(self, user, temporary, unlock):
        """What the later steps of a reset need, known before anything is written."""
        if user["status"] == "DEPROVISIONED":
            # Okta updates a deactivated user only where the org allows profile edits, never its password.
            raise DirectoryError("the user is DEPROVISIONED (deactivated) and cannot sign in: Okta does not set the "
                                 "password of a deactivated user; activate the user first")
        if not temporary:
            return
        status = "ACTIVE" if user["account_locked"] and unlock else user["status"]
        if user["account_locked"] and not unlock:
            raise DirectoryError("the user is locked out and Okta cannot expire a locked-out user's password: give "
                                 "unlock: true, or unlock first")
        if status not in EXPIRABLE:
            raise DirectoryError("the user's status is %s; Okta expires passwords of users who can sign in (%s): "
                                 "temporary is refused" % (user["status"], ", ".join(EXPIRABLE)))

    # -- writes ---------------------------------------------------------------------------
    def _read_user(self, user_id):
        return _record(self.client.request("GET", "/api/v1/users/" + user_id) or {})

    def _send_action(self, user, action):
        lifecycle = {"expire": "expire_password", "unlock": "unlock"}[action]
        self.client.request("POST", "/api/v1/users/%s/lifecycle/%s" % (user["_id"], lifecycle), write=True)

    def set_password(self, user, password, temporary=False):
        """An admin's set (POST /api/v1/users/{id}?strict=true: the policy's history and minimum age apply);
        temporary: then expire_password, so it must be changed at next sign-in (the password is kept)."""
        path = "/api/v1/users/" + user["_id"]
        return self._set_and_settle(user, lambda: self.client.request(
            "POST", path, params={"strict": "true"}, body={"credentials": {"password": {"value": password}}},
            write=True), temporary)

    def set_temporary_password(self, user):
        """expire_password_with_temp_password: Okta makes a temporary password and expires it.

        Returns {outcome: set, changed, temporary_password}. A lost answer may hide a temporary password set and
        never received: a new call replaces it (the one answered is the user's), at most `retries` more times,
        each after reading back that a pending call has landed or the time is up.
        """
        path = "/api/v1/users/%s/lifecycle/expire_password_with_temp_password" % user["_id"]
        story = None
        for attempt in range(self.client.retries + 1):
            try:
                answer = self.client.request("POST", path, write=True)
            except AmbiguousWrite as exc:
                story = "%s; %s" % (story, exc) if story else str(exc)
                if exc.pending:  # let a call still under way land before the next one replaces it
                    self._read_back([user["_id"]], lambda record: record.get("password_date") != user.get(
                        "password_date"), True)
                if attempt == self.client.retries:
                    break
                continue
            temporary = answer.get("tempPassword") if isinstance(answer, dict) else None
            if not isinstance(temporary, str) or not temporary:
                story = "%s; %s" % (story, "the answer holds no temporary password") if story else \
                    "the answer holds no temporary password"
                continue
            result = {"outcome": "set", "changed": True, "temporary_password": temporary}
            if story:
                result["note"] = "%s; sent again: a new temporary password replaces any the lost answer held" % story
            return result
        raise UnknownOutcome("%s: Okta may have set a temporary password this run never received; run again (a new "
                             "temporary password replaces it)" % story)

    def unlock(self, user, result=None):
        """POST .../lifecycle/unlock (LOCKED_OUT to ACTIVE); Okta unlocks only Okta-sourced users."""
        _okta_sourced(user, "unlock it")
        super(OktaDirectory, self).unlock(user, result)


def _is_me(identifier):
    return identifier.strip().lower() == "me"


def _me_refused(identifier):
    """GET /api/v1/users/me is the admin the API token belongs to, never a login's short name: refused, not read."""
    return DirectoryError("%r is refused: Okta reads it as the admin the API token belongs to, not as a user's login "
                          "short name; give the user's login or id" % identifier)


def _provider_of(policy):
    return (((policy.get("conditions") or {}).get("authProvider") or {}).get("provider")) or "OKTA"


def _groups_of(policy):
    return ((((policy.get("conditions") or {}).get("people") or {}).get("groups") or {}).get("include")) or []


def _okta_sourced(user, what):
    if user["provider_type"] != "OKTA":
        raise DirectoryError("the user's credentials are sourced from %s, which masters the password: Okta cannot %s "
                             "(do it there, for Active Directory with provider: ad)" % (user["provider_type"], what))


def user_facts(user):
    """What the modules return about an Okta user (no secret is ever part of a user record)."""
    return {
        "id": user["_id"],
        "username": user["username"],
        "email": user["email"],
        "status": user["status"],
        "created": user["created"],
        "activated": user["activated"],
        "status_changed": user["status_changed"],
        "last_login": user["last_login"],
        "last_updated": user["last_updated"],
        "password_changed": user["password_date"],
        "password_date": user["password_date"],
        "account_locked": user["account_locked"],
        "password_expired": user["password_expired"],
        "credentials_provider": user["provider_type"],
    }


def build_client(params):
    """An OktaClient from the modules' connection options (doc fragment macfleet.credsync.directory)."""
    if not params.get("org_url"):
        raise DirectoryError("provider okta needs org_url (such as https://example.okta.com)")
    return OktaClient(
        params["org_url"], api_token=params.get("api_token"), client_id=params.get("client_id"),
        private_key=params.get("private_key"), private_key_id=params.get("private_key_id"),
        scopes=params.get("scopes"), validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
        timeout=params.get("timeout") or 30, retries=params.get("retries", 3),
        concurrency=params.get("max_concurrency") or 8)
