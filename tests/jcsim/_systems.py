"""JumpCloud's systems (devices) and the graph between systems and users.

From the published specs: V1 GET /systems (System_List: fields, limit, search, skip, sort, filter; answers
SystemsList `{results, totalCount}` of JcSystem) and GET /systems/{id} (fields, filter); V2
GET /systems/{system_id}/users and GET /users/{user_id}/systems (limit, skip, filter; JSON arrays of
GraphObjectWithPaths `{id, type, compiledAttributes, paths}`, totals in X-Total-Count). Paging as on every list:
limit defaults to 10 and is "Limited to 100" (a larger one is a 400 here), skip >= 0.

The V1 filter and search work as on system users (`field:$eq:value` or `field:eq:value`) over the scalar fields
of JcSystem; its objects and arrays (fde, userMetrics, networkInterfaces...) can be projected with `fields`, not
filtered or sorted on (unconfirmed: the stricter reading). The V2 filter is v2's `field:operator:value` over the
graph object's `id` and `type`. Only direct system-user associations are simulated, each a path of one
connection; its attributes are JumpCloud's `sudo` ({enabled, withoutPassword}) of a system-user binding.
Not simulated: writes to systems, system groups in paths, POST /search/systems, the System Context API headers.
"""

import collections
import copy

from ._api import Response, Route, endpoint
from ._query import Query, is_filter_param, paging, parse_sort, select, sort_records, v2_filter
from ._util import OBJECT_ID_RE, ApiError, iso

# JcSystem's fields by kind (the spec's types); "complex" ones are objects or arrays.
SYSTEM_KINDS = dict(
    {key: "str" for key in ("_id", "agentVersion", "amazonInstanceID", "arch", "archFamily", "created", "description",
                            "displayManager", "displayName", "fileSystem", "hostname", "hwVendor", "lastContact",
                            "organization", "os", "osFamily", "remoteAssistAgentVersion", "remoteIP", "serialNumber",
                            "templateName", "version")},
    **{key: "bool" for key in ("active", "agentHasFullDiskAccess", "allowMultiFactorAuthentication",
                               "allowPublicKeyAuthentication", "allowSshPasswordAuthentication", "allowSshRootLogin",
                               "azureAdJoined", "desktopCapable", "hasServiceAccount", "isPolicyBound",
                               "modifySSHDConfig", "sshRootEnabled")},
    systemTimezone="int",
    **{key: "complex" for key in ("attributes", "builtInCommands", "connectionHistory", "domainInfo", "fde", "mdm",
                                  "networkInterfaces", "osVersionDetail", "policyStats", "primarySystemUser",
                                  "provisionMetadata", "secureLogin", "serviceAccountState", "sshdParams",
                                  "systemInsights", "userMetrics")},
)
_NULLABLE = ("fileSystem", "lastContact")
_OS = {"darwin": ("Mac OS X", "arm64", "14.5"), "windows": ("Windows", "x86_64", "11 Pro"),
       "linux": ("Ubuntu", "x86_64", "22.04")}


def _check_fields(fields, kinds, what):
    unknown = sorted(set(fields) - set(kinds))
    if unknown:
        raise ValueError("unknown %s field: %s" % (what, ", ".join(unknown)))


class OrgSystems:
    """One organisation's systems (in creation order) and its direct system-user bindings."""

    def __init__(self):
        self.systems = collections.OrderedDict()
        self.users_of = {}     # system id -> {user id: attributes}
        self.systems_of = {}   # user id -> {system id: attributes}
        self.sorted_cache = {}
        self.version = 0


