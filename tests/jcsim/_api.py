"""The simulated operations: route table and one handler per operation.

Handlers run with the directory lock held and get the already authenticated request, its
organisation resolved (x-org-id), query parameters checked against the operation's list and
the body parsed. They return a Response or raise ApiError.
"""

import base64
import binascii
import collections
import re
import urllib.parse

from ._policy import violation_message
from ._query import Query, paging, parse_fields, parse_sort, project, select, sort_records, sort_users
from ._schema import ACTIVATE, BULK_USER_UPDATE, RESET_MFA, SEARCH, USER_PUT, describe, validate
from ._store import TIME_DEPENDENT, PolicyViolation
from ._util import OBJECT_ID_RE, ApiError, bad_request, iso

Request = collections.namedtuple("Request", "method path params query headers body org")


class Response:
    """payload None means an empty body (JumpCloud documents no body for unlock, expire, ...)."""

    def __init__(self, payload=None, status=200, headers=None):
        self.payload = payload
        self.status = status
        self.headers = headers or {}


def _one(req, name):
    values = req.query.get(name)
    if values is None:
        return None
    if len(values) > 1:
        raise ApiError(400, "query parameter %s given more than once" % name)
    return values[0]


def _user(app, req):
    user_id = req.params["id"]
    if not OBJECT_ID_RE.match(user_id):
        raise ApiError(400, "Invalid user id")  # malformed ObjectId: 400, not 404 (unconfirmed)
    return app.directory.refresh(app.directory.find(req.org, user_id))


def _check(spec, body, v2=False):
    errors = validate(spec, body)
    if errors:
        raise bad_request(describe(errors), errors, v2=v2)
    return body


# --- system users (V1) -------------------------------------------------------------------------

def _ordered(app, org, order, refresh):
    """The organisation's users in `order` (natural order when empty); sorted lists are reused while
    nothing changes, except when they depend on the clock."""
    users = [app.directory.users[user_id] for user_id in org.users]
    if refresh:
        for user in users:
            app.directory.refresh(user)
    if not order:
        return users
    key = tuple(order)
    cached = org.sorted_cache.get(key)
    if not refresh and cached is not None and cached[0] == org.version:
        return cached[1]
    users = sort_users(users, order)
    org.sorted_cache[key] = (org.version, users)
    return users


def _listing(app, org, query, tests, order, limit, skip, fields, hidden=()):
    limit, skip = paging(limit, skip)
    refresh = bool((query.fields | {name for name, _desc in order}) & TIME_DEPENDENT)
    chosen = select(_ordered(app, org, order, refresh), tests)
    results = []
    for user in chosen[skip:skip + limit]:
        record = project(app.directory.refresh(user).rec, fields)
        for name in hidden:
            record.pop(name, None)
        results.append(record)
    return Response({"results": results, "totalCount": len(chosen)})


def list_users(app, req):
    query = Query()
    tests = [query.from_query(req.query), query.from_search_text(_one(req, "search"))]
    return _listing(app, req.org, query, tests, parse_sort(_one(req, "sort")), _one(req, "limit"), _one(req, "skip"),
                    parse_fields(_one(req, "fields")))


def search_users(app, req):
    body = _check(SEARCH, req.body)
    # The spec's body carries these; its own code sample puts them in the query. Either, never both.
    for name in ("limit", "skip", "fields", "filter"):
        if name in body and name in req.query:
            raise ApiError(400, "%s given in both the query and the body" % name)
    query = Query()
    tests = [query.from_body(body.get("filter")), query.from_search(body.get("searchFilter")),
             query.from_query(req.query)]
    fields = parse_fields(body["fields"] if "fields" in body else _one(req, "fields"))
    return _listing(app, req.org, query, tests, [], body.get("limit", _one(req, "limit")),
                    body.get("skip", _one(req, "skip")), fields,
                    hidden=("delegatedAuthority",))  # not part of systemuserSearchReturn


def _must_match(test, record, what):
    """`filter` on a single-object GET (the spec lists it there too): an object the filter does not
    match is not found (unconfirmed: the stricter reading; it may be ignored by the real API)."""
    if test is not None and not test(record):
        raise ApiError(404, "%s not found" % what)


