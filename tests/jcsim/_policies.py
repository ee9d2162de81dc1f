"""JumpCloud's v2 policy endpoints: policy templates, policies, their device-group associations, and
the system (device) groups they bind to.

From the published V2 spec: GET /policytemplates[/{id}] (PolicyTemplate, PolicyTemplateWithDetails),
GET/POST /policies, GET/PUT/DELETE /policies/{id} (PolicyCreateRequest, PolicyUpdateRequest,
PolicyWithDetails), GET/POST /policies/{policy_id}/associations (GraphOperation-Policy, GraphConnection;
`targets` required), GET /systemgroups[/{id}]. Lists are JSON arrays paged with limit (default 10, at
most 100) and skip, filtered with v2's `field:operator:value`, totals in X-Total-Count.
Not in the spec, so each choice leans strict and says `unconfirmed`: the template catalogue (JumpCloud's
is not published; the custom profile template's name and fields are those JumpCloud's own tests and
third-party clients use), unique policy names, PUT replacing `values` wholesale, the status codes of
refusals. Other methods on these paths (POST /systemgroups, PUT /systemgroups/{id}...) are not simulated.
"""

import base64
import binascii
import copy

from ._api import Response, Route, endpoint
from ._query import is_filter_param, paging, v2_filter
from ._schema import Any, Arr, Bool, Obj, Str, describe, validate
from ._util import OBJECT_ID_RE, ApiError, bad_request

_TEMPLATE_SHALLOW = ("activation", "alert", "behavior", "deliveryTypes", "description", "displayName", "id", "name",
                     "osMetaFamily", "osRestrictions", "reference", "state")
_TEMPLATE_DETAILED = ("activation", "behavior", "configFields", "description", "displayName", "id", "name",
                      "osMetaFamily", "osRestrictions")


def _field(name, display_type, label, required=False, sensitive=False, position=0):
    """A PolicyTemplateConfigField (its id is given by the store)."""
    return {"name": name, "displayType": display_type, "label": label, "required": required, "readOnly": False,
            "sensitive": sensitive, "position": position, "defaultValue": "", "displayOptions": {}, "validators": {},
            "tooltip": {"template": "", "variables": {"icon": "", "message": ""}}}


# (name, displayName, osMetaFamily, deliveryTypes, config fields). Catalogue unconfirmed, see above.
CATALOGUE = (
    ("custom_mdm_profile_darwin", "MDM Custom Configuration Profile", "darwin", ["mdm"],
     [_field("payload", "file", "Mobile Configuration File", required=True, position=1),
      _field("redispatchPolicy", "checkbox", "Re-apply policy on every OS update", position=2)]),
    ("custom_mdm_profile_ios", "MDM Custom Configuration Profile", "ios", ["mdm"],
     [_field("payload", "file", "Mobile Configuration File", required=True, position=1)]),
    ("app_notifications_darwin", "App Notification Settings", "darwin", ["mdm"],
     [_field("BundleIdentifier", "text", "Bundle Identifier", required=True, position=1),
      _field("AlertType", "select", "Alert Type", position=2),
      _field("BadgesEnabled", "checkbox", "Badges Enabled", position=3),
      _field("CriticalAlertEnabled", "checkbox", "Critical Alert Enabled", position=4),
      _field("NotificationsEnabled", "checkbox", "Notifications Enabled", position=5),
      _field("PreviewType", "select", "Preview Type", position=6)]),
)

_VALUE = Obj({"configFieldID": Str(), "sensitive": Bool(), "value": Str()},
             required=("configFieldID", "value"))  # required: unconfirmed (a value must name its field)
POLICY_CREATE = Obj({"name": Str(), "notes": Str(), "template": Obj({"id": Str()}, required=("id",)),
                     "values": Arr(_VALUE)}, required=("name", "template"))
POLICY_UPDATE = Obj({"name": Str(), "notes": Str(), "values": Arr(_VALUE)}, required=("name",))
GRAPH_OPERATION = Obj({"id": Str(), "op": Str(enum=("add", "remove", "update")),
                       "type": Str(enum=("system", "system_group")), "attributes": Any()},
                      required=("id", "op", "type"))


class OrgPolicies:
    """One organisation's policies, device groups and policy -> group associations (ordered)."""

    def __init__(self):
        self.policies = {}
        self.groups = {}
        self.associations = {}  # (policy id, group id) -> attributes


