"""oktasim's request pipeline, free of sockets (simhttp's App): rate limits and faults, routing, SSWS or
Bearer authentication and scopes, query and body checks, the operation, the call log.

Routes, parameters, scopes, status codes and error bodies follow Okta's management OpenAPI spec (the cut in
../shared/reference/data/okta-openapi/); where it is silent, the choice says `unconfirmed`.
"""

import base64
import json
import math
import re
import secrets
import threading
import time
import traceback
import urllib.parse

from simhttp import App as HttpApp
from simhttp import Reply, apply_fault

from ._oauth import OAuthError
from ._search import parse
from ._store import EXPIRABLE, PasswordRefused, iso

JSON_TYPE = "application/json"
USERS_READ, USERS_MANAGE = "okta.users.read", "okta.users.manage"
GROUPS_READ, GROUPS_MANAGE, POLICIES_READ = "okta.groups.read", "okta.groups.manage", "okta.policies.read"
_PROFILE_FIELDS = frozenset((
    "city", "costCenter", "countryCode", "department", "displayName", "division", "email", "employeeNumber",
    "firstName", "honorificPrefix", "honorificSuffix", "lastName", "locale", "login", "manager", "managerId",
    "middleName", "mobilePhone", "nickName", "organization", "postalAddress", "preferredLanguage", "primaryPhone",
    "profileUrl", "secondEmail", "state", "streetAddress", "timezone", "title", "userType", "zipCode"))
POLICY_TYPES = ("ACCESS_POLICY", "ENTITY_RISK", "IDP_DISCOVERY", "MFA_ENROLL", "OKTA_SIGN_ON", "PASSWORD",
                "POST_AUTH_SESSION", "PROFILE_ENROLLMENT", "DEVICE_SIGNAL_COLLECTION", "SESSION_VIOLATION_DETECTION",
                "CLIENT_UPDATE", "IDENTITY_CLAIM_SOURCING")


class OktaError(Exception):
    """An error answer with Okta's body: errorCode, errorSummary, errorLink, errorId, errorCauses."""

    def __init__(self, status, code, summary, causes=(), headers=None):
        super().__init__(summary)
        self.status = status
        self.code = code
        self.summary = summary
        self.causes = list(causes)
        self.headers = headers or {}

    def reply(self):
        body = {"errorCode": self.code, "errorSummary": self.summary, "errorLink": self.code,
                "errorId": "oae" + secrets.token_urlsafe(16), "errorCauses": [{"errorSummary": c} for c in self.causes]}
        return json_reply(self.status, body, self.headers)


def not_found(what):
    return OktaError(404, "E0000007", "Not found: Resource not found: %s" % what)


def invalid(what, causes=()):
    return OktaError(400, "E0000001", "Api validation failed: %s" % what, causes)


def not_allowed():
    # unconfirmed: the spec gives no example for a lifecycle call in the wrong status; Okta's error code list has this.
    return OktaError(403, "E0000038", "This operation is not allowed in the user's current status.")


def json_reply(status, payload, headers=None):
    headers = dict(headers or {})
    if payload is None:
        return Reply(status, b"", headers)
    headers["Content-Type"] = JSON_TYPE
    return Reply(status, json.dumps(payload).encode("utf-8"), headers)


class Route:
    def __init__(self, method, template, handler, scope, params=(), body="none", required=()):
        self.method = method
        self.template = template
        self.pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
        self.handler = handler
        self.scope = scope
        self.params = frozenset(params)
        self.body = body  # none (any body ignored, as Okta's SDK sends bodiless POSTs as octet-stream), json
        self.required = required