def get_user(app, req):
    user = _user(app, req)
    query = Query()
    _must_match(query.from_query(req.query), user.rec, "User")
    return Response(project(user.rec, parse_fields(_one(req, "fields"))))


def put_user(app, req):
    user = _user(app, req)
    # No body at all (Content-Length 0, or an empty chunked body) is the same as {}: nothing to change.
    changes = _check(USER_PUT, {} if req.body is None else req.body)
    try:
        app.directory.update_user(user, changes, "put")
    except PolicyViolation as exc:
        # Status and body of a refused password are unconfirmed: 400 with the older {"message"} form.
        raise ApiError(400, violation_message(exc.violations), form="message") from exc
    return Response(dict(user.rec))


def unlock_user(app, req):
    app.directory.unlock(_user(app, req))
    return Response()


def expire_user(app, req):
    app.directory.expire(_user(app, req))
    return Response()


def reset_mfa(app, req):
    user = _user(app, req)
    app.directory.reset_mfa(user, _check(RESET_MFA, req.body or {}))
    return Response()


def activate_user(app, req):
    user = _user(app, req)
    _check(ACTIVATE, req.body or {})
    app.directory.activate(user)
    return Response()


# --- organisations -----------------------------------------------------------------------------

# The fields of an OrganizationList item, the only ones the list can filter, search, sort and project on.
ORG_LIST_KINDS = {"_id": "str", "displayName": "str", "logoUrl": "str"}
# The scalar fields of an organization (GET /organizations/{id}), for its `filter`.
ORG_KINDS = dict(ORG_LIST_KINDS, created="str", accessRestriction="str", provider="str", hasCreditCard="bool",
                 hasStripeCustomerId="bool", settings="complex")


def list_orgs(app, req):
    """filter (both forms, as on users), search (JSON, as on users), sort or sortIgnoreCase (not both:
    unconfirmed), limit/skip, fields; all over the three fields of a list item."""
    orgs = list(app.directory.orgs.values()) if app.multi_tenant else [app.directory.primary]
    records = [org.record() for org in orgs]
    query = Query(ORG_LIST_KINDS, nullable=())
    tests = [query.from_query(req.query), query.from_search_text(_one(req, "search"))]
    sort, sort_ignore_case = _one(req, "sort") or "", _one(req, "sortIgnoreCase") or ""
    if sort.strip() and sort_ignore_case.strip():
        raise ApiError(400, "give sort or sortIgnoreCase, not both")
    order = parse_sort(sort or sort_ignore_case, ORG_LIST_KINDS)
    chosen = sort_records(select(records, tests, record=lambda record: record), order,
                          ignore_case=bool(sort_ignore_case.strip()))
    limit, skip = paging(_one(req, "limit"), _one(req, "skip"))
    fields = (_one(req, "fields") or "_id displayName logoUrl").split()
    if set(fields) - set(ORG_LIST_KINDS):
        raise ApiError(400, "unknown organization field")
    results = [{name: record[name] for name in ["_id"] + fields} for record in chosen[skip:skip + limit]]
    return Response({"results": results, "totalCount": len(chosen)})


def get_org(app, req):
    org_id = req.params["id"]
    if not OBJECT_ID_RE.match(org_id):
        raise ApiError(400, "Invalid organization id")
    if org_id != req.org.id:
        raise ApiError(404, "Organization not found")
    record = req.org.record()
    query = Query(ORG_KINDS, nullable=())
    _must_match(query.from_query(req.query), record, "Organization")
    fields = _one(req, "fields")
    if fields and fields.strip():
        unknown = set(fields.split()) - set(record)
        if unknown:
            raise ApiError(400, "unknown organization field: %s" % ", ".join(sorted(unknown)))
        record = {name: record[name] for name in ["_id"] + fields.split()}
    return Response(record)


# --- bulk user updates (V2) --------------------------------------------------------------------

class BulkJob:
    def __init__(self, job_id, org):
        self.id = job_id
        self.org = org
        self.results = []
        self.polls = 0