class PolicyStore:
    """The template catalogue (shared) and each organisation's policies; `writes` logs accepted changes."""

    def __init__(self, directory):
        self.directory = directory
        self.templates = {}
        self.orgs = {}
        self.writes = []
        for name, display, family, delivery, fields in CATALOGUE:
            self.add_template(name, fields, display, family, delivery)

    def new_id(self):
        return self.directory.ids.new(self.directory.now())

    def of(self, org):
        return self.orgs.setdefault(org.id, OrgPolicies())

    def record(self, operation, policy_id, **details):
        self.writes.append(dict(details, seq=len(self.writes) + 1, operation=operation, policy_id=policy_id))

    # --- test controls (hold the directory lock) ---------------------------------------------

    def add_template(self, name, config_fields, display_name=None, os_family="darwin", delivery=("mdm",)):
        """Another policy template; config_fields: PolicyTemplateConfigField dicts without ids. Returns its id."""
        with self.directory.lock:
            template_id = self.new_id()
            self.templates[template_id] = {
                "id": template_id, "name": name, "displayName": display_name or name, "osMetaFamily": os_family,
                "deliveryTypes": list(delivery), "description": "", "activation": "", "alert": "", "behavior": "",
                "reference": "", "state": "", "osRestrictions": [],
                "configFields": [dict(field, id=self.new_id()) for field in config_fields]}
            return template_id

    def template_id(self, name):
        return next(template["id"] for template in self.templates.values() if template["name"] == name)

    def add_group(self, name, org_id=None):
        """A device group of the organisation (default: the primary one); returns its id."""
        with self.directory.lock:
            org = self.directory.orgs[org_id or self.directory.primary.id]
            group_id = self.new_id()
            self.of(org).groups[group_id] = {
                "id": group_id, "name": name, "type": "system_group", "description": "", "email": "",
                "attributes": {}, "membershipMethod": "NOTSET", "memberQueryExemptions": [],
                "memberSuggestionsNotify": False, "organizationObjectId": org.id}
            return group_id

    def policies(self, org_id=None):
        """The organisation's policies as GET /policies/{id} returns them (copies)."""
        with self.directory.lock:
            org = self.directory.orgs[org_id or self.directory.primary.id]
            return [self.detailed(policy) for policy in self.of(org).policies.values()]

    def bound_groups(self, policy_id, org_id=None):
        with self.directory.lock:
            org = self.directory.orgs[org_id or self.directory.primary.id]
            return [group for policy, group in self.of(org).associations if policy == policy_id]

    # --- records ---------------------------------------------------------------------------------

    def shallow_template(self, template_id):
        template = self.templates[template_id]
        return {key: copy.deepcopy(template[key]) for key in _TEMPLATE_SHALLOW}

    def detailed(self, policy):
        """PolicyWithDetails."""
        template = self.templates[policy["template_id"]]
        sensitive = {field["id"]: field["sensitive"] for field in template["configFields"]}
        return {"id": policy["id"], "name": policy["name"], "notes": policy["notes"],
                "template": self.shallow_template(policy["template_id"]),
                "values": [{"configFieldID": value["configFieldID"], "sensitive": sensitive[value["configFieldID"]],
                            "value": value["value"]} for value in policy["values"]],
                "configFields": copy.deepcopy(template["configFields"])}


# --- listing ---------------------------------------------------------------------------------------

def _one(req, name):
    values = req.query.get(name)
    if values is not None and len(values) > 1:
        raise ApiError(400, "query parameter %s given more than once" % name)
    return values[0] if values else None