class RateLimits:
    """Okta's rate limits: a budget per route and minute, reported on every answer in X-Rate-Limit-Limit,
    -Remaining and -Reset (UTC epoch seconds), 429 E0000047 once spent; a concurrency limit (429 with Limit =
    Remaining = 0); and a storm: a Trigger picking calls to answer 429 whatever the budget."""

    def __init__(self, per_minute=600):
        self.lock = threading.Lock()
        self.per_minute = per_minute
        self.windows = {}
        self.storm = None
        self.storm_reset = 1
        self.concurrency = None
        self.in_flight = 0
        self.limited = 0

    def admit(self, method, path, bucket):
        """(admitted, headers): the X-Rate-Limit-* headers of this answer; not admitted means a 429."""
        with self.lock:
            now = time.time()
            if self.concurrency is not None and self.in_flight >= self.concurrency:
                self.limited += 1
                return False, {"X-Rate-Limit-Limit": "0", "X-Rate-Limit-Remaining": "0",
                               "X-Rate-Limit-Reset": str(int(math.ceil(now)) + 1)}
            start = int(now // 60) * 60
            window = self.windows.get(bucket)
            if window is None or window[0] != start:
                window = self.windows[bucket] = [start, 0]
            headers = {"X-Rate-Limit-Limit": str(self.per_minute), "X-Rate-Limit-Reset": str(start + 60)}
            if self.storm is not None and self.storm.fires(method, path):
                self.limited += 1
                return False, dict(headers, **{"X-Rate-Limit-Remaining": "0",
                                               "X-Rate-Limit-Reset": str(int(math.ceil(now)) + self.storm_reset)})
            if window[1] >= self.per_minute:
                self.limited += 1
                return False, dict(headers, **{"X-Rate-Limit-Remaining": "0"})
            window[1] += 1
            self.in_flight += 1
            return True, dict(headers, **{"X-Rate-Limit-Remaining": str(self.per_minute - window[1])})

    def done(self):
        with self.lock:
            self.in_flight -= 1


def _cursor(user_id):
    return base64.urlsafe_b64encode(("c:" + user_id).encode()).decode().rstrip("=")


def _after(cursor):
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith("c:"):
        raise invalid("after", ["after: the paging cursor is not valid"])  # unconfirmed wording
    return text[2:]


class App(HttpApp):
    def __init__(self, store, tokens, controls, sim):
        self.store = store
        self.tokens = tokens
        self.controls = controls
        self.sim = sim
        self.api_tokens = set()
        self.limits = RateLimits()
        self.internal_errors = []
        self.temp_passwords = {}  # user id -> the last temporary password issued (tests read it, never logged)
        self.routes = [
            Route("GET", "/api/v1/users", self.list_users, USERS_READ,
                  ("search", "filter", "q", "after", "limit", "sortBy", "sortOrder", "fields", "expand")),
            Route("GET", "/api/v1/users/{id}", self.get_user, USERS_READ, ("expand",)),
            Route("POST", "/api/v1/users/{id}", self.update_user, USERS_MANAGE, ("strict",), "json"),
            Route("PUT", "/api/v1/users/{id}", self.replace_user, USERS_MANAGE, ("strict",), "json"),
            Route("GET", "/api/v1/users/{id}/groups", self.user_groups, USERS_READ),
            Route("POST", "/api/v1/users/{id}/lifecycle/expire_password", self.expire_password, USERS_MANAGE),
            Route("POST", "/api/v1/users/{id}/lifecycle/expire_password_with_temp_password", self.expire_with_temp,
                  USERS_MANAGE, ("revokeSessions",)),
            Route("POST", "/api/v1/users/{id}/lifecycle/unlock", self.unlock, USERS_MANAGE),
            Route("POST", "/api/v1/users/{id}/lifecycle/reset_password", self.reset_password, USERS_MANAGE,
                  ("sendEmail", "revokeSessions"), required=("sendEmail",)),
            Route("POST", "/api/v1/users/{id}/lifecycle/suspend", self.transition(("ACTIVE",), "SUSPENDED", 400),
                  USERS_MANAGE),
            Route("POST", "/api/v1/users/{id}/lifecycle/unsuspend", self.transition(("SUSPENDED",), "ACTIVE", 400),
                  USERS_MANAGE),
            Route("POST", "/api/v1/users/{id}/lifecycle/activate", self.transition(
                ("STAGED", "DEPROVISIONED"), "PROVISIONED"), USERS_MANAGE, ("sendEmail",)),
            Route("POST", "/api/v1/users/{id}/lifecycle/reactivate", self.transition(
                ("PROVISIONED", "RECOVERY"), "PROVISIONED"), USERS_MANAGE, ("sendEmail",)),
            Route("POST", "/api/v1/users/{id}/lifecycle/deactivate", self.transition(
                tuple(s for s in EXPIRABLE + ("STAGED", "PROVISIONED", "LOCKED_OUT", "SUSPENDED")), "DEPROVISIONED"),
                USERS_MANAGE, ("sendEmail",)),
            Route("POST", "/api/v1/users/{userId}/credentials/change_password", self.change_password, USERS_MANAGE,
                  ("strict",), "json"),
            Route("POST", "/api/v1/users/{userId}/credentials/forgot_password", self.forgot_password, USERS_MANAGE,
                  ("sendEmail",)),
            Route("DELETE", "/api/v1/users/{userId}/sessions", self.revoke_sessions, USERS_MANAGE,
                  ("oauthTokens", "forgetDevices")),
            Route("GET", "/api/v1/groups", self.list_groups, GROUPS_READ,
                  ("search", "filter", "q", "after", "limit", "expand", "sortBy", "sortOrder")),
            Route("GET", "/api/v1/groups/{groupId}/users", self.group_users, GROUPS_READ, ("after", "limit")),
            Route("GET", "/api/v1/policies", self.list_policies, POLICIES_READ,
                  ("type", "status", "q", "expand", "sortBy", "limit", "resourceId", "after"), required=("type",)),
            Route("GET", "/api/v1/policies/{policyId}", self.get_policy, POLICIES_READ, ("expand",)),
            Route("GET", "/api/v1/policies/{policyId}/rules", self.policy_rules, POLICIES_READ, ("limit",)),
            Route("GET", "/api/v1/policies/{policyId}/rules/{ruleId}", self.policy_rule, POLICIES_READ),
        ]

    # --- the edge -----------------------------------------------------------------------------

    def refuse(self, status, message):
        return OktaError(status, "E0000001", "Api validation failed: %s" % message).reply()

    def handle(self, method, target, headers, body):
        split = urllib.parse.urlsplit(target)
        if split.path.startswith("/__sim/"):
            return self._control(method, split.path[len("/__sim/"):], body)
        call = {"time": time.time(), "method": method, "path": split.path, "query": split.query, "route": None,
                "status": None, "auth": _scheme(headers.get("authorization")), "user_agent": headers.get("user-agent"),
                "content_type": headers.get("content-type"), "body_bytes": len(body), "fault": None, "user_id": None,
                "retry_count": headers.get("x-okta-retry-count"), "action": "send"}
        started = time.monotonic()
        try:
            reply = self._route_and_serve(method, split, headers, body, call)
        except Exception:  # pylint: disable=broad-except  # a simulator bug: answer 500 and keep it visible
            self.internal_errors.append(traceback.format_exc())
            reply = OktaError(500, "E0000009", "Internal Server Error").reply()
        reply.headers.setdefault("X-Okta-Request-Id", secrets.token_urlsafe(12))
        call.update(status=reply.status if reply.action != "reset" else None, action=reply.action,
                    ms=round((time.monotonic() - started) * 1000, 1))
        self.controls.record(call)
        return reply

    def _route_and_serve(self, method, split, headers, body, call):
        path = split.path
        if path == "/oauth2/v1/token":
            call["route"] = "POST /oauth2/v1/token"
            if method != "POST":
                return OktaError(405, "E0000022", "The endpoint does not support the provided HTTP method",
                                 headers={"Allow": "POST"}).reply()
            return self._faulty(method, path, call, lambda: self._token(headers, body))
        route, params, allowed = self._match(method, path)
        if route is None:
            if allowed:
                return OktaError(405, "E0000022", "The endpoint does not support the provided HTTP method",
                                 headers={"Allow": ", ".join(allowed)}).reply()
            return not_found(path).reply()
        call["route"] = "%s %s" % (method, route.template)
        call["user_id"] = params.get("id") or params.get("userId")
        admitted, limit_headers = self.limits.admit(method, path, route.template)
        if not admitted:
            call["fault"] = "rate_limit"
            return OktaError(429, "E0000047", "API call exceeded rate limit due to too many requests.",
                             headers=limit_headers).reply()
        try:
            reply = self._faulty(method, path, call, lambda: self._serve(route, params, split.query, headers, body))
        finally:
            self.limits.done()
        reply.headers.update(limit_headers)
        return reply

    def _faulty(self, method, path, call, serve):
        """serve() -> Reply, or the fault a rule picks for this call around it."""
        fault = self.controls.pick_fault(method, path)
        if fault is None:
            return serve()
        call["fault"] = fault.kind
        return apply_fault(fault, serve, lambda status: OktaError(
            status, "E0000009", "Internal Server Error" if status == 500 else "Service unavailable").reply(), JSON_TYPE)

    def _match(self, method, path):
        allowed = []
        for route in self.routes:
            found = route.pattern.match(path)
            if found:
                if route.method == method:
                    return route, {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}, allowed
                allowed.append(route.method)
        return None, None, allowed

    def _serve(self, route, params, query, headers, body):
        try:
            with self.store.lock:
                self._authorise(headers, route.scope)
                parsed = urllib.parse.parse_qs(query, keep_blank_values=True)
                unknown = sorted(set(parsed) - route.params)
                if unknown:  # unconfirmed: Okta may ignore unknown parameters; strict here
                    raise invalid(unknown[0], ["%s: unknown query parameter" % unknown[0]])
                missing = [name for name in route.required if name not in parsed]
                if missing:
                    raise OktaError(400, "E0000028", "The request is missing a required parameter.",
                                    ["%s: is required" % missing[0]])
                query_args = {key: values[-1] for key, values in parsed.items()}
                payload = self._body(route, headers, body)
                return route.handler(params, query_args, payload)
        except OktaError as error:
            return error.reply()

    def _authorise(self, headers, scope):
        authorization = headers.get("authorization")
        if not authorization:
            raise OktaError(401, "E0000005", "Invalid session")  # unconfirmed: no credentials at all
        scheme = _scheme(authorization)
        # Okta's SDK 3.x joins scheme and token with no space ("SSWS<token>"): both forms are taken.
        token = authorization[len(scheme or ""):].strip() if scheme else ""
        if scheme == "ssws" and token in self.api_tokens:
            return
        if scheme == "bearer":
            scopes = self.tokens.scopes_of(token)
            if scopes is not None:
                if scope not in scopes:
                    raise OktaError(403, "E0000006", "You do not have permission to perform the requested action",
                                    headers={"WWW-Authenticate": 'Bearer authorization_uri="%s/oauth2/v1/authorize", '
                                             'realm="%s", scope="%s", error="insufficient_scope", error_description='
                                             '"The access token provided does not contain the required scopes.", '
                                             'resource="%s"' % (self.sim.url, self.sim.url, scope, self.sim.url)})
                return
        raise OktaError(401, "E0000011", "Invalid token provided")

    @staticmethod
    def _body(route, headers, body):
        if route.body == "none":
            return None
        if not body:
            raise invalid("request body", ["the request body is required"])
        content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise OktaError(415, "E0000001", "Api validation failed: Content-Type must be application/json")
        try:
            value = json.loads(body.decode("utf-8"))
        except ValueError:
            raise OktaError(400, "E0000003", "The request body was not well-formed.")
        if not isinstance(value, dict):
            raise OktaError(400, "E0000003", "The request body was not well-formed.")
        return value

    def _token(self, headers, body):
        content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
        try:
            if content_type != "application/x-www-form-urlencoded":
                raise OAuthError(400, "invalid_request", "The request must be application/x-www-form-urlencoded.")
            with self.store.lock:
                return json_reply(200, self.tokens.issue(body, self.sim.url + "/oauth2/v1/token"))
        except OAuthError as error:
            return json_reply(error.status, {"error": error.error, "error_description": error.description})

    # --- users -----------------------------------------------------------------------------

    def user_json(self, user):
        links = {"self": {"href": "%s/api/v1/users/%s" % (self.sim.url, user.id)}}
        operations = {"ACTIVE": ("suspend", "resetPassword", "expirePassword", "forgotPassword", "changePassword",
                                 "deactivate", "unlock"),
                      "LOCKED_OUT": ("unlock", "resetPassword", "deactivate"),
                      "PASSWORD_EXPIRED": ("resetPassword", "expirePassword", "changePassword", "deactivate"),
                      "RECOVERY": ("resetPassword", "expirePassword", "changePassword", "deactivate"),
                      "SUSPENDED": ("unsuspend", "deactivate"), "STAGED": ("activate", "deactivate"),
                      "PROVISIONED": ("reactivate", "deactivate"), "DEPROVISIONED": ("activate",)}
        for name in operations.get(user.status, ()):
            links[name] = {"href": "%s/api/v1/users/%s/lifecycle/%s" % (self.sim.url, user.id, name),
                           "method": "POST"}
        credentials = {"provider": {"type": user.provider, "name": "OKTA" if user.provider == "OKTA" else user.provider}}
        if user.hash is not None:
            credentials["password"] = {}
        if user.recovery_question:
            credentials["recovery_question"] = {"question": user.recovery_question}
        return {"id": user.id, "status": user.status, "created": iso(user.created), "activated": iso(user.activated),
                "statusChanged": iso(user.status_changed), "lastLogin": iso(user.last_login),
                "lastUpdated": iso(user.last_updated), "passwordChanged": iso(user.password_changed),
                "type": {"id": "oty0defaultusertype0"}, "profile": dict(user.profile), "credentials": credentials,
                "_links": links}

    def _user(self, key):
        user = self.store.find(key)
        if user is None:
            raise not_found("%s (User)" % key)
        return user

    def list_users(self, _params, query, _body):
        limit = query.get("limit")
        q = query.get("q")
        try:
            limit = int(limit) if limit is not None else (10 if q is not None else 200)
        except ValueError:
            raise invalid("limit", ["limit: must be an integer"])
        if limit < 1:
            raise invalid("limit", ["limit: must be at least 1"])
        limit = min(limit, 200)  # unconfirmed: the spec names no maximum for users; 200 as for most lists
        predicate = None
        for mode in ("search", "filter"):
            if query.get(mode) is not None:
                try:
                    predicate = parse(query[mode], mode)
                except ValueError:
                    raise OktaError(400, "E0000031", "Invalid search criteria.")  # unconfirmed code
        users = sorted(self.store.users.values(), key=lambda user: user.id)
        if predicate is None and q is None:
            users = [user for user in users if user.status != "DEPROVISIONED"]
        if q is not None:
            wanted = q.lower()
            users = [user for user in users if any((user.profile.get(name) or "").lower().startswith(wanted)
                                                   for name in ("firstName", "lastName", "email"))]
            return json_reply(200, [self.user_json(self.store.refresh(user)) for user in users[:limit]])
        if "after" in query:
            last = _after(query["after"])
            users = [user for user in users if user.id > last]
        page, rows = [], []
        for user in users:
            record = self.user_json(self.store.refresh(user))
            if predicate is None or predicate(record):
                page.append(record)
                rows.append(user)
                if len(page) > limit:
                    break
        more = len(page) > limit
        page = page[:limit]
        keep = {key: value for key, value in query.items() if key != "after"}
        links = ['<%s>; rel="self"' % self._page_url(dict(keep, **(
            {"after": query["after"]} if "after" in query else {})))]
        if more:
            following = dict(keep, after=_cursor(page[-1]["id"]), limit=str(limit))
            links.append('<%s>; rel="next"' % self._page_url(following))
        if query.get("fields"):
            page = [_project(record, query["fields"]) for record in page]
        return json_reply(200, page, {"Link": ", ".join(links)})

    def _page_url(self, query):
        text = urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        return "%s/api/v1/users%s" % (self.sim.url, "?" + text if text else "")

    def get_user(self, params, _query, _body):
        return json_reply(200, self.user_json(self._user(params["id"])))

    def update_user(self, params, query, body, replace=False):
        user = self._user(params["id"])
        if user.status == "DEPROVISIONED":
            # The spec: a DEPROVISIONED user's profile can be updated only with the org's "Edit Deactivated User
            # Profile Updates" option (off here); its credentials never. Status code and errorCode unconfirmed.
            raise not_allowed()
        unknown = sorted(set(body) - {"credentials", "profile", "realmId", "type"})
        if unknown:
            raise invalid(unknown[0], ["%s: the property is not defined" % unknown[0]])
        profile = body.get("profile")
        if replace and not isinstance(profile, dict):
            raise invalid("profile", ["profile: is required"])
        if profile is not None:
            if not isinstance(profile, dict):
                raise invalid("profile", ["profile: must be an object"])
            extra = sorted(set(profile) - _PROFILE_FIELDS)
            if extra:
                raise invalid("profile", ["Property name '%s' is not defined in profile" % extra[0]])
            merged = dict(profile) if replace else dict(user.profile, **profile)
            for name in ("login", "email", "firstName", "lastName"):
                if not merged.get(name):
                    raise invalid(name, ["%s: The field cannot be left blank" % name])
        password = self._password_value(body.get("credentials"))
        strict = str(query.get("strict", "false")).lower() == "true"
        fields = []
        if password is not None:
            try:
                self.store.set_password(user, password, strict)
            except PasswordRefused as refused:
                raise invalid("password", refused.causes)
            fields.append("password")
        if profile is not None:
            user.profile = merged if replace else dict(user.profile, **profile)
            user.last_updated = self.store.now()
            fields += sorted(profile)
        self.store.record_write(user, "replace" if replace else "update", fields)
        return json_reply(200, self.user_json(user))

    def replace_user(self, params, query, body):
        return self.update_user(params, query, body, replace=True)

    @staticmethod
    def _password_value(credentials):
        if credentials is None:
            return None
        if not isinstance(credentials, dict):
            raise invalid("credentials", ["credentials: must be an object"])
        unknown = sorted(set(credentials) - {"password", "recovery_question", "provider"})
        if unknown:
            raise invalid("credentials", ["credentials.%s: the property is not defined" % unknown[0]])
        password = credentials.get("password")
        if password is None:
            return None
        if not isinstance(password, dict) or set(password) - {"value", "hash", "hook"}:
            raise invalid("password", ["credentials.password: must be an object with value, hash or hook"])
        value = password.get("value")
        if value is not None and not isinstance(value, str):
            raise invalid("password", ["credentials.password.value: must be a string"])
        return value

    def user_groups(self, params, _query, _body):
        user = self._user(params["id"])
        return json_reply(200, [dict(self.store.groups[g]) for g in sorted(user.groups)])

    def expire_password(self, params, _query, _body):
        user = self._user(params["id"])
        if user.status not in EXPIRABLE:
            raise not_allowed()
        self.store.set_status(user, "PASSWORD_EXPIRED")
        self.store.record_write(user, "expire_password")
        return json_reply(200, self.user_json(user))

    def expire_with_temp(self, params, query, _body):
        user = self._user(params["id"])
        if user.status not in EXPIRABLE:
            raise not_allowed()
        temp = self.store.temp_password(user)
        user.set_hash(temp, self.store.now())
        user.temp_passwords += 1
        self.temp_passwords[user.id] = temp
        self.store.set_status(user, "PASSWORD_EXPIRED")
        if str(query.get("revokeSessions", "false")).lower() == "true":
            user.sessions, user.sessions_revoked = 0, user.sessions_revoked + 1
        self.store.record_write(user, "expire_password_with_temp_password")
        return json_reply(200, {"tempPassword": temp})

    def unlock(self, params, _query, _body):
        user = self._user(params["id"])
        if user.provider != "OKTA" or user.status not in ("LOCKED_OUT", "ACTIVE"):
            raise not_allowed()  # unlock takes Okta-sourced users, LOCKED_OUT (or ACTIVE and blocked)
        if user.status == "LOCKED_OUT":
            self.store.set_status(user, "ACTIVE")
        user.failed = 0
        self.store.record_write(user, "unlock")
        return Reply(200, b"")

    def reset_password(self, params, query, _body):
        user = self._user(params["id"])
        if user.status in ("STAGED", "DEPROVISIONED", "SUSPENDED"):
            raise not_allowed()
        self.store.set_status(user, "RECOVERY")
        self.store.record_write(user, "reset_password")
        if str(query.get("sendEmail")).lower() == "false":
            return json_reply(200, {"resetPasswordUrl": "%s/signin/reset-password/%s" % (
                self.sim.url, secrets.token_urlsafe(15))})
        return json_reply(200, {})

    def transition(self, sources, target, status=403):
        def handler(params, _query, _body):
            user = self._user(params["id"])
            if user.status not in sources:
                if status == 400:
                    raise OktaError(400, "E0000001", "Api validation failed: status")  # unconfirmed wording
                raise not_allowed()
            self.store.set_status(user, target)
            self.store.record_write(user, "status:" + target)
            return json_reply(200, {})
        return handler

    def change_password(self, params, query, body):
        user = self._user(params["userId"])
        old = (body.get("oldPassword") or {}).get("value") if isinstance(body.get("oldPassword"), dict) else None
        new = (body.get("newPassword") or {}).get("value") if isinstance(body.get("newPassword"), dict) else None
        if not isinstance(old, str) or not isinstance(new, str):
            raise invalid("password", ["oldPassword and newPassword: value is required"])
        if user.status not in ("STAGED", "ACTIVE", "PASSWORD_EXPIRED", "RECOVERY"):
            raise not_allowed()
        if not user.matches(old):
            raise OktaError(403, "E0000014", "Update of credentials failed",
                            ["oldPassword: The credentials provided were incorrect."])
        try:
            self.store.set_password(user, new, str(query.get("strict", "false")).lower() == "true", change=True)
        except PasswordRefused as refused:
            raise invalid("password", refused.causes)
        self.store.record_write(user, "change_password", ["password"])
        return json_reply(200, self.user_json(user)["credentials"])

    def forgot_password(self, params, query, _body):
        user = self._user(params["userId"])
        if user.status != "ACTIVE":
            raise not_allowed()
        self.store.record_write(user, "forgot_password")
        if str(query.get("sendEmail", "true")).lower() == "false":
            return json_reply(200, {"resetPasswordUrl": "%s/signin/reset-password/%s" % (
                self.sim.url, secrets.token_urlsafe(15))})
        return json_reply(200, {})

    def revoke_sessions(self, params, _query, _body):
        user = self._user(params["userId"])
        user.sessions, user.sessions_revoked = 0, user.sessions_revoked + 1
        return Reply(204)

    # --- groups and policies ---------------------------------------------------------------

    def list_groups(self, _params, _query, _body):
        return json_reply(200, [dict(group) for group in self.store.groups.values()])

    def group_users(self, params, query, _body):
        if params["groupId"] not in self.store.groups:
            raise not_found("%s (UserGroup)" % params["groupId"])
        members = sorted((u for u in self.store.users.values() if params["groupId"] in u.groups), key=lambda u: u.id)
        if "after" in query:
            last = _after(query["after"])
            members = [u for u in members if u.id > last]
        limit = min(int(query.get("limit") or 1000), 10000)
        page = members[:limit]
        headers = {}
        if len(members) > limit:
            headers["Link"] = '<%s/api/v1/groups/%s/users?after=%s&limit=%d>; rel="next"' % (
                self.sim.url, params["groupId"], _cursor(page[-1].id), limit)
        return json_reply(200, [self.user_json(u) for u in page], headers)

    def list_policies(self, _params, query, _body):
        if query["type"] not in POLICY_TYPES:
            raise invalid("type", ["type: is not a valid policy type"])
        if query["type"] != "PASSWORD":
            return json_reply(200, [])  # the stand-in holds password policies only
        policies = [p for p in self.store.policies if query.get("status") in (None, p["status"])]
        if query.get("q"):
            policies = [p for p in policies if p["name"].lower().startswith(query["q"].lower())]
        return json_reply(200, [self._policy_json(p) for p in policies])

    def _policy_json(self, policy):
        body = {key: value for key, value in policy.items() if key != "rule"}
        body["_links"] = {"self": {"href": "%s/api/v1/policies/%s" % (self.sim.url, policy["id"])},
                          "rules": {"href": "%s/api/v1/policies/%s/rules" % (self.sim.url, policy["id"])}}
        return json.loads(json.dumps(body))

    def _policy(self, policy_id):
        policy = self.store.policy(policy_id)
        if policy is None:
            raise not_found("%s (Policy)" % policy_id)
        return policy

    def get_policy(self, params, _query, _body):
        return json_reply(200, self._policy_json(self._policy(params["policyId"])))

    def policy_rules(self, params, _query, _body):
        return json_reply(200, [dict(self._policy(params["policyId"])["rule"])])

    def policy_rule(self, params, _query, _body):
        rule = self._policy(params["policyId"])["rule"]
        if rule["id"] != params["ruleId"]:
            raise not_found("%s (PolicyRule)" % params["ruleId"])
        return json_reply(200, dict(rule))

    # --- /__sim/ controls ------------------------------------------------------------------

    def _control(self, method, name, body):
        if method != "POST":
            return json_reply(405, {"error": "POST only"}, {"Allow": "POST"})
        try:
            kwargs = json.loads(body.decode("utf-8")) if body else {}
            if not isinstance(kwargs, dict):
                raise ValueError("arguments must be a JSON object")
            result = self.sim.control(name, kwargs)
        except KeyError:
            return json_reply(404, {"error": "no such control: %s" % name})
        except (TypeError, ValueError) as exc:
            return json_reply(400, {"error": str(exc)})
        return json_reply(200, {"result": result})


def _scheme(authorization):
    """The scheme of an Authorization header, lower-case, with or without the space after it; None if none."""
    for scheme in ("SSWS", "Bearer", "DPoP"):
        if (authorization or "").lower().startswith(scheme.lower()):
            return scheme.lower()
    return None


def _project(record, fields):
    """fields=id,status,profile:(login,email): only these properties (and id)."""
    keep = {"id": record["id"]}
    for found in re.finditer(r"(\w+)(?::\(([^)]*)\))?", fields):
        name, inner = found.group(1), found.group(2)
        if name in record:
            keep[name] = ({key: record[name].get(key) for key in inner.split(",")} if inner and
                          isinstance(record[name], dict) else record[name])
    return keep