def bulk_update(app, req):
    if _one(req, "suppressEmail") not in (None, "true", "false"):
        raise bad_request("suppressEmail must be true or false", [("suppressEmail", "must be a boolean")], v2=True)
    items = req.body
    if not isinstance(items, list) or not items:
        raise bad_request("body must be a non-empty array of users", [("body", "must be a non-empty array")], v2=True)
    # The whole request is refused when any item breaks the schema (unconfirmed: the stricter choice).
    errors = [("[%d].%s" % (index, path) if path else "[%d]" % index, text)
              for index, item in enumerate(items) for path, text in validate(BULK_USER_UPDATE, item)]
    if errors:
        raise bad_request(describe(errors), errors, v2=True)
    job = BulkJob(app.directory.ids.new(app.directory.now()), req.org)
    app.jobs[job.id] = job
    # Processed at once; the results endpoint still answers "pending" for the first polls.
    job.results = [_bulk_item(app, req.org, dict(item)) for item in items]
    return Response({"jobId": job.id})


def _bulk_item(app, org, item):
    """One job-workresult. Its meta/persistedFields contents are unconfirmed: only the user id is given."""
    user_id = item.pop("id")
    now = iso(app.directory.now())
    result = {"id": app.directory.ids.new(app.directory.now()), "createdAt": now, "updatedAt": now, "meta": {},
              "persistedFields": {"id": user_id}, "status": "finished", "statusMsg": ""}
    try:
        if item.pop("organization", org.id) != org.id:
            raise ApiError(400, "organization does not match")
        user = app.directory.find(org, user_id)
        app.directory.update_user(user, item, "bulk")
    except PolicyViolation as exc:
        result.update(status="failed", statusMsg=violation_message(exc.violations))
    except ApiError as exc:
        result.update(status="failed", statusMsg=exc.message)
    return result


def bulk_results(app, req):
    job = app.jobs.get(req.params["job_id"])
    if job is None or job.org is not req.org:
        raise ApiError(404, "Job not found")
    limit, skip = paging(_one(req, "limit"), _one(req, "skip"))
    job.polls += 1
    page = job.results[skip:skip + limit]
    if job.polls <= app.bulk_pending_polls:
        page = [dict(result, status="pending", statusMsg="") for result in page]
    return Response(page, headers={"X-Total-Count": str(len(job.results))})


# --- OAuth2 client credentials (service accounts) ----------------------------------------------

def _oauth_error(status, error, description):
    headers = {"WWW-Authenticate": 'Basic realm="jcsim"'} if status == 401 else {}
    return ApiError(status, error, form="oauth", details=[description], headers=headers)


def _basic_credentials(header):
    scheme, _sep, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise _oauth_error(401, "invalid_client", "unsupported authorization scheme")
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _oauth_error(401, "invalid_client", "malformed basic credentials") from exc
    if not sep:
        raise _oauth_error(401, "invalid_client", "malformed basic credentials")
    # RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)