class SystemStore:
    """Every organisation's systems; controls hold the directory lock."""

    def __init__(self, directory):
        self.directory = directory
        self.orgs = {}

    def of(self, org):
        return self.orgs.setdefault(org.id, OrgSystems())

    def _org(self, org_id):
        org = self.directory.orgs.get(org_id or self.directory.primary.id)
        if org is None:
            raise ValueError("unknown organisation")
        return org

    # --- test controls ---------------------------------------------------------------------------

    def add_system(self, hostname, org_id=None, os_family="darwin", **fields):
        """One system, a JcSystem with plausible values for every field not given; returns its _id."""
        _check_fields(fields, SYSTEM_KINDS, "system")
        if os_family not in _OS:
            raise ValueError("os_family must be one of %s" % ", ".join(sorted(_OS)))
        with self.directory.lock:
            org = self._org(org_id)
            now = self.directory.now()
            system_id = self.directory.ids.new(now)
            number = len(self.of(org).systems) + 1
            os_name, arch, version = _OS[os_family]
            record = {
                "_id": system_id, "organization": org.id, "created": iso(now), "lastContact": iso(now),
                "active": True, "hostname": hostname, "displayName": hostname, "os": os_name, "osFamily": os_family,
                "arch": arch, "archFamily": "arm" if arch == "arm64" else "x86", "version": version,
                "agentVersion": "1.180.0", "serialNumber": "JCSIM%07d" % number, "hwVendor": "Apple Inc."
                if os_family == "darwin" else "Generic", "remoteIP": "203.0.113.%d" % (number % 250 + 1),
                "networkInterfaces": [
                    {"name": "lo0", "family": "IPv4", "address": "127.0.0.1", "internal": True},
                    {"name": "en0", "family": "IPv4", "address": "10.%d.%d.%d" % (
                        number // 65536 % 256, number // 256 % 256, number % 256), "internal": False}],
                "fde": {"active": os_family == "darwin", "keyPresent": os_family == "darwin"},
                "hasServiceAccount": os_family == "darwin",
                "serviceAccountState": {"hasSecureToken": os_family == "darwin", "passwordAPFSValid": True,
                                        "passwordODValid": True},
                "userMetrics": [], "primarySystemUser": {"id": None}, "agentHasFullDiskAccess": True,
                "allowMultiFactorAuthentication": False, "allowPublicKeyAuthentication": True,
                "allowSshPasswordAuthentication": True, "allowSshRootLogin": False, "azureAdJoined": False,
                "desktopCapable": True, "isPolicyBound": False, "modifySSHDConfig": False, "sshRootEnabled": False,
                "description": "", "displayManager": "", "fileSystem": None, "remoteAssistAgentVersion": "",
                "systemTimezone": 0, "templateName": "macosx-darwin-x86_64-message-tar" if os_family == "darwin"
                else "generic", "attributes": [], "builtInCommands": [], "connectionHistory": [],
                "domainInfo": {"domainName": "", "partOfDomain": False},
                "mdm": {"dep": False, "userApproved": False, "vendor": "none"},
                "osVersionDetail": {"osName": os_name, "version": version}, "policyStats": {},
                "provisionMetadata": {"provisioner": {"type": "administrator"}}, "secureLogin": {},
                "sshdParams": [], "systemInsights": {"state": "enabled"}}
            record.update(copy.deepcopy(fields))
            systems = self.of(org)
            systems.systems[system_id] = record
            systems.version += 1
            return system_id

    def set_system_fields(self, system_id, **fields):
        _check_fields(fields, SYSTEM_KINDS, "system")
        with self.directory.lock:
            org, _systems = self._owner(system_id)
            self.of(org).systems[system_id].update(copy.deepcopy(fields))
            self.of(org).version += 1

    def bind_user(self, system_id, user_id, admin=False, primary=False, secure_token=False):
        """Associate a user with a system (sudo: `admin`); also its userMetrics entry (the account on the
        device, as the agent reports it) and, with `primary`, primarySystemUser."""
        with self.directory.lock:
            org, systems = self._owner(system_id)
            user = self.directory.users.get(user_id)
            if user is None or user.org is not org:
                raise ValueError("unknown user id")
            attributes = {"sudo": {"enabled": bool(admin), "withoutPassword": False}}
            systems.users_of.setdefault(system_id, {})[user_id] = attributes
            systems.systems_of.setdefault(user_id, {})[system_id] = attributes
            record = systems.systems[system_id]
            record["userMetrics"] = [metric for metric in record["userMetrics"]
                                     if metric["userName"] != user.rec["username"]]
            record["userMetrics"].append({"userName": user.rec["username"], "admin": bool(admin), "managed": True,
                                          "secureTokenEnabled": bool(secure_token), "suspended": False})
            if primary:
                record["primarySystemUser"] = {"id": user_id}
            systems.version += 1

    def seed_systems(self, count, prefix="mac", org_id=None, os_family="darwin", users=None, no_primary_every=0):
        """`count` systems PREFIX-00001...; with `users` (ids), system N is bound to users[N % len(users)],
        as its primary user except every `no_primary_every`th system (bound only). Returns the ids."""
        count = int(count)
        ids = []
        with self.directory.lock:
            for index in range(count):
                system_id = self.add_system("%s-%05d" % (prefix, index + 1), org_id, os_family)
                if users:
                    primary = not (no_primary_every and (index + 1) % int(no_primary_every) == 0)
                    self.bind_user(system_id, users[index % len(users)], primary=primary, secure_token=True)
                ids.append(system_id)
        return ids

    def system(self, system_id):
        with self.directory.lock:
            org, _systems = self._owner(system_id)
            return copy.deepcopy(self.of(org).systems[system_id])

    def _owner(self, system_id):
        for org_id, systems in self.orgs.items():
            if system_id in systems.systems:
                return self.directory.orgs[org_id], systems
        raise ValueError("unknown system id")


# --- V1 ----------------------------------------------------------------------------------------------

def _one(req, name):
    values = req.query.get(name)
    if values is not None and len(values) > 1:
        raise ApiError(400, "query parameter %s given more than once" % name)
    return values[0] if values else None


def _fields(text):
    """The `fields` projection: the named fields plus _id; None for every field (the default list)."""
    if text is None or not text.strip():
        return None
    names = text.split()
    unknown = sorted(set(names) - set(SYSTEM_KINDS))
    if unknown:
        raise ApiError(400, "unknown system field: %s" % ", ".join(unknown))
    return ["_id"] + [name for name in names if name != "_id"]


def _project(record, fields):
    if fields is None:
        return copy.deepcopy(record)
    return {name: copy.deepcopy(record[name]) for name in fields if name in record}


def _ordered(systems, order):
    records = list(systems.systems.values())
    if not order:
        return records
    key = tuple(order)
    cached = systems.sorted_cache.get(key)
    if cached is not None and cached[0] == systems.version:
        return cached[1]
    records = sort_records(records, order)
    systems.sorted_cache[key] = (systems.version, records)
    return records


def list_systems(app, req):
    query = Query(SYSTEM_KINDS, nullable=_NULLABLE)
    tests = [query.from_query(req.query), query.from_search_text(_one(req, "search"))]
    order = parse_sort(_one(req, "sort"), SYSTEM_KINDS)
    limit, skip = paging(_one(req, "limit"), _one(req, "skip"))
    fields = _fields(_one(req, "fields"))
    chosen = select(_ordered(app.systems.of(req.org), order), tests, record=lambda record: record)
    return Response({"results": [_project(record, fields) for record in chosen[skip:skip + limit]],
                     "totalCount": len(chosen)})


def _system(app, req, key="id"):
    system_id = req.params[key]
    if not OBJECT_ID_RE.match(system_id):
        raise ApiError(400, "Invalid system id")  # unconfirmed: a malformed id is a 400, not a 404
    record = app.systems.of(req.org).systems.get(system_id)
    if record is None:
        raise ApiError(404, "System not found")
    return record


def get_system(app, req):
    record = _system(app, req)
    test = Query(SYSTEM_KINDS, nullable=_NULLABLE).from_query(req.query)
    if test is not None and not test(record):
        raise ApiError(404, "System not found")  # as on users: the stricter reading (unconfirmed)
    return Response(_project(record, _fields(_one(req, "fields"))))


# --- V2 graph ------------------------------------------------------------------------------------------

def _graph_listing(req, bound, target_type):
    """GraphObjectWithPaths for each bound object: one direct path; v2 paging and filter."""
    tests = []
    for key, values in req.query.items():
        if key == "filter":
            tests.extend(v2_filter(text, ("id", "type")) for text in values)
        elif is_filter_param(key):  # filter[N]: V1's indexed forms, not v2's (unconfirmed, as on the policy lists)
            raise ApiError(400, "indexed filters are not supported on v2 routes")
    limit, skip = paging(_one(req, "limit"), _one(req, "skip"))
    records = [{"id": object_id, "type": target_type, "compiledAttributes": copy.deepcopy(attributes),
                "paths": [[{"attributes": copy.deepcopy(attributes), "to": {"id": object_id, "type": target_type}}]]}
               for object_id, attributes in bound.items()]
    chosen = [record for record in records if all(test(record) for test in tests)]
    return Response(chosen[skip:skip + limit], headers={"X-Total-Count": str(len(chosen))})


def system_users(app, req):
    record = _system(app, req, "system_id")
    return _graph_listing(req, app.systems.of(req.org).users_of.get(record["_id"], {}), "user")


def user_systems(app, req):
    user_id = req.params["user_id"]
    if not OBJECT_ID_RE.match(user_id):
        raise ApiError(400, "Invalid user id")
    user = app.directory.users.get(user_id)
    if user is None or user.org is not req.org:
        raise ApiError(404, "User not found")
    return _graph_listing(req, app.systems.of(req.org).systems_of.get(user_id, {}), "system")


_V1_LIST = ("fields", "filter", "limit", "search", "skip", "sort")
_V2_GRAPH = ("filter", "limit", "skip")
SYSTEM_ROUTES = (
    Route("/api/systems", {"GET": endpoint(list_systems, _V1_LIST)}),
    Route("/api/systems/{id}", {"GET": endpoint(get_system, ("fields", "filter"))}),
    Route("/api/v2/systems/{system_id}/users", {"GET": endpoint(system_users, _V2_GRAPH)}, v2=True),
    Route("/api/v2/users/{user_id}/systems", {"GET": endpoint(user_systems, _V2_GRAPH)}, v2=True),
)