def _names(text, allowed, what):
    """Comma-separated field names (v2's fields and sort); unknown names are a 400."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    for name in names:
        if name.lstrip("-") not in allowed:
            raise ApiError(400, "unknown %s field: %s" % (what, name.lstrip("-")))
    return names


def _listing(req, records, filterable, fields_allowed):
    """A v2 list: filter (repeatable, ANDed), sort, skip/limit, fields; the total in X-Total-Count."""
    tests = []
    for key, values in req.query.items():
        if key != "filter" and is_filter_param(key):
            raise ApiError(400, "indexed filters are not supported on v2 routes")  # unconfirmed
        if key == "filter":
            tests.extend(v2_filter(text, filterable) for text in values)
    chosen = [record for record in records if all(test(record) for test in tests)]
    for name in reversed(_names(_one(req, "sort"), fields_allowed, "sort")):
        chosen.sort(key=lambda record, name=name.lstrip("-"): str(record.get(name, "")), reverse=name.startswith("-"))
    limit, skip = paging(_one(req, "limit"), _one(req, "skip"))
    fields = _names(_one(req, "fields"), fields_allowed, "fields")
    page = chosen[skip:skip + limit]
    if fields:
        page = [{name: record[name] for name in ["id"] + fields if name in record} for record in page]
    return Response(copy.deepcopy(page), headers={"X-Total-Count": str(len(chosen))})


def _object_id(value, what):
    if not OBJECT_ID_RE.match(value):
        raise ApiError(400, "Invalid %s id" % what)  # unconfirmed: a malformed id is a 400, not a 404
    return value


def _check(spec, body):
    errors = validate(spec, body)
    if errors:
        raise bad_request(describe(errors), errors, v2=True)
    return body


# --- templates ---------------------------------------------------------------------------------------

def list_templates(app, req):
    store = app.policies
    records = [store.shallow_template(template_id) for template_id in store.templates]
    return _listing(req, records, ("id", "name", "displayName", "osMetaFamily"), _TEMPLATE_SHALLOW)


def get_template(app, req):
    template = app.policies.templates.get(_object_id(req.params["id"], "policy template"))
    if template is None:
        raise ApiError(404, "Policy template not found")
    return Response({key: copy.deepcopy(template[key]) for key in _TEMPLATE_DETAILED})


# --- policies ------------------------------------------------------------------------------------------

def _policy(app, req, key="id"):
    policy = app.policies.of(req.org).policies.get(_object_id(req.params[key], "policy"))
    if policy is None:
        raise ApiError(404, "Policy not found")
    return policy


def _checked_values(template, values):
    """Values against the template's fields: known, once each, not read-only, required ones given,
    file fields base64 (unconfirmed: the stricter reading of "file")."""
    fields = {field["id"]: field for field in template["configFields"]}
    problems = []
    seen = set()
    for index, value in enumerate(values):
        field = fields.get(value["configFieldID"])
        path = "values[%d].configFieldID" % index
        if field is None:
            problems.append((path, "is not a config field of template %s" % template["name"]))
            continue
        if field["id"] in seen:
            problems.append((path, "field %s is given more than once" % field["name"]))
        seen.add(field["id"])
        if field["readOnly"]:
            problems.append((path, "field %s is read-only" % field["name"]))
        if field["displayType"] == "file":
            try:
                if not base64.b64decode(value["value"], validate=True):
                    raise ValueError("empty")
            except (binascii.Error, ValueError):
                problems.append(("values[%d].value" % index, "field %s takes a file as base64" % field["name"]))
    for field in template["configFields"]:
        if field["required"] and field["id"] not in seen:
            problems.append(("values", "required field %s is missing" % field["name"]))
    if problems:
        raise bad_request(describe(problems), problems, v2=True)
    return [{"configFieldID": value["configFieldID"], "value": value["value"]} for value in values]


def _unique_name(org_policies, name, policy_id=None):
    if not name.strip():
        raise bad_request("name must not be empty", [("name", "must not be empty")], v2=True)
    if any(policy["name"] == name and policy["id"] != policy_id for policy in org_policies.policies.values()):
        raise ApiError(409, "A policy with this name already exists")  # unique names: unconfirmed


def list_policies(app, req):
    store = app.policies
    records = [{"id": policy["id"], "name": policy["name"], "template": store.shallow_template(policy["template_id"])}
               for policy in store.of(req.org).policies.values()]
    return _listing(req, records, ("id", "name"), ("id", "name", "template"))


def create_policy(app, req):
    body = _check(POLICY_CREATE, req.body)
    store = app.policies
    org_policies = store.of(req.org)
    template = store.templates.get(body["template"]["id"])
    if template is None:
        raise bad_request("template.id: no such policy template", [("template.id", "no such policy template")], v2=True)
    _unique_name(org_policies, body["name"])
    policy = {"id": store.new_id(), "name": body["name"], "notes": body.get("notes", ""),
              "template_id": template["id"], "values": _checked_values(template, body.get("values", []))}
    org_policies.policies[policy["id"]] = policy
    store.record("create", policy["id"])
    return Response(store.detailed(policy), status=201)


def get_policy(app, req):
    return Response(app.policies.detailed(_policy(app, req)))


def put_policy(app, req):
    """values, when given, replace the policy's values as a whole (unconfirmed: the stricter reading)."""
    policy = _policy(app, req)
    body = _check(POLICY_UPDATE, req.body)
    store = app.policies
    _unique_name(store.of(req.org), body["name"], policy["id"])
    values = policy["values"]
    if "values" in body:
        values = _checked_values(store.templates[policy["template_id"]], body["values"])
    policy.update(name=body["name"], notes=body.get("notes", policy["notes"]), values=values)
    store.record("update", policy["id"], fields=sorted(body))
    return Response({"id": policy["id"], "name": policy["name"], "template": store.shallow_template(policy["template_id"])})


