"""The request pipeline, free of sockets: rate limit and faults, routing, authentication, x-org-id,
query and body checks, the operation, and the call log. The HTTP handler only moves bytes.
"""

import json
import time
import traceback
import urllib.parse

from simhttp import App as HttpApp
from simhttp import Reply, apply_fault

from ._api import Request, match_route
from ._policies import PolicyStore
from ._systems import SystemStore
from ._query import is_filter_param
from ._util import OBJECT_ID_RE, ApiError, phrase

JSON_TYPE = "application/json; charset=utf-8"


def json_reply(status, payload, headers=None):
    if payload is None:
        return Reply(status, b"", dict(headers or {}))
    return Reply(status, json.dumps(payload).encode("utf-8"), dict(headers or {}, **{"Content-Type": JSON_TYPE}))


def error_reply(error):
    return json_reply(error.status, error.body(), error.headers)


def body_field_names(body):
    """Top-level field names of a JSON or form body, for the call log: names only, never values."""
    try:
        value = json.loads(body.decode("utf-8"))
    except ValueError:
        value = {key: None for key in urllib.parse.parse_qs(body.decode("utf-8", "replace"))}
    items = value if isinstance(value, list) else [value]
    return sorted({key for item in items if isinstance(item, dict) for key in item}) or None


class App(HttpApp):
    """jcsim's simhttp App (Reply: simhttp's; its actions send, reset and truncate carry the faults)."""

    def __init__(self, directory, credentials, controls, multi_tenant, control_target):
        self.directory = directory
        self.credentials = credentials
        self.controls = controls
        self.multi_tenant = multi_tenant
        self.control_target = control_target
        self.jobs = {}
        self.policies = PolicyStore(directory)  # the v2 policy endpoints' data
        self.systems = SystemStore(directory)  # systems (V1) and their user bindings (V2 graph)
        self.bulk_pending_polls = 1
        self.internal_errors = []

    def refuse(self, status, message):
        """Requests the HTTP edge refuses (malformed, too large) get JumpCloud's error body too."""
        return error_reply(ApiError(status, message))

    def handle(self, method, target, headers, body):
        """One request: `headers` with lower-case names, `body` bytes (b"" when none). Returns a Reply."""
        split = urllib.parse.urlsplit(target)
        if split.path.startswith("/__sim/"):
            return self._control(method, split.path[len("/__sim/"):], split.query, body)
        authorization = headers.get("authorization", "")
        call = {"time": time.time(), "method": method, "path": split.path, "query": split.query, "route": None,
                "status": None, "api_key": "x-api-key" in headers, "bearer": authorization.lower().startswith("bearer "),
                "org_id": headers.get("x-org-id"), "content_type": headers.get("content-type"),
                "body_bytes": len(body), "body_fields": body_field_names(body) if body else None,
                "fault": None, "user_id": None, "action": "send"}
        self._name_route(method, split.path, call)
        started = time.monotonic()
        try:
            reply = self._with_faults(method, split.path, split.query, headers, body, call)
        except Exception:  # pylint: disable=broad-except  # a simulator bug must answer 500 and be visible
            self.internal_errors.append(traceback.format_exc())
            reply = error_reply(ApiError(500, "jcsim internal error"))
        call.update(status=reply.status if reply.action != "reset" else None, action=reply.action,
                    ms=round((time.monotonic() - started) * 1000, 1))
        self.controls.record(call)
        return reply

    @staticmethod
    def _name_route(method, path, call):
        """The call's route and user id, logged even when a rate limit or a fault answers in its place."""
        try:
            route, _endpoint, params = match_route(method, path)
        except ApiError:
            return
        call["route"] = "%s %s" % (method, route.template)
        call["user_id"] = params.get("id") if route.template.startswith("/api/systemusers/") else None

    # --- faults ------------------------------------------------------------------------------

    def _with_faults(self, method, path, query, headers, body, call):
        wait = self.controls.limit(method, path)
        if wait is not None:
            call["fault"] = "rate_limit"
            # A gateway answer: plain text, not JSON (unconfirmed; clients must not need a JSON 429 body).
            return Reply(429, b"Too Many Requests", dict(wait, **{"Content-Type": "text/plain; charset=utf-8"}))
        fault = self.controls.pick_fault(method, path)
        if fault is None:
            return self._serve(method, path, query, headers, body)
        call["fault"] = fault.kind
        return apply_fault(fault, lambda: self._serve(method, path, query, headers, body),
                           lambda status: error_reply(ApiError(status, phrase(status))), JSON_TYPE)

    # --- one API call ------------------------------------------------------------------------

    def _serve(self, method, path, query, headers, body):
        try:
            route, endpoint, params = match_route(method, path)
            with self.directory.lock:
                if route.auth == "oauth":
                    org = None
                else:
                    self._authenticate(headers)
                    org = self._organisation(route, params, headers)
                req = Request(method, path, params, self._query(query, endpoint), headers,
                              self._body(endpoint, headers, body), org)
                response = endpoint.handler(self, req)
                return json_reply(response.status, response.payload, response.headers)
        except ApiError as error:
            return error_reply(error)

    def _authenticate(self, headers):
        """x-api-key, or an OAuth2 bearer token; every credential sent must be valid."""
        key = headers.get("x-api-key")
        authorization = headers.get("authorization")
        if key is None and authorization is None:
            raise ApiError(401, "Unauthorized: missing x-api-key")
        if key is not None and not self.credentials.key_valid(key):
            raise ApiError(401, "Unauthorized: invalid API key")
        if authorization is not None:
            scheme, _sep, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not self.credentials.token_valid(token.strip()):
                raise ApiError(401, "Unauthorized: invalid or expired bearer token")

    def _organisation(self, route, params, headers):
        """The organisation a call works on, with JumpCloud's x-org-id answers:
        400 malformed id; 400 header and path id differ; 401 missing for a multi-tenant key;
        403 sent on an unsupported route; 404 unknown organisation (or not this admin's).
        An empty header counts as absent (JumpCloud's code samples send `x-org-id: `)."""
        header = (headers.get("x-org-id") or "").strip().lower()
        if not header:
            if self.multi_tenant and route.org_header != "forbidden":
                raise ApiError(401, "x-org-id header is required for a multi-tenant administrator")
            return self.directory.primary
        if not OBJECT_ID_RE.match(header):
            raise ApiError(400, "Malformed x-org-id")
        if route.org_header == "forbidden":
            raise ApiError(403, "x-org-id is not supported on this route")
        if route.org_path and params["id"].lower() != header:
            raise ApiError(400, "x-org-id and organization path id do not match")
        org = self.directory.orgs.get(header)
        if org is None or (not self.multi_tenant and org is not self.directory.primary):
            raise ApiError(404, "Organization not found")
        return org

    @staticmethod
    def _query(query, endpoint):
        """Parsed query; an unknown parameter is a 400 (unconfirmed: the real API may ignore it)."""
        parsed = urllib.parse.parse_qs(query, keep_blank_values=True)
        for key in parsed:
            name = "filter" if is_filter_param(key) else key
            if name not in endpoint.params:
                raise ApiError(400, "unsupported query parameter: %s" % key)
        return parsed

    @staticmethod
    def _body(endpoint, headers, body):
        if endpoint.body == "form":
            return body
        if not body:
            if endpoint.body == "json":
                raise ApiError(400, "request body is required")
            return None
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, "Content-Type must be application/json")
        try:
            value = json.loads(body.decode("utf-8"))
        except ValueError as exc:
            raise ApiError(400, "request body is not valid JSON") from exc
        if value is None:
            raise ApiError(400, "request body must not be null")
        if endpoint.body == "none" and value != {}:
            raise ApiError(400, "this operation takes no request body")
        return value

    # --- /__sim/ controls --------------------------------------------------------------------

    def _control(self, method, name, query, body):
        """POST /__sim/NAME with a JSON object of keyword arguments (GET: query arguments, as text)."""
        if method not in ("GET", "POST"):
            return error_reply(ApiError(405, "Method Not Allowed", headers={"Allow": "GET, POST"}))
        try:
            if method == "POST" and body:
                kwargs = json.loads(body.decode("utf-8"))
                if not isinstance(kwargs, dict):
                    raise ValueError("arguments must be a JSON object")
            else:
                kwargs = {key: values[-1] for key, values in urllib.parse.parse_qs(query).items()}
            result = self.control_target.control(name, kwargs)
        except KeyError:
            return error_reply(ApiError(404, "no such control: %s" % name))
        except (TypeError, ValueError) as exc:
            return json_reply(400, {"error": str(exc)})
        return json_reply(200, {"result": result})