def issue_token(app, req):
    """POST /oauth2/token: grant_type=client_credentials, scope=api (required here; unconfirmed)."""
    app.credentials.token_requests += 1
    content_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise _oauth_error(400, "invalid_request", "body must be application/x-www-form-urlencoded")
    form = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
    if any(len(values) > 1 for values in form.values()):
        raise _oauth_error(400, "invalid_request", "repeated parameter")
    form = {key: values[0] for key, values in form.items()}
    if "grant_type" not in form:
        raise _oauth_error(400, "invalid_request", "grant_type is required")
    if form["grant_type"] != "client_credentials":
        raise _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    in_body = "client_id" in form or "client_secret" in form
    if "authorization" in req.headers:
        if in_body:
            raise _oauth_error(400, "invalid_request", "more than one client authentication method")
        client_id, secret = _basic_credentials(req.headers["authorization"])
    elif in_body:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    else:
        raise _oauth_error(401, "invalid_client", "client authentication required")
    if not app.credentials.client_valid(client_id, secret):
        raise _oauth_error(401, "invalid_client", "client authentication failed")
    if "api" not in form.get("scope", "").split():
        raise _oauth_error(400, "invalid_scope", "scope must be api")
    token = app.credentials.issue()
    return Response({"access_token": token, "token_type": "bearer", "expires_in": app.credentials.TOKEN_LIFETIME,
                     "scope": "api"}, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


# --- routes ------------------------------------------------------------------------------------

Endpoint = collections.namedtuple("Endpoint", "handler params body")


def endpoint(handler, params=(), body="none"):
    """body: "none" (empty or {}), "json" (required), "optional" (JSON when present), "form" (raw)."""
    return Endpoint(handler, frozenset(params), body)


class Route:
    """org_path: the path id is an organisation id (x-org-id must match it).
    org_header "forbidden": x-org-id is refused (403, JumpCloud's "ID included on unsupported route";
    which routes those are is unconfirmed: here the organisations list, an MSP-wide call)."""

    def __init__(self, template, endpoints, auth="api", org_path=False, org_header="allowed", v2=False):
        self.template = template
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
        self.endpoints = endpoints
        self.auth = auth
        self.org_path = org_path
        self.org_header = org_header
        self.v2 = v2


_USER_QUERY = ("limit", "skip", "sort", "fields", "filter", "search")
ROUTES = (
    Route("/api/systemusers", {"GET": endpoint(list_users, _USER_QUERY)}),
    Route("/api/search/systemusers", {"POST": endpoint(search_users, ("limit", "skip", "fields", "filter"), "json")}),
    Route("/api/systemusers/{id}", {"GET": endpoint(get_user, ("fields", "filter")),
                                    "PUT": endpoint(put_user, ("fullValidationDetails",), "optional")}),
    Route("/api/systemusers/{id}/unlock", {"POST": endpoint(unlock_user)}),
    Route("/api/systemusers/{id}/expire", {"POST": endpoint(expire_user)}),
    Route("/api/systemusers/{id}/resetmfa", {"POST": endpoint(reset_mfa, body="optional")}),
    Route("/api/systemusers/{id}/state/activate", {"POST": endpoint(activate_user, body="optional")}),
    Route("/api/organizations", {"GET": endpoint(list_orgs, ("fields", "filter", "limit", "search", "skip", "sort",
                                                             "sortIgnoreCase"))}, org_header="forbidden"),
    Route("/api/organizations/{id}", {"GET": endpoint(get_org, ("fields", "filter"))}, org_path=True),
    Route("/api/v2/bulk/users", {"PATCH": endpoint(bulk_update, ("suppressEmail",), "json")}, v2=True),
    Route("/api/v2/bulk/users/{job_id}/results", {"GET": endpoint(bulk_results, ("limit", "skip"))}, v2=True),
    Route("/oauth2/token", {"POST": endpoint(issue_token, body="form")}, auth="oauth"),
)


def match_route(method, path):
    """(route, endpoint, path params). A method no route serves (FOO, TRACE, PROPFIND...) is a 405
    wherever it is sent; a served method on a path that does not take it is a 405 with Allow; an unknown
    path is a 404. Always JSON, never an HTML 501 (what JumpCloud's gateway answers to an unknown method is
    unconfirmed; 405 is HTTP's answer for a method the resource does not support).

    One trailing slash is ignored: JumpCloud's own docs list organisations at /api/organizations/.
    """
    if path != "/" and path.endswith("/"):
        path = path[:-1]
    for route in ROUTES:
        found = route.regex.match(path)
        if found:
            if method not in route.endpoints:
                allow = ", ".join(sorted(route.endpoints))
                raise ApiError(405, "Method Not Allowed", headers={"Allow": allow})
            return route, route.endpoints[method], found.groupdict()
    if method not in served_methods():
        raise ApiError(405, "Method Not Allowed")
    raise ApiError(404, "Not Found")


def served_methods():
    """Every method some route answers."""
    return frozenset(method for route in ROUTES for method in route.endpoints)


# The v2 policy endpoints have their own module, built on Route and endpoint above (hence imported last).
from ._policies import POLICY_ROUTES  # noqa: E402  pylint: disable=wrong-import-position,cyclic-import

from ._systems import SYSTEM_ROUTES  # noqa: E402  pylint: disable=wrong-import-position,cyclic-import

ROUTES += POLICY_ROUTES + SYSTEM_ROUTES