def delete_policy(app, req):
    policy = _policy(app, req)
    org_policies = app.policies.of(req.org)
    del org_policies.policies[policy["id"]]
    for key in [key for key in org_policies.associations if key[0] == policy["id"]]:
        del org_policies.associations[key]
    app.policies.record("delete", policy["id"])
    return Response(status=204)


# --- associations ----------------------------------------------------------------------------------------

def _targets(req):
    target = _one(req, "targets")
    if target is None:
        raise bad_request("targets is required", [("targets", "is required")], v2=True)
    if target not in ("system", "system_group"):
        raise bad_request("targets must be system or system_group", [("targets", "must be system or system_group")],
                          v2=True)
    return target


def list_associations(app, req):
    policy = _policy(app, req, "policy_id")
    target = _targets(req)
    connections = [{"attributes": copy.deepcopy(attributes), "to": {"id": group, "type": "system_group", "attributes": {}}}
                   for (policy_id, group), attributes in app.policies.of(req.org).associations.items()
                   if policy_id == policy["id"] and target == "system_group"]
    limit, skip = paging(_one(req, "limit"), _one(req, "skip"))
    return Response(connections[skip:skip + limit], headers={"X-Total-Count": str(len(connections))})


def associate(app, req):
    policy = _policy(app, req, "policy_id")
    body = _check(GRAPH_OPERATION, req.body)
    org_policies = app.policies.of(req.org)
    if body["type"] == "system" or body["id"] not in org_policies.groups:
        # No systems are simulated; an unknown target is a 404 (unconfirmed: maybe 400).
        raise ApiError(404, "%s not found" % ("System" if body["type"] == "system" else "System group"))
    key = (policy["id"], body["id"])
    if body["op"] == "add":
        if key in org_policies.associations:
            raise ApiError(409, "Association already exists")  # unconfirmed
        org_policies.associations[key] = body.get("attributes") or {}
    elif key not in org_policies.associations:
        raise ApiError(404, "Association not found")  # unconfirmed
    elif body["op"] == "remove":
        del org_policies.associations[key]
    else:
        org_policies.associations[key] = body.get("attributes") or {}
    app.policies.record("associate", policy["id"], op=body["op"], group_id=body["id"])
    return Response(status=204)


# --- system groups ---------------------------------------------------------------------------------------

_GROUP_FIELDS = ("attributes", "description", "email", "id", "memberQueryExemptions", "memberSuggestionsNotify",
                 "membershipMethod", "name", "organizationObjectId", "type")


def list_groups(app, req):
    records = list(app.policies.of(req.org).groups.values())
    return _listing(req, records, ("name", "type", "membershipMethod"), _GROUP_FIELDS)


def get_group(app, req):
    group = app.policies.of(req.org).groups.get(_object_id(req.params["id"], "system group"))
    if group is None:
        raise ApiError(404, "System group not found")
    return Response(copy.deepcopy(group))


_LIST = ("fields", "filter", "limit", "skip", "sort")
POLICY_ROUTES = (
    Route("/api/v2/policytemplates", {"GET": endpoint(list_templates, _LIST)}, v2=True),
    Route("/api/v2/policytemplates/{id}", {"GET": endpoint(get_template)}, v2=True),
    Route("/api/v2/policies", {"GET": endpoint(list_policies, _LIST),
                               "POST": endpoint(create_policy, body="json")}, v2=True),
    Route("/api/v2/policies/{id}", {"GET": endpoint(get_policy), "PUT": endpoint(put_policy, body="json"),
                                    "DELETE": endpoint(delete_policy)}, v2=True),
    Route("/api/v2/policies/{policy_id}/associations", {"GET": endpoint(list_associations, ("targets", "limit", "skip")),
                                                        "POST": endpoint(associate, body="json")}, v2=True),
    Route("/api/v2/systemgroups", {"GET": endpoint(list_groups, _LIST)}, v2=True),
    Route("/api/v2/systemgroups/{id}", {"GET": endpoint(get_group)}, v2=True),
)
